// The header every screen shares (<header id="app-header">, outside the screens): the language,
// where sync stands (offline, interviews waiting, last sync, what went wrong and what to do), and
// the wipe, two deliberate actions away from anywhere.

import { _, formatDateTime, ngettext } from "../i18n.js";
import { syncState } from "../store/records.js";
import { h, languageSwitch } from "./ui.js";

const WIPE_HOLD_MS = 2000;
const parts = {};
let current = { state: null, language: "fr", onWipe: () => {} };

function build() {
  const bar = document.getElementById("app-header");
  parts.language = h("div", { className: "header-language" });
  parts.wipe = h("button", { type: "button", id: "app-wipe", className: "danger header-wipe",
    "aria-haspopup": "dialog", onclick: () => wipeDialog(current.onWipe) });
  parts.network = h("p", { id: "app-network", className: "header-offline", hidden: true });
  parts.status = h("p", { id: "sync-status" });
  parts.error = h("p", { id: "sync-error", className: "header-error", role: "alert" });
  parts.fix = h("button", { type: "button", id: "sync-fix", className: "link-button", hidden: true });
  parts.state = h("div", { id: "app-sync-state", className: "header-state", role: "status" },
    parts.network, parts.status, parts.error, parts.fix);
  bar.replaceChildren(h("div", { className: "header-row" },
    h("span", { className: "brand" }, "Carnet"), parts.language, parts.wipe), parts.state);
  window.addEventListener("online", showNetwork);
  window.addEventListener("offline", showNetwork);
  // A screen drawn after a save or a sync: the count may have changed.
  document.addEventListener("carnet:shown", () => refreshSyncStatus().catch(() => {}));
}

function showNetwork() {
  parts.network.hidden = navigator.onLine;
  parts.network.textContent = navigator.onLine ? ""
    : _("Offline: your notes stay on this device and leave with the next sync.");
}

/**
 * Draw the header for the screen about to be shown. `state`: the unlocked state (null when
 * locked); `wipe`: whether this device holds something to wipe; `onWipe`: the wipe itself.
 */
export function drawHeader({ state, language, onLanguage, wipe, onWipe }) {
  if (!parts.state) build();
  current = { state, language, onWipe };
  parts.language.replaceChildren(languageSwitch(language, onLanguage));
  parts.wipe.hidden = !wipe;
  parts.wipe.replaceChildren(h("span", { "aria-hidden": "true" }, "⚠"), " ", _("Wipe"));
  parts.status.hidden = !state;
  if (!state) showSyncError("");
  showNetwork();
  refreshSyncStatus(state).catch(() => {});
}

/** How many interviews (cases) wait to be sent and when the last sync went through. */
export async function refreshSyncStatus(state = current.state) {
  if (!state || !parts.status) return;
  // The engine loads with the first unlocked screen, not with the unlock screen that draws this header.
  const { pendingCases } = await import("../sync/engine.js");
  const waiting = await pendingCases(state);
  const { lastSync } = await syncState(state.vault);
  parts.status.textContent = [
    waiting ? ngettext("%(count)s interview waits to be sent.", "%(count)s interviews wait to be sent.", waiting)
      : _("Everything is sent."),
    lastSync ? _("Last sync: %(time)s.", { time: formatDateTime(lastSync) }) : _("Not synced yet."),
  ].join(" ");
}

/**
 * What went wrong with the last sync, and the one button that helps, if any: {label, act}. A
 * `transient` state (no network: the sync tries again by itself) is said plainly, not as an alert.
 */
export function showSyncError(text, action = null, { transient = false } = {}) {
  if (!parts.error) return;
  parts.error.className = transient ? "header-note" : "header-error";
  if (transient) parts.error.removeAttribute("role");
  else parts.error.setAttribute("role", "alert");
  parts.error.textContent = text;
  parts.fix.hidden = !action;
  parts.fix.textContent = action?.label ?? "";
  parts.fix.onclick = action?.act ?? null;
}

// The wipe's confirmation: a stray tap opens it at most; the wipe itself needs the button held
// for two seconds (or Enter/Space held on it). Escape or "Cancel" closes it, and Cancel has the focus.
function wipeDialog(onWipe) {
  const cancel = h("button", { type: "button", id: "wipe-cancel", className: "primary" }, _("Cancel"));
  const meter = h("progress", { id: "wipe-progress", max: String(WIPE_HOLD_MS), value: "0", "aria-hidden": "true" });
  const help = h("p", { id: "wipe-help", className: "hint" }, _("Hold the button for two seconds to wipe."));
  const hold = h("button", { type: "button", id: "wipe-hold", className: "danger hold-button",
    "aria-describedby": "wipe-warning wipe-help" }, _("Hold to wipe now"));
  const dialog = h("dialog", { id: "wipe-dialog", className: "confirm-dialog", "aria-labelledby": "wipe-title" },
    h("h2", { id: "wipe-title" }, _("Wipe this device?")),
    h("p", { id: "wipe-warning" }, _("Everything of yours on this device is deleted, notes not yet sent included. This cannot be undone.")),
    help, meter, h("div", { className: "actions" }, cancel, hold));
  let started = null;
  let timer = null;
  const stop = () => {
    if (started === null) return;
    clearInterval(timer);
    started = null;
    meter.value = 0;
    help.textContent = _("Not wiped: keep the button held until the bar is full.");
  };
  const start = () => {
    if (started !== null) return;
    started = Date.now();
    timer = setInterval(() => {
      const held = Date.now() - started;
      meter.value = Math.min(held, WIPE_HOLD_MS);
      if (held < WIPE_HOLD_MS) return;
      clearInterval(timer);
      dialog.close();
      onWipe();
    }, 50);
  };
  hold.addEventListener("pointerdown", (event) => { event.preventDefault(); start(); });
  for (const name of ["pointerup", "pointerleave", "pointercancel"]) hold.addEventListener(name, stop);
  hold.addEventListener("keydown", (event) => {
    if ((event.key === "Enter" || event.key === " ") && !event.repeat) start();
    if (event.key === "Enter" || event.key === " ") event.preventDefault();
  });
  hold.addEventListener("keyup", stop);
  hold.addEventListener("contextmenu", (event) => event.preventDefault());
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => { clearInterval(timer); dialog.remove(); });
  document.body.append(dialog);
  dialog.showModal();
  cancel.focus();
}
