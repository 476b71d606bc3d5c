// JSON calls to the server: CSRF token in a header, problem details turned into ApiProblem.

import { _ } from "../i18n.js";

export class ApiProblem extends Error {
  constructor(problem) {
    super(problem.title || problem.code);
    this.problem = problem;
    this.code = problem.code;
    this.status = problem.status;
  }
}

let csrfToken = document.querySelector('meta[name="csrf-token"]')?.content || "";

export function setCsrfToken(token) {
  csrfToken = token;
}

// The token belongs to a session: when the server has ended that session, a new one is needed.
export function forgetCsrfToken() {
  csrfToken = "";
}

// The app shell is cached and carries no token: it asks for one before its first change.
async function ensureCsrfToken() {
  if (csrfToken) return;
  const response = await fetch("/api/v1/auth/csrf", { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (response.ok) csrfToken = (await response.json()).csrf_token;
}

// Envelopes travel as base64url, a third larger than their bytes: gzip takes that back (and
// the JSON's repeated names), so large bodies are sent compressed where the server takes them.
const COMPRESSED_PATHS = new Set(["/api/v1/sync/push"]);
const COMPRESS_FROM_BYTES = 1024;

async function gzipped(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

// A session that ends while the app is unlocked (expired, ended by the server) is renewed by the
// unlocked app without the passphrase, once for all the calls that meet it; the call is then
// made again. The auth endpoints are never renewed: they are how a session is taken.
let renewSession = null;
let renewal = null;

/**
 * `renew()` takes a new session (sync/session.js logInAgain) and resolves to true, or to false
 * when none should be taken (the call's 401 then stands); null while locked.
 */
export function renewSessionWith(renew) {
  renewSession = renew;
  renewal = null;
}

function renewable(problem, path) {
  return renewSession && problem instanceof ApiProblem && problem.status === 401 && !path.startsWith("/api/v1/auth/");
}

/** A call to the server; `renew: false` leaves an ended session to the caller. */
export async function callApi(method, path, body, { renew = true } = {}) {
  try {
    return await request(method, path, body);
  } catch (problem) {
    if (!renew || !renewable(problem, path)) throw problem;
    renewal ??= renewSession().finally(() => { renewal = null; });
    if (!await renewal) throw problem;
    return request(method, path, body);
  }
}

async function request(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
    if (COMPRESSED_PATHS.has(path) && init.body.length >= COMPRESS_FROM_BYTES && globalThis.CompressionStream) {
      init.body = await gzipped(init.body);
      init.headers["Content-Encoding"] = "gzip";
    }
  }
  let response;
  try {
    if (method !== "GET") {
      await ensureCsrfToken();
      init.headers["X-CSRF-Token"] = csrfToken;
    }
    response = await fetch(path, init);
  } catch {
    throw new ApiProblem({ code: "network", title: _("The server cannot be reached. Check the network and try again.") });
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiProblem({ code: data.code || "http-" + response.status, status: response.status,
      title: data.title || _("Something went wrong on the server. Nothing was saved."), ...data });
  }
  if (data.csrf_token) setCsrfToken(data.csrf_token);
  return data;
}
