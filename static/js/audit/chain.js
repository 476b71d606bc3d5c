// The server's audit log as a verifier reads it (docs/PROTOCOL.md section 13), the browser twin
// of crypto/audit.py: records parsed field by field, chained by SHA-256, and a head signed with
// the server's audit key. Only WebCrypto's SHA-256 and Ed25519 are used.

import {
  asciiBytes, BrokenChain, concatBytes, equalBytes, ID_BYTES, InvalidEncoding, isZeroBytes, Reader, sha256, verifyEd25519,
} from "../protocol/index.js";

export const RECORD_TAG = "CNA";
export const HEAD_TAG = "CNT";
export const HASH_BYTES = 32;
export const HEAD_BODY_BYTES = 52;
export const ZERO_HASH = new Uint8Array(HASH_BYTES);
const SIGNATURE_BYTES = 64;

// Used by the server and by verifiers only; they follow the rules of PROTOCOL section 4.
export const HASH_AUDIT_RECORD = asciiBytes("carnet/v1/hash/audit-record\0");
export const SIGN_AUDIT_HEAD = asciiBytes("carnet/v1/sign/audit-head\0");

// The action codes are part of the format; any other code is refused.
export const ACTIONS = Object.freeze({
  1: "case_opened", 2: "entry_stored", 3: "member_added", 4: "member_removed", 5: "key_rotated",
  6: "entry_resealed", 16: "association_set_up", 17: "account_keys_published", 18: "roster_entry", 32: "login",
  33: "login_failed", 34: "enrolled", 35: "kdf_changed", 36: "account_changed", 37: "invited", 38: "sessions_ended",
  39: "team_changed", 40: "account_created", 41: "reset_issued", 42: "reset_completed", 43: "measures_changed", 48: "export", 49: "backup", 50: "restore", 51: "rekey",
  56: "factor_registered", 57: "factor_used", 58: "factor_failed", 59: "factor_removed", 60: "factors_reset",
  61: "recovery_code_used", 62: "recovery_codes_renewed", 63: "second_factor_pending",
});
export const ENTRY_ACTIONS = new Set(["case_opened", "entry_stored", "member_added", "member_removed", "key_rotated",
  "entry_resealed"]);

/** One audit record `CNA`, with its record hash. */
export async function parseAuditRecord(raw) {
  const reader = new Reader(raw, "audit record");
  reader.prefix(RECORD_TAG);
  const seq = reader.u64(1);
  const time = reader.u64();
  const code = reader.u8();
  if (!(code in ACTIONS)) throw new InvalidEncoding(`unknown audit action ${code}`);
  const record = { seq, time, action: ACTIONS[code], actor: reader.take(ID_BYTES), subject: reader.take(ID_BYTES),
    digest: reader.take(HASH_BYTES), prevHash: reader.take(HASH_BYTES) };
  reader.finish();
  if ((seq === 1) !== isZeroBytes(record.prevHash)) {
    throw new InvalidEncoding("the previous hash is zero for the first record and only for it");
  }
  record.hash = await sha256(HASH_AUDIT_RECORD, raw);
  return record;
}

/** Record follows previous (null before the first record) by seq and hash, or BrokenChain. */
export function checkAuditLink(previous, record) {
  const expectedSeq = previous === null ? 1 : previous.seq + 1;
  const expectedPrev = previous === null ? ZERO_HASH : previous.hash;
  if (record.seq !== expectedSeq || !equalBytes(record.prevHash, expectedPrev)) {
    throw new BrokenChain(`audit record ${record.seq} does not follow record ${expectedSeq - 1}`);
  }
}

/** The audit head `CNT`, verified under the audit public key (a WebCrypto Ed25519 key). */
export async function verifyAuditHead(raw, auditKey) {
  const reader = new Reader(raw, "audit head");
  reader.prefix(HEAD_TAG);
  const count = reader.u64();
  const lastHash = reader.take(HASH_BYTES);
  const time = reader.u64();
  const signature = reader.take(SIGNATURE_BYTES);
  reader.finish();
  if ((count === 0) !== isZeroBytes(lastHash)) {
    throw new InvalidEncoding("the last hash is zero for an empty log and only for it");
  }
  await verifyEd25519(auditKey, signature, concatBytes(SIGN_AUDIT_HEAD, raw.subarray(0, HEAD_BODY_BYTES)),
    "the audit head is not signed by this audit key");
  return { count, lastHash, time };
}
