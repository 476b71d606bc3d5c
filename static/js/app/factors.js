// The second factor in the app: the step of a device's set-up or of a login again (the key, a
// recovery code instead, or the first key's registration), and the settings' "Security keys and
// passkeys" (list, add, remove, recovery codes). The ceremonies are sync/factors.js's.

import { _, formatDateTime, ngettext } from "../i18n.js";
import { ApiProblem } from "../sync/api.js";
import { factorProblemText, keyNameField, recoveryCodesPanel, secondFactorStep } from "../factor-step.js";
import {
  addFactor, finishWithKey, finishWithRecoveryCode, listFactors, registerFirstKey, removeFactor, renewRecoveryCodes,
} from "../sync/factors.js";
import { announce, confirmDialog, errorLine, h } from "./ui.js";

function statusLine() {
  return h("p", { id: "factor-status", className: "status", role: "status" });
}

/**
 * The second factor of a login the server took the passphrase of, drawn in `container`: resolves
 * to the login's answer, rejects with StepLeft on "Back" (factor-step.js).
 */
export function secondFactorPanel(container, factor) {
  return secondFactorStep(container, factor, { finishWithKey, finishWithRecoveryCode, registerFirstKey });
}

// Settings: one's own keys ------------------------------------------------------------------

// The server's times are in seconds.
function dateText(seconds) {
  return seconds ? formatDateTime(seconds * 1000) : _("never");
}

function factorRow(item, redraw, error) {
  const remove = h("button", { type: "button", className: "danger", "data-factor": item.id,
    "aria-label": _("Remove the key %(name)s", { name: item.name }) }, _("Remove"));
  remove.addEventListener("click", async () => {
    const sure = await confirmDialog({ id: "remove-factor-dialog", title: _("Remove this key?"),
      text: _("“%(name)s” will no longer open your account.", { name: item.name }), confirm: _("Remove") });
    if (!sure) return;
    error.textContent = "";
    try {
      await removeFactor(item.id);
      announce(_("The key was removed."));
      await redraw();
    } catch (problem) {
      error.textContent = problem instanceof ApiProblem && problem.code === "last-factor-required"
        ? _("This is your last key, and your account requires one: add another key before removing this one.")
        : factorProblemText(problem);
    }
  });
  return h("li", { className: "factor" },
    h("p", {}, h("strong", { dir: "auto" }, item.name)),
    h("p", { className: "hint" }, _("Added %(date)s; last used: %(used)s.", { date: dateText(item.created_at), used: dateText(item.last_used_at) })),
    remove);
}

/** "Security keys and passkeys" in the settings: needs the network; says so otherwise. */
export function factorsSection() {
  const body = h("div", { id: "factors-body" }, h("p", { className: "hint" }, _("Loading…")));
  const section = h("section", { id: "factors", "aria-labelledby": "factors-title" },
    h("h2", { id: "factors-title" }, _("Security keys and passkeys")), body);
  const error = errorLine("factors-error");
  const codesPlace = h("div", { id: "factors-codes" });

  async function redraw() {
    let mine;
    try {
      mine = await listFactors();
    } catch (problem) {
      body.replaceChildren(h("p", { className: "hint", id: "factors-problem" }, factorProblemText(problem)));
      return;
    }
    const status = statusLine();
    const { input, field: row } = keyNameField("new-factor-name");
    const add = h("button", { type: "button", id: "add-factor" }, _("Add a security key"));
    add.addEventListener("click", async () => {
      error.textContent = "";
      add.disabled = true;
      status.textContent = _("Touch your security key or confirm on this device…");
      try {
        const answer = await addFactor(input.value.trim() || _("My security key"));
        status.textContent = "";
        if (answer.recovery_codes?.length) await recoveryCodesPanel(codesPlace, answer.recovery_codes);
        codesPlace.replaceChildren();
        announce(_("The key was added."));
        await redraw();
      } catch (problem) {
        status.textContent = "";
        error.textContent = factorProblemText(problem);
        add.disabled = false;
      }
    });
    const renew = h("button", { type: "button", id: "renew-codes" }, _("New recovery codes"));
    renew.addEventListener("click", async () => {
      error.textContent = "";
      try {
        const codes = await renewRecoveryCodes();
        await recoveryCodesPanel(codesPlace, codes);
        codesPlace.replaceChildren();
        await redraw();
      } catch (problem) {
        error.textContent = factorProblemText(problem);
      }
    });
    body.replaceChildren(...[
      mine.required ? h("p", { className: "hint" }, _("Your account requires a security key or passkey after the passphrase.")) : null,
      mine.factors.length
        ? h("ul", { id: "factor-list", className: "factor-list" }, mine.factors.map((item) => factorRow(item, redraw, error)))
        : h("p", { id: "factor-none" }, _("No security key yet.")),
      row, add, status,
      h("p", { id: "codes-left" }, ngettext("%(count)s recovery code left.", "%(count)s recovery codes left.", mine.recovery_codes_left)),
      renew, codesPlace, error].filter(Boolean));
  }

  redraw();
  return section;
}
