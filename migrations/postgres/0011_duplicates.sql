-- The keys candidate duplicates share (domain::client::match_keys): written
-- with each live client in the transaction that writes it, so the duplicates
-- list reads groups off one index instead of comparing clients pairwise.
-- `name` is the normalised display name that similar-name blocks compare.
-- Keys sort bytewise ("C"), as in SQLite, so cursors walk them alike.
-- A client's row going (purge, erasure) takes its keys with it (cascade),
-- whichever write path deletes it: they are personal data.
CREATE TABLE client_match_keys (
    firm_id   uuid NOT NULL,
    kind      text NOT NULL,
    key       text COLLATE "C" NOT NULL,
    client_id uuid NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    name      text NOT NULL,
    PRIMARY KEY (firm_id, kind, key, client_id)
);
CREATE INDEX client_match_keys_client ON client_match_keys (client_id);
