-- Exports (GET/POST /exports): a zip of one organization's records (or the
-- whole account's) built by a background job. `zip_password` is sealed by
-- the vault until the job has used it, then cleared. `with_passwords`
-- records whether the requester could read password values (only then
-- does the file hold them). `file_path` is the finished zip on the
-- server's disk.
CREATE TABLE exports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    organization_id BIGINT,
    organization_name TEXT,
    include_logs BOOLEAN NOT NULL DEFAULT FALSE,
    with_passwords BOOLEAN NOT NULL DEFAULT FALSE,
    encrypted BOOLEAN NOT NULL DEFAULT FALSE,
    zip_password TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    error TEXT,
    file_path TEXT,
    file_size BIGINT,
    api_key_id BIGINT,
    user_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX exports_name ON exports (account_id, organization_name, id);
CREATE INDEX exports_created ON exports (account_id, created_at, id);
CREATE INDEX exports_updated ON exports (account_id, updated_at, id);
-- The clean-up of old exports.
CREATE INDEX exports_age ON exports (created_at);
