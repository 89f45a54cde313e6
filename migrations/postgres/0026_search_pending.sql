-- Nothing to do on PostgreSQL: its search index is an index of the entries'
-- table, kept by the table's own writes. SQLite's full-text index waits for
-- the write group's commit in this version (see
-- migrations/sqlite/0026_search_pending.sql).
SELECT 1;
