// The device's membership upkeep at each sync (docs/PROTOCOL.md 8.8 item 3 and 8.10.1): every
// case this device can manage is shared with the team's certified coordinators, leavers are
// removed, and a person whose keys were reset is granted again once compared. Each change goes
// through the same paths as one made by hand (kept in the case, queued), so it leaves with the
// push of the same sync. A case that cannot be kept up is noted and skipped; the sync goes on.

import { b64urlDecode, b64urlEncode, bytesKey, hexDecode, Kind, revocationOf, Role, TEAM_ROLES } from "../protocol/index.js";
import { openCaseLog } from "../store/cases.js";
import { caseSummaries, upkeepNotes } from "../store/records.js";
import { knownRevocations, rosterPeople, rosterStatuses } from "../store/roster.js";
import { addMember, removeMember, standing, trustCertification } from "./membership.js";

function sameBytes(a, b) {
  return bytesKey(a) === bytesKey(b);
}

// What the upkeep needs to know of people, read once per sync.
async function peopleFacts(state) {
  const people = await rosterPeople(state);
  return { people, byId: new Map(people.map((entry) => [b64urlEncode(entry.userId), entry])),
    statuses: await rosterStatuses(state), revocations: await knownRevocations(state), me: state.vault.userId };
}

export function isActiveCoordinatorOf(entry, teamId) {
  return entry.active && entry.role === Role.COORDINATOR && sameBytes(entry.teamId, teamId);
}

// A member who must leave (8.8 item 3): disabled on the server, or revoked after the entry the
// case pinned for them (their latest entry is revoked, or a listed revocation is newer).
export function mustLeave(pinned, facts) {
  const id = b64urlEncode(pinned.userId);
  if (facts.statuses[id] === "disabled") return true;
  const latest = facts.people.find((entry) => sameBytes(entry.userId, pinned.userId));
  return Boolean((latest && !latest.active) || revocationOf(pinned, facts.revocations));
}

// The time of the last REMOVE of a person in the log, or null.
function lastRemoval(log, userId) {
  const removals = log.entries.filter((v) => v.entry.header.kind === Kind.REMOVE && sameBytes(v.payload.userId, userId));
  return removals.length ? removals[removals.length - 1].entry.header.time : null;
}

// Removed because of a revocation (at or after its issued_at) and certified again since: a
// person whose passphrase was reset (8.10.1 item 5).
export function removedForRevocation(log, entry, facts) {
  const removed = lastRemoval(log, entry.userId);
  if (removed === null) return false;
  const revoked = facts.revocations.get(bytesKey(entry.userId)) ?? [];
  return revoked.some((r) => r.serial < entry.serial && removed >= r.issuedAt);
}

// Who this device grants the case to: active team people not disabled and not members, each
// under the comparison rule of 8.10.1 (the grant itself checks the standing again).
async function grantees(state, log, facts, coordinator) {
  const wanted = [];
  for (const entry of facts.people) {
    const id = b64urlEncode(entry.userId);
    if (id === facts.me || log.state.members.has(bytesKey(entry.userId)) || facts.statuses[id] === "disabled") continue;
    if (!entry.active || !TEAM_ROLES.has(entry.role) || !sameBytes(entry.teamId, log.state.teamId)) continue;
    // A coordinator someone took off this case stays off; only a removal for a reset is undone.
    const removed = lastRemoval(log, entry.userId) !== null;
    const reset = removed && removedForRevocation(log, entry, facts);
    const shared = isActiveCoordinatorOf(entry, log.state.teamId) && (!removed || reset);
    if (!shared && !(coordinator && reset)) continue;
    if ((await standing(state, entry)) === "verified") wanted.push(id);
  }
  return wanted;
}

// Whether the upkeep may have something to do in a case, read from its summary alone (its
// members' roles, who was ever removed, its team): the case is opened only then. Wider than
// keepCaseUp: any revocation of a member or of a candidate, and any candidate whatever their
// standing, opens it. A summary kept before it named the members' roles says nothing: opened.
export function mayNeedUpkeep(summary, facts) {
  const { roles, left = [] } = summary;
  if (!roles) return true;
  if (!Object.hasOwn(roles, facts.me)) return false;
  const revoked = (id) => facts.revocations.has(bytesKey(b64urlDecode(id)));
  const inactive = (id) => facts.byId.get(id)?.active === false;
  const coordinator = roles[facts.me] === Role.COORDINATOR;
  if (coordinator && Object.keys(roles).some((id) => id !== facts.me
    && (facts.statuses[id] === "disabled" || inactive(id) || revoked(id)))) return true;
  return [...facts.byId].some(([id, entry]) => {
    if (id === facts.me || Object.hasOwn(roles, id) || facts.statuses[id] === "disabled") return false;
    if (!entry.active || !TEAM_ROLES.has(entry.role) || b64urlEncode(entry.teamId) !== summary.team) return false;
    const removed = left.includes(id);
    const reset = removed && revoked(id);
    return (entry.role === Role.COORDINATOR && (!removed || reset)) || (coordinator && reset);
  });
}

async function keepCaseUp(state, caseId, facts) {
  const { log, keys } = await openCaseLog(state, caseId);
  const mine = log.state.members.get(bytesKey(b64urlDecode(facts.me)));
  if (!mine || !keys.has(log.state.epoch)) return 0;
  const coordinator = mine.role === Role.COORDINATOR;
  let changes = 0;
  if (coordinator) {
    for (const [key, pinned] of log.state.members) {
      if (b64urlEncode(hexDecode(key)) === facts.me || !mustLeave(pinned, facts)) continue;
      await removeMember(state, caseId, b64urlEncode(pinned.userId));
      changes += 1;
    }
  }
  for (const id of await grantees(state, log, facts, coordinator)) {
    await addMember(state, caseId, id);
    changes += 1;
  }
  return changes;
}

/**
 * Run the upkeep over every case kept here that may need it (its summary says); returns the
 * number of entries written. A failure on
 * one case is kept as a note for that case (`upkeep` records) and never stops the sync.
 */
export async function keepMembershipUp(state) {
  if (state.rosterProblem) return 0;
  const cases = await caseSummaries(state.vault);
  let facts;
  try {
    facts = await peopleFacts(state);
  } catch (error) {
    // Without the roster's facts no case can be kept up: each says so, and the sync goes on.
    for (const { id } of cases) await upkeepNotes.put(state.vault, id, { code: error.constructor.name, at: Date.now() });
    return 0;
  }
  // A volunteer's device trusts the association's certification of a coordinator the first time
  // it sees their key; a later change of key waits for a comparison in person (8.10.1 item 1).
  if (state.profile?.role === "volunteer") {
    for (const entry of facts.people) {
      if (entry.active && entry.role === Role.COORDINATOR) await trustCertification(state, entry);
    }
  }
  // A case whose upkeep failed is tried again whatever its summary says.
  const noted = new Set(await upkeepNotes.ids(state.vault));
  let changes = 0;
  for (const summary of cases) {
    const { id: caseId, setAside, removed } = summary;
    if (setAside || removed || (!noted.has(caseId) && !mayNeedUpkeep(summary, facts))) continue;
    try {
      changes += await keepCaseUp(state, caseId, facts);
      await upkeepNotes.delete(state.vault, caseId);
    } catch (error) {
      await upkeepNotes.put(state.vault, caseId, { code: error.constructor.name, at: Date.now() });
    }
  }
  return changes;
}
