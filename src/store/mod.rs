//! The only place that speaks SQL.
//!
//! [`Store`] holds a SQLite or a PostgreSQL pool and counts the statements
//! it runs; statements are assembled as [`Sql`] (text plus typed arguments)
//! and rendered for the active dialect's placeholders. Every function that touches account data takes a [`Scope`],
//! which only authentication can produce, so code that forgets the account
//! does not compile.

mod accounts;
mod activity;
pub mod backup;
mod changes;
mod checkpoint;
mod exports;
mod files;
mod group;
mod idempotency;
mod imports;
mod jobs;
mod metrics;
mod migrate;
mod oauth;
mod postgres;
mod record;
mod rows;
mod search;
mod sql;
mod users;
mod vault;
mod web;
mod webhooks;

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use accounts::{hash_key, AccountSummary, ApiKeyRecord, Authenticated, NewKey, UserGrant};
pub use activity::ACTIVITY_COLUMNS;
pub use changes::{ChangeRow, NewChange};
pub use exports::{AttachmentFile, ExportTask};
pub use files::StoredFile;
pub use idempotency::{Claim, StoredResponse, IDEMPOTENCY_TTL_MS};
pub use imports::Origin;
pub use jobs::{EnqueueJob, JobOutcome, JobRecord, JobState, RetryFailed};
pub use metrics::{MetricCounts, MetricKey, POINTS};
pub use oauth::{ClientGrant, ClientRecord, NewClient};
pub use record::{Actor, Record};
pub use rows::{Inserting, Lock, Match};
pub use search::{
    normalise, terms_of, SearchEntry, SearchFilter, SearchHits, SearchType, SEARCH_WINDOW,
};
pub use sql::{Arg, Cell, ColumnType, Dialect, Sql, Values};
pub use users::{
    check_email, email_key, full_name, generate_password, hash_password, CreatedUser, NewUser,
    UserRecord,
};
pub use web::{token_hash, WebSession, WebUser};
pub use webhooks::{
    NewDelivery, PendingDelivery, Webhook, WebhookSettings, DELIVER_WEBHOOK_KIND,
    WEBHOOK_JOB_ATTEMPTS,
};

use crate::error::Result;

/// Tables whose records the store counts per account and organization in
/// `organization_counts`, kept by triggers (migration 0027 on SQLite, 0029
/// on PostgreSQL), for the `total-count` of lists filtered by organization
/// and of whole accounts' lists.
pub const ORGANIZATION_COUNTED: &[&str] = &[
    "configurations",
    "contacts",
    "locations",
    "passwords",
    "domains",
    "documents",
];

/// What `reference_counts` counts (migration 0031), as its `counted`
/// column names it: the table of the records and their column naming a
/// reference. A configuration type's `configurations-count` and a password
/// category's `passwords-count` read these counts.
pub const REFERENCE_COUNTED: &[&str] = &[
    "configurations.configuration_type_id",
    "passwords.password_category_id",
];

/// Tables with an index on their account alone, in id order (migration
/// 0029: `<table>_account`), for a whole account's list in its default
/// order: SQLite reads such a page through it by name (`INDEXED BY`).
pub const ACCOUNT_ORDERED: &[&str] = &[
    "organizations",
    "configurations",
    "contacts",
    "locations",
    "passwords",
    "domains",
    "documents",
    "flexible_assets",
    "expirations",
];

/// The account a request acts for. Only authentication (and the CLI, for the
/// account it names) can make one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scope {
    account_id: i64,
}

impl Scope {
    pub(crate) fn new(account_id: i64) -> Scope {
        Scope { account_id }
    }

    /// The account id.
    pub fn account_id(&self) -> i64 {
        self.account_id
    }
}

/// Where the data lives.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Directory for the SQLite file (and, later, blobs and the master key).
    pub data_dir: std::path::PathBuf,
    /// `postgres://...` to run on PostgreSQL; `sqlite://...` for another SQLite file; `None` for the default file.
    pub database_url: Option<String>,
    /// Largest number of pooled connections.
    pub max_connections: u32,
}

/// A connection pool to one of the two backends, with a count of the
/// statements run through it (shared by its clones).
///
/// On SQLite, writes queue for a single writer connection of their own
/// (SQLite has one writer at a time anyway) and take the write lock when they
/// begin, so contention makes them wait rather than fail; reads use the pool
/// and, under WAL, never wait for writers.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    /// SQLite: the one connection write transactions (committed in groups)
    /// and autocommit writes run on.
    writer: Option<group::GroupWriter>,
    /// SQLite: the connections reads run on, each statement on the blocking
    /// thread pool (see [`sql::Readers`]).
    readers: Option<sql::Readers>,
    statements: Arc<AtomicU64>,
}

/// How long a SQLite write may wait for its turn: for the writer connection
/// (writes of this process) and, once it has it, for the file's write lock
/// (another process writing, such as a CLI command beside the server).
const SQLITE_WRITE_WAIT: Duration = Duration::from_secs(30);

/// The pool of the active backend.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    /// Embedded SQLite (the default).
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres {
        /// The driver's pool, for the migrations and the job listener.
        driver: PgPool,
        /// The connections every statement and transaction runs on.
        connections: postgres::Connections,
    },
}

/// An open transaction on either backend; its statements count towards its store's.
pub struct Tx {
    inner: TxInner,
    statements: Arc<AtomicU64>,
    /// The activity log's rows, written when it commits.
    activity: RowsAtCommit,
    /// The change feed's rows, written when it commits.
    changes: RowsAtCommit,
    /// The account's enabled webhook subscriptions, once read in this
    /// transaction (every change it logs looks them up).
    webhooks: Option<Vec<Webhook>>,
}

/// Rows a transaction writes to one table when it commits: by account (in
/// account order), each account's in the order they were added, so that
/// each account's rows go in one multi-row `INSERT`.
#[derive(Default)]
struct RowsAtCommit(std::collections::BTreeMap<i64, Vec<Vec<Arg>>>);

impl RowsAtCommit {
    /// Adds `rows` of `scope`.
    fn add(&mut self, scope: Scope, rows: impl IntoIterator<Item = Vec<Arg>>) {
        let mut rows = rows.into_iter().peekable();
        if rows.peek().is_some() {
            self.0.entry(scope.account_id()).or_default().extend(rows);
        }
    }

    /// The rows added so far, by account, leaving none.
    fn take(&mut self) -> std::collections::BTreeMap<i64, Vec<Vec<Arg>>> {
        std::mem::take(&mut self.0)
    }
}

enum TxInner {
    /// A member of the SQLite writer's group commit.
    Sqlite(group::GroupTx),
    /// A PostgreSQL connection inside `BEGIN`.
    Postgres(postgres::Lease),
}

impl Store {
    /// Opens (creating if needed) the database, migrates it and loads reference data.
    pub async fn open(config: &StoreConfig) -> anyhow::Result<Store> {
        let store = match config.database_url.as_deref() {
            Some(url) if url.starts_with("postgres:") || url.starts_with("postgresql:") => {
                let options = session_settings(
                    PgConnectOptions::from_str(url)
                        .context("parsing the PostgreSQL database URL")?,
                );
                let place = format!("{}:{}", options.get_host(), options.get_port());
                // One connection first, so that a failure says why (refused,
                // unknown host, bad password) rather than that a pool timed out.
                let first = tokio::time::timeout(
                    Duration::from_secs(10),
                    sqlx::Connection::connect_with(&options),
                )
                .await
                .map_err(|_| {
                    anyhow::anyhow!("PostgreSQL at {place} did not answer within 10 seconds")
                })?;
                let first: sqlx::PgConnection = first.with_context(|| {
                    format!("cannot connect to PostgreSQL at {place} (is it running, and is the URL right?)")
                })?;
                sqlx::Connection::close(first).await.ok();
                postgres_store(options, config.max_connections)?
            }
            Some(url) => open_sqlite(SqliteConnectOptions::from_str(url)?, config).await?,
            None => {
                std::fs::create_dir_all(&config.data_dir).with_context(|| {
                    format!("creating the data directory {}", config.data_dir.display())
                })?;
                let file = config.data_dir.join("mortar.db");
                open_sqlite(SqliteConnectOptions::new().filename(&file), config)
                    .await
                    .with_context(|| format!("opening the database file {}", file.display()))?
            }
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    /// Opens PostgreSQL with an explicit `search_path` (tests give each run
    /// its own schema); its sessions carry the schema's name as their
    /// `application_name`.
    pub async fn open_postgres_schema(url: &str, schema: &str) -> anyhow::Result<Store> {
        let options = session_settings(PgConnectOptions::from_str(url)?)
            .options([("search_path", schema)])
            .application_name(schema);
        let store = postgres_store(options, 4)?;
        migrate::run(&store).await?;
        Ok(store)
    }

    /// Connects to PostgreSQL without migrating (to create or drop test schemas).
    pub async fn open_admin_postgres(url: &str) -> anyhow::Result<Store> {
        postgres_store(PgConnectOptions::from_str(url)?, 1)
    }

    fn new(pool: Pool) -> Store {
        Store {
            pool,
            writer: None,
            readers: None,
            statements: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The pool, for what runs on it directly (migrations).
    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    /// How many statements this store (and its clones and transactions) has
    /// run since it was opened: every fetch and execute, not `BEGIN`/`COMMIT`.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.statements.fetch_add(1, Ordering::Relaxed);
    }

    /// The active SQL dialect.
    pub fn dialect(&self) -> Dialect {
        match self.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres { .. } => Dialect::Postgres,
        }
    }

    /// A new statement in this store's dialect.
    pub fn sql(&self) -> Sql {
        Sql::new(self.dialect())
    }

    /// Starts a write transaction (the only way to start one).
    ///
    /// On SQLite it waits for the writer connection and joins its group
    /// commit ([`group`]): a savepoint of its own inside a transaction
    /// opened with `BEGIN IMMEDIATE`, which takes the write lock before its
    /// first read (a deferred transaction that reads and then writes fails
    /// at once, `SQLITE_BUSY_SNAPSHOT`, when another write committed in
    /// between, where an immediate one waits for the busy timeout instead).
    /// Its commit returns once the group's `COMMIT` is on disk. A transaction
    /// must not start another, nor call [`Store::execute`], before it ends: it
    /// would wait for the connection it holds.
    pub async fn begin(&self) -> Result<Tx> {
        let inner = match &self.pool {
            Pool::Sqlite(_) => {
                let writer = self.writer.as_ref().ok_or_else(|| {
                    crate::error::Error::Internal(anyhow::anyhow!(
                        "a SQLite store without its writer"
                    ))
                })?;
                TxInner::Sqlite(writer.begin().await?)
            }
            Pool::Postgres { connections, .. } => {
                let mut lease = connections.get().await?;
                lease.begin().await?;
                TxInner::Postgres(lease)
            }
        };
        Ok(Tx {
            inner,
            statements: self.statements.clone(),
            activity: RowsAtCommit::default(),
            changes: RowsAtCommit::default(),
            webhooks: None,
        })
    }

    /// Runs a query and decodes every row by `kinds`.
    pub async fn fetch(&self, sql: &Sql, kinds: &[ColumnType]) -> Result<Vec<Vec<Cell>>> {
        self.count();
        if let Some(readers) = &self.readers {
            return readers.fetch(sql, kinds).await;
        }
        Ok(match &self.pool {
            Pool::Sqlite(pool) => sql::fetch_sqlite(pool, sql, kinds).await?,
            Pool::Postgres { connections, .. } => {
                connections.get().await?.fetch(sql, kinds).await?
            }
        })
    }

    /// Deletes up to `limit` rows of `table` whose `time_column` is before
    /// `before` (ms), `key` (a column or a parenthesised list) naming them;
    /// how many went. The clean-up jobs delete in such short batches.
    pub async fn delete_rows_before(
        &self,
        table: &str,
        key: &str,
        time_column: &str,
        before: i64,
        limit: i64,
    ) -> Result<u64> {
        let mut sql = self.sql();
        sql.push(&format!(
            "DELETE FROM {table} WHERE {key} IN (SELECT {inner} FROM {table} WHERE {time_column} < ",
            inner = key.trim_start_matches('(').trim_end_matches(')'),
        ))
        .bind(before)
        .push(" LIMIT ")
        .bind(limit)
        .push(")");
        self.execute(&sql).await
    }

    /// The connection pool's size and how many of its connections are idle.
    pub fn pool_connections(&self) -> (u32, usize) {
        match &self.pool {
            Pool::Sqlite(pool) => (pool.size(), pool.num_idle()),
            Pool::Postgres { connections, .. } => connections.status(),
        }
    }

    /// Runs a statement on its own (autocommit); returns the number of rows
    /// affected. On SQLite it runs on the writer connection, queued with the
    /// write transactions.
    pub async fn execute(&self, sql: &Sql) -> Result<u64> {
        self.count();
        Ok(match &self.pool {
            Pool::Sqlite(pool) if self.writer.is_none() => sql::execute_sqlite(pool, sql).await?,
            Pool::Sqlite(_) => {
                let mut tx = self.begin().await?;
                let changed = tx.execute(sql).await?;
                tx.commit().await?;
                // Counted once, not twice.
                self.statements.fetch_sub(1, Ordering::Relaxed);
                changed
            }
            Pool::Postgres { connections, .. } => connections.get().await?.execute(sql).await?,
        })
    }

    /// Refreshes the statistics the query planner picks indexes by (SQLite
    /// also does at open). Without statistics SQLite guesses that any index
    /// on `account_id` is selective, and reads a whole account to find a
    /// page's related records by id. Connections load statistics when they
    /// open, so the reader connections are replaced by new ones. On
    /// PostgreSQL it runs `ANALYZE`, so a bulk load is planned well before
    /// autovacuum's own statistics catch up.
    pub async fn optimize(&self) -> Result<()> {
        match (&self.pool, &self.writer) {
            (Pool::Sqlite(_), Some(writer)) => {
                writer.alone(analyze_rusqlite).await?;
                if let Some(readers) = &self.readers {
                    readers.renew().map_err(anyhow::Error::new)?;
                }
            }
            (Pool::Sqlite(pool), None) => analyze_sqlite(pool).await?,
            // After a bulk load (the demo, an import) the planner needs
            // statistics before autovacuum gets to them, and the load's
            // counts are folded first.
            (Pool::Postgres { .. }, _) => {
                self.fold_counts().await?;
                let mut sql = self.sql();
                sql.push("ANALYZE");
                self.execute(&sql).await?;
            }
        }
        Ok(())
    }

    /// On PostgreSQL, folds the rows of each kept count
    /// (`organization_counts`: an organization's records of a table;
    /// `reference_counts`: the records naming a reference) into one, their
    /// sum, or none if it is 0: writes add a row per statement there instead
    /// of updating one (migrations 0029 and 0031), so that concurrent
    /// writers never wait on each other's counter rows, and a count sums what
    /// has piled up since the last fold. Returns how many sums it wrote.
    /// SQLite's counts are one row each already: nothing to do.
    ///
    /// A fold deletes the rows its statement sees and inserts their sum in
    /// one statement, so a count reads either the rows or their sum; rows
    /// that writers add meanwhile are left for the next fold, and a fold
    /// running beside another (two servers) skips the rows the other took.
    pub async fn fold_counts(&self) -> Result<u64> {
        if self.dialect() != Dialect::Postgres {
            return Ok(0);
        }
        let mut folded = 0;
        for (table, key) in [
            (
                "organization_counts",
                "table_name, account_id, organization_id",
            ),
            ("reference_counts", "counted, reference_id"),
        ] {
            let mut sql = self.sql();
            sql.push(&format!(
                "WITH folded AS (\
                    DELETE FROM {table} WHERE ({key}) IN (\
                        SELECT {key} FROM {table} GROUP BY {key} HAVING COUNT(*) > 1) \
                    RETURNING {key}, records) \
                 INSERT INTO {table} ({key}, records) \
                 SELECT {key}, SUM(records) FROM folded \
                 GROUP BY {key} HAVING SUM(records) <> 0"
            ));
            folded += self.execute(&sql).await?;
        }
        Ok(folded)
    }

    /// Runs a trivial query: whether the database answers (readiness).
    pub async fn ping(&self) -> Result<()> {
        let mut sql = self.sql();
        sql.push("SELECT CAST(1 AS BIGINT)");
        self.fetch(&sql, &[ColumnType::Int]).await.map(|_| ())
    }

    /// Closes the pool, waiting for connections to finish (and SQLite to checkpoint).
    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres {
                driver,
                connections,
            } => {
                connections.close();
                driver.close().await;
            }
        }
    }
}

impl Tx {
    /// The dialect of this transaction.
    pub fn dialect(&self) -> Dialect {
        match self.inner {
            TxInner::Sqlite(_) => Dialect::Sqlite,
            TxInner::Postgres(_) => Dialect::Postgres,
        }
    }

    fn count(&self) {
        self.statements.fetch_add(1, Ordering::Relaxed);
    }

    /// A new statement in this transaction's dialect.
    pub fn sql(&self) -> Sql {
        Sql::new(self.dialect())
    }

    /// Runs a query inside the transaction and decodes every row by `kinds`.
    pub async fn fetch(&mut self, sql: &Sql, kinds: &[ColumnType]) -> Result<Vec<Vec<Cell>>> {
        self.count();
        Ok(match &mut self.inner {
            TxInner::Sqlite(tx) => {
                tx.with_connection(|c| sql::fetch_rusqlite(c, &sql.text, &sql.args, kinds))?
            }
            TxInner::Postgres(lease) => lease.fetch(sql, kinds).await?,
        })
    }

    /// Runs a statement inside the transaction; returns the number of rows affected.
    pub async fn execute(&mut self, sql: &Sql) -> Result<u64> {
        self.count();
        Ok(match &mut self.inner {
            TxInner::Sqlite(tx) => {
                tx.with_connection(|c| sql::execute_rusqlite(c, &sql.text, &sql.args))?
            }
            TxInner::Postgres(lease) => lease.execute(sql).await?,
        })
    }

    /// Runs a statement that may break a unique constraint; the broken
    /// constraint's columns if it did.
    pub async fn execute_unique(
        &mut self,
        sql: &Sql,
    ) -> Result<std::result::Result<u64, UniqueViolation>> {
        self.count();
        match &mut self.inner {
            TxInner::Sqlite(tx) => {
                match tx.with_connection(|c| sql::execute_rusqlite(c, &sql.text, &sql.args)) {
                    Ok(changed) => Ok(Ok(changed)),
                    Err(e) => match UniqueViolation::from_sqlite(&e) {
                        Some(violation) => Ok(Err(violation)),
                        None => Err(e.into()),
                    },
                }
            }
            TxInner::Postgres(lease) => match lease.execute(sql).await {
                Ok(changed) => Ok(Ok(changed)),
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                    Ok(Err(UniqueViolation::from_error(e.as_ref())))
                }
                Err(e) => Err(e.into()),
            },
        }
    }

    /// Runs an `INSERT ... RETURNING id`; the broken constraint's columns if
    /// it broke a unique constraint.
    pub async fn insert_returning_id(
        &mut self,
        sql: &Sql,
    ) -> Result<std::result::Result<i64, UniqueViolation>> {
        let kinds = [ColumnType::Int];
        self.count();
        let result = match &mut self.inner {
            TxInner::Sqlite(tx) => {
                match tx.with_connection(|c| sql::fetch_rusqlite(c, &sql.text, &sql.args, &kinds)) {
                    Ok(rows) => Ok(rows),
                    Err(e) => {
                        return match UniqueViolation::from_sqlite(&e) {
                            Some(violation) => Ok(Err(violation)),
                            None => Err(e.into()),
                        }
                    }
                }
            }
            TxInner::Postgres(lease) => lease.fetch(sql, &kinds).await,
        };
        match result {
            Ok(rows) => rows
                .first()
                .and_then(|r| r[0].as_i64())
                .map(Ok)
                .ok_or_else(|| {
                    crate::error::Error::Internal(anyhow::anyhow!("an insert returned no id"))
                }),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Ok(Err(UniqueViolation::from_error(e.as_ref())))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Writes the activity and change feed rows it recorded, then commits.
    pub async fn commit(mut self) -> Result<()> {
        self.write_activity().await?;
        self.write_changes().await?;
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await?,
            TxInner::Postgres(mut lease) => lease.commit().await?,
        }
        Ok(())
    }
}

/// A unique constraint a write broke, by the columns it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueViolation {
    /// The constraint's columns, as the database names them (may be empty
    /// when the database does not say).
    pub columns: Vec<String>,
}

impl UniqueViolation {
    /// The unique constraint a SQLite statement broke, if that is why it
    /// failed (`UNIQUE constraint failed: t.a, t.b`).
    fn from_sqlite(error: &rusqlite::Error) -> Option<UniqueViolation> {
        match error {
            rusqlite::Error::SqliteFailure(failure, message)
                if matches!(
                    failure.extended_code,
                    rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                        | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                ) =>
            {
                Some(UniqueViolation {
                    columns: unique_columns(message.as_deref().unwrap_or_default()),
                })
            }
            _ => None,
        }
    }

    /// Reads the columns from the database's report: SQLite says
    /// `UNIQUE constraint failed: t.a, t.b`; PostgreSQL's detail says
    /// `Key (a, b)=(...) already exists.`
    fn from_error(error: &dyn sqlx::error::DatabaseError) -> UniqueViolation {
        let columns = if let Some(pg) = error.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        {
            pg.detail()
                .and_then(|d| d.strip_prefix("Key ("))
                .and_then(|d| d.split_once(")="))
                .map(|(list, _)| {
                    list.split(',')
                        .map(|c| c.trim().trim_matches('"').to_string())
                        .collect()
                })
                .unwrap_or_default()
        } else {
            unique_columns(error.message())
        };
        UniqueViolation { columns }
    }
}

/// The columns of SQLite's `UNIQUE constraint failed: t.a, t.b`.
fn unique_columns(message: &str) -> Vec<String> {
    message
        .split_once("constraint failed:")
        .map(|(_, list)| {
            list.split(',')
                .map(|c| c.trim().rsplit('.').next().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A PostgreSQL store over sessions opened with `options`: statements
/// and transactions on up to `max` pooled connections
/// ([`postgres::Connections`]), the migrations and the job listener on the
/// driver's pool, which opens a connection only when one of them asks.
fn postgres_store(options: PgConnectOptions, max: u32) -> anyhow::Result<Store> {
    let driver = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy_with(options.clone());
    let connections = postgres::Connections::new(options, max)?;
    Ok(Store::new(Pool::Postgres {
        driver,
        connections,
    }))
}

/// The settings of every PostgreSQL session the store opens.
///
/// `plan_cache_mode = force_generic_plan`: a statement prepared on a
/// connection is planned once, not again at every execution. Left to
/// choose, PostgreSQL kept planning a list's page (a dozen joins) for each
/// request's values, 5-8 ms of the 7 ms of CPU a list of 50 took; with the
/// plan kept, the list of 50 went from 279 to 1,200 requests a second
/// (`bench/stores.sh`). The statements filter by account and by ids and
/// columns with indexes, where one plan serves every value.
fn session_settings(options: PgConnectOptions) -> PgConnectOptions {
    options.options([("plan_cache_mode", "force_generic_plan")])
}

/// A pool of readers and a pool of one writer over the same SQLite file.
async fn open_sqlite(options: SqliteConnectOptions, config: &StoreConfig) -> anyhow::Result<Store> {
    // WAL lets readers run beside the writer; synchronous=FULL makes every
    // acknowledged commit durable even across a power cut; foreign keys make
    // deletes cascade as the schema says.
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(SQLITE_WRITE_WAIT)
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-32000");
    // The migrations run on a pool of the async driver of their own; it
    // also makes the file, in WAL mode, on a first start.
    let migrations = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await
        .context("opening the SQLite database")?;
    // One writer: writes take turns in the order they asked (the group
    // writer's queue is fair), instead of polling the file lock beside each
    // other, and writes queued together are committed together.
    // A connection loads the planner's statistics when it opens, so they
    // are refreshed before any reader opens; readers opened later (the
    // pool replaces each within its 30-minute lifetime) load the hourly
    // refreshes. Both may wait for another writer: on the blocking pool.
    let path = options.get_filename().to_path_buf();
    let writer = tokio::task::spawn_blocking(move || -> anyhow::Result<rusqlite::Connection> {
        let writer = open_writer(&path).context("opening the SQLite database for writing")?;
        analyze_rusqlite(&writer).context("refreshing the database's planner statistics")?;
        Ok(writer)
    })
    .await??;
    let readers = sql::Readers::open(options.get_filename(), reader_count(config.max_connections))
        .context("opening the SQLite database for reading")?;
    let mut store = Store::new(Pool::Sqlite(migrations));
    let checkpointer = open_read_write(options.get_filename())
        .map_err(std::io::Error::other)
        .and_then(checkpoint::Checkpointer::start)
        .context("starting the SQLite checkpoints")?;
    store.writer = Some(group::GroupWriter::new(
        writer,
        checkpointer,
        SQLITE_WRITE_WAIT,
    ));
    store.readers = Some(readers);
    Ok(store)
}

/// How many reader connections SQLite gets: twice the machine's cores (at
/// least 4), never more than `max_connections`. Each reader keeps a page
/// cache of its own, and reads are CPU work, so more readers than that
/// split the same CPU between more, colder caches: at 1,000,000
/// configurations on 2 cores, 16 readers peaked at 836 MB and served a
/// page of 50 at 961-1,049 requests a second; 4 readers peaked at 387 MB
/// and served it at 1,240 (`bench/scale.sh`).
fn reader_count(max_connections: u32) -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
    (2 * cores).max(4).min(max_connections)
}

/// Turns on SQLite's query planner stability guarantee: a cached statement
/// keeps its plan whatever values are bound to it. Without it SQLite lets
/// some bound values shape the plan, and prepares the statement again
/// whenever they change: in a POST of a configuration, preparing the
/// writer's lookups again took a third of the server's CPU (about 1,370
/// POSTs a second with it turned on, 580 to 670 without).
pub(crate) fn stable_plans(connection: &rusqlite::Connection) -> rusqlite::Result<()> {
    connection
        .set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .map(|_| ())
}

/// A read-write connection to the SQLite file at `path`, with no settings
/// of its own (the writer's and the checkpoints' connections).
fn open_read_write(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
            | rusqlite::OpenFlags::SQLITE_OPEN_URI,
    )
}

/// The writer connection, with the settings every connection of the file
/// has (WAL, `synchronous=FULL`, foreign keys, the busy timeout); it leaves
/// checkpoints to the store's [`checkpoint::Checkpointer`].
fn open_writer(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    let connection = open_read_write(path)?;
    connection.busy_timeout(SQLITE_WRITE_WAIT)?;
    connection.set_prepared_statement_cache_capacity(256);
    stable_plans(&connection)?;
    connection.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
         PRAGMA temp_store = memory; PRAGMA cache_size = -32000; \
         PRAGMA wal_autocheckpoint = 0;",
    )?;
    Ok(connection)
}

/// [`analyze_sqlite`] on the writer connection. `ANALYZE` reads every
/// index through the writer's page cache and fills it (32 MB) with pages no
/// write asked for; `shrink_memory` gives them back, and writes refill the
/// cache with their own.
fn analyze_rusqlite(connection: &rusqlite::Connection) -> rusqlite::Result<()> {
    connection.execute_batch(ANALYZE)?;
    if connection.query_row(STAT4_EXISTS, [], |row| row.get::<_, i64>(0))? > 0 {
        connection.execute_batch(FORGET_STAT4)?;
    }
    connection.execute_batch("PRAGMA shrink_memory")
}

/// SQLite's `ANALYZE` over every row. A sampled one (`analysis_limit`) sees
/// a single account in its sample and estimates a thousand rows per
/// account, so the planner took the account's index for a scan of a whole
/// account (the demo's indexing for search became quadratic at 1,000,000
/// configurations). The full one takes about 3 s at that size, 0.3 s at
/// 100,000.
const ANALYZE: &str = "PRAGMA analysis_limit=0; ANALYZE";

/// Whether the full `ANALYZE` left samples in `sqlite_stat4` (when SQLite
/// is built with it).
const STAT4_EXISTS: &str = "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'sqlite_stat4'";

/// Empties `sqlite_stat4`. With its samples, a connection without
/// [`stable_plans`] (the async driver's, which [`analyze_sqlite`] serves)
/// prepares a statement again whenever its arguments change — every show
/// of a record — which cost more than the read. Every plan measured here
/// was made from `sqlite_stat1`'s exact counts alone.
const FORGET_STAT4: &str = "DELETE FROM sqlite_stat4";

/// [`ANALYZE`] on `connection`.
async fn analyze_sqlite(connection: &sqlx::SqlitePool) -> sqlx::Result<()> {
    for statement in ANALYZE.split("; ") {
        sqlx::query(statement).execute(connection).await?;
    }
    let (count,): (i64,) = sqlx::query_as(STAT4_EXISTS).fetch_one(connection).await?;
    if count > 0 {
        sqlx::query(FORGET_STAT4).execute(connection).await?;
    }
    Ok(())
}

/// Whether `path` looks like a data directory Mortar created.
pub fn data_dir_has_database(path: &Path) -> bool {
    path.join("mortar.db").exists()
}
