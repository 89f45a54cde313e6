-- Nothing to do on PostgreSQL: SQLite keeps a count of each organization's
-- records by triggers in this version (see
-- migrations/sqlite/0027_organization_counts.sql), which concurrent
-- writers on PostgreSQL would queue on; it counts the index as before.
SELECT 1;
