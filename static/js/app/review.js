// The coordinator's review: every case of the team held on this device, decrypted here, sorted
// overdue deadlines first then the nearest, with filters and a search that run in memory over the case summaries.
// Nothing typed or chosen here is stored or sent.

import { _, formatDate, formatList, isolate } from "../i18n.js";
import { listCases } from "../store/cases.js";
import { byNextDeadline, inFilter, summaryDeadline } from "../store/deadlines.js";
import { rosterNames } from "../store/roster.js";
import { deadlineBadge, stateName } from "./deadline-view.js";
import { caseFlags, optionLabels } from "./intake.js";
import { pagedList } from "./paged.js";
import { field, h } from "./ui.js";

// Overdue first, then the nearest deadline; cases without one after, the most recently active first.
export const byDeadline = byNextDeadline;

export function matches(item, filters, now = Date.now()) {
  if (filters.place && item.place !== filters.place) return false;
  if (filters.status && item.status !== filters.status) return false;
  if (filters.measure && item.measure !== filters.measure) return false;
  // A case is in the state of its next open deadline, the one its row shows: the filters are disjoint.
  if (filters.deadline && !inFilter(summaryDeadline(item), filters.deadline, now)) return false;
  if (filters.conflict && !item.conflicts) return false;
  if (filters.search && !(item.text ?? item.title).toLowerCase().includes(filters.search.toLowerCase())) return false;
  return true;
}

function select(id, label, choices, onChange) {
  const element = h("select", { onchange: onChange }, choices.map(([value, text]) => h("option", { value }, text)));
  return [element, field(id, label, element)];
}

function row(item, names, openOne, measures) {
  const volunteers = formatList((item.members ?? []).map((id) => names[id]).filter(Boolean).map(isolate));
  return h("li", { "data-case": item.id },
    h("button", { type: "button", className: "case-link", onclick: () => openOne(item.id) },
      h("strong", {}, item.title ? h("bdi", {}, item.title) : _("Case")),
      item.number && item.number !== item.title ? [" · ", h("bdi", {}, item.number)] : "",
      item.place ? [" · ", h("bdi", {}, item.place)] : "",
      item.measure ? ` · ${measures.get(item.measure) || item.measure}` : "",
      item.status === "closed" ? h("span", { className: "hint" }, " · ", _("Closed")) : null,
      h("span", { className: "case-meta" },
        volunteers ? h("span", {}, _("Members: %(names)s", { names: volunteers })) : null,
        item.lastActivity ? h("span", {}, _("Last activity: %(date)s", { date: formatDate(item.lastActivity) })) : null,
        summaryDeadline(item) ? h("span", {}, _("Next deadline:"), " ", deadlineBadge(summaryDeadline(item))) : null),
      caseFlags(item)));
}

export async function reviewList(state, openOne) {
  const cases = (await listCases(state)).sort(byDeadline);
  const names = await rosterNames(state);
  const measures = optionLabels("measure");
  const filters = {};
  const { list, count, more, draw: drawWith } = pagedList(cases, (item) => row(item, names, openOne, measures), "case-list review");
  const draw = () => drawWith((item) => matches(item, filters));
  const set = (name) => (event) => { filters[name] = event.target.value; draw(); };
  const places = [...new Set(cases.map((c) => c.place).filter(Boolean))].sort();
  const usedMeasures = [...new Set(cases.map((c) => c.measure).filter(Boolean))].sort();
  const search = h("input", { type: "search", autocomplete: "off", oninput: set("search") });
  // On a phone the filters fold away under the search; on a wider screen they stand open.
  const controls = h("div", {}, field("case-search", _("Search"), search),
    h("details", { className: "filter-box", open: window.innerWidth >= 700 }, h("summary", {}, _("Filters")),
      h("div", { className: "filters" },
        select("filter-place", _("Place"), [["", _("All places")], ...places.map((p) => [p, isolate(p)])], set("place"))[1],
    select("filter-status", _("Status"), [["", _("All")], ["open", _("Open")], ["closed", _("Closed")]], set("status"))[1],
    select("filter-measure", _("Measure"), [["", _("All measures")], ...usedMeasures.map((m) => [m, measures.get(m) || m])], set("measure"))[1],
        select("filter-deadline", _("Deadline"), [["", _("Any")],
          ...["overdue", "48h", "7d"].map((name) => [name, stateName(name)])], set("deadline"))[1],
        select("filter-conflict", _("Conflicts"), [["", _("All")], ["yes", _("With a conflict to settle")]], set("conflict"))[1])));
  draw();
  return h("div", { className: "review" }, cases.length ? controls : null, count,
    cases.length ? list : h("p", { className: "hint" }, _("No case on this device yet.")), more);
}
