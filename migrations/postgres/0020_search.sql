-- Global full-text search: one entry per searchable record (its title and
-- the non-secret text of its body), written in the record's own write
-- transaction. SQLite searches it through an FTS5 index kept by triggers
-- (external content); PostgreSQL through a GIN index over a stored tsvector.
CREATE TABLE search_entries (
    account_id BIGINT NOT NULL,
    resource_type TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    organization_id BIGINT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    -- The title's words weigh A, the body's B; kept by the database itself.
    document TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')
    ) STORED,
    PRIMARY KEY (account_id, resource_type, record_id)
);
-- Led by the organization: a search of one account is driven by the text
-- index (an index led by the account would only add a scan of all of it).
CREATE INDEX search_entries_organization ON search_entries (organization_id, account_id);

CREATE INDEX search_entries_text ON search_entries USING GIN (document);

-- The version of the index the entries were built at; the server builds
-- (or rebuilds) every entry at start-up when it is behind.
CREATE TABLE search_index_state (
    version BIGINT NOT NULL
);
