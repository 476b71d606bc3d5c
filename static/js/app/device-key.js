// The settings' section "This phone": bind the device store to this phone's authenticator (a
// credential made here for the store alone, never sent to the server), bind it again with a new
// credential, or unbind it. Each re-wraps the store key (store/vault.js, rewrapDevice) with the
// kek kept while unlocked and, when bound, the authenticator's PRF output; a credential no longer
// used is signalled unknown. Where the browser or the authenticator offers no PRF, a plain
// sentence says the store opens with the passphrase alone on this device.

import { _ } from "../i18n.js";
import { CeremonyCancelled, createPrfCredential, forgetCredential, NoPrf, webAuthnPresent } from "../store/authenticator.js";
import { rewrapDevice } from "../store/vault.js";
import { announce, errorLine, h } from "./ui.js";

const PASSPHRASE_ALONE = () => _("On this device, Carnet opens with your passphrase alone: someone who copies this phone's storage and learns your passphrase can read your notes.");

function statusText(state) {
  if (state.vault.device.prf) {
    return _("Carnet is bound to this phone: it opens with your passphrase and this phone's lock (fingerprint, face or code). A copy of this phone's storage and your passphrase open nothing without this phone.");
  }
  return PASSPHRASE_ALONE();
}

function failureText(problem) {
  if (problem instanceof CeremonyCancelled) return _("This phone's confirmation was cancelled. Nothing was changed.");
  if (problem instanceof NoPrf) {
    return _("This phone cannot bind Carnet: its lock does not offer what is needed.") + " " + PASSPHRASE_ALONE();
  }
  return _("Nothing was changed on this device.");
}

// A new credential (set up, or change), or none (removal); the old one is forgotten once the
// store no longer needs it.
async function bind(state, fresh) {
  const old = state.vault.device.prf?.credentialId ?? null;
  const made = fresh ? await createPrfCredential() : null;
  try {
    await rewrapDevice(state.vault, { kek: state.kek, prf: made?.prf ?? null, prfOutput: made?.output ?? null });
  } catch (error) {
    if (made) await forgetCredential(made.prf.credentialId);
    throw error;
  }
  if (old) await forgetCredential(old);
}

/** The section; `redraw()` draws the settings again after a change. */
export function deviceKeySection(state, redraw) {
  const error = errorLine("device-key-error");
  const status = h("p", { id: "device-key-status" }, statusText(state));
  const act = (fresh, done) => async (event) => {
    event.target.disabled = true;
    error.textContent = "";
    try {
      await bind(state, fresh);
      announce(done);
      redraw();
    } catch (problem) {
      event.target.disabled = false;
      error.textContent = failureText(problem);
    }
  };
  const section = h("section", { id: "device-key" }, h("h2", {}, _("This phone")), status);
  // Without the key file (a browser with no origin private file system), a binding would leave
  // the passphrase-only wrapping in IndexedDB's files: it is not offered.
  if (!webAuthnPresent() || state.vault.device.keyFile === false) return section;
  if (state.vault.device.prf) {
    section.append(
      h("button", { type: "button", id: "device-key-change", onclick: act(true, _("Carnet is bound to this phone with a new key.")) },
        _("Bind again with a new key")),
      h("button", { type: "button", id: "device-key-remove", onclick: act(false, _("Carnet opens with the passphrase alone again on this device.")) },
        _("Unbind: passphrase alone")));
  } else {
    section.append(h("button", { type: "button", id: "device-key-setup", onclick: act(true, _("Carnet is bound to this phone.")) },
      _("Bind Carnet to this phone")));
  }
  section.append(error);
  return section;
}
