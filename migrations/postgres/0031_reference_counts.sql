-- How many records name each record of a reference table: a configuration
-- type's `configurations-count` and a password category's
-- `passwords-count` sum a few rows here instead of counting the type's
-- configurations (a list of types counted every configuration of the
-- account, on every request: 26-32 ms on the 100 x 1,000 demo). `counted`
-- names the table and the column that names the reference
-- ('configurations.configuration_type_id'); `reference_id` is the
-- referenced record. A reference belongs to one account, as do the records
-- naming it, and ids are never reused, so the reference's id is the key.
--
-- As organization_counts (0029): concurrent writers never wait on a
-- counter row, since each statement that inserts or deletes records adds a
-- row per reference it touched, holding the change, and a record moved to
-- another reference (or left without one when its reference is deleted)
-- adds -1 and +1. A count is the sum of its rows; `Store::fold_counts`
-- folds them into one every few seconds. SQLite keeps one row per
-- reference (migrations/sqlite/0031_reference_counts.sql).
CREATE TABLE reference_counts (
    counted TEXT NOT NULL,
    reference_id BIGINT NOT NULL,
    records BIGINT NOT NULL
);
CREATE INDEX reference_counts_key ON reference_counts (counted, reference_id) INCLUDE (records);

-- A statement's inserted (`inserted_rows`) or deleted (`deleted_rows`,
-- cascades included) configurations, by type.
CREATE FUNCTION configuration_type_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO reference_counts (counted, reference_id, records)
            SELECT 'configurations.configuration_type_id', configuration_type_id, COUNT(*)
            FROM inserted_rows WHERE configuration_type_id IS NOT NULL
            GROUP BY configuration_type_id;
    ELSE
        INSERT INTO reference_counts (counted, reference_id, records)
            SELECT 'configurations.configuration_type_id', configuration_type_id, -COUNT(*)
            FROM deleted_rows WHERE configuration_type_id IS NOT NULL
            GROUP BY configuration_type_id;
    END IF;
    RETURN NULL;
END
$$;

-- One configuration moved from one type to another, or to none.
CREATE FUNCTION configuration_type_counts_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reference_counts (counted, reference_id, records)
        SELECT 'configurations.configuration_type_id', moved.reference_id, moved.records
        FROM (VALUES (OLD.configuration_type_id, -1), (NEW.configuration_type_id, 1))
            AS moved (reference_id, records)
        WHERE moved.reference_id IS NOT NULL;
    RETURN NULL;
END
$$;

-- The same for passwords, by category.
CREATE FUNCTION password_category_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO reference_counts (counted, reference_id, records)
            SELECT 'passwords.password_category_id', password_category_id, COUNT(*)
            FROM inserted_rows WHERE password_category_id IS NOT NULL
            GROUP BY password_category_id;
    ELSE
        INSERT INTO reference_counts (counted, reference_id, records)
            SELECT 'passwords.password_category_id', password_category_id, -COUNT(*)
            FROM deleted_rows WHERE password_category_id IS NOT NULL
            GROUP BY password_category_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION password_category_counts_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reference_counts (counted, reference_id, records)
        SELECT 'passwords.password_category_id', moved.reference_id, moved.records
        FROM (VALUES (OLD.password_category_id, -1), (NEW.password_category_id, 1))
            AS moved (reference_id, records)
        WHERE moved.reference_id IS NOT NULL;
    RETURN NULL;
END
$$;

INSERT INTO reference_counts (counted, reference_id, records)
    SELECT 'configurations.configuration_type_id', configuration_type_id, COUNT(*)
    FROM configurations WHERE configuration_type_id IS NOT NULL
    GROUP BY configuration_type_id;
CREATE TRIGGER configurations_type_count_ai AFTER INSERT ON configurations
    REFERENCING NEW TABLE AS inserted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION configuration_type_counts_changed();
CREATE TRIGGER configurations_type_count_ad AFTER DELETE ON configurations
    REFERENCING OLD TABLE AS deleted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION configuration_type_counts_changed();
CREATE TRIGGER configurations_type_count_au AFTER UPDATE OF configuration_type_id ON configurations
    FOR EACH ROW WHEN (NEW.configuration_type_id IS DISTINCT FROM OLD.configuration_type_id)
    EXECUTE FUNCTION configuration_type_counts_moved();

INSERT INTO reference_counts (counted, reference_id, records)
    SELECT 'passwords.password_category_id', password_category_id, COUNT(*)
    FROM passwords WHERE password_category_id IS NOT NULL
    GROUP BY password_category_id;
CREATE TRIGGER passwords_category_count_ai AFTER INSERT ON passwords
    REFERENCING NEW TABLE AS inserted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION password_category_counts_changed();
CREATE TRIGGER passwords_category_count_ad AFTER DELETE ON passwords
    REFERENCING OLD TABLE AS deleted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION password_category_counts_changed();
CREATE TRIGGER passwords_category_count_au AFTER UPDATE OF password_category_id ON passwords
    FOR EACH ROW WHEN (NEW.password_category_id IS DISTINCT FROM OLD.password_category_id)
    EXECUTE FUNCTION password_category_counts_moved();
