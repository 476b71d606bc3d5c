// A coordinator's side of a case: who is a member, granting and removing, rotating the key, and
// re-encrypting the whole case after a suspected compromise; and the team's scheduled rotation.
// The screens are app/members.js. Every grant goes to a key this
// device holds as "verified" (compared in person, or for a volunteer's device a coordinator's
// first certified key); a person whose certified key changed since is shown loudly and gets
// nothing until compared again.

import {
  addMemberAsCoordinator, b64urlDecode, b64urlEncode, bytesKey, Kind, pendingReseals, removeMemberAsCoordinator,
  resealPendingAsCoordinator, rotateCaseKeyAsCoordinator, TEAM_ROLES,
} from "../protocol/index.js";
import { changeCase, EPOCH_STARTS, keepAppended, openCaseLog } from "../store/cases.js";
import { caseSummaries, verifiedMarks } from "../store/records.js";
import { NotCertified, rosterNames, rosterPeople, rosterStatuses } from "../store/roster.js";

export class NotVerified extends Error {
  constructor(standingCode) {
    super(`cannot grant: ${standingCode}`);
    this.standing = standingCode;
  }
}

const RESEAL_BATCH = 10;

// verified: compared and unchanged; changed: compared, but the certified key is another now.
export async function standing(state, entry) {
  const mark = await verifiedMarks.get(state.vault, b64urlEncode(entry.userId));
  if (!mark) return "unverified";
  return mark.fingerprint === bytesKey(await entry.fingerprint()) ? "verified" : "changed";
}

export async function markVerified(state, entry, by = "compared") {
  await verifiedMarks.put(state.vault, b64urlEncode(entry.userId),
    { fingerprint: bytesKey(await entry.fingerprint()), at: Date.now(), by });
}

// A volunteer's device takes a coordinator's first certified key on the association's word;
// a later key is "changed" until compared in person (docs/PROTOCOL.md 8.10.1 item 1).
export async function trustCertification(state, entry) {
  if (!(await verifiedMarks.get(state.vault, b64urlEncode(entry.userId)))) await markVerified(state, entry, "certification");
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

// Full re-encryption (docs/PROTOCOL.md 8.9): an unlinked rotation, then every older content
// entry sealed again under the new key by the protocol's writer, a batch at a time, each batch
// kept and queued at once. The log is verified and opened once; each batch extends it in memory.
// What is left is read from the log (pendingReseals), so an interrupted run resumes.
export async function reencryptCase(state, caseId, { progress = () => {} } = {}) {
  if (!pendingReseals((await openCaseLog(state, caseId)).log).length) await rotateKey(state, caseId, { full: true });
  const { record, log, keys } = await openCaseLog(state, caseId);
  const bodies = await log.openWith(keys);
  const total = log.entries.filter((v) => v.entry.header.kind === Kind.CONTENT && v.entry.header.epoch < log.state.fullEpoch).length;
  let done = total - pendingReseals(log).length;
  while (done < total) {
    const written = await resealPendingAsCoordinator(log, state.account, {
      deviceId: state.vault.device.deviceId, caseKey: keys.get(log.state.epoch), bodies, limit: RESEAL_BATCH });
    if (!written.length) break;
    await keepAppended(state, record, written);
    done += written.length;
    progress(done, total);
  }
  progress(total, total);
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
  const due = (await caseSummaries(state.vault))
    .filter((summary) => now - (summary.keySince ?? 0) >= rotationDays * 24 * 3600 * 1000);
  let rotated = 0;
  // Each due case is verified once: the rotation extends the log kept while unlocked.
  for (const { id } of due) {
    const { log } = await openCaseLog(state, id);
    if (!log.state.members.has(bytesKey(b64urlDecode(state.vault.userId)))) continue;
    await rotateKey(state, id);
    rotated += 1;
  }
  return rotated;
}
