// The drafts on this device, listed on the home screen: an intake not saved yet, or an edit of a
// case, each opened again where it was left (docs/PROTOCOL.md, "The device store": draft).

import { _, formatDate, locale } from "../i18n.js";
import { drafts } from "../store/records.js";
import { h } from "./ui.js";

function sameDay(a, b) {
  return a.toDateString() === b.toDateString();
}

function draftText(values, saved) {
  const when = new Date(saved);
  const name = values?.alias || _("no name yet");
  const time = new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit" }).format(when);
  return sameDay(when, new Date())
    ? _("Draft — %(name)s — changed at %(time)s", { name, time })
    : _("Draft — %(name)s — changed on %(date)s at %(time)s",
      { name, date: formatDate(saved), time });
}

/** The drafts section, or null when there is none; `openIntake()` and `openEdit(caseId)` open one. */
export async function draftsSection(state, { openIntake, openEdit }) {
  const kept = (await drafts.list(state.vault)).sort(([, a], [, b]) => (b.saved || 0) - (a.saved || 0));
  if (!kept.length) return null;
  return h("section", { "aria-labelledby": "drafts-title", id: "drafts" },
    h("h2", { id: "drafts-title" }, _("Drafts not saved yet")),
    h("ul", { className: "case-list" }, kept.map(([id, draft]) => h("li", { "data-draft": id },
      h("button", { type: "button", className: "case-link", onclick: () => (id === "new" ? openIntake() : openEdit(id)) },
        draftText(draft.values, draft.saved || Date.now()))))));
}
