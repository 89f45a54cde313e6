-- PostgreSQL twin of migrations/sqlite/0007_bounded_indexes.sql.
-- No unbounded text in a btree index: a btree refuses keys over ~2.7 kB (a
-- 2,048-character URL of CJK text is 6 kB), so passwords.url is indexed by
-- hash, which serves the exact-match filter. Activity-log names are cut to
-- 255 characters when written.
DROP INDEX IF EXISTS passwords_url;
CREATE INDEX passwords_url ON passwords USING hash (url);
