-- How many records each organization holds, per table, kept by triggers:
-- a list filtered by organization (or a whole account's list) reads its
-- `total-count` here instead of counting the organization's index entries,
-- whose cost grows with the organization (10,000 configurations are ten
-- times a thousand). `organization_count_sql` in src/engine/compiled.rs
-- reads it; `store::ORGANIZATION_COUNTED` names the tables it counts.
--
-- SQLite only: its writes take turns, so the counter rows cost no
-- concurrency. On PostgreSQL concurrent writers to one organization would
-- queue on its counter row (and two bulk writes touching two organizations
-- in opposite orders would deadlock); it counts the index as before.
CREATE TABLE organization_counts (
    table_name TEXT NOT NULL,
    account_id BIGINT NOT NULL,
    organization_id BIGINT NOT NULL,
    records BIGINT NOT NULL,
    PRIMARY KEY (table_name, account_id, organization_id)
) WITHOUT ROWID;

INSERT INTO organization_counts (table_name, account_id, organization_id, records)
    SELECT 'configurations', account_id, organization_id, COUNT(*) FROM configurations
    GROUP BY account_id, organization_id;
CREATE TRIGGER configurations_count_ai AFTER INSERT ON configurations BEGIN
    INSERT INTO organization_counts (table_name, account_id, organization_id, records)
        VALUES ('configurations', new.account_id, new.organization_id, 1)
        ON CONFLICT DO UPDATE SET records = records + 1;
END;
CREATE TRIGGER configurations_count_ad AFTER DELETE ON configurations BEGIN
    UPDATE organization_counts SET records = records - 1
        WHERE table_name = 'configurations' AND account_id = old.account_id
        AND organization_id = old.organization_id;
END;
CREATE TRIGGER configurations_count_au AFTER UPDATE OF account_id, organization_id ON configurations
WHEN new.account_id IS NOT old.account_id OR new.organization_id IS NOT old.organization_id BEGIN
    UPDATE organization_counts SET records = records - 1
        WHERE table_name = 'configurations' AND account_id = old.account_id
        AND organization_id = old.organization_id;
    INSERT INTO organization_counts (table_name, account_id, organization_id, records)
        VALUES ('configurations', new.account_id, new.organization_id, 1)
        ON CONFLICT DO UPDATE SET records = records + 1;
END;

INSERT INTO organization_counts (table_name, account_id, organization_id, records)
    SELECT 'contacts', account_id, organization_id, COUNT(*) FROM contacts
    GROUP BY account_id, organization_id;
CREATE TRIGGER contacts_count_ai AFTER INSERT ON contacts BEGIN
    INSERT INTO organization_counts (table_name, account_id, organization_id, records)
        VALUES ('contacts', new.account_id, new.organization_id, 1)
        ON CONFLICT DO UPDATE SET records = records + 1;
END;
CREATE TRIGGER contacts_count_ad AFTER DELETE ON contacts BEGIN
    UPDATE organization_counts SET records = records - 1
        WHERE table_name = 'contacts' AND account_id = old.account_id
        AND organization_id = old.organization_id;
END;
CREATE TRIGGER contacts_count_au AFTER UPDATE OF account_id, organization_id ON contacts
WHEN new.account_id IS NOT old.account_id OR new.organization_id IS NOT old.organization_id BEGIN
    UPDATE organization_counts SET records = records - 1
        WHERE table_name = 'contacts' AND account_id = old.account_id
        AND organization_id = old.organization_id;
    INSERT INTO organization_counts (table_name, account_id, organization_id, records)
        VALUES ('contacts', new.account_id, new.organization_id, 1)
        ON CONFLICT DO UPDATE SET records = records + 1;
END;

INSERT INTO organization_counts (table_name, account_id, organization_id, records)
    SELECT 'locations', account_id, organization_id, COUNT(*) FROM locations
    GROUP BY account_id, organization_id;
CREATE TRIGGER locations_count_ai AFTER INSERT ON locations BEGIN
    INSERT INTO organization_counts (table_name, account_id, organization_id, records)
        VALUES ('locations', new.account_id, new.organization_id, 1)
        ON CONFLICT DO UPDATE SET records = records + 1;
END;
CREATE TRIGGER locations_count_ad AFTER DELETE ON locations BEGIN
    UPDATE organization_counts SET records = records - 1
        WHERE table_name = 'locations' AND account_id = old.account_id
        AND organization_id = old.organization_id;
END;
CREATE TRIGGER locations_count_au AFTER UPDATE OF account_id, organization_id ON locations
WHEN new.account_id IS NOT old.account_id OR new.organization_id IS NOT old.organization_id BEGIN
    UPDATE organization_counts SET records = records - 1
        WHERE table_name = 'locations' AND account_id = old.account_id
        AND organization_id = old.organization_id;
    INSERT INTO organization_counts (table_name, account_id, organization_id, records)
        VALUES ('locations', new.account_id, new.organization_id, 1)
        ON CONFLICT DO UPDATE SET records = records + 1;
END;

INSERT INTO organization_counts (table_name, account_id, organization_id, records)
    SELECT 'passwords', account_id, organization_id, COUNT(*) FROM passwords
    GROUP BY account_id, organization_id;
CREATE TRIGGER passwords_count_ai AFTER INSERT ON passwords BEGIN
    INSERT INTO organization_counts (table_name, account_id, organization_id, records)
        VALUES ('passwords', new.account_id, new.organization_id, 1)
        ON CONFLICT DO UPDATE SET records = records + 1;
END;
CREATE TRIGGER passwords_count_ad AFTER DELETE ON passwords BEGIN
    UPDATE organization_counts SET records = records - 1
        WHERE table_name = 'passwords' AND account_id = old.account_id
        AND organization_id = old.organization_id;
END;
CREATE TRIGGER passwords_count_au AFTER UPDATE OF account_id, organization_id ON passwords
WHEN new.account_id IS NOT old.account_id OR new.organization_id IS NOT old.organization_id BEGIN
    UPDATE organization_counts SET records = records - 1
        WHERE table_name = 'passwords' AND account_id = old.account_id
        AND organization_id = old.organization_id;
    INSERT INTO organization_counts (table_name, account_id, organization_id, records)
        VALUES ('passwords', new.account_id, new.organization_id, 1)
        ON CONFLICT DO UPDATE SET records = records + 1;
END;

INSERT INTO organization_counts (table_name, account_id, organization_id, records)
    SELECT 'domains', account_id, organization_id, COUNT(*) FROM domains
    GROUP BY account_id, organization_id;
CREATE TRIGGER domains_count_ai AFTER INSERT ON domains BEGIN
    INSERT INTO organization_counts (table_name, account_id, organization_id, records)
        VALUES ('domains', new.account_id, new.organization_id, 1)
        ON CONFLICT DO UPDATE SET records = records + 1;
END;
CREATE TRIGGER domains_count_ad AFTER DELETE ON domains BEGIN
    UPDATE organization_counts SET records = records - 1
        WHERE table_name = 'domains' AND account_id = old.account_id
        AND organization_id = old.organization_id;
END;
CREATE TRIGGER domains_count_au AFTER UPDATE OF account_id, organization_id ON domains
WHEN new.account_id IS NOT old.account_id OR new.organization_id IS NOT old.organization_id BEGIN
    UPDATE organization_counts SET records = records - 1
        WHERE table_name = 'domains' AND account_id = old.account_id
        AND organization_id = old.organization_id;
    INSERT INTO organization_counts (table_name, account_id, organization_id, records)
        VALUES ('domains', new.account_id, new.organization_id, 1)
        ON CONFLICT DO UPDATE SET records = records + 1;
END;

INSERT INTO organization_counts (table_name, account_id, organization_id, records)
    SELECT 'documents', account_id, organization_id, COUNT(*) FROM documents
    GROUP BY account_id, organization_id;
CREATE TRIGGER documents_count_ai AFTER INSERT ON documents BEGIN
    INSERT INTO organization_counts (table_name, account_id, organization_id, records)
        VALUES ('documents', new.account_id, new.organization_id, 1)
        ON CONFLICT DO UPDATE SET records = records + 1;
END;
CREATE TRIGGER documents_count_ad AFTER DELETE ON documents BEGIN
    UPDATE organization_counts SET records = records - 1
        WHERE table_name = 'documents' AND account_id = old.account_id
        AND organization_id = old.organization_id;
END;
CREATE TRIGGER documents_count_au AFTER UPDATE OF account_id, organization_id ON documents
WHEN new.account_id IS NOT old.account_id OR new.organization_id IS NOT old.organization_id BEGIN
    UPDATE organization_counts SET records = records - 1
        WHERE table_name = 'documents' AND account_id = old.account_id
        AND organization_id = old.organization_id;
    INSERT INTO organization_counts (table_name, account_id, organization_id, records)
        VALUES ('documents', new.account_id, new.organization_id, 1)
        ON CONFLICT DO UPDATE SET records = records + 1;
END;
