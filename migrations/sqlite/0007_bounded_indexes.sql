-- No unbounded text in a btree index. SQLite stores long index keys in
-- overflow pages, so its passwords.url index stays as it is; PostgreSQL's
-- twin replaces its btree (which refuses keys over ~2.7 kB, such as a
-- 2,048-character URL of CJK text) with a hash index. Activity-log names are
-- cut to 255 characters when written.
DROP INDEX IF EXISTS passwords_url;
CREATE INDEX passwords_url ON passwords (account_id, url);
