// A team's table of measures: for each kind of measure, the delay of appeal the intake suggests
// (crypto/measures.py, docs/PROTOCOL.md 6.11).
//
// The table is the association's policy, not anything about a person; what matters is that
// nobody but a coordinator of the team can change it and that an older table cannot be served
// again, since a wrong delay can make a person miss an appeal. So it is signed by a certified
// coordinator of the team and carries a version that only grows. It is not encrypted.

import { compareBytes, concatBytes, equalBytes, isZeroBytes, Reader, Writer } from "./encoding.js";
import {
  InvalidEncoding, InvalidSignature, RevokedUser, TableRollback, Unauthorized, UnknownUser, WrongTeam,
} from "./errors.js";
import { ID_BYTES } from "./keys.js";
import * as labels from "./labels.js";
import { Role, SIGNATURE_BYTES } from "./roster.js";

export const MEASURES_TAG = "CNM";
export const MAX_MEASURE_ROWS = 100;
export const Unit = Object.freeze({ HOURS: 1, DAYS: 2 });
const CODE_BYTES = [1, 32];
const LABEL_BYTES = [1, 200];
const AMOUNT = [1, 999];
const CODE = /^[A-Za-z0-9_-]+$/;
const UNITS = new Set(Object.values(Unit));

// Characters that change how the text around them is drawn, or are controls: refused in labels.
function refusedInLabel(point) {
  return point < 0x20 || (point >= 0x7f && point < 0xa0) || point === 0x061c || point === 0x200e
    || point === 0x200f || (point >= 0x202a && point <= 0x202e) || (point >= 0x2066 && point <= 0x2069);
}

function labelOf(bytes) {
  let label;
  try {
    label = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new InvalidEncoding("a measure label is UTF-8");
  }
  for (const char of label) {
    if (refusedInLabel(char.codePointAt(0))) throw new InvalidEncoding("a measure label holds no control or text-direction character");
  }
  return label;
}

function codeBytes(code) {
  const bytes = typeof code === "string" ? new TextEncoder().encode(code) : new Uint8Array(0);
  if (bytes.length < CODE_BYTES[0] || bytes.length > CODE_BYTES[1] || !CODE.test(code)) {
    throw new InvalidEncoding("a measure code is 1 to 32 ASCII letters, digits, '_' or '-'");
  }
  return bytes;
}

function labelBytes(label) {
  if (typeof label !== "string") throw new InvalidEncoding("a measure label is text");
  if (!label.isWellFormed()) throw new InvalidEncoding("a measure label is UTF-8");
  const bytes = new TextEncoder().encode(label);
  if (bytes.length < LABEL_BYTES[0] || bytes.length > LABEL_BYTES[1]) throw new InvalidEncoding("a measure label is 1 to 200 bytes");
  labelOf(bytes);
  return bytes;
}

function compareRows(a, b) {
  return compareBytes(a.code, b.code) || compareBytes(a.label, b.label);
}

// A row's bytes, every field checked, with its code and label bytes for the order.
function encodeRow(row) {
  const code = codeBytes(row.code);
  const label = labelBytes(row.label);
  if (!Number.isInteger(row.amount) || row.amount < AMOUNT[0] || row.amount > AMOUNT[1]) {
    throw new InvalidEncoding("a delay is 1 to 999 hours or days");
  }
  if (!UNITS.has(row.unit)) throw new InvalidEncoding(`unknown unit ${row.unit}`);
  const bytes = new Writer().u8(code.length).raw(code).u8(label.length).raw(label).u8(row.unit).u16(row.amount)
    .u8(row.checked ? 1 : 0).getValue();
  return { code, label, bytes };
}

function readRow(reader) {
  const code = reader.take(reader.uint(1, ...CODE_BYTES));
  const text = new TextDecoder().decode(code);
  if (!CODE.test(text) || text.length !== code.length) throw new InvalidEncoding("a measure code is ASCII letters, digits, '_' or '-'");
  const labelRaw = reader.take(reader.uint(1, ...LABEL_BYTES));
  const label = labelOf(labelRaw);
  const unit = reader.u8();
  if (!UNITS.has(unit)) throw new InvalidEncoding(`unknown unit ${unit}`);
  const amount = reader.u16(...AMOUNT);
  const checked = reader.u8();
  if (checked > 1) throw new InvalidEncoding("checked is 0 or 1");
  return { row: Object.freeze({ code: text, label, amount, unit, checked: checked === 1 }), code, label: labelRaw };
}

function tableBody({ teamId, version, signer, issuedAt, rows }) {
  if (rows.length > MAX_MEASURE_ROWS) throw new InvalidEncoding(`at most ${MAX_MEASURE_ROWS} rows`);
  if (isZeroBytes(teamId)) throw new InvalidEncoding("a table belongs to a team");
  const encoded = rows.map(encodeRow).sort(compareRows);
  for (let i = 1; i < encoded.length; i += 1) {
    if (!compareRows(encoded[i - 1], encoded[i])) throw new InvalidEncoding("two rows with the same code and label");
  }
  const writer = new Writer().prefix(MEASURES_TAG).fixed(teamId, ID_BYTES).u32(version).fixed(signer, ID_BYTES)
    .u64(issuedAt).u16(rows.length);
  for (const { bytes } of encoded) writer.raw(bytes);
  return writer.getValue();
}

/** The fields of a table, its signature not checked. */
export function parseMeasuresTable(raw) {
  const reader = new Reader(raw, "measures table");
  reader.prefix(MEASURES_TAG);
  const teamId = reader.take(ID_BYTES);
  if (isZeroBytes(teamId)) throw new InvalidEncoding("a table belongs to a team");
  const version = reader.u32(1);
  const signer = reader.take(ID_BYTES);
  const issuedAt = reader.u64();
  const count = reader.u16(0, MAX_MEASURE_ROWS);
  const read = [];
  for (let i = 0; i < count; i += 1) read.push(readRow(reader));
  for (let i = 1; i < read.length; i += 1) {
    if (compareRows(read[i - 1], read[i]) >= 0) throw new InvalidEncoding("rows are sorted by code then label, without duplicates");
  }
  const signature = reader.take(SIGNATURE_BYTES);
  reader.finish();
  return Object.freeze({ teamId, version, signer, issuedAt, rows: Object.freeze(read.map((r) => r.row)), signature, raw: raw.slice() });
}

/** The table is the expected team's, and the signer an active coordinator of that team. */
export function checkMeasuresSigner(table, signer, { teamId }) {
  if (!equalBytes(table.teamId, teamId)) throw new WrongTeam("this table belongs to another team");
  if (!equalBytes(signer.userId, table.signer)) throw new UnknownUser("this roster entry is not the signer's");
  if (!signer.active) throw new RevokedUser("the signer's roster entry is revoked");
  if (signer.role !== Role.COORDINATOR || !equalBytes(signer.teamId, table.teamId)) {
    throw new Unauthorized("only a coordinator of the team signs its table");
  }
}

/** Parse a table and check its signer (their verified roster entry) and signature. */
export async function verifyMeasuresTable(raw, signer, { teamId }) {
  const table = parseMeasuresTable(raw);
  checkMeasuresSigner(table, signer, { teamId });
  const valid = await crypto.subtle.verify({ name: "Ed25519" }, await signer.signingKey(), table.signature,
    concatBytes(labels.SIGN_MEASURES, raw.slice(0, raw.length - SIGNATURE_BYTES)));
  if (!valid) throw new InvalidSignature("the table is not signed by its signer");
  return table;
}

/**
 * The one rule of a server and of every device: a table that verifies, newer than the one known;
 * the same bytes again are the known table, anything else not newer is refused.
 */
export async function acceptMeasuresTable(raw, signer, { teamId, known = null }) {
  const table = await verifyMeasuresTable(raw, signer, { teamId });
  if (known && equalBytes(table.raw, known.raw)) return known;
  if (known && table.version <= known.version) {
    throw new TableRollback(`version ${table.version} is not newer than ${known.version}`);
  }
  return table;
}

/** A coordinator signs their team's table; rows are sorted here. */
export async function signMeasuresTableAsCoordinator(keys, signer, { teamId, version, rows, now = undefined }) {
  const body = tableBody({ teamId, version, signer: keys.userId, issuedAt: now ?? Date.now(), rows });
  const signature = new Uint8Array(await crypto.subtle.sign(
    { name: "Ed25519" }, keys.signingPrivate, concatBytes(labels.SIGN_MEASURES, body)));
  return verifyMeasuresTable(concatBytes(body, signature), signer, { teamId });
}
