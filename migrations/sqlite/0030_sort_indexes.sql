-- Nothing to do on SQLite: its NULLs are the smallest values in every index,
-- which is the API's sort order, so each sort's index serves it in either
-- direction. PostgreSQL's indexes order NULLs last unless told, and this
-- version rebuilds the indexes its sorts read to order them first (see
-- migrations/postgres/0030_sort_indexes.sql).
SELECT 1;
