-- Search entries keyed by one integer that holds the account, the type and
-- the record (see `search_key` in src/store/search.rs). SQLite's full-text
-- index uses it as its rowid; here it is the entries' upsert target as it
-- is there. The entries are rebuilt at the next start (the index's state is
-- emptied).
DELETE FROM search_entries;
ALTER TABLE search_entries ADD COLUMN search_key BIGINT NOT NULL;
ALTER TABLE search_entries ADD CONSTRAINT search_entries_search_key UNIQUE (search_key);

DELETE FROM search_index_state;
