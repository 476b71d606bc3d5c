// The app: set up this device once online, then unlock and work with no network.

import { _, formatDate, hasCatalog, ngettext } from "../i18n.js";
import { b64urlDecode, bytesKey, CarnetCryptoError, InvalidKdfParameters } from "../protocol/index.js";
import { CeremonyCancelled } from "../store/authenticator.js";
import { NoDevice, readDevice, updateDeviceSettings, VaultWiped, wipeDevice, WrongPassphrase } from "../store/vault.js";
import { ApiProblem, callApi } from "../sync/api.js";
import { accountDisabled, isAccountDisabled, leaveDevice } from "../sync/disabled.js";
import { finishWithKey } from "../sync/factors.js";
import { lock as forgetKeys, logInAgain, SecondFactorNeeded, setUpDevice, SyncFailed, unlock } from "../sync/session.js";
import { registerServiceWorker, switchingVersion } from "./sw-client.js";
import { forgetOffline, keepOffline, roleFromEnrolment, writeDownGroups } from "./sw-groups.js";
// The second factor's step is part of the set-up screen, and of a login again from any screen.
import { factorProblemText } from "../factor-step.js";
import { factorsSection, secondFactorPanel } from "./factors.js";
import { drawHeader, refreshSyncStatus, showSyncError } from "./header.js";
import { lastWhere, noteWhere, Router } from "./router.js";
import { DEFAULT_LOCK_MINUTES, LOCK_CHOICES, lock, restartIdleTimer, startSession, unlocked } from "./session.js";
import { announce, errorLine, field, h, pickLanguage, setLanguage, show } from "./ui.js";

// What this file imports above is what the set-up and unlock screens need; everything behind
// them (the engine, each role's screens) loads when first used, by import(): one module per URL,
// the same one a test importing it by path gets. The service worker keeps each role's modules
// only on devices of that role (webapp/pwa.py, ROLE_SCREENS: a module added here goes there too).
class NotOnDevice extends Error {}

function loaded(load) {
  return load().catch((error) => {
    throw new NotOnDevice(String(error));
  });
}

function later(load, name) {
  return async (...args) => {
    try {
      return (await loaded(load))[name](...args);
    } catch (problem) {
      if (problem instanceof NotOnDevice) announce(problemText(problem));
      throw problem;
    }
  };
}

// How long a page switching to a waiting version waits for its reload before drawing anyway.
const SWITCH_PATIENCE_MS = 3000;
const intakeModule = () => import("./intake.js");
const scheduleModule = () => import("../sync/schedule.js");
const engineModule = () => import("../sync/engine.js");
const auditHome = later(() => import("./audit.js"), "auditHome");
const disabledScreen = later(() => import("./disabled.js"), "disabledScreen");
const figuresScreen = later(() => import("./figures-screen.js"), "figuresScreen");
const draftsSection = later(() => import("./drafts.js"), "draftsSection");
const caseScreen = later(intakeModule, "caseScreen");
const editScreen = later(intakeModule, "editScreen");
const intakeScreen = later(intakeModule, "intakeScreen");
const saveOpenDraft = later(intakeModule, "saveOpenDraft");
const measuresScreen = later(() => import("./measures.js"), "measuresScreen");
const passphraseScreen = later(() => import("./passphrase.js"), "passphraseScreen");
const deviceKeySection = later(() => import("./device-key.js"), "deviceKeySection");
const teamScreen = later(() => import("./members.js"), "teamScreen");
const fingerprintScreen = later(() => import("./people.js"), "fingerprintScreen");
const peopleScreen = later(() => import("./people.js"), "peopleScreen");
const reviewList = later(() => import("./review.js"), "reviewList");
const refreshRoster = later(() => import("../sync/directory.js"), "refreshRoster");
const casesOnServerOnly = later(engineModule, "casesOnServerOnly");
const fetchCase = later(engineModule, "fetchCase");
const peekCase = later(engineModule, "peekCase");
const retentionDays = later(engineModule, "retentionDays");
// sync/schedule.js once loaded (at the first unlock, before any unlocked screen is drawn).
let scheduling = null;

let language = "fr";

function problemText(problem) {
  if (problem instanceof NotOnDevice) {
    return _("This part of Carnet is not on this device yet. Open Carnet once with a network, then try again.");
  }
  if (problem instanceof InvalidKdfParameters) {
    return _("The server asked for weak key settings; login was stopped to protect you.");
  }
  if (problem instanceof ApiProblem) return problem.message;
  return _("Something went wrong on this device. Nothing was sent.");
}

async function changeLanguage(next) {
  // Offline, only the catalogs this device keeps can be shown: another choice changes nothing.
  if (!(await hasCatalog(next))) {
    header();
    announce(_("This language is not on this device yet. Choose it again with a network."));
    return;
  }
  language = next;
  keepOffline({ role: unlocked()?.profile?.role ?? null, language });
  if (await readDevice()) await updateDeviceSettings({ language });
  await setLanguage(language);
  await route();
}

// The shared header (app/header.js) is drawn for each screen; it is not part of the screen.
function header({ wipe = true } = {}) {
  const state = unlocked();
  drawHeader({ state: state && scheduling?.holdsCases(state) ? state : null, language, onLanguage: changeLanguage, wipe, onWipe: panicWipe });
  return null;
}

// Set up -------------------------------------------------------------------------------------

function setupScreen() {
  router.screen = "setup";
  const error = errorLine("setup-error");
  // Fields without a name in a form made by this script: nothing reaches the server but what the
  // script sends, and the passphrase is not offered to the browser's password manager
  // (docs/THREAT_MODEL.md: a phone handed over at a prison gate).
  const email = h("input", { type: "email", autocomplete: "off", required: true, dir: "ltr", inputmode: "email" });
  const passphrase = h("input", { type: "password", autocomplete: "off", required: true });
  const submit = h("button", { type: "submit", className: "primary" }, _("Set up this device"));
  const form = h("form", { id: "setup-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = "";
    const secret = passphrase.value;
    passphrase.value = "";
    if (!email.value.trim() || !secret) {
      error.textContent = _("Enter your email address and your passphrase.");
      return;
    }
    submit.disabled = true;
    announce(_("Setting up this device…"));
    try {
      const state = await setUpDevice(email.value.trim(), secret, { language, lockMinutes: DEFAULT_LOCK_MINUTES },
        { secondFactor: (factor) => factorStep(factor, { wipe: false }) });
      // Asked once the person has an account here: the browser then keeps unsent notes on disk.
      await navigator.storage?.persist?.();
      await begin(state);
      announce(_("This device is ready."));
    } catch (problem) {
      announce("");
      // "Back" from the second factor: the set-up form again, as it was.
      if (router.screen !== "setup") setupScreen();
      const again = document.getElementById("setup-error");
      if (again && !(problem?.name === "StepLeft")) again.textContent = problemText(problem);
      submit.disabled = false;
    }
  } },
  field("setup-email", _("Email address"), email),
  field("setup-passphrase", _("Passphrase"), passphrase),
  submit, error);
  show(header({ wipe: false }), h("section", { className: "card narrow" },
    h("h1", {}, _("Set up Carnet on this device")),
    h("p", { className: "hint" }, _("Sign in once, with a network. Afterwards Carnet opens and works without one.")),
    form));
}

// The second factor of a login (set-up, or a login again the server asks it for): its own
// screen, the key asked for at once, a recovery code instead, or the first key's registration.
// Resolves to the login's answer; rejects with StepLeft on "Back".
async function factorStep(factor, { wipe = true } = {}) {
  router.screen = "factor";
  const place = h("section", { className: "card narrow", id: "factor-step" });
  show(header({ wipe }), place);
  return secondFactorPanel(place, factor);
}

// A session the server renews only with the second factor: nothing is done in the background
// (a key needs the person's touch); the header says so, with the button that asks for the key.
function reconnectNeeded(state, reason = "") {
  showSyncError([_("Reconnection needed."), reason].filter(Boolean).join(" "),
    { label: _("Sign in again"), act: () => reconnect(state) });
}

async function reconnect(state) {
  showSyncError(_("Touch your security key or confirm on this device…"), null, { transient: true });
  try {
    // One touch: the key at once; if it fails, the full step (retry, a recovery code, "Back").
    try {
      await logInAgain(state, { secondFactor: (factor) => (factor.registered ? finishWithKey(factor.options) : factorStep(factor)) });
    } catch (problem) {
      if (problem instanceof ApiProblem && ["network", "login-failed", "account-disabled"].includes(problem.code)) throw problem;
      await logInAgain(state, { secondFactor: factorStep });
    }
  } catch (problem) {
    if (router.on("factor")) await homeScreen();
    reconnectNeeded(state, problem?.name === "StepLeft" ? "" : factorProblemText(problem));
    return;
  }
  showSyncError("");
  if (router.on("factor")) await homeScreen();
  runSync(state);
}

// Unlock -------------------------------------------------------------------------------------

function lockNotice(reason) {
  if (reason === "disabled") {
    return h("p", { className: "notice", role: "alert", id: "lock-disabled" },
      _("The server says this account is disabled: Carnet locked itself. Unlock to see what this device keeps and what to do."));
  }
  if (reason === "idle" || reason === "hidden") {
    return h("p", { className: "notice", role: "status" }, _("Carnet locked itself to protect your notes."));
  }
  return null;
}

function unlockScreen(reason) {
  router.screen = "unlock";
  const error = errorLine("unlock-error");
  const passphrase = h("input", { type: "password", autocomplete: "off", required: true });
  const submit = h("button", { type: "submit", className: "primary" }, _("Unlock"));
  const notice = lockNotice(reason);
  // A cancelled prompt of the authenticator (a store bound to this phone) counts for nothing:
  // "Try again" asks it again with the passphrase already derived.
  let pending = null;
  const retry = h("button", { type: "button", id: "unlock-retry", hidden: true, onclick: () => attempt(() => pending.retry()) },
    _("Try again"));
  const attempt = async (opening) => {
    error.textContent = "";
    submit.disabled = true;
    retry.hidden = true;
    announce(_("Unlocking…"));
    try {
      const state = await opening();
      pending = null;
      announce("");
      await begin(state);
    } catch (problem) {
      announce("");
      submit.disabled = false;
      passphrase.value = "";
      if (problem instanceof CeremonyCancelled) {
        pending = problem;
        retry.hidden = false;
        error.textContent = _("This phone's confirmation was cancelled. Nothing was counted: try again, or type the passphrase again.");
      } else if (problem instanceof WrongPassphrase) {
        error.textContent = ngettext("Wrong passphrase. %(count)s attempt left before the data on this device is wiped.",
          "Wrong passphrase. %(count)s attempts left before the data on this device is wiped.", problem.remaining);
      } else if (problem instanceof VaultWiped) {
        forgetOffline().catch(() => {});
        await route(_("Too many failed attempts: the data on this device was wiped."));
      } else if (problem instanceof NoDevice) {
        await route();
      } else {
        error.textContent = problemText(problem);
      }
    }
  };
  const form = h("form", { id: "unlock-form", novalidate: true, onsubmit: (event) => {
    event.preventDefault();
    const secret = passphrase.value;
    passphrase.value = "";
    pending?.forget?.();
    pending = null;
    return attempt(() => unlock(secret));
  } }, field("unlock-passphrase", _("Passphrase"), passphrase), submit, retry, error);
  show(header(), h("section", { className: "card narrow" }, h("h1", {}, _("Unlock Carnet")), notice, form));
  // While the passphrase is typed, the engine loads (from the worker's cache when offline): the
  // unlock then waits for no module. Only once the screen is drawn and the page is idle.
  (window.requestIdleCallback ?? setTimeout)(() => scheduleModule().catch(() => {}));
}

// Home ---------------------------------------------------------------------------------------

// Sync (sync/schedule.js): on demand, when the network comes back, every few minutes while
// unlocked, and after a failure again later and later. Only the home screen is redrawn after
// it, never a form.
const router = new Router();
let syncMessage = "";
const syncUi = { bar: null, button: null };

function syncErrorText(error) {
  if (error instanceof SecondFactorNeeded) return _("Reconnection needed.");
  if (error instanceof SyncFailed) return _("The server no longer accepts this session. Lock, then unlock with a network.");
  if (error instanceof ApiProblem && error.code === "login-failed") {
    return _("The server refuses this device's passphrase. If it was changed on another device, change it here too, with the old one and the new one.");
  }
  if (error instanceof ApiProblem && error.code === "network") {
    return _("No network: your notes stay on this device and will be sent later.");
  }
  return error instanceof ApiProblem ? error.message : _("Sync failed. Your notes stay on this device.");
}

// The one thing the person can do about a failed sync, as a button beside the reason.
function syncErrorAction(state, error) {
  if (error instanceof ApiProblem && error.code === "login-failed") {
    return { label: _("Change the passphrase"), act: () => router.show("passphrase",
      () => passphraseScreen(state, { back: settingsScreen })) };
  }
  if (error instanceof SecondFactorNeeded) return { label: _("Sign in again"), act: () => reconnect(state) };
  if (error instanceof SyncFailed || (error instanceof ApiProblem && error.status === 401)) {
    return { label: _("Sign in again"), act: () => lock("asked") };
  }
  return { label: _("Try again"), act: () => runSync(state) };
}

// What a sync that went through still asks of the person, in words (docs/PROTOCOL.md 8.12).
function syncOutcomeText(refused, aside) {
  const lines = [];
  if (refused) {
    lines.push(ngettext("The server refused %(count)s entry: it stays on this device, in its case, with the reason.",
      "The server refused %(count)s entries: they stay on this device, in their case, with the reason.", refused));
  }
  if (aside.length) {
    lines.push(ngettext("%(count)s case is set aside: what the server sent does not verify. Open it to repair; your other cases keep syncing.",
      "%(count)s cases are set aside: what the server sent does not verify. Open them to repair; your other cases keep syncing.", aside.length));
  }
  return lines.join(" ");
}

let schedule = null;
const scheduleHooks = {
  started: () => {
    const { bar, button } = syncUi;
    if (bar) bar.hidden = false;
    if (button) button.disabled = true;
    showSyncError("");
    syncMessage = "";
  },
  progress: (part) => { if (syncUi.bar) syncUi.bar.value = part; },
  finished: async (state, { refused, changed, aside }) => {
    // Shown in the header until the next sync starts; kept for the disabled screen too.
    syncMessage = syncOutcomeText(refused, aside);
    showSyncError(syncMessage);
    if ((changed && router.on("home")) || router.on("disabled")) await homeScreen();
  },
  failed: async (state, problem) => {
    // A refused passphrase is not retried by itself: each try would count as a failed login.
    // Nor is a login the second factor must finish: it waits for the person's touch.
    if ((problem instanceof ApiProblem && problem.code === "login-failed") || problem instanceof SecondFactorNeeded) schedule?.stop();
    syncMessage = syncErrorText(problem);
    if (router.on("disabled")) await showDisabled(state, syncMessage);
    const transient = problem instanceof ApiProblem && problem.code === "network";
    showSyncError(syncMessage, syncErrorAction(state, problem), { transient });
  },
  disabled: (state) => onAccountDisabled(state),
  settled: async (state) => {
    if (syncUi.bar) syncUi.bar.hidden = true;
    if (syncUi.button) syncUi.button.disabled = false;
    await refreshSyncStatus(state).catch(() => {});
    await showCertification(state).catch(() => {});
  },
};

const runSync = (state) => schedule?.run(state);

// The server refuses this account: the device keeps only what the server lacks, and locks. The
// person sees why after unlocking (disabled.js); a sync that finds it enabled undoes it.
async function onAccountDisabled(state) {
  schedule?.stop();
  syncMessage = "";
  if (accountDisabled(state)) return showDisabled(state, _("The server still says this account is disabled."));
  await saveOpenDraft().catch(() => {});
  await leaveDevice(state);
  lock("disabled");
}

function showDisabled(state, message = "") {
  return router.show("disabled", () => disabledScreen(state, { header, message, retry: () => runSync(state),
    lockNow: () => lock("asked") }));
}

// Where sync stands is in the header; the home screen has the button and the progress.
function syncPanel(state) {
  syncUi.bar = h("progress", { id: "sync-progress", max: "1", value: "0", hidden: true, "aria-label": _("Sync progress") });
  syncUi.button = h("button", { type: "button", id: "sync-now", onclick: () => runSync(state) }, _("Sync now"));
  return h("div", { className: "sync-panel", role: "region", "aria-label": _("Sync") }, syncUi.bar, syncUi.button);
}

window.addEventListener("online", () => schedule?.online());

async function begin(state) {
  try {
    scheduling ??= await loaded(scheduleModule);
  } catch (problem) {
    // Not unlocked after all: the keys just derived go as a lock would drop them.
    forgetKeys(state);
    throw problem;
  }
  schedule ??= new scheduling.SyncSchedule(unlocked, scheduleHooks);
  // The worker keeps this role's screens and this language's catalog from now on (sw-groups.js).
  keepOffline({ role: state.profile?.role ?? null, language });
  // The case on screen (shown, or being edited) stays on the device whatever the retention.
  state.caseInUse = () => lastWhere().caseId ?? null;
  startSession(state, (reason) => {
    schedule?.stop();
    unlockScreen(reason);
  }, { factorNeeded: () => reconnectNeeded(state) });
  header();
  const drawn = resumeScreen(state).catch(() => homeScreen()).catch(() => {});
  // With a network, bring the roster up to date for the next cases; offline, the last one serves.
  state.rosterRefresh = refreshRoster(state)
    .catch(() => announce(_("The roster could not be verified. Tell an administrator.")));
  // The first sync waits for the home screen: the person's list comes first, on a slow phone too.
  if (navigator.onLine && scheduling.syncsByItself(state)) Promise.all([drawn, state.rosterRefresh]).then(() => runSync(state));
  // Where the person stands is shown again once the roster is fresh.
  state.rosterRefresh.then(() => { if (router.on("home")) showCertification(state); });
}

// After an unlock, back where the lock found the person: the intake or edit (its draft and step
// come back from the store) or the case; else the home screen.
function resumeScreen(state) {
  const { screen, caseId } = lastWhere();
  if (!scheduling.holdsCases(state) || accountDisabled(state)) return homeScreen();
  if (screen === "intake" && caseId) return router.show("intake", () => editScreen(state, caseId, homeScreen));
  if (screen === "intake") return router.show("intake", () => intakeScreen(state, { home: homeScreen }));
  if (screen === "case" && caseId) return router.show("case", () => caseScreen(state, caseId, homeScreen));
  return homeScreen();
}

async function homeScreen() {
  const state = unlocked();
  if (!state) return unlockScreen();
  router.screen = "home";
  noteWhere({ screen: "home" });
  if (accountDisabled(state)) return showDisabled(state);
  if (state.profile?.role === "auditor") return auditHome(state, { header, settings: settingsScreen, home: homeScreen });
  if (state.profile?.role === "admin") return adminHome(state);
  const openOne = (id) => router.show("case", () => caseScreen(state, id, homeScreen));
  const coordinator = state.profile?.role === "coordinator";
  const cases = coordinator ? await reviewList(state, openOne) : await myCaseList(state, openOne);
  const onServer = await serverCasesSection(state);
  const unsent = await draftsSection(state, {
    openIntake: () => router.show("intake", () => intakeScreen(state, { home: homeScreen })),
    openEdit: (caseId) => router.show("intake", () => editScreen(state, caseId, homeScreen)) });
  // Drawn again after a background sync: if the person went to another screen meanwhile, stay there.
  if (!router.on("home") || unlocked() !== state) return;
  show(header(), h("section", { className: "card" },
    h("h1", {}, coordinator ? _("Team cases") : _("My cases")),
    certificationLine(state),
    syncPanel(state),
    h("button", { type: "button", id: "new-intake", className: "primary",
      onclick: () => router.show("intake", () => intakeScreen(state, { home: homeScreen })) }, _("New intake")),
    unsent,
    cases,
    onServer,
    h("div", { className: "actions" },
      h("button", { type: "button", id: "lock-now", onclick: () => lock("asked") }, _("Lock")),
      fingerprintButton(state),
      coordinator || state.profile?.role === "volunteer" ? h("button", { type: "button", id: "open-team",
        onclick: () => router.show("team", () => teamScreen(state, homeScreen)) }, _("My team")) : null,
      state.profile?.role === "coordinator"
        ? h("button", { type: "button", id: "open-figures", onclick: () => router.show("figures", () => figuresScreen(state, { home: homeScreen })) },
          _("Activity figures")) : null,
      coordinator ? h("button", { type: "button", id: "open-measures", onclick: () => router.show("measures", () => measuresScreen(state, homeScreen)) },
        _("Appeal delays by measure")) : null,
      h("button", { type: "button", id: "open-settings", onclick: settingsScreen }, _("Settings")))));
}

function fingerprintButton(state) {
  return h("button", { type: "button", id: "open-fingerprint", onclick: () => router.show("fingerprint", () => fingerprintScreen(state, homeScreen)) },
    _("My fingerprint"));
}

// The admin's app certifies people's keys; it holds no case and syncs none.
function adminHome(state) {
  show(header(), h("section", { className: "card" },
    h("h1", {}, _("Administration")),
    h("p", { className: "hint" }, _("Certify the keys of the people you invited, after comparing their fingerprint with them. Invitations, accounts and teams are managed in the server's administration pages.")),
    h("div", { className: "actions" },
      h("button", { type: "button", id: "open-people", className: "primary", onclick: () => router.show("people", () => peopleScreen(state, homeScreen)) },
        _("Certify people")),
      fingerprintButton(state),
      h("button", { type: "button", id: "open-settings", onclick: settingsScreen }, _("Settings")),
      h("button", { type: "button", id: "lock-now", onclick: () => lock("asked") }, _("Lock")))));
}

// Whether this device's keys are certified, from the verified roster it holds (refreshed at
// unlock and at each sync): until they are, no case can be written here.
async function certified(state) {
  try {
    const { rosterView } = await import("../store/roster.js");
    const entry = (await rosterView(state)).current(b64urlDecode(state.vault.userId));
    return bytesKey(await entry.fingerprint()) === bytesKey(await state.account.fingerprint());
  } catch (error) {
    // No entry, a revoked one, or no roster that verifies: not certified, as far as this device knows.
    if (error instanceof CarnetCryptoError) return false;
    throw error;
  }
}

const certificationUi = { line: null };

function certificationLine(state) {
  certificationUi.line = h("p", { id: "certification-status" });
  showCertification(state);
  return certificationUi.line;
}

async function showCertification(state) {
  const line = certificationUi.line;
  if (!line) return;
  const ok = await certified(state);
  line.className = ok ? "hint" : "status-warning";
  line.dataset.certified = String(ok);
  line.textContent = ok ? _("Keys certified.")
    : _("Waiting for certification: show your fingerprint to an administrator (“My fingerprint”).");
}

// A volunteer's cases, overdue deadlines first then the nearest, then the most recently changed,
// a page at a time. Search runs on the summaries in memory; nothing typed here is stored or sent.
async function myCaseList(state, openOne) {
  const [{ listCases }, { byNextDeadline }, { caseRow, rowText }, { pagedList }] = await loaded(() => Promise.all([
    import("../store/cases.js"), import("../store/deadlines.js"), intakeModule(), import("./paged.js")]));
  const cases = (await listCases(state)).sort(byNextDeadline);
  if (!cases.length) return h("p", { className: "hint" }, _("No case on this device yet."));
  const { list, count, more, draw } = pagedList(cases, (item) => caseRow(item, openOne), "case-list");
  const search = h("input", { type: "search", autocomplete: "off", oninput: (event) => {
    const wanted = event.target.value.trim().toLowerCase();
    draw(wanted ? (item) => rowText(item).includes(wanted) : undefined);
  } });
  draw();
  return h("div", {}, field("case-search", _("Search by name or number"), search), count, list, more);
}

function retentionText(days) {
  if (days === null) return _("Synced cases stay on this device.");
  if (days === 0) return _("Your team keeps no synced case on devices: a case leaves this device once the server has it.");
  return ngettext("Your team keeps synced cases on devices for %(count)s day after their last use.",
    "Your team keeps synced cases on devices for %(count)s days after their last use.", days);
}

// What tells a kept case apart before it is brought back: its number and place, read from the
// case fetched into memory on demand, shown in its row and stored nowhere.
function peekButton(state, item, error) {
  const button = h("button", { type: "button", className: "link-button", "data-peek": item.id, onclick: async () => {
    button.disabled = true;
    error.textContent = "";
    try {
      const { number, place } = await peekCase(state, item.id);
      const said = [number && _("Number: %(number)s", { number }), place && _("Place: %(place)s", { place })].filter(Boolean);
      button.replaceWith(h("p", { className: "hint", "data-peeked": item.id },
        said.length ? h("bdi", {}, said.join(" · ")) : _("Neither a number nor a place is written in this case.")));
    } catch (problem) {
      if (isAccountDisabled(problem)) return onAccountDisabled(state);
      error.textContent = problem instanceof ApiProblem ? problem.message : problemText(problem);
      button.disabled = false;
    }
  } }, _("Show its number and place"));
  return button;
}

// Cases the team's policy took off this device: listed from the server (dates only, nothing of
// their content), fetched and opened again on demand, with a network.
async function serverCasesSection(state) {
  const days = await retentionDays(state);
  if (days === null) return null;
  const error = errorLine("server-cases-error");
  const list = h("ul", { className: "case-list", id: "server-cases" });
  const section = h("section", { "aria-labelledby": "server-cases-title" },
    h("h2", { id: "server-cases-title" }, _("Kept on the server")), h("p", { className: "hint" }, retentionText(days)),
    list, error);
  if (!navigator.onLine) {
    list.replaceWith(h("p", { className: "hint" }, _("With a network, your other cases can be opened from the server.")));
    return section;
  }
  casesOnServerOnly(state).then((cases) => {
    if (!cases.length) return list.replaceWith(h("p", { className: "hint" }, _("No other case on the server.")));
    list.replaceChildren(...cases.map((item) => h("li", { "data-case": item.id }, h("button", { type: "button", className: "case-link",
      onclick: async (event) => {
        event.target.disabled = true;
        error.textContent = "";
        try {
          await fetchCase(state, item.id);
          router.show("case", () => caseScreen(state, item.id, homeScreen));
        } catch (problem) {
          if (isAccountDisabled(problem)) return onAccountDisabled(state);
          error.textContent = problem instanceof ApiProblem ? problem.message : problemText(problem);
          event.target.disabled = false;
        }
      } }, ngettext("Case opened on %(date)s, last activity %(last)s, %(count)s entry",
      "Case opened on %(date)s, last activity %(last)s, %(count)s entries", item.entry_count, {
        date: formatDate(item.created_at * 1000), last: formatDate(item.updated_at * 1000) })), peekButton(state, item, error))));
  }).catch((problem) => {
    if (isAccountDisabled(problem)) return onAccountDisabled(state);
    // What went wrong, in words: the server's own reason when it answered.
    return list.replaceWith(h("p", { className: "hint", id: "server-cases-problem" },
      problem instanceof ApiProblem ? problem.message : _("The server could not be reached.")));
  });
  return section;
}

function settingsScreen() {
  router.screen = "settings";
  const state = unlocked();
  if (!state) return unlockScreen();
  const current = state.vault.device.settings?.lockMinutes || DEFAULT_LOCK_MINUTES;
  const keySlot = h("div", { id: "device-key-slot" });
  const select = h("select", {}, LOCK_CHOICES.map((minutes) =>
    h("option", { value: String(minutes), selected: minutes === current }, ngettext("%(count)s minute", "%(count)s minutes", minutes))));
  const form = h("form", { id: "settings-form", onsubmit: async (event) => {
    event.preventDefault();
    const lockMinutes = Number(select.value);
    await updateDeviceSettings({ lockMinutes });
    state.vault.device.settings = { ...state.vault.device.settings, lockMinutes };
    restartIdleTimer();
    announce(_("Saved."));
    homeScreen();
  } }, field("lock-minutes", _("Lock after"), select),
  h("button", { type: "submit", className: "primary" }, _("Save")),
  h("button", { type: "button", onclick: homeScreen }, _("Cancel")));
  show(header(), h("section", { className: "card narrow" }, h("h1", {}, _("Settings")), form,
    h("h2", {}, _("Passphrase")),
    h("button", { type: "button", id: "change-passphrase", onclick: () => router.show("passphrase",
      () => passphraseScreen(state, { back: settingsScreen })) }, _("Change the passphrase")), keySlot,
    factorsSection()));
  // The store bound to this phone or not (app/device-key.js), drawn once its module is loaded.
  deviceKeySection(state, settingsScreen).then((section) => keySlot.append(section)).catch(() => {});
}

// The wipe, from the header's control (app/header.js) once its confirmation is held.
async function panicWipe() {
  noteWhere({ screen: "home" });
  lock("wiped");
  await wipeDevice();
  forgetOffline().catch(() => {});
  // Ending the server session is a courtesy: with no network the local wipe is what matters.
  callApi("POST", "/api/v1/auth/logout").catch(() => {});
  await route(_("The data on this device was wiped."));
}

// Start --------------------------------------------------------------------------------------

async function route(message) {
  const device = await readDevice();
  if (unlocked()) return homeScreen();
  if (!device) setupScreen();
  else unlockScreen();
  if (message) announce(message);
}

// The update banner sits at the bottom of the screen: the page keeps its height free below the
// last control (and scrolls controls above it), so that nothing, "Discard" included, is hidden
// under it; "Later" puts it away for this visit.
const updateSpace = new ResizeObserver(([seen]) => {
  document.documentElement.style.setProperty("--update-space", `${Math.ceil(seen.borderBoxSize[0].blockSize)}px`);
});

function showUpdateBanner(applyUpdate) {
  const banner = document.getElementById("app-update");
  const later = () => {
    banner.hidden = true;
    updateSpace.disconnect();
    document.documentElement.style.removeProperty("--update-space");
  };
  banner.replaceChildren(h("p", {}, _("A new version of Carnet is ready.")),
    h("div", { className: "update-actions" },
      h("button", { type: "button", id: "update-later", onclick: later }, _("Later")),
      h("button", { type: "button", className: "primary", onclick: applyUpdate }, _("Reload now"))));
  banner.hidden = false;
  updateSpace.observe(banner);
}

async function start() {
  const device = await readDevice();
  language = pickLanguage(device?.settings?.language);
  await setLanguage(language);
  // Just enrolled: the role's screens are written down before the worker's first install reads
  // the list, so the app works offline for that role before its first unlock.
  const enrolled = roleFromEnrolment();
  if (enrolled) await writeDownGroups({ role: enrolled, language });
  registerServiceWorker({ onUpdateReady: showUpdateBanner }).catch(() => {});
  // A worker already active (this browser opened Carnet before) fetches them now.
  if (enrolled) keepOffline({ role: enrolled, language });
  if (await switchingVersion()) {
    // The page reloads under the new version in a moment; it is drawn anyway if it does not.
    setTimeout(() => route(), SWITCH_PATIENCE_MS);
    return;
  }
  await route();
}

start();
