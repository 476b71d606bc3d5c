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

// `_` marks strings for extraction by Babel (babel.cfg) and translates them at run time.
export function _(text, values = {}) {
  const translated = messages[text] || text;
  return translated.replace(/%\((\w+)\)s/g, (_match, name) => String(values[name] ?? ""));
}
