-- The durable job queue (src/jobs): one row per job. A worker claims a job
-- by setting it `running` under a lease (a token of its own and an expiry it
-- renews while the job runs); a job whose lease expired is claimed again.
-- `state` is queued, running, done or failed. `unique_key` keeps at most one
-- pending (queued or running) job per key, such as the periodic clean-up.
CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    account_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    unique_key TEXT,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    run_after BIGINT NOT NULL,
    lease TEXT,
    lease_expires_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);

-- Claims: queued jobs in the order they are due; running jobs by lease expiry.
CREATE INDEX jobs_due ON jobs (state, run_after, id);
CREATE INDEX jobs_leases ON jobs (state, lease_expires_at NULLS FIRST);
-- Clean-up of finished jobs, and `mortar jobs list --state`.
CREATE INDEX jobs_finished ON jobs (state, finished_at NULLS FIRST);
-- Deleting an account removes its jobs.
CREATE INDEX jobs_account ON jobs (account_id NULLS FIRST);
CREATE UNIQUE INDEX jobs_pending_key ON jobs (unique_key NULLS FIRST)
    WHERE unique_key IS NOT NULL AND state IN ('queued', 'running');
