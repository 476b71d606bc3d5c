// Translations for messages made in the browser, from the same Babel catalogs as the pages.

let messages = {};

export function language() {
  return document.documentElement.lang || "fr";
}

export async function loadCatalog(lang = language()) {
  try {
    const response = await fetch(`/i18n/${encodeURIComponent(lang)}.json`, { credentials: "same-origin" });
    if (response.ok) messages = (await response.json()).messages;
  } catch {
    messages = {};
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

// `_` marks strings for extraction by Babel (babel.cfg) and translates them at run time.
export function _(text, values = {}) {
  const translated = messages[text] || text;
  return translated.replace(/%\((\w+)\)s/g, (_match, name) => {
    const value = values[name] ?? "";
    return CHOSEN_TEXT.has(name) && typeof value === "string" && value ? isolate(value) : String(value);
  });
}
