// The acceptance rule (crypto/acceptance.py, docs/PROTOCOL.md 9.1): what a server may add to a
// case log. The browser runs it to replay the shared vectors and, as a writer, to check its own
// entry before it leaves; the server runs the Python reference on every push.

import { Genesis, parseControlPayload } from "./control.js";
import { bytesKey, equalBytes } from "./encoding.js";
import { Kind, parseEntry } from "./entry.js";
import { BrokenChain, CarnetCryptoError, ClockOutOfRange, IncompleteLog, RevokedUser } from "./errors.js";
import { Status } from "./roster.js";

// A phone's clock may run ahead of the server's; a day covers time zones set wrongly and drift.
export const MAX_CLOCK_AHEAD_MS = 24 * 3600 * 1000;

/** Append one offered entry to `log`, or throw without changing it. */
export async function acceptEntry(log, raw, { nowMs }) {
  const entry = await parseEntry(raw);
  if (entry.isStub) throw new IncompleteLog("an entry is offered whole: a stub offered alone is never resealed");
  if (entry.header.time > nowMs + MAX_CLOCK_AHEAD_MS) {
    throw new ClockOutOfRange("the entry's time is more than a day ahead of the server's clock");
  }
  return log.append(raw);
}

// Revoked people (crypto/acceptance.py, docs/PROTOCOL.md 9.2) -------------------------------------
// A case log pins each member's roster entry when they are granted; a revocation is a later
// roster entry the log never holds. The caller passes the revocations it knows from the roster.

/** The revoking roster entries of each person (by the hex of the user id), lowest serial first. */
export function revocationsOf(roster) {
  const found = new Map();
  for (const entry of [...roster].sort((a, b) => a.serial - b.serial)) {
    if (entry.status !== Status.REVOKED) continue;
    const key = bytesKey(entry.userId);
    found.set(key, [...(found.get(key) || []), entry]);
  }
  return found;
}

/** The first revocation signed after the serial a case pinned for this person, if any. */
export function revocationOf(pinned, revocations) {
  return (revocations.get(bytesKey(pinned.userId)) || []).find((r) => r.serial > pinned.serial) || null;
}

// The roster entries a GENESIS or an ADD grants; none if its payload does not parse (9 refuses it).
async function grantedEntries(log, entry) {
  if (![Kind.GENESIS, Kind.ADD].includes(entry.header.kind) || entry.body === null) return [];
  let payload;
  try {
    payload = await parseControlPayload(entry.header.kind, entry.body, log.associationKey);
  } catch (error) {
    if (error instanceof CarnetCryptoError) return [];
    throw error;
  }
  return payload instanceof Genesis ? payload.grants.map((g) => g.roster) : [payload.grant.roster];
}

// The members as the named control entry leaves them; none if the log lacks it (9 refuses it).
function baseMembers(log, controlHead) {
  try {
    return log.states[log.entry(controlHead).base].members;
  } catch (error) {
    if (error instanceof BrokenChain) return new Map();
    throw error;
  }
}

/** The author's roster entry as the entry's base pins it, then every roster entry it grants. */
export async function pinnedEntries(log, entry) {
  const { header } = entry;
  const grants = await grantedEntries(log, entry);
  const members = header.kind === Kind.GENESIS
    ? new Map(grants.map((g) => [bytesKey(g.userId), g])) : baseMembers(log, header.controlHead);
  const author = members.get(bytesKey(header.author));
  return [...(author ? [author] : []), ...grants.filter((g) => !equalBytes(g.userId, header.author))];
}

/**
 * Throw RevokedUser for an entry granting, or written by, a person revoked before it; the log is
 * unchanged. An entry comes after a revocation when its signed time is at or past the
 * revocation's `issuedAt`, or when `known(revocation)` says the storing party already held it.
 */
export async function checkNotRevoked(log, raw, revocations, { known = () => false } = {}) {
  const entry = await parseEntry(raw);
  for (const pinned of await pinnedEntries(log, entry)) {
    const revoked = revocationOf(pinned, revocations);
    if (revoked !== null && (entry.header.time >= revoked.issuedAt || known(revoked))) {
      const role = equalBytes(pinned.userId, entry.header.author) ? "written by" : "granting";
      throw new RevokedUser(`an entry ${role} a person revoked by roster serial ${revoked.serial} before it`);
    }
  }
}
