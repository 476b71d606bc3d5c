// A few DOM helpers for the app's screens. Text always goes in through textContent (never
// innerHTML), so nothing a person typed, or the server sent, can become markup or script.

import { _, loadCatalog } from "../i18n.js";

export const LANGUAGES = ["fr", "en", "ar"];
const RTL = new Set(["ar"]);
const LANGUAGE_NAMES = { fr: "Français", en: "English", ar: "العربية" };

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "className") element.className = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function pickLanguage(saved) {
  if (LANGUAGES.includes(saved)) return saved;
  for (const wanted of navigator.languages || []) {
    const base = wanted.toLowerCase().split("-")[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return "fr";
}

export async function setLanguage(language) {
  document.documentElement.lang = language;
  document.documentElement.dir = RTL.has(language) ? "rtl" : "ltr";
  await loadCatalog(language);
}

export function languageSwitch(current, onChange) {
  const select = h("select", { id: "app-language", onchange: (event) => onChange(event.target.value) },
    LANGUAGES.map((code) => h("option", { value: code, lang: code, selected: code === current }, LANGUAGE_NAMES[code])));
  return h("div", { className: "field inline" }, h("label", { for: "app-language" }, _("Language")), select);
}

// What a screen started and must end when it is replaced (a camera, a timer).
let leaving = [];

export function whenLeft(cleanup) {
  leaving.push(cleanup);
}

// Replace the screen; move focus to its heading so screen readers announce the change.
export function show(...children) {
  const ending = leaving;
  leaving = [];
  ending.forEach((cleanup) => cleanup());
  const main = document.getElementById("app");
  main.replaceChildren(...children);
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

export function announce(text) {
  document.getElementById("app-status").textContent = text;
}

export function field(id, label, input, hint) {
  input.id = id;
  if (hint) input.setAttribute("aria-describedby", `${id}-hint`);
  return h("div", { className: "field" }, h("label", { for: id }, label), input,
    hint ? h("p", { id: `${id}-hint`, className: "hint" }, hint) : null);
}

export function errorLine(id) {
  return h("p", { id, className: "error", role: "alert" });
}
