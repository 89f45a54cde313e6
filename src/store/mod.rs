//! The only place that speaks SQL.
//!
//! [`Store`] holds a SQLite or a PostgreSQL pool; statements are assembled as
//! [`Sql`] (text plus typed arguments) and rendered for the active dialect's
//! placeholders. Every function that touches account data takes a [`Scope`],
//! which only authentication can produce, so code that forgets the account
//! does not compile.

mod accounts;
pub mod compiled;
mod crud;
pub mod dependents;
mod migrate;
mod sql;
mod vault;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

pub use accounts::{hash_key, AccountSummary, ApiKeyRecord, Authenticated, NewKey};
pub use crud::{Actor, ListPage, NewRecord, Record, RecordSet};
pub use sql::{Arg, Cell, Dialect, Sql, Values};

use crate::error::Result;

/// The account a request acts for. Only authentication (and the CLI, for the
/// account it names) can make one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A connection pool to one of the two backends.
#[derive(Debug, Clone)]
pub enum Store {
    /// Embedded SQLite (the default).
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// An open transaction on either backend.
pub enum Tx {
    /// SQLite transaction.
    Sqlite(Transaction<'static, Sqlite>),
    /// PostgreSQL transaction.
    Postgres(Transaction<'static, Postgres>),
}

impl Store {
    /// Opens (creating if needed) the database, migrates it and loads reference data.
    pub async fn open(config: &StoreConfig) -> anyhow::Result<Store> {
        let store = match config.database_url.as_deref() {
            Some(url) if url.starts_with("postgres:") || url.starts_with("postgresql:") => {
                let options = PgConnectOptions::from_str(url)
                    .context("parsing the PostgreSQL database URL")?;
                let pool = PgPoolOptions::new()
                    .max_connections(config.max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .context("connecting to PostgreSQL")?;
                Store::Postgres(pool)
            }
            Some(url) => {
                Store::Sqlite(open_sqlite(SqliteConnectOptions::from_str(url)?, config).await?)
            }
            None => {
                std::fs::create_dir_all(&config.data_dir).with_context(|| {
                    format!("creating the data directory {}", config.data_dir.display())
                })?;
                let file = config.data_dir.join("mortar.db");
                Store::Sqlite(
                    open_sqlite(SqliteConnectOptions::new().filename(file), config).await?,
                )
            }
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    /// Opens PostgreSQL with an explicit `search_path` (tests give each run its own schema).
    pub async fn open_postgres_schema(url: &str, schema: &str) -> anyhow::Result<Store> {
        let options = PgConnectOptions::from_str(url)?.options([("search_path", schema)]);
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        let store = Store::Postgres(pool);
        migrate::run(&store).await?;
        Ok(store)
    }

    /// Connects to PostgreSQL without migrating (to create or drop test schemas).
    pub async fn open_admin_postgres(url: &str) -> anyhow::Result<Store> {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(PgConnectOptions::from_str(url)?)
            .await?;
        Ok(Store::Postgres(pool))
    }

    /// The active SQL dialect.
    pub fn dialect(&self) -> Dialect {
        match self {
            Store::Sqlite(_) => Dialect::Sqlite,
            Store::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A new statement in this store's dialect.
    pub fn sql(&self) -> Sql {
        Sql::new(self.dialect())
    }

    /// Starts a transaction.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Store::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Store::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Runs a query and decodes every row by `kinds`.
    pub async fn fetch(
        &self,
        sql: &Sql,
        kinds: &[crate::resources::Kind],
    ) -> Result<Vec<Vec<Cell>>> {
        Ok(match self {
            Store::Sqlite(pool) => sql::fetch_sqlite(pool, sql, kinds).await?,
            Store::Postgres(pool) => sql::fetch_postgres(pool, sql, kinds).await?,
        })
    }

    /// Runs a statement; returns the number of rows affected.
    pub async fn execute(&self, sql: &Sql) -> Result<u64> {
        Ok(match self {
            Store::Sqlite(pool) => sql::execute_sqlite(pool, sql).await?,
            Store::Postgres(pool) => sql::execute_postgres(pool, sql).await?,
        })
    }

    /// Closes the pool, waiting for connections to finish (and SQLite to checkpoint).
    pub async fn close(&self) {
        match self {
            Store::Sqlite(pool) => pool.close().await,
            Store::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    /// The dialect of this transaction.
    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }

    /// A new statement in this transaction's dialect.
    pub fn sql(&self) -> Sql {
        Sql::new(self.dialect())
    }

    /// Runs a query inside the transaction and decodes every row by `kinds`.
    pub async fn fetch(
        &mut self,
        sql: &Sql,
        kinds: &[crate::resources::Kind],
    ) -> Result<Vec<Vec<Cell>>> {
        Ok(match self {
            Tx::Sqlite(tx) => sql::fetch_sqlite(&mut **tx, sql, kinds).await?,
            Tx::Postgres(tx) => sql::fetch_postgres(&mut **tx, sql, kinds).await?,
        })
    }

    /// Runs a statement inside the transaction; returns the number of rows affected.
    pub async fn execute(&mut self, sql: &Sql) -> Result<u64> {
        Ok(match self {
            Tx::Sqlite(tx) => sql::execute_sqlite(&mut **tx, sql).await?,
            Tx::Postgres(tx) => sql::execute_postgres(&mut **tx, sql).await?,
        })
    }

    /// Runs a statement that may break a unique constraint; `Ok(false)` if it did.
    pub async fn execute_unique(&mut self, sql: &Sql) -> Result<bool> {
        let result = match self {
            Tx::Sqlite(tx) => sql::execute_sqlite(&mut **tx, sql).await,
            Tx::Postgres(tx) => sql::execute_postgres(&mut **tx, sql).await,
        };
        match result {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Runs an `INSERT ... RETURNING id`; `Ok(None)` if it broke a unique constraint.
    pub async fn insert_returning_id(&mut self, sql: &Sql) -> Result<Option<i64>> {
        let kinds = [crate::resources::Kind::Int];
        let result = match self {
            Tx::Sqlite(tx) => sql::fetch_sqlite(&mut **tx, sql, &kinds).await,
            Tx::Postgres(tx) => sql::fetch_postgres(&mut **tx, sql, &kinds).await,
        };
        match result {
            Ok(rows) => Ok(rows.first().and_then(|r| r[0].as_i64())),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Commits.
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

async fn open_sqlite(
    options: SqliteConnectOptions,
    config: &StoreConfig,
) -> anyhow::Result<SqlitePool> {
    // WAL lets readers run beside the writer; synchronous=FULL makes every
    // acknowledged commit durable even across a power cut; foreign keys make
    // deletes cascade as the schema says.
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-32000");
    let pool = SqlitePoolOptions::new()
        .max_connections(config.max_connections)
        .connect_with(options)
        .await
        .context("opening the SQLite database")?;
    Ok(pool)
}

/// Whether `path` looks like a data directory Mortar created.
pub fn data_dir_has_database(path: &Path) -> bool {
    path.join("mortar.db").exists()
}
