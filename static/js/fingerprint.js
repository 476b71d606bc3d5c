// Fingerprints as in crypto/keys.py: SHA-256 over a domain label and the key bytes.

import { b64urlDecode } from "./encoding.js";

const ASSOCIATION_LABEL = new TextEncoder().encode("carnet/v1/fingerprint/association\0");

export class UntrustedAssociationKey extends Error {}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function equalBytes(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

export async function associationFingerprint(publicKey) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", concat(ASSOCIATION_LABEL, publicKey)));
}

// The enrolment link carries the fingerprint, the server offers the key: they must agree, or the
// server (or someone between) is trying to make this device trust another association key.
export async function pinAssociationKey(offered, linkFingerprint) {
  if (!offered || !linkFingerprint) throw new UntrustedAssociationKey("missing association key or fingerprint");
  const publicKey = b64urlDecode(offered.public_key);
  if (publicKey.length !== 32 || !equalBytes(await associationFingerprint(publicKey), b64urlDecode(linkFingerprint))) {
    throw new UntrustedAssociationKey("the association key does not match the enrolment link");
  }
  return publicKey;
}
