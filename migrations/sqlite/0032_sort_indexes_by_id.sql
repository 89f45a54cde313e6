-- Nothing to do on SQLite: every index ends in the rowid, the id, so a page
-- of records that share a sorted or filtered value is read in id order from
-- the index. PostgreSQL's indexes led by the account end in the id from
-- this version (see migrations/postgres/0032_sort_indexes_by_id.sql).
SELECT 1;
