-- The planner estimates `search_text LIKE '%term%'` from the column's
-- histogram, but trusts a histogram of the default 100 entries only in part
-- and guesses the rest: at 100k clients it took `smith` (3% of clients) for
-- 11 rows, fetched and sorted all 3,067 hits instead of walking the list
-- order, and answered 7x slower; which plan it took changed with each
-- ANALYZE's sample. With 1,000 entries the estimate is the histogram's
-- (3,057 for 3,067) and the plan follows it (bench/README.md).
ALTER TABLE clients ALTER COLUMN search_text SET STATISTICS 1000;
