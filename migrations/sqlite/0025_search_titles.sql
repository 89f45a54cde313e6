-- Nothing to do on SQLite: its full-text index counts and ranks every match
-- without reading the entries. PostgreSQL indexes the titles on their own
-- in this version (see migrations/postgres/0025_search_titles.sql).
SELECT 1;
