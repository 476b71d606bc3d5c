-- PostgreSQL's form of sync/migrations/0005_audit.sql. Append-only: the triggers refuse every
-- change, deletion and truncation of stored records, whoever asks.

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    action BIGINT NOT NULL,
    record BYTEA NOT NULL CHECK (octet_length(record) = 117),
    record_hash BYTEA NOT NULL UNIQUE CHECK (octet_length(record_hash) = 32),
    at BIGINT NOT NULL
);

CREATE INDEX audit_log_action ON audit_log (action, seq);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
