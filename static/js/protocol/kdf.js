// From a passphrase to the two account secrets (crypto/kdf.py, docs/PROTOCOL.md section 7):
// PBKDF2-HMAC-SHA256 stretches the passphrase into a 32-byte master secret; HKDF-SHA256 splits
// it with two labels into `auth`, which the server sees, and `kek`, which never leaves the
// device. Checked against tests/vectors/kdf-v1.json. This is the one KDF module of the browser:
// the login page, the enrolment page, the app and its device store all derive here, and the kek
// leaves this module only as a non-extractable CryptoKey.

import { b64urlDecode, b64urlEncode, concatBytes, isBytes } from "./encoding.js";
import { InvalidEncoding, InvalidKdfParameters } from "./errors.js";
import * as labels from "./labels.js";
import { hkdfAesGcmKey, hkdfSha256, importHkdfKey } from "./primitives.js";

export { hkdfSha256 } from "./primitives.js";
export const KDF_VERSION = 1;
export const KDF_ALGORITHM = "PBKDF2-HMAC-SHA256";
export const MIN_ITERATIONS = 600000;
export const MAX_ITERATIONS = 10000000;
const SALT_BYTES = 16;

function checkKdfParams(params) {
  const keys = Object.keys(params).sort().join(",");
  if (keys !== "alg,iterations,salt,v") throw new InvalidKdfParameters("unexpected fields");
  if (params.v !== KDF_VERSION || params.alg !== KDF_ALGORITHM) throw new InvalidKdfParameters("unknown KDF");
  if (!Number.isInteger(params.iterations) || params.iterations < MIN_ITERATIONS || params.iterations > MAX_ITERATIONS) {
    throw new InvalidKdfParameters("iterations out of bounds");
  }
  let salt;
  try {
    salt = b64urlDecode(params.salt);
  } catch {
    throw new InvalidKdfParameters("salt is not canonical base64url");
  }
  if (salt.length !== SALT_BYTES) throw new InvalidKdfParameters("salt must be 16 bytes");
  return { iterations: params.iterations, salt };
}

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
    return checkKdfParams(json);
  } catch (error) {
    throw new InvalidKdfParameters(`KDF parameters refused: ${error.message}`);
  }
}

export async function deriveMasterSecret(passphrase, { iterations, salt }) {
  const material = await crypto.subtle.importKey(
    "raw", new TextEncoder().encode(passphrase.normalize("NFC")), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, material, 256);
  return new Uint8Array(bits);
}

/** The raw split, as bytes: for the vectors only; every other caller goes through deriveAccountSecrets. */
export async function splitMasterSecret(master) {
  return { auth: await hkdfSha256(master, labels.ACCOUNT_AUTH), kek: await hkdfSha256(master, labels.ACCOUNT_KEK) };
}

/**
 * The kek as a non-extractable HKDF key that can only derive other keys (the key-blob key,
 * and the device store's wrapping key), never be read back.
 */
export async function importKek(kekBytes) {
  return importHkdfKey(kekBytes, ["deriveKey"]);
}

/** Passphrase to {auth: bytes for the server, kek: non-extractable CryptoKey}; the master is wiped. */
export async function deriveAccountSecrets(passphrase, serverParams) {
  const params = parseKdfParams(serverParams);
  const master = await deriveMasterSecret(passphrase, params);
  const { auth, kek } = await splitMasterSecret(master);
  master.fill(0);
  try {
    return { auth, kek: await importKek(kek) };
  } finally {
    kek.fill(0);
  }
}

/** What the server is sent at enrolment and login: the auth secret as base64url. */
export function authForServer(auth) {
  return b64urlEncode(auth);
}

// The device store's wrapping key (docs/PROTOCOL.md, "The device store"; crypto/devicestore.py).
// Mode 1, passphrase alone: HKDF(kek, info LOCAL_STORE, empty salt). Mode 2, passphrase and a
// PRF factor: HKDF(kek, info DEVICE_STORE_PRF, salt = the authenticator's 32-byte PRF output), so
// that neither the passphrase nor the authenticator alone gives it. The mode is also the byte
// after the label in the wrapped store key's associated data: one mode's wrapped key never opens
// as the other's.
export const STORE_MODE_PASSPHRASE = 1;
export const STORE_MODE_PRF = 2;
export const PRF_BYTES = 32;

/** The non-extractable AES-256-GCM key that wraps the device store's key; `prfOutput` null: mode 1. */
export async function deviceStoreWrappingKey(kek, prfOutput = null) {
  const usages = ["wrapKey", "unwrapKey"];
  if (prfOutput === null) return hkdfAesGcmKey(kek, labels.LOCAL_STORE, usages);
  if (!isBytes(prfOutput, PRF_BYTES)) throw new InvalidEncoding(`a PRF output is ${PRF_BYTES} bytes`);
  return hkdfAesGcmKey(kek, labels.DEVICE_STORE_PRF, usages, prfOutput);
}

/** The associated data of the wrapped store key: label, mode byte, the person's id. */
export function deviceStoreKeyAad(mode, userId) {
  if (mode !== STORE_MODE_PASSPHRASE && mode !== STORE_MODE_PRF) throw new InvalidEncoding("unknown device store mode");
  return concatBytes(labels.LOCAL_STORE_KEY_AAD, Uint8Array.of(mode), new TextEncoder().encode(userId));
}
