-- PostgreSQL's form of sync/migrations/0008_rate_limits.sql: requests per key and minute
-- (sync.ratelimit), one count shared by every worker process and server of the instance.

CREATE TABLE rate_limits (
    scope TEXT COLLATE "C" NOT NULL,
    key_hash TEXT COLLATE "C" NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL CHECK (hits >= 1),
    PRIMARY KEY (scope, key_hash, window_start)
);

CREATE INDEX rate_limits_window ON rate_limits (window_start);
