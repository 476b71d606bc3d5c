// The kinds of record the device store holds, named here and nowhere else: every other module
// reads and writes them through these accessors, so a kind cannot be misspelt, and what the store
// holds is listed in one place (docs/PROTOCOL.md, "The device store").
//
//   profile  - "me": the person as the server last described them (id, email, role, team);
//   case     - by case id: a case's record: the case keys this person holds, its summary, the
//              stamps of its pages of envelopes;
//   entries  - by case id and place: a page of a case's envelopes (ciphertext and signatures);
//   shelf    - by the first character of case ids: the summaries of those cases (what the lists,
//              filters and search need of a case), each written with its case;
//   summary  - by case id: one case's summary, as stores kept them before shelves (read once, at
//              unlock, onto the shelves, then deleted);
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

import { equalBytes } from "../protocol/index.js";
import { RecordChanged, RecordTampered } from "./vault.js";

function keyed(kind) {
  return {
    get: (vault, id) => vault.get(kind, id),
    put: (vault, id, value) => vault.put(kind, id, value),
    list: (vault) => vault.list(kind),
    ids: (vault) => vault.ids(kind),
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
// Per-case summary records, from before shelves: only read to move them onto the shelves.
const oldSummaries = keyed("summary");

// What the lists, their filters and search, and the engine's passes need of a case, so that none
// of them opens the case record (its envelopes and keys): kept beside it, sealed like it.
export function summaryOf(record) {
  return { ...record.summary, id: record.id, updated: record.updated, created: record.created,
    pending: record.pending ?? 0, refused: record.refused?.length ?? 0, setAside: Boolean(record.setAside),
    removed: Boolean(record.removed) };
}

// Summaries are kept many to a sealed record, a shelf: a case's shelf is the first character of
// its id (base64url of random bytes, so cases spread evenly over 64 shelves). Listing opens at
// most 64 records however many cases the device holds (one record per case cost 10,000 AES-GCM
// opens and JSON parses on a slow phone, seconds). The price: a change to a case seals its whole
// shelf again, in the same transaction as the case record, about a 64th of the summaries (some
// 160 at 10,000 cases, a few at a hundred). Shelves named by the id need no index of which shelf
// holds which case, and never split or merge.
const SHELVES_KEPT = "shelves";

function shelfOf(caseId) {
  return caseId.slice(0, 1);
}

// The shelves opened while unlocked, by key: {nonce, summaries: Map by case id}. The nonce is the
// stored record's (new at each write): a shelf whose record still has it is not opened again.
function keptShelves(vault) {
  if (!vault.kept.has(SHELVES_KEPT)) vault.kept.set(SHELVES_KEPT, new Map());
  return vault.kept.get(SHELVES_KEPT);
}

function keepShelf(vault, key, nonce, summaries) {
  const shelf = { nonce, summaries };
  keptShelves(vault).set(key, shelf);
  return shelf;
}

// `record`: the shelf as stored (undefined when there is none).
async function openShelf(vault, key, record) {
  const known = keptShelves(vault).get(key);
  if (!record) {
    keptShelves(vault).delete(key);
    return { nonce: null, summaries: new Map() };
  }
  if (known && equalBytes(known.nonce, record.nonce)) return known;
  // Frozen: the lists get these very objects, and a change to one would reach the next write.
  const summaries = (await vault.openRecord(record)).map((summary) => Object.freeze(summary));
  return keepShelf(vault, key, record.nonce, new Map(summaries.map((summary) => [summary.id, summary])));
}

// Summaries changed (`[caseId, summary]` each; summary null for a case that goes) written with
// `items` and `deletions` in one transaction. Each shelf is read just before, and the transaction
// checks it is still the one read: written in between (another tab), it is read again.
async function shelve(vault, changes, items = [], deletions = []) {
  const byShelf = new Map();
  for (const [id, summary] of changes) {
    if (!byShelf.has(shelfOf(id))) byShelf.set(shelfOf(id), []);
    byShelf.get(shelfOf(id)).push([id, summary]);
  }
  for (let attempt = 1; ; attempt += 1) {
    const next = new Map();
    const unchanged = [];
    for (const [key, changed] of byShelf) {
      const shelf = await openShelf(vault, key, await vault.getSealed("shelf", key));
      const summaries = new Map(shelf.summaries);
      for (const [id, summary] of changed) {
        if (summary) summaries.set(id, Object.freeze(summary));
        else summaries.delete(id);
      }
      next.set(key, summaries);
      unchanged.push(["shelf", key, shelf.nonce]);
    }
    const full = [...next].filter(([, summaries]) => summaries.size);
    const emptied = [...next].filter(([, summaries]) => !summaries.size).map(([key]) => ["shelf", key]);
    let sealed;
    try {
      sealed = await vault.putTogether([...items, ...full.map(([key, summaries]) => ["shelf", key, [...summaries.values()]])],
        [...deletions, ...emptied], unchanged);
    } catch (error) {
      if (error instanceof RecordChanged && attempt < 5) continue;
      throw error;
    }
    const nonces = new Map(sealed.filter((record) => record.kind === "shelf").map((record) => [record.id, record.nonce]));
    for (const [key, summaries] of full) keepShelf(vault, key, nonces.get(`shelf:${key}`), summaries);
    for (const [, key] of emptied) keptShelves(vault).delete(key);
    return;
  }
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
  items.push(["case", id, { ...head, stamps: written.map((page) => page.stamp) }], ...outboxItems(id, queued));
  await shelve(vault, [[id, summaryOf(record)]], items, stale);
  pagesOf(vault).set(id, written);
}

async function putCase(vault, id, record, queued = []) {
  const known = pagesOf(vault).get(id) ?? (await getCase(vault, id), pagesOf(vault).get(id)) ?? [];
  await writeCase(vault, id, record, known, queued);
}

// Cases that leave the device (retention, a disabled account) go with everything of theirs: their
// records, pages, places on the shelves and an edit's draft of them (whose values would otherwise
// stay on the device after the case is gone), in one transaction.
async function deleteCases(vault, ids) {
  if (!ids.length) return;
  const deletions = [];
  for (const id of ids) {
    const head = await cases.get(vault, id);
    deletions.push(["case", id], ["draft", id],
      ...(head?.stamps ?? []).map((_stamp, index) => ["entries", `${id}:${index}`]));
  }
  await shelve(vault, ids.map((id) => [id, null]), [], deletions);
  for (const id of ids) pagesOf(vault).delete(id);
}

// A case record, its pages and its summary change together, in one transaction.
export const caseRecords = {
  get: getCase,
  ids: (vault) => vault.ids("case"),
  // A case just made: nothing stored to compare its pages with.
  create: (vault, id, record, queued = []) => writeCase(vault, id, record, [], queued),
  put: putCase,
  delete: (vault, id) => deleteCases(vault, [id]),
  deleteMany: deleteCases,
};

/**
 * Every case's summary, from the shelves: a few dozen records opened (none again that did not
 * change since), however many cases. A case without a summary (kept before summaries, or
 * before shelves) gets its place on its shelf now, and the per-case summary records go, in one
 * transaction.
 */
export async function caseSummaries(vault) {
  const found = new Map();
  const stored = await vault.listSealed("shelf");
  for (const { key, record } of stored) {
    for (const [id, summary] of (await openShelf(vault, key, record)).summaries) found.set(id, summary);
  }
  const present = new Set(stored.map(({ key }) => key));
  for (const key of keptShelves(vault).keys()) if (!present.has(key)) keptShelves(vault).delete(key);
  const ids = await vault.ids("case");
  const old = await vault.ids("summary");
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length || old.length) await shelveMissing(vault, missing, old, found);
  return ids.filter((id) => found.has(id)).map((id) => found.get(id));
}

async function shelveMissing(vault, missing, old, found) {
  const kept = new Map(old.length ? await oldSummaries.list(vault) : []);
  const changes = [];
  for (const id of missing) {
    const head = kept.has(id) ? null : await cases.get(vault, id);
    // Removed since its id was read: nothing to shelve.
    if (!kept.has(id) && !head) continue;
    const summary = Object.freeze(kept.get(id) ?? summaryOf(head));
    changes.push([id, summary]);
    found.set(id, summary);
  }
  await shelve(vault, changes, [], old.map((id) => ["summary", id]));
}

/** At unlock: a store written before shelves has its summaries moved onto them. */
export async function upgradeStore(vault) {
  if ((await vault.ids("summary")).length) await caseSummaries(vault);
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
