// From a passphrase to the account secrets, as in crypto/kdf.py and docs/PROTOCOL.md:
// PBKDF2-HMAC-SHA256 gives a 32-byte master secret; HKDF-SHA256 with two labels splits it into
// `auth` (sent to the server, which stores only its Argon2id hash) and `kek` (never leaves the
// device). The passphrase itself is never sent anywhere.

import { b64urlDecode, b64urlEncode } from "./encoding.js";

export const KDF_VERSION = 1;
export const KDF_ALGORITHM = "PBKDF2-HMAC-SHA256";
export const MIN_ITERATIONS = 600000;
export const MAX_ITERATIONS = 10000000;
const SALT_BYTES = 16;
const encoder = new TextEncoder();
const AUTH_LABEL = encoder.encode("carnet/v1/account/auth");
const KEK_LABEL = encoder.encode("carnet/v1/account/kek");

export class InvalidKdfParameters extends Error {}

// Refuse parameters from the server that are unknown or weaker than the policy: a malicious
// server must not be able to make the device derive keys cheaply.
export function checkKdfParams(params) {
  const keys = Object.keys(params || {}).sort().join(",");
  if (keys !== "alg,iterations,salt,v") throw new InvalidKdfParameters("unexpected fields");
  if (params.v !== KDF_VERSION || params.alg !== KDF_ALGORITHM) throw new InvalidKdfParameters("unknown KDF");
  if (!Number.isInteger(params.iterations) || params.iterations < MIN_ITERATIONS || params.iterations > MAX_ITERATIONS) {
    throw new InvalidKdfParameters("iterations out of bounds");
  }
  const salt = b64urlDecode(params.salt);
  if (salt.length !== SALT_BYTES) throw new InvalidKdfParameters("salt must be 16 bytes");
  return { iterations: params.iterations, salt };
}

export async function deriveMasterSecret(passphrase, { iterations, salt }) {
  const material = await crypto.subtle.importKey(
    "raw", encoder.encode(passphrase.normalize("NFC")), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, material, 256);
  return new Uint8Array(bits);
}

async function hkdf(master, info) {
  const key = await crypto.subtle.importKey("raw", master, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info }, key, 256);
  return new Uint8Array(bits);
}

// Returns raw bytes: `auth` is sent, `kek` is imported as a non-extractable key by its user.
export async function splitMasterSecret(master) {
  return { auth: await hkdf(master, AUTH_LABEL), kek: await hkdf(master, KEK_LABEL) };
}

export async function deriveAccountSecrets(passphrase, serverParams) {
  const params = checkKdfParams(serverParams);
  const master = await deriveMasterSecret(passphrase, params);
  const secrets = await splitMasterSecret(master);
  master.fill(0);
  return secrets;
}

export function authForServer(secrets) {
  return b64urlEncode(secrets.auth);
}
