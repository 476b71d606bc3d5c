// The auditor's home: what the server holds (the inventory and its alerts), the audit log with
// filters, and "Verify everything", run here in the browser. An auditor holds no case key:
// everything shown is ids, counts, hashes, epochs, sizes and times, and nothing is decrypted.

import { ACTIONS } from "../audit/chain.js";
import { auditKeyFingerprint, verifyEverything } from "../audit/verify.js";
import { _, formatDateTime, formatNumber, ngettext } from "../i18n.js";
import { b64urlDecode, spokenFingerprint } from "../protocol/index.js";
import { auditHead } from "../store/records.js";
import { associationKey } from "../store/roster.js";
import { ApiProblem, callApi } from "../sync/api.js";
import { fingerprintScreen } from "./people.js";
import { lock } from "./session.js";
import { announce, errorLine, field, h, show } from "./ui.js";

const LOG_PAGE = 50;
const DAY = 86400;

function actionLabel(name) {
  const labels = {
    case_opened: _("Case opened"), entry_stored: _("Entry stored"), member_added: _("Member added"),
    member_removed: _("Member removed"), key_rotated: _("Key rotated"), entry_resealed: _("Entry re-encrypted"),
    association_set_up: _("Association set up"), account_keys_published: _("Account keys published"),
    roster_entry: _("Roster entry"), login: _("Login"), login_failed: _("Failed login"), enrolled: _("Enrolled"),
    kdf_changed: _("Key settings changed"), account_changed: _("Account changed"), invited: _("Invitation made"),
    sessions_ended: _("Sessions ended"), team_changed: _("Team changed"), account_created: _("Account created"),
    reset_issued: _("Passphrase reset link issued"), reset_completed: _("Passphrase reset completed"),
    measures_changed: _("Table of measures changed"),
    export: _("Audit export"),
    backup: _("Backup"), restore: _("Restore"), rekey: _("Database key changed"),
    factor_registered: _("Security key registered"), factor_used: _("Security key used"),
    factor_failed: _("Security key refused"), factor_removed: _("Security key removed"),
    factors_reset: _("Security keys reset by an administrator"), recovery_code_used: _("Recovery code used"),
    recovery_codes_renewed: _("New recovery codes"), second_factor_pending: _("Login waiting for a security key"),
  };
  return labels[name] || name;
}

function checkLabel(name) {
  const labels = {
    roster_signatures: _("Each roster entry is signed by the association key."),
    roster_completeness: _("Each person's roster entry is the latest one the audit log recorded for them."),
    revoked_members: _("No key is granted to, and nothing is written by, a person revoked before it."),
    envelope_format: _("Each stored entry is well formed and filed under its own case."),
    device_sequences: _("Each device's entries are numbered without a gap."),
    hash_links: _("Each entry names the hash of its device's previous entry and of an earlier control entry."),
    removed_members: _("No key of a rotation is wrapped to a removed member."),
    case_logs: _("Each case log verifies (signatures, members, epochs), is listed once, under the team it was opened in."),
    ciphertext_entropy: _("Each sealed body looks like ciphertext, not text."),
    audit_chain: _("Each audit record follows the one before it by its hash."),
    audit_head: _("The audit head is signed by the server's audit key and matches the log."),
    kept_head: _("The log still extends the head kept from the last verification on this device."),
    audit_coverage: _("Every stored entry has its audit record, and every entry record names a stored entry."),
  };
  return labels[name] || name;
}

function alertText(alert) {
  if (alert.alert === "key-older-than-policy") {
    return ngettext("Case %(case)s: its key is older than the team's rotation policy (%(count)s day).",
      "Case %(case)s: its key is older than the team's rotation policy (%(count)s days).", alert.policy_days, { case: alert.case_id });
  }
  if (alert.alert === "former-member-holds-current-key") {
    return sentence(_("Case %(case)s: a former member (%(user)s) still holds the current key.",
      { case: alert.case_id, user: slot("user") }), { user: named(alert.user_id) });
  }
  if (alert.alert === "case-log-fails-verification") {
    return _("Case %(case)s fails the server's signature and chain checks (%(error)s).", { case: alert.case_id, error: alert.error });
  }
  if (alert.alert === "audit-chain-broken") return _("The audit log's chain is broken (%(error)s).", { error: alert.error });
  if (alert.alert === "roster-incomplete") {
    return _("The roster the server holds lacks an entry its audit log recorded (%(detail)s).", { detail: alert.detail });
  }
  return alert.alert;
}

const when = (milliseconds) => formatDateTime(milliseconds);
const code = (text) => h("code", { dir: "ltr" }, text);

// Names typed by people may be in any script: each is isolated for direction, its id beside it.
const ZERO_ID = "AAAAAAAAAAAAAAAAAAAAAA";
let names = new Map();

function named(id, fallback = null) {
  const name = names.get(id);
  if (name) return h("span", { className: "named", "data-id": id }, h("bdi", {}, name), " ", code(id));
  return fallback ?? code(id);
}

// A translated sentence whose slots become the given nodes, not text: _("… %(x)s …", { x: slot("x") }).
const slot = (name) => `\u0000${name}\u0000`;

function sentence(translated, nodes) {
  return translated.split("\u0000").map((part, index) => (index % 2 ? nodes[part] : part));
}

let namesReady = Promise.resolve();

function loadPeopleNames() {
  names = new Map();
  namesReady = callApi("GET", "/api/v1/directory")
    .then(({ people }) => people.forEach((person) => names.set(person.user_id, person.display_name)))
    .catch(() => undefined); // Without names the screens show ids, as before.
}

// The inventory and its alerts ------------------------------------------------------------------

function fingerprintItem(member) {
  return h("li", { "data-user": member.user_id }, named(member.user_id), " ",
    h("span", { className: "fingerprint-inline", dir: "ltr" }, spokenFingerprint(b64urlDecode(member.fingerprint))));
}

function rotationItem(rotation) {
  const kind = { genesis: "case_opened", remove: "member_removed", rotate: "key_rotated" }[rotation.kind];
  return h("li", {}, _("Epoch %(epoch)s: %(what)s, %(date)s", { epoch: rotation.epoch, what: actionLabel(kind),
    date: when(rotation.received_at * 1000) }));
}

function caseItem(item) {
  const age = item.key_age_seconds === null ? "—"
    : ngettext("%(count)s day", "%(count)s days", Math.floor(item.key_age_seconds / DAY));
  return h("li", { "data-case": item.case_id }, h("details", {},
    h("summary", {}, ngettext("Case %(case)s: %(count)s entry, epoch %(epoch)s", "Case %(case)s: %(count)s entries, epoch %(epoch)s",
      item.entries, { case: item.case_id, epoch: item.epoch })),
    h("dl", { className: "facts" },
      h("dt", {}, _("Size")), h("dd", {}, ngettext("%(count)s byte of ciphertext", "%(count)s bytes of ciphertext", item.bytes)),
      h("dt", {}, _("Age of the current key")), h("dd", {}, age),
      h("dt", {}, _("Members, by fingerprint")), h("dd", {}, h("ul", { className: "people-list" }, item.members.map(fingerprintItem))),
      h("dt", {}, _("Rotation history")), h("dd", {}, h("ol", {}, item.rotations.map(rotationItem))))));
}

function teamSection(team) {
  const title = `team-${team.team_id}`;
  return h("section", { "aria-labelledby": title, "data-team": team.team_id },
    h("h3", { id: title }, sentence(_("Team %(team)s", { team: slot("team") }), { team: named(team.team_id) })),
    team.cases.length ? h("ul", { className: "case-list" }, team.cases.map(caseItem)) : h("p", { className: "hint" }, _("No case.")));
}

function inventorySections() {
  const alerts = h("section", { "aria-labelledby": "audit-alerts-title" },
    h("h2", { id: "audit-alerts-title" }, _("Alerts")), h("p", { className: "hint" }, _("Loading…")));
  const inventory = h("section", { "aria-labelledby": "audit-inventory-title" },
    h("h2", { id: "audit-inventory-title" }, _("What the server holds")), h("p", { className: "hint" }, _("Loading…")));
  callApi("GET", "/api/v1/audit/inventory").then(async (held) => {
    await namesReady;
    held.teams.forEach((team) => team.name && names.set(team.team_id, team.name));
    alerts.lastChild.replaceWith(held.alerts.length
      ? h("ul", { id: "audit-alerts", className: "people-list" }, held.alerts.map((a) => h("li", { "data-alert": a.alert }, alertText(a))))
      : h("p", { id: "audit-alerts" }, _("No alert.")));
    inventory.lastChild.replaceWith(h("div", { id: "audit-inventory" },
      h("p", {}, ngettext("%(count)s audit record.", "%(count)s audit records.", held.audit_records)), held.teams.map(teamSection)));
  }).catch((problem) => {
    const text = problem instanceof ApiProblem ? problem.message : _("The server could not be reached.");
    alerts.lastChild.replaceWith(h("p", { className: "error", role: "alert" }, text));
  });
  return [alerts, inventory];
}

// The audit log ---------------------------------------------------------------------------------

function recordItem(record) {
  return h("li", { "data-seq": record.seq, "data-action": record.action },
    h("strong", {}, `${record.seq}. ${actionLabel(record.action)}`), " ", when(record.time), h("br"),
    h("span", { className: "hint" }, sentence(_("by %(actor)s, about %(subject)s", { actor: slot("actor"), subject: slot("subject") }), {
      actor: record.actor === ZERO_ID ? _("the server") : named(record.actor),
      subject: record.subject === ZERO_ID ? "—" : named(record.subject) })));
}

function logSection() {
  const cursors = [0];
  const list = h("ol", { id: "audit-log", className: "case-list" });
  const error = errorLine("audit-log-error");
  const filter = h("select", { onchange: () => { cursors.length = 1; load(); } },
    h("option", { value: "" }, _("All actions")),
    Object.values(ACTIONS).map((name) => h("option", { value: name }, actionLabel(name))));
  const previous = h("button", { type: "button", id: "audit-log-previous", onclick: () => { cursors.pop(); cursors.pop(); load(); } },
    _("Previous page"));
  const next = h("button", { type: "button", id: "audit-log-next", onclick: load }, _("Next page"));
  async function load() {
    error.textContent = "";
    const action = filter.value ? `&action=${filter.value}` : "";
    try {
      const page = await callApi("GET", `/api/v1/audit/log?after=${cursors[cursors.length - 1]}&limit=${LOG_PAGE}${action}`);
      await namesReady;
      list.replaceChildren(...page.records.map(recordItem));
      if (!page.records.length) list.replaceChildren(h("li", {}, _("No record.")));
      cursors.push(page.next_cursor);
      previous.disabled = cursors.length <= 2;
      next.disabled = !page.more;
    } catch (problem) {
      error.textContent = problem instanceof ApiProblem ? problem.message : _("The server could not be reached.");
    }
  }
  load();
  return h("section", { "aria-labelledby": "audit-log-title" },
    h("h2", { id: "audit-log-title" }, _("Audit log")), field("audit-action", _("Action"), filter),
    list, h("div", { className: "actions" }, previous, next), error);
}

// Verify everything ----------------------------------------------------------------------------

let reportUrl = null;

function checkRow(check) {
  return h("tr", { "data-check": check.name, "data-checked": check.checked, "data-failed": check.failed },
    h("th", { scope: "row" }, code(check.name), h("br"), h("span", { className: "hint" }, checkLabel(check.name))),
    h("td", { "data-label": _("Checked") }, formatNumber(check.checked)), h("td", { "data-label": _("Failed") }, formatNumber(check.failed)),
    h("td", { "data-label": _("Result") }, check.failed ? h("strong", { className: "error" }, _("Fail")) : _("Pass")));
}

function failureList(check) {
  return h("section", { "data-failures": check.name }, h("h4", {}, code(check.name)),
    h("ul", { lang: "en", dir: "ltr" }, check.failures.map((failure) => h("li", {}, failure))));
}

function reportView(json) {
  if (reportUrl) URL.revokeObjectURL(reportUrl);
  reportUrl = URL.createObjectURL(new Blob([JSON.stringify(json, null, 1)], { type: "application/json" }));
  const failed = json.checks.filter((check) => check.failed);
  return h("div", { id: "audit-report", "data-ok": String(json.ok) },
    h("p", { className: json.ok ? "status" : "error" }, json.ok ? _("Every check holds.")
      : ngettext("%(count)s check failed.", "%(count)s checks failed.", failed.length)),
    h("div", { className: "table-wrap" }, h("table", { className: "stack-on-phone" },
      h("caption", {}, _("Checks made in this browser")),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, _("Check")), h("th", { scope: "col" }, _("Checked")),
        h("th", { scope: "col" }, _("Failed")), h("th", { scope: "col" }, _("Result")))),
      h("tbody", {}, json.checks.map(checkRow)))),
    failed.map(failureList),
    h("p", {}, h("a", { id: "audit-report-download", href: reportUrl, download: `carnet-audit-report-${json.facts.verified_at}.json` },
      _("Download the report (JSON)"))));
}

// The audit key pinned by the first verification on this device, and the head kept since (14.5).
async function keptView(state) {
  const kept = (await auditHead.get(state.vault)) ?? null;
  if (!kept) {
    return h("p", { id: "audit-kept", className: "hint" },
      _("Nothing is kept yet: the first verification pins the audit key the server shows and keeps its head."));
  }
  return h("dl", { id: "audit-kept", className: "facts" },
    h("dt", {}, _("Pinned audit key (fingerprint)")),
    h("dd", {}, h("code", { id: "audit-kept-key", dir: "ltr", className: "fingerprint-inline" },
      await auditKeyFingerprint(kept.auditPublicKey))),
    h("dt", {}, _("Head kept from the last verification")),
    h("dd", { id: "audit-kept-head" }, ngettext("%(count)s record, its hash:", "%(count)s records, the last one's hash:", kept.count), " ",
      code(kept.lastHash)));
}

function verifySection(state) {
  const kept = h("div", {}, h("p", { className: "hint" }, _("Loading…")));
  const refreshKept = () => keptView(state).then((view) => kept.replaceChildren(view));
  refreshKept();
  const bar = h("progress", { id: "verify-progress", max: "1", value: "0", hidden: true, "aria-label": _("Verification progress") });
  const error = errorLine("verify-error");
  const result = h("div", {});
  const button = h("button", { type: "button", id: "verify-everything", className: "primary", onclick: async () => {
    button.disabled = true;
    bar.hidden = false;
    result.replaceChildren();
    error.textContent = "";
    announce(_("Verifying…"));
    try {
      const { report, keep } = await verifyEverything({ get: (path) => callApi("GET", path),
        associationKey: await associationKey(state), kept: (await auditHead.get(state.vault)) ?? null,
        progress: (part) => { bar.value = part; } });
      if (keep) await auditHead.put(state.vault, keep);
      await refreshKept();
      result.replaceChildren(reportView(report.toJson()));
      announce(report.ok ? _("Every check holds.") : _("Verification found failures."));
    } catch (problem) {
      announce("");
      error.textContent = problem instanceof ApiProblem ? problem.message : _("The verification could not run: %(error)s", { error: String(problem) });
    } finally {
      button.disabled = false;
      bar.hidden = true;
    }
  } }, _("Verify everything"));
  return h("section", { "aria-labelledby": "verify-title" }, h("h2", { id: "verify-title" }, _("Verify everything")),
    h("p", { className: "hint" }, _("This browser fetches every case's ciphertext, the roster and the audit log, and checks them under the association key pinned on this device. No case key is used and nothing is decrypted.")),
    kept, button, bar, error, result);
}

// The screen -----------------------------------------------------------------------------------

/** The auditor's home; `app` gives the shell's parts: header(), settings(), home(). */
export function auditHome(state, app) {
  loadPeopleNames();
  show(app.header(), h("section", { className: "card" },
    h("h1", {}, _("Audit")),
    h("p", { className: "hint" }, _("You see what the server holds and verify it. No case key reaches this device.")),
    verifySection(state), ...inventorySections(), logSection(),
    h("div", { className: "actions" },
      h("button", { type: "button", id: "lock-now", onclick: () => lock("asked") }, _("Lock")),
      h("button", { type: "button", id: "open-fingerprint", onclick: () => fingerprintScreen(state, app.home) }, _("My fingerprint")),
      h("button", { type: "button", id: "open-settings", onclick: app.settings }, _("Settings")))));
}
