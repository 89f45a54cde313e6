-- `mortar import`: which record each source record became, so an import
-- that stopped continues where it was, never makes a record twice, and a
-- later run updates only what changed at the source (its `updated-at`).
CREATE TABLE import_map (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- The source's base URL, as given to --from.
    source TEXT NOT NULL,
    -- The JSON:API type of the records, as the source names it.
    resource_type TEXT NOT NULL,
    source_id TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    -- The source record's `updated-at` when it was last written here.
    source_updated_at TEXT,
    PRIMARY KEY (account_id, source, resource_type, source_id)
);
