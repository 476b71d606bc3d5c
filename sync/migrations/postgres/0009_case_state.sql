-- PostgreSQL's form of sync/migrations/0009_case_state.sql: each case's frontier (docs/PROTOCOL.md
-- 9.3), written in the same transaction as the entries it covers, and the whole reseals stored.

CREATE TABLE case_state (
    case_id TEXT COLLATE "C" PRIMARY KEY REFERENCES cases (id),
    entry_count BIGINT NOT NULL,
    frontier BYTEA NOT NULL
);

CREATE TABLE case_reseals (
    case_id TEXT COLLATE "C" NOT NULL REFERENCES cases (id),
    ref BYTEA NOT NULL,
    full_epoch BIGINT NOT NULL,
    PRIMARY KEY (case_id, ref, full_epoch)
);
