// A disabled account on this device (docs/PROTOCOL.md 8.12, "A disabled account"). When the
// server answers `account-disabled`, the device notes it in its device record, keeps only the
// work the server does not hold yet (sealed, unsent, unopened), and offers nothing new until a
// sync finds the account enabled again. The screens are app/disabled.js.

import { caseRecords, caseSummaries, drafts, outbox, syncProgress, syncState } from "../store/records.js";
import { updateDevice } from "../store/vault.js";
import { ApiProblem } from "./api.js";

export function isAccountDisabled(problem) {
  return problem instanceof ApiProblem && problem.code === "account-disabled";
}

export function accountDisabled(state) {
  return Boolean(state.vault.device.accountDisabled);
}

// The cases this device holds work of that the server lacks, with how many entries wait in each:
// unsent, refused, or in a case set aside.
export async function unsentWork(state) {
  const waiting = new Map();
  for (const [, item] of await outbox.list(state.vault)) waiting.set(item.caseId, (waiting.get(item.caseId) ?? 0) + 1);
  const cases = [];
  for (const summary of await caseSummaries(state.vault)) {
    const count = (waiting.get(summary.id) ?? 0) + summary.refused;
    if (count || summary.pending || summary.setAside) {
      cases.push({ id: summary.id, count, created: summary.created, setAside: summary.setAside });
    }
  }
  return cases;
}

// Every case the server holds whole leaves the device, whatever the team's retention: nothing is
// lost, and a disabled person's phone, lost or taken, then holds only what it alone has.
export async function leaveDevice(state) {
  // An edit's draft is work the server lacks too: its case stays with it.
  const kept = new Set([...(await unsentWork(state)).map((item) => item.id),
    ...(await drafts.list(state.vault)).map(([id]) => id)]);
  await caseRecords.deleteMany(state.vault, (await caseRecords.ids(state.vault)).filter((id) => !kept.has(id)));
  // Pulled again from the start once the account is enabled: the cases removed here come back.
  await syncProgress.put(state.vault, { ...(await syncState(state.vault)), cursor: 0 });
  state.vault.device = await updateDevice(state.vault, { accountDisabled: { at: Date.now() } });
}

// The server took a session again: the account is enabled, everything works as before.
export async function accountEnabled(state) {
  if (!accountDisabled(state)) return;
  state.vault.device = await updateDevice(state.vault, { accountDisabled: null });
}
