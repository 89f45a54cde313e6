//! The worker pool: claims due jobs, runs each under a lease it renews, and
//! records how each attempt ended.
//!
//! One dispatcher claims a job whenever a worker slot is free, then waits for
//! the poll interval or a wake-up (an enqueue in this process, or on
//! PostgreSQL a `NOTIFY` from any instance). Each job runs in a task of its
//! own beside a heartbeat that renews its lease every third of the lease; a
//! worker that finds its lease taken (it stalled past the expiry and another
//! worker claimed the job) stops the job. On shutdown the dispatcher stops
//! claiming, running jobs get the grace period to finish, and those still
//! running after it are stopped and handed back (queued again, the attempt
//! not counted) for another worker.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use rand::RngCore as _;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::{Job, JobError, NewJob, Queue, Registry};
use crate::store::{JobOutcome, JobRecord};

/// How a worker pool runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Jobs run at once.
    pub concurrency: usize,
    /// How often an idle pool looks for due jobs.
    pub poll_interval: Duration,
    /// How long a claim holds a job without renewal: a job whose worker died
    /// runs again this long after its last renewal.
    pub lease: Duration,
    /// How long running jobs may take to finish at shutdown before they are
    /// handed back.
    pub shutdown_grace: Duration,
    /// The wait before the first retry; it doubles with each failed attempt.
    pub retry_base: Duration,
    /// The longest wait between retries.
    pub retry_cap: Duration,
}

impl Default for WorkerConfig {
    fn default() -> WorkerConfig {
        WorkerConfig {
            concurrency: 4,
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(10),
            retry_base: Duration::from_secs(10),
            retry_cap: Duration::from_secs(60 * 60),
        }
    }
}

impl From<&crate::config::JobArgs> for WorkerConfig {
    fn from(args: &crate::config::JobArgs) -> WorkerConfig {
        WorkerConfig {
            concurrency: args.job_workers,
            poll_interval: Duration::from_millis(args.job_poll_ms.max(1)),
            lease: Duration::from_secs(args.job_lease_secs),
            shutdown_grace: Duration::from_secs(args.job_shutdown_grace_secs),
            retry_base: Duration::from_secs(args.job_retry_base_secs),
            retry_cap: Duration::from_secs(args.job_retry_cap_secs),
        }
    }
}

impl WorkerConfig {
    /// The wait before the attempt after attempt number `attempts` (from 1):
    /// `retry_base * 2^(attempts - 1)`, at most `retry_cap`.
    pub fn backoff(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        self.retry_base
            .saturating_mul(1u32 << doublings)
            .min(self.retry_cap)
    }
}

/// A running worker pool; [`Workers::shutdown`] stops it gracefully.
#[derive(Debug)]
pub struct Workers {
    stop: watch::Sender<bool>,
    dispatcher: tokio::task::JoinHandle<()>,
    name: String,
}

/// What every job task of a pool shares.
struct Shared {
    queue: Queue,
    registry: Registry,
    config: WorkerConfig,
    /// This pool's name in leases: host, process and a random tag.
    name: String,
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 2)
}

fn random_tag() -> String {
    let mut bytes = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut bytes);
    data_encoding::HEXLOWER.encode(&bytes)
}

impl Workers {
    /// Starts a pool over `queue` running `registry`'s handlers: enqueues
    /// the scheduled kinds that have no pending job, listens for new jobs on
    /// PostgreSQL, and starts claiming.
    pub async fn start(
        queue: Queue,
        registry: Registry,
        config: WorkerConfig,
    ) -> anyhow::Result<Workers> {
        let config = WorkerConfig {
            concurrency: config.concurrency.max(1),
            lease: config.lease.max(Duration::from_millis(300)),
            ..config
        };
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "host".into());
        let name = format!("{host}:{}:{}", std::process::id(), random_tag());
        let shared = Arc::new(Shared {
            queue,
            registry,
            config,
            name: name.clone(),
        });
        for kind in shared.registry.schedules.keys() {
            schedule(&shared, kind, Duration::ZERO)
                .await
                .with_context(|| format!("scheduling the {kind} job"))?;
        }
        let listening = shared
            .queue
            .store
            .listen_for_jobs(shared.queue.wake.clone())
            .await
            .context("listening for new jobs")?;
        tracing::info!(
            workers = config.concurrency,
            kinds = ?shared.registry.kinds(),
            notifications = listening,
            pool = %name,
            "job workers started"
        );
        let (stop, stopped) = watch::channel(false);
        let dispatcher = tokio::spawn(dispatch(shared, stopped));
        Ok(Workers {
            stop,
            dispatcher,
            name,
        })
    }

    /// This pool's name, as the leases it takes begin.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Stops claiming, lets running jobs finish within the grace period,
    /// hands back those that do not, and returns once every job task ended.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.dispatcher.await {
            tracing::error!(%error, "the job dispatcher ended abnormally");
        }
    }
}

/// Enqueues the scheduled `kind` to run `after` from now, unless one is pending.
async fn schedule(shared: &Shared, kind: &str, after: Duration) -> crate::error::Result<()> {
    let Some(schedule) = shared.registry.schedules.get(kind) else {
        return Ok(());
    };
    let job = NewJob::new(kind, schedule.payload.clone())
        .unique(kind)
        .delay(after);
    shared.queue.enqueue(job).await.map(|_| ())
}

async fn dispatch(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let config = shared.config;
    let slots = Arc::new(Semaphore::new(config.concurrency));
    let (hand_back, handed_back) = watch::channel(false);
    let mut running = JoinSet::new();
    loop {
        while running.try_join_next().is_some() {}
        if *stop.borrow() {
            break;
        }
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            _ = stop.changed() => break,
        };
        let lease = format!("{}/{}", shared.name, random_tag());
        let until = crate::clock::now_millis() + millis(config.lease);
        match shared.queue.store.claim_job(&lease, until).await {
            Ok(Some(job)) => {
                let shared = shared.clone();
                let handed_back = handed_back.clone();
                running.spawn(async move {
                    let _slot = slot;
                    run(&shared, job, lease, handed_back).await;
                });
                continue;
            }
            Ok(None) => drop(slot),
            Err(error) => {
                drop(slot);
                tracing::warn!(%error, "could not claim a job");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(config.poll_interval) => {}
            () = shared.queue.wake.notified() => {}
            _ = stop.changed() => break,
        }
    }
    if !running.is_empty() {
        tracing::info!(
            jobs = running.len(),
            grace = ?config.shutdown_grace,
            "letting running jobs finish"
        );
        let finished = tokio::time::timeout(config.shutdown_grace, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            let _ = hand_back.send(true);
            while running.join_next().await.is_some() {}
        }
    }
    tracing::info!("job workers stopped");
}

/// Runs one claimed job to the end of its attempt and records the outcome.
async fn run(shared: &Shared, job: JobRecord, lease: String, mut hand_back: watch::Receiver<bool>) {
    let store = &shared.queue.store;
    let outcome = attempt(shared, &job, &lease, &mut hand_back).await;
    let Some(outcome) = outcome else {
        return;
    };
    match &outcome {
        JobOutcome::Done => tracing::info!(job = job.id, kind = %job.kind, "job done"),
        JobOutcome::RetryAt(at, error) => tracing::warn!(
            job = job.id, kind = %job.kind, attempt = job.attempts, %error,
            retry_at = %crate::clock::format_millis(*at), "job failed; it will be retried"
        ),
        JobOutcome::Failed(error) => tracing::error!(
            job = job.id, kind = %job.kind, attempt = job.attempts, %error, "job failed"
        ),
        JobOutcome::Released => {
            tracing::info!(job = job.id, kind = %job.kind, "job handed back at shutdown")
        }
    }
    match store.finish_job(job.id, &lease, &outcome).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            job = job.id,
            "the job's lease expired before its outcome was recorded; another worker has it"
        ),
        Err(error) => tracing::error!(
            job = job.id, %error,
            "could not record the job's outcome; it runs again when its lease expires"
        ),
    }
    if matches!(outcome, JobOutcome::Done | JobOutcome::Failed(_)) {
        if let Some(every) = shared.registry.schedules.get(&job.kind).map(|s| s.every) {
            if let Err(error) = schedule(shared, &job.kind, every).await {
                tracing::error!(kind = %job.kind, %error, "could not schedule the next run");
            }
        }
    }
}

/// The attempt's outcome, or `None` when the lease was lost (the job is
/// another worker's now, and nothing may be recorded).
async fn attempt(
    shared: &Shared,
    job: &JobRecord,
    lease: &str,
    hand_back: &mut watch::Receiver<bool>,
) -> Option<JobOutcome> {
    let config = shared.config;
    if job.attempts > job.max_attempts {
        return Some(JobOutcome::Failed(format!(
            "its worker stopped before finishing on the last of its {} attempts (the lease expired)",
            job.max_attempts
        )));
    }
    let Some(handler) = shared.registry.handler(&job.kind) else {
        return Some(JobOutcome::Failed(format!(
            "no handler for job kind {:?} on this server (it handles {})",
            job.kind,
            shared.registry.kinds().join(", ")
        )));
    };
    let payload = match serde_json::from_str(&job.payload) {
        Ok(payload) => payload,
        Err(error) => {
            return Some(JobOutcome::Failed(format!(
                "the payload is not JSON: {error}"
            )))
        }
    };
    tracing::info!(job = job.id, kind = %job.kind, attempt = job.attempts, "job started");
    let mut task = tokio::spawn(handler(Job {
        id: job.id,
        kind: job.kind.clone(),
        payload,
        scope: job.scope,
        attempt: job.attempts,
        max_attempts: job.max_attempts,
    }));
    let mut heartbeat = tokio::time::interval(config.lease / 3);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    heartbeat.tick().await;
    let result = loop {
        tokio::select! {
            result = &mut task => break result,
            _ = heartbeat.tick() => {
                let until = crate::clock::now_millis() + millis(config.lease);
                match shared.queue.store.renew_job_lease(job.id, lease, until).await {
                    Ok(true) => {}
                    Ok(false) => {
                        task.abort();
                        tracing::warn!(
                            job = job.id,
                            "the job's lease expired and another worker claimed it; stopped here"
                        );
                        return None;
                    }
                    Err(error) => tracing::warn!(job = job.id, %error, "could not renew the job's lease"),
                }
            }
            _ = hand_back.changed() => {
                task.abort();
                let _ = (&mut task).await;
                return Some(JobOutcome::Released);
            }
        }
    };
    Some(match result {
        Ok(Ok(())) => JobOutcome::Done,
        Ok(Err(JobError::Fail(error))) => JobOutcome::Failed(describe(&error)),
        Ok(Err(JobError::Retry(error))) => retry_or_fail(config, job, describe(&error)),
        Err(panic) => retry_or_fail(config, job, format!("the handler panicked: {panic}")),
    })
}

fn retry_or_fail(config: WorkerConfig, job: &JobRecord, error: String) -> JobOutcome {
    if job.attempts < job.max_attempts {
        let at = crate::clock::now_millis() + millis(config.backoff(job.attempts));
        JobOutcome::RetryAt(at, error)
    } else {
        JobOutcome::Failed(error)
    }
}

/// The error and its causes on one line, cut to a size a table cell holds.
fn describe(error: &anyhow::Error) -> String {
    let text = format!("{error:#}");
    match text.char_indices().nth(2000) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let config = WorkerConfig {
            retry_base: Duration::from_secs(10),
            retry_cap: Duration::from_secs(100),
            ..WorkerConfig::default()
        };
        let waits: Vec<u64> = (1..=6).map(|a| config.backoff(a).as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 80, 100, 100]);
        assert_eq!(config.backoff(10_000).as_secs(), 100);
    }
}
