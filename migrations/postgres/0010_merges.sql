-- A client merged into another (POST /v1/clients/{id}/merge) is a tombstone:
-- soft-deleted (so it leaves lists, search and the unique indexes) with the
-- id of the client it was merged into, for reads to point at.
ALTER TABLE clients ADD COLUMN merged_into uuid;
