//! The job queue through its library API, against the test's real database:
//! jobs survive a restart, three worker pools (each with connections of its
//! own, as three servers would have) run each job exactly once, failures are
//! retried with backoff and end `failed` with their error, unknown kinds
//! fail at once, and a shutdown lets a running job finish or hands it back.
//! `cli.rs` runs the same queue inside `mortar serve` processes (kill -9,
//! SIGTERM, `mortar jobs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mortar::jobs::{
    Job, JobError, JobRecord, JobState, NewJob, Queue, Registry, RetryFailed, WorkerConfig, Workers,
};
use mortar::store::{Store, StoreConfig};
use serde_json::json;

use crate::helpers::TestApp;

/// A worker pool that polls often, with a short lease and backoff.
fn quick() -> WorkerConfig {
    WorkerConfig {
        concurrency: 4,
        poll_interval: Duration::from_millis(20),
        lease: Duration::from_secs(2),
        shutdown_grace: Duration::from_secs(5),
        retry_base: Duration::from_millis(200),
        retry_cap: Duration::from_millis(300),
    }
}

/// Another connection pool over the test's database: what a second server
/// process would open.
async fn reopen(app: &TestApp) -> Store {
    match app.postgres_schema() {
        Some((url, schema)) => Store::open_postgres_schema(url, schema).await.unwrap(),
        None => Store::open(&StoreConfig {
            data_dir: app.data_dir().to_path_buf(),
            database_url: None,
            max_connections: 2,
        })
        .await
        .unwrap(),
    }
}

/// Waits (at most 30 s) until job `id` satisfies `done`; returns it.
async fn wait_for(queue: &Queue, id: i64, done: impl Fn(&JobRecord) -> bool) -> JobRecord {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let job = queue.get(id).await.unwrap().expect("the job exists");
        if done(&job) {
            return job;
        }
        assert!(Instant::now() < deadline, "job never got there: {job:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs of each job id, shared by a test's handlers.
type Runs = Arc<Mutex<HashMap<i64, u32>>>;

/// A registry whose `record` kind counts its runs in `runs`.
fn recording(runs: &Runs) -> Registry {
    let mut registry = Registry::new();
    let runs = runs.clone();
    registry.register("record", move |job: Job| {
        let runs = runs.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(3)).await;
            *runs.lock().unwrap().entry(job.id).or_default() += 1;
            Ok::<(), JobError>(())
        }
    });
    registry
}

async fn a_job_enqueued_before_a_restart_runs_after_it(app: TestApp) {
    // The first server stops before the job is due.
    let first_runs = Runs::default();
    let first = Queue::new(reopen(&app).await);
    let workers = Workers::start(first.clone(), recording(&first_runs), quick())
        .await
        .unwrap();
    let id = first
        .enqueue(NewJob::new("record", json!({"n": 1})).delay(Duration::from_millis(500)))
        .await
        .unwrap()
        .expect("enqueued");
    workers.shutdown().await;
    first.store().close().await;
    assert!(first_runs.lock().unwrap().is_empty());

    // A new one (new connections) finds it in the database and runs it.
    let second_runs = Runs::default();
    let second = Queue::new(reopen(&app).await);
    assert_eq!(
        second.get(id).await.unwrap().unwrap().state,
        JobState::Queued
    );
    let workers = Workers::start(second.clone(), recording(&second_runs), quick())
        .await
        .unwrap();
    let job = wait_for(&second, id, |j| j.state == JobState::Done).await;
    workers.shutdown().await;
    assert_eq!(job.attempts, 1);
    assert_eq!(job.payload, r#"{"n":1}"#);
    assert_eq!(second_runs.lock().unwrap().get(&id), Some(&1));
}

async fn three_worker_pools_run_each_of_200_jobs_exactly_once(app: TestApp) {
    let queue = Queue::new(app.store.clone());
    let runs: Vec<Runs> = (0..3).map(|_| Runs::default()).collect();
    let mut pools = Vec::new();
    for runs in &runs {
        let store = reopen(&app).await;
        pools.push((
            store.clone(),
            Workers::start(Queue::new(store), recording(runs), quick())
                .await
                .unwrap(),
        ));
    }
    let mut ids = Vec::new();
    for n in 0..200 {
        ids.push(
            queue
                .enqueue(NewJob::new("record", json!({ "n": n })))
                .await
                .unwrap()
                .unwrap(),
        );
    }
    for id in &ids {
        wait_for(&queue, *id, |j| j.state == JobState::Done).await;
    }
    for (store, workers) in pools {
        workers.shutdown().await;
        store.close().await;
    }
    let mut total: HashMap<i64, u32> = HashMap::new();
    for runs in &runs {
        for (id, count) in runs.lock().unwrap().iter() {
            *total.entry(*id).or_default() += count;
        }
    }
    assert_eq!(total.len(), 200, "every job ran");
    let twice: Vec<_> = total.iter().filter(|(_, c)| **c != 1).collect();
    assert!(twice.is_empty(), "jobs run more than once: {twice:?}");
    let busy = runs
        .iter()
        .filter(|r| !r.lock().unwrap().is_empty())
        .count();
    assert!(
        busy >= 2,
        "the pools shared the work ({busy} pool(s) ran jobs)"
    );
    for id in ids {
        let job = queue.get(id).await.unwrap().unwrap();
        assert_eq!(
            (job.state, job.attempts, job.lease),
            (JobState::Done, 1, None)
        );
    }
}

async fn a_failing_job_is_retried_with_backoff_then_failed_with_its_last_error(app: TestApp) {
    let queue = Queue::new(app.store.clone());
    let attempts: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let healed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut registry = Registry::new();
    {
        let (attempts, healed) = (attempts.clone(), healed.clone());
        registry.register("flaky", move |job: Job| {
            let (attempts, healed) = (attempts.clone(), healed.clone());
            async move {
                attempts.lock().unwrap().push(Instant::now());
                if healed.load(std::sync::atomic::Ordering::SeqCst) {
                    return Ok(());
                }
                Err(JobError::from(anyhow::anyhow!(
                    "upstream refused attempt {}",
                    job.attempt
                )))
            }
        });
    }
    registry.register("hopeless", |_job: Job| async {
        Err(JobError::fail(anyhow::anyhow!("the record is gone")))
    });
    let workers = Workers::start(queue.clone(), registry, quick())
        .await
        .unwrap();

    let id = queue
        .enqueue(NewJob::new("flaky", json!({})).max_attempts(3))
        .await
        .unwrap()
        .unwrap();
    let job = wait_for(&queue, id, |j| j.state == JobState::Failed).await;
    assert_eq!(job.attempts, 3);
    assert_eq!(job.max_attempts, 3);
    assert_eq!(
        job.last_error.as_deref(),
        Some("upstream refused attempt 3")
    );
    assert!(job.finished_at.is_some());
    assert_eq!(job.lease, None);
    let times = attempts.lock().unwrap().clone();
    assert_eq!(times.len(), 3, "three attempts, then no more");
    // 200 ms before the second attempt, then 400 ms capped to 300 ms.
    assert!(
        times[1] - times[0] >= Duration::from_millis(200),
        "{times:?}"
    );
    assert!(
        times[2] - times[1] >= Duration::from_millis(300),
        "{times:?}"
    );

    // A job that says retrying cannot help fails after one attempt.
    let hopeless = queue
        .enqueue(NewJob::new("hopeless", json!({})))
        .await
        .unwrap()
        .unwrap();
    let job = wait_for(&queue, hopeless, |j| j.state == JobState::Failed).await;
    assert_eq!(job.attempts, 1);
    assert_eq!(job.last_error.as_deref(), Some("the record is gone"));

    // An operator's retry queues it again with fresh attempts.
    healed.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(queue.retry(id).await.unwrap(), RetryFailed::Requeued);
    let job = wait_for(&queue, id, |j| j.state == JobState::Done).await;
    assert_eq!(job.attempts, 1);
    assert_eq!(job.last_error, None);
    assert_eq!(
        queue.retry(id).await.unwrap(),
        RetryFailed::NotFailed(JobState::Done)
    );
    assert_eq!(queue.retry(i64::MAX).await.unwrap(), RetryFailed::NotFound);
    workers.shutdown().await;
}

async fn a_job_of_an_unknown_kind_fails_at_once_naming_its_kind(app: TestApp) {
    let queue = Queue::new(app.store.clone());
    let runs = Runs::default();
    let workers = Workers::start(queue.clone(), recording(&runs), quick())
        .await
        .unwrap();
    let id = queue
        .enqueue(NewJob::new("nonesuch", json!({})))
        .await
        .unwrap()
        .unwrap();
    let job = wait_for(&queue, id, |j| j.state == JobState::Failed).await;
    workers.shutdown().await;
    assert_eq!(job.attempts, 1, "no retries: another attempt cannot help");
    let error = job.last_error.unwrap();
    assert!(
        error.contains(r#"no handler for job kind "nonesuch""#) && error.contains("record"),
        "{error}"
    );
}

async fn shutdown_lets_a_running_job_finish_within_the_grace_period(app: TestApp) {
    let queue = Queue::new(app.store.clone());
    let mut registry = Registry::new();
    registry.register("slow", |_job: Job| async {
        tokio::time::sleep(Duration::from_millis(700)).await;
        Ok::<(), JobError>(())
    });
    let workers = Workers::start(queue.clone(), registry, quick())
        .await
        .unwrap();
    let id = queue
        .enqueue(NewJob::new("slow", json!({})))
        .await
        .unwrap()
        .unwrap();
    wait_for(&queue, id, |j| j.state == JobState::Running).await;
    workers.shutdown().await;
    let job = queue.get(id).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Done, 1));
}

async fn shutdown_hands_back_a_job_that_outlives_the_grace_period(app: TestApp) {
    let queue = Queue::new(app.store.clone());
    let mut registry = Registry::new();
    registry.register("endless", |_job: Job| async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok::<(), JobError>(())
    });
    let config = WorkerConfig {
        shutdown_grace: Duration::from_millis(300),
        ..quick()
    };
    let workers = Workers::start(queue.clone(), registry, config)
        .await
        .unwrap();
    let id = queue
        .enqueue(NewJob::new("endless", json!({})))
        .await
        .unwrap()
        .unwrap();
    wait_for(&queue, id, |j| j.state == JobState::Running).await;
    let started = Instant::now();
    workers.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let job = queue.get(id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Queued, "handed back: {job:?}");
    assert_eq!(job.attempts, 0, "a handed-back attempt does not count");
    assert_eq!((job.lease, job.lease_expires_at), (None, None));

    // The next worker takes it at once, without waiting for a lease.
    let runs = Runs::default();
    let mut registry = recording(&runs);
    let ran = runs.clone();
    registry.register("endless", move |job: Job| {
        let ran = ran.clone();
        async move {
            *ran.lock().unwrap().entry(job.id).or_default() += 1;
            Ok::<(), JobError>(())
        }
    });
    let workers = Workers::start(queue.clone(), registry, quick())
        .await
        .unwrap();
    let job = wait_for(&queue, id, |j| j.state == JobState::Done).await;
    workers.shutdown().await;
    assert_eq!(job.attempts, 1);
    assert_eq!(runs.lock().unwrap().get(&id), Some(&1));
}

async fn depth_counts_the_due_queued_jobs_and_unique_keys_hold_one_pending_job(app: TestApp) {
    let queue = Queue::new(app.store.clone());
    assert_eq!(queue.depth().await.unwrap(), 0);
    let scope = app
        .store
        .authenticate(&mortar::store::hash_key(&app.key))
        .await
        .unwrap()
        .unwrap()
        .scope;
    for n in 0..3 {
        queue
            .enqueue(NewJob::new("record", json!({ "n": n })).for_account(scope))
            .await
            .unwrap()
            .unwrap();
    }
    queue
        .enqueue(NewJob::new("record", json!({})).delay(Duration::from_secs(3600)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(queue.depth().await.unwrap(), 3, "the later job is not due");
    let listed = queue.list(Some(JobState::Queued), 10).await.unwrap();
    assert_eq!(listed.len(), 4);
    assert_eq!(
        listed.iter().filter(|j| j.scope == Some(scope)).count(),
        3,
        "the account's jobs carry its scope"
    );

    let first = queue
        .enqueue(NewJob::new("record", json!({})).unique("nightly"))
        .await
        .unwrap();
    let second = queue
        .enqueue(NewJob::new("record", json!({})).unique("nightly"))
        .await
        .unwrap();
    assert!(first.is_some());
    assert_eq!(second, None, "one pending job per key");

    // Workers drain the queue.
    let runs = Runs::default();
    let workers = Workers::start(queue.clone(), recording(&runs), quick())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while queue.depth().await.unwrap() > 0 {
        assert!(Instant::now() < deadline, "the queue never drained");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let nightly = wait_for(&queue, first.unwrap(), |j| j.state == JobState::Done).await;
    workers.shutdown().await;
    assert_eq!(nightly.unique_key.as_deref(), Some("nightly"));
    let again = queue
        .enqueue(NewJob::new("record", json!({})).unique("nightly"))
        .await
        .unwrap();
    assert!(again.is_some(), "a finished job no longer holds its key");
}

crate::api_tests!(
    a_job_enqueued_before_a_restart_runs_after_it,
    three_worker_pools_run_each_of_200_jobs_exactly_once,
    a_failing_job_is_retried_with_backoff_then_failed_with_its_last_error,
    a_job_of_an_unknown_kind_fails_at_once_naming_its_kind,
    shutdown_lets_a_running_job_finish_within_the_grace_period,
    shutdown_hands_back_a_job_that_outlives_the_grace_period,
    depth_counts_the_due_queued_jobs_and_unique_keys_hold_one_pending_job,
);
