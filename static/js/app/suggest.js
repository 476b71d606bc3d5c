// The deadline the intake suggests from the team's table of measures (docs/PROTOCOL.md 6.11 and
// 8.13). `form` is the intake form (its `measure` and `measure_notified` fields); `entry.fill({
// due, kind, label, source, basis })` puts a deadline into the intake's deadline entry, where the
// person confirms or changes it. Returns the element to show below the notification, or null.
//
// Nothing is filled without the person's tap, and nothing filled is changed afterwards: a later
// change of the measure or of the notification updates the suggestion only, so the person's own
// value always wins.

import { _, formatAmount, formatShortDate, formatTime } from "../i18n.js";
import { HOURS } from "../store/measures.js";
import { exampleMark, measureTable } from "./measures.js";
import { h } from "./ui.js";

const NOTIFIED = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/;
const HOUR_MS = 3600 * 1000;

function pad(number) {
  return String(number).padStart(2, "0");
}

/** A local date and time as the deadline entry takes it: "YYYY-MM-DDTHH:MM". */
export function localValue(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * The notification (a local date, with or without its time) plus the delay: hours are elapsed
 * time, days are calendar days at the same clock time. Without a time, the count starts at
 * 00:00 of the day, so a suggestion is never later than the notification allows. Null when the
 * notification is not a date.
 */
export function suggestedDue(notified, amount, unit) {
  const parts = NOTIFIED.exec(notified || "");
  if (!parts) return null;
  const [year, month, day, hour, minute] = parts.slice(1).map((part) => (part === undefined ? 0 : Number(part)));
  const start = new Date(year, month - 1, day, hour, minute);
  if (start.getMonth() !== month - 1 || start.getDate() !== day || hour > 23 || minute > 59) return null;
  const due = unit === HOURS ? new Date(start.getTime() + amount * HOUR_MS) : new Date(start);
  if (unit !== HOURS) due.setDate(due.getDate() + amount);
  return { start, due, timeGiven: parts[4] !== undefined };
}

function when(date) {
  // No-break spaces: a date and its time never break across lines.
  return `${formatShortDate(date)} ${formatTime(date)}`.replace(/ /g, "\u00a0");
}

function delayText(amount, unit) {
  return formatAmount(amount, unit === HOURS ? "hour" : "day");
}

/** "Notification 3 déc. 14:00 + 48 heures = 5 déc. 14:00", in the person's language. */
export function computationText(computed, amount, unit) {
  const text = _("Notification %(start)s + %(delay)s = %(due)s",
    { start: when(computed.start), delay: delayText(amount, unit), due: when(computed.due) });
  if (computed.timeGiven) return text;
  const note = _("(no time entered: counted from 00:00)");
  return `${text} ${note}`;
}

function suggestionItem(row, computed, entry, examples) {
  const basis = computationText(computed, row.amount, row.unit);
  const marks = [row.checked ? null : exampleMark(), examples ? _("from the examples shipped with Carnet: the team has no table yet") : null]
    .filter(Boolean);
  return h("li", { "data-measure": row.code },
    h("strong", { dir: "auto" }, row.label),
    h("p", { className: "computation" }, basis),
    marks.length ? h("p", { className: "status-warning example-mark" }, marks.join(" · ")) : null,
    entry ? h("button", { type: "button", className: "use-suggestion", onclick: () => entry.fill({
      due: localValue(computed.due), kind: "appeal", label: row.label, source: "suggested", basis,
    }) }, _("Use this deadline")) : null);
}

function render(box, table, form, entry) {
  const measure = form.elements.namedItem("measure")?.value || "";
  const notified = form.elements.namedItem("measure_notified")?.value || "";
  const rows = table.rows.filter((row) => row.code === measure);
  box.replaceChildren();
  box.hidden = !measure;
  if (!measure) return;
  box.append(h("h2", {}, _("Suggested appeal deadline")));
  if (!rows.length) {
    box.append(h("p", { className: "hint" }, _("The team's table gives no delay for this measure: enter the deadline yourself.")));
    return;
  }
  if (!suggestedDue(notified, 1, HOURS)) {
    box.append(h("p", { className: "hint" }, _("Enter the date (and if you can, the time) of the notification to see the suggested deadline.")));
    return;
  }
  box.append(h("ul", { className: "suggestions" },
    rows.map((row) => suggestionItem(row, suggestedDue(notified, row.amount, row.unit), entry, table.source === "examples"))),
  h("p", { className: "hint" }, _("Check it against the notification: you can change the deadline once it is filled in.")));
}

// The measure, and the notification: one field, or the date and time inputs of its group.
function watched(target) {
  return ["measure", "measure_notified"].includes(target?.name)
    || Boolean(target?.closest?.(".date-time-group")?.querySelector("[name=measure_notified]"));
}

export function deadlineSuggestion(state, form, entry) {
  if (!form) return null;
  const box = h("section", { id: "deadline-suggestion", className: "suggestion", "aria-live": "polite", hidden: true });
  let table = { rows: [], source: "examples" };
  const update = (event) => {
    if (!event || watched(event.target)) render(box, table, form, entry);
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  measureTable(state).then((loaded) => {
    table = loaded;
    update();
  });
  return box;
}
