// Payloads of control entries: genesis, adding a member, removing one, rotating the case key
// (crypto/control.py, docs/PROTOCOL.md section 6.7).
//
// Control payloads are in clear: the server already knows who may read a case (it enforces
// it), and a verifier that holds no key must be able to check every membership change. The
// only secrets in them are HPKE-wrapped keys, a key commitment and the sealed previous key. A
// member enters a case with their roster entry embedded, so the case log itself pins the keys
// and the role each member had when added, and verifies without the live roster.

import { isStrictlySorted, Reader, Writer } from "./encoding.js";
import { HISTORY_BOX_BYTES, WrappedCaseKey } from "./casekeys.js";
import { HASH_BYTES, Kind } from "./entry.js";
import { InvalidEncoding } from "./errors.js";
import { ID_BYTES } from "./keys.js";
import { ROSTER_ENTRY_BYTES, verifyRosterEntry } from "./roster.js";

export const MAX_MEMBERS = 1000;
export const MAX_DEVICES = 64;
export const KEY_COMMITMENT_BYTES = 32;

/**
 * LINKED keeps history readable (the old key rides sealed under the new one); FULL does not.
 * FULL is the mode for a compromised key: the new epoch is not linked to the old one, and a
 * coordinator then reseals every older entry under the new epoch so that the server can
 * delete the ciphertexts made under the compromised key.
 */
export const RotationMode = Object.freeze({ LINKED: 1, FULL: 2 });

function checkSorted(ids, what) {
  if (!isStrictlySorted(ids)) throw new InvalidEncoding(`${what} must be sorted by id, without duplicates`);
}

/** A member's certified roster entry and the current case key wrapped to them. */
export class MemberGrant {
  constructor(roster, wrapped) {
    this.roster = roster;
    this.wrapped = wrapped;
    Object.freeze(this);
  }

  write(writer) {
    writer.fixed(this.roster.raw, ROSTER_ENTRY_BYTES).raw(this.wrapped.toBytes());
  }

  // Every embedded roster entry must verify under the association key as it is parsed.
  static async read(reader, associationKey) {
    const roster = await verifyRosterEntry(reader.take(ROSTER_ENTRY_BYTES), associationKey);
    return new MemberGrant(roster, WrappedCaseKey.read(reader));
  }
}

/** The last entry (sequence number and hash) of one device's chain in a case. */
export class DeviceHead {
  constructor(deviceId, seq, hash) {
    this.deviceId = deviceId;
    this.seq = seq;
    this.hash = hash;
    Object.freeze(this);
  }

  write(writer) {
    writer.fixed(this.deviceId, ID_BYTES).u64(this.seq).fixed(this.hash, HASH_BYTES);
  }

  static read(reader) {
    return new DeviceHead(reader.take(ID_BYTES), reader.u64(1), reader.take(HASH_BYTES));
  }
}

/** A new epoch: its key commitment, its key wrapped to every member, maybe the old key. */
export class Rotation {
  constructor(mode, commitment, wraps, history) {
    this.mode = mode;
    this.commitment = commitment;
    this.wraps = Object.freeze([...wraps]);
    this.history = history;
    Object.freeze(this);
  }

  write(writer) {
    if ((this.history !== null) !== (this.mode === RotationMode.LINKED)) {
      throw new InvalidEncoding("a linked rotation carries the previous key, a full one does not");
    }
    checkSorted(this.wraps.map((w) => w.recipient), "wrapped keys");
    writer.u8(this.mode).fixed(this.commitment, KEY_COMMITMENT_BYTES).u16(this.wraps.length);
    for (const wrapped of this.wraps) writer.raw(wrapped.toBytes());
    if (this.history !== null) writer.fixed(this.history, HISTORY_BOX_BYTES);
  }

  static read(reader) {
    const mode = reader.u8();
    if (mode !== RotationMode.LINKED && mode !== RotationMode.FULL) {
      throw new InvalidEncoding(`unknown rotation mode ${mode}`);
    }
    const commitment = reader.take(KEY_COMMITMENT_BYTES);
    const count = reader.u16(1, MAX_MEMBERS);
    const wraps = [];
    for (let i = 0; i < count; i += 1) wraps.push(WrappedCaseKey.read(reader));
    checkSorted(wraps.map((w) => w.recipient), "wrapped keys");
    const history = mode === RotationMode.LINKED ? reader.take(HISTORY_BOX_BYTES) : null;
    return new Rotation(mode, commitment, wraps, history);
  }
}

export class Genesis {
  constructor(teamId, commitment, grants) {
    this.kind = Kind.GENESIS;
    this.teamId = teamId;
    this.commitment = commitment;
    this.grants = Object.freeze([...grants]);
    Object.freeze(this);
  }

  toBytes() {
    checkSorted(this.grants.map((g) => g.roster.userId), "members");
    const writer = new Writer().fixed(this.teamId, ID_BYTES).fixed(this.commitment, KEY_COMMITMENT_BYTES)
      .uint(this.grants.length, 2, MAX_MEMBERS);
    for (const grant of this.grants) grant.write(writer);
    return writer.getValue();
  }

  static async read(reader, associationKey) {
    const teamId = reader.take(ID_BYTES);
    const commitment = reader.take(KEY_COMMITMENT_BYTES);
    const count = reader.u16(1, MAX_MEMBERS);
    const grants = [];
    for (let i = 0; i < count; i += 1) grants.push(await MemberGrant.read(reader, associationKey));
    checkSorted(grants.map((g) => g.roster.userId), "members");
    return new Genesis(teamId, commitment, grants);
  }
}

export class AddMember {
  constructor(grant) {
    this.kind = Kind.ADD;
    this.grant = grant;
    Object.freeze(this);
  }

  toBytes() {
    const writer = new Writer();
    this.grant.write(writer);
    return writer.getValue();
  }

  static async read(reader, associationKey) {
    return new AddMember(await MemberGrant.read(reader, associationKey));
  }
}

/** Removal always rotates; `heads` freeze what the removed member wrote before it. */
export class RemoveMember {
  constructor(userId, heads, rotation) {
    this.kind = Kind.REMOVE;
    this.userId = userId;
    this.heads = Object.freeze([...heads]);
    this.rotation = rotation;
    Object.freeze(this);
  }

  toBytes() {
    checkSorted(this.heads.map((h) => h.deviceId), "device heads");
    const writer = new Writer().fixed(this.userId, ID_BYTES).uint(this.heads.length, 2, MAX_DEVICES);
    for (const head of this.heads) head.write(writer);
    this.rotation.write(writer);
    return writer.getValue();
  }

  static async read(reader) {
    const userId = reader.take(ID_BYTES);
    const count = reader.u16(0, MAX_DEVICES);
    const heads = [];
    for (let i = 0; i < count; i += 1) heads.push(DeviceHead.read(reader));
    checkSorted(heads.map((h) => h.deviceId), "device heads");
    return new RemoveMember(userId, heads, Rotation.read(reader));
  }
}

export class RotateKey {
  constructor(rotation) {
    this.kind = Kind.ROTATE;
    this.rotation = rotation;
    Object.freeze(this);
  }

  toBytes() {
    const writer = new Writer();
    this.rotation.write(writer);
    return writer.getValue();
  }

  static async read(reader) {
    return new RotateKey(Rotation.read(reader));
  }
}

const PAYLOADS = new Map([
  [Kind.GENESIS, Genesis], [Kind.ADD, AddMember], [Kind.REMOVE, RemoveMember], [Kind.ROTATE, RotateKey],
]);

/** Parse a control body of the given kind; embedded roster entries must verify. */
export async function parseControlPayload(kind, body, associationKey) {
  const type = PAYLOADS.get(kind);
  if (type === undefined) throw new InvalidEncoding(`kind ${kind} carries no control payload`);
  const reader = new Reader(body, "control payload");
  const payload = await type.read(reader, associationKey);
  reader.finish();
  return payload;
}
