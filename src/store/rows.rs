//! Named, account-scoped row operations for the few reads and writes that
//! behaviour needs beyond the generic pipeline: a table, column names and
//! [`Match`] conditions in; no SQL text out of the store. The account
//! condition is added here, so no caller writes it by hand.

use super::{Arg, Cell, ColumnType, Dialect, Scope, Sql, Store, Tx, UniqueViolation, Values};
use crate::error::Result;

/// One condition on a column.
#[derive(Debug, Clone)]
pub enum Match {
    /// `column = value`.
    Eq(&'static str, Arg),
    /// `column <> value` (NULLs do not pass).
    Ne(&'static str, Arg),
    /// `column IN (values)`; an empty list matches nothing.
    In(&'static str, Vec<Arg>),
    /// `column LIKE pattern` (`%` and `_` as SQL has them).
    Like(&'static str, String),
}

impl Match {
    /// `id = id`.
    pub fn id(id: i64) -> Match {
        Match::Eq("id", Arg::from(id))
    }

    /// `id IN ids`.
    pub fn ids(ids: &[i64]) -> Match {
        Match::In("id", ids.iter().map(|id| Arg::from(*id)).collect())
    }
}

/// Whether the read locks the rows it returns until the transaction ends
/// (PostgreSQL's `FOR UPDATE`; SQLite's write transactions already hold the
/// database lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// A plain read.
    None,
    /// Lock the rows for update.
    ForUpdate,
}

fn push_where(sql: &mut Sql, scope: Scope, matching: &[Match]) {
    sql.push(" WHERE account_id = ").bind(scope.account_id());
    for condition in matching {
        match condition {
            Match::Eq(column, value) => {
                sql.push(" AND ")
                    .push(column)
                    .push(" = ")
                    .bind(value.clone());
            }
            Match::Ne(column, value) => {
                sql.push(" AND ")
                    .push(column)
                    .push(" <> ")
                    .bind(value.clone());
            }
            Match::In(_, values) if values.is_empty() => {
                sql.push(" AND 1=0");
            }
            Match::In(column, values) => {
                sql.push(" AND ")
                    .push(column)
                    .push(" IN ")
                    .bind_list(values.iter().cloned());
            }
            Match::Like(column, pattern) => {
                sql.push(" AND ")
                    .push(column)
                    .push(" LIKE ")
                    .bind(pattern.clone());
            }
        }
    }
}

fn select_sql(
    dialect: Dialect,
    scope: Scope,
    table: &str,
    columns: &[(&str, ColumnType)],
    matching: &[Match],
    lock: Lock,
) -> Sql {
    let mut sql = Sql::new(dialect);
    sql.push("SELECT ");
    for (i, (column, _)) in columns.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push(column);
    }
    sql.push(" FROM ").push(table);
    push_where(&mut sql, scope, matching);
    sql.push(" ORDER BY id");
    if lock == Lock::ForUpdate && dialect == Dialect::Postgres {
        sql.push(" FOR UPDATE");
    }
    sql
}

fn types(columns: &[(&str, ColumnType)]) -> Vec<ColumnType> {
    columns.iter().map(|(_, t)| *t).collect()
}

impl Tx {
    /// `columns` of the account's rows of `table` that match, in id order.
    pub async fn select(
        &mut self,
        scope: Scope,
        table: &str,
        columns: &[(&str, ColumnType)],
        matching: &[Match],
        lock: Lock,
    ) -> Result<Vec<Vec<Cell>>> {
        let sql = select_sql(self.dialect(), scope, table, columns, matching, lock);
        self.fetch(&sql, &types(columns)).await
    }

    /// Sets `values` on the account's rows of `table` that match; returns
    /// how many rows changed.
    pub async fn update_rows(
        &mut self,
        scope: Scope,
        table: &str,
        values: &Values,
        matching: &[Match],
    ) -> Result<u64> {
        if values.is_empty() {
            return Ok(0);
        }
        let mut sql = self.sql();
        sql.push("UPDATE ").push(table).push(" SET ");
        for (i, (column, value)) in values.0.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push(column).push(" = ").bind(value.clone());
        }
        push_where(&mut sql, scope, matching);
        self.execute(&sql).await
    }

    /// Deletes the account's rows of `table` that match; returns how many went.
    pub async fn delete_rows(
        &mut self,
        scope: Scope,
        table: &str,
        matching: &[Match],
    ) -> Result<u64> {
        let mut sql = self.sql();
        sql.push("DELETE FROM ").push(table);
        push_where(&mut sql, scope, matching);
        self.execute(&sql).await
    }
}

impl Store {
    /// `columns` of the account's rows of `table` that match, in id order.
    pub async fn select(
        &self,
        scope: Scope,
        table: &str,
        columns: &[(&str, ColumnType)],
        matching: &[Match],
    ) -> Result<Vec<Vec<Cell>>> {
        let sql = select_sql(self.dialect(), scope, table, columns, matching, Lock::None);
        self.fetch(&sql, &types(columns)).await
    }

    /// Sets `values` on the account's rows of `table` that match, outside any
    /// transaction (a show noting when a record was last viewed).
    pub async fn update_rows(
        &self,
        scope: Scope,
        table: &str,
        values: &Values,
        matching: &[Match],
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let changed = tx.update_rows(scope, table, values, matching).await?;
        tx.commit().await?;
        Ok(changed)
    }
}

impl Tx {
    /// Inserts one row of the account into `table`; its id, or the unique
    /// constraint it broke.
    pub async fn insert(
        &mut self,
        scope: Scope,
        table: &str,
        values: &Values,
    ) -> Result<std::result::Result<i64, UniqueViolation>> {
        let mut sql = self.sql();
        sql.push("INSERT INTO ").push(table).push(" (account_id");
        for (column, _) in &values.0 {
            sql.push(", ").push(column);
        }
        sql.push(") VALUES (").bind(scope.account_id());
        for (_, value) in &values.0 {
            sql.push(", ").bind(value.clone());
        }
        sql.push(") RETURNING id");
        self.insert_returning_id(&sql).await
    }

    /// Sets `values` on row `id` of the account's `table`; the number of
    /// rows changed, or the unique constraint it broke.
    pub async fn update_unique(
        &mut self,
        scope: Scope,
        table: &str,
        id: i64,
        values: &Values,
    ) -> Result<std::result::Result<u64, UniqueViolation>> {
        if values.is_empty() {
            return Ok(Ok(0));
        }
        let mut sql = self.sql();
        sql.push("UPDATE ").push(table).push(" SET ");
        for (i, (column, value)) in values.0.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push(column).push(" = ").bind(value.clone());
        }
        push_where(&mut sql, scope, &[Match::id(id)]);
        self.execute_unique(&sql).await
    }
}
