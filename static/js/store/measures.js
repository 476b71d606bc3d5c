// The team's table of measures on this device (docs/PROTOCOL.md 6.11): the last table the server
// confirmed, and a coordinator's newer table until the server takes it. Tables are verified
// under the signer's roster entry whenever they are read while unlocked, so a table whose signer
// was revoked meanwhile is no longer used; the team is the one the roster certifies for this
// person, never one the server names.

import {
  acceptMeasuresTable, b64urlDecode, b64urlEncode, bytesKey, CarnetCryptoError, parseMeasuresTable,
  signMeasuresTableAsCoordinator, UnknownUser, verifyMeasuresTable,
} from "../protocol/index.js";
import { teamMeasures } from "./records.js";
import { NotCertified, rosterPeople, rosterView } from "./roster.js";

export const HOURS = 1;
export const DAYS = 2;

async function myEntry(state) {
  try {
    return (await rosterView(state)).current(b64urlDecode(state.vault.userId));
  } catch (error) {
    if (error instanceof CarnetCryptoError) throw new NotCertified("this person's keys are not certified yet");
    throw error;
  }
}

async function signerEntry(state, table) {
  const entry = (await rosterPeople(state)).find((candidate) => bytesKey(candidate.userId) === bytesKey(table.signer));
  if (!entry) throw new UnknownUser("the signer of the table is not in the roster");
  return entry;
}

async function verified(state, text, known = null) {
  const raw = b64urlDecode(text);
  const teamId = (await myEntry(state)).teamId;
  const signer = await signerEntry(state, parseMeasuresTable(raw));
  return known ? acceptMeasuresTable(raw, signer, { teamId, known }) : verifyMeasuresTable(raw, signer, { teamId });
}

async function record(state) {
  return (await teamMeasures.get(state.vault)) ?? { confirmed: null, pending: null, refused: null };
}

/**
 * The table in use: the pending one (a coordinator's change not sent yet), else the confirmed
 * one, verified; null when there is none or it does not verify (the caller uses the examples).
 */
export async function currentMeasures(state) {
  const kept = await record(state);
  for (const [text, pending] of [[kept.pending, true], [kept.confirmed, false]]) {
    if (!text) continue;
    try {
      return { table: await verified(state, text), pending };
    } catch (error) {
      if (!(error instanceof CarnetCryptoError) && !(error instanceof NotCertified)) throw error;
    }
  }
  return null;
}

/** What the coordinator's screen shows beside the table: a change refused, a table set aside. */
export async function measuresStanding(state) {
  const kept = await record(state);
  return { refused: kept.refused, problem: kept.problem ?? null, pending: Boolean(kept.pending) };
}

/** A coordinator signs a new table, one version above the one in use; it waits to be sent. */
export async function signMeasures(state, rows) {
  const mine = await myEntry(state);
  const kept = await record(state);
  // Above every version this device has seen, whether or not its signer still verifies.
  const versions = [kept.pending, kept.confirmed].filter(Boolean).map((text) => parseMeasuresTable(b64urlDecode(text)).version);
  const base = Math.max(0, ...versions);
  const table = await signMeasuresTableAsCoordinator(state.account, mine, { teamId: mine.teamId, version: base + 1, rows });
  await teamMeasures.put(state.vault, { ...kept, pending: b64urlEncode(table.raw), refused: null });
  return table;
}

/** The table waiting to be sent, if any (base64url). */
export async function pendingMeasures(state) {
  return (await record(state)).pending;
}

/** The server took the pending table: it is the confirmed one now. */
export async function confirmMeasures(state, text) {
  const kept = await record(state);
  await teamMeasures.put(state.vault, { ...kept, confirmed: text, pending: null, refused: null, problem: null });
}

/** The server refused the pending table (`code`): it is dropped, and the coordinator told. */
export async function refuseMeasures(state, code) {
  const kept = await record(state);
  await teamMeasures.put(state.vault, { ...kept, pending: null, refused: code });
}

/**
 * The server's table, kept if it verifies and is not older than the one confirmed here; otherwise
 * the confirmed one stays and `problem` names why (a forged or rolled-back table).
 */
export async function keepServerMeasures(state, text) {
  const kept = await record(state);
  if (!text || text === kept.confirmed) return;
  // The confirmed table counts for its version even if its signer no longer verifies: an older
  // table is never taken back.
  const known = kept.confirmed ? parseMeasuresTable(b64urlDecode(kept.confirmed)) : null;
  try {
    await verified(state, text, known);
  } catch (error) {
    if (!(error instanceof CarnetCryptoError) && !(error instanceof NotCertified)) throw error;
    await teamMeasures.put(state.vault, { ...kept, problem: error instanceof NotCertified ? "NotCertified" : error.name });
    return;
  }
  await teamMeasures.put(state.vault, { ...kept, confirmed: text, problem: null });
}
