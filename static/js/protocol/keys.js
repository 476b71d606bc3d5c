// Account and association keys: generation, validation, wrapping by the kek, fingerprints
// (crypto/keys.py, docs/PROTOCOL.md sections 3, 5.5, 6.1 and 7).
//
// Every account holds two key pairs made on the device: X25519 to receive case keys (HPKE) and
// Ed25519 to sign entries. The association holds one Ed25519 key that signs the roster; its
// fingerprint travels in the enrolment link. Private keys leave the device only inside a key
// blob, AES-256-GCM under a key derived from the kek, which itself never leaves the device.
//
// How private keys are held here. A key blob carries the raw 32-byte seeds (the format the
// Python reference reads and writes), so a seed exists as bytes exactly twice: when it is
// generated (then wrapped at once) and when a blob is unwrapped. Both times it is imported
// through PKCS#8 into a NON-EXTRACTABLE CryptoKey and the seed bytes are overwritten with zeros.
// From then on the page can use the key (derive, sign) but no script can read it back, not even
// to wrap it again: re-wrapping under a new kek means unwrapping the old blob again.

import { b64urlDecode, concatBytes, equalBytes, freshBytes, hexEncode, isBytes, Reader, Writer } from "./encoding.js";
import {
  AccountKeyMismatch,
  DecryptionFailed,
  InvalidEncoding,
  InvalidPublicKey,
  UntrustedAssociationKey,
} from "./errors.js";
import * as labels from "./labels.js";
import { aesGcmOpen, aesGcmSeal, hkdfAesGcmKey, KEY_BYTES, NONCE_BYTES, sha256, TAG_BYTES } from "./primitives.js";

export { KEY_BYTES, NONCE_BYTES, TAG_BYTES };
export const ID_BYTES = 16;
export const KEY_BLOB_TAG = "CNK";

// The field prime of Curve25519 and edwards25519, and the Edwards curve constant d.
export const P25519 = 2n ** 255n - 19n;

function mod(value, modulus = P25519) {
  const rest = value % modulus;
  return rest < 0n ? rest + modulus : rest;
}

function modPow(base, exponent, modulus = P25519) {
  let result = 1n;
  let b = mod(base, modulus);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

const ED25519_D = mod(-121665n * modPow(121666n, P25519 - 2n));

function littleEndian(bytes) {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i -= 1) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

// The five canonical u-coordinates of X25519 points of small order (RFC 7748 section 6.1 warns
// that a shared secret computed with one of them is all zeros, so it carries no secret).
export const X25519_SMALL_ORDER = new Set([
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
]);

// The eight canonical encodings of edwards25519 points of small order. A signing key equal to
// one of them lets anyone make a signature that verifies for many messages (R = identity,
// S = 0), so no such key may enter the roster.
export const ED25519_SMALL_ORDER = new Set([
  "0100000000000000000000000000000000000000000000000000000000000000",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0000000000000000000000000000000000000000000000000000000000000080",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
]);

/**
 * Accept only a canonical u-coordinate (below p, which also refuses a set top bit) of a point
 * not of small order; the same rule, in the same order, as crypto/keys.py
 * check_x25519_public_key. Throws InvalidPublicKey.
 */
export function checkX25519PublicKey(raw) {
  if (!isBytes(raw, KEY_BYTES)) throw new InvalidPublicKey("an X25519 public key is 32 bytes");
  if (littleEndian(raw) >= P25519) throw new InvalidPublicKey("non-canonical X25519 public key");
  if (X25519_SMALL_ORDER.has(hexEncode(raw))) throw new InvalidPublicKey("X25519 public key of small order");
}

/**
 * Accept only the canonical encoding of a curve point that is not of small order. Decoding
 * follows RFC 8032 section 5.1.3 strictly: y below p, x^2 = (y^2 - 1) / (d y^2 + 1) a square,
 * and x = 0 without the sign bit. Throws InvalidPublicKey.
 */
// The strict decoding costs two modular exponentiations in BigInt, and a device checks the same
// few authors' keys over and over: encodings that passed are remembered (refusals are not).
const acceptedEd25519Keys = new Set();
const ACCEPTED_KEYS_MAX = 4096;

export function checkEd25519PublicKey(raw) {
  if (!isBytes(raw, KEY_BYTES)) throw new InvalidPublicKey("an Ed25519 public key is 32 bytes");
  const encoded = hexEncode(raw);
  if (acceptedEd25519Keys.has(encoded)) return;
  decodeEd25519PublicKey(raw);
  if (acceptedEd25519Keys.size >= ACCEPTED_KEYS_MAX) acceptedEd25519Keys.clear();
  acceptedEd25519Keys.add(encoded);
}

function decodeEd25519PublicKey(raw) {
  const sign = raw[31] >> 7;
  const y = littleEndian(raw) & ((1n << 255n) - 1n);
  if (y >= P25519) throw new InvalidPublicKey("non-canonical Ed25519 public key");
  const x2 = mod((y * y - 1n) * modPow(ED25519_D * y * y + 1n, P25519 - 2n));
  if (x2 === 0n && sign) throw new InvalidPublicKey("non-canonical Ed25519 public key");
  if (x2 !== 0n && modPow(x2, (P25519 - 1n) / 2n) !== 1n) {
    throw new InvalidPublicKey("Ed25519 public key is not on the curve");
  }
  if (ED25519_SMALL_ORDER.has(hexEncode(raw))) throw new InvalidPublicKey("Ed25519 public key of small order");
}

// Public keys are public: they are imported extractable, which HPKE needs to serialise the
// recipient key into its KEM context.
export async function importX25519PublicKey(raw) {
  checkX25519PublicKey(raw);
  return crypto.subtle.importKey("raw", raw, { name: "X25519" }, true, []);
}

export async function importEd25519PublicKey(raw) {
  checkEd25519PublicKey(raw);
  return crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, true, ["verify"]);
}

// PKCS#8 (RFC 8410) wrappings of a raw 32-byte private key: WebCrypto imports X25519 and
// Ed25519 private keys from PKCS#8 or JWK only, and PKCS#8 needs no base64 string of the seed.
const PKCS8_X25519_PREFIX = Uint8Array.of(
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);
const PKCS8_ED25519_PREFIX = Uint8Array.of(
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);
// The X25519 base point, u = 9.
const X25519_BASE_POINT = Uint8Array.of(9, ...new Uint8Array(31));

async function importPkcs8(prefix, seed, algorithm, extractable, usages) {
  if (!isBytes(seed, KEY_BYTES)) throw new InvalidEncoding("a private key seed is 32 bytes");
  const der = concatBytes(prefix, seed);
  try {
    return await crypto.subtle.importKey("pkcs8", der, { name: algorithm }, extractable, usages);
  } finally {
    der.fill(0);
  }
}

/** An X25519 private key that can only derive bits (HPKE decapsulation), never be exported. */
export async function importX25519PrivateKey(seed) {
  return importPkcs8(PKCS8_X25519_PREFIX, seed, "X25519", false, ["deriveBits"]);
}

/** An Ed25519 private key that can only sign, never be exported. */
export async function importEd25519PrivateKey(seed) {
  return importPkcs8(PKCS8_ED25519_PREFIX, seed, "Ed25519", false, ["sign"]);
}

// The public key of a non-extractable X25519 private key, with no extractable copy ever made:
// X25519(sk, 9) is by definition the public key, and deriveBits computes exactly that.
async function x25519PublicOf(privateKey) {
  const basePoint = await crypto.subtle.importKey("raw", X25519_BASE_POINT, { name: "X25519" }, true, []);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "X25519", public: basePoint }, privateKey, 256));
}

// WebCrypto offers no way to get an Ed25519 public key from a non-extractable private key (no
// signature reveals it, and no other operation takes the private key), so it is read from the
// JWK export of a transient extractable copy made from the same seed. The copy lives for this
// function only and is dropped; its `d` member (the seed again, as an immutable string that
// cannot be overwritten) is deleted at once. The key the account keeps is a separate,
// non-extractable import.
async function ed25519PublicOfSeed(seed) {
  const transient = await importPkcs8(PKCS8_ED25519_PREFIX, seed, "Ed25519", true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", transient);
  delete jwk.d;
  return b64urlDecode(jwk.x);
}

export function checkId(value) {
  if (!isBytes(value, ID_BYTES)) throw new InvalidEncoding(`an id is ${ID_BYTES} bytes`);
  return value;
}

/** A fresh opaque id (user, team, device, case, entry): 16 random bytes. */
export function newId(value = undefined) {
  return freshBytes(value, ID_BYTES);
}

/** One account's key pairs; the private halves are non-extractable CryptoKeys. */
export class AccountKeys {
  constructor({ userId, encryptionPrivate, encryptionPublic, encryptionPublicKey, signingPrivate, signingPublic }) {
    this.userId = checkId(userId).slice();
    this.encryptionPrivate = encryptionPrivate;
    this.encryptionPublic = encryptionPublic;
    this.encryptionPublicKey = encryptionPublicKey;
    this.signingPrivate = signingPrivate;
    this.signingPublic = signingPublic;
    Object.freeze(this);
  }

  // The HPKE library takes a recipient key pair and then never needs to export the private half.
  get encryptionKeyPair() {
    return { privateKey: this.encryptionPrivate, publicKey: this.encryptionPublicKey };
  }

  async fingerprint() {
    return userFingerprint(this.userId, this.encryptionPublic, this.signingPublic);
  }
}

/** The association's roster-signing key, held by an admin; the private half is non-extractable. */
export class AssociationKey {
  constructor({ signingPrivate, publicBytes, publicKey }) {
    this.signingPrivate = signingPrivate;
    this.public = publicBytes;
    this.publicKey = publicKey;
    Object.freeze(this);
  }
}

/**
 * Import an account from its two seeds (as a key blob holds them): both private keys become
 * non-extractable CryptoKeys and the public keys are computed. The caller's seed arrays are not
 * touched; callers that own them overwrite them afterwards.
 */
export async function importAccountKeys(userId, { encryptionSeed, signingSeed }) {
  checkId(userId);
  const encryptionPrivate = await importX25519PrivateKey(encryptionSeed);
  const signingPrivate = await importEd25519PrivateKey(signingSeed);
  const encryptionPublic = await x25519PublicOf(encryptionPrivate);
  const signingPublic = await ed25519PublicOfSeed(signingSeed);
  return new AccountKeys({
    userId, encryptionPrivate, encryptionPublic, signingPrivate, signingPublic,
    encryptionPublicKey: await importX25519PublicKey(encryptionPublic),
  });
}

/** Import the association key from its seed, non-extractable; the caller's seed is not touched. */
export async function importAssociationKey(seed) {
  const signingPrivate = await importEd25519PrivateKey(seed);
  const publicBytes = await ed25519PublicOfSeed(seed);
  return new AssociationKey({ signingPrivate, publicBytes, publicKey: await importEd25519PublicKey(publicBytes) });
}

// Key blobs.

export const KeyBlobPurpose = Object.freeze({ ACCOUNT: 1, ASSOCIATION: 2 });
const BLOB_PLAINTEXT_BYTES = { [KeyBlobPurpose.ACCOUNT]: 2 * KEY_BYTES, [KeyBlobPurpose.ASSOCIATION]: KEY_BYTES };
const BLOB_HEAD_BYTES = 4 + 1 + ID_BYTES;

// The kek is never used as an AES key itself: a labelled HKDF step keeps this use apart from
// any other use the application makes of the kek. The kek may be given as the non-extractable
// HKDF CryptoKey of kdf.js importKek (the normal case) or as its 32 bytes.
async function keyBlobKey(kek) {
  if (!(kek instanceof CryptoKey) && !isBytes(kek, KEY_BYTES)) throw new InvalidEncoding("the kek is 32 bytes");
  return hkdfAesGcmKey(kek, labels.KEY_BLOB_WRAP);
}

async function sealKeyBlob(purpose, ownerId, secret, kek, nonce) {
  const head = new Writer().prefix(KEY_BLOB_TAG).u8(purpose).fixed(ownerId, ID_BYTES).getValue();
  const fresh = freshBytes(nonce, NONCE_BYTES);
  const sealed = await aesGcmSeal(await keyBlobKey(kek), fresh, secret, head);
  return concatBytes(head, fresh, sealed);
}

async function openKeyBlob(purpose, blob, kek, ownerId) {
  const reader = new Reader(blob, "key blob");
  reader.prefix(KEY_BLOB_TAG);
  const found = reader.u8();
  if (found !== purpose) throw new InvalidEncoding(`key blob holds purpose ${found}, expected ${purpose}`);
  if (!equalBytes(reader.take(ID_BYTES), checkId(ownerId))) {
    throw new DecryptionFailed("key blob belongs to another user");
  }
  const nonce = reader.take(NONCE_BYTES);
  const sealed = reader.take(BLOB_PLAINTEXT_BYTES[purpose] + TAG_BYTES);
  reader.finish();
  return aesGcmOpen(await keyBlobKey(kek), nonce, sealed, blob.slice(0, BLOB_HEAD_BYTES), "key blob");
}

/**
 * Seal an account's two seeds under the kek: X25519 private key || Ed25519 seed, purpose 1.
 * Held keys are non-extractable, so this runs where the seeds exist as bytes: inside
 * generateAccountKeys, and in tests that rebuild the vectors from given seeds.
 */
/** The same secret, purpose and owner under a new kek (a stronger KDF, a new passphrase). */
export async function rewrapKeyBlob(blob, oldKek, newKek, { ownerId, nonce = undefined }) {
  const reader = new Reader(blob, "key blob");
  reader.prefix(KEY_BLOB_TAG);
  const purpose = reader.u8();
  if (!Object.values(KeyBlobPurpose).includes(purpose)) throw new InvalidEncoding("key blob of an unknown purpose");
  const secret = await openKeyBlob(purpose, blob, oldKek, ownerId);
  try {
    return await sealKeyBlob(purpose, ownerId, secret, newKek, nonce);
  } finally {
    secret.fill(0);
  }
}

export async function wrapAccountKeysWithKek({ userId, encryptionSeed, signingSeed }, kek, { nonce } = {}) {
  if (!isBytes(encryptionSeed, KEY_BYTES) || !isBytes(signingSeed, KEY_BYTES)) {
    throw new InvalidEncoding("account seeds are 32 bytes each");
  }
  const secret = concatBytes(encryptionSeed, signingSeed);
  try {
    return await sealKeyBlob(KeyBlobPurpose.ACCOUNT, userId, secret, kek, nonce);
  } finally {
    secret.fill(0);
  }
}

/**
 * Make a user's key pairs on their device (docs/PROTOCOL.md 8.1 step 3): seeds from the
 * CSPRNG, wrapped at once under the kek, imported as non-extractable keys, then overwritten.
 * Returns {keys, blob}; the blob is what the server escrows. Seeds and nonce can be injected
 * for vectors and tests only.
 */
export async function generateAccountKeys(userId, kek, { encryptionSeed, signingSeed, nonce } = {}) {
  checkId(userId);
  const seeds = {
    userId, encryptionSeed: freshBytes(encryptionSeed, KEY_BYTES), signingSeed: freshBytes(signingSeed, KEY_BYTES),
  };
  try {
    const blob = await wrapAccountKeysWithKek(seeds, kek, { nonce });
    return { keys: await importAccountKeys(userId, seeds), blob };
  } finally {
    seeds.encryptionSeed.fill(0);
    seeds.signingSeed.fill(0);
  }
}

/** Open a purpose-1 key blob of `userId` into non-extractable keys; the seeds are wiped. */
export async function unwrapAccountKeysWithKek(blob, kek, { userId }) {
  const secret = await openKeyBlob(KeyBlobPurpose.ACCOUNT, blob, kek, userId);
  try {
    return await importAccountKeys(userId, {
      encryptionSeed: secret.subarray(0, KEY_BYTES), signingSeed: secret.subarray(KEY_BYTES),
    });
  } finally {
    secret.fill(0);
  }
}

/** Seal the association's seed under an admin's kek (purpose 2); see wrapAccountKeysWithKek. */
export async function wrapAssociationKeyWithKek(seed, adminId, kek, { nonce } = {}) {
  if (!isBytes(seed, KEY_BYTES)) throw new InvalidEncoding("the association seed is 32 bytes");
  return sealKeyBlob(KeyBlobPurpose.ASSOCIATION, adminId, seed, kek, nonce);
}

/** Make the association key on the admin's device, wrapped at once; returns {key, blob}. */
export async function generateAssociationKey(adminId, kek, { seed, nonce } = {}) {
  const fresh = freshBytes(seed, KEY_BYTES);
  try {
    const blob = await wrapAssociationKeyWithKek(fresh, adminId, kek, { nonce });
    return { key: await importAssociationKey(fresh), blob };
  } finally {
    fresh.fill(0);
  }
}

export async function unwrapAssociationKeyWithKek(blob, kek, { adminId }) {
  const seed = await openKeyBlob(KeyBlobPurpose.ASSOCIATION, blob, kek, adminId);
  try {
    return await importAssociationKey(seed);
  } finally {
    seed.fill(0);
  }
}

/** After unwrapping, a device checks its keys are the ones the roster certifies for it. */
export function checkAccountKeysMatch(keys, encryptionPublic, signingPublic) {
  if (!equalBytes(keys.encryptionPublic, encryptionPublic) || !equalBytes(keys.signingPublic, signingPublic)) {
    throw new AccountKeyMismatch("these private keys are not the ones certified for this user");
  }
}

// Fingerprints.

const SPOKEN_GROUPS = 6;
const SPOKEN_GROUP_BYTES = 5;

/** SHA-256 over a label and the association's signing key: what the enrolment link carries. */
export async function associationFingerprint(publicBytes) {
  checkEd25519PublicKey(publicBytes);
  return sha256(labels.FINGERPRINT_ASSOCIATION, publicBytes);
}

/** SHA-256 over a label, the user id and both public keys: what two people compare aloud. */
export async function userFingerprint(userId, encryptionPublic, signingPublic) {
  const data = new Writer().fixed(userId, ID_BYTES).fixed(encryptionPublic, KEY_BYTES)
    .fixed(signingPublic, KEY_BYTES).getValue();
  return sha256(labels.FINGERPRINT_USER, data);
}

/**
 * Six groups of five digits (about 100 bits), short enough to read aloud over a phone: group i
 * is bytes 5i to 5i + 4 of the digest as a big-endian integer, modulo 100000, with leading
 * zeros. Digits survive every language the association works in.
 */
export function spokenFingerprint(digest) {
  if (!isBytes(digest, 32)) throw new InvalidEncoding("a fingerprint digest is 32 bytes");
  const groups = [];
  for (let i = 0; i < SPOKEN_GROUPS; i += 1) {
    let value = 0;
    const group = digest.subarray(i * SPOKEN_GROUP_BYTES, (i + 1) * SPOKEN_GROUP_BYTES);
    for (const byte of group) value = value * 256 + byte;
    groups.push(String(value % 100000).padStart(5, "0"));
  }
  return groups.join(" ");
}

/** Accept the association key the server offers only if it matches the link's fingerprint. */
export async function pinAssociationKey(publicBytes, fingerprint) {
  if (!isBytes(fingerprint) || !equalBytes(await associationFingerprint(publicBytes), fingerprint)) {
    throw new UntrustedAssociationKey("the association key does not match the enrolment link");
  }
  return importEd25519PublicKey(publicBytes);
}
