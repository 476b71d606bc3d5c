import { _, loadCatalog } from "./i18n.js";
import { InvalidKdfParameters } from "./protocol/index.js";
import { safeNext } from "./redirect.js";
import { ApiProblem } from "./sync/api.js";
import {
  ceremonyCancelled, FactorUnsupported, finishWithKey, finishWithRecoveryCode, registerFirstKey,
} from "./sync/factors.js";
import { logIn } from "./sync/session.js";

const form = document.getElementById("login-form");
const status = document.getElementById("login-status");
const error = document.getElementById("login-error");
const submit = document.getElementById("login-submit");
const emailField = document.getElementById("email");
const passphraseField = document.getElementById("passphrase");
const factorSection = document.getElementById("factor-step");
const catalogReady = loadCatalog();

// The second factor after the passphrase, when the server asks for it: the key (asked for at
// once), a recovery code instead, or the first key's registration with its recovery codes.

// A refused factor spends the pending login (one try each), as does one that timed out.
const LOGIN_SPENT = ["second-factor-failed", "second-factor-not-pending", "account-disabled", "login-throttled", "login-locked"];

/** The person chose "Back": the step is left, nothing was completed. */
class StepLeft extends Error {
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
function factorProblem(problem) {
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
function showRecoveryCodes(container, codes) {
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
function registrationStep(container, { back = null, register = registerFirstKey, optional = false } = {}) {
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
        if (problem instanceof ApiProblem && LOGIN_SPENT.includes(problem.code)) {
          reject(problem);
          return;
        }
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
function secondFactorStep(container, factor, { back }) {
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
      // The server refused the factor or no longer waits for one: this login is spent, and the
      // passphrase comes first again (the reason is said there).
      if (problem instanceof ApiProblem && LOGIN_SPENT.includes(problem.code)) {
        reject(problem);
        return;
      }
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

// After the passphrase, when the server asks for the second factor: the form gives way to the
// step (key, recovery code, or the first key's registration); "Back" brings the form back.
function secondFactor(factor) {
  form.hidden = true;
  factorSection.hidden = false;
  return secondFactorStep(factorSection, factor, { back: true });
}

function backToPassphrase() {
  factorSection.hidden = true;
  factorSection.replaceChildren();
  form.hidden = false;
  status.textContent = "";
  passphraseField.focus();
}

// A failure after the step (a stronger KDF refused, the server gone) is said beside the form.
function backToPassphraseOnError() {
  if (form.hidden) backToPassphrase();
}

function nextPage() {
  return safeNext(new URLSearchParams(location.search).get("next"));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  await catalogReady;
  error.textContent = "";
  const email = emailField.value.trim();
  const passphrase = passphraseField.value;
  // Out of the page at once: a browser's password manager finds nothing to offer to keep.
  passphraseField.value = "";
  if (!email || !passphrase) {
    error.textContent = _("Enter your email address and your passphrase.");
    return;
  }
  submit.disabled = true;
  status.textContent = _("Unlocking your keys on this device…");
  try {
    // The server's policy may have been strengthened since enrolment: logIn derives again then.
    const { secrets } = await logIn(email, passphrase, {
      strengthening: () => { status.textContent = _("Strengthening the protection of your keys…"); },
      secondFactor,
    });
    secrets.auth.fill(0);
    status.textContent = _("Logged in.");
    location.assign(nextPage());
  } catch (problem) {
    status.textContent = "";
    submit.disabled = false;
    if (problem instanceof StepLeft) return backToPassphrase();
    backToPassphraseOnError();
    if (problem instanceof InvalidKdfParameters) {
      error.textContent = _("The server asked for weak key settings; login was stopped to protect you.");
    } else if (problem instanceof ApiProblem) {
      error.textContent = problem.message;
    } else {
      error.textContent = _("Something went wrong on the server. Nothing was saved.");
    }
    submit.disabled = false;
  }
});

// Only now can the form be used: before this script ran, it could not be submitted at all.
submit.disabled = false;
