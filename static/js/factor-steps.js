// The second factor's steps on the server's pages (login, enrolment): the key asked for after the
// passphrase, a recovery code instead, the first key's registration and its recovery codes shown
// once. The ceremonies themselves are sync/factors.js's; this draws and words them.

import { _ } from "./i18n.js";
import { ApiProblem } from "./sync/api.js";
import {
  addFactor, ceremonyCancelled, FactorUnsupported, finishWithKey, finishWithRecoveryCode, registerFirstKey,
} from "./sync/factors.js";

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

/** What went wrong, in words; `retry` says whether trying again may help. */
export function factorProblem(problem) {
  if (ceremonyCancelled(problem)) {
    return { text: _("The security key did not answer: it was cancelled or the time ran out."), retry: true };
  }
  if (problem instanceof FactorUnsupported) {
    return { text: _("This browser cannot use a security key or passkey. Open Carnet in an up-to-date browser."), retry: false };
  }
  if (problem?.name === "InvalidStateError") {
    return { text: _("This security key is already registered for your account."), retry: true };
  }
  if (problem instanceof ApiProblem) return { text: problem.message, retry: problem.code === "network" };
  return { text: _("Something went wrong with the security key. Try again."), retry: true };
}

/**
 * The recovery codes, shown once, with a copy button; resolves when the person says they wrote
 * them down.
 */
export function showRecoveryCodes(container, codes) {
  return new Promise((resolve) => {
    const copied = el("p", { id: "codes-copied", className: "status", role: "status" });
    const done = el("button", { type: "button", id: "codes-done", className: "primary" }, _("I have written them down"));
    done.addEventListener("click", () => resolve());
    container.replaceChildren(
      el("h2", { id: "codes-title", tabindex: "-1" }, _("Your recovery codes")),
      el("p", {}, _("Write these codes down and keep them away from your key. Each one lets you log in once without your key, if you lose it. They are not shown again.")),
      el("ol", { id: "recovery-codes", className: "recovery-codes", dir: "ltr" }, codes.map((code) => el("li", {}, el("code", {}, code)))),
      el("div", { className: "actions" },
        el("button", { type: "button", id: "codes-copy", onclick: async () => {
          try {
            await navigator.clipboard.writeText(codes.join("\n"));
            copied.textContent = _("Copied.");
          } catch {
            copied.textContent = _("Copying is not allowed here: write them down by hand.");
          }
        } }, _("Copy the codes")), done),
      copied);
    container.querySelector("#codes-title").focus();
  });
}

function keyNameField(id) {
  const input = el("input", { id, type: "text", autocomplete: "off", maxlength: "60", dir: "auto" });
  input.value = _("My security key");
  return { input, field: el("div", { className: "field" }, el("label", { for: id }, _("Name of the key")), input) };
}

/**
 * The first key's registration (a login or an enrolment the policy asks a factor for): resolves
 * to the server's answer (the login's, with `recovery_codes`) once the codes were shown.
 * `register(name)` defaults to the pending login's registration.
 */
export function registrationStep(container, { back = null, register = registerFirstKey, optional = false } = {}) {
  return new Promise((resolve, reject) => {
    const error = el("p", { id: "factor-error", className: "error", role: "alert" });
    const status = el("p", { id: "factor-status", className: "status", role: "status" });
    const { input, field } = keyNameField("factor-name");
    const go = el("button", { type: "button", id: "factor-register", className: "primary" }, _("Register a security key"));
    go.addEventListener("click", async () => {
      error.textContent = "";
      go.disabled = true;
      status.textContent = _("Touch your security key or confirm on this device…");
      try {
        const answer = await register(input.value.trim() || _("My security key"));
        status.textContent = "";
        if (answer.recovery_codes?.length) await showRecoveryCodes(container, answer.recovery_codes);
        resolve(answer);
      } catch (problem) {
        status.textContent = "";
        error.textContent = factorProblem(problem).text;
        go.textContent = _("Try again");
        go.disabled = false;
      }
    });
    const title = optional ? _("Add a security key (recommended)") : _("Register a security key");
    const why = optional
      ? _("A security key or passkey, asked for after your passphrase, keeps your account closed to someone who learnt the passphrase.")
      : _("This account requires a security key or passkey, asked for at each login after your passphrase. Register one now.");
    const leave = back && el("button", { type: "button", id: "factor-back" }, optional ? _("Later") : _("Back"));
    leave?.addEventListener("click", () => reject(new StepLeft("left")));
    container.replaceChildren(el("h2", { id: "factor-title", tabindex: "-1" }, title), el("p", {}, why), field,
      el("div", { className: "actions" }, go, leave), status, error);
    container.querySelector("#factor-title").focus();
  });
}

/**
 * The second factor of a login whose passphrase the server took: the key (asked for at once),
 * a recovery code instead, or the first key's registration. Resolves to the login's answer;
 * rejects with StepLeft when the person goes back to the passphrase.
 */
export function secondFactorStep(container, factor, { back }) {
  if (!factor.registered) return registrationStep(container, { back });
  return new Promise((resolve, reject) => {
    const error = el("p", { id: "factor-error", className: "error", role: "alert" });
    const status = el("p", { id: "factor-status", className: "status", role: "status" });
    const useKey = el("button", { type: "button", id: "factor-key", className: "primary" }, _("Use my security key"));
    const code = el("input", { id: "recovery-code", type: "text", autocomplete: "off", autocapitalize: "none",
      spellcheck: "false", dir: "ltr", inputmode: "text", "aria-describedby": "recovery-code-hint" });
    const codeForm = el("form", { id: "recovery-form", hidden: true, novalidate: true },
      el("div", { className: "field" }, el("label", { for: "recovery-code" }, _("Recovery code")), code,
        el("p", { id: "recovery-code-hint", className: "hint" }, _("One of the codes you wrote down when you registered your key. Each works once."))),
      el("button", { type: "submit", className: "primary", id: "recovery-submit" }, _("Log in with this code")));
    const showCode = el("button", { type: "button", id: "factor-use-code", className: "link-button" }, _("Use a recovery code"));
    const leave = el("button", { type: "button", id: "factor-back" }, _("Back"));
    const fail = (problem) => {
      status.textContent = "";
      const { text } = factorProblem(problem);
      error.textContent = text;
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
      const typed = code.value.trim();
      if (!typed) {
        error.textContent = _("Enter one of your recovery codes.");
        return;
      }
      try {
        resolve(await finishWithRecoveryCode(typed));
      } catch (problem) {
        code.value = "";
        fail(problem);
      }
    });
    leave.addEventListener("click", () => reject(new StepLeft("left")));
    container.replaceChildren(el("h2", { id: "factor-title", tabindex: "-1" }, _("Security key")),
      el("p", {}, _("This account asks for your security key or passkey after the passphrase.")),
      el("div", { className: "actions" }, useKey, showCode), codeForm, status, error,
      el("div", { className: "actions" }, leave));
    container.querySelector("#factor-title").focus();
    // The passphrase's button was the person's gesture: the key is asked for at once.
    withKey();
  });
}

/** Enrolment without a required factor: the optional key, logged in, with "Later". */
export function optionalKeyStep(container) {
  return registrationStep(container, { back: true, optional: true, register: async (name) => {
    const answer = await addFactor(name);
    return answer;
  } }).catch((problem) => {
    if (problem instanceof StepLeft) return null;
    throw problem;
  });
}
