-- PostgreSQL's form of sync/migrations/0010_team_measures.sql: each team's table of measures
-- (docs/PROTOCOL.md 6.11), every version accepted; the latest is the one served.

CREATE TABLE team_measures (
    team_id TEXT COLLATE "C" NOT NULL REFERENCES teams (id),
    version BIGINT NOT NULL CHECK (version >= 1),
    raw BYTEA NOT NULL,
    signed_by TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, version)
);
