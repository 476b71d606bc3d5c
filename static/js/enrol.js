import { ApiProblem, callApi } from "./api.js";
import { _, loadCatalog } from "./i18n.js";
import { pinOffered, publishNewAccountKeys } from "./app/account.js";
import { CarnetCryptoError } from "./protocol/errors.js";
import { authForServer, deriveAccountSecrets, InvalidKdfParameters } from "./kdf.js";
import { createDevice, DeviceInUse } from "./store/vault.js";

const MIN_PASSPHRASE = 12;
const form = document.getElementById("enrol-form");
const status = document.getElementById("enrol-status");
const error = document.getElementById("enrol-error");
const nameField = document.getElementById("display-name");
const passphraseField = document.getElementById("passphrase");
const againField = document.getElementById("passphrase-again");
const linkParams = new URLSearchParams(location.hash.slice(1));
const token = linkParams.get("token") || "";
const linkFingerprint = linkParams.get("association");
let kdf = null;
let pinnedAssociation = null;

function showProblem(problem) {
  status.textContent = "";
  if (problem instanceof InvalidKdfParameters) {
    error.textContent = _("The server asked for weak key settings; enrolment was stopped to protect you.");
  } else if (problem instanceof DeviceInUse) {
    error.textContent = _("This device already holds another person's Carnet. Enrol on another device, or wipe that one first.");
  } else if (problem instanceof CarnetCryptoError) {
    error.textContent = _("The association key offered by the server does not match your link. Do not go on: tell your coordinator.");
  } else {
    // A refused name comes with the server's own reason, translated there.
    const reason = problem instanceof ApiProblem ? problem.problem?.fields?.display_name : null;
    error.textContent = reason || (problem instanceof ApiProblem ? problem.message
      : _("Something went wrong on the server. Nothing was saved."));
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
    const invitation = await callApi("POST", "/api/v1/enrolment/start", { token });
    // A link made before the association key existed carries no fingerprint: the first admin's.
    if (linkFingerprint || invitation.association) {
      await pinOffered(invitation.association, linkFingerprint);
      pinnedAssociation = invitation.association;
    }
    kdf = invitation.kdf;
    document.getElementById("enrol-email").textContent = invitation.email;
    status.textContent = "";
    form.hidden = false;
    document.getElementById("enrol-submit").disabled = false;
    nameField.focus();
  } catch (problem) {
    showProblem(problem);
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  const passphrase = passphraseField.value;
  const again = againField.value;
  // Out of the page at once: a browser's password manager finds nothing to offer to keep.
  passphraseField.value = "";
  againField.value = "";
  if (!nameField.value.trim()) {
    error.textContent = _("Enter your name.");
    return;
  }
  if (passphrase.length < MIN_PASSPHRASE) {
    error.textContent = _("The passphrase must have at least 12 characters.");
    return;
  }
  if (passphrase !== again) {
    error.textContent = _("The two passphrases differ.");
    return;
  }
  status.textContent = _("Making your keys on this device…");
  try {
    const secrets = await deriveAccountSecrets(passphrase, kdf);
    const session = await callApi("POST", "/api/v1/enrolment/finish",
      { token, display_name: nameField.value.trim(), auth: authForServer(secrets) });
    // The token has been used: take it out of the address bar and the history.
    history.replaceState(null, "", "/enrol");
    status.textContent = _("Making your keys on this device…");
    const blob = await publishNewAccountKeys(session.person.id, secrets.kek);
    // This device becomes the person's first: its store opens with the same passphrase, and it
    // keeps the association key pinned by the link's fingerprint.
    const vault = await createDevice({ userId: session.person.id, kdf, kekBytes: secrets.kek, accountKeyBlob: blob,
      association: pinnedAssociation, settings: { language: document.documentElement.lang } });
    await vault.put("profile", "me", session.person);
    await navigator.storage?.persist?.();
    secrets.auth.fill(0);
    secrets.kek.fill(0);
    location.assign("/app");
  } catch (problem) {
    showProblem(problem);
  }
});

start();
