// The kinds of record the device store holds, named here and nowhere else: every other module
// reads and writes them through these accessors, so a kind cannot be misspelt, and what the store
// holds is listed in one place (docs/PROTOCOL.md, "The device store").
//
//   profile  - "me": the person as the server last described them (id, email, role, team);
//   case     - by case id: a case's record: the case keys this person holds, its summary, the
//              stamps of its pages of envelopes;
//   entries  - by case id and place: a page of a case's envelopes (ciphertext and signatures);
//   summary  - by case id: what the lists, filters and search need of a case, written with it;
//   outbox   - by write order: each entry written here until the server confirms it;
//   sync     - "state": the pull cursor and last sync; "team": the team's policy; "measures": the
//              team's table of measures, confirmed and pending (store/measures.js);
//   roster   - "entries", "names", "status", "revocations": the directory as last fetched;
//   verified - by user id: a fingerprint compared in person (or trusted on certification);
//   upkeep   - by case id: why the membership upkeep could not keep a case up;
//   draft    - by case id or "new": an intake being typed (its values), or an edit (the fields
//              changed, each with the version it was based on: store/edit-drafts.js), with its
//              new deadlines, the step shown and when it was last saved;
//   audit    - "head": the audit log's last verified head (an auditor's device).

import { RecordTampered } from "./vault.js";

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
const pages = keyed("entries");
const summaries = keyed("summary");

// What the lists, their filters and search, and the engine's passes need of a case, so that none
// of them opens the case record (its envelopes and keys): kept beside it, sealed like it.
export function summaryOf(record) {
  return { ...record.summary, id: record.id, updated: record.updated, created: record.created,
    pending: record.pending ?? 0, refused: record.refused?.length ?? 0, setAside: Boolean(record.setAside),
    removed: Boolean(record.removed) };
}

// A case's envelopes are kept in pages of this many, each its own sealed record named by the
// case and the page's place, and the case record names each page's stamp (random, new at each
// write of the page). Appending to a case writes its last page, its record and its summary,
// whatever the number of entries; a page whose stamp is not the record's is refused.
const PAGE_ENTRIES = 64;
// The pages read or written while unlocked, by case id, per store (they go with it at lock).
const pageCache = new WeakMap();

function pagesOf(vault) {
  if (!pageCache.has(vault)) pageCache.set(vault, new Map());
  return pageCache.get(vault);
}

function samePage(page, envelopes) {
  return page?.envelopes.length === envelopes.length && page.envelopes.every((envelope, i) => envelope === envelopes[i]);
}

function newStamp() {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function getCase(vault, id) {
  const head = await cases.get(vault, id);
  // A record written before pages holds its envelopes itself.
  if (!head?.stamps) return head;
  const known = pagesOf(vault).get(id) ?? [];
  const read = [];
  for (const [index, stamp] of head.stamps.entries()) {
    let page = known[index];
    if (page?.stamp !== stamp) page = await pages.get(vault, `${id}:${index}`);
    if (page?.stamp !== stamp) throw new RecordTampered(`page ${index} of a case is not the one its record names`);
    read.push(page);
  }
  pagesOf(vault).set(id, read);
  const { stamps, ...record } = head;
  return { ...record, envelopes: read.flatMap((page) => page.envelopes) };
}

let outboxSequence = 0;

// The outbox: every entry written here waits in the device store until the server confirms it.
// Keys sort in the order entries were written, so each device chain is pushed in order.
function outboxItems(caseId, envelopes) {
  return envelopes.map((envelope) => {
    outboxSequence += 1;
    const key = `${String(Date.now()).padStart(15, "0")}-${String(outboxSequence).padStart(6, "0")}`;
    return ["outbox", key, { caseId, envelope }];
  });
}

export async function queueEntries(vault, caseId, envelopes) {
  await vault.putTogether(outboxItems(caseId, envelopes));
}

// `known`: the case's pages as stored (none for a new case); `queued`: envelopes to put in the
// outbox in the same transaction, so that a case and what waits to be sent of it change together.
async function writeCase(vault, id, record, known, queued) {
  const written = [];
  const items = [];
  for (let start = 0; start < record.envelopes.length; start += PAGE_ENTRIES) {
    const envelopes = record.envelopes.slice(start, start + PAGE_ENTRIES);
    let page = known[written.length];
    if (!samePage(page, envelopes)) {
      page = { stamp: newStamp(), envelopes };
      items.push(["entries", `${id}:${written.length}`, page]);
    }
    written.push(page);
  }
  // Pages past the new end (a rebase can shorten the pending part) go in the same transaction.
  const stale = known.slice(written.length).map((_page, index) => ["entries", `${id}:${written.length + index}`]);
  const { envelopes, ...head } = record;
  items.push(["case", id, { ...head, stamps: written.map((page) => page.stamp) }], ["summary", id, summaryOf(record)],
    ...outboxItems(id, queued));
  await vault.putTogether(items, stale);
  pagesOf(vault).set(id, written);
}

async function putCase(vault, id, record, queued = []) {
  const known = pagesOf(vault).get(id) ?? (await getCase(vault, id), pagesOf(vault).get(id)) ?? [];
  await writeCase(vault, id, record, known, queued);
}

// A case leaves with everything of it: its pages, its summary, and an edit's draft of it (whose
// values would otherwise stay on the device after the case is gone), in one transaction.
async function deleteCase(vault, id) {
  const head = await cases.get(vault, id);
  const stale = (head?.stamps ?? []).map((_stamp, index) => ["entries", `${id}:${index}`]);
  await vault.putTogether([], [["case", id], ["summary", id], ["draft", id], ...stale]);
  pagesOf(vault).delete(id);
}

// A case record, its pages and its summary change together, in one transaction.
export const caseRecords = {
  get: getCase,
  ids: (vault) => vault.ids("case"),
  // A case just made: nothing stored to compare its pages with.
  create: (vault, id, record, queued = []) => writeCase(vault, id, record, [], queued),
  put: putCase,
  delete: deleteCase,
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
export const teamMeasures = single("sync", "measures");
export const rosterEntries = single("roster", "entries");
export const rosterNamesRecord = single("roster", "names");
export const rosterStatusRecord = single("roster", "status");
export const rosterRevocations = single("roster", "revocations");
export const verifiedMarks = keyed("verified");
export const upkeepNotes = keyed("upkeep");
export const drafts = keyed("draft");
export const auditHead = single("audit", "head");

// Where the pull stands: the server's cursor and the time of the last sync that went through.
export async function syncState(vault) {
  return (await syncProgress.get(vault)) ?? { cursor: 0, lastSync: null };
}
