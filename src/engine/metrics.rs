//! User metrics as the engine counts them: creates, edits and deletes in
//! the write's own transaction ([`write_counts`]), views in memory
//! ([`ViewCounter`]) so that no read waits for a write; the server adds the
//! views to the database every few seconds and when it stops, so a crash
//! loses at most the views of that last interval.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use super::activity::Action;
use crate::error::Result;
use crate::resources::Resource;
use crate::store::{Cell, MetricCounts, MetricKey, Record, Scope, Store};

/// The row of the metrics an action of `user_id` on `record` at `at` (ms)
/// counts in; `None` for records that belong to no organization (settings,
/// users, the log), which the metrics do not count.
pub fn metric_key(
    resource: &Resource,
    record: &Record,
    user_id: i64,
    at: i64,
) -> Option<MetricKey> {
    let organization_id = match resource.organization_column? {
        "id" => record.id,
        column => resource
            .cell(record, column)
            .and_then(Cell::as_i64)
            .unwrap_or(0),
    };
    // A flexible asset counts under its type's name, as the reference shows.
    let resource_type = resource
        .cell(record, "flexible_asset_type_name")
        .and_then(Cell::as_str)
        .unwrap_or(resource.class)
        .to_string();
    let mut date = crate::clock::format_millis(at);
    date.truncate(10);
    Some(MetricKey {
        user_id,
        organization_id,
        resource_type,
        date,
    })
}

/// The counts of one write `action` on one record.
pub fn counts_of(action: Action) -> MetricCounts {
    let mut counts = MetricCounts::default();
    match action {
        Action::Create => counts.created = 1,
        Action::Update => counts.edited = 1,
        Action::Delete => counts.deleted = 1,
        Action::Show | Action::IssueToken => {}
    }
    counts
}

/// The counts of `action` by `user_id` on `records`, by row.
pub fn write_counts(
    resource: &Resource,
    records: &[Record],
    action: Action,
    user_id: i64,
    at: i64,
) -> BTreeMap<MetricKey, MetricCounts> {
    let mut out: BTreeMap<MetricKey, MetricCounts> = BTreeMap::new();
    for record in records {
        if let Some(key) = metric_key(resource, record, user_id, at) {
            out.entry(key).or_default().add(counts_of(action));
        }
    }
    out
}

/// Views counted since the last flush, by account and row.
#[derive(Debug, Default)]
pub struct ViewCounter {
    pending: Mutex<HashMap<Scope, BTreeMap<MetricKey, MetricCounts>>>,
}

impl ViewCounter {
    /// Counts one view (in memory only).
    pub fn count(&self, scope: Scope, key: MetricKey) {
        let view = MetricCounts {
            viewed: 1,
            ..MetricCounts::default()
        };
        self.lock()
            .entry(scope)
            .or_default()
            .entry(key)
            .or_default()
            .add(view);
    }

    /// Adds the views counted so far to the database, in one transaction;
    /// how many rows it touched. If the write fails the views are kept for
    /// the next flush.
    pub async fn flush(&self, store: &Store) -> Result<usize> {
        let taken: Vec<(Scope, BTreeMap<MetricKey, MetricCounts>)> = self.lock().drain().collect();
        if taken.is_empty() {
            return Ok(0);
        }
        let rows = taken.iter().map(|(_, counts)| counts.len()).sum();
        if let Err(error) = store.add_metrics(&taken).await {
            let mut pending = self.lock();
            for (scope, counts) in taken {
                let into = pending.entry(scope).or_default();
                for (key, add) in counts {
                    into.entry(key).or_default().add(add);
                }
            }
            return Err(error);
        }
        Ok(rows)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Scope, BTreeMap<MetricKey, MetricCounts>>> {
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
