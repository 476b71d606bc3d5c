// The roster this device keeps (docs/PROTOCOL.md 8.10): the directory as last fetched, verified
// again under the pinned association key once per change while the app is unlocked (the store
// could have been changed while it was locked, so nothing verified survives a lock), with the
// names and account statuses the server gave beside it, for display and for the upkeep only.

import {
  b64urlDecode, b64urlEncode, bytesKey, CarnetCryptoError, importEd25519PublicKey, revocationsOf, RosterView,
  verifyRosterEntry,
} from "../protocol/index.js";
import { rosterEntries, rosterNamesRecord, rosterRevocations, rosterStatusRecord } from "./records.js";

export class NotCertified extends Error {}

export async function associationKey(state) {
  const pinned = state.vault.device.association;
  if (!pinned) throw new NotCertified("this device knows no association key");
  return importEd25519PublicKey(b64urlDecode(pinned.public_key));
}

// The directory's people as the server just gave them, kept once their roster entries verify
// under the pinned association key. Entries that do not verify are not kept, and
// `rosterProblem` stops every grant until a roster that verifies comes.
export async function keepRoster(state, people) {
  const entries = people.filter((person) => person.roster).map((person) => person.roster);
  try {
    await rosterView(state, entries);
  } catch (error) {
    state.rosterProblem = true;
    throw error;
  }
  state.rosterProblem = false;
  await rosterEntries.put(state.vault, entries);
  // Names are for display only: every key used comes from a verified roster entry.
  await rosterNamesRecord.put(state.vault, Object.fromEntries(people.map((p) => [p.user_id, p.display_name])));
  // Disabling is the server's word, not signed: it stops grants and makes coordinators remove
  // the person, it never gives anyone a key.
  await rosterStatusRecord.put(state.vault, Object.fromEntries(people.map((p) => [p.user_id, p.status])));
  await keepRevocations(state, people);
}

// Revocations outlive the next certification (9.2): a person revoked then certified again shows
// an active latest entry, and the revocation still counts. Kept here are those the directory
// lists (`revocations`, each person's revoking entries, when the server gives them) and every
// revoked latest entry this device has seen.
async function keepRevocations(state, people) {
  const listed = people.flatMap((person) => (Array.isArray(person.revocations) ? person.revocations : []));
  const seen = state.roster.accepted.filter((entry) => !entry.active).map((entry) => b64urlEncode(entry.raw));
  const kept = (await rosterRevocations.get(state.vault)) ?? [];
  await rosterRevocations.put(state.vault, [...new Set([...kept, ...listed, ...seen])]);
}

// Every revocation this device knows, verified under the association key, by person.
export async function knownRevocations(state) {
  const key = await associationKey(state);
  const listed = [];
  for (const raw of (await rosterRevocations.get(state.vault)) ?? []) {
    try {
      listed.push(await verifyRosterEntry(b64urlDecode(raw), key));
    } catch (error) {
      if (!(error instanceof CarnetCryptoError)) throw error;
      // Not signed by the association: not a revocation.
    }
  }
  return revocationsOf([...(await rosterPeople(state)), ...listed]);
}

// The server's account status by user id ("active", "disabled"), as the directory last gave it.
export async function rosterStatuses(state) {
  return (await rosterStatusRecord.get(state.vault)) ?? {};
}

// The roster, verified once per change while the app is unlocked (the device store could have
// been changed while it was locked, so nothing verified survives a lock).
export async function rosterView(state, entries = null) {
  const raws = entries ?? (await rosterEntries.get(state.vault)) ?? [];
  const key = raws.join(",");
  if (state.roster?.key !== key) {
    const view = new RosterView(await associationKey(state));
    const accepted = [];
    for (const raw of raws) accepted.push(await view.accept(b64urlDecode(raw)));
    state.roster = { key, view, accepted };
  }
  return state.roster.view;
}

// Display names by user id, as the directory last gave them: for showing only, never for keys.
export async function rosterNames(state) {
  return (await rosterNamesRecord.get(state.vault)) ?? {};
}

// Everyone's latest verified roster entry, active or not.
export async function rosterPeople(state) {
  await rosterView(state);
  const latest = new Map();
  for (const entry of state.roster.accepted) {
    const known = latest.get(bytesKey(entry.userId));
    if (!known || known.serial < entry.serial) latest.set(bytesKey(entry.userId), entry);
  }
  return [...latest.values()];
}
