// Cases on this device, written and read through the protocol (docs/PROTOCOL.md section 8) and
// kept sealed in the device store. A case record holds the case's envelopes (ciphertext and
// signatures, as the server will), the case keys this person holds, and a summary for the list.
//
// Edits are entries too: each saves only the fields it changes, and the case view merges them
// field by field, the latest by (Lamport clock, device id) winning; every version is kept.

import {
  b64urlDecode, b64urlEncode, bytesKey, createCaseAsMember, equalBytes, Kind, NotAMember, Role, sealEntryAsAuthor,
  UnknownUser, verifyCaseLog,
} from "../protocol/index.js";
import { caseRecords, queueEntries } from "./records.js";
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

// What the case lists show without opening a case: kept sealed in the record, rebuilt from the
// log at every change. Deadlines come from the deadline list and the appeal field.
function summarise(opened, log) {
  const { fields, deadlines } = opened;
  const due = [...deadlines.map((d) => d.due), fields.appeal_deadline].filter(Boolean).sort();
  const members = log ? [...log.state.members.values()].filter((entry) => entry.role === Role.VOLUNTEER)
    .map((entry) => b64urlEncode(entry.userId)) : [];
  const lastActivity = log ? log.entries.reduce((last, v) => Math.max(last, v.entry.header.time), 0) : Date.now();
  const starts = log ? log.entries.filter((v) => EPOCH_STARTS.has(v.entry.header.kind)) : [];
  const keySince = starts.length ? starts[starts.length - 1].entry.header.time : Date.now();
  return { title: fields.alias || fields.prison_number || "", number: fields.prison_number || "",
    place: fields.place_name || "", placeType: fields.place_type || "", measure: fields.measure || "",
    status: fields.status === "closed" ? "closed" : "open", nextDeadline: due[0] || null, members,
    team: log ? b64urlEncode(log.state.teamId) : null, epoch: log ? log.state.epoch : 1, lastActivity, keySince,
    text: Object.values(fields).filter((value) => typeof value === "string").join(" ") };
}

async function loadLog(state, record) {
  const keys = new Map(Object.entries(record.keys).map(([epoch, key]) => [Number(epoch), b64urlDecode(key)]));
  const log = await verifyCaseLog(b64urlDecode(record.id), record.envelopes.map(b64urlDecode), await associationKey(state));
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
    pending: 2, lastSeq: 0, refused: [], created: Date.now(), updated: Date.now(), summary: summarise({ fields, deadlines }, log),
  };
  await caseRecords.put(state.vault, record.id, record);
  await queueEntries(state.vault, record.id, record.envelopes);
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
  const opened = await readLog(log, keys);
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
  await keepAppended(state, record, [envelope], summarise(await readLog(log, keys), log));
}

// Entries just appended to a case's opened log: kept with its record, then queued for the
// server. Without a new summary only the last activity changes.
export async function keepAppended(state, record, envelopes, summary = null) {
  const written = envelopes.map(b64urlEncode);
  record.envelopes.push(...written);
  // Written here, not yet seen from the server: the pending part (docs/PROTOCOL.md 8.12).
  record.pending = (record.pending ?? 0) + written.length;
  record.updated = Date.now();
  record.summary = summary ?? { ...record.summary, lastActivity: record.updated };
  await caseRecords.put(state.vault, record.id, record);
  await queueEntries(state.vault, record.id, written);
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

// Merge the opened entries: per field the latest write by (Lamport clock, device id) wins, and
// every version stays in history. An edit names, per field, the version its author saw (`base`);
// an edit whose base is not the version it replaces was made without seeing it: a conflict,
// flagged until someone edits that field again from the merged state.
async function readLog(log, keys) {
  const bodies = await log.openWith(keys);
  const decoder = new TextDecoder();
  const versions = [];
  for (const verified of log.entries) {
    const raw = bodies.get(bytesKey(verified.hash));
    if (!raw) continue;
    const { header } = verified.entry;
    versions.push({ body: JSON.parse(decoder.decode(raw)), lamport: header.lamport, time: header.time,
      device: b64urlEncode(header.deviceId), author: b64urlEncode(header.author) });
  }
  versions.sort((a, b) => a.lamport - b.lamport || (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
  const fields = {};
  const history = {};
  const current = {};
  const conflicts = new Set();
  const deadlines = [];
  for (const version of versions) {
    if (version.body.type === "attachment") continue;
    const id = `${version.lamport}:${version.device}`;
    for (const [name, value] of Object.entries(version.body.fields || {})) {
      const base = version.body.base?.[name] ?? null;
      if (current[name] !== undefined && base !== current[name]) conflicts.add(name);
      else conflicts.delete(name);
      fields[name] = value;
      current[name] = id;
      (history[name] ??= []).push({ value, time: version.time, author: version.author, id });
    }
    deadlines.push(...(version.body.deadlines || []));
  }
  return { fields, history, conflicts: [...conflicts], versionOf: current, deadlines,
    attachments: assembleAttachments(versions), entries: versions.length };
}

// What the lists show of a case, from its opened log.
export async function summaryFor(log, keys) {
  return summarise(await readLog(log, keys), log);
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
  return { record, ...(await readLog(log, keys)) };
}

export async function listCases(state) {
  const cases = (await caseRecords.list(state.vault)).map(([id, record]) => ({ id, ...record.summary, updated: record.updated,
    created: record.created, setAside: Boolean(record.setAside), refused: record.refused?.length ?? 0,
    removed: Boolean(record.removed) }));
  return cases.sort((a, b) => b.updated - a.updated);
}

export function dueWithin(isoDate, hours, now = Date.now()) {
  if (!isoDate) return false;
  const due = Date.parse(isoDate + (isoDate.length === 10 ? "T23:59:59" : ""));
  return due - now <= hours * 3600 * 1000;
}

export function dueSoon(isoDate, now = Date.now()) {
  return dueWithin(isoDate, 48, now);
}
