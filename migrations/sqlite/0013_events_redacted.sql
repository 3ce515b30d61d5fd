-- The erased events alone, for the webhook fan-out's check that none of the
-- events it is about to send were erased meanwhile (`erasure::redacted_among`),
-- which otherwise reads each of up to 500 events (bench/README.md,
-- "PostgreSQL at 1,000 writes/s"). The marker is
-- `domain::erasure::REDACTION_MARKER`, compact as stored; the query names it
-- the same way, which is how SQLite knows it may use this index.
CREATE INDEX events_redacted ON events (firm_id, firm_seq)
    WHERE before = '{"redacted":true}' OR after = '{"redacted":true}';
