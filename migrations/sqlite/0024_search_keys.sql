-- Search entries keyed by one integer that holds the account, the type and
-- the record (see `search_key` in src/store/search.rs). It is the rowid the
-- full-text index returns, so a search finds an account's matches by a
-- range of keys and counts them by type without reading an entry: a word
-- in thousands of records no longer costs a lookup per match. The entries
-- are rebuilt at the next start (the index's state is emptied).
DROP TRIGGER search_entries_ai;
DROP TRIGGER search_entries_ad;
DROP TRIGGER search_entries_au;
DROP TABLE search_index;
DROP TABLE search_entries;

CREATE TABLE search_entries (
    search_key INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL,
    resource_type TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    organization_id BIGINT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (account_id, resource_type, record_id)
);
CREATE INDEX search_entries_organization ON search_entries (account_id, organization_id);

CREATE VIRTUAL TABLE search_index USING fts5(
    title, body,
    content='search_entries', content_rowid='search_key',
    tokenize='unicode61', prefix='2 3'
);
CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN
    INSERT INTO search_index (rowid, title, body) VALUES (new.search_key, new.title, new.body);
END;
CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN
    INSERT INTO search_index (search_index, rowid, title, body)
        VALUES ('delete', old.search_key, old.title, old.body);
END;
CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN
    INSERT INTO search_index (search_index, rowid, title, body)
        VALUES ('delete', old.search_key, old.title, old.body);
    INSERT INTO search_index (rowid, title, body) VALUES (new.search_key, new.title, new.body);
END;

DELETE FROM search_index_state;
