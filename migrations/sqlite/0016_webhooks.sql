-- Signed webhooks (src/webhooks.rs). A subscription of an account names a
-- URL, the events it wants (a comma list of create, update, delete,
-- reveal), optionally the JSON:API types (a comma list) and the
-- organization it is limited to. Its signing secret is sealed under the
-- account's data key. `failure_count` counts failed attempts in a row; past
-- the server's limit the subscription is disabled with `disabled_reason`.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    resource_types TEXT,
    organization_id BIGINT,
    secret TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_reason TEXT,
    failure_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Each write looks up its account's enabled subscriptions.
CREATE INDEX webhooks_account ON webhooks (account_id, enabled);

-- The outbox: one row per event and matching subscription, written in the
-- transaction of the change it reports, with the body as of that change.
-- A `deliver_webhook` job, written in the same transaction, sends it.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    delivery_id TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX webhook_deliveries_account ON webhook_deliveries (account_id, id);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id);
-- The clean-up of finished deliveries past their retention.
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at);
