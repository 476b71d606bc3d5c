-- PostgreSQL's form of sync/migrations/0006_former_members.sql.

ALTER TABLE case_members ADD COLUMN left_seq BIGINT;
