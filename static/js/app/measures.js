// The team's table of measures (docs/PROTOCOL.md 6.11): what the intake suggests deadlines from,
// and the coordinator's screen to change it. While the team has no table, the examples shipped
// with Carnet (static/data/measures-defaults.json) are used, and said to be examples.

import { _ } from "../i18n.js";
import { currentMeasures, DAYS, HOURS, measuresStanding, signMeasures } from "../store/measures.js";
import { syncMeasures } from "../sync/measures.js";
import { optionLabels } from "./intake.js";
import { announce, errorLine, h, show } from "./ui.js";

const DEFAULTS_URL = "/static/data/measures-defaults.json";
const UNITS = { hours: HOURS, days: DAYS };
let defaults = null;

async function exampleRows() {
  defaults ??= fetch(DEFAULTS_URL, { credentials: "same-origin" })
    .then((response) => (response.ok ? response.json() : { rows: [] }))
    .then((data) => data.rows.map((row) => ({ code: row.code, label: row.label, amount: row.amount,
      unit: UNITS[row.unit], checked: false })))
    .catch(() => { defaults = null; return []; });
  return defaults;
}

/**
 * The rows the intake suggests from: the team's verified table (`source` "team"), or the shipped
 * examples (`source` "examples") when the team has none this device can verify.
 */
export async function measureTable(state) {
  const current = state ? await currentMeasures(state).catch(() => null) : null;
  if (current) return { rows: current.table.rows, source: "team", version: current.table.version, pending: current.pending };
  return { rows: await exampleRows(), source: "examples", version: 0, pending: false };
}

/** The words shown next to a delay the lawyers have not checked. */
export function exampleMark() {
  return _("example for the association's lawyers to check");
}

// A label is at most 200 bytes (6.11); refused characters are those of the protocol.
function rowProblem(row) {
  const bytes = new TextEncoder().encode(row.label).length;
  if (!row.label || bytes > 200) return _("Give each row a label of 1 to 200 characters.");
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(row.label)) {
    return _("A label may not contain control or text-direction characters.");
  }
  if (!Number.isInteger(row.amount) || row.amount < 1 || row.amount > 999) return _("A delay is a whole number from 1 to 999.");
  return null;
}

function tableProblem(rows) {
  for (const row of rows) {
    const problem = rowProblem(row);
    if (problem) return problem;
  }
  const keys = rows.map((row) => `${row.code}\u0000${row.label}`);
  if (new Set(keys).size !== keys.length) return _("Two rows have the same measure and label.");
  if (rows.length > 100) return _("A table has at most 100 rows.");
  return null;
}

function rowEditor(row, measures, remove) {
  // A code the intake no longer offers stays as it is, rather than turning into another measure.
  const choices = measures.has(row.code) ? [...measures] : [...measures, [row.code, row.code]];
  const code = h("select", { name: "code", "aria-label": _("Measure") },
    choices.map(([value, label]) => h("option", { value, selected: value === row.code }, label)));
  const label = h("input", { type: "text", name: "label", autocomplete: "off", "aria-label": _("Label"), dir: "auto" });
  label.value = row.label;
  const amount = h("input", { type: "number", name: "amount", min: "1", max: "999", step: "1", inputmode: "numeric",
    "aria-label": _("Delay") });
  amount.value = String(row.amount);
  const unit = h("select", { name: "unit", "aria-label": _("Unit") },
    h("option", { value: String(HOURS), selected: row.unit === HOURS }, _("hours")),
    h("option", { value: String(DAYS), selected: row.unit === DAYS }, _("days")));
  const checked = h("input", { type: "checkbox", name: "checked", checked: row.checked });
  const item = h("li", { className: "measure-row" },
    h("div", { className: "field" }, code),
    h("div", { className: "field" }, label),
    h("div", { className: "field inline" }, amount, unit),
    h("label", { className: "check" }, checked, _("Checked by the association's lawyers")),
    row.checked ? null : h("p", { className: "status-warning example-mark" }, exampleMark()),
    h("button", { type: "button", className: "danger", "data-remove": "yes", onclick: () => remove(item) }, _("Remove this row")));
  return item;
}

function readRows(list) {
  return [...list.querySelectorAll("li.measure-row")].map((item) => ({
    code: item.querySelector("[name=code]").value,
    label: item.querySelector("[name=label]").value.trim(),
    amount: Number(item.querySelector("[name=amount]").value),
    unit: Number(item.querySelector("[name=unit]").value),
    checked: item.querySelector("[name=checked]").checked,
  }));
}

function standingText(standing, table) {
  if (standing.refused) {
    return _("The server refused your last change (%(code)s): the table changed meanwhile or your certification did. Sync, then make your change again.", { code: standing.refused });
  }
  if (standing.problem) {
    return _("The table the server holds does not verify on this device (%(code)s): the last verified one is used.", { code: standing.problem });
  }
  if (table.pending) return _("Saved on this device: it is sent at the next sync.");
  return null;
}

/** The coordinator's screen: the team's table, row by row. */
export async function measuresScreen(state, home) {
  const table = await measureTable(state);
  const standing = await measuresStanding(state);
  const measures = new Map([...optionLabels("measure")].filter(([value]) => value));
  const list = h("ol", { id: "measure-rows", className: "measure-rows" });
  const remove = (item) => item.remove();
  for (const row of table.rows) list.append(rowEditor(row, measures, remove));
  const error = errorLine("measures-error");
  const notice = standingText(standing, table);
  const save = async (event) => {
    event.preventDefault();
    error.textContent = "";
    const rows = readRows(list);
    const problem = tableProblem(rows);
    if (problem) {
      error.textContent = problem;
      return;
    }
    const button = event.target.querySelector("#save-measures");
    button.disabled = true;
    try {
      await signMeasures(state, rows);
    } catch {
      button.disabled = false;
      error.textContent = _("The table could not be signed on this device: your keys must be certified as a coordinator of the team.");
      return;
    }
    await syncMeasures(state).catch(() => {});
    announce(_("The table of measures is saved."));
    await measuresScreen(state, home);
  };
  show(h("section", { className: "card" },
    h("h1", {}, _("Appeal delays by measure")),
    h("p", { className: "hint" }, _("Each row gives the delay of appeal that an intake suggests from the notification of a measure; the volunteer confirms or changes it. Have every delay checked by the association's lawyers: the law changes. Write nothing about a person here: the server can read this table.")),
    table.source === "examples"
      ? h("p", { className: "notice", id: "measures-examples" }, _("Your team has no table yet: these are the examples shipped with Carnet, each an example for the association's lawyers to check."))
      : h("p", { className: "hint", id: "measures-version" }, _("Version %(version)s of the team's table.", { version: table.version })),
    notice ? h("p", { className: "status-warning", id: "measures-standing", role: "status" }, notice) : null,
    h("form", { id: "measures-form", novalidate: true, onsubmit: save },
      list,
      h("button", { type: "button", id: "add-measure", onclick: () => {
        const item = rowEditor({ code: [...measures.keys()][0], label: "", amount: 1, unit: DAYS, checked: false }, measures, remove);
        list.append(item);
        item.querySelector("[name=label]").focus();
      } }, _("Add a row")),
      error,
      h("div", { className: "actions" },
        h("button", { type: "submit", id: "save-measures", className: "primary" }, _("Save the table")),
        h("button", { type: "button", onclick: home }, _("Back"))))));
}
