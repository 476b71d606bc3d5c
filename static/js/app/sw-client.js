// The page's side of the service worker: registration, and updates the person accepts.
//
// A new version installs in the background and then waits. The app is told through
// onUpdateReady(applyUpdate), shows its banner, and calls applyUpdate() when the person accepts:
// the waiting worker takes over and this page reloads once under the new version. Nothing
// reloads by itself while a page may hold a note being typed. A page that opens (a reload, the
// app opened again) with a version waiting applies it at once, before anything is shown or
// unlocked, when the device has nothing that the switch could interrupt: no entry waiting to be
// sent and no draft. Otherwise the banner is shown, as for an update found while working.

import { countRecords } from "../store/vault.js";

const listeners = new Set();
const announced = new WeakSet();
let registering = null;
let pendingApply = null;
let updateRequested = false;
let reloading = false;
let switchingAtOpen = false;

/**
 * Register /sw.js for the whole site and report updates that are ready to apply.
 * Safe to call more than once: the worker is registered once, every callback is kept.
 * @param {{onUpdateReady?: (applyUpdate: () => void) => void}} [options]
 * @returns {Promise<ServiceWorkerRegistration | null>} null where service workers are missing.
 */
export function registerServiceWorker({ onUpdateReady } = {}) {
  if (!("serviceWorker" in navigator)) return Promise.resolve(null);
  if (onUpdateReady) {
    listeners.add(onUpdateReady);
    // An update found before this callback was given is reported to it too.
    if (pendingApply) onUpdateReady(pendingApply);
  }
  // A failed registration (storage refused, say) is not remembered, so a later call tries again.
  registering ??= register().catch((error) => {
    registering = null;
    throw error;
  });
  return registering;
}

/**
 * Ask the server whether a new version exists; a new one installs, then onUpdateReady is called.
 * Rejects when the server cannot be reached (offline): the current version simply stays.
 * @returns {Promise<ServiceWorkerRegistration | null>}
 */
export async function checkForUpdate() {
  if (!("serviceWorker" in navigator)) return null;
  const registration = await navigator.serviceWorker.getRegistration("/");
  if (!registration) return null;
  await registration.update();
  return registration;
}

/**
 * Whether this page, just opened, is switching to a waiting version: it reloads by itself in a
 * moment, and should draw nothing a person could start typing into. Asks the registration only
 * when a version waits, so an ordinary start does not wait for it.
 * @returns {Promise<boolean>}
 */
export async function switchingVersion() {
  if (!("serviceWorker" in navigator)) return false;
  const registration = await navigator.serviceWorker.getRegistration("/");
  if (!registration?.waiting || !registration.active) return false;
  await registerServiceWorker().catch(() => null);
  return switchingAtOpen;
}

/**
 * The version of the shell that controls this page, as its worker reports it, or null.
 * @returns {Promise<string | null>}
 */
export function shellVersion() {
  const controller = "serviceWorker" in navigator ? navigator.serviceWorker.controller : null;
  if (!controller) return Promise.resolve(null);
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data?.version ?? null);
    controller.postMessage({ type: "GET_VERSION" }, [channel.port2]);
  });
}

async function register() {
  const container = navigator.serviceWorker;
  // The first worker ever claims the page too; that is an installation, not an update.
  let controlled = Boolean(container.controller);
  const registration = await container.register("/sw.js", { scope: "/", updateViaCache: "none" });

  const watch = (worker) => {
    worker.addEventListener("statechange", () => {
      if (worker.state === "installed" && registration.waiting === worker && registration.active) {
        announce(worker, registration);
      }
    });
  };
  if (registration.waiting && registration.active) {
    switchingAtOpen = await nothingToInterrupt();
    if (switchingAtOpen) applyUpdate(registration);
    else announce(registration.waiting, registration);
  }
  if (registration.installing) watch(registration.installing);
  registration.addEventListener("updatefound", () => {
    if (registration.installing) watch(registration.installing);
  });

  container.addEventListener("controllerchange", () => {
    if (!controlled) {
      controlled = true;
      return;
    }
    if (updateRequested) {
      reloadOnce();
      return;
    }
    // Another tab applied the update: this page still runs the old code under the new worker.
    // It is offered a reload like any update, never forced into one.
    if (container.controller) announce(container.controller, registration);
  });

  // Back from a dead zone: a good moment to look for a new version, quietly.
  window.addEventListener("online", () => { checkForUpdate().catch(() => {}); });
  return registration;
}

// Entries waiting to be sent or a draft: the person's work in progress, which an update waits for.
async function nothingToInterrupt() {
  try {
    return (await countRecords("outbox")) === 0 && (await countRecords("draft")) === 0;
  } catch {
    return false;
  }
}

function announce(worker, registration) {
  if (announced.has(worker)) return;
  announced.add(worker);
  pendingApply = () => applyUpdate(registration);
  for (const listener of listeners) listener(pendingApply);
}

function applyUpdate(registration) {
  const waiting = registration.waiting;
  if (!waiting) {
    // Already active (applied from another tab): only this page is left to reload.
    reloadOnce();
    return;
  }
  updateRequested = true;
  waiting.postMessage({ type: "SKIP_WAITING" });
}

function reloadOnce() {
  // One reload per page and per accepted update: controllerchange cannot loop it.
  if (reloading) return;
  reloading = true;
  window.location.reload();
}
