// Translations for messages made in the browser, from the same Babel catalogs as the pages.

let messages = {};
// Plural messages: the singular msgid with its forms in the catalog's order, and for each CLDR
// plural category (what Intl.PluralRules answers) the index of its form (webapp/i18n.py).
let plurals = {};
let pluralIndex = {};

export function language() {
  return document.documentElement.lang || "fr";
}

export async function loadCatalog(lang = language()) {
  try {
    const response = await fetch(`/i18n/${encodeURIComponent(lang)}.json`, { credentials: "same-origin" });
    if (response.ok) ({ messages, plurals = {}, plural_index: pluralIndex = {} } = await response.json());
  } catch {
    messages = {};
    plurals = {};
    pluralIndex = {};
  }
}

// Whether a language's catalog can be read now: offline, only those the service worker keeps.
export async function hasCatalog(lang) {
  try {
    return (await fetch(`/i18n/${encodeURIComponent(lang)}.json`, { credentials: "same-origin" })).ok;
  } catch {
    return false;
  }
}

// Names people chose, put into a sentence, are isolated (FIRST STRONG ISOLATE ... POP
// DIRECTIONAL ISOLATE, the plain-text form of <bdi>): a name in Arabic inside a French sentence,
// or the reverse, keeps its own direction and cannot reorder the words around it. Placeholders
// that carry such text are named so in every message; dates, counts and ids stay as they are.
const FSI = "\u2068";
const PDI = "\u2069";
const CHOSEN_TEXT = new Set(["name", "names", "team"]);

export function isolate(text) {
  return FSI + String(text) + PDI;
}

function fill(translated, values) {
  return translated.replace(/%\((\w+)\)s/g, (_match, name) => {
    const value = values[name] ?? "";
    return CHOSEN_TEXT.has(name) && typeof value === "string" && value ? isolate(value) : String(value);
  });
}

// `_` marks strings for extraction by Babel (babel.cfg) and translates them at run time.
export function _(text, values = {}) {
  return fill(messages[text] || text, values);
}

/**
 * A message with a count, in the form the language's grammar asks for that count (Arabic has
 * six). Babel extracts both msgids. `%(count)s` is `n` written for the language unless `values`
 * gives it.
 */
export function ngettext(singular, plural, n, values = {}) {
  const forms = plurals[singular];
  const category = formatter(Intl.PluralRules).select(n);
  const index = pluralIndex[category] ?? pluralIndex.other;
  const translated = forms?.[index] || (n === 1 ? singular : plural);
  return fill(translated, { count: formatNumber(n), ...values });
}

// Dates, times and numbers in the person's language, with Latin digits in every language: the
// server's pages (Babel), fingerprints and the papers people carry write them so.
export function locale() {
  return `${language()}-u-nu-latn`;
}

// Formatters are made once per language and options. Not those of local times: the device's time
// zone is read when each is made, and a phone that travels changes it.
const formatters = new Map();

function formatter(Kind, options = {}) {
  const key = `${Kind.name} ${locale()} ${JSON.stringify(options)}`;
  if (!formatters.has(key)) formatters.set(key, new Kind(Kind === Intl.PluralRules ? language() : locale(), options));
  return formatters.get(key);
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

// A calendar day ("YYYY-MM-DD") has no time zone: it is written as that day everywhere, never
// moved by the browser's offset. Times (a Date, milliseconds, "YYYY-MM-DDTHH:MM" on the wall
// clock) are written in the browser's time zone.
function when(value) {
  if (typeof value === "string") {
    const day = DATE_ONLY.exec(value);
    if (day) return { date: new Date(Date.UTC(+day[1], day[2] - 1, +day[3])), timeZone: "UTC", dayOnly: true };
    const local = LOCAL_TIME.exec(value);
    if (local) return { date: new Date(+local[1], local[2] - 1, +local[3], +local[4], +local[5], +(local[6] ?? 0)) };
    return { date: new Date(value) };
  }
  return { date: value instanceof Date ? value : new Date(value) };
}

function written(value, style) {
  const { date, timeZone, dayOnly } = when(value);
  if (Number.isNaN(date.getTime())) return String(value ?? "");
  const options = dayOnly || !style.timeStyle ? { dateStyle: style.dateStyle } : style;
  const format = timeZone ? formatter(Intl.DateTimeFormat, { ...options, timeZone }) : new Intl.DateTimeFormat(locale(), options);
  return format.format(date);
}

/** A day: "12 mars 1994", "March 12, 1994", "12 مارس 1994". */
export function formatDate(value) {
  return written(value, { dateStyle: "long" });
}

/** A day and its time; a day without a time is written as formatDate writes it. */
export function formatDateTime(value) {
  return written(value, { dateStyle: "long", timeStyle: "short" });
}

/** A day in short, its year only when it is not this year's: "5 déc.", "5 déc. 2025". */
export function formatShortDate(value, now = Date.now()) {
  const date = new Date(value);
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return new Intl.DateTimeFormat(locale(), { day: "numeric", month: "short", year: sameYear ? undefined : "numeric" })
    .format(date);
}

/** A time of day on the device's clock: "14:00". */
export function formatTime(value) {
  return new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit" }).format(new Date(value));
}

/** An amount of a unit in words, with the language's plural forms: "3 jours", "48 hours". */
export function formatAmount(value, unit) {
  return formatter(Intl.NumberFormat, { style: "unit", unit, unitDisplay: "long" }).format(value);
}

export function formatNumber(n) {
  return formatter(Intl.NumberFormat).format(n);
}

/** Items joined as the language joins them: "vous et Camille", "you and Camille", "أنت وCamille". */
export function formatList(items) {
  return formatter(Intl.ListFormat, { type: "conjunction" }).format(items.map(String));
}
