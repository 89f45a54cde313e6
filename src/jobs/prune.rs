//! `prune_finished_jobs`: removes the rows of jobs that finished (done or
//! failed) longer ago than the retention, so the queue's table stays small;
//! `prune_idempotency_keys`: removes idempotency keys past their 24 hours.
//! Each schedules itself: one run at each start when none is pending, then
//! every [`PRUNE_EVERY`].
//!
//! It deletes in batches of [`BATCH`] rows, each its own short statement,
//! so that on SQLite other writes take turns with it rather than wait for
//! one long delete; it is idempotent, so a run cut short by a dead worker
//! simply runs again.

use std::time::Duration;

use super::{JobError, Queue, Registry};

/// The job's kind.
pub const PRUNE_KIND: &str = "prune_finished_jobs";

/// How often it runs.
pub const PRUNE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Rows deleted per statement.
const BATCH: i64 = 1000;

/// Registers the job with `retention`: finished jobs older than that go.
pub fn register_prune(registry: &mut Registry, queue: &Queue, retention: Duration) {
    let store = queue.store().clone();
    let retention = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX / 2);
    registry.register(PRUNE_KIND, move |_job| {
        let store = store.clone();
        async move {
            let before = crate::clock::now_millis().saturating_sub(retention);
            let mut removed = 0;
            loop {
                let deleted = store.delete_finished_jobs(before, BATCH).await?;
                removed += deleted;
                if deleted < BATCH as u64 {
                    break;
                }
            }
            tracing::info!(removed, "removed finished jobs past their retention");
            Ok::<(), JobError>(())
        }
    });
    registry.every(PRUNE_KIND, PRUNE_EVERY, serde_json::json!({}));
}

/// The idempotency keys' clean-up job's kind.
pub const IDEMPOTENCY_PRUNE_KIND: &str = "prune_idempotency_keys";

/// Registers the clean-up of idempotency keys older than
/// [`IDEMPOTENCY_TTL_MS`](crate::store::IDEMPOTENCY_TTL_MS).
pub fn register_idempotency_prune(registry: &mut Registry, queue: &Queue) {
    let store = queue.store().clone();
    registry.register(IDEMPOTENCY_PRUNE_KIND, move |_job| {
        let store = store.clone();
        async move {
            let before =
                crate::clock::now_millis().saturating_sub(crate::store::IDEMPOTENCY_TTL_MS);
            let mut removed = 0;
            loop {
                let deleted = store.delete_expired_idempotency_keys(before, BATCH).await?;
                removed += deleted;
                if deleted < BATCH as u64 {
                    break;
                }
            }
            tracing::info!(removed, "removed expired idempotency keys");
            Ok::<(), JobError>(())
        }
    });
    registry.every(IDEMPOTENCY_PRUNE_KIND, PRUNE_EVERY, serde_json::json!({}));
}
