// Cases on this device, written and read through the protocol (docs/PROTOCOL.md section 8) and
// kept sealed in the device store. A case record holds the case's envelopes (ciphertext and
// signatures, as the server will), the case keys this person holds, and a summary for the list.
//
// Edits are entries too: each saves only the fields it changes, and the case view merges them
// field by field, the latest by (Lamport clock, device id) winning; every version is kept.

import {
  b64urlDecode, b64urlEncode, bytesKey, createCaseAsMember, equalBytes, Kind, NotAMember, openEntryBody, Role,
  sealEntryAsAuthor, UnknownUser, verifyCaseLog,
} from "../protocol/index.js";
import { caseDeadlines, nextDeadline } from "./deadlines.js";
import { caseRecords, caseSummaries } from "./records.js";
import { associationKey, NotCertified, rosterPeople, rosterView } from "./roster.js";

async function firstMembers(state, view) {
  const me = b64urlDecode(state.vault.userId);
  let mine;
  try {
    mine = view.current(me);
  } catch (error) {
    if (error instanceof UnknownUser) throw new NotCertified("this person's keys are not certified yet");
    throw error;
  }
  const members = [mine];
  for (const entry of await rosterPeople(state)) {
    if (entry.role === Role.COORDINATOR && entry.active && equalBytes(entry.teamId, mine.teamId)
      && !equalBytes(entry.userId, me)) members.push(entry);
  }
  return { members, teamId: mine.teamId };
}

// The entries that begin an epoch: the current key dates from the latest of them.
export const EPOCH_STARTS = new Set([Kind.GENESIS, Kind.ROTATE, Kind.REMOVE]);

// Who a case's members are (their roles, by user id) and who was ever removed from it: what the
// membership upkeep reads to know, without opening the case, that it has nothing to do there.
function membersOf(log) {
  if (!log) return {};
  const roles = Object.fromEntries([...log.state.members.values()].map((entry) => [b64urlEncode(entry.userId), entry.role]));
  const left = new Set(log.entries.filter((v) => v.entry.header.kind === Kind.REMOVE).map((v) => b64urlEncode(v.payload.userId)));
  return { roles, left: [...left] };
}

// What the case lists show without opening a case: kept sealed in the record, rebuilt from the
// log at every change. The next deadline is the case's first open one (store/deadlines.js), none
// once the case is closed; its state is worked out when shown, since time passes while the
// summary rests.
function summarise(opened, log) {
  const { fields, deadlines } = opened;
  const closed = fields.status === "closed";
  const members = log ? [...log.state.members.values()].filter((entry) => entry.role === Role.VOLUNTEER)
    .map((entry) => b64urlEncode(entry.userId)) : [];
  const lastActivity = log ? log.entries.reduce((last, v) => Math.max(last, v.entry.header.time), 0) : Date.now();
  const starts = log ? log.entries.filter((v) => EPOCH_STARTS.has(v.entry.header.kind)) : [];
  const keySince = starts.length ? starts[starts.length - 1].entry.header.time : Date.now();
  return { title: fields.alias || fields.prison_number || "", number: fields.prison_number || "",
    place: fields.place_name || "", placeType: fields.place_type || "", measure: fields.measure || "",
    status: closed ? "closed" : "open", nextDeadline: closed ? null : nextDeadline(deadlines), members,
    conflicts: opened.conflicts?.length ?? 0,
    team: log ? b64urlEncode(log.state.teamId) : null, epoch: log ? log.state.epoch : 1, lastActivity, keySince,
    ...membersOf(log), text: Object.values(fields).filter((value) => typeof value === "string").join(" ") };
}

// Verified logs kept while unlocked, in `state.logs` by case id: a case's log is verified whole
// once, from its record, then extended in memory by each entry written here (every writer of
// the protocol checks its entry and appends it to the log). The state, and these logs with it,
// goes at lock: the store could be changed while the app is locked, so nothing verified
// survives a lock. A record whose envelopes are not exactly the kept log's is verified again.
// At most this many logs are kept, the most recently used: a sync that goes through every case
// of a device holding thousands must not keep them all in memory.
const KEPT_LOGS = 200;

// `appended`: entries the writers added to the kept log that the record does not hold yet.
function keptLog(state, record, appended = 0) {
  const kept = state.logs?.get(record.id);
  const count = record.envelopes.length;
  if (!kept || kept.envelopes.length !== count || kept.log.entries.length !== count + appended) return null;
  for (let i = 0; i < count; i += 1) if (kept.envelopes[i] !== record.envelopes[i]) return null;
  // Used again: it goes to the end of the order in which logs are let go.
  state.logs.delete(record.id);
  state.logs.set(record.id, kept);
  return kept;
}

/** Keep `log`, verified, as the log of the case whose record holds exactly `envelopes`. */
export function keepVerified(state, caseId, envelopes, log) {
  state.logs ??= new Map();
  state.logs.delete(caseId);
  state.logs.set(caseId, { log, envelopes: [...envelopes], opened: null });
  if (state.logs.size > KEPT_LOGS) state.logs.delete(state.logs.keys().next().value);
}

function keysOf(record) {
  return new Map(Object.entries(record.keys).map(([epoch, key]) => [Number(epoch), b64urlDecode(key)]));
}

async function loadLog(state, record) {
  const keys = keysOf(record);
  const kept = keptLog(state, record);
  if (kept) return { log: kept.log, keys };
  const log = await verifyCaseLog(b64urlDecode(record.id), record.envelopes.map(b64urlDecode), await associationKey(state));
  keepVerified(state, record.id, record.envelopes, log);
  return { log, keys };
}

// The roster used is the one kept on the device, refreshed at unlock and at every sync.
export async function createCase(state, fields, deadlines = []) {
  await state.rosterRefresh?.catch(() => {});
  const view = await rosterView(state);
  const { members, teamId } = await firstMembers(state, view);
  const author = state.account;
  const { caseId, caseKey, envelope, log } = await createCaseAsMember(author, {
    associationKey: await associationKey(state), teamId, deviceId: state.vault.device.deviceId, members,
  });
  const body = new TextEncoder().encode(JSON.stringify({ type: "intake", fields, deadlines }));
  const content = await sealEntryAsAuthor(log, author, { deviceId: state.vault.device.deviceId, caseKey, bodyJson: body });
  const record = {
    id: b64urlEncode(caseId), keys: { 1: b64urlEncode(caseKey) }, envelopes: [b64urlEncode(envelope), b64urlEncode(content)],
    pending: 2, lastSeq: 0, refused: [], created: Date.now(), updated: Date.now(),
    summary: summarise({ fields, deadlines: caseDeadlines([{ id: "intake", body: { deadlines } }], fields) }, log),
  };
  await caseRecords.create(state.vault, record.id, record, record.envelopes);
  keepVerified(state, record.id, record.envelopes, log);
  return record.id;
}

// Append entries to a case, each sealed under the current epoch's key, and save the record once.
async function appendEntries(state, caseId, bodies, record = null) {
  record ??= await caseRecords.get(state.vault, caseId);
  const { log, keys } = await loadLog(state, record);
  const caseKey = keys.get(log.state.epoch);
  if (!caseKey) throw new NotAMember("no key for the current epoch of this case");
  const encoder = new TextEncoder();
  const written = [];
  for (const body of bodies) {
    written.push(await sealEntryAsAuthor(log, state.account, {
      deviceId: state.vault.device.deviceId, caseKey, bodyJson: encoder.encode(JSON.stringify(body)) }));
  }
  const opened = await readLog(state, record.id, log, keys);
  await keepAppended(state, record, written, summarise(opened, log));
  return opened;
}

// A coordinator's change of members or keys: `write(log, keys, roster)` signs one control entry
// (and names the new epoch's key when it rotates); it is appended, kept and queued.
export async function changeCase(state, caseId, write) {
  const record = await caseRecords.get(state.vault, caseId);
  const { log, keys } = await loadLog(state, record);
  const { envelope, newKey } = await write(log, keys, await rosterView(state));
  if (newKey) {
    record.keys[log.state.epoch] = b64urlEncode(newKey);
    keys.set(log.state.epoch, newKey);
  }
  await keepAppended(state, record, [envelope], summarise(await readLog(state, caseId, log, keys), log));
}

// Entries just appended to a case's opened log: kept with its record, then queued for the
// server. Without a new summary only the last activity changes.
export async function keepAppended(state, record, envelopes, summary = null) {
  const written = envelopes.map(b64urlEncode);
  // The writers extended the kept log with these entries: it stays the record's log.
  const kept = keptLog(state, record, written.length);
  record.envelopes.push(...written);
  kept?.envelopes.push(...written);
  // Written here, not yet seen from the server: the pending part (docs/PROTOCOL.md 8.12).
  record.pending = (record.pending ?? 0) + written.length;
  record.updated = Date.now();
  record.summary = summary ?? { ...record.summary, lastActivity: record.updated };
  await caseRecords.put(state.vault, record.id, record, written);
}

export async function openCaseLog(state, caseId) {
  const record = await caseRecords.get(state.vault, caseId);
  return { record, ...(await loadLog(state, record)) };
}

// `seen` maps each field to the version id the editor was shown (PROTOCOL-level content rule,
// docs/PROTOCOL.md 6.6: field-level last writer wins, every version kept).
export async function editCase(state, caseId, changes, newDeadlines = [], seen = {}) {
  const base = Object.fromEntries(Object.keys(changes).map((name) => [name, seen[name] ?? null]));
  return appendEntries(state, caseId, [{ type: "edit", fields: changes, base, deadlines: newDeadlines }]);
}

// Closing a deadline (met, lapsed, no longer relevant) is an edit that writes no field.
export async function closeDeadline(state, caseId, id, reason) {
  return appendEntries(state, caseId, [{ type: "edit", fields: {}, base: {}, deadlines: [],
    closed: [{ id, reason, at: Date.now() }] }]);
}

// Bodies are at most 1 MiB of JSON (PROTOCOL 6.6): a photo travels in chunks of this many bytes,
// each one entry, sealed and signed like any other.
export const CHUNK_BYTES = 192 * 1024;

export async function attachFile(state, caseId, bytes, { mime, name }) {
  const attachment = b64urlEncode(crypto.getRandomValues(new Uint8Array(16)));
  const of = Math.max(1, Math.ceil(bytes.length / CHUNK_BYTES));
  const bodies = [];
  for (let chunk = 0; chunk < of; chunk += 1) {
    bodies.push({ type: "attachment", attachment, mime, name, chunk, of,
      data: b64urlEncode(bytes.subarray(chunk * CHUNK_BYTES, (chunk + 1) * CHUNK_BYTES)) });
  }
  return appendEntries(state, caseId, bodies);
}

function assembleAttachments(versions) {
  const byId = new Map();
  for (const { body } of versions) {
    if (body.type !== "attachment") continue;
    const parts = byId.get(body.attachment) ?? { mime: body.mime, name: body.name, of: body.of, chunks: new Map() };
    parts.chunks.set(body.chunk, b64urlDecode(body.data));
    byId.set(body.attachment, parts);
  }
  const complete = [];
  for (const [id, parts] of byId) {
    if (parts.chunks.size !== parts.of) continue;
    const ordered = [...Array(parts.of).keys()].map((i) => parts.chunks.get(i));
    const bytes = new Uint8Array(ordered.reduce((n, c) => n + c.length, 0));
    let offset = 0;
    for (const chunk of ordered) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    complete.push({ id, mime: parts.mime, name: parts.name, bytes });
  }
  return complete;
}

function versionOf(verified, raw) {
  const { header } = verified.entry;
  return { body: JSON.parse(new TextDecoder().decode(raw)), lamport: header.lamport, time: header.time,
    device: b64urlEncode(header.deviceId), author: b64urlEncode(header.author) };
}

// Every body of the log, opened and checked by the protocol (openWith), in log order.
async function openAll(log, keys) {
  const bodies = await log.openWith(keys);
  const versions = [];
  for (const verified of log.entries) {
    const raw = bodies.get(bytesKey(verified.hash));
    if (raw) versions.push(versionOf(verified, raw));
  }
  return versions;
}

// The kept versions extended by the entries appended since they were opened: new content
// entries are opened one by one under keys already checked. A reseal (its body replaces
// another's) or a new set of keys opens the whole log again.
async function openAppended(opened, log, keys) {
  for (const verified of log.entries.slice(opened.count)) {
    const { header, body } = verified.entry;
    if (header.kind === Kind.RESEAL) return false;
    if (header.kind !== Kind.CONTENT || body === null || !keys.has(header.epoch)) continue;
    opened.versions.push(versionOf(verified, await openEntryBody(header, body, keys.get(header.epoch))));
  }
  opened.count = log.entries.length;
  return true;
}

function keysSignature(keys) {
  return [...keys].map(([epoch, key]) => `${epoch}:${bytesKey(key)}`).sort().join(",");
}

// The opened versions of a case's log: from the kept log's when it is this log, else opened whole.
async function versionsOf(state, caseId, log, keys) {
  const kept = state.logs?.get(caseId);
  if (kept?.log !== log) return openAll(log, keys);
  const signature = keysSignature(keys);
  if (!kept.opened || kept.opened.signature !== signature || !(await openAppended(kept.opened, log, keys))) {
    kept.opened = { signature, count: log.entries.length, versions: await openAll(log, keys) };
  }
  return kept.opened.versions;
}

// Merge the opened entries: per field the latest write by (Lamport clock, device id) wins, and
// every version stays in history. An edit names, per field, the version its author saw (`base`);
// an edit whose base is not the version it replaces was made without seeing it: a conflict,
// flagged until someone edits that field again from the merged state.
async function readLog(state, caseId, log, keys) {
  const versions = [...(await versionsOf(state, caseId, log, keys))];
  versions.sort((a, b) => a.lamport - b.lamport || (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
  const fields = {};
  const history = {};
  const current = {};
  const conflicts = new Set();
  const written = [];
  for (const version of versions) {
    if (version.body.type === "attachment") continue;
    const id = `${version.lamport}:${version.device}`;
    written.push({ id, time: version.time, author: version.author, body: version.body });
    for (const [name, value] of Object.entries(version.body.fields || {})) {
      // Written without seeing the version it replaces: a conflict, unless it writes the same
      // value (the same words typed on two phones). Written from the latest: settled.
      const unseen = current[name] !== undefined && (version.body.base?.[name] ?? null) !== current[name];
      if (unseen && value !== fields[name]) conflicts.add(name);
      else if (!unseen) conflicts.delete(name);
      fields[name] = value;
      current[name] = id;
      (history[name] ??= []).push({ value, time: version.time, author: version.author, device: version.device, id });
    }
  }
  return { fields, history, conflicts: [...conflicts], versionOf: current, deadlines: caseDeadlines(written, fields),
    attachments: assembleAttachments(versions), entries: versions.length };
}

// What the lists show of a case, from its opened log.
export async function summaryFor(state, caseId, log, keys) {
  return summarise(await readLog(state, caseId, log, keys), log);
}

// Refused entries (docs/PROTOCOL.md 8.12 item 6): sent again as new entries under the current
// epoch once the person is a member again, or discarded by the person; nothing else removes them.
export async function resendRefused(state, caseId, index) {
  const record = await caseRecords.get(state.vault, caseId);
  const [item] = record.refused.splice(index, 1);
  return appendEntries(state, caseId, [JSON.parse(item.body)], record);
}

export async function discardRefused(state, caseId, index) {
  const record = await caseRecords.get(state.vault, caseId);
  record.refused.splice(index, 1);
  await caseRecords.put(state.vault, caseId, record);
}

export async function openCase(state, caseId) {
  const record = await caseRecords.get(state.vault, caseId);
  const { log, keys } = await loadLog(state, record);
  return { record, ...(await readLog(state, caseId, log, keys)) };
}

// The cases on this device as the lists show them, from their summaries alone (no case record
// is opened), the most recently changed first.
export async function listCases(state) {
  return (await caseSummaries(state.vault)).sort((a, b) => b.updated - a.updated);
}
