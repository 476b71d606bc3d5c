-- The key directory: the association's public signing key, each account's public keys and the
-- escrow of their private keys (ciphertext under the owner's kek), and the signed roster.

CREATE TABLE association (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    public_key BLOB NOT NULL CHECK (length(public_key) = 32),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL
);

CREATE TABLE association_escrow (
    admin_id TEXT PRIMARY KEY REFERENCES users (id),
    wrapped_key BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE account_keys (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    encryption_public BLOB NOT NULL CHECK (length(encryption_public) = 32),
    signing_public BLOB NOT NULL CHECK (length(signing_public) = 32),
    wrapped_private BLOB NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE roster_entries (
    user_id TEXT NOT NULL REFERENCES users (id),
    serial INTEGER NOT NULL,
    raw BLOB NOT NULL,
    signed_by TEXT NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, serial)
);
