// The page's side of the service worker's precache groups (webapp/templates/sw.js): which role's
// screens and which languages' catalogs this device keeps for offline use, beyond the core every
// device keeps. The page writes them down in a cache of their own (the role and language codes,
// never people's data), after set-up, at each unlock and on a language change; the worker reads
// them at its install, so a new version precaches the same groups before it takes over, and when
// asked (KEEP_GROUPS), to fetch what this version lacks. A wipe takes the device back to the core.

const KEPT_CACHE = "carnet-kept-groups";
const KEPT_KEY = "/carnet-kept-groups.json";
let writing = Promise.resolve();

/**
 * Keep the groups of `role` (null: the role kept already) and `language` (languages add up: a
 * person may switch back offline). Resolves with the worker's answer ({type: "GROUPS_KEPT",
 * groups} or {type: "GROUPS_NOT_KEPT", error}, say offline), or null without a worker.
 * @param {{role: string | null, language: string | null}} device
 * @returns {Promise<object | null>}
 */
export async function keepOffline({ role, language }) {
  if (!("serviceWorker" in navigator)) return null;
  await writeDownGroups({ role, language });
  return askWorker();
}

/**
 * Only write the list down, for the worker's next install to read (or the next KEEP_GROUPS).
 * @param {{role: string | null, language: string | null}} device
 * @returns {Promise<void>}
 */
export function writeDownGroups({ role, language }) {
  if (!("caches" in window)) return Promise.resolve();
  writing = writing.then(() => writeDown(role, language)).catch(() => {});
  return writing;
}

async function writeDown(role, language) {
  const cache = await caches.open(KEPT_CACHE);
  const kept = await (await cache.match(KEPT_KEY))?.json().catch(() => null) ?? {};
  const languages = Array.isArray(kept.languages) ? kept.languages : [];
  const next = { role: role ?? kept.role ?? null, languages: [...new Set([...languages, language].filter(Boolean))] };
  await cache.put(KEPT_KEY, new Response(JSON.stringify(next), { headers: { "Content-Type": "application/json" } }));
}

/**
 * After a wipe: the worker keeps the core alone again and forgets the list, so that what stays on
 * the device does not say which role used it. Resolves with the worker's answer, or null.
 * @returns {Promise<object | null>}
 */
export async function forgetOffline() {
  await writing;
  if (!("serviceWorker" in navigator) || !(await navigator.serviceWorker.getRegistration("/"))) return null;
  return askWorker("FORGET_GROUPS");
}

async function askWorker(type = "KEEP_GROUPS") {
  // Ready once a worker is active: on a first visit, after the install that may have read an
  // older list; the worker then fetches what it lacks.
  const registration = await navigator.serviceWorker.ready;
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data ?? null);
    registration.active.postMessage({ type }, [channel.port2]);
  });
}

/**
 * The role an enrolment link's page named in the address (`/app#role=volunteer`), taken out of
 * the address; null if none.
 * @returns {string | null}
 */
export function roleFromEnrolment() {
  const role = new URLSearchParams(location.hash.slice(1)).get("role");
  if (role === null) return null;
  history.replaceState(null, "", location.pathname + location.search);
  return role;
}
