-- Clientele schema, PostgreSQL.
-- Instants are bigint milliseconds since the epoch, exactly as on SQLite, so
-- ordering and cursors agree between the stores. Sort keys use the "C"
-- collation for the same reason: byte order, like SQLite's BINARY.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE firms (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         uuid   NOT NULL UNIQUE,
    name       text   NOT NULL,
    settings   jsonb  NOT NULL,
    created_at bigint NOT NULL,
    -- Last event number handed out in this firm: taking it last in each
    -- transaction gives the firm's events one order, the commit order.
    event_seq  bigint NOT NULL DEFAULT 0
);

CREATE TABLE api_keys (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           uuid   NOT NULL UNIQUE,
    firm_id      uuid   NOT NULL REFERENCES firms (id),
    name         text,
    prefix       text   NOT NULL,
    secret_hash  bytea  NOT NULL UNIQUE,
    scopes       text   NOT NULL,
    created_at   bigint NOT NULL,
    last_used_at bigint,
    expires_at   bigint,
    revoked_at   bigint
);
CREATE INDEX api_keys_firm ON api_keys (firm_id, created_at);

CREATE TABLE clients (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              uuid   NOT NULL UNIQUE,
    firm_id         uuid   NOT NULL REFERENCES firms (id),
    kind            text   NOT NULL,
    first_name      text,
    last_name       text,
    name            text   NOT NULL,
    email           text,
    email_key       text,
    phone           text,
    address         jsonb,
    other_emails    jsonb  NOT NULL,
    other_phones    jsonb  NOT NULL,
    other_addresses jsonb  NOT NULL,
    date_of_birth   text,
    company_id      uuid,
    status          text   NOT NULL,
    tags            jsonb  NOT NULL,
    source          text,
    notes           text,
    custom_fields   jsonb  NOT NULL,
    matters_count   bigint NOT NULL DEFAULT 0,
    version         bigint NOT NULL,
    created_at      bigint NOT NULL,
    updated_at      bigint NOT NULL,
    deleted_at      bigint,
    sort_name       text COLLATE "C" NOT NULL,
    sort_last_name  text COLLATE "C" NOT NULL,
    search_text     text COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX clients_email ON clients (firm_id, email_key)
    WHERE deleted_at IS NULL AND email_key IS NOT NULL;
CREATE INDEX clients_by_created   ON clients (firm_id, created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX clients_by_updated   ON clients (firm_id, updated_at, id) WHERE deleted_at IS NULL;
CREATE INDEX clients_by_name      ON clients (firm_id, sort_name, id) WHERE deleted_at IS NULL;
CREATE INDEX clients_by_last_name ON clients (firm_id, sort_last_name, id) WHERE deleted_at IS NULL;
CREATE INDEX clients_by_company   ON clients (firm_id, company_id) WHERE company_id IS NOT NULL;
CREATE INDEX clients_deleted      ON clients (deleted_at) WHERE deleted_at IS NOT NULL;
-- Substring search (`q`) and tag filters.
CREATE INDEX clients_search ON clients USING gin (search_text gin_trgm_ops);
CREATE INDEX clients_tags   ON clients USING gin (tags jsonb_path_ops);

CREATE TABLE events (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            uuid   NOT NULL UNIQUE,
    firm_id       uuid   NOT NULL,
    firm_seq      bigint NOT NULL,
    kind          text   NOT NULL,
    resource_type text   NOT NULL,
    resource_id   text   NOT NULL,
    actor_key_id  uuid,
    request_id    text,
    before        jsonb,
    after         jsonb,
    created_at    bigint NOT NULL,
    UNIQUE (firm_id, firm_seq)
);
