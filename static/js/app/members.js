// A coordinator's screens of a case's members, and "My team" with the comparison of
// fingerprints in person. What they do is sync/membership.js: every grant goes to a key this
// device holds as "verified"; a person whose certified key changed since is shown loudly and
// gets nothing until compared again.

import { _, formatDate, isolate, ngettext } from "../i18n.js";
import { b64urlEncode, bytesKey, hexDecode, pendingReseals, Role, spokenFingerprint } from "../protocol/index.js";
import { openCaseLog } from "../store/cases.js";
import { NotCertified, rosterNames } from "../store/roster.js";
import {
  addMember, epochStart, markVerified, NotVerified, reencryptCase, removeMember, rotateKey, standing, teamPeople,
} from "../sync/membership.js";
import { fingerprintScreen } from "./people.js";
import { scanControl } from "./scan.js";
import { announce, errorLine, field, h, show } from "./ui.js";

function standingText(code) {
  return {
    roster: _("The roster from the server does not verify: nothing is given to anyone until it does. Tell an administrator."),
    verified: _("Fingerprint compared."),
    disabled: _("This account is disabled on the server: it gets no case."),
    unverified: _("Fingerprint not compared yet: compare it before giving a case."),
    changed: _("This person's keys changed since you compared them. Nothing can be given to them until you compare again."),
  }[code];
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
      h("strong", {}, h("bdi", {}, known[id] ?? "?")), " · ", entry.role === Role.COORDINATOR ? _("Coordinator") : _("Volunteer"),
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
      date: formatDate(epochStart(log)), epoch: log.state.epoch })),
    h("div", { className: "actions" },
      h("button", { type: "button", id: "rotate-key", onclick: act(() => rotateKey(state, caseId), _("The case key was changed.")) },
        _("Change the case key")),
      h("button", { type: "button", id: "reencrypt", onclick: reencrypt },
        pending ? ngettext("Continue re-encryption (%(count)s entry left)", "Continue re-encryption (%(count)s entries left)", pending) : _("Re-encrypt the whole case"))),
    bar, error);
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
    h("strong", {}, h("bdi", {}, person.name)), " · ", person.entry.role === Role.COORDINATOR ? _("Coordinator") : _("Volunteer"),
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
