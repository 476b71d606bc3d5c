-- Requests per key and minute (sync.ratelimit), counted here so that every worker process and
-- every server of the instance shares one count. One row per limit (`scope`: the problem code
-- it answers with), hashed key and minute (`window_start`, seconds since the epoch, a multiple
-- of 60); rows older than the previous minute are deleted as new minutes open.

CREATE TABLE rate_limits (
    scope TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits INTEGER NOT NULL CHECK (hits >= 1),
    PRIMARY KEY (scope, key_hash, window_start)
);

CREATE INDEX rate_limits_window ON rate_limits (window_start);
