//! The durable job queue: background work kept in the database, so it
//! survives restarts and is shared by every instance on one database.
//!
//! - [`Queue`] adds jobs, lists them, retries failed ones and reports the
//!   queue's depth (for metrics).
//! - [`Registry`] maps each job kind to its handler, and names the kinds
//!   that run on a schedule.
//! - [`Workers`] (in `runner.rs`) claims due jobs and runs them, renewing
//!   each running job's lease; it runs inside `mortar serve`.
//! - One file per job kind: `prune.rs` removes finished jobs past their
//!   retention.
//!
//! Delivery is at least once: a job whose worker dies runs again once its
//! lease expires, so handlers must be idempotent. The SQL lives in
//! `store::jobs`.

mod prune;
mod runner;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::store::{EnqueueJob, Scope, Store};
pub use crate::store::{JobRecord, JobState, RetryFailed};
pub use prune::{
    register_changes_prune, register_idempotency_prune, register_prune, register_tokens_prune,
    register_webhook_deliveries_prune, CHANGES_PRUNE_KIND, IDEMPOTENCY_PRUNE_KIND, PRUNE_EVERY,
    PRUNE_KIND, TOKENS_PRUNE_KIND, WEBHOOK_DELIVERIES_PRUNE_KIND,
};
pub use runner::{WorkerConfig, Workers};

/// Attempts a job gets unless its enqueuer says otherwise.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// The queue over a store: what the API, the CLI and the workers share.
#[derive(Debug, Clone)]
pub struct Queue {
    store: Store,
    /// Wakes this process's idle workers when it enqueues a job (PostgreSQL
    /// also wakes other instances' through `LISTEN/NOTIFY`).
    wake: Arc<tokio::sync::Notify>,
}

impl Queue {
    /// The queue kept in `store`.
    pub fn new(store: Store) -> Queue {
        Queue {
            store,
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// The store the queue lives in.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Adds a job; its id, or `None` when a queued or running job already
    /// holds its unique key.
    pub async fn enqueue(&self, job: NewJob) -> crate::error::Result<Option<i64>> {
        let id = self.store.enqueue_job(&job.into_enqueue()).await?;
        if id.is_some() {
            self.wake.notify_one();
        }
        Ok(id)
    }

    /// How many queued jobs are due and wait for a worker (jobs scheduled
    /// for later are not counted): the queue depth `/metrics` reports.
    pub async fn depth(&self) -> crate::error::Result<i64> {
        self.store.due_job_count().await
    }

    /// One job by id.
    pub async fn get(&self, id: i64) -> crate::error::Result<Option<JobRecord>> {
        self.store.job(id).await
    }

    /// The newest `limit` jobs (of one state, or all), newest first.
    pub async fn list(
        &self,
        state: Option<JobState>,
        limit: i64,
    ) -> crate::error::Result<Vec<JobRecord>> {
        self.store.list_jobs(state, limit).await
    }

    /// Queues a failed job again with fresh attempts, to run now.
    pub async fn retry(&self, id: i64) -> crate::error::Result<RetryFailed> {
        let outcome = self.store.retry_failed_job(id).await?;
        if outcome == RetryFailed::Requeued {
            self.wake.notify_one();
        }
        Ok(outcome)
    }
}

/// A job to enqueue: a kind, a JSON payload and how to run it.
#[derive(Debug, Clone)]
pub struct NewJob {
    kind: String,
    payload: Value,
    scope: Option<Scope>,
    unique_key: Option<String>,
    max_attempts: u32,
    run_after: Option<i64>,
}

impl NewJob {
    /// A job of `kind` with `payload`, due now, with
    /// [`DEFAULT_MAX_ATTEMPTS`] attempts and no account.
    pub fn new(kind: impl Into<String>, payload: Value) -> NewJob {
        NewJob {
            kind: kind.into(),
            payload,
            scope: None,
            unique_key: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            run_after: None,
        }
    }

    /// The account the job works for (its handler gets the scope back).
    pub fn for_account(mut self, scope: Scope) -> NewJob {
        self.scope = Some(scope);
        self
    }

    /// Attempts before the job fails for good (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> NewJob {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Not run before this time (ms since the epoch).
    pub fn run_at(mut self, millis: i64) -> NewJob {
        self.run_after = Some(millis);
        self
    }

    /// Not run before `delay` from now.
    pub fn delay(self, delay: Duration) -> NewJob {
        let millis = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2);
        self.run_at(crate::clock::now_millis().saturating_add(millis))
    }

    /// Enqueue nothing while a queued or running job holds `key`.
    pub fn unique(mut self, key: impl Into<String>) -> NewJob {
        self.unique_key = Some(key.into());
        self
    }

    /// The row the store adds (due now unless scheduled): for
    /// `Tx::insert_job`, which queues a job in a write's own transaction.
    pub fn into_enqueue(self) -> EnqueueJob {
        EnqueueJob {
            kind: self.kind,
            payload: self.payload.to_string(),
            scope: self.scope,
            unique_key: self.unique_key,
            max_attempts: i64::from(self.max_attempts.max(1)),
            run_after: self.run_after.unwrap_or_else(crate::clock::now_millis),
        }
    }
}

/// What a handler gets: one attempt at one job.
#[derive(Debug, Clone)]
pub struct Job {
    /// The job's id.
    pub id: i64,
    /// Its kind.
    pub kind: String,
    /// Its payload.
    pub payload: Value,
    /// The account it works for, if any.
    pub scope: Option<Scope>,
    /// This attempt's number, from 1.
    pub attempt: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
}

/// Why an attempt failed.
#[derive(Debug)]
pub enum JobError {
    /// It may pass later: retried with backoff while attempts remain.
    Retry(anyhow::Error),
    /// It never will: the job fails at once.
    Fail(anyhow::Error),
}

impl JobError {
    /// A failure that retrying cannot fix (bad payload, missing record).
    pub fn fail(error: impl Into<anyhow::Error>) -> JobError {
        JobError::Fail(error.into())
    }
}

impl<E: Into<anyhow::Error>> From<E> for JobError {
    fn from(error: E) -> JobError {
        JobError::Retry(error.into())
    }
}

/// The future a handler returns.
pub type JobFuture = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send>>;

type Handler = Arc<dyn Fn(Job) -> JobFuture + Send + Sync>;

/// A kind that runs on its own schedule.
#[derive(Debug, Clone)]
struct Schedule {
    every: Duration,
    payload: Value,
}

/// The handlers a worker pool runs, by job kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: BTreeMap<String, Handler>,
    schedules: BTreeMap<String, Schedule>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("kinds", &self.handlers.keys().collect::<Vec<_>>())
            .field("schedules", &self.schedules)
            .finish()
    }
}

impl Registry {
    /// No handlers.
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Runs jobs of `kind` with `handler` (replacing an earlier one).
    pub fn register<F, Fut>(&mut self, kind: impl Into<String>, handler: F) -> &mut Registry
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobError>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |job| Box::pin(handler(job)));
        self.handlers.insert(kind.into(), handler);
        self
    }

    /// Keeps one job of `kind` (with `payload`) pending at all times: the
    /// workers enqueue it when they start and, `every` after, each time one
    /// ends. Its unique key is its kind, so instances share one schedule.
    pub fn every(&mut self, kind: impl Into<String>, every: Duration, payload: Value) {
        self.schedules
            .insert(kind.into(), Schedule { every, payload });
    }

    /// The kinds with a handler.
    pub fn kinds(&self) -> Vec<&str> {
        self.handlers.keys().map(String::as_str).collect()
    }

    fn handler(&self, kind: &str) -> Option<Handler> {
        self.handlers.get(kind).cloned()
    }
}
