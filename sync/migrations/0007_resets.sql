-- Passphrase resets. A reset link is an invitation of kind 'reset' for an existing person
-- (`user_id`), single use like any invitation; issuing a new one voids the earlier ones.
-- Completing a reset moves the person's keys to `former_account_keys`: the directory then has
-- no current keys for them until their app publishes new ones, and the roster can still accept
-- a revocation signed over the old pair (PROTOCOL 9.2).

ALTER TABLE invitations ADD COLUMN kind TEXT NOT NULL DEFAULT 'enrol' CHECK (kind IN ('enrol', 'reset'));

CREATE TABLE former_account_keys (
    user_id TEXT NOT NULL REFERENCES users (id),
    encryption_public BLOB NOT NULL CHECK (length(encryption_public) = 32),
    signing_public BLOB NOT NULL CHECK (length(signing_public) = 32),
    wrapped_private BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER NOT NULL
);

CREATE INDEX former_account_keys_user ON former_account_keys (user_id);
