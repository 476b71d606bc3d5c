-- Cases and their entries as the server keeps them: ciphertext envelopes in the server's order,
-- and the current members of each case as its verified log says (for access control).

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    entry_count INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE case_members (
    case_id TEXT NOT NULL REFERENCES cases (id),
    user_id TEXT NOT NULL,
    joined_seq INTEGER NOT NULL,
    PRIMARY KEY (case_id, user_id)
);

CREATE INDEX case_members_user ON case_members (user_id);

CREATE TABLE entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL REFERENCES cases (id),
    entry_id TEXT NOT NULL UNIQUE,
    entry_hash BLOB NOT NULL UNIQUE,
    kind INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    author TEXT NOT NULL,
    device_id TEXT NOT NULL,
    device_seq INTEGER NOT NULL,
    envelope BLOB NOT NULL,
    received_at INTEGER NOT NULL
);

CREATE INDEX entries_case ON entries (case_id, seq);
