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

    /// `columns` of every row of a global `table` (reference data, which
    /// belongs to no account), in id order.
    pub async fn select_reference(
        &self,
        table: &str,
        columns: &[(&str, ColumnType)],
    ) -> Result<Vec<Vec<Cell>>> {
        let mut sql = self.sql();
        sql.push("SELECT ");
        for (i, (column, _)) in columns.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push(column);
        }
        sql.push(" FROM ").push(table).push(" ORDER BY id");
        self.fetch(&sql, &types(columns)).await
    }

    /// Notes a view of record `id` of `table` at `at` (ms): sets
    /// `last_viewed_at` and adds one to `view_count`, in a transaction of
    /// its own (a document's show).
    pub async fn note_view(&self, scope: Scope, table: &str, id: i64, at: i64) -> Result<u64> {
        let mut tx = self.begin().await?;
        let mut sql = tx.sql();
        sql.push("UPDATE ")
            .push(table)
            .push(" SET view_count = view_count + 1, last_viewed_at = ")
            .bind(at);
        push_where(&mut sql, scope, &[Match::id(id)]);
        let changed = tx.execute(&sql).await?;
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

/// What [`Tx::insert_rows`] does with its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserting {
    /// Every row goes in; the new ids come back, in row order.
    ReturningIds,
    /// Every row goes in; nothing comes back.
    Quietly,
    /// Rows that break a unique constraint are skipped (`ON CONFLICT DO
    /// NOTHING`); nothing comes back.
    SkippingDuplicates,
}

/// Bound parameters per statement, under SQLite's 32766 and PostgreSQL's 65535.
fn parameter_budget(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Sqlite => 32_000,
        Dialect::Postgres => 65_000,
    }
}

/// Rows per statement at most, whatever the budget allows.
const MAX_ROWS: usize = 2_000;

impl Tx {
    /// Inserts `rows` (values in the order of `columns`) into `table` in as
    /// few multi-row statements as the dialect's bound-parameter limit
    /// allows. With a scope the rows are the account's (the store adds
    /// `account_id`); without one they are global (reference tables).
    /// With [`Inserting::ReturningIds`], the new ids in row order.
    ///
    /// Each statement's ids are sorted before use: a single multi-row
    /// INSERT takes its ids from the table's sequence (or SQLite's rowid
    /// counter) in VALUES order, so ascending ids match the rows even when
    /// `RETURNING` hands them back in another order.
    pub async fn insert_rows(
        &mut self,
        scope: Option<Scope>,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<Arg>>,
        inserting: Inserting,
    ) -> Result<Vec<i64>> {
        let width = columns.len() + usize::from(scope.is_some());
        let per_statement = (parameter_budget(self.dialect()) / width.max(1)).clamp(1, MAX_ROWS);
        let mut column_list = String::from(if scope.is_some() { "account_id" } else { "" });
        for column in columns {
            if !column_list.is_empty() {
                column_list.push_str(", ");
            }
            column_list.push_str(column);
        }
        let returning = inserting == Inserting::ReturningIds;
        let mut ids = Vec::with_capacity(if returning { rows.len() } else { 0 });
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let mut sql = self.sql();
            sql.text.reserve(per_statement * width * 8);
            sql.push("INSERT INTO ")
                .push(table)
                .push(" (")
                .push(&column_list)
                .push(") VALUES ");
            let mut count = 0;
            for row in rows.by_ref().take(per_statement) {
                debug_assert_eq!(row.len(), columns.len(), "a row of {table}");
                if count > 0 {
                    sql.push(", ");
                }
                sql.push("(");
                if let Some(scope) = scope {
                    sql.bind(scope.account_id());
                    if !row.is_empty() {
                        sql.push(", ");
                    }
                }
                for (i, value) in row.into_iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind(value);
                }
                sql.push(")");
                count += 1;
            }
            match inserting {
                Inserting::ReturningIds => {
                    sql.push(" RETURNING id");
                    let mut batch: Vec<i64> = self
                        .fetch(&sql, &[ColumnType::Int])
                        .await?
                        .into_iter()
                        .filter_map(|r| r.first().and_then(Cell::as_i64))
                        .collect();
                    if batch.len() != count {
                        return Err(crate::error::Error::Internal(anyhow::anyhow!(
                            "inserting into {table}: {count} rows but {} ids",
                            batch.len()
                        )));
                    }
                    batch.sort_unstable();
                    ids.extend(batch);
                }
                Inserting::Quietly => {
                    self.execute(&sql).await?;
                }
                Inserting::SkippingDuplicates => {
                    sql.push(" ON CONFLICT DO NOTHING");
                    self.execute(&sql).await?;
                }
            }
        }
        Ok(ids)
    }
}

impl Tx {
    /// Sets values of its own on each of several of the account's rows of
    /// `table`, in as few statements as the dialect's bound-parameter limit
    /// allows (`UPDATE ... FROM (VALUES ...)`), rather than one per row.
    /// Each of `rows` holds the values of `keys` (which name the row to
    /// change) and then those of `columns` (what it is set to); only rows
    /// that also meet `matching` change. Returns the keys of the rows that
    /// changed, so that a caller can insert those that were not there.
    pub async fn update_each(
        &mut self,
        scope: Scope,
        table: &str,
        keys: &[(&str, ColumnType)],
        columns: &[&str],
        rows: Vec<Vec<Arg>>,
        matching: &[Match],
    ) -> Result<Vec<Vec<Cell>>> {
        let width = keys.len() + columns.len();
        let per_statement = (parameter_budget(self.dialect()) / width.max(1)).clamp(1, MAX_ROWS);
        let key_types = types(keys);
        let mut changed = Vec::new();
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let mut sql = self.sql();
            sql.push("UPDATE ").push(table).push(" SET ");
            for (i, column) in columns.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                // VALUES names its columns column1, column2, ... in both dialects.
                sql.push(column)
                    .push(" = v.column")
                    .push(&(keys.len() + i + 1).to_string());
            }
            sql.push(" FROM (VALUES ");
            for (i, row) in rows.by_ref().take(per_statement).enumerate() {
                debug_assert_eq!(row.len(), width, "a row of {table}");
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind_list(row);
            }
            sql.push(") AS v");
            push_where(&mut sql, scope, matching);
            for (i, (key, _)) in keys.iter().enumerate() {
                sql.push(" AND ")
                    .push(table)
                    .push(".")
                    .push(key)
                    .push(" = v.column")
                    .push(&(i + 1).to_string());
            }
            sql.push(" RETURNING ");
            for (i, (key, _)) in keys.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push(table).push(".").push(key);
            }
            changed.extend(self.fetch(&sql, &key_types).await?);
        }
        Ok(changed)
    }
}
