// A case printed for a lawyer: the browser prints the case view itself under the print stylesheet
// (static/css/app.css, "Printing a case"), which hides the app's controls. The parts below show
// only on paper: a header saying what the page is, and every version of every field, which the
// screen keeps folded. Nothing is rendered by the server: the case never leaves this browser
// decrypted, except on the paper the person chooses to print.

import { _, formatDateTime } from "../i18n.js";
import { kindName, reasonName, whenText } from "./deadline-view.js";
import { h } from "./ui.js";

function when(time) {
  return formatDateTime(time);
}

function headerText() {
  return _("Confidential. Printed from Carnet on %(time)s.", { time: when(Date.now()) });
}

export function printHeader() {
  return h("p", { className: "print-only print-header" }, headerText());
}

// The browser's own print command prints too: the date on the paper is the day it was printed.
window.addEventListener("beforeprint", () => {
  for (const header of document.querySelectorAll(".print-header")) header.textContent = headerText();
});

// Each deadline as it was written and, once closed, when and why.
function deadlineHistory(deadlines) {
  if (!deadlines.length) return null;
  return h("div", { className: "print-field", id: "print-deadline-history" },
    h("h3", {}, _("Deadlines")),
    h("ol", {}, deadlines.map((deadline) => h("li", { "data-deadline": deadline.id },
      kindName(deadline.kind), deadline.label ? [" — ", h("bdi", {}, deadline.label)] : null, " · ", whenText(deadline),
      deadline.written ? [" · ", _("written %(time)s", { time: when(deadline.written) })] : null,
      deadline.closed ? [" · ", _("closed %(time)s: %(reason)s", { time: when(deadline.closed.at), reason: reasonName(deadline.closed.reason) })]
        : null))));
}

// `label(name)` and `display(name, value)` are the case view's own, so paper and screen agree.
export function printHistory(history, label, display, deadlines = []) {
  const fields = Object.entries(history).filter(([, versions]) => versions.length);
  return h("section", { className: "print-only", id: "print-history" },
    h("h2", {}, _("History")),
    fields.length ? fields.map(([name, versions]) => h("div", { className: "print-field" },
      h("h3", {}, label(name)),
      h("ol", {}, versions.map((version) => h("li", {},
        display(name, version.value) || _("(cleared)"), " · ", when(version.time))))))
      : h("p", {}, _("No history.")),
    deadlineHistory(deadlines));
}

export function printButton() {
  return h("button", { type: "button", id: "print-case", onclick: () => window.print() }, _("Print"));
}
