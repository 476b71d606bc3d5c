-- PostgreSQL's form of sync/migrations/0001_accounts.sql: the same tables and constraints.
-- Times are whole seconds since the Unix epoch (UTC). Identifiers compare and sort bytewise
-- (COLLATE "C"), as in SQLite; e-mail addresses compare without case (citext, like NOCASE).

CREATE EXTENSION IF NOT EXISTS citext;

CREATE TABLE teams (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT COLLATE "C" PRIMARY KEY,
    email CITEXT NOT NULL UNIQUE,
    display_name TEXT COLLATE "C" NOT NULL,
    role TEXT COLLATE "C" NOT NULL CHECK (role IN ('volunteer', 'coordinator', 'auditor', 'admin')),
    team_id TEXT COLLATE "C" REFERENCES teams (id),
    status TEXT COLLATE "C" NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    locale TEXT COLLATE "C",
    kdf TEXT COLLATE "C" NOT NULL,
    auth_hash TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE invitations (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    email CITEXT NOT NULL,
    role TEXT COLLATE "C" NOT NULL CHECK (role IN ('volunteer', 'coordinator', 'auditor', 'admin')),
    team_id TEXT COLLATE "C" REFERENCES teams (id),
    kdf TEXT COLLATE "C" NOT NULL,
    created_by TEXT COLLATE "C" REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    user_id TEXT COLLATE "C" REFERENCES users (id)
);

CREATE INDEX invitations_email ON invitations (email);

CREATE TABLE sessions (
    id_hash TEXT COLLATE "C" PRIMARY KEY,
    handle TEXT COLLATE "C" NOT NULL UNIQUE,
    user_id TEXT COLLATE "C" REFERENCES users (id) ON DELETE CASCADE,
    data TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

CREATE TABLE login_throttle (
    key TEXT COLLATE "C" PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0
);
