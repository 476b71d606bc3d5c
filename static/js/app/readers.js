// Who can read a case, said on the case screen (docs/PROTOCOL.md 8.10.1 item 6), and what the
// membership upkeep (sync/upkeep.js) could not do for it.

import { _, formatList, isolate } from "../i18n.js";
import { b64urlEncode, Role } from "../protocol/index.js";
import { openCaseLog } from "../store/cases.js";
import { caseRecords, upkeepNotes } from "../store/records.js";
import { rosterNames, rosterPeople } from "../store/roster.js";
import { isActiveCoordinatorOf } from "../sync/upkeep.js";
import { h } from "./ui.js";

// Who can read a case, said on the case screen (8.10.1 item 6): its members by name, and, while
// the team has no certified coordinator, that the case waits for one.
export async function readersNote(state, caseId) {
  const { log } = await openCaseLog(state, caseId);
  const names = await rosterNames(state);
  const me = state.vault.userId;
  const others = [...log.state.members.values()].filter((entry) => b64urlEncode(entry.userId) !== me)
    .map((entry) => {
      const name = names[b64urlEncode(entry.userId)] ?? "?";
      return entry.role === Role.COORDINATOR ? _("%(name)s (coordination)", { name }) : isolate(name);
    });
  const coordinators = (await rosterPeople(state)).filter((entry) => isActiveCoordinatorOf(entry, log.state.teamId));
  const alone = !others.length && !coordinators.length;
  const you = _("you");
  const note = await upkeepNotes.get(state.vault, caseId);
  const refusedGrants = Object.keys((await caseRecords.get(state.vault, caseId))?.refusedGrants ?? {});
  return h("div", { id: "case-readers" },
    h("p", { className: alone ? "notice" : "hint" }, alone
      ? _("Only you can read this case for now: it will be shared with your team's coordination as soon as it is certified.")
      : _("Readable by: %(names)s", { names: formatList([you, ...others]) })),
    note ? h("p", { className: "status-warning", role: "status" },
      _("This device could not update who can read this case at the last sync; it will try again at the next one.")) : null,
    refusedGrants.map((id) => h("p", { className: "status-warning", role: "alert", "data-refused-grant": id },
      _("The server refused to give this case to %(name)s: their account is disabled.", { name: names[id] ?? "?" }))));
}
