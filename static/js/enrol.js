import { registrationStep } from "./factor-step.js";
import { _, loadCatalog } from "./i18n.js";
import { checkPassphrase } from "./passphrase.js";
import {
  authForServer, b64urlDecode, CarnetCryptoError, deriveAccountSecrets, InvalidKdfParameters,
} from "./protocol/index.js";
import { profile } from "./store/records.js";
import { createDevice, DeviceInUse } from "./store/vault.js";
import { pinOffered, publishNewAccountKeys } from "./sync/account.js";
import { ApiProblem, callApi } from "./sync/api.js";
import { addFactor, platformKeyAvailable, registerFirstKey } from "./sync/factors.js";

const FINGERPRINT_BYTES = 32;
const form = document.getElementById("enrol-form");
const status = document.getElementById("enrol-status");
const error = document.getElementById("enrol-error");
const nameField = document.getElementById("display-name");
const passphraseField = document.getElementById("passphrase");
const againField = document.getElementById("passphrase-again");
const factorSection = document.getElementById("factor-step");
const linkParams = new URLSearchParams(location.hash.slice(1));
const token = linkParams.get("token") || "";
const linkFingerprint = linkParams.get("association");
let kdf = null;
let pinnedAssociation = null;
let invitation = null;

// A link cut off in a message (a line break, a length limit) loses the end of its association
// part: said as such, rather than as a failure of the server, which did answer.
class CutOffLink extends Error {}

function checkLinkFingerprint() {
  if (linkFingerprint === null) return;
  let decoded = null;
  try {
    decoded = b64urlDecode(linkFingerprint);
  } catch {
    decoded = null;
  }
  if (!decoded || decoded.length !== FINGERPRINT_BYTES) throw new CutOffLink("the association part is incomplete");
}

function showProblem(problem) {
  status.textContent = "";
  if (problem instanceof CutOffLink) {
    error.textContent = _("This enrolment link is cut off: its end is missing. Open the whole link, or ask for it again.");
  } else if (problem instanceof InvalidKdfParameters) {
    error.textContent = _("The server asked for weak key settings; enrolment was stopped to protect you.");
  } else if (problem instanceof DeviceInUse) {
    error.textContent = _("This device already holds another person's Carnet. Enrol on another device, or wipe that one first.");
  } else if (problem instanceof CarnetCryptoError) {
    error.textContent = _("The association key offered by the server does not match your link. Do not go on: tell your coordinator.");
  } else {
    // A refused name comes with the server's own reason, translated there.
    const reason = problem instanceof ApiProblem ? problem.problem?.fields?.display_name : null;
    error.textContent = reason || (problem instanceof ApiProblem ? problem.message
      : _("Something went wrong on this device. Nothing was saved."));
  }
}

async function start() {
  await loadCatalog();
  if (!token) {
    status.textContent = "";
    error.textContent = _("This enrolment link is not valid.");
    return;
  }
  try {
    checkLinkFingerprint();
    invitation = await callApi("POST", "/api/v1/enrolment/start", { token });
    // A link made before the association key existed carries no fingerprint: the first admin's.
    if (linkFingerprint || invitation.association) {
      await pinOffered(invitation.association, linkFingerprint);
      pinnedAssociation = invitation.association;
    }
    kdf = invitation.kdf;
    document.getElementById("enrol-email").textContent = invitation.email;
    if (invitation.kind === "reset") showResetMode();
    status.textContent = "";
    form.hidden = false;
    document.getElementById("enrol-submit").disabled = false;
    (invitation.kind === "reset" ? passphraseField : nameField).focus();
  } catch (problem) {
    showProblem(problem);
  }
}

// A reset link: what will happen is said before the form, and the name is not asked again.
function showResetMode() {
  const title = document.getElementById("enrol-title");
  title.textContent = title.dataset.resetTitle;
  document.getElementById("reset-explainer").hidden = false;
  document.getElementById("display-name-field").hidden = true;
  nameField.required = false;
}

async function passphraseRefusal(passphrase, again) {
  if (invitation.kind !== "reset" && !nameField.value.trim()) return _("Enter your name.");
  const weakness = await checkPassphrase(passphrase, { email: invitation.email });
  if (weakness) return weakness;
  if (passphrase !== again) return _("The two passphrases differ.");
  return "";
}

async function finish(secrets) {
  const auth = authForServer(secrets.auth);
  if (invitation.kind === "reset") return callApi("POST", "/api/v1/enrolment/reset", { token, auth });
  return callApi("POST", "/api/v1/enrolment/finish", { token, display_name: nameField.value.trim(), auth });
}

// The second factor at enrolment (docs/PROTOCOL.md, "Second factor (WebAuthn)"): when the
// person's policy requires one, the server leaves the login pending until the first key is
// registered, which finishes it; otherwise a key is offered, with "Later". Resolves to the
// server's answer (with the recovery codes, shown once before), or null for "Later".
function keyStep(required) {
  form.hidden = true;
  status.textContent = "";
  factorSection.hidden = false;
  return registrationStep(factorSection, required ? registerFirstKey : addFactor,
    { leave: required ? null : "later", optional: !required });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  const passphrase = passphraseField.value;
  const again = againField.value;
  // Out of the page at once: a browser's password manager finds nothing to offer to keep.
  passphraseField.value = "";
  againField.value = "";
  const refusal = await passphraseRefusal(passphrase, again);
  if (refusal) {
    error.textContent = refusal;
    passphraseField.focus();
    return;
  }
  status.textContent = _("Making your keys on this device…");
  try {
    const secrets = await deriveAccountSecrets(passphrase, kdf);
    let session = await finish(secrets);
    // The token has been used: take it out of the address bar and the history.
    history.replaceState(null, "", "/enrol");
    const required = Boolean(session.second_factor);
    if (required) session = await keyStep(true);
    factorSection.hidden = true;
    status.textContent = _("Making your keys on this device…");
    const blob = await publishNewAccountKeys(session.person.id, secrets.kek);
    // This device becomes the person's first: its store opens with the same passphrase, and it
    // keeps the association key pinned by the link's fingerprint.
    const vault = await createDevice({ userId: session.person.id, kdf, kek: secrets.kek, accountKeyBlob: blob,
      association: pinnedAssociation, settings: { language: document.documentElement.lang } });
    await profile.put(vault, session.person);
    await navigator.storage?.persist?.();
    secrets.auth.fill(0);
    // Offered where this device can hold a passkey itself; a security key is added in the settings.
    if (!required && await platformKeyAvailable()) await keyStep(false);
    factorSection.hidden = true;
    // The app tells its service worker this role, so that its screens are kept for offline use
    // before the first unlock (app/sw-groups.js).
    location.assign(`/app#role=${encodeURIComponent(session.person.role)}`);
  } catch (problem) {
    showProblem(problem);
  }
});

start();
