//! The job queue's table: enqueue, claim under a lease, renew, finish, and
//! what operators list and retry. The queue's behaviour (workers, handlers,
//! retries) is `crate::jobs`; this file is only its SQL.
//!
//! A claim is one `UPDATE ... WHERE id = (SELECT ... LIMIT 1) RETURNING`:
//! on PostgreSQL the inner select takes the row `FOR UPDATE SKIP LOCKED`, so
//! concurrent claims from any number of processes pass over each other's
//! rows instead of waiting or taking the same one; on SQLite it runs in a
//! write transaction on the writer connection, which has the database to
//! itself. Every later change to a claimed job names the lease it was
//! claimed under, so a worker that lost its lease changes nothing.

use std::sync::Arc;

use super::{ColumnType, Pool, Scope, Store};
use crate::error::Result;
use crate::store::Cell;

/// The PostgreSQL channel that announces new jobs to idle workers.
const CHANNEL: &str = "mortar_jobs";

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for its `run_after` time and a worker.
    Queued,
    /// Held by a worker under a lease.
    Running,
    /// Finished successfully.
    Done,
    /// Out of attempts (or refused); its last error is kept.
    Failed,
}

impl JobState {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    /// The state a stored spelling names.
    pub fn parse(text: &str) -> Option<JobState> {
        Some(match text {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            _ => return None,
        })
    }
}

/// A job row as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    /// Id.
    pub id: i64,
    /// What to do: the handler it runs.
    pub kind: String,
    /// The handler's input, JSON text.
    pub payload: String,
    /// The account it works for, if any (system jobs have none).
    pub scope: Option<Scope>,
    /// At most one queued or running job holds a given key.
    pub unique_key: Option<String>,
    /// Where it is.
    pub state: JobState,
    /// Claims so far (the running attempt included).
    pub attempts: i64,
    /// Claims allowed before it fails for good.
    pub max_attempts: i64,
    /// Not claimed before this time (ms).
    pub run_after: i64,
    /// The claim holding it while it runs: worker and claim token.
    pub lease: Option<String>,
    /// When that claim lapses unless renewed (ms).
    pub lease_expires_at: Option<i64>,
    /// The error of its latest failed attempt.
    pub last_error: Option<String>,
    /// Enqueued at (ms).
    pub created_at: i64,
    /// Last changed at (ms).
    pub updated_at: i64,
    /// Done or failed at (ms).
    pub finished_at: Option<i64>,
}

/// A job to add.
#[derive(Debug, Clone)]
pub struct EnqueueJob {
    /// The handler it runs.
    pub kind: String,
    /// The handler's input, JSON text.
    pub payload: String,
    /// The account it works for.
    pub scope: Option<Scope>,
    /// Enqueue nothing while a queued or running job holds this key.
    pub unique_key: Option<String>,
    /// Attempts before it fails for good (at least 1).
    pub max_attempts: i64,
    /// Not run before this time (ms).
    pub run_after: i64,
}

/// How an attempt ended, as the worker records it.
#[derive(Debug, Clone)]
pub enum JobOutcome {
    /// It succeeded: `done`.
    Done,
    /// It failed and runs again at this time (ms), with this error kept.
    RetryAt(i64, String),
    /// It failed for good with this error: `failed`.
    Failed(String),
    /// It did not finish and is handed back (`queued`, run as soon as
    /// possible; the attempt does not count).
    Released,
}

/// What `mortar jobs retry` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryFailed {
    /// The job is queued again with fresh attempts.
    Requeued,
    /// No job has that id.
    NotFound,
    /// The job is not failed; it is in this state.
    NotFailed(JobState),
    /// Another queued or running job holds the same unique key.
    Duplicate,
}

const COLUMNS: &str = "id, kind, payload, account_id, unique_key, state, attempts, max_attempts, \
    run_after, lease, lease_expires_at, last_error, created_at, updated_at, finished_at";

const KINDS: [ColumnType; 15] = [
    ColumnType::Int,
    ColumnType::Text,
    ColumnType::Text,
    ColumnType::Int,
    ColumnType::Text,
    ColumnType::Text,
    ColumnType::Int,
    ColumnType::Int,
    ColumnType::Int,
    ColumnType::Text,
    ColumnType::Int,
    ColumnType::Text,
    ColumnType::Int,
    ColumnType::Int,
    ColumnType::Int,
];

fn text(cell: &Cell) -> Option<String> {
    cell.as_str().map(str::to_string)
}

fn decode(row: &[Cell]) -> Result<JobRecord> {
    let state = row[5]
        .as_str()
        .and_then(JobState::parse)
        .ok_or_else(|| anyhow::anyhow!("job {:?} has an unknown state {:?}", row[0], row[5]))?;
    Ok(JobRecord {
        id: row[0].as_i64().unwrap_or_default(),
        kind: text(&row[1]).unwrap_or_default(),
        payload: text(&row[2]).unwrap_or_default(),
        scope: row[3].as_i64().map(Scope::new),
        unique_key: text(&row[4]),
        state,
        attempts: row[6].as_i64().unwrap_or_default(),
        max_attempts: row[7].as_i64().unwrap_or_default(),
        run_after: row[8].as_i64().unwrap_or_default(),
        lease: text(&row[9]),
        lease_expires_at: row[10].as_i64(),
        last_error: text(&row[11]),
        created_at: row[12].as_i64().unwrap_or_default(),
        updated_at: row[13].as_i64().unwrap_or_default(),
        finished_at: row[14].as_i64(),
    })
}

impl Store {
    /// Adds a job; its id, or `None` when its unique key is already held by
    /// a queued or running job. On PostgreSQL the commit wakes idle workers
    /// of every instance.
    pub async fn enqueue_job(&self, job: &EnqueueJob) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        let id = tx.insert_job(job).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Claims the next job to run under `lease` until `lease_until` (ms):
    /// first a running job whose lease expired (its worker stopped), then the
    /// queued job due longest ago. The claim counts as an attempt.
    pub async fn claim_job(&self, lease: &str, lease_until: i64) -> Result<Option<JobRecord>> {
        let now = crate::clock::now_millis();
        let skip_locked = match self.dialect() {
            super::Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            super::Dialect::Sqlite => "",
        };
        let mut tx = self.begin().await?;
        let mut sql = tx.sql();
        sql.push("UPDATE jobs SET attempts = attempts + 1, lease = ")
            .bind(lease)
            .push(", lease_expires_at = ")
            .bind(lease_until)
            .push(", updated_at = ")
            .bind(now)
            .push(
                ", last_error = 'its worker stopped before finishing (the lease expired)' \
                 WHERE id = (SELECT id FROM jobs WHERE state = 'running' AND lease_expires_at < ",
            )
            .bind(now)
            .push(" ORDER BY lease_expires_at, id LIMIT 1")
            .push(skip_locked)
            .push(") RETURNING ")
            .push(COLUMNS);
        let mut rows = tx.fetch(&sql, &KINDS).await?;
        if rows.is_empty() {
            let mut sql = tx.sql();
            sql.push("UPDATE jobs SET state = 'running', attempts = attempts + 1, lease = ")
                .bind(lease)
                .push(", lease_expires_at = ")
                .bind(lease_until)
                .push(", updated_at = ")
                .bind(now)
                .push(" WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_after <= ")
                .bind(now)
                .push(" ORDER BY run_after, id LIMIT 1")
                .push(skip_locked)
                .push(") RETURNING ")
                .push(COLUMNS);
            rows = tx.fetch(&sql, &KINDS).await?;
        }
        tx.commit().await?;
        rows.first().map(|r| decode(r)).transpose()
    }

    /// Extends a running job's lease to `until` (ms); false when `lease` no
    /// longer holds it (it expired and another worker claimed the job).
    pub async fn renew_job_lease(&self, id: i64, lease: &str, until: i64) -> Result<bool> {
        let mut sql = self.sql();
        sql.push("UPDATE jobs SET lease_expires_at = ")
            .bind(until)
            .push(", updated_at = ")
            .bind(crate::clock::now_millis())
            .push(" WHERE id = ")
            .bind(id)
            .push(" AND state = 'running' AND lease = ")
            .bind(lease);
        Ok(self.execute(&sql).await? == 1)
    }

    /// Records how the attempt held under `lease` ended; false when the
    /// lease no longer holds the job (nothing is changed then).
    pub async fn finish_job(&self, id: i64, lease: &str, outcome: &JobOutcome) -> Result<bool> {
        let now = crate::clock::now_millis();
        let mut sql = self.sql();
        sql.push("UPDATE jobs SET lease = NULL, lease_expires_at = NULL, updated_at = ")
            .bind(now);
        match outcome {
            JobOutcome::Done => {
                sql.push(", state = 'done', last_error = NULL, finished_at = ")
                    .bind(now);
            }
            JobOutcome::RetryAt(at, error) => {
                sql.push(", state = 'queued', run_after = ")
                    .bind(*at)
                    .push(", last_error = ")
                    .bind(error.as_str());
            }
            JobOutcome::Failed(error) => {
                sql.push(", state = 'failed', finished_at = ")
                    .bind(now)
                    .push(", last_error = ")
                    .bind(error.as_str());
            }
            JobOutcome::Released => {
                sql.push(", state = 'queued', attempts = attempts - 1, run_after = ")
                    .bind(now);
            }
        }
        sql.push(" WHERE id = ")
            .bind(id)
            .push(" AND state = 'running' AND lease = ")
            .bind(lease);
        Ok(self.execute(&sql).await? == 1)
    }

    /// One job by id.
    pub async fn job(&self, id: i64) -> Result<Option<JobRecord>> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(COLUMNS)
            .push(" FROM jobs WHERE id = ")
            .bind(id);
        let rows = self.fetch(&sql, &KINDS).await?;
        rows.first().map(|r| decode(r)).transpose()
    }

    /// The newest `limit` jobs, of one state or all, newest first.
    pub async fn list_jobs(&self, state: Option<JobState>, limit: i64) -> Result<Vec<JobRecord>> {
        let mut sql = self.sql();
        sql.push("SELECT ").push(COLUMNS).push(" FROM jobs");
        if let Some(state) = state {
            sql.push(" WHERE state = ").bind(state.as_str());
        }
        sql.push(" ORDER BY id DESC LIMIT ").bind(limit);
        self.fetch(&sql, &KINDS)
            .await?
            .iter()
            .map(|r| decode(r))
            .collect()
    }

    /// Queued jobs that are due: what waits for a worker now.
    pub async fn due_job_count(&self) -> Result<i64> {
        let mut sql = self.sql();
        sql.push("SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND run_after <= ")
            .bind(crate::clock::now_millis());
        let rows = self.fetch(&sql, &[ColumnType::Int]).await?;
        Ok(rows.first().and_then(|r| r[0].as_i64()).unwrap_or(0))
    }

    /// Queues a failed job again, with its attempts reset, to run now.
    pub async fn retry_failed_job(&self, id: i64) -> Result<RetryFailed> {
        let Some(job) = self.job(id).await? else {
            return Ok(RetryFailed::NotFound);
        };
        if job.state != JobState::Failed {
            return Ok(RetryFailed::NotFailed(job.state));
        }
        let now = crate::clock::now_millis();
        let mut tx = self.begin().await?;
        let mut sql = tx.sql();
        sql.push(
            "UPDATE jobs SET state = 'queued', attempts = 0, finished_at = NULL, run_after = ",
        )
        .bind(now)
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND state = 'failed'");
        let outcome = match tx.execute_unique(&sql).await? {
            Ok(1) => RetryFailed::Requeued,
            Ok(_) => match self.job(id).await? {
                Some(job) => RetryFailed::NotFailed(job.state),
                None => RetryFailed::NotFound,
            },
            Err(_) => RetryFailed::Duplicate,
        };
        if outcome == RetryFailed::Requeued && matches!(self.pool, Pool::Postgres { .. }) {
            let mut sql = tx.sql();
            sql.push("SELECT pg_notify(")
                .bind(CHANNEL)
                .push(", '')::text");
            tx.fetch(&sql, &[ColumnType::Text]).await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// Deletes up to `limit` done or failed jobs that finished before
    /// `before` (ms); how many it deleted.
    pub async fn delete_finished_jobs(&self, before: i64, limit: i64) -> Result<u64> {
        let mut sql = self.sql();
        sql.push(
            "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs \
             WHERE state IN ('done', 'failed') AND finished_at < ",
        )
        .bind(before)
        .push(" LIMIT ")
        .bind(limit)
        .push(")");
        self.execute(&sql).await
    }

    /// On PostgreSQL, wakes `wake` whenever any instance enqueues a job
    /// (`LISTEN`), until the store closes; true if it listens. SQLite has no
    /// such channel: its workers poll.
    pub async fn listen_for_jobs(&self, wake: Arc<tokio::sync::Notify>) -> Result<bool> {
        let Pool::Postgres { driver, .. } = &self.pool else {
            return Ok(false);
        };
        let mut listener = sqlx::postgres::PgListener::connect_with(driver).await?;
        listener.listen(CHANNEL).await?;
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(_) => wake.notify_one(),
                    Err(sqlx::Error::PoolClosed) => break,
                    Err(error) => {
                        // Reconnects on the next call; meanwhile workers poll.
                        tracing::debug!(%error, "job notifications interrupted");
                        wake.notify_one();
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(true)
    }
}

impl super::Tx {
    /// Adds a job in this transaction (it exists once the transaction
    /// commits, and never if it rolls back); its id, or `None` when a
    /// queued or running job already holds its unique key. On PostgreSQL
    /// the workers of every instance are woken at commit.
    pub async fn insert_job(&mut self, job: &EnqueueJob) -> Result<Option<i64>> {
        let now = crate::clock::now_millis();
        let mut sql = self.sql();
        sql.push(
            "INSERT INTO jobs (kind, payload, account_id, unique_key, state, attempts, \
             max_attempts, run_after, created_at, updated_at) VALUES (",
        )
        .bind(job.kind.as_str())
        .push(", ")
        .bind(job.payload.as_str())
        .push(", ")
        .bind(job.scope.map(|s| s.account_id()))
        .push(", ")
        .bind(job.unique_key.clone())
        .push(", 'queued', 0, ")
        .bind(job.max_attempts.max(1))
        .push(", ")
        .bind(job.run_after)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") ON CONFLICT DO NOTHING RETURNING id");
        let rows = self.fetch(&sql, &[ColumnType::Int]).await?;
        let id = rows.first().and_then(|r| r[0].as_i64());
        if id.is_some() && self.dialect() == super::Dialect::Postgres {
            let mut sql = self.sql();
            sql.push("SELECT pg_notify(")
                .bind(CHANNEL)
                .push(", '')::text");
            self.fetch(&sql, &[ColumnType::Text]).await?;
        }
        Ok(id)
    }
}
