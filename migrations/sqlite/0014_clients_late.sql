-- Clients inserted after a client with a later `created_at` ("late" ones:
-- two creates take their time, then commit in the other order), each with
-- the latest `created_at` among the clients inserted up to it (its
-- ceiling). A client not listed here is its own ceiling. So for any client,
-- no client with a lower `seq` was created after its ceiling, and a search
-- can walk its hits newest `seq` first and stop once a page is found that
-- nothing further down can beat (store::sqlite::search, "Newest first").
-- Only the single writer adds rows, right after the client's insert.
CREATE TABLE clients_late (
    seq     INTEGER PRIMARY KEY,
    ceiling INTEGER NOT NULL
);

INSERT INTO clients_late (seq, ceiling)
SELECT seq, ceiling FROM (
    SELECT seq, created_at,
           max(created_at) OVER (ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ceiling
    FROM clients
) WHERE ceiling > created_at;

-- A purged client takes its entry with it, so a reused `seq` starts clean.
CREATE TRIGGER clients_late_delete AFTER DELETE ON clients BEGIN
    DELETE FROM clients_late WHERE seq = old.seq;
END;
