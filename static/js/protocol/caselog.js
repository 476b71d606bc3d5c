// Verifying a case log: every rule a client checks, in one pass, from the bytes the server
// sends (crypto/caselog.py, docs/PROTOCOL.md section 9).
//
// A case is an append-only log. Each device of each member keeps its own hash chain (sequence
// numbers 1, 2, 3... each entry naming its predecessor's hash), so a server cannot drop,
// reorder or replay a writer's entries. Control entries (genesis, add, remove, rotate) form
// one more chain, the control chain; every entry names the control entry it builds on, which
// fixes its epoch and the membership it claims. A client remembers a checkpoint (the head of
// every chain it has verified) and refuses a later log that does not extend it, which turns a
// rollback into an error; two members comparing checkpoints detect a server that showed them
// different logs.
//
// Without any key the verifier checks structure, signatures, membership, authorisation and
// the consistency of every control payload. With case keys it also opens every sealed entry
// and checks key commitments and history boxes.

import {
  checkCaseKeyCommitment,
  openPreviousCaseKey,
  unwrapCaseKeyAsMember,
} from "./casekeys.js";
import {
  AddMember,
  DeviceHead,
  Genesis,
  parseControlPayload,
  RemoveMember,
  RotateKey,
  RotationMode,
} from "./control.js";
import { bytesKey, equalBytes, hexDecode, isStrictlySorted, Reader, Writer } from "./encoding.js";
import { CONTROL_KINDS, HASH_BYTES, Kind, openEntryBody, parseEntry, ZERO_HASH } from "./entry.js";
import {
  BrokenChain,
  CounterOutOfRange,
  EpochMismatch,
  ForkDetected,
  IncompleteLog,
  InvalidControlEntry,
  InvalidEncoding,
  InvalidLog,
  NotAMember,
  ReplayedEntry,
  ResealMismatch,
  RollbackDetected,
  StaleEpoch,
  Unauthorized,
  WrongCase,
} from "./errors.js";
import { checkId, ID_BYTES, spokenFingerprint } from "./keys.js";
import * as labels from "./labels.js";
import { sha256 } from "./primitives.js";
import { Role, TEAM_ROLES } from "./roster.js";

export const CHECKPOINT_TAG = "CNC";
export const MAX_CHECKPOINT_DEVICES = 1 << 16;
// An honest writer's Lamport clock is one more than the largest in its view, and its view is
// part of the log it appends to, so it steps by 1 over the log. The bound leaves room for views
// the server no longer has (a restored backup) while keeping the clock ~2**33 entries from the
// largest integer every implementation holds exactly (docs/PROTOCOL.md 9, step 8).
export const MAX_LAMPORT_STEP = 2 ** 20;

/**
 * The case as a control entry leaves it: epoch, members (a Map from the hex of each user id to
 * the roster entry pinned when they were made a member), key commitment, latest FULL epoch.
 */
export class CaseState {
  constructor(fields) {
    Object.assign(this, fields);
    Object.freeze(this);
  }

  /** The members' user ids in bytewise order. */
  memberIds() {
    return [...this.members.keys()].sort().map(hexDecode);
  }
}

/** An entry that passed every rule, with the control state it builds on (or creates). */
export class VerifiedEntry {
  constructor(entry, position, base, payload = null, ref = null) {
    Object.assign(this, { entry, position, base, payload, ref });
    Object.freeze(this);
  }

  get hash() {
    return this.entry.hash;
  }
}

/** What a client remembers of a verified log: the head of every chain, as a high-water mark. */
export class Checkpoint {
  constructor(caseId, controlCount, controlTip, devices) {
    Object.assign(this, { caseId, controlCount, controlTip, devices: Object.freeze([...devices]) });
    Object.freeze(this);
  }

  toBytes() {
    const writer = new Writer().prefix(CHECKPOINT_TAG).fixed(this.caseId, ID_BYTES).u32(this.controlCount)
      .fixed(this.controlTip, HASH_BYTES).u32(this.devices.length);
    for (const head of this.devices) head.write(writer);
    return writer.getValue();
  }

  static fromBytes(raw) {
    const reader = new Reader(raw, "checkpoint");
    reader.prefix(CHECKPOINT_TAG);
    const caseId = reader.take(ID_BYTES);
    const controlCount = reader.u32(1);
    const controlTip = reader.take(HASH_BYTES);
    const count = reader.u32(1, MAX_CHECKPOINT_DEVICES);
    const devices = [];
    for (let i = 0; i < count; i += 1) devices.push(DeviceHead.read(reader));
    reader.finish();
    if (!isStrictlySorted(devices.map((d) => d.deviceId))) {
      throw new InvalidEncoding("checkpoint devices must be sorted by id, without duplicates");
    }
    return new Checkpoint(caseId, controlCount, controlTip, devices);
  }

  /** One digest of the whole view; equal heads mean the same log, to compare aloud or by app. */
  async head() {
    return sha256(labels.HASH_CASE_HEAD, this.toBytes());
  }

  async spokenHead() {
    return spokenFingerprint(await this.head());
  }
}

// A volunteer member may share a case with their team's coordinators, and nothing else (8.6);
// the grant's other checks (active, same team, wrap to that person) run as for every ADD.
function grantsACoordinator(payload) {
  return payload instanceof AddMember && payload.grant.roster.role === Role.COORDINATOR;
}

function sameHeads(a, b) {
  return a.length === b.length && a.every((head, i) => equalBytes(head.deviceId, b[i].deviceId)
    && head.seq === b[i].seq && equalBytes(head.hash, b[i].hash));
}

/**
 * One case's log as one client has verified it; `append` takes entries in log order.
 *
 * `append` checks everything before changing anything, so a refused entry leaves the log as it
 * was. WebCrypto is asynchronous, so appends are queued: two calls never interleave their
 * checks and their commits, whatever order the caller awaits them in.
 */
export class CaseLog {
  #byHash = new Map();
  #entryIds = new Set();
  #devices = new Map();
  #removals = new Map();
  #resealed = new Map();
  #rotations = new Map();
  #tail = Promise.resolve();

  constructor(caseId, associationKey) {
    this.caseId = checkId(caseId).slice();
    this.associationKey = associationKey;
    this.entries = [];
    this.states = [];
    this.maxLamport = 0;
  }

  // Reading the state.

  get state() {
    if (this.states.length === 0) throw new InvalidLog("the case log is empty");
    return this.states[this.states.length - 1];
  }

  /** The last sequence number and hash of a device's chain; {seq: 0, hash: zero} if none yet. */
  devicePosition(deviceId) {
    const chain = this.#devices.get(bytesKey(deviceId));
    if (chain === undefined) return { seq: 0, hash: ZERO_HASH };
    return { seq: chain.hashes.length, hash: chain.hashes[chain.hashes.length - 1] };
  }

  #sortedChains() {
    return [...this.#devices.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, chain]) => chain);
  }

  deviceHeadsOf(userId) {
    return this.#sortedChains().filter((chain) => equalBytes(chain.author, userId))
      .map((chain) => new DeviceHead(chain.deviceId, chain.hashes.length, chain.hashes[chain.hashes.length - 1]));
  }

  checkpoint() {
    const devices = this.#sortedChains()
      .map((chain) => new DeviceHead(chain.deviceId, chain.hashes.length, chain.hashes[chain.hashes.length - 1]));
    return new Checkpoint(this.caseId, this.states.length, this.state.entryHash, devices);
  }

  entry(entryHash) {
    const found = this.#byHash.get(bytesKey(entryHash));
    if (found === undefined) throw new BrokenChain("no entry with this hash in the log");
    return found;
  }

  // Appending.

  /** Verify one envelope or stub against the log so far and append it; throws on any broken rule. */
  append(raw) {
    const run = this.#tail.then(() => this.#append(raw));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #append(raw) {
    const entry = await parseEntry(raw);
    const { header } = entry;
    if (!equalBytes(header.caseId, this.caseId)) throw new WrongCase("this entry belongs to another case");
    if (this.#byHash.has(bytesKey(entry.hash)) || this.#entryIds.has(bytesKey(header.entryId))) {
      throw new ReplayedEntry("this entry, or its entry id, is already in the log");
    }

    let payload = null;
    let base;
    let baseIndex;
    if (header.kind === Kind.GENESIS) {
      if (this.states.length) throw new InvalidLog("a case has exactly one genesis entry");
      payload = await parseControlPayload(header.kind, entry.body, this.associationKey);
      base = this.#genesisState(entry, payload);
      baseIndex = 0;
    } else {
      if (!this.states.length) throw new InvalidLog("a case log starts with its genesis entry");
      baseIndex = this.#controlIndex(header.controlHead);
      base = this.states[baseIndex];
    }

    const author = base.members.get(bytesKey(header.author));
    if (author === undefined) throw new NotAMember("the author is not a member at the point this entry builds on");
    if ((this.#removals.get(bytesKey(header.author)) ?? []).some((removed) => removed > baseIndex)) {
      throw new NotAMember("the author was removed after the point this entry builds on");
    }
    await entry.verifySignature(await author.signingKey());
    this.#checkDeviceChain(entry, baseIndex);
    if (header.kind !== Kind.GENESIS && header.lamport <= base.lamport) {
      throw new InvalidLog("the Lamport clock must exceed the control entry's");
    }
    if (header.lamport > this.maxLamport + MAX_LAMPORT_STEP) {
      throw new CounterOutOfRange(`the Lamport clock steps more than ${MAX_LAMPORT_STEP} past the log's`);
    }

    let newState = null;
    let ref = null;
    if (header.kind === Kind.GENESIS) {
      newState = base;
    } else if (CONTROL_KINDS.has(header.kind)) {
      payload = await parseControlPayload(header.kind, entry.body, this.associationKey);
      newState = this.#applyControl(entry, author, baseIndex, payload);
    } else {
      if (header.epoch !== base.epoch) {
        throw new EpochMismatch(`sealed under epoch ${header.epoch}, the log is at epoch ${base.epoch}`);
      }
      if (header.kind === Kind.RESEAL) ref = this.#checkReseal(entry, author, base);
    }

    // Every check passed: commit.
    const verified = new VerifiedEntry(entry, this.entries.length, newState ? this.states.length : baseIndex,
      payload, ref);
    this.#commit(verified, newState);
    return verified;
  }

  #controlIndex(controlHead) {
    const found = this.#byHash.get(bytesKey(controlHead));
    if (found === undefined || !CONTROL_KINDS.has(found.entry.header.kind)) {
      throw new BrokenChain("the entry builds on a control entry that is not in the log before it");
    }
    return found.base;
  }

  #checkDeviceChain(entry, baseIndex) {
    const { header } = entry;
    const chain = this.#devices.get(bytesKey(header.deviceId));
    if (chain === undefined) {
      if (header.deviceSeq !== 1) throw new BrokenChain("earlier entries of this device are missing");
      return;
    }
    if (!equalBytes(chain.author, header.author)) throw new InvalidLog("a device writes for one author only");
    const last = chain.hashes.length;
    if (header.deviceSeq <= last) throw new ForkDetected("two entries claim the same place in this device's chain");
    if (header.deviceSeq > last + 1 || !equalBytes(header.prevHash, chain.hashes[last - 1])) {
      throw new BrokenChain("this device's chain has a gap or a wrong previous hash");
    }
    if (baseIndex < chain.base) throw new StaleEpoch("the device builds on an older control entry than it already did");
    if (header.lamport <= chain.lamport) throw new InvalidLog("the Lamport clock must grow along a device's chain");
  }

  #checkMemberGrant(roster, wrapped, teamId, epoch) {
    if (!roster.active || !TEAM_ROLES.has(roster.role) || !equalBytes(roster.teamId, teamId)) {
      throw new InvalidControlEntry("members are active volunteers or coordinators of the case's team");
    }
    this.#checkWrap(wrapped, epoch, roster.userId);
  }

  #checkWrap(wrapped, epoch, recipient) {
    if (!equalBytes(wrapped.caseId, this.caseId) || wrapped.epoch !== epoch
        || !equalBytes(wrapped.recipient, recipient)) {
      throw new InvalidControlEntry("a wrapped key names another case, epoch or member");
    }
  }

  #genesisState(entry, payload) {
    for (const grant of payload.grants) this.#checkMemberGrant(grant.roster, grant.wrapped, payload.teamId, 1);
    const members = new Map(payload.grants.map((grant) => [bytesKey(grant.roster.userId), grant.roster]));
    return new CaseState({
      index: 0, entryHash: entry.hash, lamport: entry.header.lamport, teamId: payload.teamId, epoch: 1, members,
      commitment: payload.commitment, fullEpoch: 0,
    });
  }

  #applyControl(entry, author, baseIndex, payload) {
    const { header } = entry;
    const base = this.states[baseIndex];
    if (author.role !== Role.COORDINATOR && !grantsACoordinator(payload)) {
      throw new Unauthorized("only a coordinator changes membership or keys; a volunteer adds only a coordinator");
    }
    if (baseIndex !== this.states.length - 1) {
      throw new ForkDetected("this control entry does not extend the latest control entry");
    }
    const members = new Map(base.members);
    if (payload instanceof AddMember) {
      if (header.epoch !== base.epoch) throw new EpochMismatch("adding a member keeps the epoch");
      const { grant } = payload;
      if (members.has(bytesKey(grant.roster.userId))) throw new InvalidControlEntry("this user is already a member");
      this.#checkMemberGrant(grant.roster, grant.wrapped, base.teamId, base.epoch);
      members.set(bytesKey(grant.roster.userId), grant.roster);
      return new CaseState({
        index: this.states.length, entryHash: entry.hash, lamport: header.lamport, teamId: base.teamId,
        epoch: base.epoch, members, commitment: base.commitment, fullEpoch: base.fullEpoch,
      });
    }
    if (payload instanceof RemoveMember) {
      if (!members.delete(bytesKey(payload.userId))) throw new InvalidControlEntry("this user is not a member");
      if (!sameHeads(payload.heads, this.deviceHeadsOf(payload.userId))) {
        throw new InvalidControlEntry("the frozen heads differ from the removed member's chains");
      }
    } else if (!(payload instanceof RotateKey)) {
      throw new InvalidLog("a control entry of an unknown kind");
    }
    const { rotation } = payload;
    if (header.epoch !== base.epoch + 1) throw new EpochMismatch("a rotation moves to the next epoch");
    if (members.size === 0) throw new InvalidControlEntry("a case keeps at least one member");
    const recipients = rotation.wraps.map((w) => bytesKey(w.recipient));
    const remaining = [...members.keys()].sort();
    if (recipients.length !== remaining.length || recipients.some((r, i) => r !== remaining[i])) {
      throw new InvalidControlEntry("the new key is wrapped to exactly the remaining members");
    }
    for (const wrapped of rotation.wraps) this.#checkWrap(wrapped, header.epoch, wrapped.recipient);
    const fullEpoch = rotation.mode === RotationMode.FULL ? header.epoch : base.fullEpoch;
    return new CaseState({
      index: this.states.length, entryHash: entry.hash, lamport: header.lamport, teamId: base.teamId,
      epoch: header.epoch, members, commitment: rotation.commitment, fullEpoch,
    });
  }

  #checkReseal(entry, author, base) {
    if (author.role !== Role.COORDINATOR) throw new Unauthorized("only a coordinator reseals entries");
    if (entry.body === null) return null;
    const ref = entry.body.slice(0, HASH_BYTES);
    const original = this.#byHash.get(bytesKey(ref));
    if (original === undefined || original.entry.header.kind !== Kind.CONTENT) {
      throw new InvalidLog("a reseal refers to an earlier content entry of the log");
    }
    if (original.entry.header.epoch >= base.fullEpoch) {
      throw new InvalidLog("only entries older than the latest full re-encryption are resealed");
    }
    if (this.#resealed.has(`${bytesKey(ref)}:${base.fullEpoch}`)) {
      throw new ReplayedEntry("this entry is already resealed for this re-encryption");
    }
    return ref;
  }

  #commit(verified, newState) {
    const { entry } = verified;
    const { header } = entry;
    this.entries.push(verified);
    this.#byHash.set(bytesKey(entry.hash), verified);
    this.#entryIds.add(bytesKey(header.entryId));
    const deviceKey = bytesKey(header.deviceId);
    if (!this.#devices.has(deviceKey)) {
      this.#devices.set(deviceKey,
        { deviceId: header.deviceId, author: header.author, hashes: [], lamport: 0, base: 0 });
    }
    const chain = this.#devices.get(deviceKey);
    chain.hashes.push(entry.hash);
    chain.lamport = header.lamport;
    chain.base = verified.base;
    this.maxLamport = Math.max(this.maxLamport, header.lamport);
    if (verified.ref !== null) {
      this.#resealed.set(`${bytesKey(verified.ref)}:${this.states[verified.base].fullEpoch}`, verified.ref);
    }
    if (newState !== null) {
      this.states.push(newState);
      if (verified.payload instanceof RemoveMember) {
        const key = bytesKey(verified.payload.userId);
        this.#removals.set(key, [...(this.#removals.get(key) ?? []), newState.index]);
      }
      if (verified.payload instanceof RemoveMember || verified.payload instanceof RotateKey) {
        this.#rotations.set(newState.epoch, verified.payload.rotation);
      }
    }
  }

  // Checks over the whole log.

  /** Every stub must be accounted for: a content stub by a reseal, a reseal stub by a newer one. */
  // The reseals of one full re-encryption are stubbed together or not at all: a stub hides which
  // entry its reseal named, so a whole reseal beside it could be a second one.
  checkComplete() {
    const referenced = new Set([...this.#resealed.values()].map(bytesKey));
    const { fullEpoch } = this.state;
    const stubbed = new Set(this.entries.filter((v) => v.entry.header.kind === Kind.RESEAL && v.entry.isStub)
      .map((v) => this.states[v.base].fullEpoch));
    for (const verified of this.entries) {
      const { header } = verified.entry;
      if (header.kind === Kind.RESEAL && !verified.entry.isStub && stubbed.has(this.states[verified.base].fullEpoch)) {
        throw new IncompleteLog("a reseal kept its body while another of the same re-encryption lost it");
      }
      if (!verified.entry.isStub) continue;
      if (header.kind === Kind.CONTENT && !referenced.has(bytesKey(verified.hash))) {
        throw new IncompleteLog("a content entry lost its body without being resealed");
      }
      if (header.kind === Kind.RESEAL && header.epoch >= fullEpoch) {
        throw new IncompleteLog("a reseal lost its body without a newer full re-encryption");
      }
    }
  }

  /** Refuse a log that does not extend a checkpoint verified earlier (or shown by another member). */
  checkAgainst(checkpoint) {
    if (!equalBytes(checkpoint.caseId, this.caseId)) throw new WrongCase("this checkpoint belongs to another case");
    if (this.states.length < checkpoint.controlCount) {
      throw new RollbackDetected("the control chain is shorter than the checkpoint");
    }
    if (!equalBytes(this.states[checkpoint.controlCount - 1].entryHash, checkpoint.controlTip)) {
      throw new ForkDetected("the control chain differs from the checkpoint");
    }
    for (const head of checkpoint.devices) {
      const chain = this.#devices.get(bytesKey(head.deviceId));
      if (chain === undefined || chain.hashes.length < head.seq) {
        throw new RollbackDetected("a device's chain is shorter than the checkpoint");
      }
      if (!equalBytes(chain.hashes[head.seq - 1], head.hash)) {
        throw new ForkDetected("a device's chain differs from the checkpoint");
      }
    }
  }

  // Keys.

  // Every wrapped key with the roster entry its recipient is pinned to in the state it makes.
  * #wraps() {
    for (const verified of this.entries) {
      const { payload } = verified;
      let wraps;
      if (payload instanceof Genesis) wraps = payload.grants.map((grant) => grant.wrapped);
      else if (payload instanceof AddMember) wraps = [payload.grant.wrapped];
      else if (payload instanceof RemoveMember || payload instanceof RotateKey) wraps = payload.rotation.wraps;
      else continue;
      const { members } = this.states[verified.base];
      for (const wrapped of wraps) yield [wrapped, members.get(bytesKey(wrapped.recipient))];
    }
  }

  #commitment(epoch) {
    return this.states.find((state) => state.epoch === epoch).commitment;
  }

  /**
   * Every epoch key this member can reach (docs/PROTOCOL.md 8.5 step 2): their own wrapped keys
   * in log order, each checked against its commitment, then history boxes back. Returns a Map
   * from epoch to the 32-byte key.
   */
  async recoverCaseKeysAsMember(member) {
    const keys = new Map();
    for (const [wrapped, recipient] of this.#wraps()) {
      // A key wrapped to this person's earlier keys (before a passphrase reset) is not theirs now.
      if (equalBytes(wrapped.recipient, member.userId) && !keys.has(wrapped.epoch)
        && equalBytes(recipient.encryptionPublic, member.encryptionPublic)) {
        const key = await unwrapCaseKeyAsMember(wrapped, member, { caseId: this.caseId, epoch: wrapped.epoch });
        await checkCaseKeyCommitment(key, this.#commitment(wrapped.epoch),
          { caseId: this.caseId, epoch: wrapped.epoch });
        keys.set(wrapped.epoch, key);
      }
    }
    for (let epoch = this.state.epoch; epoch > 1; epoch -= 1) {
      const rotation = this.#rotations.get(epoch);
      if (keys.has(epoch) && !keys.has(epoch - 1) && rotation.history !== null) {
        keys.set(epoch - 1, await this.#openHistory(rotation, keys.get(epoch), epoch));
      }
    }
    return keys;
  }

  async #openHistory(rotation, key, epoch) {
    const previous = await openPreviousCaseKey(rotation.history, key, { caseId: this.caseId, newEpoch: epoch });
    await checkCaseKeyCommitment(previous, this.#commitment(epoch - 1), { caseId: this.caseId, epoch: epoch - 1 });
    return previous;
  }

  /** Each key matches its epoch's commitment and each history box opens to the previous key. */
  async checkCaseKeys(keys) {
    for (const [epoch, key] of keys) {
      if (!Number.isInteger(epoch) || epoch < 1 || epoch > this.state.epoch) {
        throw new EpochMismatch(`the log has no epoch ${epoch}`);
      }
      await checkCaseKeyCommitment(key, this.#commitment(epoch), { caseId: this.caseId, epoch });
      // Whoever holds an epoch's key checks the box it opens: a coordinator who sealed a wrong
      // previous key there is caught by the previous epoch's commitment.
      const rotation = this.#rotations.get(epoch);
      if (rotation !== undefined && rotation.history !== null) await this.#openHistory(rotation, key, epoch);
    }
  }

  /**
   * Open every sealed entry whose epoch key is given (a Map from epoch to key); returns a Map
   * from the hex of each content entry's hash to its body JSON bytes. A content entry reduced
   * to a stub takes its body from the reseal that refers to it; a reseal whose original is
   * still whole must hold exactly the original's body.
   */
  async openWith(keys) {
    await this.checkCaseKeys(keys);
    const bodies = new Map();
    for (const verified of this.entries) {
      const { entry } = verified;
      const key = keys.get(entry.header.epoch);
      const sealed = entry.header.kind === Kind.CONTENT || entry.header.kind === Kind.RESEAL;
      if (!sealed || entry.body === null || key === undefined) continue;
      const body = await openEntryBody(entry.header, entry.body, key);
      if (verified.ref === null) {
        bodies.set(bytesKey(verified.hash), body);
      } else {
        const refKey = bytesKey(verified.ref);
        if (bodies.has(refKey) && !equalBytes(bodies.get(refKey), body)) {
          throw new ResealMismatch("a reseal does not hold the body of the entry it replaces");
        }
        bodies.set(refKey, body);
      }
    }
    return bodies;
  }
}

/**
 * Check a whole case log; with a checkpoint, refuse rollbacks and forks; with keys (a Map from
 * epoch to key), open it all. Without keys it needs only the association public key and the
 * bytes, as a server-side verifier does.
 */
export async function verifyCaseLog(caseId, envelopes, associationKey, { checkpoint = null, caseKeys = null } = {}) {
  const log = new CaseLog(caseId, associationKey);
  for (const raw of envelopes) await log.append(raw);
  log.checkComplete();
  if (checkpoint !== null) log.checkAgainst(checkpoint);
  if (caseKeys !== null) await log.openWith(caseKeys);
  return log;
}

/** A member's whole read path: verify, recover every reachable key, open every entry. */
export async function openCaseLogAsMember(caseId, envelopes, associationKey, member, { checkpoint = null } = {}) {
  const log = await verifyCaseLog(caseId, envelopes, associationKey, { checkpoint });
  const keys = await log.recoverCaseKeysAsMember(member);
  return { log, keys, bodies: await log.openWith(keys) };
}
