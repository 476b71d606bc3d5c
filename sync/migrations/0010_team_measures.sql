-- Each team's table of measures (docs/PROTOCOL.md 6.11): every version accepted, signed by a
-- coordinator of the team; the latest is the one served. A version is stored once per team, so
-- two tables under one version cannot both be kept.

CREATE TABLE team_measures (
    team_id TEXT NOT NULL REFERENCES teams (id),
    version INTEGER NOT NULL CHECK (version >= 1),
    raw BLOB NOT NULL,
    signed_by TEXT NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (team_id, version)
);
