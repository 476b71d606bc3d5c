// Case keys: one random AES-256 key per case and epoch, wrapped to each member with HPKE
// (crypto/casekeys.py, docs/PROTOCOL.md sections 6.3 and 6.7).
//
// A wrapped key is HPKE base mode (RFC 9180) with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
// AES-256-GCM, single-shot, EMPTY associated data. The case id, the epoch and the recipient's
// user id are written in clear in the wrapped key and fed to HPKE as `info`, so a wrapped key
// moved to another case, epoch or member no longer opens. A key commitment published with each
// epoch lets every member check they all received the same key, and the previous epoch's key
// travels sealed under the new one (the history box) so members keep the history.
//
// Case keys are held as 32-byte Uint8Arrays, unlike account keys: the protocol itself needs
// their bytes (HPKE-wrapping them to a new member, sealing them in a history box, keeping them
// in the device store under the kek), and the HPKE library takes and returns plaintext bytes.
// Every key derived from a case key (entry keys, history keys) is derived straight into a
// non-extractable AES-GCM CryptoKey.

import {
  Aes256Gcm,
  CipherSuite,
  DhkemX25519HkdfSha256,
  HkdfSha256,
} from "../../vendor/hpke-core.js";
import { concatBytes, equalBytes, freshBytes, isBytes, Reader, Writer } from "./encoding.js";
import {
  DecryptionFailed,
  EpochMismatch,
  InvalidEncoding,
  KeyCommitmentMismatch,
  RevokedUser,
  WrongCase,
  WrongRecipient,
} from "./errors.js";
import { checkX25519PublicKey, ID_BYTES, KEY_BYTES, NONCE_BYTES, TAG_BYTES } from "./keys.js";
import * as labels from "./labels.js";
import { aesGcmOpen, aesGcmSeal, hkdfAesGcmKey, hkdfSha256 } from "./primitives.js";

export const WRAP_TAG = "CNW";
export const HPKE_ENC_BYTES = 32;
export const HPKE_SEALED_BYTES = HPKE_ENC_BYTES + KEY_BYTES + TAG_BYTES;
export const WRAPPED_KEY_BYTES = 4 + ID_BYTES + 4 + ID_BYTES + HPKE_SEALED_BYTES;
export const HISTORY_BOX_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES;
export const MAX_EPOCH = 2 ** 32 - 1;

// RFC 9180 suite: KEM 0x0020, KDF 0x0001, AEAD 0x0002. Only base mode is ever used: no PSK,
// no sender authentication (the entry that carries a wrapped key is signed by its author).
const HPKE_SUITE = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

/** A fresh 256-bit AES-GCM key for one epoch of one case. */
export function newCaseKey(value = undefined) {
  return freshBytes(value, KEY_BYTES);
}

function checkKey(key) {
  if (!isBytes(key, KEY_BYTES)) throw new InvalidEncoding("a case key is 32 bytes");
}

function caseEpoch(caseId, epoch) {
  return new Writer().fixed(caseId, ID_BYTES).uint(epoch, 4, MAX_EPOCH).getValue();
}

/** Published in clear with each epoch; HKDF is one-way, so it reveals nothing of the key. */
export async function caseKeyCommitment(caseKey, { caseId, epoch }) {
  checkKey(caseKey);
  return hkdfSha256(caseKey, concatBytes(labels.KEY_COMMITMENT, caseEpoch(caseId, epoch)));
}

export async function checkCaseKeyCommitment(caseKey, commitment, { caseId, epoch }) {
  if (!equalBytes(await caseKeyCommitment(caseKey, { caseId, epoch }), commitment)) {
    throw new KeyCommitmentMismatch(`this key is not the committed key of epoch ${epoch}`);
  }
}

/** A case key wrapped to one member: 120 bytes, parsed canonically. */
export class WrappedCaseKey {
  constructor(caseId, epoch, recipient, sealed) {
    this.caseId = caseId;
    this.epoch = epoch;
    this.recipient = recipient;
    this.sealed = sealed;
    Object.freeze(this);
  }

  /** Bytes 4 to 40: case id, epoch, recipient; the HPKE info is the label followed by them. */
  context() {
    return new Writer().fixed(this.caseId, ID_BYTES).uint(this.epoch, 4, MAX_EPOCH)
      .fixed(this.recipient, ID_BYTES).getValue();
  }

  info() {
    return concatBytes(labels.HPKE_CASE_KEY, this.context());
  }

  toBytes() {
    return new Writer().prefix(WRAP_TAG).raw(this.context()).fixed(this.sealed, HPKE_SEALED_BYTES).getValue();
  }

  static fromBytes(raw) {
    const reader = new Reader(raw, "wrapped case key");
    const wrapped = WrappedCaseKey.read(reader);
    reader.finish();
    return wrapped;
  }

  static read(reader) {
    reader.prefix(WRAP_TAG);
    const caseId = reader.take(ID_BYTES);
    const epoch = reader.u32(1);
    const recipient = reader.take(ID_BYTES);
    return new WrappedCaseKey(caseId, epoch, recipient, reader.take(HPKE_SEALED_BYTES));
  }
}

/**
 * Encrypt a case key to a member's certified X25519 key, bound to case, epoch and member.
 * `recipient` is a verified RosterEntry. The ephemeral HPKE key comes from the library and
 * cannot be injected, so wrapped keys are the one output that vectors check by opening.
 */
export async function wrapCaseKeyForMember(caseKey, { caseId, epoch, recipient }) {
  checkKey(caseKey);
  if (!Number.isInteger(epoch) || epoch < 1) throw new InvalidEncoding("epochs start at 1");
  if (!recipient.active) throw new RevokedUser("no key is wrapped to a revoked user");
  const info = new WrappedCaseKey(caseId, epoch, recipient.userId, new Uint8Array(HPKE_SEALED_BYTES)).info();
  // The roster entry was validated when parsed; the check runs again so that no code path can
  // encrypt to an all-zero or small-order key, for which the shared secret would be public.
  checkX25519PublicKey(recipient.encryptionPublic);
  const recipientPublicKey = await recipient.encryptionKey();
  const { enc, ct } = await HPKE_SUITE.seal({ recipientPublicKey, info }, caseKey);
  return new WrappedCaseKey(caseId, epoch, recipient.userId, concatBytes(new Uint8Array(enc), new Uint8Array(ct)));
}

/**
 * Open a wrapped key addressed to this member for this case and epoch, or throw. The checks
 * run in the order of docs/PROTOCOL.md section 10: recipient, case, epoch, then HPKE.
 *
 * The member's X25519 private key stays a non-extractable CryptoKey: the library is given the
 * key pair, uses the private half only through deriveBits (the DH of decapsulation) and takes
 * the public half to build the KEM context, so it never needs to export anything.
 */
export async function unwrapCaseKeyAsMember(wrapped, member, { caseId, epoch }) {
  if (!equalBytes(wrapped.recipient, member.userId)) {
    throw new WrongRecipient("this wrapped key is addressed to another member");
  }
  if (!equalBytes(wrapped.caseId, caseId)) throw new WrongCase("this wrapped key belongs to another case");
  if (wrapped.epoch !== epoch) throw new EpochMismatch(`this wrapped key is for epoch ${wrapped.epoch}, not ${epoch}`);
  const enc = wrapped.sealed.slice(0, HPKE_ENC_BYTES);
  const ct = wrapped.sealed.slice(HPKE_ENC_BYTES);
  let plaintext;
  try {
    // Any failure inside HPKE (a small-order `enc` making the DH fail, a wrong key, a changed
    // info, a tampered ciphertext) means the same thing to the caller: it does not open.
    plaintext = new Uint8Array(await HPKE_SUITE.open(
      { recipientKey: member.encryptionKeyPair, enc, info: wrapped.info() }, ct));
  } catch {
    throw new DecryptionFailed("the wrapped key does not open with this member's key");
  }
  return plaintext;
}

async function historyKey(newKey, caseId, newEpoch) {
  checkKey(newKey);
  return hkdfAesGcmKey(newKey, concatBytes(labels.HISTORY_KEY, caseEpoch(caseId, newEpoch)));
}

/**
 * Seal epoch e's key under a key derived from epoch e+1's, so members keep the history. A
 * member removed at this rotation never receives the new key, so this box gives them nothing;
 * anyone who later receives the new key can walk the history back.
 */
export async function sealPreviousCaseKey(previousKey, newKey, { caseId, newEpoch, nonce = undefined }) {
  checkKey(previousKey);
  const fresh = freshBytes(nonce, NONCE_BYTES);
  return concatBytes(fresh, await aesGcmSeal(await historyKey(newKey, caseId, newEpoch), fresh, previousKey));
}

export async function openPreviousCaseKey(box, newKey, { caseId, newEpoch }) {
  if (!isBytes(box, HISTORY_BOX_BYTES)) throw new InvalidEncoding(`a history box is ${HISTORY_BOX_BYTES} bytes`);
  const key = await historyKey(newKey, caseId, newEpoch);
  return aesGcmOpen(key, box.slice(0, NONCE_BYTES), box.slice(NONCE_BYTES), undefined, "history box");
}
