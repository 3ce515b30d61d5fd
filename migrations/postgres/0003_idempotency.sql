-- Idempotency keys: the first response to a POST, replayed to its retries.
CREATE TABLE idempotency_keys (
    -- SHA-256 of the credential the request presented: keys are per caller.
    scope        bytea  NOT NULL,
    key          text   NOT NULL,
    -- SHA-256 of method, path, content type and body.
    request_hash bytea  NOT NULL,
    -- NULL while the first request is still running.
    status       integer,
    headers      jsonb,
    body         bytea,
    created_at   bigint NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Per-key request rate (requests a minute); NULL means the firm's or the server's.
ALTER TABLE api_keys ADD COLUMN rate_limit_per_minute integer;
