// The second factor in the app: the step of a device's set-up or of a login again (the key, a
// recovery code instead, or the first key's registration), and the settings' "Security keys and
// passkeys" (list, add, remove, recovery codes). The ceremonies are sync/factors.js's.

import { _, formatDateTime, ngettext } from "../i18n.js";
import { ApiProblem } from "../sync/api.js";
import {
  addFactor, ceremonyCancelled, FactorUnsupported, finishWithKey, finishWithRecoveryCode, listFactors,
  registerFirstKey, removeFactor, renewRecoveryCodes,
} from "../sync/factors.js";
import { announce, confirmDialog, errorLine, field, h } from "./ui.js";

// A refused factor spends the pending login (one try each), as does one that timed out.
const LOGIN_SPENT = ["second-factor-failed", "second-factor-not-pending", "account-disabled", "login-throttled", "login-locked"];

/** The person chose "Back" in the step. */
export class StepLeft extends Error {
  name = "StepLeft";
}

export function factorProblemText(problem) {
  if (ceremonyCancelled(problem)) return _("The security key did not answer: it was cancelled or the time ran out.");
  if (problem instanceof FactorUnsupported) {
    return _("This browser cannot use a security key or passkey. Open Carnet in an up-to-date browser.");
  }
  if (problem?.name === "InvalidStateError") return _("This security key is already registered for your account.");
  if (problem instanceof ApiProblem) return problem.message;
  return _("Something went wrong with the security key. Try again.");
}

function statusLine() {
  return h("p", { id: "factor-status", className: "status", role: "status" });
}

/** The codes, shown once; resolves when the person says they wrote them down. */
export function recoveryCodesPanel(container, codes) {
  return new Promise((resolve) => {
    const copied = h("p", { id: "codes-copied", className: "status", role: "status" });
    const title = h("h2", { id: "codes-title", tabindex: "-1" }, _("Your recovery codes"));
    container.replaceChildren(title,
      h("p", {}, _("Write these codes down and keep them away from your key. Each one lets you log in once without your key, if you lose it. They are not shown again.")),
      h("ol", { id: "recovery-codes", className: "recovery-codes", dir: "ltr" }, codes.map((code) => h("li", {}, h("code", {}, code)))),
      h("div", { className: "actions" },
        h("button", { type: "button", id: "codes-copy", onclick: async () => {
          try {
            await navigator.clipboard.writeText(codes.join("\n"));
            copied.textContent = _("Copied.");
          } catch {
            copied.textContent = _("Copying is not allowed here: write them down by hand.");
          }
        } }, _("Copy the codes")),
        h("button", { type: "button", id: "codes-done", className: "primary", onclick: () => resolve() }, _("I have written them down"))),
      copied);
    title.focus();
  });
}

function keyName(id) {
  const input = h("input", { type: "text", autocomplete: "off", maxlength: "60", dir: "auto" });
  input.value = _("My security key");
  return { input, row: field(id, _("Name of the key"), input) };
}

// The first key of a pending login (the policy asks one and none is registered).
function registration(container, resolve, reject) {
  const error = errorLine("factor-error");
  const status = statusLine();
  const { input, row } = keyName("factor-name");
  const go = h("button", { type: "button", id: "factor-register", className: "primary" }, _("Register a security key"));
  go.addEventListener("click", async () => {
    error.textContent = "";
    go.disabled = true;
    status.textContent = _("Touch your security key or confirm on this device…");
    try {
      const answer = await registerFirstKey(input.value.trim() || _("My security key"));
      status.textContent = "";
      if (answer.recovery_codes?.length) await recoveryCodesPanel(container, answer.recovery_codes);
      resolve(answer);
    } catch (problem) {
      if (problem instanceof ApiProblem && LOGIN_SPENT.includes(problem.code)) {
        reject(problem);
        return;
      }
      status.textContent = "";
      error.textContent = factorProblemText(problem);
      go.textContent = _("Try again");
      go.disabled = false;
    }
  });
  const title = h("h2", { id: "factor-title", tabindex: "-1" }, _("Register a security key"));
  container.replaceChildren(title,
    h("p", {}, _("This account requires a security key or passkey, asked for at each login after your passphrase. Register one now.")),
    row, h("div", { className: "actions" }, go,
      h("button", { type: "button", id: "factor-back", onclick: () => reject(new StepLeft("left")) }, _("Back"))),
    status, error);
  title.focus();
}

/**
 * The second factor of a login the server took the passphrase of, drawn in `container`: resolves
 * to the login's answer, rejects with StepLeft on "Back". The key is asked for at once (the
 * button just pressed was the person's gesture).
 */
export function secondFactorPanel(container, factor) {
  return new Promise((resolve, reject) => {
    if (!factor.registered) {
      registration(container, resolve, reject);
      return;
    }
    const error = errorLine("factor-error");
    const status = statusLine();
    const useKey = h("button", { type: "button", id: "factor-key", className: "primary" }, _("Use my security key"));
    const code = h("input", { type: "text", autocomplete: "off", autocapitalize: "none", spellcheck: "false", dir: "ltr" });
    const codeForm = h("form", { id: "recovery-form", hidden: true, novalidate: true },
      field("recovery-code", _("Recovery code"), code, _("One of the codes you wrote down when you registered your key. Each works once.")),
      h("button", { type: "submit", className: "primary", id: "recovery-submit" }, _("Log in with this code")));
    const showCode = h("button", { type: "button", id: "factor-use-code", className: "link-button" }, _("Use a recovery code"));
    const fail = (problem) => {
      // The server refused the factor or no longer waits for one: this login is spent, and the
      // passphrase comes first again (the reason is said there).
      if (problem instanceof ApiProblem && LOGIN_SPENT.includes(problem.code)) {
        reject(problem);
        return;
      }
      status.textContent = "";
      error.textContent = factorProblemText(problem);
      useKey.textContent = _("Try again");
      useKey.disabled = false;
    };
    const withKey = async () => {
      error.textContent = "";
      useKey.disabled = true;
      status.textContent = _("Touch your security key or confirm on this device…");
      try {
        resolve(await finishWithKey(factor.options));
      } catch (problem) {
        fail(problem);
      }
    };
    useKey.addEventListener("click", withKey);
    showCode.addEventListener("click", () => {
      codeForm.hidden = false;
      showCode.hidden = true;
      code.focus();
    });
    codeForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      if (!code.value.trim()) {
        error.textContent = _("Enter one of your recovery codes.");
        return;
      }
      try {
        resolve(await finishWithRecoveryCode(code.value.trim()));
      } catch (problem) {
        code.value = "";
        fail(problem);
      }
    });
    const title = h("h2", { id: "factor-title", tabindex: "-1" }, _("Security key"));
    container.replaceChildren(title, h("p", {}, _("This account asks for your security key or passkey after the passphrase.")),
      h("div", { className: "actions" }, useKey, showCode), codeForm, status, error,
      h("div", { className: "actions" },
        h("button", { type: "button", id: "factor-back", onclick: () => reject(new StepLeft("left")) }, _("Back"))));
    title.focus();
    withKey();
  });
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
    const { input, row } = keyName("new-factor-name");
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
