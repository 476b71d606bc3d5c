// The admin's side of the roster: compare a person's fingerprint, then certify their keys by
// signing their roster entry with the association key. Until then nobody can grant them a case
// key, because clients wrap case keys only to keys a verified roster entry certifies.

import { ApiProblem, callApi } from "../api.js";
import { b64urlDecode, b64urlEncode } from "../encoding.js";
import { _ } from "../i18n.js";
import {
  generateAssociationKey, importEd25519PublicKey, NO_TEAM, Role, signRosterEntryAsAdmin, spokenFingerprint, unwrapAssociationKeyWithKek,
  verifyRosterEntry,
} from "../protocol/index.js";
import { updateDevice } from "../store/vault.js";
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
    state.vault.device = await updateDevice({ associationKeyBlob: blob });
  }
  return unwrapAssociationKeyWithKek(blob, state.kek, { adminId: b64urlDecode(state.vault.userId) });
}

// Where a person stands: certified for their current keys, role and team, or not.
async function standing(person, associationPublic) {
  if (!person.keys) return { code: "no-keys", text: _("No keys yet: this person has not opened the app.") };
  if (!person.roster) return { code: "uncertified", text: _("Not certified yet.") };
  let entry;
  try {
    entry = await verifyRosterEntry(b64urlDecode(person.roster), associationPublic);
  } catch {
    return { code: "invalid", text: _("Its certificate does not verify: do not trust these keys.") };
  }
  const team = person.team_id ? b64urlDecode(person.team_id) : NO_TEAM;
  const current = entry.role === ROLE_CODES[person.role] && equalBytes(entry.teamId, team)
    && equalBytes(entry.encryptionPublic, b64urlDecode(person.keys.encryption_public))
    && equalBytes(entry.signingPublic, b64urlDecode(person.keys.signing_public));
  if (!current) return { code: "outdated", text: _("Keys, role or team changed: certify again."), serial: entry.serial };
  return { code: "certified", text: _("Certified."), serial: entry.serial };
}

async function certify(state, person, serial) {
  const association = await associationKey(state);
  const entry = await signRosterEntryAsAdmin(association, {
    userId: b64urlDecode(person.user_id), serial, role: ROLE_CODES[person.role],
    teamId: person.team_id ? b64urlDecode(person.team_id) : NO_TEAM,
    encryptionPublic: b64urlDecode(person.keys.encryption_public),
    signingPublic: b64urlDecode(person.keys.signing_public),
  });
  await callApi("POST", "/api/v1/roster", { entry: b64urlEncode(entry.raw) });
}

function compareScreen(state, person, serial, back) {
  const error = errorLine("compare-error");
  show(h("section", { className: "card narrow" },
    h("h1", {}, _("Compare fingerprints")),
    h("p", {}, _("Ask %(name)s to open “My fingerprint” in their app and read it to you, in person or by phone. Certify only if every digit matches.", { name: person.display_name })),
    h("p", { className: "fingerprint", dir: "ltr", id: "compare-fingerprint" }, person.keys.spoken),
    // A scanned code that matches certifies, as the button does after the digits are read.
    scanControl(person.keys.spoken, { onMatch: () => document.getElementById("certify").click() }),
    h("div", { className: "actions" },
      h("button", { type: "button", className: "primary", id: "certify", onclick: async (event) => {
        event.target.disabled = true;
        try {
          await certify(state, person, serial);
          announce(_("%(name)s is certified.", { name: person.display_name }));
          back();
        } catch (problem) {
          event.target.disabled = false;
          error.textContent = problem instanceof ApiProblem ? problem.message : _("Signing failed on this device.");
        }
      } }, _("They match: certify")),
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
  state.vault.device = await updateDevice({ associationKeyBlob: blob, association: published });
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
    const needs = status.code === "uncertified" || status.code === "outdated";
    rows.push(h("li", { "data-person": person.user_id, "data-standing": status.code },
      h("strong", {}, h("bdi", {}, person.display_name)), " · ", names[person.role],
      h("p", { className: status.code === "certified" ? "hint" : "status-warning" }, status.text),
      needs ? h("button", { type: "button", className: "primary", onclick: () =>
        compareScreen(state, person, (status.serial || 0) + 1, back) }, _("Compare and certify")) : null));
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
