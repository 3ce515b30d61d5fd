-- Webhooks (docs/webhooks.md). Subscriptions are records (kind 'webhook');
-- these tables hold what their delivery needs.

-- How far each subscription has read its firm's event log. Advanced in the
-- transaction that inserts the deliveries of the events it passes, so no
-- committed event is skipped and none is queued twice.
CREATE TABLE webhook_cursors (
    webhook_id    uuid   PRIMARY KEY,
    firm_id       uuid   NOT NULL,
    last_seq      bigint NOT NULL,
    -- When the run of failed attempts now going on began (NULL after a success).
    failing_since bigint
);

CREATE TABLE webhook_deliveries (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              uuid   NOT NULL UNIQUE,
    firm_id         uuid   NOT NULL,
    webhook_id      uuid   NOT NULL,
    -- NULL for a ping.
    event_seq       bigint,
    event_type      text   NOT NULL,
    -- The request body, signed anew at each attempt.
    payload         text   NOT NULL,
    -- pending, delivered, failed (gave up) or cancelled.
    status          text   NOT NULL,
    attempt_count   bigint NOT NULL DEFAULT 0,
    next_attempt_at bigint,
    -- A node making an attempt holds it until then; the value is its claim.
    lease_until     bigint,
    created_at      bigint NOT NULL,
    updated_at      bigint NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (webhook_id, event_seq);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (webhook_id, next_attempt_at, event_seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (firm_id, webhook_id, seq);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (firm_id, created_at);

CREATE TABLE webhook_attempts (
    delivery_id uuid   NOT NULL,
    n           bigint NOT NULL,
    at          bigint NOT NULL,
    http_status bigint,
    latency_ms  bigint NOT NULL,
    error       text,
    -- At most 1 KiB of what the receiver answered.
    response    text,
    PRIMARY KEY (delivery_id, n)
);

-- A record's history, newest first.
CREATE INDEX events_resource ON events (firm_id, resource_id, firm_seq);
