// The kinds of record the device store holds, named here and nowhere else: every other module
// reads and writes them through these accessors, so a kind cannot be misspelt, and what the store
// holds is listed in one place (docs/PROTOCOL.md, "The device store").
//
//   profile  - "me": the person as the server last described them (id, email, role, team);
//   case     - by case id: a case's envelopes, the case keys this person holds, its summary;
//   summary  - by case id: what the lists, filters and search need of a case, written with it;
//   outbox   - by write order: each entry written here until the server confirms it;
//   sync     - "state": the pull cursor and last sync; "team": the team's policy;
//   roster   - "entries", "names", "status", "revocations": the directory as last fetched;
//   verified - by user id: a fingerprint compared in person (or trusted on certification);
//   upkeep   - by case id: why the membership upkeep could not keep a case up;
//   draft    - by case id or "new": an intake or an edit being typed;
//   audit    - "head": the audit log's last verified head (an auditor's device).

function keyed(kind) {
  return {
    get: (vault, id) => vault.get(kind, id),
    put: (vault, id, value) => vault.put(kind, id, value),
    list: (vault) => vault.list(kind),
    delete: (vault, id) => vault.delete(kind, id),
  };
}

function single(kind, id) {
  return {
    get: (vault) => vault.get(kind, id),
    put: (vault, value) => vault.put(kind, id, value),
  };
}

export const profile = single("profile", "me");
const cases = keyed("case");
const summaries = keyed("summary");

// What the lists, their filters and search, and the engine's passes need of a case, so that none
// of them opens the case record (its envelopes and keys): kept beside it, sealed like it.
export function summaryOf(record) {
  return { ...record.summary, id: record.id, updated: record.updated, created: record.created,
    pending: record.pending ?? 0, refused: record.refused?.length ?? 0, setAside: Boolean(record.setAside),
    removed: Boolean(record.removed) };
}

// A case record and its summary change together, in one transaction.
export const caseRecords = {
  get: cases.get,
  list: cases.list,
  ids: (vault) => vault.ids("case"),
  put: (vault, id, record) => vault.putTogether([["case", id, record], ["summary", id, summaryOf(record)]]),
  delete: (vault, id) => vault.deleteTogether([["case", id], ["summary", id]]),
};

/** Every case's summary, without opening a case record; a case kept before summaries gets one now. */
export async function caseSummaries(vault) {
  const found = new Map(await summaries.list(vault));
  const held = [];
  for (const id of await vault.ids("case")) {
    if (!found.has(id)) {
      const summary = summaryOf(await cases.get(vault, id));
      await summaries.put(vault, id, summary);
      found.set(id, summary);
    }
    held.push(found.get(id));
  }
  return held;
}
export const outbox = keyed("outbox");
export const syncProgress = single("sync", "state");
export const teamPolicy = single("sync", "team");
export const rosterEntries = single("roster", "entries");
export const rosterNamesRecord = single("roster", "names");
export const rosterStatusRecord = single("roster", "status");
export const rosterRevocations = single("roster", "revocations");
export const verifiedMarks = keyed("verified");
export const upkeepNotes = keyed("upkeep");
export const drafts = keyed("draft");
export const auditHead = single("audit", "head");

let outboxSequence = 0;

// The outbox: every entry written here waits in the device store until the server confirms it.
// Keys sort in the order entries were written, so each device chain is pushed in order.
export async function queueEntries(vault, caseId, envelopes) {
  for (const envelope of envelopes) {
    outboxSequence += 1;
    const key = `${String(Date.now()).padStart(15, "0")}-${String(outboxSequence).padStart(6, "0")}`;
    await outbox.put(vault, key, { caseId, envelope });
  }
}

// Where the pull stands: the server's cursor and the time of the last sync that went through.
export async function syncState(vault) {
  return (await syncProgress.get(vault)) ?? { cursor: 0, lastSync: null };
}
