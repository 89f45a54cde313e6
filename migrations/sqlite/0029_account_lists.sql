-- An index on each listed table's account alone, which SQLite ends with the
-- rowid: the order of a whole account's list by id (the default sort), so
-- its page reads 50 index entries instead of sorting every record of the
-- account (11 ms a page of 50 of 100,000 configurations; 0.01 ms with the
-- index). `store::ACCOUNT_ORDERED` names these tables; the page query names
-- the index (`INDEXED BY`), as SQLite's planner prefers another index on
-- `account_id` and a sort when the page has a LIMIT. Each is written in
-- id order, at its right-hand end.
CREATE INDEX organizations_account ON organizations (account_id);
CREATE INDEX configurations_account ON configurations (account_id);
CREATE INDEX contacts_account ON contacts (account_id);
CREATE INDEX locations_account ON locations (account_id);
CREATE INDEX passwords_account ON passwords (account_id);
CREATE INDEX domains_account ON domains (account_id);
CREATE INDEX documents_account ON documents (account_id);
CREATE INDEX flexible_assets_account ON flexible_assets (account_id);
CREATE INDEX expirations_account ON expirations (account_id);

-- PostgreSQL's per-organization record counts come in this version too;
-- SQLite has kept them since 0027 (see
-- migrations/postgres/0029_account_lists.sql).
