-- PostgreSQL's form of sync/migrations/0007_resets.sql.

ALTER TABLE invitations ADD COLUMN kind TEXT COLLATE "C" NOT NULL DEFAULT 'enrol' CHECK (kind IN ('enrol', 'reset'));

CREATE TABLE former_account_keys (
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    encryption_public BYTEA NOT NULL CHECK (octet_length(encryption_public) = 32),
    signing_public BYTEA NOT NULL CHECK (octet_length(signing_public) = 32),
    wrapped_private BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT NOT NULL
);

CREATE INDEX former_account_keys_user ON former_account_keys (user_id);
