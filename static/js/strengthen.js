// A stronger KDF offered at login: derive again while the passphrase is at hand, and move the
// escrowed key blobs to the new kek in the same request. The old kek no longer comes from the
// passphrase afterwards, so a blob left under it would lock the person out of new devices.

import { ApiProblem, callApi } from "./api.js";
import { b64urlDecode, b64urlEncode } from "./encoding.js";
import { authForServer, deriveAccountSecrets } from "./kdf.js";
import { rewrapKeyBlob } from "./protocol/index.js";

async function escrowed(path, field) {
  try {
    return b64urlDecode((await callApi("GET", path))[field]);
  } catch (problem) {
    if (problem instanceof ApiProblem && ["keys-missing", "association-missing"].includes(problem.code)) return null;
    throw problem;
  }
}

// Returns the secrets derived with the new parameters; `secrets` are the current ones.
export async function strengthenKdf(passphrase, params, secrets, person) {
  const stronger = await deriveAccountSecrets(passphrase, params);
  const owner = b64urlDecode(person.id);
  const body = { auth: authForServer(stronger) };
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
