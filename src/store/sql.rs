//! Statements as text plus typed arguments, rendered for either dialect, and
//! the decoding of result rows into [`Cell`]s.

use sqlx::postgres::{PgRow, PgTypeInfo};
use sqlx::{Column, ColumnIndex, Decode, Postgres, Row, Sqlite, Type, TypeInfo, ValueRef};

/// How values of a field are stored, checked and rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// A 64-bit integer, rendered as a JSON number.
    Int,
    /// An integer id rendered as a JSON string (organizations' `parent-id`).
    IdString,
    /// UTF-8 text.
    Text,
    /// A boolean.
    Bool,
    /// An instant, stored as milliseconds since the Unix epoch, rendered RFC3339 UTC with milliseconds.
    Timestamp,
    /// A calendar date, stored and rendered as `YYYY-MM-DD`.
    Date,
    /// A JSON array or object, stored as its text (contact emails and phones).
    Json,
}

/// The SQL dialect of the active backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: `?` placeholders.
    Sqlite,
    /// PostgreSQL: `$1` placeholders.
    Postgres,
}

/// A typed statement argument. Nulls carry their type, because PostgreSQL
/// checks parameter types against columns.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// Integer (also timestamps in milliseconds).
    Int(Option<i64>),
    /// Text (also dates).
    Text(Option<String>),
    /// Boolean.
    Bool(Option<bool>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(Some(v))
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Arg {
        Arg::Bool(Some(v))
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(Some(v.to_string()))
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(Some(v))
    }
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::Int(v)
    }
}

impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Arg {
        Arg::Text(v)
    }
}

impl Arg {
    /// The integer value, if this is a non-null integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Arg::Int(v) => *v,
            _ => None,
        }
    }

    /// Whether this is SQL NULL.
    pub fn is_null(&self) -> bool {
        matches!(self, Arg::Int(None) | Arg::Text(None) | Arg::Bool(None))
    }
}

/// One decoded value of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// Integer.
    Int(i64),
    /// Text.
    Text(String),
    /// Boolean.
    Bool(bool),
}

impl Cell {
    /// The integer value, if any.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Cell::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The text value, if any.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Cell::Text(v) => Some(v),
            _ => None,
        }
    }
}

/// Column values of one record about to be written, by column name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Values(pub Vec<(&'static str, Arg)>);

impl Values {
    /// Sets `column`, replacing an earlier value.
    pub fn set(&mut self, column: &'static str, value: Arg) {
        match self.0.iter_mut().find(|(c, _)| *c == column) {
            Some(slot) => slot.1 = value,
            None => self.0.push((column, value)),
        }
    }

    /// Removes and returns the value given for `column`.
    pub fn take(&mut self, column: &str) -> Option<Arg> {
        let index = self.0.iter().position(|(c, _)| *c == column)?;
        Some(self.0.remove(index).1)
    }

    /// The value given for `column`, if any.
    pub fn get(&self, column: &str) -> Option<&Arg> {
        self.0.iter().find(|(c, _)| *c == column).map(|(_, v)| v)
    }

    /// Whether nothing is to be written.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A statement under construction: text with placeholders and its arguments.
#[derive(Debug, Clone)]
pub struct Sql {
    dialect: Dialect,
    /// The statement text.
    pub text: String,
    /// The bound arguments, in placeholder order.
    pub args: Vec<Arg>,
    /// Whether it reads at most one row by its primary key (see
    /// [`Sql::by_key`]).
    by_key: bool,
}

impl Sql {
    /// An empty statement for `dialect`.
    pub fn new(dialect: Dialect) -> Sql {
        Sql {
            dialect,
            text: String::with_capacity(256),
            args: Vec::new(),
            by_key: false,
        }
    }

    /// Marks a read of at most one row by its primary key: SQLite runs it
    /// on the calling thread when a reader connection is idle, since the
    /// read takes microseconds and a hand-off to the blocking pool costs
    /// more than that. Anything that may scan stays on the pool.
    pub fn by_key(&mut self) -> &mut Sql {
        self.by_key = true;
        self
    }

    /// Appends literal SQL (never client input).
    pub fn push(&mut self, sql: &str) -> &mut Sql {
        self.text.push_str(sql);
        self
    }

    /// Appends a placeholder bound to `arg`.
    pub fn bind(&mut self, arg: impl Into<Arg>) -> &mut Sql {
        self.args.push(arg.into());
        match self.dialect {
            Dialect::Sqlite => self.text.push('?'),
            Dialect::Postgres => {
                self.text.push('$');
                self.text.push_str(&self.args.len().to_string());
            }
        }
        self
    }

    /// Appends ` LIMIT <rows>` with the number written into the text, not
    /// bound. PostgreSQL plans a prepared statement once, for any values,
    /// and sizes its joins by a constant `LIMIT`; for a bound one it guesses
    /// a tenth of the rows, which had the page of 50 of a whole account's
    /// 100,000 configurations hash-join every configuration (50 ms instead
    /// of 1). `rows` is a number the server computed, never client text.
    pub fn limit(&mut self, rows: u64) -> &mut Sql {
        self.text.push_str(" LIMIT ");
        self.text.push_str(&rows.to_string());
        self
    }

    /// Appends `(?, ?, ...)` bound to `args`.
    pub fn bind_list<A: Into<Arg>>(&mut self, args: impl IntoIterator<Item = A>) -> &mut Sql {
        self.text.push('(');
        for (i, arg) in args.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(arg);
        }
        self.text.push(')');
        self
    }

    /// The dialect this statement is written for.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }
}

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Int(v) => query.bind(*v),
                Arg::Text(v) => query.bind(v.clone()),
                Arg::Bool(v) => query.bind(*v),
            };
        }
        query
    }};
}

fn decode<R>(row: &R, kinds: &[ColumnType]) -> Result<Vec<Cell>, sqlx::Error>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> Option<i64>: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Option<bool>: Decode<'r, R::Database> + Type<R::Database>,
{
    kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            Ok(match kind {
                ColumnType::Int | ColumnType::IdString | ColumnType::Timestamp => row
                    .try_get::<Option<i64>, _>(i)?
                    .map_or(Cell::Null, Cell::Int),
                ColumnType::Text | ColumnType::Date | ColumnType::Json => row
                    .try_get::<Option<String>, _>(i)?
                    .map_or(Cell::Null, Cell::Text),
                ColumnType::Bool => row
                    .try_get::<Option<bool>, _>(i)?
                    .map_or(Cell::Null, Cell::Bool),
            })
        })
        .collect()
}

pub(crate) async fn fetch_sqlite<'c, E>(
    executor: E,
    sql: &Sql,
    kinds: &[ColumnType],
) -> Result<Vec<Vec<Cell>>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = Sqlite>,
{
    let rows = bind_all!(sqlx::query(&sql.text), &sql.args)
        .fetch_all(executor)
        .await?;
    rows.iter().map(|row| decode(row, kinds)).collect()
}

pub(crate) async fn fetch_postgres<'c, E>(
    executor: E,
    sql: &Sql,
    kinds: &[ColumnType],
) -> Result<Vec<Vec<Cell>>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = Postgres>,
{
    let rows = bind_all!(sqlx::query(&sql.text), &sql.args)
        .fetch_all(executor)
        .await?;
    decode_postgres(&rows, kinds)
}

/// Decodes a PostgreSQL statement's rows. Every row of a statement has the
/// same columns, so whether each column's type can be read as its kind
/// (the check `Row::try_get` makes on every value) is worked out once, from
/// the first row; as there, a value of a column that cannot be read is an
/// error, a NULL never is.
fn decode_postgres(rows: &[PgRow], kinds: &[ColumnType]) -> Result<Vec<Vec<Cell>>, sqlx::Error> {
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let columns = first.columns();
    let unreadable: Vec<Option<String>> = columns
        .iter()
        .zip(kinds)
        .map(|(column, kind)| {
            let found = column.type_info();
            match kind {
                ColumnType::Int | ColumnType::IdString | ColumnType::Timestamp => {
                    unreadable_as::<i64>(found)
                }
                ColumnType::Text | ColumnType::Date | ColumnType::Json => {
                    unreadable_as::<String>(found)
                }
                ColumnType::Bool => unreadable_as::<bool>(found),
            }
        })
        .collect();
    rows.iter()
        .map(|row| {
            let mut cells = Vec::with_capacity(kinds.len());
            for (index, kind) in kinds.iter().enumerate() {
                let value = row.try_get_raw(index)?;
                if value.is_null() {
                    cells.push(Cell::Null);
                    continue;
                }
                let column_error = |source| sqlx::Error::ColumnDecode {
                    index: format!("{index:?}"),
                    source,
                };
                if let Some(why) = &unreadable[index] {
                    return Err(column_error(why.clone().into()));
                }
                let cell = match kind {
                    ColumnType::Int | ColumnType::IdString | ColumnType::Timestamp => {
                        <i64 as Decode<Postgres>>::decode(value).map(Cell::Int)
                    }
                    ColumnType::Text | ColumnType::Date | ColumnType::Json => {
                        <String as Decode<Postgres>>::decode(value).map(Cell::Text)
                    }
                    ColumnType::Bool => <bool as Decode<Postgres>>::decode(value).map(Cell::Bool),
                };
                cells.push(cell.map_err(column_error)?);
            }
            Ok(cells)
        })
        .collect()
}

/// Why a value of PostgreSQL type `found` cannot be read as a `T` (the
/// driver's own message), or `None` when it can.
fn unreadable_as<T: Type<Postgres>>(found: &PgTypeInfo) -> Option<String> {
    (!found.is_null() && !T::compatible(found))
        .then(|| sqlx::error::mismatched_types::<Postgres, T>(found).to_string())
}

pub(crate) async fn execute_sqlite<'c, E>(executor: E, sql: &Sql) -> Result<u64, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = Sqlite>,
{
    Ok(bind_all!(sqlx::query(&sql.text), &sql.args)
        .execute(executor)
        .await?
        .rows_affected())
}

pub(crate) async fn execute_postgres<'c, E>(executor: E, sql: &Sql) -> Result<u64, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = Postgres>,
{
    Ok(bind_all!(sqlx::query(&sql.text), &sql.args)
        .execute(executor)
        .await?
        .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_dialect() {
        let mut lite = Sql::new(Dialect::Sqlite);
        lite.push("a = ")
            .bind(1)
            .push(" AND b IN ")
            .bind_list(["x", "y"]);
        assert_eq!(lite.text, "a = ? AND b IN (?, ?)");
        let mut pg = Sql::new(Dialect::Postgres);
        pg.push("a = ")
            .bind(1)
            .push(" AND b IN ")
            .bind_list(["x", "y"]);
        assert_eq!(pg.text, "a = $1 AND b IN ($2, $3)");
        assert_eq!(pg.args.len(), 3);
    }

    #[test]
    fn a_postgres_column_is_read_as_its_kind_only_when_the_driver_could() {
        use sqlx::postgres::PgTypeInfo;
        assert_eq!(unreadable_as::<i64>(&PgTypeInfo::with_name("int8")), None);
        assert_eq!(
            unreadable_as::<String>(&PgTypeInfo::with_name("text")),
            None
        );
        assert_eq!(
            unreadable_as::<String>(&PgTypeInfo::with_name("varchar")),
            None
        );
        assert_eq!(unreadable_as::<bool>(&PgTypeInfo::with_name("bool")), None);
        let why = unreadable_as::<i64>(&PgTypeInfo::with_name("int4"))
            .expect("an int4 column is not read as i64, as Row::try_get refuses it");
        assert!(why.contains("int4"), "{why}");
        assert!(unreadable_as::<bool>(&PgTypeInfo::with_name("text")).is_some());
    }
}

/// How long a SQLite reader connection lives before the pool replaces it
/// (a new connection loads the planner's refreshed statistics).
pub(crate) const READER_LIFETIME: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// SQLite's readers: a pool of `rusqlite` connections, each statement run
/// on tokio's blocking thread pool with its prepared form cached per
/// connection. One hand-off per statement, where the async driver passes
/// every row between threads.
#[derive(Clone)]
pub(crate) struct Readers {
    /// The pool in use; replaced whole by [`Readers::renew`].
    pool: std::sync::Arc<std::sync::RwLock<ReaderPool>>,
    /// One permit per connection: a read waits for one here, as a task,
    /// before it takes a blocking thread, so a burst of reads holds as many
    /// threads (and their allocators' memory) as there are connections,
    /// not one per waiting read.
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    path: std::path::PathBuf,
    max: u32,
}

type ReaderPool = r2d2::Pool<r2d2_sqlite::SqliteConnectionManager>;

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readers")
            .field("state", &self.current().state())
            .finish()
    }
}

impl Readers {
    /// Up to `max` read-only connections to the database file at `path`.
    pub(crate) fn open(path: &std::path::Path, max: u32) -> Result<Readers, r2d2::Error> {
        Ok(Readers {
            pool: std::sync::Arc::new(std::sync::RwLock::new(Self::pool(path, max)?)),
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(max.max(1) as usize)),
            path: path.to_path_buf(),
            max,
        })
    }

    fn pool(path: &std::path::Path, max: u32) -> Result<ReaderPool, r2d2::Error> {
        let manager = r2d2_sqlite::SqliteConnectionManager::file(path)
            .with_flags(
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | rusqlite::OpenFlags::SQLITE_OPEN_URI,
            )
            // A page cache of 16 MB each: with as few readers as
            // `reader_count` opens, each cache stays warm, and at 1,000,000
            // configurations 16 MB served shows and lists as fast as 32 MB
            // did, with a peak about 10 MB lower.
            .with_init(|c| {
                c.busy_timeout(std::time::Duration::from_secs(30))?;
                c.set_prepared_statement_cache_capacity(256);
                super::stable_plans(c)?;
                c.execute_batch("PRAGMA temp_store = memory; PRAGMA cache_size = -16000;")
            });
        r2d2::Pool::builder()
            .max_size(max.max(1))
            .min_idle(Some(0))
            .max_lifetime(Some(READER_LIFETIME))
            .connection_timeout(std::time::Duration::from_secs(10))
            .build(manager)
    }

    /// Replaces every reader connection with new ones, which load the
    /// planner's statistics an `ANALYZE` has just written (a connection
    /// reads them when it opens). Reads under way finish on the old ones.
    pub(crate) fn renew(&self) -> Result<(), r2d2::Error> {
        let fresh = Self::pool(&self.path, self.max)?;
        *self
            .pool
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
        Ok(())
    }

    /// The pool in use.
    fn current(&self) -> ReaderPool {
        self.pool
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Runs a query and decodes every row by `kinds`: a read by key (see
    /// [`Sql::by_key`]) on this thread when a connection is idle, anything
    /// else on the blocking pool.
    pub(crate) async fn fetch(
        &self,
        sql: &Sql,
        kinds: &[ColumnType],
    ) -> crate::error::Result<Vec<Vec<Cell>>> {
        let pool = self.current();
        if sql.by_key {
            if let Ok(_permit) = self.permits.try_acquire() {
                if let Some(connection) = pool.try_get() {
                    return Ok(fetch_rusqlite(&connection, &sql.text, &sql.args, kinds)?);
                }
            }
        }
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| crate::error::Error::Internal(anyhow::Error::new(e)))?;
        let text = sql.text.clone();
        let args = sql.args.clone();
        let kinds = kinds.to_vec();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let connection = pool.get()?;
            Ok(fetch_rusqlite(&connection, &text, &args, &kinds)?)
        })
        .await
        .map_err(|e| crate::error::Error::Internal(anyhow::Error::new(e)))?
    }
}

/// Prepares `text` (cached per connection) with `args` bound.
fn prepared<'c>(
    connection: &'c rusqlite::Connection,
    text: &str,
    args: &[Arg],
) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
    let mut statement = connection.prepare_cached(text)?;
    for (i, arg) in args.iter().enumerate() {
        match arg {
            Arg::Int(v) => statement.raw_bind_parameter(i + 1, v)?,
            Arg::Text(v) => statement.raw_bind_parameter(i + 1, v)?,
            Arg::Bool(v) => statement.raw_bind_parameter(i + 1, v)?,
        }
    }
    Ok(statement)
}

/// Runs a query on a `rusqlite` connection and decodes every row by `kinds`.
pub(crate) fn fetch_rusqlite(
    connection: &rusqlite::Connection,
    text: &str,
    args: &[Arg],
    kinds: &[ColumnType],
) -> rusqlite::Result<Vec<Vec<Cell>>> {
    let mut statement = prepared(connection, text, args)?;
    let mut rows = statement.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(decode_rusqlite(row, kinds)?);
    }
    Ok(out)
}

/// Runs a statement on a `rusqlite` connection; the rows it changed.
pub(crate) fn execute_rusqlite(
    connection: &rusqlite::Connection,
    text: &str,
    args: &[Arg],
) -> rusqlite::Result<u64> {
    let mut statement = prepared(connection, text, args)?;
    Ok(statement.raw_execute()? as u64)
}

fn decode_rusqlite(row: &rusqlite::Row<'_>, kinds: &[ColumnType]) -> rusqlite::Result<Vec<Cell>> {
    use rusqlite::types::ValueRef;
    kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let value = row.get_ref(i)?;
            Ok(match (value, kind) {
                (ValueRef::Null, _) => Cell::Null,
                (ValueRef::Integer(n), ColumnType::Bool) => Cell::Bool(n != 0),
                (ValueRef::Integer(n), ColumnType::Text | ColumnType::Date | ColumnType::Json) => {
                    Cell::Text(n.to_string())
                }
                (ValueRef::Integer(n), _) => Cell::Int(n),
                (ValueRef::Real(f), ColumnType::Bool) => Cell::Bool(f != 0.0),
                (ValueRef::Real(f), ColumnType::Text | ColumnType::Date | ColumnType::Json) => {
                    Cell::Text(f.to_string())
                }
                (ValueRef::Real(f), _) => Cell::Int(f as i64),
                (ValueRef::Text(t) | ValueRef::Blob(t), kind) => {
                    let text = String::from_utf8_lossy(t);
                    match kind {
                        ColumnType::Int | ColumnType::IdString | ColumnType::Timestamp => {
                            text.trim().parse().map_or(Cell::Null, Cell::Int)
                        }
                        ColumnType::Bool => Cell::Bool(matches!(text.as_ref(), "1" | "true")),
                        _ => Cell::Text(text.into_owned()),
                    }
                }
            })
        })
        .collect()
}
