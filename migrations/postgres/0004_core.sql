-- Core documentation: locations, contacts, configurations and their interfaces,
-- PostgreSQL twin of migrations/sqlite/0004_core.sql: same tables, columns and indexes;
-- indexes on nullable sort and filter columns put NULLs first, matching the API's ordering.
-- domains, documents and their revisions, related items, attachments and
-- expirations. Every organization-owned row cascades with its organization;
-- polymorphic rows (related items, attachments, expirations) carry the
-- organization of their record for the same reason.

CREATE TABLE locations (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    primary_location BOOLEAN NOT NULL DEFAULT FALSE,
    address_1 TEXT,
    address_2 TEXT,
    city TEXT,
    postal_code TEXT,
    region_id BIGINT REFERENCES regions(id),
    country_id BIGINT REFERENCES countries(id),
    phone TEXT,
    fax TEXT,
    formatted_phone TEXT,
    formatted_fax TEXT,
    notes TEXT,
    restricted BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX locations_name ON locations (account_id, name NULLS FIRST);
CREATE INDEX locations_organization ON locations (account_id, organization_id);
CREATE INDEX locations_organization_fk ON locations (organization_id);
CREATE INDEX locations_primary ON locations (account_id, primary_location);
CREATE INDEX locations_city ON locations (account_id, city NULLS FIRST);
CREATE INDEX locations_region ON locations (account_id, region_id NULLS FIRST);
CREATE INDEX locations_country ON locations (account_id, country_id NULLS FIRST);
CREATE INDEX locations_created ON locations (account_id, created_at);
CREATE INDEX locations_updated ON locations (account_id, updated_at);

CREATE TABLE contacts (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL DEFAULT '',
    first_name TEXT,
    last_name TEXT,
    title TEXT,
    contact_type_id BIGINT REFERENCES contact_types(id) ON DELETE SET NULL,
    location_id BIGINT REFERENCES locations(id) ON DELETE SET NULL,
    important BOOLEAN NOT NULL DEFAULT FALSE,
    notes TEXT,
    restricted BOOLEAN NOT NULL DEFAULT FALSE,
    contact_emails TEXT NOT NULL DEFAULT '[]',
    contact_phones TEXT NOT NULL DEFAULT '[]',
    primary_email TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contacts_name ON contacts (account_id, name NULLS FIRST);
CREATE INDEX contacts_organization ON contacts (account_id, organization_id);
CREATE INDEX contacts_organization_fk ON contacts (organization_id);
CREATE INDEX contacts_first_name ON contacts (account_id, first_name NULLS FIRST);
CREATE INDEX contacts_last_name ON contacts (account_id, last_name NULLS FIRST);
CREATE INDEX contacts_title ON contacts (account_id, title NULLS FIRST);
CREATE INDEX contacts_type ON contacts (account_id, contact_type_id NULLS FIRST);
CREATE INDEX contacts_type_fk ON contacts (contact_type_id);
CREATE INDEX contacts_location_fk ON contacts (location_id);
CREATE INDEX contacts_important ON contacts (account_id, important);
CREATE INDEX contacts_primary_email ON contacts (account_id, primary_email NULLS FIRST);
CREATE INDEX contacts_created ON contacts (account_id, created_at);
CREATE INDEX contacts_updated ON contacts (account_id, updated_at);

CREATE TABLE configurations (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    hostname TEXT,
    primary_ip TEXT,
    mac_address TEXT,
    default_gateway TEXT,
    serial_number TEXT,
    asset_tag TEXT,
    position TEXT,
    installed_by TEXT,
    purchased_by TEXT,
    notes TEXT,
    operating_system_notes TEXT,
    warranty_expires_at TEXT,
    installed_at TEXT,
    purchased_at TEXT,
    mitp_device_expiration_date TEXT,
    mitp_end_of_life_date TEXT,
    configuration_type_id BIGINT REFERENCES configuration_types(id) ON DELETE SET NULL,
    configuration_status_id BIGINT REFERENCES configuration_statuses(id) ON DELETE SET NULL,
    manufacturer_id BIGINT REFERENCES manufacturers(id) ON DELETE SET NULL,
    model_id BIGINT REFERENCES models(id) ON DELETE SET NULL,
    operating_system_id BIGINT REFERENCES operating_systems(id),
    location_id BIGINT REFERENCES locations(id) ON DELETE SET NULL,
    contact_id BIGINT REFERENCES contacts(id) ON DELETE SET NULL,
    restricted BOOLEAN NOT NULL DEFAULT FALSE,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX configurations_name ON configurations (account_id, name NULLS FIRST);
CREATE INDEX configurations_organization ON configurations (account_id, organization_id);
CREATE INDEX configurations_organization_fk ON configurations (organization_id);
CREATE INDEX configurations_type ON configurations (account_id, configuration_type_id);
CREATE INDEX configurations_type_fk ON configurations (configuration_type_id);
CREATE INDEX configurations_status ON configurations (account_id, configuration_status_id);
CREATE INDEX configurations_status_fk ON configurations (configuration_status_id);
CREATE INDEX configurations_contact ON configurations (account_id, contact_id NULLS FIRST);
CREATE INDEX configurations_contact_fk ON configurations (contact_id);
CREATE INDEX configurations_location_fk ON configurations (location_id);
CREATE INDEX configurations_manufacturer_fk ON configurations (manufacturer_id);
CREATE INDEX configurations_model_fk ON configurations (model_id);
CREATE INDEX configurations_serial_number ON configurations (account_id, serial_number NULLS FIRST);
CREATE INDEX configurations_mac_address ON configurations (account_id, mac_address NULLS FIRST);
CREATE INDEX configurations_asset_tag ON configurations (account_id, asset_tag NULLS FIRST);
CREATE INDEX configurations_archived ON configurations (account_id, archived);
CREATE INDEX configurations_hostname ON configurations (account_id, hostname NULLS FIRST);
CREATE INDEX configurations_primary_ip ON configurations (account_id, primary_ip NULLS FIRST);
CREATE INDEX configurations_warranty ON configurations (account_id, warranty_expires_at NULLS FIRST);
CREATE INDEX configurations_created ON configurations (account_id, created_at);
CREATE INDEX configurations_updated ON configurations (account_id, updated_at);

CREATE TABLE configuration_interfaces (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    configuration_id BIGINT NOT NULL REFERENCES configurations(id) ON DELETE CASCADE,
    name TEXT,
    ip_address TEXT,
    mac_address TEXT,
    primary_interface BOOLEAN NOT NULL DEFAULT FALSE,
    notes TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX configuration_interfaces_configuration ON configuration_interfaces (account_id, configuration_id);
CREATE INDEX configuration_interfaces_configuration_fk ON configuration_interfaces (configuration_id, primary_interface);
CREATE INDEX configuration_interfaces_name ON configuration_interfaces (account_id, name NULLS FIRST);
CREATE INDEX configuration_interfaces_ip ON configuration_interfaces (account_id, ip_address NULLS FIRST);
CREATE INDEX configuration_interfaces_created ON configuration_interfaces (account_id, created_at);
CREATE INDEX configuration_interfaces_updated ON configuration_interfaces (account_id, updated_at);

CREATE TABLE domains (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    registrar_name TEXT,
    notes TEXT,
    expires_on BIGINT,
    restricted BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX domains_name ON domains (account_id, name NULLS FIRST);
CREATE INDEX domains_organization ON domains (account_id, organization_id);
CREATE INDEX domains_organization_fk ON domains (organization_id);
CREATE INDEX domains_expires_on ON domains (account_id, expires_on NULLS FIRST);
CREATE INDEX domains_created ON domains (account_id, created_at);
CREATE INDEX domains_updated ON domains (account_id, updated_at);

CREATE TABLE documents (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    content TEXT,
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    restricted BOOLEAN NOT NULL DEFAULT FALSE,
    is_public BOOLEAN NOT NULL DEFAULT FALSE,
    is_uploaded BOOLEAN NOT NULL DEFAULT FALSE,
    document_folder_id BIGINT,
    expires_on TEXT,
    published_at BIGINT,
    last_viewed_at BIGINT,
    revision BIGINT NOT NULL DEFAULT 1,
    updated_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX documents_name ON documents (account_id, name NULLS FIRST);
CREATE INDEX documents_organization ON documents (account_id, organization_id);
CREATE INDEX documents_organization_fk ON documents (organization_id);
CREATE INDEX documents_archived ON documents (account_id, archived);
CREATE INDEX documents_expires_on ON documents (account_id, expires_on NULLS FIRST);
CREATE INDEX documents_created ON documents (account_id, created_at);
CREATE INDEX documents_updated ON documents (account_id, updated_at);

CREATE TABLE document_versions (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    document_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    revision BIGINT NOT NULL,
    name TEXT NOT NULL,
    content TEXT,
    api_key_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT document_versions_unique UNIQUE (document_id, revision)
);
CREATE INDEX document_versions_account ON document_versions (account_id, document_id);

CREATE TABLE related_items (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    organization_id BIGINT REFERENCES organizations(id) ON DELETE CASCADE,
    resource_type TEXT NOT NULL,
    resource_id BIGINT NOT NULL,
    destination_type TEXT NOT NULL,
    destination_id BIGINT NOT NULL,
    destination_organization_id BIGINT REFERENCES organizations(id) ON DELETE CASCADE,
    notes TEXT,
    via_copilot BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT related_items_unique UNIQUE (account_id, resource_type, resource_id, destination_type, destination_id)
);
CREATE INDEX related_items_destination ON related_items (account_id, destination_type, destination_id);
CREATE INDEX related_items_organization_fk ON related_items (organization_id);
CREATE INDEX related_items_destination_organization_fk ON related_items (destination_organization_id);
CREATE INDEX related_items_created ON related_items (account_id, created_at);
CREATE INDEX related_items_updated ON related_items (account_id, updated_at);

CREATE TABLE attachments (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    organization_id BIGINT REFERENCES organizations(id) ON DELETE CASCADE,
    resource_type TEXT NOT NULL,
    resource_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    file_size BIGINT NOT NULL,
    ext TEXT,
    blob_key TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX attachments_resource ON attachments (account_id, resource_type, resource_id);
CREATE INDEX attachments_organization_fk ON attachments (organization_id);
CREATE INDEX attachments_name ON attachments (account_id, name NULLS FIRST);
CREATE INDEX attachments_created ON attachments (account_id, created_at);
CREATE INDEX attachments_updated ON attachments (account_id, updated_at);

CREATE TABLE expirations (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    resource_type TEXT NOT NULL,
    resource_id BIGINT NOT NULL,
    resource_name TEXT,
    description TEXT NOT NULL,
    expiration_date BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CONSTRAINT expirations_unique UNIQUE (account_id, resource_type, resource_id, description)
);
CREATE INDEX expirations_organization ON expirations (account_id, organization_id);
CREATE INDEX expirations_organization_fk ON expirations (organization_id);
CREATE INDEX expirations_date ON expirations (account_id, expiration_date);
CREATE INDEX expirations_resource_id ON expirations (account_id, resource_id);
CREATE INDEX expirations_resource_name ON expirations (account_id, resource_name NULLS FIRST);
CREATE INDEX expirations_description ON expirations (account_id, description);
CREATE INDEX expirations_created ON expirations (account_id, created_at);
CREATE INDEX expirations_updated ON expirations (account_id, updated_at);

-- Indexes that earlier tables lacked for filters and sorts they serve.
CREATE INDEX passwords_resource_id ON passwords (account_id, resource_id);
CREATE INDEX activity_log_resource_id ON activity_log (account_id, resource_id);
CREATE INDEX platforms_created ON platforms (created_at);
CREATE INDEX platforms_updated ON platforms (updated_at);
CREATE INDEX operating_systems_created ON operating_systems (created_at);
CREATE INDEX operating_systems_updated ON operating_systems (updated_at);
CREATE INDEX countries_created ON countries (created_at);
CREATE INDEX countries_updated ON countries (updated_at);
CREATE INDEX regions_created ON regions (created_at);
CREATE INDEX regions_updated ON regions (updated_at);
