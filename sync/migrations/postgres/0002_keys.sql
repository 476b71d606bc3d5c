-- PostgreSQL's form of sync/migrations/0002_keys.sql.

CREATE TABLE association (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    public_key BYTEA NOT NULL CHECK (octet_length(public_key) = 32),
    created_by TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE association_escrow (
    admin_id TEXT COLLATE "C" PRIMARY KEY REFERENCES users (id),
    wrapped_key BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE account_keys (
    user_id TEXT COLLATE "C" PRIMARY KEY REFERENCES users (id),
    encryption_public BYTEA NOT NULL CHECK (octet_length(encryption_public) = 32),
    signing_public BYTEA NOT NULL CHECK (octet_length(signing_public) = 32),
    wrapped_private BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE roster_entries (
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    serial BIGINT NOT NULL,
    raw BYTEA NOT NULL,
    signed_by TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, serial)
);
