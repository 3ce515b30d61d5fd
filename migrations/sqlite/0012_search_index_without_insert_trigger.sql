-- A new client's search entry is written by the store's insert, in the same
-- transaction, instead of by a trigger: a statement with a trigger needs a
-- statement journal, and at each statement journal FTS5 writes its pending
-- entries out as a segment of their own (about one segment per imported
-- client; bench/README.md, "Where an import's time goes"). The update and
-- delete triggers stay: they are rare next to inserts.
DROP TRIGGER clients_fts_insert;
