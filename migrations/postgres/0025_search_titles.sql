-- The titles' own full-text index. A search reads at most a window of the
-- matches it finds (reading each costs a table page), and this index finds
-- every entry whose title holds the words beside that window, so a common
-- word never hides the records it names (see `search_postgres` in
-- src/store/search.rs).
CREATE INDEX search_entries_titles ON search_entries USING gin (to_tsvector('simple', title));
