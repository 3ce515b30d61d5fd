-- Events are numbered after their transaction commits (see
-- queries::number_events): writes in one firm no longer wait for each other
-- on the firm's counter row. Until numbered, an event's firm_seq is NULL and
-- no reader sees it.
ALTER TABLE events ALTER COLUMN firm_seq DROP NOT NULL;
CREATE INDEX events_unnumbered ON events (firm_id, seq) WHERE firm_seq IS NULL;
