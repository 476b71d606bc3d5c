// Every domain-separation string of the protocol, in one place (crypto/labels.py,
// docs/PROTOCOL.md section 4).
//
// Each HKDF derivation, signature, hash and HPKE context uses its own label, so a value
// computed for one purpose can never be taken for a value of another: a signature over a
// roster entry is never a valid signature over an entry, an entry key is never a history key.
// All labels are ASCII, start with "carnet/v1/" and none is a prefix of another. A label that
// is followed by more bytes ends with a zero byte, so the boundary between label and data is
// unambiguous.

// Typed arrays cannot be frozen; every user copies a label into a new buffer (concatBytes) and
// never writes to it.
const ascii = (value) => new TextEncoder().encode(value);

// HKDF-SHA256 info strings (the salt is empty but for DEVICE_STORE_PRF below).
export const ACCOUNT_AUTH = ascii("carnet/v1/account/auth");
export const ACCOUNT_KEK = ascii("carnet/v1/account/kek");
export const KEY_BLOB_WRAP = ascii("carnet/v1/kek/key-blob");
export const ENTRY_KEY = ascii("carnet/v1/case/entry-key\0");
export const HISTORY_KEY = ascii("carnet/v1/case/history-key\0");
export const KEY_COMMITMENT = ascii("carnet/v1/case/key-commitment\0");

// HPKE info prefix for wrapping a case key to one member.
export const HPKE_CASE_KEY = ascii("carnet/v1/hpke/case-key\0");

// Ed25519 signature contexts: the signed message is the label followed by the data.
export const SIGN_ROSTER = ascii("carnet/v1/sign/roster\0");
export const SIGN_ENTRY = ascii("carnet/v1/sign/entry\0");
export const SIGN_MEASURES = ascii("carnet/v1/sign/team-measures\0");

// SHA-256 hash contexts.
export const HASH_ENTRY = ascii("carnet/v1/hash/entry\0");
export const HASH_CASE_HEAD = ascii("carnet/v1/hash/case-head\0");
export const FINGERPRINT_ASSOCIATION = ascii("carnet/v1/fingerprint/association\0");
export const FINGERPRINT_USER = ascii("carnet/v1/fingerprint/user\0");

// The device store's own labels (docs/PROTOCOL.md, "The device store"): not part of any
// exchanged format, so not in ALL_LABELS nor in crypto/labels.py, but kept here with the others
// so that no label is spelled twice. HKDF info of the store's wrapping key, and the associated
// data prefixes of the wrapped store key and of each record.
export const LOCAL_STORE = ascii("carnet/v1/kek/local-store");
// With a PRF factor (an authenticator's PRF output as HKDF salt): its own info, so that a key
// derived for one mode is never the other's (not "local-store-prf": no label is another's prefix).
export const DEVICE_STORE_PRF = ascii("carnet/v1/kek/device-store-prf");
export const LOCAL_STORE_KEY_AAD = ascii("carnet/v1/local/store-key\0");
export const LOCAL_RECORD_AAD = ascii("carnet/v1/local/record\0");

export const ALL_LABELS = Object.freeze({
  ACCOUNT_AUTH, ACCOUNT_KEK, KEY_BLOB_WRAP, ENTRY_KEY, HISTORY_KEY, KEY_COMMITMENT, HPKE_CASE_KEY,
  SIGN_ROSTER, SIGN_ENTRY, SIGN_MEASURES, HASH_ENTRY, HASH_CASE_HEAD, FINGERPRINT_ASSOCIATION, FINGERPRINT_USER,
});
