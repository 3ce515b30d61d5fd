-- The tombstones merged into a client, found without scanning the firm: an
-- erasure reaches them (docs/privacy.md), and so does an integer id's 404.
CREATE INDEX clients_merged_into ON clients (firm_id, merged_into) WHERE merged_into IS NOT NULL;
