// The second factor's ceremonies with the server (docs/PROTOCOL.md, "Second factor (WebAuthn)"):
// a security key or passkey asked for after the passphrase, registered at a first login, at
// enrolment or in the settings, and the one-time recovery codes. No DOM here: the screens
// (login.js, enrol.js, app/factors.js) ask the person and call these. The browser's own JSON
// helpers turn the server's options into what navigator.credentials takes, and its answer back.

import { callApi } from "./api.js";

/** This browser cannot use a security key or passkey (no WebAuthn, or not a secure context). */
export class FactorUnsupported extends Error {
  name = "FactorUnsupported";
}

export function factorsSupported() {
  return Boolean(globalThis.PublicKeyCredential?.parseRequestOptionsFromJSON && navigator.credentials);
}

/**
 * Whether this device can hold a passkey itself (a phone's or a computer's screen lock): where it
 * can, enrolment offers one; a security key plugged in is offered in the settings.
 */
export async function platformKeyAvailable() {
  if (!factorsSupported()) return false;
  try {
    return await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable();
  } catch {
    return false;
  }
}

// py_webauthn's options_to_json gives a JSON string; the server may pass it on as text or parsed.
function parsed(options) {
  return typeof options === "string" ? JSON.parse(options) : options;
}

function ensureSupported() {
  if (!factorsSupported()) throw new FactorUnsupported("no WebAuthn in this browser");
}

/** Ask the key for an assertion; rejects with the browser's DOMException (NotAllowedError...). */
async function assertion(options) {
  ensureSupported();
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(parsed(options));
  const credential = await navigator.credentials.get({ publicKey });
  return credential.toJSON();
}

async function attestation(options) {
  ensureSupported();
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(parsed(options));
  const credential = await navigator.credentials.create({ publicKey });
  return credential.toJSON();
}

// Login, in the pending state left by a passphrase the server took ------------------------------

/** Finish a login with the key: the answer is the login's (person, csrf_token, kdf_upgrade). */
export async function finishWithKey(options) {
  const credential = await assertion(options);
  return callApi("POST", "/api/v1/auth/second-factor", { credential });
}

/** Finish a login with a recovery code instead (each works once). */
export function finishWithRecoveryCode(code) {
  return callApi("POST", "/api/v1/auth/second-factor", { recovery_code: code.trim().toLowerCase() });
}

/**
 * Register the person's first key, which finishes the login: the login's answer plus
 * `recovery_codes`, shown once.
 */
export async function registerFirstKey(name) {
  const { options } = await callApi("POST", "/api/v1/auth/second-factor/register-options");
  const credential = await attestation(options);
  return callApi("POST", "/api/v1/auth/second-factor/register", { name, credential });
}

// One's own keys, logged in --------------------------------------------------------------------

/** {factors: [{id, name, created_at, last_used_at, transports}], recovery_codes_left, required} */
export function listFactors() {
  return callApi("GET", "/api/v1/me/factors");
}

/** Register another key: {factor, recovery_codes?} (codes only when the person had none). */
export async function addFactor(name) {
  const { options } = await callApi("POST", "/api/v1/me/factors/options");
  const credential = await attestation(options);
  return callApi("POST", "/api/v1/me/factors", { name, credential });
}

/** Remove a key; refused (`last-factor-required`) for the last one a policy requires. */
export async function removeFactor(id) {
  await callApi("DELETE", `/api/v1/me/factors/${encodeURIComponent(id)}`);
}

/** A new set of recovery codes: the old ones stop working. */
export async function renewRecoveryCodes() {
  return (await callApi("POST", "/api/v1/me/recovery-codes")).recovery_codes;
}

/** Whether an error is the browser's "cancelled or timed out" of a ceremony. */
export function ceremonyCancelled(error) {
  return error?.name === "NotAllowedError" || error?.name === "AbortError";
}
