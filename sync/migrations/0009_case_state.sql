-- What the server checks the next entry of a case against, so that a push never replays the case:
-- the frontier of its verified log (docs/PROTOCOL.md 9.3), written in the same transaction as the
-- entries it covers. A case without a row, or whose row covers another number of entries than the
-- case holds, is replayed once from its entries and gets its row.

CREATE TABLE case_state (
    case_id TEXT PRIMARY KEY REFERENCES cases (id),
    entry_count INTEGER NOT NULL,
    frontier BLOB NOT NULL
);

-- The whole reseals stored, by the entry each names and the full re-encryption it belongs to: a
-- second reseal of one entry for one re-encryption is refused (PROTOCOL 9, step 10).
CREATE TABLE case_reseals (
    case_id TEXT NOT NULL REFERENCES cases (id),
    ref BLOB NOT NULL,
    full_epoch INTEGER NOT NULL,
    PRIMARY KEY (case_id, ref, full_epoch)
);
