//! The clean-up jobs, each removing rows past their retention so a table
//! stays small: `prune_finished_jobs` (jobs done or failed longer ago than
//! `--job-retention-hours`), `prune_idempotency_keys` (keys past their 24
//! hours) and `prune_changes` (the change feed past
//! `--change-retention-days`), `prune_tokens` (OAuth2 tokens a day past
//! their expiry) and `prune_webhook_deliveries` (finished deliveries past
//! `--webhook-retention-days`). Each schedules itself: one run at each start
//! when none is pending, then every [`PRUNE_EVERY`].
//!
//! They delete in batches of [`BATCH`] rows, each its own short statement
//! followed by a short pause, so that on SQLite other writes (of this
//! server or of another process) take turns with them rather than wait for
//! one long delete; they are idempotent, so a run cut short by a dead
//! worker simply runs again.

use std::future::Future;
use std::time::Duration;

use super::{JobError, Queue, Registry};
use crate::error::Result;
use crate::store::Store;

/// The finished jobs' clean-up.
pub const PRUNE_KIND: &str = "prune_finished_jobs";

/// The idempotency keys' clean-up.
pub const IDEMPOTENCY_PRUNE_KIND: &str = "prune_idempotency_keys";

/// The change feed's clean-up.
pub const CHANGES_PRUNE_KIND: &str = "prune_changes";

/// The expired OAuth2 tokens' clean-up.
pub const TOKENS_PRUNE_KIND: &str = "prune_tokens";

/// The finished webhook deliveries' clean-up.
pub const WEBHOOK_DELIVERIES_PRUNE_KIND: &str = "prune_webhook_deliveries";

/// How often each runs.
pub const PRUNE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Rows deleted per statement.
const BATCH: i64 = 1000;

/// The pause between two full batches.
const BATCH_PAUSE: Duration = Duration::from_millis(10);

/// Registers the clean-up of finished jobs older than `retention`.
pub fn register_prune(registry: &mut Registry, queue: &Queue, retention: Duration) {
    register_clean_up(
        registry,
        queue,
        PRUNE_KIND,
        retention,
        "removed finished jobs past their retention",
        |store, before| async move { store.delete_finished_jobs(before, BATCH).await },
    );
}

/// Registers the clean-up of idempotency keys past their 24 hours.
pub fn register_idempotency_prune(registry: &mut Registry, queue: &Queue) {
    let ttl = Duration::from_millis(crate::store::IDEMPOTENCY_TTL_MS.unsigned_abs());
    register_clean_up(
        registry,
        queue,
        IDEMPOTENCY_PRUNE_KIND,
        ttl,
        "removed expired idempotency keys",
        |store, before| async move {
            store
                .delete_rows_before(
                    "idempotency_keys",
                    "(account_id, idempotency_key)",
                    "created_at",
                    before,
                    BATCH,
                )
                .await
        },
    );
}

/// Registers the clean-up of changes older than `retention`.
pub fn register_changes_prune(registry: &mut Registry, queue: &Queue, retention: Duration) {
    register_clean_up(
        registry,
        queue,
        CHANGES_PRUNE_KIND,
        retention,
        "removed changes past their retention",
        |store, before| async move {
            store
                .delete_rows_before("changes", "id", "created_at", before, BATCH)
                .await
        },
    );
}

/// Registers the clean-up of OAuth2 tokens that expired a day ago or more.
pub fn register_tokens_prune(registry: &mut Registry, queue: &Queue) {
    register_clean_up(
        registry,
        queue,
        TOKENS_PRUNE_KIND,
        Duration::from_secs(24 * 60 * 60),
        "removed expired access tokens",
        |store, before| async move {
            store
                .delete_rows_before("oauth_tokens", "token_hash", "expires_at", before, BATCH)
                .await
        },
    );
}

/// Registers the clean-up of webhook deliveries (delivered or given up)
/// that finished longer than `retention` ago.
pub fn register_webhook_deliveries_prune(
    registry: &mut Registry,
    queue: &Queue,
    retention: Duration,
) {
    register_clean_up(
        registry,
        queue,
        WEBHOOK_DELIVERIES_PRUNE_KIND,
        retention,
        "removed finished webhook deliveries past their retention",
        |store, before| async move {
            store
                .delete_rows_before("webhook_deliveries", "id", "finished_at", before, BATCH)
                .await
        },
    );
}

/// Registers job `kind`, run every [`PRUNE_EVERY`]: `delete(store, before)`
/// removes up to [`BATCH`] rows older than `retention` and says how many,
/// until a batch comes back short.
fn register_clean_up<F, Fut>(
    registry: &mut Registry,
    queue: &Queue,
    kind: &'static str,
    retention: Duration,
    done: &'static str,
    delete: F,
) where
    F: Fn(Store, i64) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<u64>> + Send + 'static,
{
    let store = queue.store().clone();
    let retention = i64::try_from(retention.as_millis()).unwrap_or(i64::MAX / 2);
    registry.register(kind, move |_job| {
        let store = store.clone();
        let delete = delete.clone();
        async move {
            let before = crate::clock::now_millis().saturating_sub(retention);
            let mut removed = 0;
            loop {
                let deleted = delete(store.clone(), before).await?;
                removed += deleted;
                if deleted < BATCH as u64 {
                    break;
                }
                // Room for other processes' writes (a command run beside
                // the server, a backup): SQLite's busy handler sleeps
                // between tries and would miss a gap of microseconds.
                tokio::time::sleep(BATCH_PAUSE).await;
            }
            tracing::info!(removed, kind, "{done}");
            Ok::<(), JobError>(())
        }
    });
    registry.every(kind, PRUNE_EVERY, serde_json::json!({}));
}
