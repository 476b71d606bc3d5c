// The second factor's step, drawn alike on the login page, the enrolment page and in the app:
// the key (asked for at once), a recovery code instead, the first key's registration, and the
// recovery codes shown once. A leaf: the ceremonies with the server (sync/factors.js) are given
// by the caller, so that the server pages and the app share one step without importing each
// other (tests/test_js_floors.py).

import { _ } from "./i18n.js";

// A refused factor spends the pending login (one try each), as does one that timed out.
const LOGIN_SPENT = ["second-factor-failed", "second-factor-not-pending", "account-disabled", "login-throttled", "login-locked"];

/** The person chose "Back": the step is left, nothing was completed. */
export class StepLeft extends Error {
  name = "StepLeft";
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "className") node.className = value;
    else if (key === "hidden") node.hidden = Boolean(value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return node;
}

// The server's refusal (sync/api.js's ApiProblem, which carries the problem document).
function serverProblem(problem) {
  return typeof problem?.code === "string" && typeof problem?.problem === "object";
}

function spent(problem) {
  return serverProblem(problem) && LOGIN_SPENT.includes(problem.code);
}

/** What went wrong with a key or a code, in words. */
export function factorProblemText(problem) {
  if (problem?.name === "NotAllowedError" || problem?.name === "AbortError") {
    return _("The security key did not answer: it was cancelled or the time ran out.");
  }
  if (problem?.name === "FactorUnsupported") {
    return _("This browser cannot use a security key or passkey. Open Carnet in an up-to-date browser.");
  }
  if (problem?.name === "InvalidStateError") return _("This security key is already registered for your account.");
  if (serverProblem(problem)) return problem.message;
  return _("Something went wrong with the security key. Try again.");
}

function lines() {
  return { error: el("p", { id: "factor-error", className: "error", role: "alert" }),
    status: el("p", { id: "factor-status", className: "status", role: "status" }) };
}

/** A key's name, prefilled. */
export function keyNameField(id) {
  const input = el("input", { id, type: "text", autocomplete: "off", maxlength: "60", dir: "auto" });
  input.value = _("My security key");
  return { input, field: el("div", { className: "field" }, el("label", { for: id }, _("Name of the key")), input) };
}

/** The recovery codes, shown once with a copy button; resolves when the person wrote them down. */
export function recoveryCodesPanel(container, codes) {
  return new Promise((resolve) => {
    const copied = el("p", { id: "codes-copied", className: "status", role: "status" });
    const copy = async () => {
      try {
        await navigator.clipboard.writeText(codes.join("\n"));
        copied.textContent = _("Copied.");
      } catch {
        copied.textContent = _("Copying is not allowed here: write them down by hand.");
      }
    };
    const title = el("h2", { id: "codes-title", tabindex: "-1" }, _("Your recovery codes"));
    container.replaceChildren(title,
      el("p", {}, _("Write these codes down and keep them away from your key. Each one lets you log in once without your key, if you lose it. They are not shown again.")),
      el("ol", { id: "recovery-codes", className: "recovery-codes", dir: "ltr" }, codes.map((code) => el("li", {}, el("code", {}, code)))),
      el("div", { className: "actions" },
        el("button", { type: "button", id: "codes-copy", onclick: copy }, _("Copy the codes")),
        el("button", { type: "button", id: "codes-done", className: "primary", onclick: () => resolve() }, _("I have written them down"))),
      copied);
    title.focus();
  });
}

/**
 * A key's registration: `register(name)` is the pending login's first key or one added to an
 * account. Resolves to the server's answer once its recovery codes (if any) were shown; with
 * `leave: "later"` resolves to null on "Later"; with `leave: "back"` rejects with StepLeft on
 * "Back". A refusal that spent the pending login rejects with it.
 */
export function registrationStep(container, register, { leave = null, optional = false } = {}) {
  return new Promise((resolve, reject) => {
    const { error, status } = lines();
    const { input, field } = keyNameField("factor-name");
    const go = el("button", { type: "button", id: "factor-register", className: "primary" }, _("Register a security key"));
    go.addEventListener("click", async () => {
      error.textContent = "";
      go.disabled = true;
      status.textContent = _("Touch your security key or confirm on this device…");
      try {
        const answer = await register(input.value.trim() || _("My security key"));
        status.textContent = "";
        if (answer.recovery_codes?.length) await recoveryCodesPanel(container, answer.recovery_codes);
        resolve(answer);
      } catch (problem) {
        if (spent(problem)) {
          reject(problem);
          return;
        }
        status.textContent = "";
        error.textContent = factorProblemText(problem);
        go.textContent = _("Try again");
        go.disabled = false;
      }
    });
    const title = el("h2", { id: "factor-title", tabindex: "-1" },
      optional ? _("Add a security key (recommended)") : _("Register a security key"));
    const why = optional
      ? _("A security key or passkey, asked for after your passphrase, keeps your account closed to someone who learnt the passphrase.")
      : _("This account requires a security key or passkey, asked for at each login after your passphrase. Register one now.");
    const away = leave === "later"
      ? el("button", { type: "button", id: "factor-later", onclick: () => resolve(null) }, _("Later"))
      : leave === "back" && el("button", { type: "button", id: "factor-back", onclick: () => reject(new StepLeft("left")) }, _("Back"));
    container.replaceChildren(title, el("p", {}, why), field, el("div", { className: "actions" }, go, away || null),
      status, error);
    title.focus();
  });
}

/**
 * The second factor of a login whose passphrase the server took, drawn in `container`, with the
 * ceremonies of sync/factors.js (`finishWithKey`, `finishWithRecoveryCode`, `registerFirstKey`).
 * Resolves to the login's answer; rejects with StepLeft on "Back", or with the server's refusal
 * when it spent the pending login (the passphrase comes first again). The key is asked for at
 * once: the button just pressed was the person's gesture.
 */
export function secondFactorStep(container, factor, ceremonies) {
  if (!factor.registered) return registrationStep(container, ceremonies.registerFirstKey, { leave: "back" });
  return new Promise((resolve, reject) => {
    const { error, status } = lines();
    const useKey = el("button", { type: "button", id: "factor-key", className: "primary" }, _("Use my security key"));
    const code = el("input", { id: "recovery-code", type: "text", autocomplete: "off", autocapitalize: "none",
      spellcheck: "false", dir: "ltr", inputmode: "text", "aria-describedby": "recovery-code-hint" });
    const codeForm = el("form", { id: "recovery-form", hidden: true, novalidate: true },
      el("div", { className: "field" }, el("label", { for: "recovery-code" }, _("Recovery code")), code,
        el("p", { id: "recovery-code-hint", className: "hint" }, _("One of the codes you wrote down when you registered your key. Each works once."))),
      el("button", { type: "submit", className: "primary", id: "recovery-submit" }, _("Log in with this code")));
    const showCode = el("button", { type: "button", id: "factor-use-code", className: "link-button" }, _("Use a recovery code"));
    const fail = (problem) => {
      if (spent(problem)) {
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
        resolve(await ceremonies.finishWithKey(factor.options));
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
      const typed = code.value.trim();
      if (!typed) {
        error.textContent = _("Enter one of your recovery codes.");
        return;
      }
      try {
        resolve(await ceremonies.finishWithRecoveryCode(typed));
      } catch (problem) {
        code.value = "";
        fail(problem);
      }
    });
    const title = el("h2", { id: "factor-title", tabindex: "-1" }, _("Security key"));
    container.replaceChildren(title,
      el("p", {}, _("This account asks for your security key or passkey after the passphrase.")),
      el("div", { className: "actions" }, useKey, showCode), codeForm, status, error,
      el("div", { className: "actions" },
        el("button", { type: "button", id: "factor-back", onclick: () => reject(new StepLeft("left")) }, _("Back"))));
    title.focus();
    withKey();
  });
}
