// The person's account keys on this device: fetched from the escrow (or made, the first time),
// opened with the kek into non-extractable keys, and checked against the published public keys.

import {
  b64urlDecode, b64urlEncode, checkAccountKeysMatch, generateAccountKeys, pinAssociationKey, unwrapAccountKeysWithKek,
  UntrustedAssociationKey,
} from "../protocol/index.js";
import { ApiProblem, callApi } from "./api.js";

function isProblem(error, code) {
  return error instanceof ApiProblem && error.code === code;
}

// Enrolment and first sign-in: the keys are made here, wrapped under the kek, and only the
// public keys and the wrapped blob go to the server.
export async function publishNewAccountKeys(userId, kek) {
  const { keys, blob } = await generateAccountKeys(b64urlDecode(userId), kek);
  await callApi("PUT", "/api/v1/me/keys", {
    encryption_public: b64urlEncode(keys.encryptionPublic), signing_public: b64urlEncode(keys.signingPublic),
    wrapped_private: b64urlEncode(blob),
  });
  return blob;
}

// The association key as the server offers it; pinned against the enrolment link's fingerprint
// when there is one, else taken on first use (the app shows its spoken fingerprint to compare).
// The link's fingerprint against the key the server offers (docs/PROTOCOL.md 8.1, step 2).
export async function pinOffered(offered, linkFingerprint) {
  if (!offered) throw new UntrustedAssociationKey("the server offers no association key");
  await pinAssociationKey(b64urlDecode(offered.public_key), b64urlDecode(linkFingerprint));
}

export async function fetchAssociation(linkFingerprint = null) {
  try {
    const offered = await callApi("GET", "/api/v1/association");
    if (linkFingerprint) await pinOffered(offered, linkFingerprint);
    return offered;
  } catch (error) {
    if (isProblem(error, "association-missing")) return null;
    throw error;
  }
}

export async function fetchAccountKeys(userId, kek) {
  let blob;
  try {
    const mine = await callApi("GET", "/api/v1/me/keys");
    blob = b64urlDecode(mine.wrapped_private);
    const keys = await openAccountKeys(blob, kek, userId);
    // The escrow must hold the keys the directory publishes for this person, or someone swapped one.
    checkAccountKeysMatch(keys, b64urlDecode(mine.encryption_public), b64urlDecode(mine.signing_public));
  } catch (error) {
    if (!isProblem(error, "keys-missing")) throw error;
    blob = await publishNewAccountKeys(userId, kek);
  }
  return { blob, association: await fetchAssociation() };
}

export async function openAccountKeys(blob, kek, userId) {
  return unwrapAccountKeysWithKek(blob, kek, { userId: b64urlDecode(userId) });
}
