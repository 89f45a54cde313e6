-- PostgreSQL twin of migrations/sqlite/0006_flexible_assets.sql: same tables, columns and indexes.
-- Flexible assets: records of a flexible asset type, their values (traits)
-- kept as JSON keyed by field id so that renaming a field keeps its data,
-- and the earlier trait sets of each asset.

CREATE TABLE flexible_assets (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    flexible_asset_type_id BIGINT NOT NULL REFERENCES flexible_asset_types(id) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    traits TEXT NOT NULL DEFAULT '{}',
    restricted BOOLEAN NOT NULL DEFAULT FALSE,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX flexible_assets_type ON flexible_assets (account_id, flexible_asset_type_id);
CREATE INDEX flexible_assets_type_fk ON flexible_assets (flexible_asset_type_id);
CREATE INDEX flexible_assets_organization ON flexible_assets (account_id, organization_id);
CREATE INDEX flexible_assets_organization_fk ON flexible_assets (organization_id);
CREATE INDEX flexible_assets_name ON flexible_assets (account_id, name);
CREATE INDEX flexible_assets_created ON flexible_assets (account_id, created_at);
CREATE INDEX flexible_assets_updated ON flexible_assets (account_id, updated_at);

CREATE TABLE flexible_asset_versions (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    flexible_asset_id BIGINT NOT NULL REFERENCES flexible_assets(id) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    traits TEXT NOT NULL DEFAULT '{}',
    api_key_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX flexible_asset_versions_asset ON flexible_asset_versions (flexible_asset_id);
CREATE INDEX flexible_asset_versions_account ON flexible_asset_versions (account_id, flexible_asset_id);
