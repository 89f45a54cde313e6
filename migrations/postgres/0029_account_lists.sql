-- An index on each listed table's account and id: the order of a whole
-- account's list by id (the default sort), so its page reads 50 index
-- entries instead of every record of the account (see
-- migrations/sqlite/0029_account_lists.sql; `store::ACCOUNT_ORDERED`
-- names these tables).
CREATE INDEX organizations_account ON organizations (account_id, id);
CREATE INDEX configurations_account ON configurations (account_id, id);
CREATE INDEX contacts_account ON contacts (account_id, id);
CREATE INDEX locations_account ON locations (account_id, id);
CREATE INDEX passwords_account ON passwords (account_id, id);
CREATE INDEX domains_account ON domains (account_id, id);
CREATE INDEX documents_account ON documents (account_id, id);
CREATE INDEX flexible_assets_account ON flexible_assets (account_id, id);
CREATE INDEX expirations_account ON expirations (account_id, id);

-- How many records each organization holds, per table, as SQLite has kept
-- since 0027: a list filtered by organization (or a whole account's list)
-- reads its `total-count` here instead of counting the organization's index
-- entries, whose cost grows with the organization.
--
-- SQLite's triggers update one counter row per organization, which its
-- writes (taking turns) can afford. Here concurrent writers to one
-- organization would queue on that row until they commit, so a write adds
-- rows instead: each statement that inserts or deletes records adds one row
-- per organization it touched, holding the change (+3, -1), and a record
-- moved to another organization adds -1 and +1. A count is the sum of an
-- organization's rows (`Compiled::count_sql` in src/engine/compiled.rs,
-- one SQL text for both stores), and the server folds each organization's
-- rows into one every few seconds (`Store::fold_counts`), so a sum reads a
-- handful of rows. Inserting never waits for another writer.
CREATE TABLE organization_counts (
    table_name TEXT NOT NULL,
    account_id BIGINT NOT NULL,
    organization_id BIGINT NOT NULL,
    records BIGINT NOT NULL
);
CREATE INDEX organization_counts_key
    ON organization_counts (table_name, account_id, organization_id) INCLUDE (records);

-- A statement's inserted records (`inserted_rows`), by organization.
CREATE FUNCTION organization_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO organization_counts (table_name, account_id, organization_id, records)
        SELECT TG_TABLE_NAME, account_id, organization_id, COUNT(*)
        FROM inserted_rows GROUP BY account_id, organization_id;
    RETURN NULL;
END
$$;

-- A statement's deleted records (`deleted_rows`, cascades included), by
-- organization.
CREATE FUNCTION organization_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO organization_counts (table_name, account_id, organization_id, records)
        SELECT TG_TABLE_NAME, account_id, organization_id, -COUNT(*)
        FROM deleted_rows GROUP BY account_id, organization_id;
    RETURN NULL;
END
$$;

-- One record moved from one organization (or account) to another.
CREATE FUNCTION organization_counts_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO organization_counts (table_name, account_id, organization_id, records)
        VALUES (TG_TABLE_NAME, OLD.account_id, OLD.organization_id, -1),
               (TG_TABLE_NAME, NEW.account_id, NEW.organization_id, 1);
    RETURN NULL;
END
$$;

INSERT INTO organization_counts (table_name, account_id, organization_id, records)
    SELECT 'configurations', account_id, organization_id, COUNT(*) FROM configurations
    GROUP BY account_id, organization_id;
CREATE TRIGGER configurations_count_ai AFTER INSERT ON configurations
    REFERENCING NEW TABLE AS inserted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organization_counts_inserted();
CREATE TRIGGER configurations_count_ad AFTER DELETE ON configurations
    REFERENCING OLD TABLE AS deleted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organization_counts_deleted();
CREATE TRIGGER configurations_count_au AFTER UPDATE OF account_id, organization_id ON configurations
    FOR EACH ROW WHEN (NEW.account_id IS DISTINCT FROM OLD.account_id
                       OR NEW.organization_id IS DISTINCT FROM OLD.organization_id)
    EXECUTE FUNCTION organization_counts_moved();

INSERT INTO organization_counts (table_name, account_id, organization_id, records)
    SELECT 'contacts', account_id, organization_id, COUNT(*) FROM contacts
    GROUP BY account_id, organization_id;
CREATE TRIGGER contacts_count_ai AFTER INSERT ON contacts
    REFERENCING NEW TABLE AS inserted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organization_counts_inserted();
CREATE TRIGGER contacts_count_ad AFTER DELETE ON contacts
    REFERENCING OLD TABLE AS deleted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organization_counts_deleted();
CREATE TRIGGER contacts_count_au AFTER UPDATE OF account_id, organization_id ON contacts
    FOR EACH ROW WHEN (NEW.account_id IS DISTINCT FROM OLD.account_id
                       OR NEW.organization_id IS DISTINCT FROM OLD.organization_id)
    EXECUTE FUNCTION organization_counts_moved();

INSERT INTO organization_counts (table_name, account_id, organization_id, records)
    SELECT 'locations', account_id, organization_id, COUNT(*) FROM locations
    GROUP BY account_id, organization_id;
CREATE TRIGGER locations_count_ai AFTER INSERT ON locations
    REFERENCING NEW TABLE AS inserted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organization_counts_inserted();
CREATE TRIGGER locations_count_ad AFTER DELETE ON locations
    REFERENCING OLD TABLE AS deleted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organization_counts_deleted();
CREATE TRIGGER locations_count_au AFTER UPDATE OF account_id, organization_id ON locations
    FOR EACH ROW WHEN (NEW.account_id IS DISTINCT FROM OLD.account_id
                       OR NEW.organization_id IS DISTINCT FROM OLD.organization_id)
    EXECUTE FUNCTION organization_counts_moved();

INSERT INTO organization_counts (table_name, account_id, organization_id, records)
    SELECT 'passwords', account_id, organization_id, COUNT(*) FROM passwords
    GROUP BY account_id, organization_id;
CREATE TRIGGER passwords_count_ai AFTER INSERT ON passwords
    REFERENCING NEW TABLE AS inserted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organization_counts_inserted();
CREATE TRIGGER passwords_count_ad AFTER DELETE ON passwords
    REFERENCING OLD TABLE AS deleted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organization_counts_deleted();
CREATE TRIGGER passwords_count_au AFTER UPDATE OF account_id, organization_id ON passwords
    FOR EACH ROW WHEN (NEW.account_id IS DISTINCT FROM OLD.account_id
                       OR NEW.organization_id IS DISTINCT FROM OLD.organization_id)
    EXECUTE FUNCTION organization_counts_moved();

INSERT INTO organization_counts (table_name, account_id, organization_id, records)
    SELECT 'domains', account_id, organization_id, COUNT(*) FROM domains
    GROUP BY account_id, organization_id;
CREATE TRIGGER domains_count_ai AFTER INSERT ON domains
    REFERENCING NEW TABLE AS inserted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organization_counts_inserted();
CREATE TRIGGER domains_count_ad AFTER DELETE ON domains
    REFERENCING OLD TABLE AS deleted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organization_counts_deleted();
CREATE TRIGGER domains_count_au AFTER UPDATE OF account_id, organization_id ON domains
    FOR EACH ROW WHEN (NEW.account_id IS DISTINCT FROM OLD.account_id
                       OR NEW.organization_id IS DISTINCT FROM OLD.organization_id)
    EXECUTE FUNCTION organization_counts_moved();

INSERT INTO organization_counts (table_name, account_id, organization_id, records)
    SELECT 'documents', account_id, organization_id, COUNT(*) FROM documents
    GROUP BY account_id, organization_id;
CREATE TRIGGER documents_count_ai AFTER INSERT ON documents
    REFERENCING NEW TABLE AS inserted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organization_counts_inserted();
CREATE TRIGGER documents_count_ad AFTER DELETE ON documents
    REFERENCING OLD TABLE AS deleted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION organization_counts_deleted();
CREATE TRIGGER documents_count_au AFTER UPDATE OF account_id, organization_id ON documents
    FOR EACH ROW WHEN (NEW.account_id IS DISTINCT FROM OLD.account_id
                       OR NEW.organization_id IS DISTINCT FROM OLD.organization_id)
    EXECUTE FUNCTION organization_counts_moved();
