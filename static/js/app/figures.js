// Activity figures for the association's annual report, counted in the coordinator's browser from
// the cases it has opened: the server holds only ciphertext and could not count them, and must not.
//
// What is counted (docs/PROTOCOL.md 6.10):
// - an interview is a day on which a case received its intake or an edit of its fields, counted
//   once per case and day (the local calendar day of the entry's time);
// - a person accompanied in a period is a case with at least one interview in that period;
// - a case is new in a period when its first interview (the intake) falls in it, and continuing
//   when it was opened before the period and has an interview in it;
// - a case counts under its current place, measure and gender.
//
// Nothing here touches the page or the store: the module takes opened cases and returns numbers.

const COUNTS = ["people", "interviews", "new", "continuing"];

function pad(number) {
  return String(number).padStart(2, "0");
}

// The calendar day of a time in milliseconds, in the browser's time zone, as "YYYY-MM-DD".
export function dayOf(time) {
  const date = new Date(time);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

// Every entry that wrote fields appears in `history` under its version id ("lamport:device"),
// with its time: one time per entry, however many fields it wrote.
function entryTimes(opened) {
  const times = new Map();
  for (const versions of Object.values(opened.history || {})) {
    for (const version of versions) times.set(version.id, version.time);
  }
  return [...times.values()];
}

// Free text typed on several phones: "CRA de Lyon" and "cra de  lyon " are one place.
function placeKey(text) {
  return (text || "").trim().replace(/\s+/g, " ");
}

// What the figures need from one opened case: its interview days and how it is classified.
export function activityOf(opened) {
  const days = [...new Set(entryTimes(opened).map(dayOf))].sort();
  return {
    days,
    first: days[0] ?? null,
    place: placeKey(opened.fields?.place_name),
    measure: opened.fields?.measure || "",
    gender: opened.fields?.gender || "",
  };
}

// The periods of one year: the whole year, its quarters, its months; days are inclusive.
export function periodsOf(year) {
  const periods = [{ key: `${year}`, kind: "year", from: `${year}-01-01`, to: `${year}-12-31` }];
  for (let quarter = 1; quarter <= 4; quarter += 1) {
    const last = quarter * 3;
    periods.push({ key: `${year}-Q${quarter}`, kind: "quarter", number: quarter,
      from: `${year}-${pad(last - 2)}-01`, to: `${year}-${pad(last)}-31` });
  }
  for (let month = 1; month <= 12; month += 1) {
    periods.push({ key: `${year}-${pad(month)}`, kind: "month", number: month,
      from: `${year}-${pad(month)}-01`, to: `${year}-${pad(month)}-31` });
  }
  return periods;
}

function zero() {
  return { people: 0, interviews: 0, new: 0, continuing: 0 };
}

// Day strings compare in calendar order, and "-31" closes every month of the comparison.
function countCase(activity, period) {
  const within = activity.days.filter((day) => day >= period.from && day <= period.to);
  if (!within.length) return null;
  const isNew = activity.first >= period.from;
  return { people: 1, interviews: within.length, new: isNew ? 1 : 0, continuing: isNew ? 0 : 1 };
}

function add(into, counts) {
  for (const name of COUNTS) into[name] += counts[name];
}

// Rows of one breakdown, most people first, the cases where the value was not given last.
function sortedRows(groups) {
  return [...groups.values()].sort((a, b) => (a.value === "") - (b.value === "") || b.people - a.people
    || a.value.localeCompare(b.value));
}

export function figuresFor(activities, period) {
  const total = zero();
  const groups = { place: new Map(), measure: new Map(), gender: new Map() };
  for (const activity of activities) {
    const counts = countCase(activity, period);
    if (!counts) continue;
    add(total, counts);
    for (const [kind, map] of Object.entries(groups)) {
      const value = activity[kind];
      const key = kind === "place" ? value.toLocaleLowerCase() : value;
      if (!map.has(key)) map.set(key, { value, ...zero() });
      add(map.get(key), counts);
    }
  }
  return { ...period, total, place: sortedRows(groups.place), measure: sortedRows(groups.measure),
    gender: sortedRows(groups.gender) };
}

// The years in which any case had an interview, latest first.
export function yearsOf(activities) {
  const years = new Set(activities.flatMap((activity) => activity.days.map((day) => Number(day.slice(0, 4)))));
  return [...years].sort((a, b) => b - a);
}

// The figures of one year, for each of its periods, from the cases as openCase returns them.
export function computeFigures(openedCases, year) {
  const activities = openedCases.map(activityOf);
  return { year, periods: periodsOf(year).map((period) => figuresFor(activities, period)) };
}

// CSV for a spreadsheet: UTF-8 with a byte order mark (so accented and Arabic text opens right),
// semicolons between cells (the separator French spreadsheets expect), CRLF line ends, every text
// cell quoted, numbers written plain. A text typed on a phone that starts like a formula is
// prefixed with an apostrophe, so that opening the file never runs it.
function textCell(text) {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function figuresCsv(figures, labels) {
  const lines = [[labels.year, labels.period, labels.breakdown, labels.value, ...COUNTS.map((name) => labels[name])]
    .map(textCell)];
  for (const period of figures.periods) {
    const start = [String(figures.year), textCell(labels.periodName(period))];
    lines.push([...start, textCell(labels.breakdownName("total")), textCell(""), ...COUNTS.map((name) => String(period.total[name]))]);
    for (const kind of ["place", "measure", "gender"]) {
      for (const row of period[kind]) {
        lines.push([...start, textCell(labels.breakdownName(kind)), textCell(labels.valueName(kind, row.value)),
          ...COUNTS.map((name) => String(row[name]))]);
      }
    }
  }
  return `\uFEFF${lines.map((cells) => cells.join(";")).join("\r\n")}\r\n`;
}

// The open deadlines of the cases, one line each (docs/PROTOCOL.md 6.10): the case's name as
// typed, its place, when the deadline is due (local time), what it is for, its label, its state
// now and how long ago or ahead. Same cells as the figures' CSV.
export function deadlinesCsv(rows, labels) {
  const lines = [[labels.case, labels.place, labels.due, labels.kind, labels.label, labels.state, labels.when].map(textCell)];
  for (const row of rows) {
    lines.push([row.case, row.place, row.due.replace("T", " "), row.kind, row.label, row.state, row.when].map(textCell));
  }
  return `\uFEFF${lines.map((cells) => cells.join(";")).join("\r\n")}\r\n`;
}
