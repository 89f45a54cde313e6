-- The id at the end of the indexes the API sorts by (those led by the
-- account and the sorted column, `NULLS FIRST` since 0004 and 0030). A
-- list's order is its sort and then the id (`Compiled::page_sql` in
-- src/engine/compiled.rs), and every SQLite index ends in the rowid anyway,
-- so there a page of records that share a value (a NULL warranty, a name
-- twice) is read in order from the index. Here those indexes ended in the
-- value, and a page sorted all the records sharing it: the first page of
-- 136,350 configurations sorted by `warranty_expires_at` (43,384 of them
-- without one) read and sorted the 43,384 (68 ms, `EXPLAIN (ANALYZE)`);
-- with the id it reads 50 index entries (0.07 ms). A descending cursor
-- walk from a value reads the key's NULLs as a page of their own, in id
-- order, as SQLite does.
--
-- The indexes that only filter (an archived flag, an action) keep their
-- columns: each holds a few values, which PostgreSQL stores once per value
-- (deduplication), and the id would make every entry its own; a count of
-- 170,206 configurations not archived took 20-24 ms through such an index
-- with the id against 15-16 without. Unique indexes keep theirs too, as
-- the id would change what they hold unique.
--
-- Nothing changes on SQLite (migrations/sqlite/0032_sort_indexes_by_id.sql).
DROP INDEX activity_log_created;
CREATE INDEX activity_log_created ON activity_log (account_id, created_at NULLS FIRST, id);
DROP INDEX activity_log_resource_name;
CREATE INDEX activity_log_resource_name ON activity_log (account_id, resource_name NULLS FIRST, id);
DROP INDEX attachments_name;
CREATE INDEX attachments_name ON attachments (account_id, name NULLS FIRST, id);
DROP INDEX configuration_interfaces_configuration;
CREATE INDEX configuration_interfaces_configuration ON configuration_interfaces (account_id, configuration_id NULLS FIRST, id);
DROP INDEX configuration_interfaces_created;
CREATE INDEX configuration_interfaces_created ON configuration_interfaces (account_id, created_at NULLS FIRST, id);
DROP INDEX configuration_interfaces_ip;
CREATE INDEX configuration_interfaces_ip ON configuration_interfaces (account_id, ip_address NULLS FIRST, id);
DROP INDEX configuration_interfaces_name;
CREATE INDEX configuration_interfaces_name ON configuration_interfaces (account_id, name NULLS FIRST, id);
DROP INDEX configuration_interfaces_updated;
CREATE INDEX configuration_interfaces_updated ON configuration_interfaces (account_id, updated_at NULLS FIRST, id);
DROP INDEX configuration_statuses_created;
CREATE INDEX configuration_statuses_created ON configuration_statuses (account_id, created_at NULLS FIRST, id);
DROP INDEX configuration_statuses_updated;
CREATE INDEX configuration_statuses_updated ON configuration_statuses (account_id, updated_at NULLS FIRST, id);
DROP INDEX configuration_types_created;
CREATE INDEX configuration_types_created ON configuration_types (account_id, created_at NULLS FIRST, id);
DROP INDEX configuration_types_updated;
CREATE INDEX configuration_types_updated ON configuration_types (account_id, updated_at NULLS FIRST, id);
DROP INDEX configurations_asset_tag;
CREATE INDEX configurations_asset_tag ON configurations (account_id, asset_tag NULLS FIRST, id);
DROP INDEX configurations_created;
CREATE INDEX configurations_created ON configurations (account_id, created_at NULLS FIRST, id);
DROP INDEX configurations_hostname;
CREATE INDEX configurations_hostname ON configurations (account_id, hostname NULLS FIRST, id);
DROP INDEX configurations_mac_address;
CREATE INDEX configurations_mac_address ON configurations (account_id, mac_address NULLS FIRST, id);
DROP INDEX configurations_name;
CREATE INDEX configurations_name ON configurations (account_id, name NULLS FIRST, id);
DROP INDEX configurations_primary_ip;
CREATE INDEX configurations_primary_ip ON configurations (account_id, primary_ip NULLS FIRST, id);
DROP INDEX configurations_serial_number;
CREATE INDEX configurations_serial_number ON configurations (account_id, serial_number NULLS FIRST, id);
DROP INDEX configurations_updated;
CREATE INDEX configurations_updated ON configurations (account_id, updated_at NULLS FIRST, id);
DROP INDEX configurations_warranty;
CREATE INDEX configurations_warranty ON configurations (account_id, warranty_expires_at NULLS FIRST, id);
DROP INDEX contact_types_created;
CREATE INDEX contact_types_created ON contact_types (account_id, created_at NULLS FIRST, id);
DROP INDEX contact_types_updated;
CREATE INDEX contact_types_updated ON contact_types (account_id, updated_at NULLS FIRST, id);
DROP INDEX contacts_created;
CREATE INDEX contacts_created ON contacts (account_id, created_at NULLS FIRST, id);
DROP INDEX contacts_first_name;
CREATE INDEX contacts_first_name ON contacts (account_id, first_name NULLS FIRST, id);
DROP INDEX contacts_last_name;
CREATE INDEX contacts_last_name ON contacts (account_id, last_name NULLS FIRST, id);
DROP INDEX contacts_name;
CREATE INDEX contacts_name ON contacts (account_id, name NULLS FIRST, id);
DROP INDEX contacts_primary_email;
CREATE INDEX contacts_primary_email ON contacts (account_id, primary_email NULLS FIRST, id);
DROP INDEX contacts_title;
CREATE INDEX contacts_title ON contacts (account_id, title NULLS FIRST, id);
DROP INDEX contacts_updated;
CREATE INDEX contacts_updated ON contacts (account_id, updated_at NULLS FIRST, id);
DROP INDEX documents_created;
CREATE INDEX documents_created ON documents (account_id, created_at NULLS FIRST, id);
DROP INDEX documents_expires_on;
CREATE INDEX documents_expires_on ON documents (account_id, expires_on NULLS FIRST, id);
DROP INDEX documents_last_viewed;
CREATE INDEX documents_last_viewed ON documents (account_id, last_viewed_at NULLS FIRST, id);
DROP INDEX documents_name;
CREATE INDEX documents_name ON documents (account_id, name NULLS FIRST, id);
DROP INDEX documents_updated;
CREATE INDEX documents_updated ON documents (account_id, updated_at NULLS FIRST, id);
DROP INDEX documents_view_count;
CREATE INDEX documents_view_count ON documents (account_id, view_count NULLS FIRST, id);
DROP INDEX domains_created;
CREATE INDEX domains_created ON domains (account_id, created_at NULLS FIRST, id);
DROP INDEX domains_expires_on;
CREATE INDEX domains_expires_on ON domains (account_id, expires_on NULLS FIRST, id);
DROP INDEX domains_name;
CREATE INDEX domains_name ON domains (account_id, name NULLS FIRST, id);
DROP INDEX domains_updated;
CREATE INDEX domains_updated ON domains (account_id, updated_at NULLS FIRST, id);
DROP INDEX expirations_created;
CREATE INDEX expirations_created ON expirations (account_id, created_at NULLS FIRST, id);
DROP INDEX expirations_date;
CREATE INDEX expirations_date ON expirations (account_id, expiration_date NULLS FIRST, id);
DROP INDEX expirations_resource_name;
CREATE INDEX expirations_resource_name ON expirations (account_id, resource_name NULLS FIRST, id);
DROP INDEX expirations_updated;
CREATE INDEX expirations_updated ON expirations (account_id, updated_at NULLS FIRST, id);
DROP INDEX flexible_asset_types_created;
CREATE INDEX flexible_asset_types_created ON flexible_asset_types (account_id, created_at NULLS FIRST, id);
DROP INDEX flexible_asset_types_icon;
CREATE INDEX flexible_asset_types_icon ON flexible_asset_types (account_id, icon NULLS FIRST, id);
DROP INDEX flexible_asset_types_name;
CREATE INDEX flexible_asset_types_name ON flexible_asset_types (account_id, name NULLS FIRST, id);
DROP INDEX flexible_asset_types_updated;
CREATE INDEX flexible_asset_types_updated ON flexible_asset_types (account_id, updated_at NULLS FIRST, id);
DROP INDEX flexible_assets_created;
CREATE INDEX flexible_assets_created ON flexible_assets (account_id, created_at NULLS FIRST, id);
DROP INDEX flexible_assets_name;
CREATE INDEX flexible_assets_name ON flexible_assets (account_id, name NULLS FIRST, id);
DROP INDEX flexible_assets_updated;
CREATE INDEX flexible_assets_updated ON flexible_assets (account_id, updated_at NULLS FIRST, id);
DROP INDEX locations_city;
CREATE INDEX locations_city ON locations (account_id, city NULLS FIRST, id);
DROP INDEX locations_country;
CREATE INDEX locations_country ON locations (account_id, country_id NULLS FIRST, id);
DROP INDEX locations_created;
CREATE INDEX locations_created ON locations (account_id, created_at NULLS FIRST, id);
DROP INDEX locations_name;
CREATE INDEX locations_name ON locations (account_id, name NULLS FIRST, id);
DROP INDEX locations_primary;
CREATE INDEX locations_primary ON locations (account_id, primary_location NULLS FIRST, id);
DROP INDEX locations_region;
CREATE INDEX locations_region ON locations (account_id, region_id NULLS FIRST, id);
DROP INDEX locations_updated;
CREATE INDEX locations_updated ON locations (account_id, updated_at NULLS FIRST, id);
DROP INDEX manufacturers_created;
CREATE INDEX manufacturers_created ON manufacturers (account_id, created_at NULLS FIRST, id);
DROP INDEX manufacturers_updated;
CREATE INDEX manufacturers_updated ON manufacturers (account_id, updated_at NULLS FIRST, id);
DROP INDEX models_created;
CREATE INDEX models_created ON models (account_id, created_at NULLS FIRST, id);
DROP INDEX models_name;
CREATE INDEX models_name ON models (account_id, name NULLS FIRST, id);
DROP INDEX models_updated;
CREATE INDEX models_updated ON models (account_id, updated_at NULLS FIRST, id);
DROP INDEX organization_statuses_created;
CREATE INDEX organization_statuses_created ON organization_statuses (account_id, created_at NULLS FIRST, id);
DROP INDEX organization_statuses_updated;
CREATE INDEX organization_statuses_updated ON organization_statuses (account_id, updated_at NULLS FIRST, id);
DROP INDEX organization_types_created;
CREATE INDEX organization_types_created ON organization_types (account_id, created_at NULLS FIRST, id);
DROP INDEX organization_types_updated;
CREATE INDEX organization_types_updated ON organization_types (account_id, updated_at NULLS FIRST, id);
DROP INDEX organizations_created;
CREATE INDEX organizations_created ON organizations (account_id, created_at NULLS FIRST, id);
DROP INDEX organizations_my_glue;
CREATE INDEX organizations_my_glue ON organizations (account_id, my_glue_account_id NULLS FIRST, id);
DROP INDEX organizations_name;
CREATE INDEX organizations_name ON organizations (account_id, name NULLS FIRST, id);
DROP INDEX organizations_short_name;
CREATE INDEX organizations_short_name ON organizations (account_id, short_name NULLS FIRST, id);
DROP INDEX organizations_updated;
CREATE INDEX organizations_updated ON organizations (account_id, updated_at NULLS FIRST, id);
DROP INDEX password_categories_created;
CREATE INDEX password_categories_created ON password_categories (account_id, created_at NULLS FIRST, id);
DROP INDEX password_categories_updated;
CREATE INDEX password_categories_updated ON password_categories (account_id, updated_at NULLS FIRST, id);
DROP INDEX passwords_created;
CREATE INDEX passwords_created ON passwords (account_id, created_at NULLS FIRST, id);
DROP INDEX passwords_name;
CREATE INDEX passwords_name ON passwords (account_id, name NULLS FIRST, id);
DROP INDEX passwords_updated;
CREATE INDEX passwords_updated ON passwords (account_id, updated_at NULLS FIRST, id);
DROP INDEX passwords_username;
CREATE INDEX passwords_username ON passwords (account_id, username NULLS FIRST, id);
