-- The keys candidate duplicates share (domain::client::match_keys): written
-- with each live client in the transaction that writes it, so the duplicates
-- list reads groups off one index instead of comparing clients pairwise.
-- `name` is the normalised display name that similar-name blocks compare.
CREATE TABLE client_match_keys (
    firm_id   BLOB NOT NULL,
    kind      TEXT NOT NULL,
    key       TEXT NOT NULL,
    client_id BLOB NOT NULL,
    name      TEXT NOT NULL,
    PRIMARY KEY (firm_id, kind, key, client_id)
) WITHOUT ROWID;
CREATE INDEX client_match_keys_client ON client_match_keys (client_id);
-- A client's row going (purge, erasure) takes its keys with it, whichever
-- write path deletes it: they are personal data.
CREATE TRIGGER client_match_keys_gone AFTER DELETE ON clients BEGIN
    DELETE FROM client_match_keys WHERE client_id = old.id;
END;
