-- Webhooks (docs/webhooks.md). Subscriptions are records (kind 'webhook');
-- these tables hold what their delivery needs.

-- How far each subscription has read its firm's event log. Advanced in the
-- transaction that inserts the deliveries of the events it passes, so no
-- committed event is skipped and none is queued twice.
CREATE TABLE webhook_cursors (
    webhook_id    BLOB    PRIMARY KEY,
    firm_id       BLOB    NOT NULL,
    last_seq      INTEGER NOT NULL,
    -- When the run of failed attempts now going on began (NULL after a success).
    failing_since INTEGER
);

CREATE TABLE webhook_deliveries (
    seq             INTEGER PRIMARY KEY,
    id              BLOB    NOT NULL UNIQUE,
    firm_id         BLOB    NOT NULL,
    webhook_id      BLOB    NOT NULL,
    -- NULL for a ping.
    event_seq       INTEGER,
    event_type      TEXT    NOT NULL,
    -- The request body, signed anew at each attempt.
    payload         TEXT    NOT NULL,
    -- pending, delivered, failed (gave up) or cancelled.
    status          TEXT    NOT NULL,
    attempt_count   INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    -- A node making an attempt holds it until then; the value is its claim.
    lease_until     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (webhook_id, event_seq);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt_at, event_seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (firm_id, webhook_id, seq);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (firm_id, created_at);

CREATE TABLE webhook_attempts (
    delivery_id BLOB    NOT NULL,
    n           INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    http_status INTEGER,
    latency_ms  INTEGER NOT NULL,
    error       TEXT,
    -- At most 1 KiB of what the receiver answered.
    response    TEXT,
    PRIMARY KEY (delivery_id, n)
);

-- A record's history, newest first.
CREATE INDEX events_resource ON events (firm_id, resource_id, firm_seq);
