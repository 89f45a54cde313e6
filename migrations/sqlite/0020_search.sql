-- Global full-text search: one entry per searchable record (its title and
-- the non-secret text of its body), written in the record's own write
-- transaction. SQLite searches it through an FTS5 index kept by triggers
-- (external content); PostgreSQL through a GIN index over its tsvector.
CREATE TABLE search_entries (
    account_id BIGINT NOT NULL,
    resource_type TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    organization_id BIGINT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (account_id, resource_type, record_id)
);
CREATE INDEX search_entries_organization ON search_entries (account_id, organization_id);

CREATE VIRTUAL TABLE search_index USING fts5(
    title, body,
    content='search_entries', content_rowid='rowid',
    tokenize='unicode61', prefix='2 3'
);
CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN
    INSERT INTO search_index (rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN
    INSERT INTO search_index (search_index, rowid, title, body)
        VALUES ('delete', old.rowid, old.title, old.body);
END;
CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN
    INSERT INTO search_index (search_index, rowid, title, body)
        VALUES ('delete', old.rowid, old.title, old.body);
    INSERT INTO search_index (rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;

-- The version of the index the entries were built at; the server builds
-- (or rebuilds) every entry at start-up when it is behind.
CREATE TABLE search_index_state (
    version BIGINT NOT NULL
);
