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
  // A question left open belongs to the screen that asked it (a lock replaces the screen): it
  // closes unanswered, which is the safe answer.
  document.querySelectorAll("dialog[open]").forEach((dialog) => dialog.close());
  const main = document.getElementById("app");
  main.replaceChildren(...children.filter((child) => child !== null && child !== undefined));
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
  document.dispatchEvent(new CustomEvent("carnet:shown"));
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

// A question that must be answered before something is lost: a modal <dialog> (the page behind is
// inert, so focus stays in it), Escape cancels, and the safe choice has the focus. Resolves true
// only for the confirming button.
export function confirmDialog({ title, text, confirm, cancel = _("Cancel"), id = "confirm-dialog" }) {
  return new Promise((resolve) => {
    const stay = h("button", { type: "button", id: `${id}-cancel`, className: "primary", autofocus: true }, cancel);
    const go = h("button", { type: "button", id: `${id}-confirm`, className: "danger" }, confirm);
    const dialog = h("dialog", { id, className: "confirm-dialog", "aria-labelledby": `${id}-title`,
      "aria-describedby": `${id}-text` },
    h("h2", { id: `${id}-title` }, title), h("p", { id: `${id}-text` }, text),
    h("div", { className: "actions" }, stay, go));
    let answer = false;
    stay.addEventListener("click", () => dialog.close());
    go.addEventListener("click", () => { answer = true; dialog.close(); });
    dialog.addEventListener("close", () => { dialog.remove(); resolve(answer); });
    document.body.append(dialog);
    dialog.showModal();
    stay.focus();
  });
}

// Long text folds: past this many characters or lines it shows its beginning and a button that
// unfolds it, so one very long note does not make a page endless.
const FOLD_CHARACTERS = 600;
const FOLD_LINES = 8;
let foldCount = 0;

export function foldable(text) {
  const value = String(text);
  const lines = value.split("\n");
  if (value.length <= FOLD_CHARACTERS && lines.length <= FOLD_LINES) return value;
  foldCount += 1;
  const id = `fold-${foldCount}`;
  const short = lines.slice(0, FOLD_LINES).join("\n").slice(0, FOLD_CHARACTERS);
  const body = h("span", { id, className: "folded-text" }, `${short}…`);
  const toggle = h("button", { type: "button", className: "link-button fold-toggle", "aria-expanded": "false",
    "aria-controls": id }, _("See all"));
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    body.textContent = open ? value : `${short}…`;
    toggle.textContent = open ? _("See less") : _("See all");
  });
  return h("span", { className: "foldable" }, body, " ", toggle);
}
