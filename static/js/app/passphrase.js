// Changing the passphrase on this device: the current one, the new one twice, the same rules as
// at enrolment. It needs a network: the server's login and the escrowed keys change with it
// (sync/session.js, changePassphrase).

import { _ } from "../i18n.js";
import { checkPassphrase } from "../passphrase.js";
import { CeremonyCancelled } from "../store/authenticator.js";
import { ApiProblem } from "../sync/api.js";
import { changePassphrase, PassphraseUnchanged } from "../sync/session.js";
import { announce, errorLine, field, h, show } from "./ui.js";

function failureText(problem) {
  if (problem instanceof CeremonyCancelled) return _("This phone's confirmation was cancelled. Nothing was changed.");
  if (problem instanceof PassphraseUnchanged && problem.message === "wrong-old") {
    return _("The current passphrase is wrong. Nothing was changed.");
  }
  if (problem instanceof PassphraseUnchanged) {
    return _("The server knows another passphrase for this account than the current one typed here. Nothing was changed on this device; ask an administrator if this goes on.");
  }
  if (problem instanceof ApiProblem && problem.code === "network") {
    // The server may have changed before the answer was lost: trying again with the same two
    // passphrases finishes the change on this device (docs/PROTOCOL.md 8.2, step 5).
    return _("No network, or the server's answer was lost: this device still opens with the current passphrase. Try again with a network and the same two passphrases.");
  }
  if (problem instanceof ApiProblem) return `${problem.message} ${_("The current passphrase still works.")}`;
  return _("The passphrase could not be changed. The current one still works.");
}

function secretInput() {
  return h("input", { type: "password", autocomplete: "off", required: true });
}

/** The screen; `back()` returns to the settings. */
export function passphraseScreen(state, { back }) {
  const error = errorLine("passphrase-error");
  const current = secretInput();
  const fresh = secretInput();
  const again = secretInput();
  const submit = h("button", { type: "submit", className: "primary" }, _("Change the passphrase"));
  const clear = () => { current.value = ""; fresh.value = ""; again.value = ""; };
  const form = h("form", { id: "passphrase-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = "";
    const refusal = !current.value ? _("Enter your current passphrase.")
      : (await checkPassphrase(fresh.value, { email: state.profile?.email }))
        || (fresh.value !== again.value ? _("The two passphrases differ.") : "");
    if (refusal) {
      error.textContent = refusal;
      return;
    }
    submit.disabled = true;
    announce(_("Changing the passphrase…"));
    try {
      await changePassphrase(state, current.value, fresh.value);
      clear();
      announce(_("The passphrase is changed, on this device and on the server. Use the new one from now on."));
      back();
    } catch (problem) {
      announce("");
      current.value = "";
      submit.disabled = false;
      error.textContent = failureText(problem);
    }
  } },
  field("passphrase-current", _("Current passphrase"), current),
  field("passphrase-new", _("New passphrase"), fresh, _("At least 12 characters: several words of your own.")),
  field("passphrase-again", _("New passphrase again"), again),
  submit, error);
  show(h("section", { className: "card narrow" },
    h("h1", {}, _("Change the passphrase")),
    h("p", { className: "notice", id: "passphrase-network" }, _("This needs a network: the server checks the current passphrase and stores what opens your keys on a new device. Until it succeeds, the current passphrase keeps working everywhere.")),
    navigator.onLine ? null : h("p", { className: "status-warning" }, _("You are offline now.")),
    form,
    h("button", { type: "button", onclick: () => { clear(); back(); } }, _("Cancel"))));
}
