// A coordinator's side of a case: who is a member, granting and removing, rotating the key, and
// re-encrypting the whole case after a suspected compromise. Every grant goes to a key this
// device holds as "verified" (compared in person, or for a volunteer's device a coordinator's
// first certified key); a person whose certified key changed since is shown loudly and gets
// nothing until compared again.

import { b64urlDecode, b64urlEncode } from "../encoding.js";
import { _, isolate } from "../i18n.js";
import {
  addMemberAsCoordinator, bytesKey, hexDecode, Kind, removeMemberAsCoordinator, resealEntryAsCoordinator, Role,
  rotateCaseKeyAsCoordinator, spokenFingerprint, TEAM_ROLES,
} from "../protocol/index.js";
import {
  changeCase, EPOCH_STARTS, keepAppended, NotCertified, openCaseLog, rosterNames, rosterPeople, rosterStatuses,
} from "./cases.js";
import { fingerprintScreen } from "./people.js";
import { scanControl } from "./scan.js";
import { announce, errorLine, field, h, show } from "./ui.js";

export class NotVerified extends Error {
  constructor(standingCode) {
    super(`cannot grant: ${standingCode}`);
    this.standing = standingCode;
  }
}

const RESEAL_BATCH = 10;

// verified: compared and unchanged; changed: compared, but the certified key is another now.
export async function standing(state, entry) {
  const mark = await state.vault.get("verified", b64urlEncode(entry.userId));
  if (!mark) return "unverified";
  return mark.fingerprint === bytesKey(await entry.fingerprint()) ? "verified" : "changed";
}

export async function markVerified(state, entry, by = "compared") {
  await state.vault.put("verified", b64urlEncode(entry.userId),
    { fingerprint: bytesKey(await entry.fingerprint()), at: Date.now(), by });
}

// A volunteer's device takes a coordinator's first certified key on the association's word;
// a later key is "changed" until compared in person (docs/PROTOCOL.md 8.10.1 item 1).
export async function trustCertification(state, entry) {
  if (!(await state.vault.get("verified", b64urlEncode(entry.userId)))) await markVerified(state, entry, "certification");
}

function standingText(code) {
  return {
    roster: _("The roster from the server does not verify: nothing is given to anyone until it does. Tell an administrator."),
    verified: _("Fingerprint compared."),
    disabled: _("This account is disabled on the server: it gets no case."),
    unverified: _("Fingerprint not compared yet: compare it before giving a case."),
    changed: _("This person's keys changed since you compared them. Nothing can be given to them until you compare again."),
  }[code];
}

// This person's latest verified roster entry; NotCertified before the association signed one.
async function myEntry(state) {
  const mine = (await rosterPeople(state)).find((entry) => b64urlEncode(entry.userId) === state.vault.userId);
  if (!mine) throw new NotCertified("no roster entry for this user");
  return mine;
}

// The people of this person's team, from the verified roster, with their standing; `disabled`
// (the server's account status) and `revoked` (their latest entry) people get no grant.
export async function teamPeople(state) {
  const mine = await myEntry(state);
  const known = await rosterNames(state);
  const statuses = await rosterStatuses(state);
  const people = [];
  for (const entry of await rosterPeople(state)) {
    if (!TEAM_ROLES.has(entry.role) || bytesKey(entry.teamId) !== bytesKey(mine.teamId)) continue;
    const id = b64urlEncode(entry.userId);
    people.push({ entry, id, name: known[id] ?? "?", standing: await standing(state, entry),
      disabled: statuses[id] === "disabled", revoked: !entry.active });
  }
  return people;
}

async function requireVerified(state, entry) {
  if (state.rosterProblem) throw new NotVerified("roster");
  if ((await rosterStatuses(state))[b64urlEncode(entry.userId)] === "disabled") throw new NotVerified("disabled");
  const code = await standing(state, entry);
  if (code !== "verified") throw new NotVerified(code);
}

export async function addMember(state, caseId, userId) {
  await changeCase(state, caseId, async (log, keys, view) => {
    const entry = view.current(b64urlDecode(userId));
    await requireVerified(state, entry);
    const envelope = await addMemberAsCoordinator(log, state.account, {
      deviceId: state.vault.device.deviceId, newMember: entry, caseKey: keys.get(log.state.epoch) });
    return { envelope };
  });
}

export async function removeMember(state, caseId, userId) {
  await changeCase(state, caseId, (log, keys) => removeMemberAsCoordinator(log, state.account, {
    deviceId: state.vault.device.deviceId, userId: b64urlDecode(userId), caseKey: keys.get(log.state.epoch) }));
}

export async function rotateKey(state, caseId, { full = false } = {}) {
  await changeCase(state, caseId, (log, keys) => rotateCaseKeyAsCoordinator(log, state.account, {
    deviceId: state.vault.device.deviceId, caseKey: keys.get(log.state.epoch), full }));
}

// Content entries older than the latest full re-encryption that have no reseal for it yet:
// what is left to do. The log itself is the progress, so an interrupted run resumes.
export function pendingReseals(log) {
  const { fullEpoch } = log.state;
  if (!fullEpoch) return [];
  const done = new Set(log.entries.filter((v) => v.entry.header.kind === Kind.RESEAL
    && log.states[v.base].fullEpoch === fullEpoch).map((v) => bytesKey(v.ref)));
  return log.entries.filter((v) => v.entry.header.kind === Kind.CONTENT && v.entry.header.epoch < fullEpoch
    && !done.has(bytesKey(v.hash)));
}

// Full re-encryption (docs/PROTOCOL.md 8.9): an unlinked rotation, then every older content
// entry sealed again under the new key, a batch at a time, each batch kept and queued at once.
// The log is verified and opened once; each batch extends it in memory.
export async function reencryptCase(state, caseId, { progress = () => {} } = {}) {
  if (!pendingReseals((await openCaseLog(state, caseId)).log).length) await rotateKey(state, caseId, { full: true });
  const { record, log, keys } = await openCaseLog(state, caseId);
  const bodies = await log.openWith(keys);
  const pending = pendingReseals(log);
  const total = log.entries.filter((v) => v.entry.header.kind === Kind.CONTENT && v.entry.header.epoch < log.state.fullEpoch).length;
  let done = total - pending.length;
  for (let start = 0; start < pending.length; start += RESEAL_BATCH) {
    const written = [];
    for (const verified of pending.slice(start, start + RESEAL_BATCH)) {
      written.push(await resealEntryAsCoordinator(log, state.account, {
        deviceId: state.vault.device.deviceId, caseKey: keys.get(log.state.epoch), contentHash: verified.hash,
        bodyJson: bodies.get(bytesKey(verified.hash)) }));
    }
    await keepAppended(state, record, written);
    done += written.length;
    progress(done, total);
  }
  progress(total, total);
}

// The screen's section --------------------------------------------------------------------------

export async function membersSection(state, caseId, redraw) {
  const { log } = await openCaseLog(state, caseId);
  const known = await rosterNames(state);
  const error = errorLine("members-error");
  const act = (work, done) => async (event) => {
    event.target.disabled = true;
    error.textContent = "";
    try {
      await work();
      announce(done);
      await redraw();
    } catch (problem) {
      event.target.disabled = false;
      error.textContent = problem instanceof NotVerified ? standingText(problem.standing) : _("This change could not be made on this device.");
    }
  };
  const me = state.vault.userId;
  const rows = [];
  for (const [key, entry] of log.state.members) {
    const id = b64urlEncode(hexDecode(key));
    const code = await standing(state, entry);
    rows.push(h("li", { "data-member": id, "data-standing": code },
      h("strong", {}, known[id] ?? "?"), " · ", entry.role === Role.COORDINATOR ? _("Coordinator") : _("Volunteer"),
      code !== "verified" && id !== me ? h("p", { className: code === "changed" ? "status-warning" : "hint", role: code === "changed" ? "alert" : null }, standingText(code)) : null,
      id !== me ? h("button", { type: "button", className: "danger", onclick: act(() => removeMember(state, caseId, id),
        _("Removed; the case key was changed.")) }, _("Remove from the case")) : null));
  }
  const members = new Set(log.state.members.keys());
  const candidates = (await teamPeople(state))
    .filter((p) => !members.has(bytesKey(p.entry.userId)) && !p.disabled && !p.revoked);
  const choice = h("select", {}, candidates.map((p) =>
    h("option", { value: p.id }, `${isolate(p.name)}${p.standing === "verified" ? "" : ` (${_("not compared")})`}`)));
  const pending = pendingReseals(log).length;
  const bar = h("progress", { id: "reencrypt-progress", max: "1", value: "0", hidden: true, "aria-label": _("Re-encryption progress") });
  const reencrypt = act(async () => {
    bar.hidden = false;
    await reencryptCase(state, caseId, { progress: (done, total) => { bar.value = total ? done / total : 1; } });
  }, _("Every entry of the case is sealed under a new key."));
  return h("section", { className: "members", "aria-labelledby": "members-title" },
    h("h2", { id: "members-title" }, _("Members")),
    state.rosterProblem ? h("p", { className: "status-warning", role: "alert" }, _("The roster from the server does not verify: nothing is given to anyone until it does. Tell an administrator.")) : null,
    h("ul", { className: "people-list", id: "case-members" }, rows),
    candidates.length ? h("div", { className: "add-member" }, field("add-member-choice", _("Add a member"), choice),
      h("button", { type: "button", id: "add-member", onclick: act(() => addMember(state, caseId, choice.value),
        _("Added to the case.")) }, _("Add"))) : null,
    h("p", { className: "hint" }, _("Key in use since %(date)s (key number %(epoch)s).", {
      date: new Date(epochStart(log)).toLocaleDateString(), epoch: log.state.epoch })),
    h("div", { className: "actions" },
      h("button", { type: "button", id: "rotate-key", onclick: act(() => rotateKey(state, caseId), _("The case key was changed.")) },
        _("Change the case key")),
      h("button", { type: "button", id: "reencrypt", onclick: reencrypt },
        pending ? _("Continue re-encryption (%(count)s entries left)", { count: pending }) : _("Re-encrypt the whole case"))),
    bar, error);
}

// When the current epoch began: the time of the entry that started it.
export function epochStart(log) {
  const starts = log.entries.filter((v) => EPOCH_STARTS.has(v.entry.header.kind));
  return starts[starts.length - 1].entry.header.time;
}

// A team's schedule: each case this coordinator is a member of whose key is older than the
// policy gets a new one. Run before a push, so the rotations leave with the same sync. The
// summaries say which cases are due; only those are opened.
export async function rotateDueCases(state, rotationDays, now = Date.now()) {
  if (!rotationDays || state.profile?.role !== "coordinator") return 0;
  const due = (await state.vault.list("case"))
    .filter(([, record]) => now - (record.summary.keySince ?? 0) >= rotationDays * 24 * 3600 * 1000);
  let rotated = 0;
  for (const [id] of due) {
    const { log } = await openCaseLog(state, id);
    if (!log.state.members.has(bytesKey(b64urlDecode(state.vault.userId)))) continue;
    await rotateKey(state, id);
    rotated += 1;
  }
  return rotated;
}

// Comparing a person's fingerprint in person, from the verified roster entry on this device.
export async function compareScreen(state, person, back) {
  const spoken = spokenFingerprint(await person.entry.fingerprint());
  show(h("section", { className: "card narrow" },
    h("h1", {}, _("Compare fingerprints")),
    h("p", {}, _("Ask %(name)s to open “My fingerprint” in their app and read it to you. Mark it compared only if every digit matches.", { name: person.name })),
    h("p", { className: "fingerprint", dir: "ltr", id: "compare-fingerprint" }, spoken),
    scanControl(spoken, { onMatch: () => document.getElementById("mark-verified").click() }),
    h("div", { className: "actions" },
      h("button", { type: "button", className: "primary", id: "mark-verified", onclick: async () => {
        await markVerified(state, person.entry);
        announce(_("%(name)s: fingerprint compared.", { name: person.name }));
        back();
      } }, _("They match")),
      h("button", { type: "button", onclick: back }, _("Back")))));
}

function leftText(person) {
  if (person.revoked) return _("Certification revoked: this person gets no case.");
  return person.disabled ? _("Account disabled: this person gets no case and is removed from every case.") : null;
}

function personRow(state, person, back) {
  const left = leftText(person);
  return h("li", { "data-person": person.id, "data-standing": person.standing, "data-left": left ? "yes" : null },
    h("strong", {}, person.name), " · ", person.entry.role === Role.COORDINATOR ? _("Coordinator") : _("Volunteer"),
    left ? h("p", { className: "status-warning" }, left) : null,
    h("p", { className: person.standing === "changed" ? "status-warning" : "hint", role: person.standing === "changed" ? "alert" : null },
      standingText(person.standing)),
    person.standing !== "verified" && !left ? h("button", { type: "button", className: "primary",
      onclick: () => compareScreen(state, person, back) }, _("Compare fingerprints")) : null);
}

// "My team": a coordinator's team, or a volunteer's team coordinators (read only), with the
// comparison in person; before this person is certified, what to do instead.
export async function teamScreen(state, home) {
  const back = () => teamScreen(state, home);
  let people;
  try {
    people = (await teamPeople(state)).filter((p) => p.id !== state.vault.userId);
  } catch (error) {
    if (!(error instanceof NotCertified)) throw error;
    return show(h("section", { className: "card narrow", id: "team-not-certified" }, h("h1", {}, _("My team")),
      h("p", {}, _("You are not certified yet. Show your fingerprint to an administrator; your team appears here once they have certified you.")),
      h("div", { className: "actions" },
        h("button", { type: "button", className: "primary", id: "team-open-fingerprint",
          onclick: () => fingerprintScreen(state, back) }, _("My fingerprint")),
        h("button", { type: "button", onclick: home }, _("Back")))));
  }
  if (state.profile?.role !== "coordinator") people = people.filter((p) => p.entry.role === Role.COORDINATOR);
  show(h("section", { className: "card" }, h("h1", {}, _("My team")),
    state.rosterProblem ? h("p", { className: "status-warning", role: "alert" }, _("The roster from the server does not verify: nothing is given to anyone until it does. Tell an administrator.")) : null,
    people.length ? null : h("p", { className: "hint" }, _("Your team has no certified coordinator yet.")),
    h("ul", { className: "people-list", id: "team-people" }, people.map((p) => personRow(state, p, back))),
    h("button", { type: "button", onclick: home }, _("Back"))));
}
