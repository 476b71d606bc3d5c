// A case's deadlines on its screen (and on paper): the open ones, overdue first then the nearest,
// each closed explicitly with its reason; the closed ones below, with when and why.

import { _, formatDateTime } from "../i18n.js";
import { CLOSE_REASONS, openDeadlines } from "../store/deadlines.js";
import { deadlineBadge, kindName, reasonName } from "./deadline-view.js";
import { field, h } from "./ui.js";

function what(deadline) {
  return h("span", { className: "deadline-what" }, kindName(deadline.kind),
    deadline.label ? [" — ", h("bdi", {}, deadline.label)] : null);
}

function basisLine(deadline) {
  return deadline.source === "suggested" && deadline.basis
    ? h("p", { className: "hint deadline-basis" }, _("Suggested: %(basis)s", { basis: deadline.basis })) : null;
}

// "Close" opens a choice of reason and a confirmation: a stray tap closes nothing.
function closeControl(deadline, close) {
  const reason = h("select", {}, CLOSE_REASONS.map((value) => h("option", { value }, reasonName(value))));
  const form = h("div", { className: "deadline-close", hidden: true },
    field(`close-reason-${deadline.id}`, _("Why is it closed?"), reason),
    h("button", { type: "button", className: "primary", "data-confirm-close": deadline.id,
      onclick: (event) => { event.target.disabled = true; return close(deadline.id, reason.value); } }, _("Close the deadline")));
  const open = h("button", { type: "button", "data-close-deadline": deadline.id, "aria-expanded": "false",
    onclick: () => {
      form.hidden = !form.hidden;
      open.setAttribute("aria-expanded", String(!form.hidden));
      if (!form.hidden) reason.focus();
    } }, _("Close…"));
  return [open, form];
}

function closedText(deadline) {
  return _("Closed on %(date)s: %(reason)s", {
    date: formatDateTime(deadline.closed.at), reason: reasonName(deadline.closed.reason) });
}

/** `close(id, reason)`, or null when the case is read-only here; `caseClosed` when the case is. */
export function deadlinesSection(deadlines, close, { caseClosed = false, now = Date.now() } = {}) {
  const open = openDeadlines(deadlines);
  const closed = deadlines.filter((deadline) => deadline.closed);
  return h("section", { id: "case-deadlines", "aria-labelledby": "deadlines-title" },
    h("h2", { id: "deadlines-title" }, _("Deadlines")),
    caseClosed && open.length ? h("p", { className: "notice", id: "deadlines-not-followed" },
      _("The case is closed: its open deadlines are no longer in the lists or the figures.")) : null,
    open.length ? h("ul", { className: "deadlines" }, open.map((deadline) => h("li", { "data-deadline": deadline.id },
      deadlineBadge(deadline, now), what(deadline), basisLine(deadline),
      close ? closeControl(deadline, close) : null)))
      : h("p", { className: "hint" }, _("No open deadline.")),
    closed.length ? [h("h3", {}, _("Closed deadlines")), h("ul", { className: "deadlines closed-deadlines" },
      closed.map((deadline) => h("li", { "data-deadline": deadline.id },
        deadlineBadge(deadline, now), what(deadline), h("span", { className: "deadline-closed-at" }, closedText(deadline)))))]
      : null);
}
