-- Foundation: accounts and keys, catalog types, organizations, reference data, activity log.
-- PostgreSQL twin of migrations/sqlite/0001_foundation.sql: same tables, columns and indexes;
-- indexes on nullable sort columns put NULLs first, matching the API's ordering.
-- Timestamps are milliseconds since the Unix epoch (UTC); dates are 'YYYY-MM-DD' text.

CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    key_prefix TEXT NOT NULL,
    password_access BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE organization_types (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT organization_types_name_unique UNIQUE (account_id, name)
);
CREATE INDEX organization_types_created ON organization_types (account_id, created_at);
CREATE INDEX organization_types_updated ON organization_types (account_id, updated_at);

CREATE TABLE organization_statuses (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT organization_statuses_name_unique UNIQUE (account_id, name)
);
CREATE INDEX organization_statuses_created ON organization_statuses (account_id, created_at);
CREATE INDEX organization_statuses_updated ON organization_statuses (account_id, updated_at);

CREATE TABLE configuration_types (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT configuration_types_name_unique UNIQUE (account_id, name)
);
CREATE INDEX configuration_types_created ON configuration_types (account_id, created_at);
CREATE INDEX configuration_types_updated ON configuration_types (account_id, updated_at);

CREATE TABLE configuration_statuses (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT configuration_statuses_name_unique UNIQUE (account_id, name)
);
CREATE INDEX configuration_statuses_created ON configuration_statuses (account_id, created_at);
CREATE INDEX configuration_statuses_updated ON configuration_statuses (account_id, updated_at);

CREATE TABLE contact_types (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT contact_types_name_unique UNIQUE (account_id, name)
);
CREATE INDEX contact_types_created ON contact_types (account_id, created_at);
CREATE INDEX contact_types_updated ON contact_types (account_id, updated_at);

CREATE TABLE password_categories (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT password_categories_name_unique UNIQUE (account_id, name)
);
CREATE INDEX password_categories_created ON password_categories (account_id, created_at);
CREATE INDEX password_categories_updated ON password_categories (account_id, updated_at);

CREATE TABLE manufacturers (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT manufacturers_name_unique UNIQUE (account_id, name)
);
CREATE INDEX manufacturers_created ON manufacturers (account_id, created_at);
CREATE INDEX manufacturers_updated ON manufacturers (account_id, updated_at);

CREATE TABLE models (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    manufacturer_id BIGINT REFERENCES manufacturers(id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX models_name ON models (account_id, name);
CREATE INDEX models_manufacturer ON models (account_id, manufacturer_id NULLS FIRST);
CREATE INDEX models_manufacturer_fk ON models (manufacturer_id);
CREATE INDEX models_created ON models (account_id, created_at);
CREATE INDEX models_updated ON models (account_id, updated_at);

CREATE TABLE organizations (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    alert TEXT,
    description TEXT,
    organization_type_id BIGINT REFERENCES organization_types(id) ON DELETE SET NULL,
    organization_status_id BIGINT REFERENCES organization_statuses(id) ON DELETE SET NULL,
    primary_org BOOLEAN NOT NULL DEFAULT FALSE,
    quick_notes TEXT,
    short_name TEXT,
    parent_id BIGINT REFERENCES organizations(id) ON DELETE SET NULL,
    ancestor_ids TEXT NOT NULL DEFAULT '[]',
    my_glue_account_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX organizations_name ON organizations (account_id, name);
CREATE INDEX organizations_type ON organizations (account_id, organization_type_id);
CREATE INDEX organizations_type_fk ON organizations (organization_type_id);
CREATE INDEX organizations_status ON organizations (account_id, organization_status_id);
CREATE INDEX organizations_status_fk ON organizations (organization_status_id);
CREATE INDEX organizations_primary ON organizations (account_id, primary_org);
CREATE INDEX organizations_short_name ON organizations (account_id, short_name NULLS FIRST);
CREATE INDEX organizations_parent ON organizations (parent_id);
CREATE INDEX organizations_my_glue ON organizations (account_id, my_glue_account_id NULLS FIRST);
CREATE INDEX organizations_created ON organizations (account_id, created_at);
CREATE INDEX organizations_updated ON organizations (account_id, updated_at);

CREATE TABLE platforms (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE operating_systems (
    id BIGSERIAL PRIMARY KEY,
    platform_id BIGINT NOT NULL REFERENCES platforms(id),
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX operating_systems_platform ON operating_systems (platform_id);

CREATE TABLE countries (
    id BIGSERIAL PRIMARY KEY,
    iso TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX countries_name ON countries (name);

CREATE TABLE regions (
    id BIGSERIAL PRIMARY KEY,
    country_id BIGINT NOT NULL REFERENCES countries(id),
    iso TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT regions_iso_unique UNIQUE (country_id, iso)
);
CREATE INDEX regions_name ON regions (name);
CREATE INDEX regions_iso ON regions (iso);

CREATE TABLE activity_log (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    api_key_id BIGINT,
    user_id BIGINT,
    organization_id BIGINT,
    level BIGINT NOT NULL DEFAULT 2,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id BIGINT,
    resource_name TEXT,
    ip_address TEXT,
    user_agent TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX activity_log_created ON activity_log (account_id, created_at);
CREATE INDEX activity_log_resource ON activity_log (account_id, resource_type, resource_id);
CREATE INDEX activity_log_organization ON activity_log (account_id, organization_id);
CREATE INDEX activity_log_action ON activity_log (account_id, action);
CREATE INDEX activity_log_resource_name ON activity_log (account_id, resource_name NULLS FIRST);
