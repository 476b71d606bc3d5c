// The coordinator's activity figures: every case this device can read is opened here, counted in
// memory (figures.js) and shown as tables, a bar chart with its numbers in text, and a CSV file.
// Nothing is stored or sent: the CSV is made in the browser and handed over as a download.

import { _, formatNumber, language, ngettext } from "../i18n.js";
import { listCases, openCase } from "../store/cases.js";
import { countByState, openDeadlines, state, STATES } from "../store/deadlines.js";
import { deadlineWords, kindName, stateName } from "./deadline-view.js";
import { activityOf, deadlinesCsv, figuresCsv, figuresFor, periodsOf, yearsOf } from "./figures.js";
import { optionLabels } from "./intake.js";
import { field, h, show } from "./ui.js";

function countNames() {
  return { people: _("People accompanied"), interviews: _("Interviews"), new: _("New cases"),
    continuing: _("Continuing cases") };
}

function periodName(period) {
  if (period.kind === "year") return _("Whole year");
  if (period.kind === "quarter") return _("Quarter %(number)s", { number: period.number });
  return new Intl.DateTimeFormat(language(), { month: "long", timeZone: "UTC" })
    .format(new Date(Date.UTC(2000, period.number - 1, 1)));
}

function breakdownName(kind) {
  return { total: _("All cases"), place: _("Place"), measure: _("Measure"), gender: _("Sex / gender") }[kind];
}

function valueName(kind, value) {
  if (!value) return _("Not given");
  if (kind === "place") return value;
  return optionLabels(kind).get(value) || value;
}

// On screen a place's name, typed by people, is isolated from the text around it.
function shownValue(kind, value) {
  return kind === "place" && value ? h("bdi", {}, value) : valueName(kind, value);
}

// A table per breakdown; on a phone each row becomes a block whose cells name their column.
function breakdownTable(kind, period) {
  const names = countNames();
  const columns = Object.keys(names);
  const cells = (row) => columns.map((name) => h("td", { "data-label": names[name] }, formatNumber(row[name])));
  return h("div", { className: "table-wrap" }, h("table", { className: "stack-on-phone figures-table", "data-breakdown": kind },
    h("caption", {}, breakdownName(kind)),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, breakdownName(kind)),
      columns.map((name) => h("th", { scope: "col" }, names[name])))),
    h("tbody", {}, period[kind].map((row) => h("tr", {}, h("th", { scope: "row" }, shownValue(kind, row.value)), cells(row)))),
    h("tfoot", {}, h("tr", {}, h("th", { scope: "row" }, _("Total")), cells(period.total)))));
}

const SVG = "http://www.w3.org/2000/svg";

// A bar drawn to scale; decorative, since the same number is written next to it.
function bar(value, largest) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 100 1");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("bar");
  const rect = document.createElementNS(SVG, "rect");
  rect.setAttribute("width", String(largest ? (100 * value) / largest : 0));
  rect.setAttribute("height", "1");
  svg.append(rect);
  return svg;
}

function placeChart(period) {
  const largest = Math.max(0, ...period.place.map((row) => row.people));
  return h("figure", { className: "bar-chart" },
    h("figcaption", {}, _("People accompanied by place")),
    h("ul", {}, period.place.map((row) => h("li", {},
      h("span", { className: "bar-label" }, shownValue("place", row.value)), bar(row.people, largest),
      h("span", { className: "bar-value" }, formatNumber(row.people))))));
}

function summary(period) {
  const names = countNames();
  return h("dl", { className: "facts", id: "figures-summary" }, Object.entries(names).flatMap(([name, label]) =>
    [h("dt", {}, label), h("dd", { "data-count": name }, formatNumber(period.total[name]))]));
}

function csvLabels() {
  return { year: _("Year"), period: _("Period"), breakdown: _("Breakdown"), value: _("Value"), ...countNames(),
    periodName, breakdownName, valueName };
}

function download(text, name) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The click has handed the file over; the URL is dropped once the download has started.
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function downloadCsv(activities, year) {
  const figures = { year, periods: periodsOf(year).map((period) => figuresFor(activities, period)) };
  download(figuresCsv(figures, csvLabels()), `carnet-${year}.csv`);
}

// A closed case's deadlines are no longer followed (PROTOCOL 6.9): they are neither listed nor counted.
function followedDeadlines(item) {
  return item.fields.status === "closed" ? [] : openDeadlines(item.deadlines ?? []);
}

// Every open deadline of the open cases read here, overdue first then the nearest, as of now.
function openDeadlineRows(opened) {
  const rows = opened.flatMap((item) => followedDeadlines(item).map((deadline) => ({ item, deadline })));
  rows.sort((a, b) => a.deadline.due.localeCompare(b.deadline.due));
  return rows;
}

function downloadDeadlines(opened) {
  const now = Date.now();
  const rows = openDeadlineRows(opened).map(({ item, deadline }) => ({
    case: item.fields.alias || item.fields.prison_number || "", place: item.fields.place_name || "", due: deadline.due,
    kind: kindName(deadline.kind), label: deadline.label, state: stateName(state(deadline, now)),
    when: deadlineWords(deadline, now) }));
  const labels = { case: _("Case"), place: _("Place"), due: _("Due"), kind: _("What it is for"), label: _("What is due"),
    state: _("State"), when: _("In words") };
  download(deadlinesCsv(rows, labels), "carnet-deadlines.csv");
}

// How many open deadlines of open cases are overdue, within 48 hours, within 7 days and later, now.
function deadlineCounts(opened) {
  const counts = countByState(opened.flatMap(followedDeadlines));
  return h("section", { id: "deadline-figures", "aria-labelledby": "deadline-figures-title" },
    h("h2", { id: "deadline-figures-title" }, _("Open deadlines, now")),
    h("dl", { className: "facts" }, STATES.flatMap((name) =>
      [h("dt", {}, stateName(name)), h("dd", { "data-deadline-count": name }, String(counts[name]))])),
    h("button", { type: "button", id: "deadlines-csv", onclick: () => downloadDeadlines(opened) },
      _("Download the open deadlines as CSV")),
    h("p", { className: "hint" }, _("This file names each case: keep it as you would the case itself.")));
}

async function openAll(state) {
  const opened = [];
  let unreadable = 0;
  for (const item of await listCases(state)) {
    try {
      opened.push(await openCase(state, item.id));
    } catch {
      unreadable += 1;
    }
  }
  return { activities: opened.map(activityOf), opened, unreadable };
}

export async function figuresScreen(state, { home }) {
  const { activities, opened, unreadable } = await openAll(state);
  const years = yearsOf(activities);
  if (!years.length) years.push(new Date().getFullYear());
  const yearSelect = h("select", {}, years.map((year) => h("option", { value: String(year) }, String(year))));
  const periodSelect = h("select", {});
  const results = h("div", { id: "figures-results", "aria-live": "polite" });
  const fillPeriods = () => {
    periodSelect.replaceChildren(...periodsOf(Number(yearSelect.value)).map((period) =>
      h("option", { value: period.key }, periodName(period))));
  };
  const render = () => {
    const period = periodsOf(Number(yearSelect.value)).find((p) => p.key === periodSelect.value);
    const figures = figuresFor(activities, period);
    const title = h("h2", {}, _("%(period)s %(year)s", { period: periodName(period), year: yearSelect.value }));
    if (!figures.total.people) {
      results.replaceChildren(title, h("p", { className: "hint", id: "figures-empty" }, _("No interview in this period.")));
      return;
    }
    results.replaceChildren(title, summary(figures), placeChart(figures),
      ...["place", "measure", "gender"].map((kind) => breakdownTable(kind, figures)));
  };
  yearSelect.addEventListener("change", () => { fillPeriods(); render(); });
  periodSelect.addEventListener("change", render);
  fillPeriods();
  show(h("section", { className: "card figures" },
    h("h1", {}, _("Activity figures")),
    h("p", { className: "hint" }, _("Counted on this device from the cases you can read; nothing is sent to the server.")),
    h("p", { className: "hint" }, _("An interview is a day on which a case received its intake or an edit. A case is new in a period when its intake falls in it, and continuing when it was opened before and has an interview in it. Each case counts under its current place, measure and gender.")),
    unreadable ? h("p", { className: "notice" }, ngettext("%(count)s case could not be opened on this device and is not counted.",
      "%(count)s cases could not be opened on this device and are not counted.", unreadable)) : null,
    h("div", { className: "figures-choice" }, field("figures-year", _("Year"), yearSelect), field("figures-period", _("Period"), periodSelect)),
    results,
    deadlineCounts(opened),
    h("div", { className: "actions" },
      h("button", { type: "button", id: "figures-csv", className: "primary",
        onclick: () => downloadCsv(activities, Number(yearSelect.value)) }, _("Download the year as CSV")),
      h("button", { type: "button", onclick: home }, _("Back")))));
  render();
}
