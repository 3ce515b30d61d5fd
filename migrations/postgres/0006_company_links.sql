-- Before company_id was checked inside every write (issue 15), a lead
-- conversion could store the id of another firm's client, or of none. Such
-- links are cleared once; every write now refuses to make them, and a link
-- made earlier must still name a client of its own firm.
UPDATE clients SET company_id = NULL
WHERE company_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM clients co WHERE co.id = clients.company_id AND co.firm_id = clients.firm_id);
