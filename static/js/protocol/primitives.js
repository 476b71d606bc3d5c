// Thin wrappers over WebCrypto for the symmetric primitives of docs/PROTOCOL.md section 2:
// SHA-256, HKDF-SHA256 with an empty salt, and AES-256-GCM with a 96-bit nonce and a 128-bit tag.
//
// Keys made here are non-extractable CryptoKey objects: HKDF input keys can only derive, and
// AES keys derived from them can only encrypt or decrypt, so a script that gets hold of one
// can use it while the page lives but can never read its bytes. A failed AEAD tag becomes
// DecryptionFailed, the one error the protocol names for it.

import { concatBytes, isBytes } from "./encoding.js";
import { DecryptionFailed, InvalidEncoding } from "./errors.js";

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
const EMPTY = new Uint8Array(0);

export async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", concatBytes(...parts)));
}

// An HKDF input key (a case key, the kek, a master secret) imported for derivation only.
export async function importHkdfKey(bytes, usages = ["deriveBits", "deriveKey"]) {
  if (!isBytes(bytes, KEY_BYTES)) throw new InvalidEncoding("an HKDF input key is 32 bytes");
  return crypto.subtle.importKey("raw", bytes, "HKDF", false, usages);
}

async function hkdfInput(ikm, usage) {
  if (ikm instanceof CryptoKey) {
    if (ikm.algorithm.name !== "HKDF") throw new InvalidEncoding("an HKDF input key was expected");
    return ikm;
  }
  return importHkdfKey(ikm, [usage]);
}

function hkdfParams(info, salt = EMPTY) {
  if (!isBytes(info)) throw new InvalidEncoding("an HKDF info is bytes");
  if (!isBytes(salt)) throw new InvalidEncoding("an HKDF salt is bytes");
  return { name: "HKDF", hash: "SHA-256", salt, info };
}

/** HKDF-SHA256(ikm, info, length) with an empty salt, as bytes: for public outputs and vectors. */
export async function hkdfSha256(ikm, info, length = KEY_BYTES) {
  const key = await hkdfInput(ikm, "deriveBits");
  return new Uint8Array(await crypto.subtle.deriveBits(hkdfParams(info), key, 8 * length));
}

/**
 * HKDF-SHA256 straight into a non-extractable AES-256-GCM key: the derived bytes never exist in JS.
 * The salt is empty but for the device store's wrapping key with a PRF factor (kdf.js).
 */
export async function hkdfAesGcmKey(ikm, info, usages = ["encrypt", "decrypt"], salt = EMPTY) {
  const key = await hkdfInput(ikm, "deriveKey");
  return crypto.subtle.deriveKey(hkdfParams(info, salt), key, { name: "AES-GCM", length: 256 }, false, usages);
}

function gcmParams(nonce, aad) {
  if (!isBytes(nonce, NONCE_BYTES)) throw new InvalidEncoding(`an AES-GCM nonce is ${NONCE_BYTES} bytes`);
  return { name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 8 * TAG_BYTES };
}

/** AES-256-GCM: returns ciphertext || tag, as Python's AESGCM.encrypt does. */
export async function aesGcmSeal(key, nonce, plaintext, aad = EMPTY) {
  return new Uint8Array(await crypto.subtle.encrypt(gcmParams(nonce, aad), key, plaintext));
}

export async function aesGcmOpen(key, nonce, sealed, aad = EMPTY, what = "ciphertext") {
  const params = gcmParams(nonce, aad);
  try {
    return new Uint8Array(await crypto.subtle.decrypt(params, key, sealed));
  } catch {
    throw new DecryptionFailed(`the ${what} does not open with this key`);
  }
}
