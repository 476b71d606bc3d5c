// Writing a case: each function is one party's action, producing one signed entry
// (crypto/writer.py, docs/PROTOCOL.md section 8).
//
// Every function builds the entry on the writer's own verified view of the case (a CaseLog),
// appends it there through the same `append` a reader uses, and returns the bytes to upload.
// So a device never sends an entry its own verifier would refuse, and its view always
// includes what it wrote while offline. Randomness (ids, keys, nonces) and time can be passed
// in, which is how vectors and tests get exact bytes; only the HPKE ephemeral keys inside
// wrapped keys cannot.
//
// Between reading the view and appending, a writer awaits WebCrypto; a caller must not run two
// writers on one view at once (the second would build on a stale position, and its own append
// would refuse it).

import { CaseLog } from "./caselog.js";
import {
  caseKeyCommitment,
  checkCaseKeyCommitment,
  newCaseKey,
  sealPreviousCaseKey,
  wrapCaseKeyForMember,
} from "./casekeys.js";
import { AddMember, Genesis, MemberGrant, RemoveMember, RotateKey, Rotation, RotationMode } from "./control.js";
import { bytesKey, compareBytes, equalBytes } from "./encoding.js";
import { EntryHeader, Kind, makeEntryAsAuthor, parseEntry, sealEntryBody, ZERO_HASH } from "./entry.js";
import { InvalidControlEntry, NotAMember } from "./errors.js";
import { newId } from "./keys.js";

function header(log, kind, author, deviceId, epoch, entryId, now) {
  const { seq, hash } = log.devicePosition(deviceId);
  return new EntryHeader({
    kind, caseId: log.caseId, entryId: newId(entryId), epoch, author: author.userId, deviceId,
    deviceSeq: seq + 1, prevHash: hash, controlHead: log.state.entryHash, lamport: log.maxLamport + 1,
    time: now ?? Date.now(),
  });
}

async function signAndAppend(log, entryHeader, body, author) {
  const envelope = (await makeEntryAsAuthor(entryHeader, body, author)).toBytes();
  await log.append(envelope);
  return envelope;
}

/**
 * A volunteer or coordinator opens a case, offline if need be, for themselves and others
 * (8.3). `members` are roster entries the author's client verified and holds as current; the
 * author should include the team's coordinators. Returns {caseId, caseKey, envelope, log}.
 */
export async function createCaseAsMember(author, {
  associationKey, teamId, deviceId, members, caseId = undefined, caseKey = undefined, entryId = undefined,
  now = undefined,
}) {
  const id = newId(caseId);
  const key = newCaseKey(caseKey);
  if (!members.some((m) => equalBytes(m.userId, author.userId))) {
    throw new NotAMember("the author of a case is one of its members");
  }
  const sorted = [...members].sort((a, b) => compareBytes(a.userId, b.userId));
  const grants = [];
  for (const member of sorted) {
    grants.push(new MemberGrant(member, await wrapCaseKeyForMember(key, { caseId: id, epoch: 1, recipient: member })));
  }
  const body = new Genesis(teamId, await caseKeyCommitment(key, { caseId: id, epoch: 1 }), grants).toBytes();
  const entryHeader = new EntryHeader({
    kind: Kind.GENESIS, caseId: id, entryId: newId(entryId), epoch: 1, author: author.userId, deviceId,
    deviceSeq: 1, prevHash: ZERO_HASH, controlHead: ZERO_HASH, lamport: 1, time: now ?? Date.now(),
  });
  const log = new CaseLog(id, associationKey);
  const envelope = await signAndAppend(log, entryHeader, body, author);
  return { caseId: id, caseKey: key, envelope, log };
}

/**
 * A member writes an entry (intake, field edit, status...) in the current epoch (8.4). The key
 * must match the current epoch's commitment, so a device that has seen a rotation can never
 * seal under the old key.
 */
export async function sealEntryAsAuthor(log, author, {
  deviceId, caseKey, bodyJson, entryId = undefined, nonce = undefined, now = undefined,
}) {
  const { state } = log;
  await checkCaseKeyCommitment(caseKey, state.commitment, { caseId: log.caseId, epoch: state.epoch });
  const entryHeader = header(log, Kind.CONTENT, author, deviceId, state.epoch, entryId, now);
  return signAndAppend(log, entryHeader, await sealEntryBody(entryHeader, bodyJson, caseKey, { nonce }), author);
}

/** A coordinator grants a member the current key, or a volunteer a coordinator of the team (8.6); history comes through history boxes. */
export async function addMemberAsCoordinator(log, coordinator, {
  deviceId, newMember, caseKey, entryId = undefined, now = undefined,
}) {
  const { state } = log;
  await checkCaseKeyCommitment(caseKey, state.commitment, { caseId: log.caseId, epoch: state.epoch });
  const wrapped = await wrapCaseKeyForMember(caseKey, { caseId: log.caseId, epoch: state.epoch, recipient: newMember });
  const body = new AddMember(new MemberGrant(newMember, wrapped)).toBytes();
  return signAndAppend(log, header(log, Kind.ADD, coordinator, deviceId, state.epoch, entryId, now), body, coordinator);
}

async function rotation(log, members, caseKey, newKey, full, historyNonce) {
  const { state } = log;
  await checkCaseKeyCommitment(caseKey, state.commitment, { caseId: log.caseId, epoch: state.epoch });
  const epoch = state.epoch + 1;
  const wraps = [];
  for (const userKey of [...members.keys()].sort()) {
    wraps.push(await wrapCaseKeyForMember(newKey, { caseId: log.caseId, epoch, recipient: members.get(userKey) }));
  }
  const history = full ? null
    : await sealPreviousCaseKey(caseKey, newKey, { caseId: log.caseId, newEpoch: epoch, nonce: historyNonce });
  return new Rotation(full ? RotationMode.FULL : RotationMode.LINKED,
    await caseKeyCommitment(newKey, { caseId: log.caseId, epoch }), wraps, history);
}

/**
 * A coordinator removes a member and rotates in the same entry (8.8); returns {envelope,
 * newKey}. The entry freezes the removed member's device chains at the heads the coordinator
 * has verified, so nothing they write afterwards, backdated or not, is accepted.
 */
export async function removeMemberAsCoordinator(log, coordinator, {
  deviceId, userId, caseKey, full = false, newKey = undefined, historyNonce = undefined, entryId = undefined,
  now = undefined,
}) {
  const members = new Map(log.state.members);
  if (!members.delete(bytesKey(userId))) throw new InvalidControlEntry("this user is not a member");
  const key = newCaseKey(newKey);
  const rotated = await rotation(log, members, caseKey, key, full, historyNonce);
  const body = new RemoveMember(userId, log.deviceHeadsOf(userId), rotated).toBytes();
  const entryHeader = header(log, Kind.REMOVE, coordinator, deviceId, log.state.epoch + 1, entryId, now);
  return { envelope: await signAndAppend(log, entryHeader, body, coordinator), newKey: key };
}

/** A coordinator moves the case to a new epoch key for the same members (8.7); returns {envelope, newKey}. */
export async function rotateCaseKeyAsCoordinator(log, coordinator, {
  deviceId, caseKey, full = false, newKey = undefined, historyNonce = undefined, entryId = undefined, now = undefined,
}) {
  const key = newCaseKey(newKey);
  const rotated = await rotation(log, log.state.members, caseKey, key, full, historyNonce);
  const entryHeader = header(log, Kind.ROTATE, coordinator, deviceId, log.state.epoch + 1, entryId, now);
  const envelope = await signAndAppend(log, entryHeader, new RotateKey(rotated).toBytes(), coordinator);
  return { envelope, newKey: key };
}

/** Reseal one content entry under the current (post full re-encryption) epoch key. */
export async function resealEntryAsCoordinator(log, coordinator, {
  deviceId, caseKey, contentHash, bodyJson, entryId = undefined, nonce = undefined, now = undefined,
}) {
  const { state } = log;
  await checkCaseKeyCommitment(caseKey, state.commitment, { caseId: log.caseId, epoch: state.epoch });
  const entryHeader = header(log, Kind.RESEAL, coordinator, deviceId, state.epoch, entryId, now);
  const body = await sealEntryBody(entryHeader, bodyJson, caseKey, { nonce, ref: contentHash });
  return signAndAppend(log, entryHeader, body, coordinator);
}

/**
 * The content entries older than the latest full re-encryption that have no reseal for it yet,
 * in log order: what is left of a full re-encryption (8.9). The log itself is the progress, so
 * an interrupted re-encryption resumes where it stopped.
 */
export function pendingReseals(log) {
  const { fullEpoch } = log.state;
  if (!fullEpoch) return [];
  const done = new Set(log.entries.filter((v) => v.entry.header.kind === Kind.RESEAL
    && log.states[v.base].fullEpoch === fullEpoch).map((v) => bytesKey(v.ref)));
  return log.entries.filter((v) => v.entry.header.kind === Kind.CONTENT && v.entry.header.epoch < fullEpoch
    && !done.has(bytesKey(v.hash)));
}

/**
 * Reseal up to `limit` pending content entries (pendingReseals) under the current epoch key;
 * `bodies` is what log.openWith gave before the rotation. Returns the envelopes, in order.
 */
export async function resealPendingAsCoordinator(log, coordinator, {
  deviceId, caseKey, bodies, limit = Infinity, now = undefined,
}) {
  const envelopes = [];
  for (const verified of pendingReseals(log).slice(0, limit)) {
    envelopes.push(await resealEntryAsCoordinator(log, coordinator, {
      deviceId, caseKey, contentHash: verified.hash, bodyJson: bodies.get(bytesKey(verified.hash)), now,
    }));
  }
  return envelopes;
}

/**
 * Full re-encryption after a key compromise (8.9): an unlinked rotation, then a reseal of every
 * content entry. Once these are uploaded the server may replace the old envelopes by stubs,
 * and nothing stored is readable with the compromised keys any more. `caseKeys` is a Map from
 * epoch to key; returns {envelopes (in upload order), newKey}.
 */
export async function reencryptCaseAsCoordinator(log, coordinator, {
  deviceId, caseKeys, newKey = undefined, now = undefined,
}) {
  const bodies = await log.openWith(caseKeys);
  const rotated = await rotateCaseKeyAsCoordinator(log, coordinator, {
    deviceId, caseKey: caseKeys.get(log.state.epoch), full: true, newKey, now,
  });
  const reseals = await resealPendingAsCoordinator(log, coordinator, { deviceId, caseKey: rotated.newKey, bodies, now });
  return { envelopes: [rotated.envelope, ...reseals], newKey: rotated.newKey };
}

/** What the server keeps of a resealed entry: header, body digest and signature, no ciphertext. */
export async function stubOf(envelope) {
  return (await parseEntry(envelope)).stub().toBytes();
}
