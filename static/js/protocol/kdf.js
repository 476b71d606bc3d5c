// From a passphrase to the two account secrets (crypto/kdf.py, docs/PROTOCOL.md section 7):
// PBKDF2-HMAC-SHA256 stretches the passphrase into a 32-byte master secret; HKDF-SHA256 splits
// it with two labels into `auth`, which the server sees, and `kek`, which never leaves the
// device. The derivation itself is static/js/kdf.js (checked against tests/vectors/kdf-v1.json);
// this module gives it the protocol's error classes and hands the kek out only as a
// non-extractable CryptoKey.

import * as base from "../kdf.js";
import { InvalidKdfParameters } from "./errors.js";
import { importHkdfKey } from "./primitives.js";

export { hkdfSha256 } from "./primitives.js";
export const { KDF_VERSION, KDF_ALGORITHM, MIN_ITERATIONS, MAX_ITERATIONS } = base;

/**
 * Parse the KDF parameters the server sends: exactly {v, alg, iterations, salt}, version 1,
 * 600,000 to 10,000,000 iterations, a 16-byte canonical base64url salt. Anything else, weaker
 * parameters above all, throws InvalidKdfParameters: a malicious server must not be able to
 * make the device derive its keys cheaply.
 */
export function parseKdfParams(json) {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new InvalidKdfParameters("KDF parameters are a JSON object");
  }
  try {
    return base.checkKdfParams(json);
  } catch (error) {
    throw new InvalidKdfParameters(`KDF parameters refused: ${error.message}`);
  }
}

export async function deriveMasterSecret(passphrase, params) {
  return base.deriveMasterSecret(passphrase, params);
}

/** The raw split, as bytes: for the vectors, and for callers that must store the kek themselves. */
export async function splitMasterSecret(master) {
  return base.splitMasterSecret(master);
}

/**
 * The kek as a non-extractable HKDF key that can only derive other keys (the key-blob key,
 * and whatever local keys the device store derives from it), never be read back.
 */
export async function importKek(kekBytes) {
  return importHkdfKey(kekBytes, ["deriveKey"]);
}

/** Passphrase to {auth: bytes for the server, kek: non-extractable CryptoKey}; the master is wiped. */
export async function deriveAccountSecrets(passphrase, serverParams) {
  const params = parseKdfParams(serverParams);
  const master = await base.deriveMasterSecret(passphrase, params);
  const { auth, kek } = await base.splitMasterSecret(master);
  master.fill(0);
  try {
    return { auth, kek: await importKek(kek) };
  } finally {
    kek.fill(0);
  }
}
