// The unlocked state of the app and when it ends: after inactivity, when hidden for long, on
// demand. Locking drops every key from memory (sync/session.js); the screens then ask for the
// passphrase again.

import { renewSessionWith } from "../sync/api.js";
import { accountDisabled } from "../sync/disabled.js";
import { lock as dropKeys, logInAgain, SecondFactorNeeded } from "../sync/session.js";

const DEFAULT_LOCK_MINUTES = 5;
// Hidden this long (another app in front, screen off), the app locks even if the delay is longer.
const HIDDEN_LOCK_SECONDS = 60;
const ACTIVITY_EVENTS = ["pointerdown", "keydown", "input", "scroll", "touchstart"];

let current = null;
let idleTimer = null;
let hiddenAt = null;
let onLocked = () => {};

export function unlocked() {
  return current;
}

function lockDelayMs() {
  const minutes = Number(current?.vault.device.settings?.lockMinutes) || DEFAULT_LOCK_MINUTES;
  return minutes * 60 * 1000;
}

export function restartIdleTimer() {
  clearTimeout(idleTimer);
  if (current) idleTimer = setTimeout(() => lock("idle"), lockDelayMs());
}

function onVisibility() {
  if (document.visibilityState === "hidden") {
    hiddenAt = Date.now();
  } else if (hiddenAt !== null && Date.now() - hiddenAt > HIDDEN_LOCK_SECONDS * 1000) {
    lock("hidden");
  } else {
    hiddenAt = null;
  }
}

/**
 * `factorNeeded()` is told when a renewal stops at the second factor (SecondFactorNeeded), which
 * only the person can give: the app then says so and offers the button that asks for the key.
 */
export function startSession(state, lockedCallback, { factorNeeded = () => {} } = {}) {
  current = state;
  onLocked = lockedCallback;
  // Every call of the unlocked app renews a session that ended, as the sync does at its start;
  // not for a disabled account, whose logins are refused and slow the next ones down: only its
  // sync, when the person asks, tries again (sync/disabled.js).
  renewSessionWith(async () => {
    if (accountDisabled(state)) return false;
    try {
      await logInAgain(state);
    } catch (problem) {
      if (problem instanceof SecondFactorNeeded) factorNeeded(problem);
      throw problem;
    }
    return true;
  });
  for (const name of ACTIVITY_EVENTS) document.addEventListener(name, restartIdleTimer, { passive: true });
  document.addEventListener("visibilitychange", onVisibility);
  restartIdleTimer();
}

export function lock(reason = "asked") {
  if (!current) return;
  renewSessionWith(null);
  dropKeys(current);
  current = null;
  hiddenAt = null;
  clearTimeout(idleTimer);
  for (const name of ACTIVITY_EVENTS) document.removeEventListener(name, restartIdleTimer);
  document.removeEventListener("visibilitychange", onVisibility);
  onLocked(reason);
}

export const LOCK_CHOICES = [1, 5, 15, 30];
export { DEFAULT_LOCK_MINUTES };
