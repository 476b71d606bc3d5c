// A disabled account on this device (docs/PROTOCOL.md 8.12, "A disabled account"). When the
// server answers `account-disabled`, the device notes it in its device record, keeps only the
// work the server does not hold yet (sealed, unsent, unopened), and offers nothing new until a
// sync finds the account enabled again.

import { ApiProblem } from "../api.js";
import { _ } from "../i18n.js";
import { updateDevice } from "../store/vault.js";
import { syncState } from "./sync.js";
import { announce, errorLine, h, show } from "./ui.js";

export function isAccountDisabled(problem) {
  return problem instanceof ApiProblem && problem.code === "account-disabled";
}

export function accountDisabled(state) {
  return Boolean(state.vault.device.accountDisabled);
}

// The cases this device holds work of that the server lacks, with how many entries wait in each:
// unsent, refused, or in a case set aside.
export async function unsentWork(state) {
  const waiting = new Map();
  for (const [, item] of await state.vault.list("outbox")) waiting.set(item.caseId, (waiting.get(item.caseId) ?? 0) + 1);
  const cases = [];
  for (const [id, record] of await state.vault.list("case")) {
    const count = (waiting.get(id) ?? 0) + (record.refused?.length ?? 0);
    if (count || record.pending || record.setAside) cases.push({ id, count, created: record.created, setAside: Boolean(record.setAside) });
  }
  return cases;
}

// Every case the server holds whole leaves the device, whatever the team's retention: nothing is
// lost, and a disabled person's phone, lost or taken, then holds only what it alone has.
export async function leaveDevice(state) {
  const kept = new Set((await unsentWork(state)).map((item) => item.id));
  for (const [id] of await state.vault.list("case")) if (!kept.has(id)) await state.vault.delete("case", id);
  // Pulled again from the start once the account is enabled: the cases removed here come back.
  await state.vault.put("sync", "state", { ...(await syncState(state)), cursor: 0 });
  state.vault.device = await updateDevice({ accountDisabled: { at: Date.now() } });
}

// The server took a session again: the account is enabled, everything works as before.
export async function accountEnabled(state) {
  if (!accountDisabled(state)) return;
  state.vault.device = await updateDevice({ accountDisabled: null });
}

function waitingText(total) {
  return total
    ? _("%(count)s entries wait on this device. The server refuses them while the account is disabled; they leave with the first sync after it is enabled again.", { count: total })
    : _("Nothing of yours waits to be sent.");
}

function sealedCaseScreen(item, back) {
  show(h("section", { className: "card narrow" },
    h("h1", {}, _("Case kept sealed")),
    h("p", { id: "sealed-case-count" }, _("%(count)s entries of this case wait to be sent.", { count: item.count })),
    h("p", {}, _("Its notes stay sealed on this device for your account, and open again once it is enabled.")),
    h("button", { type: "button", onclick: back }, _("Back"))));
}

// The only screen of a disabled account: what happened, what the device keeps, what to do.
export async function disabledScreen(state, { header, retry, lockNow, panic, message = "" }) {
  const back = () => disabledScreen(state, { header, retry, lockNow, panic });
  const work = await unsentWork(state);
  const total = work.reduce((sum, item) => sum + item.count, 0);
  const draft = await state.vault.get("draft", "new");
  const error = errorLine("disabled-error");
  error.textContent = message;
  show(header(), h("section", { className: "card", id: "account-disabled" },
    h("h1", {}, _("This account is disabled")),
    h("p", {}, _("An administrator disabled your account. The cases the server already holds were removed from this device; the server keeps them, nothing of them is lost.")),
    h("p", { id: "disabled-waiting" }, waitingText(total)),
    work.length ? h("ul", { className: "case-list", id: "disabled-cases" }, work.map((item) => h("li", { "data-case": item.id },
      h("button", { type: "button", className: "case-link", onclick: () => sealedCaseScreen(item, back) },
        _("Case opened on %(date)s: %(count)s entries waiting", { date: new Date(item.created).toLocaleDateString(), count: item.count }))))) : null,
    draft ? h("p", { id: "disabled-draft" }, _("Your unsaved intake draft is kept on this device.")) : null,
    h("p", { className: "notice" }, _("What to do: contact your coordinator or your administrator. Nothing new can be recorded here until your account is enabled again.")),
    h("div", { className: "actions" },
      h("button", { type: "button", id: "disabled-retry", className: "primary", onclick: async (event) => {
        event.target.disabled = true;
        announce(_("Checking with the server…"));
        await retry();
      } }, _("Try again")),
      h("button", { type: "button", id: "lock-now", onclick: lockNow }, _("Lock"))),
    error,
    panic()));
}
