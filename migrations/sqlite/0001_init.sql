-- Clientele schema, SQLite.
-- Ids are 16-byte UUIDv7 blobs; instants are integer milliseconds since the epoch.

CREATE TABLE firms (
    seq        INTEGER PRIMARY KEY,
    id         BLOB    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    settings   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    -- Last event number handed out in this firm (events are numbered per firm).
    event_seq  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE api_keys (
    seq          INTEGER PRIMARY KEY,
    id           BLOB    NOT NULL UNIQUE,
    firm_id      BLOB    NOT NULL REFERENCES firms (id),
    name         TEXT,
    prefix       TEXT    NOT NULL,
    secret_hash  BLOB    NOT NULL UNIQUE,
    scopes       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    expires_at   INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_firm ON api_keys (firm_id, created_at);

CREATE TABLE clients (
    seq             INTEGER PRIMARY KEY,
    id              BLOB    NOT NULL UNIQUE,
    firm_id         BLOB    NOT NULL REFERENCES firms (id),
    kind            TEXT    NOT NULL,
    first_name      TEXT,
    last_name       TEXT,
    name            TEXT    NOT NULL,
    email           TEXT,
    email_key       TEXT,
    phone           TEXT,
    address         TEXT,
    other_emails    TEXT    NOT NULL,
    other_phones    TEXT    NOT NULL,
    other_addresses TEXT    NOT NULL,
    date_of_birth   TEXT,
    company_id      BLOB,
    status          TEXT    NOT NULL,
    tags            TEXT    NOT NULL,
    source          TEXT,
    notes           TEXT,
    custom_fields   TEXT    NOT NULL,
    matters_count   INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    deleted_at      INTEGER,
    sort_name       TEXT    NOT NULL,
    sort_last_name  TEXT    NOT NULL,
    search_text     TEXT    NOT NULL
);
-- One live client per primary email per firm (email_key is case-folded).
CREATE UNIQUE INDEX clients_email ON clients (firm_id, email_key)
    WHERE deleted_at IS NULL AND email_key IS NOT NULL;
-- Keyset pagination: one index per sort order, live rows only.
CREATE INDEX clients_by_created   ON clients (firm_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX clients_by_updated   ON clients (firm_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX clients_by_name      ON clients (firm_id, sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX clients_by_last_name ON clients (firm_id, sort_last_name, id) WHERE deleted_at IS NULL;
CREATE INDEX clients_by_company   ON clients (firm_id, company_id) WHERE company_id IS NOT NULL;
CREATE INDEX clients_deleted      ON clients (deleted_at) WHERE deleted_at IS NOT NULL;

-- Substring search (`q`): a trigram index over the folded search text, kept
-- in step with the table by triggers so it can never drift.
CREATE VIRTUAL TABLE clients_fts USING fts5 (
    search_text,
    content = 'clients',
    content_rowid = 'seq',
    tokenize = 'trigram case_sensitive 1'
);
CREATE TRIGGER clients_fts_insert AFTER INSERT ON clients BEGIN
    INSERT INTO clients_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;
CREATE TRIGGER clients_fts_delete AFTER DELETE ON clients BEGIN
    INSERT INTO clients_fts (clients_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
END;
CREATE TRIGGER clients_fts_update AFTER UPDATE OF search_text ON clients BEGIN
    INSERT INTO clients_fts (clients_fts, rowid, search_text) VALUES ('delete', old.seq, old.search_text);
    INSERT INTO clients_fts (rowid, search_text) VALUES (new.seq, new.search_text);
END;

CREATE TABLE events (
    seq           INTEGER PRIMARY KEY,
    id            BLOB    NOT NULL UNIQUE,
    firm_id       BLOB    NOT NULL,
    firm_seq      INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    resource_type TEXT    NOT NULL,
    resource_id   TEXT    NOT NULL,
    actor_key_id  BLOB,
    request_id    TEXT,
    before        TEXT,
    after         TEXT,
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_firm ON events (firm_id, firm_seq);
