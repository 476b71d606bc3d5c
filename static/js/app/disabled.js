// The screens of a disabled account on this device (docs/PROTOCOL.md 8.12, "A disabled
// account"): what happened, what the device keeps, what to do. What the device does is
// sync/disabled.js.

import { _, formatDate, ngettext } from "../i18n.js";
import { drafts } from "../store/records.js";
import { unsentWork } from "../sync/disabled.js";
import { announce, errorLine, h, show } from "./ui.js";

function waitingText(total) {
  return total
    ? ngettext("%(count)s entry waits on this device. The server refuses it while the account is disabled; it leaves with the first sync after it is enabled again.",
      "%(count)s entries wait on this device. The server refuses them while the account is disabled; they leave with the first sync after it is enabled again.", total)
    : _("Nothing of yours waits to be sent.");
}

function sealedCaseScreen(item, back) {
  show(h("section", { className: "card narrow" },
    h("h1", {}, _("Case kept sealed")),
    h("p", { id: "sealed-case-count" }, ngettext("%(count)s entry of this case waits to be sent.", "%(count)s entries of this case wait to be sent.", item.count)),
    h("p", {}, _("Its notes stay sealed on this device for your account, and open again once it is enabled.")),
    h("button", { type: "button", onclick: back }, _("Back"))));
}

// The only screen of a disabled account: what happened, what the device keeps, what to do.
export async function disabledScreen(state, { header, retry, lockNow, message = "" }) {
  const back = () => disabledScreen(state, { header, retry, lockNow });
  const work = await unsentWork(state);
  const total = work.reduce((sum, item) => sum + item.count, 0);
  const kept = (await drafts.list(state.vault)).map(([id]) => id);
  const draft = kept.includes("new");
  const edits = kept.filter((id) => id !== "new").length;
  const error = errorLine("disabled-error");
  error.textContent = message;
  show(header(), h("section", { className: "card", id: "account-disabled" },
    h("h1", {}, _("This account is disabled")),
    h("p", {}, _("An administrator disabled your account. The cases the server already holds were removed from this device; the server keeps them, nothing of them is lost.")),
    h("p", { id: "disabled-waiting" }, waitingText(total)),
    work.length ? h("ul", { className: "case-list", id: "disabled-cases" }, work.map((item) => h("li", { "data-case": item.id },
      h("button", { type: "button", className: "case-link", onclick: () => sealedCaseScreen(item, back) },
        ngettext("Case opened on %(date)s: %(count)s entry waiting", "Case opened on %(date)s: %(count)s entries waiting", item.count,
          { date: formatDate(item.created) }))))) : null,
    draft ? h("p", { id: "disabled-draft" }, _("Your unsaved intake draft is kept on this device.")) : null,
    edits ? h("p", { id: "disabled-edit-drafts" }, ngettext("Your unsaved edit of %(count)s case is kept on this device, with the case.",
      "Your unsaved edits of %(count)s cases are kept on this device, with their cases.", edits)) : null,
    h("p", { className: "notice" }, _("What to do: contact your coordinator or your administrator. Nothing new can be recorded here until your account is enabled again.")),
    h("div", { className: "actions" },
      h("button", { type: "button", id: "disabled-retry", className: "primary", onclick: async (event) => {
        event.target.disabled = true;
        announce(_("Checking with the server…"));
        await retry();
      } }, _("Try again")),
      h("button", { type: "button", id: "lock-now", onclick: lockNow }, _("Lock"))),
    error));
}
