-- Each live client's firm by `seq`, for a count of a search term alone:
-- it looks up every hit the trigram index gives (store::sqlite::queries,
-- `Search::InIndex`). At 1M clients this index is 27 MB (140 entries a
-- page) beside the table's 435 MB (9 rows a page), so 10,000 hits read a
-- few thousand pages instead of 10,000: a count of `smith` cut at 10,001
-- took 20 ms through the table and 6 ms here.
CREATE INDEX clients_live_seq ON clients (seq, firm_id) WHERE deleted_at IS NULL;
