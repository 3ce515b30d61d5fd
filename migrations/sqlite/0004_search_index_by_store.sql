-- The store now writes the search index itself, in statements of their own
-- (src/store/sqlite/queries.rs, `index_client` / `unindex_client`), in the same
-- transaction as the row. Through a trigger, every client INSERT wrote two
-- tables, one of them virtual, so SQLite ran it in a statement savepoint, and
-- FTS5 flushes its pending entries to a new segment at every savepoint: 12% of
-- the writer's time under a stream of creates, plus merging the segments.
DROP TRIGGER clients_fts_insert;
DROP TRIGGER clients_fts_update;
DROP TRIGGER clients_fts_delete;
