-- The erased events alone, for the webhook fan-out's check that none of the
-- events it is about to send were erased meanwhile (`erasure::redacted_among`).
-- Asked of up to 500 events at a time, it read every one of them: 1.9 ms a
-- call, a tenth of PostgreSQL's time at 1,000 writes/s with 3 subscriptions
-- (bench/README.md, "PostgreSQL at 1,000 writes/s"). Erased events are few, so
-- this index answers it without reading an event. The marker is
-- `domain::erasure::REDACTION_MARKER`; the query names it the same way.
CREATE INDEX events_redacted ON events (firm_id, firm_seq)
    WHERE before = '{"redacted":true}'::jsonb OR after = '{"redacted":true}'::jsonb;
