// The admin's side of the roster: compare a person's fingerprint, then certify their keys by
// signing their roster entry with the association key. Until then nobody can grant them a case
// key, because clients wrap case keys only to keys a verified roster entry certifies.

import { _ } from "../i18n.js";
import {
  b64urlDecode, b64urlEncode,  generateAssociationKey, importEd25519PublicKey, NO_TEAM, Role, signRosterEntryAsAdmin, spokenFingerprint, Status,
  unwrapAssociationKeyWithKek, verifyRosterEntry,
} from "../protocol/index.js";
import { updateDevice } from "../store/vault.js";
import { ApiProblem, callApi } from "../sync/api.js";
import { qrSvg } from "./qr.js";
import { scanControl } from "./scan.js";
import { announce, errorLine, h, show } from "./ui.js";

const ROLE_CODES = { volunteer: Role.VOLUNTEER, coordinator: Role.COORDINATOR, auditor: Role.AUDITOR, admin: Role.ADMIN };
const ROLE_NAMES = () => ({ volunteer: _("Volunteer"), coordinator: _("Coordinator"), auditor: _("Auditor"),
  admin: _("Administrator") });

function equalBytes(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

// The association key of this admin, from the device (offline) or from the server's escrow.
async function associationKey(state) {
  let blob = state.vault.device.associationKeyBlob;
  if (!blob) {
    const escrow = await callApi("GET", "/api/v1/association/escrow");
    blob = b64urlDecode(escrow.wrapped_key);
    state.vault.device = await updateDevice(state.vault, { associationKeyBlob: blob });
  }
  return unwrapAssociationKeyWithKek(blob, state.kek, { adminId: b64urlDecode(state.vault.userId) });
}

function teamOf(person) {
  return person.team_id ? b64urlDecode(person.team_id) : NO_TEAM;
}

function sameKeys(entry, keys) {
  return Boolean(keys) && equalBytes(entry.encryptionPublic, b64urlDecode(keys.encryption_public))
    && equalBytes(entry.signingPublic, b64urlDecode(keys.signing_public));
}

// Where a person stands, from their latest roster entry and their account's status. `latest` is
// the verified entry a new one must follow (its serial, and the keys a revocation is signed over).
async function standing(person, associationPublic) {
  let latest = null;
  if (person.roster) {
    try {
      latest = await verifyRosterEntry(b64urlDecode(person.roster), associationPublic);
    } catch {
      return { code: "invalid", text: _("Its certificate does not verify: do not trust these keys.") };
    }
  }
  const revoked = latest?.status === Status.REVOKED;
  if (person.status === "disabled") {
    return revoked ? { code: "disabled-revoked", text: _("Disabled; certification revoked."), latest }
      : { code: "disabled", text: _("Disabled, but still certified: revoke their certification."), latest };
  }
  if (!person.keys) {
    return { code: "no-keys", text: _("No keys yet: this person has not opened the app."), latest };
  }
  if (!latest) return { code: "uncertified", text: _("Not certified yet."), latest };
  if (revoked) return { code: "revoked", text: _("Certification revoked."), latest };
  if (!sameKeys(latest, person.keys)) {
    return { code: "new-keys", latest,
      text: _("New keys (after a passphrase reset): compare and certify them; the old keys are then revoked.") };
  }
  if (latest.role !== ROLE_CODES[person.role] || !equalBytes(latest.teamId, teamOf(person))) {
    return { code: "outdated", text: _("Role or team changed: certify again."), latest };
  }
  return { code: "certified", text: _("Certified."), latest };
}

// One roster entry for the person's current role and team, signed with the association key.
async function signEntry(association, person, { serial, status, encryptionPublic, signingPublic }) {
  const entry = await signRosterEntryAsAdmin(association, {
    userId: b64urlDecode(person.user_id), serial, role: ROLE_CODES[person.role], teamId: teamOf(person),
    encryptionPublic, signingPublic, status,
  });
  await callApi("POST", "/api/v1/roster", { entry: b64urlEncode(entry.raw) });
}

// Certify the person's current keys. When they differ from those of the latest active entry (a
// passphrase reset), the old keys are revoked first (n + 1), then the new ones certified (n + 2):
// the revocation stays in the roster for every case log that pinned the old keys (PROTOCOL 9.2).
async function certify(state, person, latest) {
  const association = await associationKey(state);
  let serial = (latest?.serial || 0) + 1;
  if (latest && latest.status === Status.ACTIVE && !sameKeys(latest, person.keys)) {
    await signEntry(association, person, { serial, status: Status.REVOKED,
      encryptionPublic: latest.encryptionPublic, signingPublic: latest.signingPublic });
    serial += 1;
  }
  await signEntry(association, person, { serial, status: Status.ACTIVE,
    encryptionPublic: b64urlDecode(person.keys.encryption_public), signingPublic: b64urlDecode(person.keys.signing_public) });
}

// Revoke the keys the latest entry certifies: nobody grants them a case any more, and
// coordinators' devices remove them from their cases (PROTOCOL 8.8, step 3).
async function revoke(state, person, latest) {
  const association = await associationKey(state);
  await signEntry(association, person, { serial: latest.serial + 1, status: Status.REVOKED,
    encryptionPublic: latest.encryptionPublic, signingPublic: latest.signingPublic });
}

// A button that signs with the association key: said when done, the reason shown when not.
function signingButton({ id, className, error, back, work, done }, label) {
  return h("button", { type: "button", className, id, onclick: async (event) => {
    event.target.disabled = true;
    try {
      await work();
      announce(done());
      back();
    } catch (problem) {
      event.target.disabled = false;
      error.textContent = problem instanceof ApiProblem ? problem.message : _("Signing failed on this device.");
    }
  } }, label);
}

function revokeScreen(state, person, latest, back) {
  const error = errorLine("revoke-error");
  show(h("section", { className: "card narrow" },
    h("h1", {}, _("Revoke a certification")),
    h("p", {}, _("After this, nobody's app gives %(name)s a case any more, coordinators' devices remove them from every case at their next sync, and what they write from now on is refused. To certify them again later, compare their fingerprint again.", { name: person.display_name })),
    h("div", { className: "actions" },
      signingButton({ id: "confirm-revoke", className: "danger", error, back,
        work: () => revoke(state, person, latest),
        done: () => _("The certification of %(name)s is revoked.", { name: person.display_name }) },
      _("Revoke the certification")),
      h("button", { type: "button", onclick: back }, _("Cancel"))),
    error));
}

function compareScreen(state, person, latest, back) {
  const error = errorLine("compare-error");
  show(h("section", { className: "card narrow" },
    h("h1", {}, _("Compare fingerprints")),
    h("p", {}, _("Ask %(name)s to open “My fingerprint” in their app and read it to you, in person or by phone. Certify only if every digit matches.", { name: person.display_name })),
    h("p", { className: "fingerprint", dir: "ltr", id: "compare-fingerprint" }, person.keys.spoken),
    h("p", { className: "hint" }, _("Or compare this QR code with the one on their “My fingerprint” screen: the same digits, drawn.")),
    qrSvg(person.keys.spoken, _("Their fingerprint as a QR code, to compare with the one on their screen.")),
    // A scanned code that matches certifies, as the button does after the digits are read.
    scanControl(person.keys.spoken, { onMatch: () => document.getElementById("certify").click() }),
    h("div", { className: "actions" },
      signingButton({ id: "certify", className: "primary", error, back,
        work: () => certify(state, person, latest),
        done: () => _("%(name)s is certified.", { name: person.display_name }) },
      _("They match: certify")),
      h("button", { type: "button", id: "mismatch", onclick: () => {
        error.textContent = _("Do not certify. Someone may have replaced this person's keys: tell the other administrators.");
      } }, _("They differ"))),
    error,
    h("button", { type: "button", onclick: back }, _("Back"))));
}

async function createAssociation(state, back) {
  const adminId = b64urlDecode(state.vault.userId);
  const { key, blob } = await generateAssociationKey(adminId, state.kek);
  const published = await callApi("POST", "/api/v1/association",
    { public_key: b64urlEncode(key.public), wrapped_key: b64urlEncode(blob) });
  state.vault.device = await updateDevice(state.vault, { associationKeyBlob: blob, association: published });
  back();
}

export async function peopleScreen(state, home) {
  const back = () => peopleScreen(state, home);
  const error = errorLine("people-error");
  let people;
  let association;
  try {
    [{ people }, association] = await Promise.all([callApi("GET", "/api/v1/directory"),
      callApi("GET", "/api/v1/association").catch((problem) => {
        if (problem instanceof ApiProblem && problem.code === "association-missing") return null;
        throw problem;
      })]);
  } catch (problem) {
    show(h("section", { className: "card narrow" }, h("h1", {}, _("Certify people")),
      h("p", { className: "error", role: "alert" }, problem instanceof ApiProblem ? problem.message : _("The server cannot be reached. Check the network and try again.")),
      h("button", { type: "button", onclick: home }, _("Back"))));
    return;
  }
  if (!association) {
    show(h("section", { className: "card narrow" }, h("h1", {}, _("Certify people")),
      h("p", {}, _("The association has no signing key yet. Create it once: it certifies everyone's keys, and its fingerprint goes into every enrolment link.")),
      h("button", { type: "button", className: "primary", id: "create-association", onclick: () => createAssociation(state, back).catch((p) => { error.textContent = p.message; }) }, _("Create the association key")),
      error, h("button", { type: "button", onclick: home }, _("Back"))));
    return;
  }
  // The key the server names must be the one this device pinned; otherwise nothing here is trusted.
  const pinned = state.vault.device.association;
  if (pinned && pinned.public_key !== association.public_key) {
    show(h("section", { className: "card narrow" }, h("h1", {}, _("Certify people")),
      h("p", { className: "error", role: "alert" }, _("The server names another association key than the one this device trusts. Do not go on: tell the other administrators.")),
      h("button", { type: "button", onclick: home }, _("Back"))));
    return;
  }
  const associationPublic = await importEd25519PublicKey(b64urlDecode(association.public_key));
  const names = ROLE_NAMES();
  const rows = [];
  for (const person of people) {
    const status = await standing(person, associationPublic);
    const needs = ["uncertified", "outdated", "new-keys", "revoked"].includes(status.code);
    const revocable = status.latest?.status === Status.ACTIVE && status.code !== "invalid";
    rows.push(h("li", { "data-person": person.user_id, "data-standing": status.code },
      h("strong", {}, h("bdi", {}, person.display_name)), " · ", names[person.role],
      h("p", { className: status.code === "certified" ? "hint" : "status-warning" }, status.text),
      needs && person.keys ? h("p", { className: "fingerprint-inline", dir: "ltr", "data-fingerprint": "" }, person.keys.spoken) : null,
      needs ? h("button", { type: "button", className: "primary", onclick: () =>
        compareScreen(state, person, status.latest, back) }, _("Compare and certify")) : null,
      revocable ? h("button", { type: "button", className: "revoke", onclick: () =>
        revokeScreen(state, person, status.latest, back) }, _("Revoke certification")) : null));
  }
  show(h("section", { className: "card" }, h("h1", {}, _("Certify people")),
    h("p", { className: "hint" }, _("Association key fingerprint:"), " ",
      h("span", { dir: "ltr", className: "fingerprint-inline" }, association.spoken)),
    h("ul", { className: "people-list" }, rows),
    h("button", { type: "button", onclick: home }, _("Back"))));
}

export async function fingerprintScreen(state, home) {
  const keys = state.account;
  const spoken = spokenFingerprint(await keys.fingerprint());
  show(h("section", { className: "card narrow" },
    h("h1", {}, _("My fingerprint")),
    h("p", {}, _("Read these digits to the administrator who certifies your keys, in person or by phone. If theirs differ, stop and tell them.")),
    h("p", { className: "fingerprint", dir: "ltr", id: "my-fingerprint" }, spoken),
    qrSvg(spoken, _("The same fingerprint as a QR code, for a phone camera to read.")),
    h("button", { type: "button", onclick: home }, _("Back"))));
}
