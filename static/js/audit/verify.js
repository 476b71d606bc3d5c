// "Verify everything", run in the auditor's browser: every case's ciphertext, the roster and the
// audit log are fetched and checked under the pinned association key and the audit key, with
// no case key at all. The checks and their names are those of docs/PROTOCOL.md 14.2 that hold
// without a bundle, and one more, `kept_head`, that compares the log with the head kept from the
// last verification on this device (14.4). The report has the shape of `crypto.verify --json`.

import {
  AddMember, b64urlDecode, b64urlEncode, CaseLog, checkNotRevoked, CONTROL_KINDS, equalBytes, hexEncode, importEd25519PublicKey, Kind,
  parseControlPayload, parseEntry, RemoveMember, revocationsOf, RevokedUser, sha256, verifyCaseLog, verifyRosterEntry,
  ZERO_HASH,
} from "../protocol/index.js";
import { checkAuditLink, ENTRY_ACTIONS, parseAuditRecord, verifyAuditHead } from "./chain.js";

export const CHECKS = ["roster_signatures", "roster_completeness", "envelope_format", "device_sequences", "hash_links",
  "removed_members", "revoked_members", "case_logs", "ciphertext_entropy", "audit_chain", "audit_head", "kept_head",
  "audit_coverage"];
// The kind of entry each entry action records (PROTOCOL 13.1).
const ACTION_OF_KIND = new Map([[Kind.GENESIS, "case_opened"], [Kind.CONTENT, "entry_stored"], [Kind.ADD, "member_added"],
  [Kind.REMOVE, "member_removed"], [Kind.ROTATE, "key_rotated"], [Kind.RESEAL, "entry_resealed"]]);
// A sealed body of at least 284 random-looking bytes measures above 7 bits per byte; text, even
// base64, stays at or below 6 (the threshold of crypto/verify.py).
const MIN_ENTROPY_BITS = 6.5;
const LOG_PAGE = 1000;

export class Report {
  constructor() {
    this.checks = new Map(CHECKS.map((name) => [name, { name, checked: 0, failures: [] }]));
    this.facts = {};
  }

  result(name, ok, detail) {
    const check = this.checks.get(name);
    check.checked += 1;
    if (!ok) check.failures.push(detail);
    return ok;
  }

  get ok() {
    return [...this.checks.values()].every((check) => !check.failures.length);
  }

  toJson() {
    return { ok: this.ok, facts: this.facts, checks: [...this.checks.values()].map((check) => ({
      name: check.name, checked: check.checked, failed: check.failures.length, failures: check.failures })) };
  }
}

const reason = (error) => `${error.name}: ${error.message}`;

// Fetching ----------------------------------------------------------------------------------------

async function caseEnvelopes(get, caseId) {
  const envelopes = [];
  let after = 0;
  for (;;) {
    const page = await get(`/api/v1/sync/cases/${encodeURIComponent(caseId)}/entries?after=${after}`);
    envelopes.push(...page.entries.map((entry) => b64urlDecode(entry.envelope)));
    after = page.next_cursor;
    if (!page.more) return envelopes;
  }
}

async function auditRecords(get) {
  const raw = [];
  let after = 0;
  for (;;) {
    const page = await get(`/api/v1/audit/log?after=${after}&limit=${LOG_PAGE}`);
    raw.push(...page.records.map((record) => b64urlDecode(record.record)));
    after = page.next_cursor;
    if (!page.more) return raw;
  }
}

// The roster ----------------------------------------------------------------------------------------

async function checkRoster(report, people, associationKey) {
  const verified = [];
  for (const person of people.filter((p) => p.roster)) {
    try {
      verified.push(await verifyRosterEntry(b64urlDecode(person.roster), associationKey));
      report.result("roster_signatures", true, "");
    } catch (error) {
      report.result("roster_signatures", false, `roster entry of ${person.user_id}: ${reason(error)}`);
    }
  }
  return verified;
}

// The directory serves each person's latest entry: it must be the latest the audit log recorded
// for them, so a revocation or a whole account cannot be left out of what the server serves.
async function checkRosterComplete(report, people, records) {
  const latest = new Map();
  for (const record of records.filter((r) => r.action === "roster_entry")) latest.set(b64urlEncode(record.subject), record);
  const served = new Map(people.filter((p) => p.roster).map((p) => [p.user_id, p.roster]));
  for (const [userId, record] of latest) {
    const roster = served.get(userId);
    const digest = roster ? b64urlEncode(await sha256(b64urlDecode(roster))) : null;
    report.result("roster_completeness", digest === b64urlEncode(record.digest),
      `audit record ${record.seq}: the roster entry it records for ${userId} is not the one the directory serves`);
  }
}

// One case ------------------------------------------------------------------------------------------

async function parseCase(report, caseId, envelopes) {
  const caseBytes = b64urlDecode(caseId);
  const entries = [];
  for (const [index, raw] of envelopes.entries()) {
    let entry = null;
    try {
      entry = await parseEntry(raw);
      if (!report.result("envelope_format", equalBytes(entry.header.caseId, caseBytes),
        `case ${caseId} entry ${index}: filed under another case`)) entry = null;
    } catch (error) {
      report.result("envelope_format", false, `case ${caseId} entry ${index}: ${reason(error)}`);
    }
    entries.push(entry);
  }
  return entries;
}

// Per device: sequences 1, 2, 3... each naming its predecessor's hash; every entry but the
// genesis names a control entry that comes before it.
function checkChains(report, caseId, entries) {
  const last = new Map();
  const controls = new Set();
  for (const [index, entry] of entries.entries()) {
    if (entry === null) continue;
    const { header } = entry;
    const device = b64urlEncode(header.deviceId);
    const previous = last.get(device);
    const expected = previous ? previous.header.deviceSeq + 1 : 1;
    report.result("device_sequences", header.deviceSeq === expected,
      `case ${caseId} entry ${index}: device sequence ${header.deviceSeq}, expected ${expected}`);
    report.result("hash_links", equalBytes(header.prevHash, previous ? previous.hash : ZERO_HASH)
      && (header.kind === Kind.GENESIS || controls.has(b64urlEncode(header.controlHead))),
    `case ${caseId} entry ${index}: its previous hash or control head names no earlier entry`);
    last.set(device, entry);
    if (CONTROL_KINDS.has(header.kind)) controls.add(b64urlEncode(entry.hash));
  }
}

// No key of a rotation is wrapped to a member removed before (or by) it, unless re-granted since.
async function checkRemovals(report, caseId, entries, associationKey) {
  const removed = new Set();
  for (const [index, entry] of entries.entries()) {
    if (entry === null || entry.body === null || ![Kind.ADD, Kind.REMOVE, Kind.ROTATE].includes(entry.header.kind)) continue;
    let payload;
    try {
      payload = await parseControlPayload(entry.header.kind, entry.body, associationKey);
    } catch (error) {
      report.result("removed_members", false, `case ${caseId} entry ${index}: payload ${reason(error)}`);
      continue;
    }
    if (payload instanceof AddMember) {
      removed.delete(b64urlEncode(payload.grant.roster.userId));
      continue;
    }
    if (payload instanceof RemoveMember) removed.add(b64urlEncode(payload.userId));
    const wrappedToRemoved = payload.rotation.wraps.some((wrap) => removed.has(b64urlEncode(wrap.recipient)));
    report.result("removed_members", !wrappedToRemoved, `case ${caseId} entry ${index}: a key is wrapped to a removed member`);
  }
}

// Section 9, steps 1-12; the case is listed once, under the team its GENESIS names.
async function checkCaseLog(report, item, envelopes, associationKey, listed) {
  const caseId = item.id;
  try {
    const log = await verifyCaseLog(b64urlDecode(caseId), envelopes, associationKey);
    report.result("case_logs", !listed.has(caseId) && b64urlEncode(log.state.teamId) === item.team_id,
      `case ${caseId}: listed twice, or under another team than its GENESIS`);
  } catch (error) {
    report.result("case_logs", false, `case ${caseId}: ${reason(error)}`);
  }
  listed.add(caseId);
}

// PROTOCOL 9.2 before each entry joins the log: no grant to, or write by, a person revoked before
// it, "before" by the signed times or by the audit log's order (the revocation recorded first).
async function checkRevocations(report, caseId, envelopes, associationKey, revocations, order) {
  const log = new CaseLog(b64urlDecode(caseId), associationKey);
  for (const [index, raw] of envelopes.entries()) {
    try {
      const stored = order.entries.get(`${caseId}:${b64urlEncode((await parseEntry(raw)).hash)}`);
      const known = (revocation) => stored !== undefined && stored > (order.revoked.get(revocation) ?? Infinity);
      await checkNotRevoked(log, raw, revocations, { known });
      report.result("revoked_members", true, "");
    } catch (error) {
      if (!(error instanceof RevokedUser)) return;
      report.result("revoked_members", false, `case ${caseId} entry ${index}: ${reason(error)}`);
    }
    try {
      await log.append(raw);
    } catch {
      return; // case_logs reports it.
    }
  }
}

// Where the audit log places each entry and each revocation, by record seq.
async function auditOrder(records, revocations) {
  const order = { entries: new Map(), roster: new Map(), revoked: new Map() };
  for (const record of records) {
    if (ENTRY_ACTIONS.has(record.action)) {
      const key = `${b64urlEncode(record.subject)}:${b64urlEncode(record.digest)}`;
      if (!order.entries.has(key)) order.entries.set(key, record.seq);
    } else if (record.action === "roster_entry" && !order.roster.has(b64urlEncode(record.digest))) {
      order.roster.set(b64urlEncode(record.digest), record.seq);
    }
  }
  for (const revocation of [...revocations.values()].flat()) {
    const seq = order.roster.get(b64urlEncode(await sha256(revocation.raw)));
    if (seq !== undefined) order.revoked.set(revocation, seq);
  }
  return order;
}

export function entropy(bytes) {
  const counts = new Map();
  for (const byte of bytes) counts.set(byte, (counts.get(byte) || 0) + 1);
  let bits = 0;
  for (const count of counts.values()) bits -= (count / bytes.length) * Math.log2(count / bytes.length);
  return bits;
}

function checkEntropy(report, caseId, entries) {
  for (const [index, entry] of entries.entries()) {
    if (entry === null || entry.body === null || CONTROL_KINDS.has(entry.header.kind)) continue;
    const bits = entropy(entry.body);
    report.result("ciphertext_entropy", bits >= MIN_ENTROPY_BITS,
      `case ${caseId} entry ${index}: ${bits.toFixed(2)} bits per byte, not ciphertext`);
  }
}

async function checkCase(report, item, envelopes, associationKey, held, listed) {
  const caseId = item.id;
  const entries = await parseCase(report, caseId, envelopes);
  for (const entry of entries) if (entry !== null) held.set(`${caseId}:${b64urlEncode(entry.hash)}`, entry);
  checkChains(report, caseId, entries);
  await checkRemovals(report, caseId, entries, associationKey);
  await checkCaseLog(report, item, envelopes, associationKey, listed);
  checkEntropy(report, caseId, entries);
}

// The audit log -------------------------------------------------------------------------------------

// The chain goes on from each readable record, so one removed or changed record fails once or
// twice, not for every record after it.
async function checkChain(report, rawRecords) {
  const records = [];
  for (const [index, raw] of rawRecords.entries()) {
    let record;
    try {
      record = await parseAuditRecord(raw);
    } catch (error) {
      report.result("audit_chain", false, `audit record ${index}: ${reason(error)}`);
      continue;
    }
    try {
      checkAuditLink(records.length ? records[records.length - 1] : null, record);
      report.result("audit_chain", true, "");
    } catch (error) {
      report.result("audit_chain", false, `audit record ${index}: ${error.message}`);
    }
    records.push(record);
  }
  return records;
}

// The head was signed before the log was read: the log holds its records and maybe later ones.
async function checkHead(report, served, records) {
  let head;
  try {
    head = await verifyAuditHead(b64urlDecode(served.head), await importEd25519PublicKey(b64urlDecode(served.audit_public_key)));
  } catch (error) {
    report.result("audit_head", false, `audit head: ${reason(error)}`);
    return null;
  }
  const atCount = head.count ? records[head.count - 1] : null;
  const ok = head.count <= records.length && (head.count === 0 || (atCount.seq === head.count && equalBytes(atCount.hash, head.lastHash)));
  report.result("audit_head", ok, `the signed head names ${head.count} records; the log holds ${records.length} or ends elsewhere`);
  return ok ? head : null;
}

// 14.4: the head kept from the last verification must still be in the log, under the same key.
function checkKept(report, kept, served, records) {
  if (!kept) return;
  report.result("kept_head", kept.auditPublicKey === served.audit_public_key,
    "the server signs with another audit key than at the last verification");
  const atCount = kept.count ? records[kept.count - 1] : null;
  report.result("kept_head", kept.count <= records.length
    && (kept.count === 0 || (atCount.seq === kept.count && b64urlEncode(atCount.hash) === kept.lastHash)),
  `the log no longer extends the head of ${kept.count} records kept from the last verification`);
}

// Every entry record up to the signed head names, once, an entry held of its kind and author;
// every entry held has its record.
function checkCoverage(report, records, held, headCount) {
  const recorded = new Set();
  for (const record of records.filter((r) => ENTRY_ACTIONS.has(r.action))) {
    const key = `${b64urlEncode(record.subject)}:${b64urlEncode(record.digest)}`;
    const entry = held.get(key);
    if (record.seq <= headCount) {
      report.result("audit_coverage", entry !== undefined && !recorded.has(key)
        && ACTION_OF_KIND.get(entry.header.kind) === record.action && equalBytes(entry.header.author, record.actor),
      `audit record ${record.seq} names an entry the server did not hand over, names it twice, or is of another kind or author`);
    }
    recorded.add(key);
  }
  for (const key of held.keys()) report.result("audit_coverage", recorded.has(key), `entry ${key.split(":")[1]} of case ${key.split(":")[0]} has no audit record`);
}

/** What an auditor pins of the server's audit key: SHA-256 of its 32 bytes, in hex (PROTOCOL 14). */
export async function auditKeyFingerprint(publicKey) {
  return hexEncode(await sha256(b64urlDecode(publicKey)));
}

// Everything -----------------------------------------------------------------------------------------

/**
 * Verify what the server holds. `get(path)` fetches JSON; `kept` is the head kept from the last
 * verification ({auditPublicKey, count, lastHash}) or null. Returns the report and the head to
 * keep next (null if the audit log did not verify).
 */
export async function verifyEverything({ get, associationKey, kept = null, progress = () => {} }) {
  const report = new Report();
  const served = await get("/api/v1/audit/head");
  const { people } = await get("/api/v1/directory");
  const { cases } = await get("/api/v1/sync/cases");
  const steps = cases.length + 2;
  const revocations = revocationsOf(await checkRoster(report, people, associationKey));
  progress(1 / steps);
  const held = new Map();
  const listed = new Set();
  const fetched = [];
  for (const [index, item] of cases.entries()) {
    const envelopes = await caseEnvelopes(get, item.id);
    fetched.push([item.id, envelopes]);
    await checkCase(report, item, envelopes, associationKey, held, listed);
    progress((index + 2) / steps);
  }
  const records = await checkChain(report, await auditRecords(get));
  await checkRosterComplete(report, people, records);
  const order = await auditOrder(records, revocations);
  for (const [caseId, envelopes] of fetched) await checkRevocations(report, caseId, envelopes, associationKey, revocations, order);
  const head = await checkHead(report, served, records);
  checkKept(report, kept, served, records);
  checkCoverage(report, records, held, head ? head.count : 0);
  progress(1);
  Object.assign(report.facts, { cases: cases.length, entries: fetched.reduce((sum, [, e]) => sum + e.length, 0),
    roster_entries: people.filter((p) => p.roster).length, audit_records: records.length, signed_head_count: served.count,
    audit_public_key: served.audit_public_key, audit_key_fingerprint: await auditKeyFingerprint(served.audit_public_key),
    verified_at: new Date().toISOString() });
  const chainOk = !report.checks.get("audit_chain").failures.length && !report.checks.get("kept_head").failures.length;
  return { report, keep: head && chainOk
    ? { auditPublicKey: served.audit_public_key, count: head.count, lastHash: b64urlEncode(head.lastHash) } : null };
}
