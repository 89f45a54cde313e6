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
CREATE INDEX search_entries_organization ON search_entries (account_id, organization_id NULLS FIRST);

CREATE INDEX search_entries_text ON search_entries
    USING GIN (to_tsvector('simple', title || ' ' || body));

-- The version of the index the entries were built at; the server builds
-- (or rebuilds) every entry at start-up when it is behind.
CREATE TABLE search_index_state (
    version BIGINT NOT NULL
);
