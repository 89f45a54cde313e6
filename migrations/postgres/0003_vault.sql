-- The password vault: master key fingerprint, wrapped per-account data keys,
-- passwords with sealed secrets, and the sealed versions they replaced.

CREATE TABLE vault_meta (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    master_fingerprint TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE vault_keys (
    account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    wrapped_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE passwords (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    username TEXT,
    url TEXT,
    notes TEXT,
    autofill_selectors TEXT,
    password_sealed TEXT,
    otp_secret_sealed TEXT,
    secret_version BIGINT NOT NULL DEFAULT 0,
    password_updated_at BIGINT,
    updated_by BIGINT,
    resource_id BIGINT,
    resource_type TEXT,
    cached_resource_type_name TEXT,
    cached_resource_name TEXT,
    password_category_id BIGINT REFERENCES password_categories(id) ON DELETE SET NULL,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    restricted BOOLEAN NOT NULL DEFAULT FALSE,
    is_live BOOLEAN NOT NULL DEFAULT TRUE,
    generated_password_type TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX passwords_name ON passwords (account_id, name);
CREATE INDEX passwords_organization ON passwords (account_id, organization_id);
CREATE INDEX passwords_organization_fk ON passwords (organization_id);
CREATE INDEX passwords_username ON passwords (account_id, username NULLS FIRST);
CREATE INDEX passwords_url ON passwords (account_id, url NULLS FIRST);
CREATE INDEX passwords_category ON passwords (account_id, password_category_id);
CREATE INDEX passwords_category_fk ON passwords (password_category_id);
CREATE INDEX passwords_cached_resource_name ON passwords (account_id, cached_resource_name);
CREATE INDEX passwords_archived ON passwords (account_id, archived);
CREATE INDEX passwords_resource ON passwords (account_id, resource_type, resource_id);
CREATE INDEX passwords_created ON passwords (account_id, created_at);
CREATE INDEX passwords_updated ON passwords (account_id, updated_at);

CREATE TABLE password_versions (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    password_id BIGINT NOT NULL REFERENCES passwords(id) ON DELETE CASCADE,
    secret_version BIGINT NOT NULL,
    password_sealed TEXT,
    otp_secret_sealed TEXT,
    api_key_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT password_versions_unique UNIQUE (password_id, secret_version)
);
CREATE INDEX password_versions_account ON password_versions (account_id, password_id);
