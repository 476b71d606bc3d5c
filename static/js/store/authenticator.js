// The device store's second factor: a WebAuthn credential made on this device for the store
// alone (never registered on the server), whose PRF extension gives 32 secret bytes for a salt
// kept in the device record. The authenticator evaluates it, with no network: the store's
// wrapping key needs both the passphrase and this output (protocol/kdf.js,
// deviceStoreWrappingKey), so a copy of the disk and the passphrase open nothing without the
// phone's authenticator. A credential that no longer serves is signalled unknown, which removes
// it where the platform allows.

import { b64urlEncode, PRF_BYTES } from "../protocol/index.js";

// The person closed or refused the authenticator's prompt: not a failed unlock.
export class CeremonyCancelled extends Error {}
// This device's authenticator offers no PRF: the store keeps opening with the passphrase alone.
export class NoPrf extends Error {}

const random = (size) => crypto.getRandomValues(new Uint8Array(size));

/** Whether this browser offers WebAuthn at all. */
export function webAuthnPresent() {
  return typeof PublicKeyCredential !== "undefined" && Boolean(navigator.credentials?.create);
}

function cancelled(error) {
  return error?.name === "NotAllowedError" || error?.name === "AbortError";
}

async function ceremony(call) {
  try {
    return await call();
  } catch (error) {
    if (cancelled(error)) throw new CeremonyCancelled(error.message);
    throw new NoPrf(String(error?.message ?? error));
  }
}

function prfBytes(results) {
  const first = results?.first;
  if (!first) return null;
  const bytes = new Uint8Array(ArrayBuffer.isView(first) ? first.buffer.slice(first.byteOffset, first.byteOffset + first.byteLength) : first);
  if (bytes.length !== PRF_BYTES) throw new NoPrf("the PRF output is not 32 bytes");
  return bytes;
}

/** The PRF output of the store's credential for its salt: the authenticator asks for the phone's lock. */
export async function evaluatePrf({ credentialId, salt }) {
  const credential = await ceremony(() => navigator.credentials.get({ publicKey: {
    challenge: random(32), allowCredentials: [{ type: "public-key", id: credentialId }],
    userVerification: "required", timeout: 120000, extensions: { prf: { eval: { first: salt } } },
  } }));
  const output = prfBytes(credential.getClientExtensionResults().prf?.results);
  if (!output) throw new NoPrf("the authenticator gave no PRF output");
  return output;
}

/** The credential is no longer used: ask the platform to forget it (ignored where it cannot). */
export async function forgetCredential(credentialId) {
  if (typeof PublicKeyCredential === "undefined" || !PublicKeyCredential.signalUnknownCredential) return false;
  try {
    await PublicKeyCredential.signalUnknownCredential({ rpId: location.hostname, credentialId: b64urlEncode(credentialId) });
    return true;
  } catch {
    return false;
  }
}

/**
 * A new credential for this device's store, with its PRF evaluated once: {prf: {credentialId,
 * salt}, output}. The user handle is random, not the account's id: nothing links the credential
 * to the person. NoPrf when the authenticator has no PRF (the credential made is forgotten).
 */
export async function createPrfCredential() {
  if (!webAuthnPresent()) throw new NoPrf("no WebAuthn in this browser");
  const salt = random(PRF_BYTES);
  const credential = await ceremony(() => navigator.credentials.create({ publicKey: {
    rp: { name: "Carnet" }, user: { id: random(16), name: "Carnet", displayName: "Carnet" },
    challenge: random(32), pubKeyCredParams: [{ type: "public-key", alg: -7 }, { type: "public-key", alg: -257 }],
    authenticatorSelection: { residentKey: "discouraged", userVerification: "required" },
    timeout: 120000, extensions: { prf: { eval: { first: salt } } },
  } }));
  const credentialId = new Uint8Array(credential.rawId);
  const results = credential.getClientExtensionResults().prf;
  if (!results?.enabled) {
    await forgetCredential(credentialId);
    throw new NoPrf("the authenticator has no PRF");
  }
  const prf = { credentialId, salt };
  // Some authenticators evaluate the PRF only at an assertion, not at creation.
  return { prf, output: prfBytes(results.results) ?? await evaluatePrf(prf) };
}
