-- The change feed (GET /changes): one row per record created, updated or
-- deleted, written in the write's own transaction. A transaction takes its
-- account's feed lock (an advisory lock) before its first change row and
-- holds it to commit, so an account's rows get ids in commit order and the
-- feed reads them in id order, as on SQLite.
CREATE TABLE changes (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id BIGINT NOT NULL,
    organization_id BIGINT,
    created_at BIGINT NOT NULL
);

-- Reading an account's feed from a position.
CREATE INDEX changes_feed ON changes (account_id, id);
-- The clean-up of changes past their retention.
CREATE INDEX changes_created ON changes (created_at);
