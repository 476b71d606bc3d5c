// The page's side of the service worker's precache groups (webapp/templates/sw.js): which role's
// screens and which language's catalog this device keeps for offline use, beyond the core every
// device keeps. Told after set-up, at each unlock and on a language change; the worker remembers
// it, and precaches the same groups when a new version installs.

/**
 * Ask the worker to keep the groups of `role` (null: the one it keeps already) and `language`.
 * Resolves with the worker's answer ({type: "GROUPS_KEPT", groups} or {type: "GROUPS_NOT_KEPT",
 * error}, say offline), or null where service workers are missing.
 * @param {{role: string | null, language: string}} device
 * @returns {Promise<object | null>}
 */
export async function keepOffline({ role, language }) {
  if (!("serviceWorker" in navigator)) return null;
  const registration = await navigator.serviceWorker.ready;
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data ?? null);
    registration.active.postMessage({ type: "KEEP_GROUPS", role, language }, [channel.port2]);
  });
}
