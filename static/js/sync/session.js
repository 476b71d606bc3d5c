// One way in, for the login page, the app and the engine: log in (parameters, derivation, login,
// and a stronger KDF when the server offers one), log in again with the auth secret kept while
// unlocked (a session that expired while offline), set up a device, unlock it and lock it. The
// passphrase is used here and nowhere else; the store gets the protocol's non-extractable kek.

import {
  authForServer, b64urlDecode, b64urlEncode, deriveAccountSecrets, rewrapKeyBlob,
} from "../protocol/index.js";
import { profile, upgradeStore } from "../store/records.js";
import { CeremonyCancelled, evaluatePrf } from "../store/authenticator.js";
import { createDevice, NoDevice, readDevice, rewrapDevice, unlockDevice } from "../store/vault.js";
import { fetchAccountKeys, openAccountKeys } from "./account.js";
import { ApiProblem, callApi, forgetCsrfToken } from "./api.js";

export class SyncFailed extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

async function escrowed(path, field) {
  try {
    return b64urlDecode((await callApi("GET", path))[field]);
  } catch (problem) {
    if (problem instanceof ApiProblem && ["keys-missing", "association-missing"].includes(problem.code)) return null;
    throw problem;
  }
}

// A stronger KDF offered at login: derive again while the passphrase is at hand, and move the
// escrowed key blobs to the new kek in the same request. The old kek no longer comes from the
// passphrase afterwards, so a blob left under it would lock the person out of new devices.
async function strengthenKdf(passphrase, params, secrets, person) {
  const stronger = await deriveAccountSecrets(passphrase, params);
  const owner = b64urlDecode(person.id);
  const body = { auth: authForServer(stronger.auth) };
  const account = await escrowed("/api/v1/me/keys", "wrapped_private");
  if (account) {
    body.wrapped_private = b64urlEncode(await rewrapKeyBlob(account, secrets.kek, stronger.kek, { ownerId: owner }));
  }
  const association = person.role === "admin" ? await escrowed("/api/v1/association/escrow", "wrapped_key") : null;
  if (association) {
    body.association_wrapped = b64urlEncode(await rewrapKeyBlob(association, secrets.kek, stronger.kek, { ownerId: owner }));
  }
  await callApi("POST", "/api/v1/me/kdf", body);
  return stronger;
}

/**
 * Log in with the passphrase: returns {person, secrets: {auth, kek}, kdf}, `kdf` being the
 * parameters the secrets were derived with. `strengthening` is called before a stronger KDF
 * offered by the server is moved to. The caller zeroes `secrets.auth` when done with it.
 */
export async function logIn(email, passphrase, { strengthening = () => {} } = {}) {
  const { kdf } = await callApi("POST", "/api/v1/auth/params", { email });
  let secrets = await deriveAccountSecrets(passphrase, kdf);
  const session = await callApi("POST", "/api/v1/auth/login", { email, auth: authForServer(secrets.auth) });
  if (!session.kdf_upgrade) return { person: session.person, secrets, kdf };
  strengthening();
  const stronger = await strengthenKdf(passphrase, session.kdf_upgrade, secrets, session.person);
  secrets.auth.fill(0);
  secrets = stronger;
  return { person: session.person, secrets, kdf: session.kdf_upgrade };
}

// Log in again without the passphrase, with the auth secret kept while unlocked.
export async function logInAgain(state) {
  if (!state.auth || !state.profile?.email) throw new SyncFailed("login", "log in again");
  forgetCsrfToken();
  await callApi("POST", "/api/v1/auth/login", { email: state.profile.email, auth: authForServer(state.auth) });
}

// The person of the current session, logging in again once if the session ended.
export async function sessionPerson(state) {
  try {
    return await callApi("GET", "/api/v1/me");
  } catch (error) {
    if (!(error instanceof ApiProblem) || error.status !== 401) throw error;
    await logInAgain(state);
    return callApi("GET", "/api/v1/me");
  }
}

/**
 * First use on this device, online: log in, fetch (or make) the account keys, create the device
 * store. Returns the unlocked state {vault, account, kek, auth, profile}.
 */
export async function setUpDevice(email, passphrase, settings) {
  const { person, secrets, kdf } = await logIn(email, passphrase);
  const userId = person.id;
  const { blob, association } = await fetchAccountKeys(userId, secrets.kek);
  const vault = await createDevice({ userId, kdf, kek: secrets.kek, accountKeyBlob: blob, association, settings });
  await profile.put(vault, person);
  const account = await openAccountKeys(blob, secrets.kek, userId);
  return { vault, account, kek: secrets.kek, auth: secrets.auth, profile: person };
}

// The store bound to this device's authenticator: its PRF output, asked with no network. A
// cancelled prompt is not a failed unlock: the error carries `retry()`, which asks again with
// the kek already derived (the passphrase is not kept).
async function openStore(device, auth, kek) {
  try {
    return await unlockDevice(kek, device.prf ? await evaluatePrf(device.prf) : null);
  } catch (error) {
    if (error instanceof CeremonyCancelled) {
      error.retry = () => finishUnlock(device, auth, kek);
      error.forget = () => auth.fill(0);
    } else {
      auth.fill(0);
    }
    throw error;
  }
}

/**
 * Unlock offline with the passphrase, under the KDF parameters the device was set up with (and
 * the authenticator's PRF output when the store is bound to it). Returns the unlocked state; the
 * store counts failures and wipes itself after too many.
 */
export async function unlock(passphrase) {
  const device = await readDevice();
  if (!device) throw new NoDevice("this device holds no account");
  const { auth, kek } = await deriveAccountSecrets(passphrase, device.kdf);
  return finishUnlock(device, auth, kek);
}

async function finishUnlock(device, auth, kek) {
  const vault = await openStore(device, auth, kek);
  const account = await openAccountKeys(vault.device.accountKeyBlob, kek, vault.userId);
  await upgradeStore(vault);
  return { vault, account, kek, auth, profile: await profile.get(vault) };
}

export class PassphraseUnchanged extends Error {}

async function opens(blob, kek, userId) {
  try {
    await openAccountKeys(blob, kek, userId);
    return true;
  } catch {
    return false;
  }
}

function randomSalt() {
  return b64urlEncode(crypto.getRandomValues(new Uint8Array(16)));
}

// A session for the change: the one in use, or a login under the account's parameters. When
// they are the device's, with the current passphrase; when they changed (a passphrase changed on
// another device, or a stronger KDF), with the new one first, then the current one. Each refused
// try counts as a failed login, so no more are made. False when the server takes none.
async function sessionForChange(state, device, passphrases, serverKdf) {
  try {
    // Not renewed with the device's auth: the passphrase may have changed on another device.
    await callApi("GET", "/api/v1/me", undefined, { renew: false });
    return true;
  } catch (problem) {
    if (!(problem instanceof ApiProblem) || problem.status !== 401) throw problem;
  }
  forgetCsrfToken();
  const [current, next] = passphrases;
  const movedElsewhere = JSON.stringify(serverKdf) !== JSON.stringify(device.kdf);
  for (const candidate of movedElsewhere ? [next, current] : [current]) {
    const { auth } = await deriveAccountSecrets(candidate, serverKdf);
    try {
      await callApi("POST", "/api/v1/auth/login", { email: state.profile.email, auth: authForServer(auth) });
      return true;
    } catch (problem) {
      if (!(problem instanceof ApiProblem) || problem.code !== "login-failed") throw problem;
    } finally {
      auth.fill(0);
    }
  }
  return false;
}

/**
 * A new passphrase, with a network (docs/PROTOCOL.md 7.3). The server changes first, in one
 * transaction (auth, KDF parameters, escrowed blobs); then the device record, in one write. If
 * the server's answer was lost after it changed, trying again with the same two passphrases finds
 * the escrow already under the new one and finishes on the device.
 */
export async function changePassphrase(state, oldPassphrase, newPassphrase) {
  const device = { ...await readDevice(), ...state.vault.device };
  const userId = device.userId;
  const here = await deriveAccountSecrets(oldPassphrase, device.kdf);
  if (!await opens(device.accountKeyBlob, here.kek, userId)) throw new PassphraseUnchanged("wrong-old");
  // A store bound to this device's authenticator stays bound: its PRF output, asked before
  // anything changes, wraps the store key with the new kek.
  const prfOutput = device.prf ? await evaluatePrf(device.prf) : null;
  const { kdf: serverKdf } = await callApi("POST", "/api/v1/auth/params", { email: state.profile.email });
  if (!await sessionForChange(state, device, [oldPassphrase, newPassphrase], serverKdf)) {
    throw new PassphraseUnchanged("server-differs");
  }
  const escrow = await escrowed("/api/v1/me/keys", "wrapped_private");
  const association = state.profile.role === "admin" ? await escrowed("/api/v1/association/escrow", "wrapped_key") : null;
  const sameKdf = JSON.stringify(serverKdf) === JSON.stringify(device.kdf);
  const there = sameKdf ? here : await deriveAccountSecrets(oldPassphrase, serverKdf);
  let fresh;
  let kdf;
  if (!escrow || await opens(escrow, there.kek, userId)) {
    kdf = { v: serverKdf.v, alg: serverKdf.alg, iterations: Math.max(serverKdf.iterations, device.kdf.iterations), salt: randomSalt() };
    fresh = await deriveAccountSecrets(newPassphrase, kdf);
    const owner = b64urlDecode(userId);
    const body = { old_auth: authForServer(there.auth), auth: authForServer(fresh.auth), kdf };
    if (escrow) body.wrapped_private = b64urlEncode(await rewrapKeyBlob(escrow, there.kek, fresh.kek, { ownerId: owner }));
    if (association) body.association_wrapped = b64urlEncode(await rewrapKeyBlob(association, there.kek, fresh.kek, { ownerId: owner }));
    await callApi("POST", "/api/v1/me/passphrase", body);
  } else {
    // The server already has the new passphrase (an earlier try whose answer was lost), or the
    // old one typed here is not the server's.
    fresh = await deriveAccountSecrets(newPassphrase, serverKdf);
    if (!await opens(escrow, fresh.kek, userId)) throw new PassphraseUnchanged("server-differs");
    kdf = serverKdf;
  }
  const owner = b64urlDecode(userId);
  const fields = { kdf, accountKeyBlob: await rewrapKeyBlob(device.accountKeyBlob, here.kek, fresh.kek, { ownerId: owner }) };
  if (device.associationKeyBlob) {
    fields.associationKeyBlob = await rewrapKeyBlob(device.associationKeyBlob, here.kek, fresh.kek, { ownerId: owner });
  }
  state.vault.device = await rewrapDevice(state.vault, { kek: fresh.kek, prf: device.prf ?? null, prfOutput }, fields);
  state.kek = fresh.kek;
  state.auth?.fill(0);
  state.auth = fresh.auth;
  here.auth.fill(0);
  there.auth.fill(0);
}

// Every key of the state is dropped: the store's key, and the auth secret's bytes zeroed.
export function lock(state) {
  state.vault.lock();
  state.auth?.fill(0);
}
