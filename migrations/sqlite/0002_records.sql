-- Matters, notes, leads, users, custom field definitions, custom actions,
-- intake tokens and nonces: one table, the fields as a JSON document plus the
-- columns queries need (see docs/domain.md).

CREATE TABLE records (
    seq         INTEGER PRIMARY KEY,
    id          BLOB    NOT NULL UNIQUE,
    firm_id     BLOB    NOT NULL REFERENCES firms (id),
    kind        TEXT    NOT NULL,
    -- The record this one belongs to: a matter's client, a note's client or matter.
    parent_id   BLOB,
    -- Unique among a firm's live records of a kind (a user's folded email, …).
    unique_key  TEXT,
    doc         TEXT    NOT NULL,
    search_text TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER
);
CREATE UNIQUE INDEX records_unique ON records (kind, firm_id, unique_key)
    WHERE deleted_at IS NULL AND unique_key IS NOT NULL;
CREATE INDEX records_by_key     ON records (kind, unique_key) WHERE unique_key IS NOT NULL;
CREATE INDEX records_by_created ON records (firm_id, kind, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX records_by_updated ON records (firm_id, kind, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX records_by_parent  ON records (parent_id, kind, created_at, id) WHERE parent_id IS NOT NULL;
CREATE INDEX records_deleted    ON records (deleted_at) WHERE deleted_at IS NOT NULL;

-- matters_count is counted from records when read, so no writer has to keep
-- a counter in step.
ALTER TABLE clients DROP COLUMN matters_count;

-- A key may belong to a staff user; events record the user who acted.
ALTER TABLE api_keys ADD COLUMN user_id BLOB;
ALTER TABLE events ADD COLUMN actor_user_id BLOB;
