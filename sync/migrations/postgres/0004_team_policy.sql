-- PostgreSQL's form of sync/migrations/0004_team_policy.sql.

ALTER TABLE teams ADD COLUMN retention_days BIGINT CHECK (retention_days IS NULL OR retention_days >= 0);
ALTER TABLE teams ADD COLUMN rotation_days BIGINT CHECK (rotation_days IS NULL OR rotation_days > 0);
