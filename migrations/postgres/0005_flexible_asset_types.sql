-- PostgreSQL twin of migrations/sqlite/0005_flexible_asset_types.sql: same tables, columns and indexes.
-- Flexible asset types and their fields: the schemas MSPs define for the
-- records they document most (Active Directory, backups, LAN, Wi-Fi, ...).
-- A field's name and its position are unique within its type, and so is the
-- name's slug (`name_key`), the key its values go by.

CREATE TABLE flexible_asset_types (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    icon TEXT,
    show_in_menu BOOLEAN NOT NULL DEFAULT TRUE,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX flexible_asset_types_name ON flexible_asset_types (account_id, name);
CREATE INDEX flexible_asset_types_icon ON flexible_asset_types (account_id, icon NULLS FIRST);
CREATE INDEX flexible_asset_types_enabled ON flexible_asset_types (account_id, enabled);
CREATE INDEX flexible_asset_types_created ON flexible_asset_types (account_id, created_at);
CREATE INDEX flexible_asset_types_updated ON flexible_asset_types (account_id, updated_at);

CREATE TABLE flexible_asset_fields (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    flexible_asset_type_id BIGINT NOT NULL REFERENCES flexible_asset_types(id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    hint TEXT,
    decimals BIGINT,
    default_value TEXT,
    tag_type TEXT,
    required BOOLEAN NOT NULL DEFAULT FALSE,
    use_for_title BOOLEAN NOT NULL DEFAULT FALSE,
    expiration BOOLEAN NOT NULL DEFAULT FALSE,
    show_in_list BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT flexible_asset_fields_name_unique UNIQUE (flexible_asset_type_id, name),
    CONSTRAINT flexible_asset_fields_key_unique UNIQUE (flexible_asset_type_id, name_key),
    CONSTRAINT flexible_asset_fields_position_unique UNIQUE (flexible_asset_type_id, position)
);
CREATE INDEX flexible_asset_fields_type ON flexible_asset_fields (account_id, flexible_asset_type_id);
CREATE INDEX flexible_asset_fields_created ON flexible_asset_fields (account_id, created_at);
CREATE INDEX flexible_asset_fields_updated ON flexible_asset_fields (account_id, updated_at);
