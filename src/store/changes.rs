//! The change feed's table: rows written beside each write's activity, and
//! pages of an account's changes from a position (a row id).
//!
//! A reader that has passed an id must never see a row with a smaller one
//! appear later, so an account's rows must get ids in commit order. A
//! transaction keeps its change rows until it commits and writes them
//! last, just before its `COMMIT`. SQLite has one writer at a time. On
//! PostgreSQL the transaction first takes its account's feed lock
//! (`pg_advisory_xact_lock`) and holds it until it ends: another
//! transaction of the account takes its ids only after this one committed
//! or rolled back. Writes of one account thus queue only for the stretch
//! from their change rows' `INSERT` to the end of their `COMMIT`, not for
//! the whole write; other accounts' do not queue at all.

use super::{Arg, ColumnType, Dialect, Inserting, Scope, Store, Tx};
use crate::error::Result;

/// The first key of the feed's advisory locks ("MORT"; the second is the
/// account).
const FEED_LOCK: i64 = 0x4d4f_5254;

/// One change to a record.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRow {
    /// Position: the row's id.
    pub id: i64,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// The record's JSON:API type.
    pub resource_type: String,
    /// The record's id.
    pub resource_id: i64,
    /// Its organization (for a delete: the last one it had).
    pub organization_id: Option<i64>,
    /// When (ms).
    pub created_at: i64,
}

/// A change about to be written.
#[derive(Debug, Clone)]
pub struct NewChange {
    /// `create`, `update` or `delete`.
    pub action: &'static str,
    /// The record's JSON:API type.
    pub resource_type: &'static str,
    /// The record's id.
    pub resource_id: i64,
    /// Its organization.
    pub organization_id: Option<i64>,
}

impl Tx {
    /// Adds `changes` of `scope` at `at` (ms) to the rows this transaction
    /// writes to the feed when it commits ([`Tx::commit`]).
    pub fn record_changes(&mut self, scope: Scope, changes: &[NewChange], at: i64) {
        self.changes.add(
            scope,
            changes.iter().map(|c| {
                vec![
                    Arg::from(c.action),
                    Arg::from(c.resource_type),
                    Arg::from(c.resource_id),
                    Arg::from(c.organization_id),
                    Arg::from(at),
                ]
            }),
        );
    }

    /// Writes the change rows recorded so far, account by account in
    /// account order (on PostgreSQL each account's feed lock first, so two
    /// transactions never wait for each other's locks in a circle).
    pub(super) async fn write_changes(&mut self) -> Result<()> {
        for (account, rows) in self.changes.take() {
            if self.dialect() == Dialect::Postgres {
                let mut sql = self.sql();
                sql.push("SELECT pg_advisory_xact_lock(CAST(")
                    .bind(FEED_LOCK)
                    .push(" AS INTEGER), CAST(")
                    .bind(account)
                    .push(" AS INTEGER))");
                self.execute(&sql).await?;
            }
            self.insert_rows(
                Some(Scope::new(account)),
                "changes",
                &[
                    "action",
                    "resource_type",
                    "resource_id",
                    "organization_id",
                    "created_at",
                ],
                rows,
                Inserting::Quietly,
            )
            .await?;
        }
        Ok(())
    }
}

impl Store {
    /// Up to `limit` changes of `scope` after position (id) `after`, in order.
    pub async fn changes_after(
        &self,
        scope: Scope,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ChangeRow>> {
        let mut sql = self.sql();
        sql.push(
            "SELECT id, action, resource_type, resource_id, organization_id, created_at \
             FROM changes WHERE account_id = ",
        )
        .bind(scope.account_id())
        .push(" AND id > ")
        .bind(after)
        .push(" ORDER BY id LIMIT ")
        .bind(limit);
        let kinds = [
            ColumnType::Int,
            ColumnType::Text,
            ColumnType::Text,
            ColumnType::Int,
            ColumnType::Int,
            ColumnType::Int,
        ];
        let rows = self.fetch(&sql, &kinds).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let text = |i: usize| row[i].as_str().unwrap_or_default().to_string();
                ChangeRow {
                    id: row[0].as_i64().unwrap_or_default(),
                    action: text(1),
                    resource_type: text(2),
                    resource_id: row[3].as_i64().unwrap_or_default(),
                    organization_id: row[4].as_i64(),
                    created_at: row[5].as_i64().unwrap_or_default(),
                }
            })
            .collect())
    }
}
