-- Nothing to do on SQLite: its full-text index keeps the title as a column
-- a search can ask on its own. PostgreSQL indexes the titles on their own
-- in this version (see migrations/postgres/0025_search_titles.sql).
SELECT 1;
