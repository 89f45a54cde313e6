-- How many records name each record of a reference table, kept by
-- triggers: a configuration type's `configurations-count` and a password
-- category's `passwords-count` read one row here instead of counting the
-- type's configurations (a list of types counted every configuration of the
-- account, on every request). `counted` names the table and the column
-- that names the reference ('configurations.configuration_type_id');
-- `reference_id` is the referenced record. A reference belongs to one
-- account, as do the records naming it, and ids are never reused, so the
-- reference's id is the key. The computed attributes are in
-- src/resources/catalog.rs; `store::REFERENCE_COUNTED` names what is
-- counted.
--
-- As organization_counts (0027): one row per reference on SQLite, whose
-- writes take turns; PostgreSQL adds rows of changes instead
-- (migrations/postgres/0031_reference_counts.sql).
CREATE TABLE reference_counts (
    counted TEXT NOT NULL,
    reference_id BIGINT NOT NULL,
    records BIGINT NOT NULL,
    PRIMARY KEY (counted, reference_id)
) WITHOUT ROWID;

INSERT INTO reference_counts (counted, reference_id, records)
    SELECT 'configurations.configuration_type_id', configuration_type_id, COUNT(*)
    FROM configurations WHERE configuration_type_id IS NOT NULL
    GROUP BY configuration_type_id;
CREATE TRIGGER configurations_type_count_ai AFTER INSERT ON configurations
WHEN new.configuration_type_id IS NOT NULL BEGIN
    INSERT INTO reference_counts (counted, reference_id, records)
        VALUES ('configurations.configuration_type_id', new.configuration_type_id, 1)
        ON CONFLICT DO UPDATE SET records = records + 1;
END;
CREATE TRIGGER configurations_type_count_ad AFTER DELETE ON configurations
WHEN old.configuration_type_id IS NOT NULL BEGIN
    UPDATE reference_counts SET records = records - 1
        WHERE counted = 'configurations.configuration_type_id'
        AND reference_id = old.configuration_type_id;
END;
-- A type changed, or cleared when its type is deleted (ON DELETE SET NULL).
CREATE TRIGGER configurations_type_count_au AFTER UPDATE OF configuration_type_id ON configurations
WHEN new.configuration_type_id IS NOT old.configuration_type_id BEGIN
    UPDATE reference_counts SET records = records - 1
        WHERE counted = 'configurations.configuration_type_id'
        AND reference_id = old.configuration_type_id;
    INSERT INTO reference_counts (counted, reference_id, records)
        SELECT 'configurations.configuration_type_id', new.configuration_type_id, 1
        WHERE new.configuration_type_id IS NOT NULL
        ON CONFLICT DO UPDATE SET records = records + 1;
END;

INSERT INTO reference_counts (counted, reference_id, records)
    SELECT 'passwords.password_category_id', password_category_id, COUNT(*)
    FROM passwords WHERE password_category_id IS NOT NULL
    GROUP BY password_category_id;
CREATE TRIGGER passwords_category_count_ai AFTER INSERT ON passwords
WHEN new.password_category_id IS NOT NULL BEGIN
    INSERT INTO reference_counts (counted, reference_id, records)
        VALUES ('passwords.password_category_id', new.password_category_id, 1)
        ON CONFLICT DO UPDATE SET records = records + 1;
END;
CREATE TRIGGER passwords_category_count_ad AFTER DELETE ON passwords
WHEN old.password_category_id IS NOT NULL BEGIN
    UPDATE reference_counts SET records = records - 1
        WHERE counted = 'passwords.password_category_id'
        AND reference_id = old.password_category_id;
END;
CREATE TRIGGER passwords_category_count_au AFTER UPDATE OF password_category_id ON passwords
WHEN new.password_category_id IS NOT old.password_category_id BEGIN
    UPDATE reference_counts SET records = records - 1
        WHERE counted = 'passwords.password_category_id'
        AND reference_id = old.password_category_id;
    INSERT INTO reference_counts (counted, reference_id, records)
        SELECT 'passwords.password_category_id', new.password_category_id, 1
        WHERE new.password_category_id IS NOT NULL
        ON CONFLICT DO UPDATE SET records = records + 1;
END;
