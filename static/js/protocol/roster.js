// The signed roster: who holds which keys, with which role, in which team (crypto/roster.py,
// docs/PROTOCOL.md sections 6.2 and 8.2).
//
// The association key signs one roster entry per user and serial. A client never wraps a case
// key to a public key it has not seen in an entry that verifies under the pinned association
// key, so a server that substitutes its own key for a member's is caught before any secret is
// encrypted to it. Serials only grow: a client that has seen serial n for a user refuses any
// older entry for that user, so the server cannot replay a superseded key.

import { bytesKey, equalBytes, Reader, Writer, concatBytes } from "./encoding.js";
import {
  InvalidEncoding,
  InvalidSignature,
  RevokedUser,
  RosterConflict,
  RosterRollback,
  UnknownUser,
} from "./errors.js";
import {
  checkAccountKeysMatch,
  checkEd25519PublicKey,
  checkX25519PublicKey,
  ID_BYTES,
  importEd25519PublicKey,
  importX25519PublicKey,
  KEY_BYTES,
  userFingerprint,
} from "./keys.js";
import * as labels from "./labels.js";

export const ROSTER_TAG = "CNR";
export const SIGNATURE_BYTES = 64;
export const ROSTER_BODY_BYTES = 114;
export const ROSTER_ENTRY_BYTES = ROSTER_BODY_BYTES + SIGNATURE_BYTES;
export const NO_TEAM = new Uint8Array(ID_BYTES);

export const Role = Object.freeze({ VOLUNTEER: 1, COORDINATOR: 2, AUDITOR: 3, ADMIN: 4 });
export const Status = Object.freeze({ ACTIVE: 1, REVOKED: 2 });
const ROLE_VALUES = new Set(Object.values(Role));
const STATUS_VALUES = new Set(Object.values(Status));

// Volunteers and coordinators belong to one team and can be case members; auditors and admins
// act for the whole association and never hold a case key.
export const TEAM_ROLES = new Set([Role.VOLUNTEER, Role.COORDINATOR]);

/**
 * Ed25519 verification that throws InvalidSignature on a bad signature: WebCrypto answers
 * false, which no caller of the protocol code may be left to ignore.
 */
export async function verifyEd25519(publicKey, signature, message, what) {
  const valid = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, signature, message);
  if (!valid) throw new InvalidSignature(what);
}

/** One verified roster entry; only this module's functions make them. */
export class RosterEntry {
  #signingKey = null;
  #encryptionKey = null;

  constructor(fields) {
    Object.assign(this, fields);
    Object.freeze(this);
  }

  get active() {
    return this.status === Status.ACTIVE;
  }

  async fingerprint() {
    return userFingerprint(this.userId, this.encryptionPublic, this.signingPublic);
  }

  // The imported WebCrypto keys are cached: a case log verifies many entries by one author.
  async signingKey() {
    this.#signingKey ??= importEd25519PublicKey(this.signingPublic);
    return this.#signingKey;
  }

  async encryptionKey() {
    this.#encryptionKey ??= importX25519PublicKey(this.encryptionPublic);
    return this.#encryptionKey;
  }
}

function rosterBody({ userId, serial, role, status, teamId, encryptionPublic, signingPublic, issuedAt }) {
  return new Writer().prefix(ROSTER_TAG).fixed(userId, ID_BYTES).u32(serial).u8(role).u8(status)
    .fixed(teamId, ID_BYTES).fixed(encryptionPublic, KEY_BYTES).fixed(signingPublic, KEY_BYTES)
    .u64(issuedAt).getValue();
}

// Parse without checking the signature: fields first, then enumerations, the team rule and
// both public keys, in the order of crypto/roster.py, so the same bytes fail the same way.
function parseRosterEntry(raw) {
  const reader = new Reader(raw, "roster entry");
  reader.prefix(ROSTER_TAG);
  const userId = reader.take(ID_BYTES);
  const serial = reader.u32(1);
  const role = reader.u8();
  const status = reader.u8();
  const teamId = reader.take(ID_BYTES);
  const encryptionPublic = reader.take(KEY_BYTES);
  const signingPublic = reader.take(KEY_BYTES);
  const issuedAt = reader.u64();
  const signature = reader.take(SIGNATURE_BYTES);
  reader.finish();
  if (!ROLE_VALUES.has(role)) throw new InvalidEncoding(`unknown role ${role}`);
  if (!STATUS_VALUES.has(status)) throw new InvalidEncoding(`unknown status ${status}`);
  if (TEAM_ROLES.has(role) === equalBytes(teamId, NO_TEAM)) {
    throw new InvalidEncoding("volunteers and coordinators have a team; auditors and admins have none");
  }
  checkX25519PublicKey(encryptionPublic);
  checkEd25519PublicKey(signingPublic);
  const entry = new RosterEntry({
    userId, serial, role, status, teamId, encryptionPublic, signingPublic, issuedAt, signature, raw: raw.slice(),
  });
  return { entry, body: raw.slice(0, ROSTER_BODY_BYTES) };
}

/** Parse a roster entry and check the association signed it; throws on anything else. */
export async function verifyRosterEntry(raw, associationKey) {
  const { entry, body } = parseRosterEntry(raw);
  await verifyEd25519(associationKey, entry.signature, concatBytes(labels.SIGN_ROSTER, body),
    "roster entry is not signed by the association key");
  return entry;
}

/**
 * The admin certifies a user's public keys, role and team under the association key. The admin
 * compares the user's spoken fingerprint with the one of the keys about to be signed before
 * calling this: it is the only defence against a server that substitutes keys at enrolment.
 */
export async function signRosterEntryAsAdmin(association, {
  userId, serial, role, teamId, encryptionPublic, signingPublic, status = Status.ACTIVE, now = undefined,
}) {
  const body = rosterBody({
    userId, serial, role, status, teamId, encryptionPublic, signingPublic, issuedAt: now ?? Date.now(),
  });
  const signature = new Uint8Array(await crypto.subtle.sign(
    { name: "Ed25519" }, association.signingPrivate, concatBytes(labels.SIGN_ROSTER, body)));
  return verifyRosterEntry(concatBytes(body, signature), association.publicKey);
}

/** A device checks that the roster certifies exactly the keys it holds for its user. */
export function checkAccountKeysMatchRosterEntry(keys, entry) {
  if (!equalBytes(keys.userId, entry.userId)) throw new UnknownUser("this roster entry is for another user");
  checkAccountKeysMatch(keys, entry.encryptionPublic, entry.signingPublic);
}

/** What one client knows of the roster: the latest verified entry per user, never older. */
export class RosterView {
  #latest = new Map();

  constructor(associationKey) {
    this.associationKey = associationKey;
  }

  /** Verify and remember an entry; an older serial or a conflicting one is refused. */
  async accept(raw) {
    const entry = await verifyRosterEntry(raw, this.associationKey);
    const key = bytesKey(entry.userId);
    const known = this.#latest.get(key);
    if (known !== undefined) {
      if (entry.serial < known.serial) throw new RosterRollback(`serial ${entry.serial} is older than ${known.serial}`);
      if (entry.serial === known.serial && !equalBytes(entry.raw, known.raw)) {
        throw new RosterConflict("two different entries for the same user and serial");
      }
      if (entry.serial === known.serial) return known;
    }
    this.#latest.set(key, entry);
    return entry;
  }

  /** The entry to use now for a user; a revoked user gets no new key. */
  current(userId) {
    const entry = this.#latest.get(bytesKey(userId));
    if (entry === undefined) throw new UnknownUser("no roster entry for this user");
    if (!entry.active) throw new RevokedUser("this user's roster entry is revoked");
    return entry;
  }

  get size() {
    return this.#latest.size;
  }
}
