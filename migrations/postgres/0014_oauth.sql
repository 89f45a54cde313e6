-- OAuth2 client credentials (src/http/oauth.rs). A client acts through an
-- API key of its own (`api_key_id`: its account, password access, rate limit
-- and name in the activity log), which has no usable secret of its own;
-- revoking either stops the client. Secrets and tokens are stored hashed.
CREATE TABLE oauth_clients (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    name TEXT NOT NULL,
    api_key_id BIGINT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX oauth_clients_account ON oauth_clients (account_id);
CREATE INDEX oauth_clients_key ON oauth_clients (api_key_id);

CREATE TABLE oauth_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    client_id BIGINT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX oauth_tokens_client ON oauth_tokens (client_id);
-- The clean-up of expired tokens.
CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);
