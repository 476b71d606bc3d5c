// When the engine syncs: on demand, when the network comes back, every few minutes while the app
// is unlocked, and after a failure again later and later. No DOM here: the app hears of each
// step through the hooks it gives, and tells the schedule when the network comes back.

import { accountDisabled, isAccountDisabled } from "./disabled.js";
import { syncNow } from "./engine.js";

export const SYNC_EVERY_MS = 2 * 60 * 1000;
export const RETRY_DELAYS_MS = [5000, 15000, 60000, 300000];

// An admin or an auditor holds no case: nothing to push or pull (an auditor verifies every case
// on demand instead).
export function holdsCases(state) {
  return state.profile?.role === "volunteer" || state.profile?.role === "coordinator";
}

// A disabled account tries again only when the person asks: each try is a refused login, and
// refused logins slow the next ones down.
export function syncsByItself(state) {
  return Boolean(state) && !accountDisabled(state);
}

const NO_HOOK = async () => {};

export class SyncSchedule {
  /**
   * `current()` gives the unlocked state (a locked app syncs nothing); the hooks are
   * `started(state)`, `progress(part)`, `finished(state, outcome)`, `failed(state, problem)`,
   * `disabled(state)` (the server refused the account) and `settled(state)`, after each sync.
   */
  constructor(current, hooks = {}) {
    this.current = current;
    this.hooks = { started: NO_HOOK, progress: () => {}, finished: NO_HOOK, failed: NO_HOOK, disabled: NO_HOOK,
      settled: NO_HOOK, ...hooks };
    this.running = null;
    this.timer = null;
    this.failures = 0;
  }

  later(state, delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(state), delay);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
  }

  // The network is back: a sync at once, for an account that syncs by itself.
  online() {
    const state = this.current();
    if (syncsByItself(state)) this.run(state);
  }

  /** Sync now unless a sync is running (its promise is returned then); never throws. */
  run(state) {
    if (this.running || this.current() !== state || !holdsCases(state)) return this.running;
    const { hooks } = this;
    this.running = (async () => {
      try {
        await hooks.started(state);
        const outcome = await syncNow(state, { progress: hooks.progress });
        this.failures = 0;
        this.later(state, SYNC_EVERY_MS);
        await hooks.finished(state, outcome);
      } catch (problem) {
        if (isAccountDisabled(problem)) {
          this.stop();
          return await hooks.disabled(state);
        }
        if (syncsByItself(state)) this.later(state, RETRY_DELAYS_MS[Math.min(this.failures, RETRY_DELAYS_MS.length - 1)]);
        this.failures += 1;
        await hooks.failed(state, problem);
      } finally {
        this.running = null;
        await hooks.settled(state).catch(() => {});
      }
    })();
    return this.running;
  }
}
