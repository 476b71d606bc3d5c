// The coordinator's review: every case of the team held on this device, decrypted here, sorted
// by the nearest deadline, with filters and a search that run in memory over the case summaries.
// Nothing typed or chosen here is stored or sent.

import { _, formatDate, formatList, isolate } from "../i18n.js";
import { dueSoon, dueWithin, listCases } from "../store/cases.js";
import { rosterNames } from "../store/roster.js";
import { caseFlags, optionLabels } from "./intake.js";
import { pagedList } from "./paged.js";
import { field, h } from "./ui.js";

// Nearest deadline first; cases without one after, the most recently active first.
export function byDeadline(a, b) {
  if (a.nextDeadline && b.nextDeadline) return a.nextDeadline < b.nextDeadline ? -1 : a.nextDeadline > b.nextDeadline ? 1 : 0;
  if (a.nextDeadline || b.nextDeadline) return a.nextDeadline ? -1 : 1;
  return (b.lastActivity ?? 0) - (a.lastActivity ?? 0);
}

export function matches(item, filters, now = Date.now()) {
  if (filters.place && item.place !== filters.place) return false;
  if (filters.status && item.status !== filters.status) return false;
  if (filters.measure && item.measure !== filters.measure) return false;
  if (filters.within && !dueWithin(item.nextDeadline, Number(filters.within), now)) return false;
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
        item.nextDeadline ? h("span", { className: dueSoon(item.nextDeadline) ? "due-soon" : "" },
          _("Next deadline: %(date)s", { date: item.nextDeadline })) : null),
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
        select("filter-deadline", _("Deadline"), [["", _("Any")], ["48", _("Within 48 hours")], ["168", _("Within 7 days")]], set("within"))[1])));
  draw();
  return h("div", { className: "review" }, cases.length ? controls : null, count,
    cases.length ? list : h("p", { className: "hint" }, _("No case on this device yet.")), more);
}
