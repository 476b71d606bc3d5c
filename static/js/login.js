import { _, loadCatalog } from "./i18n.js";
import { InvalidKdfParameters } from "./protocol/index.js";
import { safeNext } from "./redirect.js";
import { ApiProblem } from "./sync/api.js";
import { secondFactorStep, StepLeft } from "./factor-step.js";
import { finishWithKey, finishWithRecoveryCode, registerFirstKey } from "./sync/factors.js";
import { logIn } from "./sync/session.js";

const form = document.getElementById("login-form");
const status = document.getElementById("login-status");
const error = document.getElementById("login-error");
const submit = document.getElementById("login-submit");
const emailField = document.getElementById("email");
const passphraseField = document.getElementById("passphrase");
const factorSection = document.getElementById("factor-step");
const catalogReady = loadCatalog();

// After the passphrase, when the server asks for the second factor: the form gives way to the
// step (key, recovery code, or the first key's registration); "Back" brings the form back.
function secondFactor(factor) {
  form.hidden = true;
  factorSection.hidden = false;
  return secondFactorStep(factorSection, factor, { finishWithKey, finishWithRecoveryCode, registerFirstKey });
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
