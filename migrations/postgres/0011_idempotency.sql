-- Idempotency keys (src/http/idempotency.rs): the first response to a
-- write sent with an `Idempotency-Key`, per account and key, replayed to a
-- retry of the same request for 24 hours. `status` is NULL while the first
-- request runs. `fingerprint` is a digest of method, path, query and body.
CREATE TABLE idempotency_keys (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status BIGINT,
    content_type TEXT,
    etag TEXT,
    body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, idempotency_key)
);

-- The clean-up of expired keys.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
