-- Another system's id for a client (matters keep theirs as their record's
-- unique_key): unique per firm among live clients.
ALTER TABLE clients ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX clients_external_id ON clients (firm_id, external_id) WHERE external_id IS NOT NULL AND deleted_at IS NULL;
