// The one model of a deadline, used by the intake, the case, the lists, the filters, the print
// view, the figures and the export (docs/PROTOCOL.md 6.9). Pure functions: no DOM, no store.
//
// A deadline is { id, due, kind, label, source, basis }: `due` a local date and time
// "YYYY-MM-DDTHH:MM" (read in the device's time zone), `kind` one of KINDS, `source` "entered"
// or "suggested" (from the team's table of measures), `basis` the text of the suggestion's
// computation. Older cases wrote `{label, due: "YYYY-MM-DD"}` (a whole day: due at its end,
// 23:59) and an `appeal_deadline` field: both are read as deadlines of this model.

export const KINDS = ["appeal", "hearing", "release", "other"];
export const SOURCES = ["entered", "suggested"];
export const CLOSE_REASONS = ["met", "lapsed", "irrelevant"];
// The states a filter chooses from: disjoint, each open deadline is in exactly one.
export const STATES = ["overdue", "48h", "7d", "later"];

const HOUR = 3600 * 1000;
const SOON_HOURS = 48;
const WEEK_HOURS = 7 * 24;
// The id of the deadline an old case keeps in its `appeal_deadline` field.
export const APPEAL_FIELD_ID = "field:appeal_deadline";

const DUE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/;

function pad(number) {
  return String(number).padStart(2, "0");
}

/** The time in milliseconds a due text stands for, in local time; NaN when it is not one. */
export function dueTime(due) {
  const match = DUE.exec(typeof due === "string" ? due : "");
  if (!match) return NaN;
  const [, year, month, day, hours, minutes] = match;
  const whole = hours === undefined;
  const date = new Date(Number(year), Number(month) - 1, Number(day), whole ? 23 : Number(hours), whole ? 59 : Number(minutes));
  return date.getTime();
}

/** A time in milliseconds as the model writes it: local "YYYY-MM-DDTHH:MM". */
export function localDue(time) {
  const date = new Date(time);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A date alone ("YYYY-MM-DD") is a whole day: due at the end of it. */
export function isWholeDay(due) {
  return typeof due === "string" && /^\d{4}-\d{2}-\d{2}$/.test(due);
}

export function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

/**
 * A deadline of any shape written so far, in the model's shape; null when it has no valid due.
 * `fallbackId` names an old deadline that carried no id (stable: from the entry that wrote it).
 */
export function normalise(raw, fallbackId = null) {
  if (!raw || Number.isNaN(dueTime(raw.due))) return null;
  const wholeDay = isWholeDay(raw.due);
  return {
    id: typeof raw.id === "string" && raw.id ? raw.id : fallbackId,
    due: wholeDay ? `${raw.due}T23:59` : raw.due,
    wholeDay,
    kind: KINDS.includes(raw.kind) ? raw.kind : "other",
    label: typeof raw.label === "string" ? raw.label : "",
    source: SOURCES.includes(raw.source) ? raw.source : "entered",
    basis: typeof raw.basis === "string" ? raw.basis : "",
  };
}

/** A new deadline as an intake or an edit writes it into its body. */
export function newDeadline({ due, kind = "other", label = "", source = "entered", basis = "" }) {
  const deadline = { id: newId(), due, kind: KINDS.includes(kind) ? kind : "other", label: label.trim(), source };
  if (source === "suggested" && basis) deadline.basis = basis;
  return deadline;
}

/**
 * The deadlines of a case with their closures, from its opened bodies in merge order
 * (`versions`: [{ id, time, author, body }]) and its merged fields. The first closure of a
 * deadline stands; later ones are kept in its `closures`.
 */
export function caseDeadlines(versions, fields = {}) {
  const byId = new Map();
  const closures = [];
  for (const version of versions) {
    (version.body.deadlines || []).forEach((raw, index) => {
      const deadline = normalise(raw, `${version.id}#${index}`);
      if (deadline && !byId.has(deadline.id)) byId.set(deadline.id, { ...deadline, written: version.time, closed: null });
    });
    for (const closure of version.body.closed || []) {
      if (closure && typeof closure.id === "string" && CLOSE_REASONS.includes(closure.reason)) {
        closures.push({ id: closure.id, reason: closure.reason, at: Number(closure.at) || version.time, author: version.author });
      }
    }
  }
  const appeal = normalise({ due: fields.appeal_deadline, kind: "appeal" }, APPEAL_FIELD_ID);
  if (appeal) byId.set(APPEAL_FIELD_ID, { ...appeal, written: null, closed: null });
  for (const closure of closures) {
    const deadline = byId.get(closure.id);
    if (deadline && !deadline.closed) deadline.closed = closure;
  }
  return sortDeadlines([...byId.values()]);
}

/** "overdue" | "48h" | "7d" | "later" | "closed"; null for a deadline without a valid due. */
export function state(deadline, now = Date.now()) {
  if (!deadline) return null;
  if (deadline.closed) return "closed";
  const due = dueTime(deadline.due);
  if (Number.isNaN(due)) return null;
  const left = due - now;
  if (left < 0) return "overdue";
  if (left <= SOON_HOURS * HOUR) return "48h";
  if (left <= WEEK_HOURS * HOUR) return "7d";
  return "later";
}

/** Milliseconds from now to the due time: negative once it has passed. */
export function timeLeft(deadline, now = Date.now()) {
  return dueTime(deadline.due) - now;
}

// Overdue first (the longest overdue first), then the nearest: the order of their due times.
export function compareDeadlines(a, b) {
  return dueTime(a.due) - dueTime(b.due) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function sortDeadlines(deadlines) {
  return [...deadlines].sort(compareDeadlines);
}

export function openDeadlines(deadlines) {
  return sortDeadlines(deadlines.filter((deadline) => !deadline.closed));
}

/** What a case's summary keeps of its next open deadline, for the lists and the filters. */
export function nextDeadline(deadlines) {
  const [next] = openDeadlines(deadlines);
  if (!next) return null;
  return { id: next.id, due: next.due, wholeDay: next.wholeDay, kind: next.kind, label: next.label, source: next.source };
}

/** A summary's next deadline: older summaries kept it as a date text. A closed case has none. */
export function summaryDeadline(item) {
  const next = item?.nextDeadline;
  if (!next || item.status === "closed") return null;
  return typeof next === "string" ? normalise({ due: next }, "summary") : normalise(next, next.id ?? "summary");
}

/** Is this open deadline in the filter's state? The filters are disjoint. */
export function inFilter(deadline, filter, now = Date.now()) {
  if (!filter) return true;
  return Boolean(deadline) && state(deadline, now) === filter;
}

// Cases by their next deadline: overdue first, then the nearest; those without one after, the
// most recently active first.
export function byNextDeadline(a, b) {
  const first = summaryDeadline(a);
  const second = summaryDeadline(b);
  if (first && second) return compareDeadlines(first, second);
  if (first || second) return first ? -1 : 1;
  return (b.lastActivity ?? 0) - (a.lastActivity ?? 0);
}

/** How many open deadlines are in each state, now. */
export function countByState(deadlines, now = Date.now()) {
  const counts = Object.fromEntries(STATES.map((name) => [name, 0]));
  for (const deadline of deadlines) {
    const current = state(deadline, now);
    if (current in counts) counts[current] += 1;
  }
  return counts;
}
