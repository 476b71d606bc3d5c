// The sync engine: an outbox of sealed entries in the device store, pushed in batches when
// there is a network; then what changed is pulled and checked like everything else. An entry
// leaves the outbox when the server has confirmed it (stored, or already there), or when its
// case is brought up to date after the server refused it (docs/PROTOCOL.md 8.12): done again on
// the new view, or kept in its case as a refused entry for the person. A case whose entries from
// the server do not verify is set aside; the sync goes on with the others.

import { b64urlDecode, bytesKey, CarnetCryptoError, Kind, parseControlPayload, parseEntry } from "../protocol/index.js";
import { keepVerified, summaryFor } from "../store/cases.js";
import { caseRecords, caseSummaries, drafts, outbox as outboxRecords, queueEntries, syncProgress, syncState, teamPolicy } from "../store/records.js";
import { associationKey } from "../store/roster.js";
import { callApi } from "./api.js";
import { refreshRoster } from "./directory.js";
import { rotateDueCases } from "./membership.js";
import { confirmedPart, pendingPart, rebaseRecord } from "./rebase.js";
import { accountEnabled } from "./disabled.js";
import { sessionPerson, SyncFailed } from "./session.js";
import { keepMembershipUp } from "./upkeep.js";
import { syncMeasures } from "./measures.js";

export { SyncFailed } from "./session.js";

const BATCH_ENTRIES = 50;
const BATCH_BYTES = 4 * 1024 * 1024;

/** How many cases (an interview each, with its photos and edits) have entries waiting to be sent. */
export async function pendingCases(state) {
  const waiting = (await outboxRecords.list(state.vault)).filter(([, item]) => !item.refused);
  return new Set(waiting.map(([, item]) => item.caseId)).size;
}

// The session, renewed if it expired while offline (sync/session.js). The team's policy comes
// with it and is kept for the retention pass after the sync. A disabled account's login answers
// `account-disabled` (an ApiProblem the app acts on, see disabled.js); a session taken again
// means the account is enabled.
async function ensureSession(state) {
  const me = await sessionPerson(state);
  await accountEnabled(state);
  await teamPolicy.put(state.vault, me.team ?? null);
}

// How long this device keeps a synced case, in days (null: always). Coordinators review their
// team's cases offline, so the policy applies to volunteers' devices only.
export async function retentionDays(state) {
  if (state.profile?.role !== "volunteer") return null;
  const team = await teamPolicy.get(state.vault);
  return team?.retention_days ?? null;
}

const DAY_MS = 24 * 3600 * 1000;

/** When a case last touched at `updated` may leave this device under `days` of retention. */
export function leavesAt(updated, days) {
  return updated + days * DAY_MS;
}

// Cases whose every entry the server has confirmed, untouched here for longer than the policy
// allows, leave the device with their keys; the server list brings them back when opened. Never
// one the person is using: on screen (`state.caseInUse`, set by the app) or with a draft.
async function applyRetention(state, now = Date.now()) {
  const days = await retentionDays(state);
  if (days === null) return 0;
  const waiting = new Set((await outboxRecords.list(state.vault)).map(([, item]) => item.caseId));
  const drafted = new Set((await drafts.list(state.vault)).map(([id]) => id));
  const inUse = state.caseInUse?.();
  const leaving = [];
  for (const { id, pending, refused, setAside, updated } of await caseSummaries(state.vault)) {
    if (waiting.has(id) || drafted.has(id) || id === inUse || pending || refused || setAside) continue;
    if (leavesAt(updated, days) <= now) leaving.push(id);
  }
  // In one transaction: each shelf is sealed once, however many of its cases leave.
  await caseRecords.deleteMany(state.vault, leaving);
  return leaving.length;
}

function batches(items) {
  const out = [];
  let current = [];
  let size = 0;
  for (const item of items) {
    const bytes = item[1].envelope.length;
    if (current.length && (current.length === BATCH_ENTRIES || size + bytes > BATCH_BYTES)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += bytes;
  }
  if (current.length) out.push(current);
  return out;
}

// Each batch's results are kept at once: an accepted entry leaves the outbox (it stays pending in
// its case until pulled); a refused one stays, marked with its code, until its case is rebased.
async function pushOutbox(state, progress) {
  // A case set aside waits for its repair: its entries would be built on a view that may be wrong.
  const aside = new Set((await caseSummaries(state.vault)).filter((summary) => summary.setAside).map(({ id }) => id));
  const items = (await outboxRecords.list(state.vault)).filter(([, item]) => !item.refused && !aside.has(item.caseId));
  let done = 0;
  for (const batch of batches(items)) {
    const { results } = await callApi("POST", "/api/v1/sync/push", { entries: batch.map(([, item]) => item.envelope) });
    for (const [index, result] of results.entries()) {
      const [key, item] = batch[index];
      if (result.status === "stored" || result.status === "duplicate") await outboxRecords.delete(state.vault, key);
      else await outboxRecords.put(state.vault, key, { ...item, refused: result.code ?? result.status });
    }
    done += batch.length;
    progress(done / Math.max(items.length, 1) / 2);
  }
}

async function pullChanges(state) {
  const sync = await syncState(state.vault);
  const touched = new Map();
  for (;;) {
    const page = await callApi("GET", `/api/v1/sync/pull?cursor=${sync.cursor}`);
    for (const entry of page.entries) {
      if (!touched.has(entry.case_id)) touched.set(entry.case_id, []);
      touched.get(entry.case_id).push({ seq: entry.seq, envelope: entry.envelope });
    }
    sync.cursor = page.next_cursor;
    if (!page.more) break;
  }
  return { touched, sync };
}

async function outboxOf(state, caseId) {
  return (await outboxRecords.list(state.vault)).filter(([, item]) => item.caseId === caseId);
}

// The outbox of a case made to hold exactly its pending entries, in order.
async function reconcileOutbox(state, caseId, outbox, queued) {
  const wanted = new Set(queued);
  const present = new Set();
  for (const [key, item] of outbox) {
    if (wanted.has(item.envelope) && !item.refused) present.add(item.envelope);
    else await outboxRecords.delete(state.vault, key);
  }
  await queueEntries(state.vault, caseId, queued.filter((envelope) => !present.has(envelope)));
}

// A record kept before pending entries were counted: its outbox entries are its pending part.
function normalise(record, outbox) {
  if (record.pending !== undefined) return record;
  const waiting = new Set(outbox.map(([, item]) => item.envelope));
  const confirmed = record.envelopes.filter((envelope) => !waiting.has(envelope));
  const pending = record.envelopes.filter((envelope) => waiting.has(envelope));
  return { ...record, envelopes: [...confirmed, ...pending], pending: pending.length };
}

// A pulled ADD that grants this person: the cursor passed what was written while they were not
// a member, so the case is fetched from the last entry the device has.
async function grantsMe(state, pulled) {
  const me = b64urlDecode(state.vault.userId);
  for (const { envelope } of pulled) {
    const entry = await parseEntry(b64urlDecode(envelope));
    if (entry.header.kind !== Kind.ADD) continue;
    const payload = await parseControlPayload(Kind.ADD, entry.body, await associationKey(state));
    if (bytesKey(payload.grant.roster.userId) === bytesKey(me)) return true;
  }
  return false;
}

function emptyRecord(caseId) {
  return { id: caseId, envelopes: [], pending: 0, keys: {}, refused: [], created: Date.now() };
}

// One case brought to the server's state (docs/PROTOCOL.md 8.12): new entries verified and kept,
// pending work appended again or redone. A case whose entries do not verify is set aside, with
// its record unchanged, and the sync goes on with the others.
async function bringUpToDate(state, caseId, pulled) {
  let record = await caseRecords.get(state.vault, caseId);
  const outbox = await outboxOf(state, caseId);
  // Under a retention policy, a case this device does not hold stays on the server until opened.
  if (!record && (!pulled.length || (await retentionDays(state)) !== null)) return "same";
  if (record?.setAside) return "aside";
  record = record ? normalise(record, outbox) : emptyRecord(caseId);
  let incoming = pulled;
  if (!confirmedPart(record).length) {
    // Nothing confirmed yet: the case starts in this pull, or is fetched whole.
    if (!pulled.length) return neverStored(state, record, outbox);
    if ((await parseEntry(b64urlDecode(pulled[0].envelope))).header.kind !== Kind.GENESIS) {
      incoming = await fetchCaseEntries(caseId);
    }
  } else if (await grantsMe(state, pulled)) {
    incoming = await fetchCaseEntries(caseId, record.lastSeq ?? 0);
  }
  return keepRebased(state, record, incoming, outbox);
}

// `kept` is the record as it stands in the store: what stays, set aside, if the server's entries
// do not verify.
async function keepRebased(state, record, incoming, outbox, kept = record) {
  const refusedByServer = new Map(outbox.filter(([, item]) => item.refused).map(([, item]) => [item.envelope, item.refused]));
  let rebased;
  try {
    rebased = await rebaseRecord(state, record, incoming, refusedByServer);
  } catch (error) {
    if (!(error instanceof CarnetCryptoError)) throw error;
    if (kept.envelopes.length) {
      await caseRecords.put(state.vault, kept.id, { ...kept, setAside: { code: error.constructor.name, at: Date.now() } });
    }
    return "aside";
  }
  const { record: next, log, keys, queued } = rebased;
  next.updated = Date.now();
  // The rebased log was verified from the server's entries: kept as the case's log while unlocked.
  keepVerified(state, next.id, next.envelopes, log);
  next.summary = await summaryFor(state, next.id, log, keys);
  await caseRecords.put(state.vault, next.id, next);
  await reconcileOutbox(state, next.id, outbox, queued);
  return rebased.rewritten ? "rewritten" : "same";
}

// A case whose first entry the server refused: nothing on the server to build on. Its entries
// wait, the person is told, and a repair offers them to the server again.
async function neverStored(state, record, outbox) {
  const refused = outbox.find(([, item]) => item.refused);
  if (!refused) return "same";
  await caseRecords.put(state.vault, record.id, { ...record, setAside: { code: refused[1].refused, at: Date.now() } });
  return "aside";
}

async function fetchCaseEntries(caseId, after = 0) {
  const all = [];
  for (;;) {
    const page = await callApi("GET", `/api/v1/sync/cases/${encodeURIComponent(caseId)}/entries?after=${after}`);
    all.push(...page.entries.map((e) => ({ seq: e.seq, envelope: e.envelope })));
    after = page.next_cursor;
    if (!page.more) break;
  }
  return all;
}

// A case kept on the server, fetched whole, verified and stored again because it is opened.
export async function fetchCase(state, caseId) {
  await ensureSession(state);
  const outcome = await keepRebased(state, emptyRecord(caseId), await fetchCaseEntries(caseId), []);
  if (outcome === "aside") throw new SyncFailed("aside", "this case does not verify");
}

// A case kept on the server, fetched and verified in memory for what its row may say (number,
// place): nothing of it is stored, and it leaves memory with the answer.
export async function peekCase(state, caseId) {
  const entries = await fetchCaseEntries(caseId);
  try {
    const { log, keys } = await rebaseRecord(state, emptyRecord(caseId), entries);
    const { number, place } = await summaryFor(state, caseId, log, keys);
    return { number, place };
  } catch (error) {
    if (error instanceof CarnetCryptoError) throw new SyncFailed("aside", "this case does not verify");
    throw error;
  }
}

// Repair of a case set aside (docs/PROTOCOL.md 8.12 item 7): fetched whole and verified from its
// first entry; this device's own entries the server lacks are offered again with the pending ones.
export async function repairCase(state, caseId) {
  await ensureSession(state);
  const record = await caseRecords.get(state.vault, caseId);
  const outbox = await outboxOf(state, caseId);
  if (!confirmedPart(normalise(record, outbox)).length) {
    for (const [key, item] of outbox) await outboxRecords.put(state.vault, key, { ...item, refused: undefined });
    await caseRecords.put(state.vault, caseId, { ...record, setAside: null });
    return syncNow(state);
  }
  const all = await fetchCaseEntries(caseId);
  const onServer = new Set(all.map((e) => e.envelope));
  const device = bytesKey(state.vault.device.deviceId);
  const lacking = [];
  for (const envelope of confirmedPart(normalise(record, outbox))) {
    if (!onServer.has(envelope) && bytesKey((await parseEntry(b64urlDecode(envelope))).header.deviceId) === device) {
      lacking.push(envelope);
    }
  }
  const pending = [...lacking, ...pendingPart(normalise(record, outbox))];
  const base = { ...record, envelopes: pending, pending: pending.length, lastSeq: 0, setAside: null };
  if (await keepRebased(state, base, all, outbox, record) === "aside") throw new SyncFailed("aside", "this case does not verify");
  return syncNow(state);
}

// The person's cases on the server that this device does not hold (metadata only).
export async function casesOnServerOnly(state) {
  // Like every call of the engine: a session that ended while offline is renewed first.
  await ensureSession(state);
  const { cases } = await callApi("GET", "/api/v1/sync/cases");
  const held = new Set(await caseRecords.ids(state.vault));
  return cases.filter((item) => !held.has(item.id));
}

// Cases to bring up to date: those the pull touched and those with entries the server refused.
async function casesToRebase(state, touched) {
  const cases = new Map(touched);
  for (const [, item] of await outboxRecords.list(state.vault)) {
    if (item.refused && !cases.has(item.caseId)) cases.set(item.caseId, []);
  }
  return cases;
}

function refusedTotal(summaries) {
  return summaries.reduce((n, summary) => n + summary.refused, 0);
}

// Rewritten entries leave in the same sync; a few rounds at most, so a sync always ends.
const MAX_ROUNDS = 3;

export async function syncNow(state, { progress = () => {} } = {}) {
  await ensureSession(state);
  progress(0);
  // A roster that does not verify is not kept and flags the device (no grants); the sync goes on.
  state.rosterRefresh = refreshRoster(state).catch(() => {});
  await state.rosterRefresh;
  await rotateDueCases(state, (await teamPolicy.get(state.vault))?.rotation_days);
  await keepMembershipUp(state);
  // The team's table of measures, with the fresh roster; it never holds the cases back.
  await syncMeasures(state).catch(() => {});
  let changed = 0;
  const aside = new Set();
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    await pushOutbox(state, (part) => progress(round ? 0.9 : part));
    const { touched, sync } = await pullChanges(state);
    let rewritten = false;
    let done = 0;
    const cases = await casesToRebase(state, touched);
    for (const [caseId, pulled] of cases) {
      const outcome = await bringUpToDate(state, caseId, pulled);
      if (outcome === "aside") aside.add(caseId);
      rewritten ||= outcome === "rewritten";
      done += 1;
      if (!round) progress(0.5 + done / cases.size / 2);
    }
    changed += touched.size;
    sync.lastSync = Date.now();
    await syncProgress.put(state.vault, sync);
    if (!rewritten) break;
  }
  const summaries = await caseSummaries(state.vault);
  const removed = await applyRetention(state);
  progress(1);
  // Refused entries are counted while they wait for the person, not only when they are refused.
  return { refused: refusedTotal(summaries), changed: changed + removed, removed, aside: [...aside] };
}
