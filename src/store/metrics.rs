//! User metrics and reputation: counts added per (user, organization,
//! resource type, UTC day), with the users' reputation kept beside them in
//! the same transaction.

use std::collections::BTreeMap;

use super::{Scope, Store, Tx};
use crate::error::Result;

/// Points per create, edit and view (the reference's reputation score).
pub const POINTS: (i64, i64, i64) = (10, 5, 1);

/// Which row of the metrics a count goes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricKey {
    /// The user who acted.
    pub user_id: i64,
    /// The record's organization (0 for none).
    pub organization_id: i64,
    /// A class name (`Configuration`) or a flexible asset type's name.
    pub resource_type: String,
    /// The UTC day, `YYYY-MM-DD`.
    pub date: String,
}

/// Counts to add to a row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MetricCounts {
    /// Records created.
    pub created: i64,
    /// Records viewed.
    pub viewed: i64,
    /// Records edited.
    pub edited: i64,
    /// Records deleted.
    pub deleted: i64,
}

impl MetricCounts {
    /// Adds `other` to these counts.
    pub fn add(&mut self, other: MetricCounts) {
        self.created += other.created;
        self.viewed += other.viewed;
        self.edited += other.edited;
        self.deleted += other.deleted;
    }

    /// The reputation these counts are worth.
    pub fn points(&self) -> i64 {
        self.created * POINTS.0 + self.edited * POINTS.1 + self.viewed * POINTS.2
    }
}

impl Tx {
    /// Adds `counts` to the metrics of `scope`'s account and the users'
    /// reputation: one upsert per row and one update per user.
    pub async fn add_metrics(
        &mut self,
        scope: Scope,
        counts: &BTreeMap<MetricKey, MetricCounts>,
    ) -> Result<()> {
        let mut points: BTreeMap<i64, i64> = BTreeMap::new();
        for (key, add) in counts {
            let mut sql = self.sql();
            sql.push(
                "INSERT INTO user_metrics (account_id, user_id, organization_id, resource_type, \
                 date, created, viewed, edited, deleted) VALUES (",
            )
            .bind(scope.account_id())
            .push(", ")
            .bind(key.user_id)
            .push(", ")
            .bind(key.organization_id)
            .push(", ")
            .bind(key.resource_type.as_str())
            .push(", ")
            .bind(key.date.as_str());
            for n in [add.created, add.viewed, add.edited, add.deleted] {
                sql.push(", ").bind(n);
            }
            sql.push(
                ") ON CONFLICT (account_id, user_id, organization_id, resource_type, date) \
                 DO UPDATE SET created = user_metrics.created + excluded.created, \
                 viewed = user_metrics.viewed + excluded.viewed, \
                 edited = user_metrics.edited + excluded.edited, \
                 deleted = user_metrics.deleted + excluded.deleted",
            );
            self.execute(&sql).await?;
            *points.entry(key.user_id).or_default() += add.points();
        }
        for (user, points) in points.into_iter().filter(|(_, p)| *p != 0) {
            let mut sql = self.sql();
            sql.push("UPDATE users SET reputation = reputation + ")
                .bind(points)
                .push(" WHERE account_id = ")
                .bind(scope.account_id())
                .push(" AND id = ")
                .bind(user);
            self.execute(&sql).await?;
        }
        Ok(())
    }
}

impl Store {
    /// Adds counts of several accounts in one transaction (the view
    /// counter's flush).
    pub async fn add_metrics(
        &self,
        batches: &[(Scope, BTreeMap<MetricKey, MetricCounts>)],
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        for (scope, counts) in batches {
            tx.add_metrics(*scope, counts).await?;
        }
        tx.commit().await
    }
}
