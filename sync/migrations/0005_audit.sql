-- The server's audit log: one record per write, chained by hash (docs/PROTOCOL.md section 13).
-- Append-only: the triggers refuse every change and every deletion of a stored record.

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    action INTEGER NOT NULL,
    record BLOB NOT NULL CHECK (length(record) = 117),
    record_hash BLOB NOT NULL UNIQUE CHECK (length(record_hash) = 32),
    at INTEGER NOT NULL
);

CREATE INDEX audit_log_action ON audit_log (action, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
