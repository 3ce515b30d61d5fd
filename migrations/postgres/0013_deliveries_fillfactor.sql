-- Room on each page of webhook_deliveries for a row's next version, so that
-- a claim (which sets only lease_until, in no index) is a HOT update: it
-- writes no index entries and little WAL, instead of the whole row and an
-- entry in each of the table's six indexes (1.5 ms instead of 2.6 ms for a
-- claim of 64 rows here; bench/README.md, "PostgreSQL at 1,000 writes/s").
-- Pages written before this keep their old packing until they are rewritten.
ALTER TABLE webhook_deliveries SET (fillfactor = 50);
