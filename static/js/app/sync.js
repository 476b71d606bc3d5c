// The sync engine: an outbox of sealed entries in the device store, pushed in batches when
// there is a network; then what changed is pulled and checked like everything else. An entry
// leaves the outbox only when the server has confirmed it (stored, or already there).

import { ApiProblem, callApi, forgetCsrfToken } from "../api.js";
import { b64urlDecode } from "../encoding.js";
import { authForServer } from "../kdf.js";
import { Kind, parseEntry } from "../protocol/index.js";
import { caseRecordFromLog, rebuildCase, refreshRoster } from "./cases.js";
import { rotateDueCases } from "./members.js";

const BATCH_ENTRIES = 50;
const BATCH_BYTES = 4 * 1024 * 1024;

export class SyncFailed extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export async function pendingCount(state) {
  return (await state.vault.list("outbox")).length;
}

export async function syncState(state) {
  return (await state.vault.get("sync", "state")) ?? { cursor: 0, lastSync: null };
}

// A session that expired while offline is renewed with the auth secret kept while unlocked.
// The team's policy comes with it and is kept for the retention pass after the sync.
async function ensureSession(state) {
  let me;
  try {
    me = await callApi("GET", "/api/v1/me");
  } catch (error) {
    if (!(error instanceof ApiProblem) || error.status !== 401) throw error;
    if (!state.auth || !state.profile?.email) throw new SyncFailed("login", "log in again");
    forgetCsrfToken();
    await callApi("POST", "/api/v1/auth/login", { email: state.profile.email, auth: authForServer({ auth: state.auth }) });
    me = await callApi("GET", "/api/v1/me");
  }
  await state.vault.put("sync", "team", me.team ?? null);
}

// How long this device keeps a synced case, in days (null: always). Coordinators review their
// team's cases offline, so the policy applies to volunteers' devices only.
export async function retentionDays(state) {
  if (state.profile?.role !== "volunteer") return null;
  const team = await state.vault.get("sync", "team");
  return team?.retention_days ?? null;
}

const DAY_MS = 24 * 3600 * 1000;

// Cases whose every entry the server has confirmed, untouched here for longer than the policy
// allows, leave the device with their keys; the server list brings them back when opened.
async function applyRetention(state, now = Date.now()) {
  const days = await retentionDays(state);
  if (days === null) return 0;
  const waiting = new Set((await state.vault.list("outbox")).map(([, item]) => item.caseId));
  let removed = 0;
  for (const [id, record] of await state.vault.list("case")) {
    if (waiting.has(id) || record.updated + days * DAY_MS > now) continue;
    await state.vault.delete("case", id);
    removed += 1;
  }
  return removed;
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

async function pushOutbox(state, progress) {
  const items = await state.vault.list("outbox");
  const refused = [];
  let done = 0;
  for (const batch of batches(items)) {
    const { results } = await callApi("POST", "/api/v1/sync/push", { entries: batch.map(([, item]) => item.envelope) });
    for (const [index, result] of results.entries()) {
      if (result.status === "stored" || result.status === "duplicate") await state.vault.delete("outbox", batch[index][0]);
      else refused.push(result);
    }
    done += batch.length;
    progress(done / Math.max(items.length, 1) / 2);
  }
  return refused;
}

async function pullChanges(state, progress) {
  const sync = await syncState(state);
  const touched = new Map();
  for (;;) {
    const page = await callApi("GET", `/api/v1/sync/pull?cursor=${sync.cursor}`);
    for (const entry of page.entries) {
      if (!touched.has(entry.case_id)) touched.set(entry.case_id, []);
      touched.get(entry.case_id).push(entry.envelope);
    }
    sync.cursor = page.next_cursor;
    if (!page.more) break;
  }
  let done = 0;
  for (const [caseId, envelopes] of touched) {
    await mergeCase(state, caseId, envelopes);
    done += 1;
    progress(0.5 + done / touched.size / 2);
  }
  sync.lastSync = Date.now();
  await state.vault.put("sync", "state", sync);
  return touched.size;
}

// A case met for the first time (or joined late) is fetched whole; otherwise new entries are
// appended after the ones this device has. Either way the log is verified before it is kept.
// Under a retention policy, a case this device does not hold stays on the server until the
// volunteer opens it.
async function mergeCase(state, caseId, envelopes) {
  const record = await state.vault.get("case", caseId);
  let all;
  if (record) {
    const known = new Set(record.envelopes);
    all = [...record.envelopes, ...envelopes.filter((e) => !known.has(e))];
  } else if ((await retentionDays(state)) !== null) {
    return;
  } else if (await startsWithGenesis(envelopes)) {
    all = envelopes;
  } else {
    all = await fetchCaseEntries(caseId);
  }
  const rebuilt = await rebuildCase(state, caseId, all.map(b64urlDecode), record);
  await state.vault.put("case", caseId, await caseRecordFromLog(rebuilt, record, all));
}

// A case created since the last pull comes whole in the pull: no need to ask for it again.
async function startsWithGenesis(envelopes) {
  return (await parseEntry(b64urlDecode(envelopes[0]))).header.kind === Kind.GENESIS;
}

async function fetchCaseEntries(caseId) {
  const all = [];
  let after = 0;
  for (;;) {
    const page = await callApi("GET", `/api/v1/sync/cases/${encodeURIComponent(caseId)}/entries?after=${after}`);
    all.push(...page.entries.map((e) => e.envelope));
    after = page.next_cursor;
    if (!page.more) break;
  }
  return all;
}

// A case kept on the server, fetched whole, verified and stored again because it is opened.
export async function fetchCase(state, caseId) {
  await ensureSession(state);
  const all = await fetchCaseEntries(caseId);
  const rebuilt = await rebuildCase(state, caseId, all.map(b64urlDecode), null);
  await state.vault.put("case", caseId, await caseRecordFromLog(rebuilt, null, all));
}

// The person's cases on the server that this device does not hold (metadata only).
export async function casesOnServerOnly(state) {
  const { cases } = await callApi("GET", "/api/v1/sync/cases");
  const held = new Set((await state.vault.list("case")).map(([id]) => id));
  return cases.filter((item) => !held.has(item.id));
}

export async function syncNow(state, { progress = () => {} } = {}) {
  await ensureSession(state);
  progress(0);
  // A roster that does not verify is not kept and flags the device (no grants); the sync goes on.
  state.rosterRefresh = refreshRoster(state).catch(() => {});
  await state.rosterRefresh;
  await rotateDueCases(state, (await state.vault.get("sync", "team"))?.rotation_days);
  const refused = await pushOutbox(state, progress);
  const changed = await pullChanges(state, progress);
  const removed = await applyRetention(state);
  progress(1);
  return { refused, changed: changed + removed, removed };
}
