// One case record brought to the server's state (docs/PROTOCOL.md 8.12). A record keeps its
// entries as a confirmed part, the server's log in the server's order, then a pending part, this
// device's own entries not yet seen in a pull. When the confirmed part grows, the pending entries
// are appended after it again; from the first that no longer fits (or that the server refused),
// each one is replaced by what it meant to do, done again on the new view. What cannot be done
// again without the person (they were removed, or the device's clock is wrong) becomes a refused
// entry: kept with its text until the person sends it again or discards it.

import {
  addMemberAsCoordinator, b64urlDecode, b64urlEncode, bytesKey, CarnetCryptoError, CaseLog, checkCaseKeyCommitment, checkNotRevoked,
  InvalidLog, KeyCommitmentMismatch, Kind, NotAMember, openEntryBody, parseControlPayload, parseEntry, removeMemberAsCoordinator,
  Role, rotateCaseKeyAsCoordinator, RotationMode, sealEntryAsAuthor,
} from "../protocol/index.js";
import { associationKey, knownRevocations, rosterStatuses } from "../store/roster.js";

// Refusals that only the person can answer: they were removed from the case after the point the
// entry was written on, or the server found the device's clock too far ahead.
const NEEDS_THE_PERSON = new Set(["not-a-member", "NotAMember", "ClockOutOfRange"]);

export function confirmedPart(record) {
  return record.envelopes.slice(0, record.envelopes.length - (record.pending ?? 0));
}

export function pendingPart(record) {
  return record.envelopes.slice(record.envelopes.length - (record.pending ?? 0));
}

function keyMap(record) {
  return new Map(Object.entries(record.keys ?? {}).map(([epoch, key]) => [Number(epoch), b64urlDecode(key)]));
}

// What each pending entry meant, read while the keys that sealed it are still at hand.
async function intentsOf(pending, keys, assocKey) {
  const intents = [];
  for (const envelope of pending) {
    const entry = await parseEntry(b64urlDecode(envelope));
    const { kind, epoch } = entry.header;
    const intent = { envelope, kind, time: entry.header.time };
    if (kind === Kind.CONTENT && entry.body && keys.has(epoch)) {
      intent.body = await openEntryBody(entry.header, entry.body, keys.get(epoch));
    } else if (kind !== Kind.CONTENT && kind !== Kind.RESEAL && entry.body) {
      intent.payload = await parseControlPayload(kind, entry.body, assocKey);
    }
    intents.push(intent);
  }
  return intents;
}

// The keys of the confirmed view: recovered from it, plus those this device held that still
// match their epoch's commitment (a key made for a rotation the server refused does not).
async function viewKeys(log, held, account) {
  const keys = await log.recoverCaseKeysAsMember(account);
  for (const [epoch, key] of held) {
    const state = log.states.find((s) => s.epoch === epoch);
    if (keys.has(epoch) || !state) continue;
    try {
      await checkCaseKeyCommitment(key, state.commitment, { caseId: log.caseId, epoch });
      keys.set(epoch, key);
    } catch (error) {
      // A key of a refused rotation: dropped with it. Anything else is a fault to report.
      if (!(error instanceof KeyCommitmentMismatch)) throw error;
    }
  }
  return keys;
}

function isCoordinatorMember(log, me) {
  return log.state.members.get(bytesKey(me))?.role === Role.COORDINATOR;
}

// Do one intent again on the view; returns the new envelope, or null when there is nothing to do.
async function redo(state, log, keys, intent) {
  const me = state.account.userId;
  const deviceId = state.vault.device.deviceId;
  const caseKey = keys.get(log.state.epoch);
  if (intent.kind === Kind.CONTENT) {
    if (!caseKey) throw new NotAMember("no key for the current epoch of this case");
    return sealEntryAsAuthor(log, state.account, { deviceId, caseKey, bodyJson: intent.body });
  }
  const { payload } = intent;
  if (!isCoordinatorMember(log, me) && !(intent.kind === Kind.ADD && payload.grant.roster.role === Role.COORDINATOR)) {
    return null;
  }
  let written = null;
  if (intent.kind === Kind.ADD && !log.state.members.has(bytesKey(payload.grant.roster.userId))) {
    return addMemberAsCoordinator(log, state.account, { deviceId, newMember: payload.grant.roster, caseKey });
  }
  if (intent.kind === Kind.REMOVE && log.state.members.has(bytesKey(payload.userId))) {
    written = await removeMemberAsCoordinator(log, state.account, {
      deviceId, userId: payload.userId, caseKey, full: payload.rotation.mode === RotationMode.FULL });
  } else if (intent.kind === Kind.ROTATE) {
    written = await rotateCaseKeyAsCoordinator(log, state.account, {
      deviceId, caseKey, full: payload.rotation.mode === RotationMode.FULL });
  }
  if (!written) return null;
  keys.set(log.state.epoch, written.newKey);
  return written.envelope;
}

function refusal(intent, code, removedAt) {
  return { body: new TextDecoder().decode(intent.body), code, at: Date.now(), written: intent.time, removedAt };
}

// The server's entries verified as every reader must (docs/PROTOCOL.md 9), each first checked
// against the revocations of the verified roster (9.2): nothing granted to, or written by, a
// person after their revocation is accepted.
async function verifyConfirmed(state, caseId, envelopes, assocKey) {
  const revocations = await knownRevocations(state);
  const log = new CaseLog(caseId, assocKey);
  if (!envelopes.length) throw new InvalidLog("the case log is empty");
  for (const envelope of envelopes) {
    const raw = b64urlDecode(envelope);
    await checkNotRevoked(log, raw, revocations);
    await log.append(raw);
  }
  log.checkComplete();
  return log;
}

/**
 * Bring `record` to the server's state: `incoming` are the case's entries from the server
 * ({seq, envelope}, in the server's order), `refusedByServer` maps envelopes the server just
 * refused to their code. Returns the new record and the envelopes now pending (to queue).
 * Throws a protocol error when the server's entries do not verify: the caller sets the case aside.
 */
export async function rebaseRecord(state, record, incoming, refusedByServer = new Map()) {
  const assocKey = await associationKey(state);
  const held = keyMap(record);
  const confirmed = confirmedPart(record);
  const known = new Set(confirmed);
  let lastSeq = record.lastSeq ?? 0;
  for (const { seq, envelope } of incoming) {
    if (!known.has(envelope)) {
      confirmed.push(envelope);
      known.add(envelope);
    }
    lastSeq = Math.max(lastSeq, seq ?? 0);
  }
  const pending = pendingPart(record).filter((envelope) => !known.has(envelope));
  const intents = await intentsOf(pending, held, assocKey);
  const log = await verifyConfirmed(state, b64urlDecode(record.id), confirmed, assocKey);
  const keys = await viewKeys(log, held, state.account);
  const kept = [];
  const refused = [...(record.refused ?? [])];
  const statuses = await rosterStatuses(state);
  const refusedGrants = new Map(Object.entries(record.refusedGrants ?? {}));
  let rewritten = false;
  let cause = null;
  for (const intent of intents) {
    if (!rewritten) {
      const code = refusedByServer.get(intent.envelope);
      try {
        if (code) throw Object.assign(new Error(code), { code });
        const verified = await log.append(b64urlDecode(intent.envelope));
        if (verified.payload?.rotation && held.has(log.state.epoch)) keys.set(log.state.epoch, held.get(log.state.epoch));
        kept.push(intent.envelope);
        continue;
      } catch (error) {
        if (!code && !(error instanceof CarnetCryptoError)) throw error;
        rewritten = true;
        cause = code ?? error.constructor.name;
      }
    }
    if (intent.kind === Kind.RESEAL || intent.kind === Kind.GENESIS) continue;
    if (intent.kind === Kind.ADD && statuses[b64urlEncode(intent.payload.grant.roster.userId)] === "disabled") {
      // The server refuses it (member-disabled): dropped, and the person is told on the case.
      refusedGrants.set(b64urlEncode(intent.payload.grant.roster.userId), Date.now());
      continue;
    }
    const member = log.state.members.has(bytesKey(state.account.userId));
    if (intent.kind === Kind.CONTENT && (!member || NEEDS_THE_PERSON.has(cause) || !intent.body)) {
      if (intent.body) refused.push(refusal(intent, member ? cause : "not-a-member", lastRemovalOf(log, state.account.userId)));
      continue;
    }
    let envelope = null;
    try {
      envelope = await redo(state, log, keys, intent);
    } catch (error) {
      // A writer checks its entry before appending it, so the view is unchanged: a change of
      // members the new view no longer allows is dropped, a text is kept for the person.
      if (!(error instanceof CarnetCryptoError)) throw error;
      if (intent.body) refused.push(refusal(intent, error.constructor.name, lastRemovalOf(log, state.account.userId)));
    }
    if (envelope) kept.push(b64urlEncode(envelope));
  }
  const next = {
    ...record, envelopes: [...confirmed, ...kept], pending: kept.length, lastSeq, refused,
    keys: Object.fromEntries([...keys].map(([epoch, key]) => [epoch, b64urlEncode(key)])),
    removed: removalOf(log, state.account.userId),
    refusedGrants: Object.fromEntries([...refusedGrants].filter(([id]) => !log.state.members.has(bytesKey(b64urlDecode(id))))),
  };
  return { record: next, log, keys, rewritten, queued: kept };
}

// The time of the last REMOVE of this person in the view, if any.
function lastRemovalOf(log, me) {
  const removals = log.entries.filter((v) => v.entry.header.kind === Kind.REMOVE
    && bytesKey(v.payload.userId) === bytesKey(me));
  return removals.length ? removals[removals.length - 1].entry.header.time : null;
}

// When this person is no longer a member of the view: since when (null if never one).
function removalOf(log, me) {
  if (log.state.members.has(bytesKey(me))) return null;
  return { at: lastRemovalOf(log, me) };
}
