\timing off
-- After (0030's index, and -id without a NULLS clause)
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY ON) SELECT t.id, t.updated_at AS s0 FROM configurations t WHERE 1=1 AND t.account_id = 1 ORDER BY t.updated_at DESC NULLS LAST, t.id ASC LIMIT 50 OFFSET 50;
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY ON) SELECT t.id, t.created_at AS s0 FROM configurations t WHERE 1=1 AND t.account_id = 1 ORDER BY t.created_at ASC NULLS FIRST, t.id ASC LIMIT 50 OFFSET 50;
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY ON) SELECT t.id, t.id AS s0 FROM configurations t WHERE 1=1 AND t.account_id = 1 ORDER BY t.id DESC, t.id ASC LIMIT 50 OFFSET 50;
BEGIN;
DROP INDEX configurations_updated;
CREATE INDEX configurations_updated ON configurations (account_id, updated_at);
DROP INDEX configurations_created;
CREATE INDEX configurations_created ON configurations (account_id, created_at);
-- Before
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY ON) SELECT t.id, t.updated_at AS s0 FROM configurations t WHERE 1=1 AND t.account_id = 1 ORDER BY t.updated_at DESC NULLS LAST, t.id ASC LIMIT 50 OFFSET 50;
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY ON) SELECT t.id, t.created_at AS s0 FROM configurations t WHERE 1=1 AND t.account_id = 1 ORDER BY t.created_at ASC NULLS FIRST, t.id ASC LIMIT 50 OFFSET 50;
EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY ON) SELECT t.id, t.id AS s0 FROM configurations t WHERE 1=1 AND t.account_id = 1 ORDER BY t.id DESC NULLS LAST, t.id ASC LIMIT 50 OFFSET 50;
ROLLBACK;
