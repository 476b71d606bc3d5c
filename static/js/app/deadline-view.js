// How a deadline is shown, the same on every screen: words (how long ago or how long left, and
// when), a colour and an icon, so that nothing is said by colour alone. The state comes from the
// model (store/deadlines.js); dates and times are written by Intl in the page's language.

import { _, formatAmount, formatShortDate, formatTime } from "../i18n.js";
import { dueTime, state, timeLeft } from "../store/deadlines.js";
import { h } from "./ui.js";

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function kindName(kind) {
  return { appeal: _("Appeal against a measure"), hearing: _("Hearing"), release: _("Release"), other: _("Other deadline") }[kind]
    ?? _("Other deadline");
}

export function kindChoices() {
  return ["appeal", "hearing", "release", "other"].map((kind) => [kind, kindName(kind)]);
}

export function reasonName(reason) {
  return { met: _("met"), lapsed: _("lapsed"), irrelevant: _("no longer relevant") }[reason] ?? reason;
}

export function stateName(name) {
  return { overdue: _("Overdue"), "48h": _("Within 48 hours"), "7d": _("Within 7 days (after 48 hours)"),
    later: _("Later"), closed: _("Closed") }[name] ?? "";
}

export function durationText(ms) {
  const span = Math.abs(ms);
  if (span < HOUR) return formatAmount(Math.max(1, Math.floor(span / MINUTE)), "minute");
  if (span < 2 * DAY) return formatAmount(Math.floor(span / HOUR), "hour");
  return formatAmount(Math.floor(span / DAY), "day");
}


/** "on 5 Dec at 14:00"; a whole day (an older deadline) without its time. */
export function whenText(deadline, now = Date.now()) {
  const time = dueTime(deadline.due);
  if (deadline.wholeDay) return _("on %(date)s", { date: formatShortDate(time, now) });
  return _("on %(date)s at %(time)s", { date: formatShortDate(time, now), time: formatTime(time) });
}

export function deadlineWords(deadline, now = Date.now()) {
  const current = state(deadline, now);
  const when = whenText(deadline, now);
  const duration = durationText(timeLeft(deadline, now));
  if (current === "closed") return _("Closed (%(reason)s), was due %(when)s", { reason: reasonName(deadline.closed.reason), when });
  if (current === "overdue") return _("Overdue by %(duration)s, was due %(when)s", { duration, when });
  if (current === "48h" || current === "7d") return _("Due in %(duration)s, %(when)s", { duration, when });
  return _("Due %(when)s", { when });
}

const SVG = "http://www.w3.org/2000/svg";
// A warning triangle for overdue, a clock for soon, a check for closed; decorative, the words say it.
const ICONS = {
  overdue: ["M12 3 2 21h20Z", "M12 10v5", "M12 17.5v1"],
  "48h": ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18Z", "M12 7v5l3 3"],
  "7d": ["M4 6h16v14H4Z", "M4 10h16", "M8 3v4", "M16 3v4"],
  closed: ["M5 12l4 4 10-10"],
};

function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("deadline-icon");
  for (const d of ICONS[name] ?? []) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

/** The badge of a deadline: `span.deadline-badge[data-state]`, icon and words. */
export function deadlineBadge(deadline, now = Date.now()) {
  const current = state(deadline, now) ?? "later";
  return h("span", { className: `deadline-badge deadline-${current}`, "data-state": current, "data-due": deadline.due },
    ICONS[current] ? icon(current) : null, h("span", { className: "deadline-words" }, deadlineWords(deadline, now)));
}
