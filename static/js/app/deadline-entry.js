// The intake's entry of deadlines (a date and a time, what it is for, a label; as many as needed),
// the notification's date and time, and the plausibility warnings: said next to the field, never
// a refusal, since the person in the visiting room may know better than the check.

import { _ } from "../i18n.js";
import { dueTime, isWholeDay, localDue, newDeadline } from "../store/deadlines.js";
import { kindChoices } from "./deadline-view.js";
import { field, h } from "./ui.js";

// A date and a time as the model writes them: "YYYY-MM-DDTHH:MM", or the date alone.
function joined(date, time) {
  if (!date) return "";
  return time ? `${date}T${time}` : date;
}

function split(value) {
  const [date = "", time = ""] = (value || "").split("T");
  return { date, time: time.slice(0, 5) };
}

function warningLine(id) {
  return h("p", { id, className: "field-warning", role: "status", "aria-live": "polite" });
}

function warn(line, text) {
  if (line.textContent !== text) line.textContent = text;
}

/**
 * A date and an optional time in two inputs (usable with a phone's own pickers at 360 px), kept
 * in a hidden input named `name` as "YYYY-MM-DDTHH:MM", or "YYYY-MM-DD" without a time: the
 * form reads it as one field, and older date-only values stay as they were.
 */
export function dateTimeField(name, label, value) {
  const parts = split(value);
  const hidden = h("input", { type: "hidden", name });
  hidden.value = value || "";
  const date = h("input", { type: "date", autocomplete: "off" });
  const time = h("input", { type: "time", autocomplete: "off" });
  date.value = parts.date;
  time.value = parts.time;
  const sync = () => { hidden.value = joined(date.value, time.value); };
  for (const input of [date, time]) {
    input.addEventListener("input", sync);
    input.addEventListener("change", sync);
  }
  return h("fieldset", { className: "date-time-group" }, h("legend", {}, label), hidden,
    h("div", { className: "date-time" }, field(`f-${name}`, _("Date"), date), field(`f-${name}-time`, _("Time"), time)),
    warningLine(`f-${name}-warning`));
}

function today() {
  return localDue(Date.now()).slice(0, 10);
}

// Warnings on the person's facts: a birth date in the future, a notification after now.
export function watchPlausibility(form) {
  const birth = form.querySelector("#f-birth_date");
  if (birth) {
    const line = warningLine("f-birth_date-warning");
    birth.after(line);
    const check = () => {
      warn(line, birth.value > today() ? _("This date of birth is in the future: check it.") : "");
    };
    birth.addEventListener("input", check);
    check();
  }
  const notified = form.elements.measure_notified;
  const notifiedLine = form.querySelector("#f-measure_notified-warning");
  if (notified && notifiedLine) {
    const check = () => {
      const value = notified.value;
      // A date alone is late only when its whole day is ahead: its time is not known.
      const late = isWholeDay(value) ? value > today() : dueTime(value) > Date.now();
      warn(notifiedLine, late ? _("This notification is later than now: check its date and time.") : "");
    };
    form.addEventListener("input", check);
    check();
  }
}

function deadlineRow(index, initial, onRemove) {
  const parts = split(initial.due);
  const date = h("input", { type: "date", autocomplete: "off" });
  const time = h("input", { type: "time", autocomplete: "off" });
  const kind = h("select", {}, kindChoices().map(([value, text]) => h("option", { value }, text)));
  const label = h("input", { type: "text", autocomplete: "off" });
  const basis = h("p", { className: "hint deadline-basis" });
  const warning = warningLine(`f-deadline-warning-${index}`);
  const remove = h("button", { type: "button", className: "link-button", "data-remove-deadline": String(index) },
    _("Remove this deadline"));
  const element = h("div", { className: "deadline-row", "data-deadline-row": String(index) },
    h("div", { className: "date-time" }, field(`f-deadline-date-${index}`, _("Due date"), date),
      field(`f-deadline-time-${index}`, _("Time"), time, _("Without a time: the end of the day (23:59)."))),
    warning,
    field(`f-deadline-kind-${index}`, _("What it is for"), kind),
    field(`f-deadline-label-${index}`, _("What is due"), label),
    basis, remove);
  const row = { element, source: "entered", basis: "" };
  row.due = () => joined(date.value, time.value);
  row.isEmpty = () => !date.value && !time.value && !label.value.trim();
  row.check = () => {
    const due = row.due();
    // Read as the model will store it: without a time, at the end of the day.
    const passed = due && dueTime(isWholeDay(due) ? `${due}T23:59` : due) < Date.now();
    warn(warning, passed ? _("This deadline has already passed: check it, or keep it to record it as overdue.") : "");
  };
  row.set = (deadline) => {
    const wanted = split(deadline.due);
    date.value = wanted.date;
    time.value = wanted.time;
    kind.value = kindChoices().some(([value]) => value === deadline.kind) ? deadline.kind : "other";
    label.value = deadline.label || "";
    row.source = deadline.source === "suggested" ? "suggested" : "entered";
    row.basis = row.source === "suggested" ? deadline.basis || "" : "";
    basis.textContent = row.basis ? _("Suggested: %(basis)s", { basis: row.basis }) : "";
    row.check();
  };
  row.read = () => ({ due: row.due(), kind: kind.value, label: label.value.trim(), source: row.source, basis: row.basis });
  // The person's own date or time wins over a suggestion: the row is theirs from then on.
  const changed = () => {
    row.source = "entered";
    row.basis = "";
    basis.textContent = "";
    row.check();
  };
  date.addEventListener("input", changed);
  time.addEventListener("input", changed);
  remove.addEventListener("click", () => onRemove(row));
  row.set({ kind: "other", ...initial });
  row.dateInput = date;
  return row;
}

/**
 * The deadlines entered in an intake or an edit. `entry.fill({ due, kind, label, source, basis })`
 * puts one deadline in: into the row an earlier suggestion filled (if the person has not changed
 * it since), else the first empty row, else a new row.
 */
export function deadlineEntry(initial = []) {
  const rows = [];
  let made = 0;
  const list = h("div", { className: "deadline-rows" });
  const add = (deadline = {}) => {
    made += 1;
    const row = deadlineRow(made - 1, deadline, (gone) => {
      rows.splice(rows.indexOf(gone), 1);
      gone.element.remove();
      if (!rows.length) add();
      list.dispatchEvent(new Event("input", { bubbles: true }));
    });
    rows.push(row);
    list.append(row.element);
    return row;
  };
  (initial.length ? initial : [{}]).forEach((deadline) => add(deadline));
  const more = h("button", { type: "button", id: "add-deadline" }, _("Add another deadline"));
  more.addEventListener("click", () => add().dateInput.focus());
  const element = h("div", { className: "subgroup", id: "deadline-entry" }, h("h2", {}, _("Deadlines")),
    h("p", { className: "hint" }, _("Each deadline is listed with the case until it is closed: overdue ones first, then the nearest.")),
    list, more);
  return {
    element,
    fill(deadline) {
      const row = rows.find((candidate) => candidate.source === "suggested") ?? rows.find((candidate) => candidate.isEmpty()) ?? add();
      row.set(deadline);
      list.dispatchEvent(new Event("input", { bubbles: true }));
    },
    // Every row as typed, for the draft.
    read: () => rows.filter((row) => !row.isEmpty()).map((row) => row.read()),
    // A row with a label or a time but no date: the first one, to say so before saving.
    incomplete: () => rows.find((row) => !row.isEmpty() && !row.dateInput.value)?.dateInput ?? null,
    // The deadlines to write into the entry's body.
    deadlines: () => rows.filter((row) => row.dateInput.value).map((row) => {
      const { due, ...rest } = row.read();
      return newDeadline({ ...rest, due: isWholeDay(due) ? `${due}T23:59` : due });
    }),
  };
}
