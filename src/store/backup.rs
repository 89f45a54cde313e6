//! The SQL behind `mortar backup` and `mortar restore`: a consistent
//! snapshot of each store, and what a snapshot holds (row counts per table,
//! the attachment blobs its rows reference, the schema version and the
//! vault's master key fingerprint).
//!
//! The archive format, the blobs and the external PostgreSQL tools are the
//! business of `crate::backup`; nothing here touches files but databases.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr as _;

use anyhow::Context as _;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection as _, Executor as _, Row as _};

pub use super::migrate::latest_version;

/// What one snapshot of a database holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contents {
    /// Rows per table (every table of the schema, the migration ledger included).
    pub tables: BTreeMap<String, i64>,
    /// The blob key of every attachment row.
    pub blob_keys: Vec<String>,
    /// The newest applied migration.
    pub schema_version: i64,
    /// The master key fingerprint the vault's data keys are wrapped under.
    pub vault_fingerprint: Option<String>,
}

/// How long the snapshot connection waits for a lock (a migration running).
const BUSY: std::time::Duration = std::time::Duration::from_secs(30);

/// Writes a consistent copy of the SQLite database `database` to the new
/// file `into`, with `VACUUM INTO`: it reads the database in one read
/// transaction, so the copy is the database at one point in time, while
/// writers carry on (WAL: the reader blocks nobody).
pub async fn sqlite_snapshot(database: &Path, into: &Path) -> anyhow::Result<()> {
    if !database.exists() {
        anyhow::bail!(
            "there is no database at {} (is --data-dir the directory `mortar serve` uses?)",
            database.display()
        );
    }
    let options = SqliteConnectOptions::new()
        .filename(database)
        .create_if_missing(false)
        .busy_timeout(BUSY);
    let mut connection = sqlx::SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("opening {}", database.display()))?;
    let target = into
        .to_str()
        .context("the snapshot's path is not valid UTF-8")?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut connection)
        .await
        .with_context(|| format!("copying {} with VACUUM INTO", database.display()))?;
    connection.close().await.ok();
    Ok(())
}

/// What the SQLite database file at `path` holds. With `check`, SQLite's
/// `quick_check` must pass first (a restored file is checked before use).
pub fn sqlite_contents(path: &Path, check: bool) -> anyhow::Result<Contents> {
    let connection = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {}", path.display()))?;
    connection.busy_timeout(BUSY)?;
    if check {
        let verdict: String = connection
            .query_row("PRAGMA quick_check", [], |row| row.get(0))
            .context("checking the database file")?;
        if verdict != "ok" {
            anyhow::bail!("the database file is damaged: {verdict}");
        }
    }
    let names: Vec<String> = connection
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut tables = BTreeMap::new();
    for name in names {
        let count: i64 = connection.query_row(
            &format!("SELECT COUNT(*) FROM \"{}\"", name.replace('"', "\"\"")),
            [],
            |row| row.get(0),
        )?;
        tables.insert(name, count);
    }
    let blob_keys = connection
        .prepare(super::files::REFERENCED_BLOBS)?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let schema_version = connection.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success",
        [],
        |row| row.get(0),
    )?;
    let vault_fingerprint = connection
        .query_row(
            "SELECT master_fingerprint FROM vault_meta WHERE id = 1",
            [],
            |row| row.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            other => Err(other),
        })?;
    Ok(Contents {
        tables,
        blob_keys,
        schema_version,
        vault_fingerprint,
    })
}

/// Whether the live SQLite database at `path` still has an attachment row
/// for `blob_key` (a blob that vanished after a snapshot was deleted with
/// its row, or was lost while still referenced).
pub fn sqlite_references(path: &Path, blob_key: &str) -> anyhow::Result<bool> {
    let connection = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(BUSY)?;
    Ok(
        connection.query_row(&super::files::references_blob("?1"), [blob_key], |row| {
            row.get(0)
        })?,
    )
}

/// An open `REPEATABLE READ` transaction on PostgreSQL whose snapshot is
/// exported, so that `pg_dump --snapshot` dumps exactly what this
/// transaction sees. Keep it until the dump has finished.
pub struct PgSnapshot {
    connection: sqlx::PgConnection,
    /// The exported snapshot's name, for `pg_dump --snapshot`.
    pub id: String,
    /// The schema the tables were counted in (the connection's `current_schema()`).
    pub schema: String,
}

/// Connects to PostgreSQL at `url` (naming host and port when it cannot).
async fn pg_connect(url: &str) -> anyhow::Result<sqlx::PgConnection> {
    let options = PgConnectOptions::from_str(url).context("parsing the PostgreSQL database URL")?;
    let place = format!("{}:{}", options.get_host(), options.get_port());
    sqlx::PgConnection::connect_with(&options)
        .await
        .with_context(|| format!("cannot connect to PostgreSQL at {place}"))
}

impl PgSnapshot {
    /// Opens the transaction, exports its snapshot and reads what it holds.
    pub async fn take(url: &str) -> anyhow::Result<(PgSnapshot, Contents)> {
        let mut connection = pg_connect(url).await?;
        connection
            .execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let id: String = sqlx::query_scalar("SELECT pg_export_snapshot()")
            .fetch_one(&mut connection)
            .await
            .context("exporting a snapshot")?;
        let schema: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&mut connection)
            .await?;
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
        )
        .fetch_all(&mut connection)
        .await?;
        if !names.iter().any(|n| n == "attachments") {
            anyhow::bail!(
                "the database has no Mortar tables in schema {schema:?} (is --database-url the one `mortar serve` uses?)"
            );
        }
        let mut tables = BTreeMap::new();
        for name in names {
            let count: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM \"{}\"",
                name.replace('"', "\"\"")
            ))
            .fetch_one(&mut connection)
            .await?;
            tables.insert(name, count);
        }
        let blob_keys = sqlx::query_scalar(super::files::REFERENCED_BLOBS)
            .fetch_all(&mut connection)
            .await?;
        let schema_version: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0)::bigint FROM _sqlx_migrations WHERE success",
        )
        .fetch_one(&mut connection)
        .await?;
        let vault_fingerprint =
            sqlx::query("SELECT master_fingerprint FROM vault_meta WHERE id = 1")
                .fetch_optional(&mut connection)
                .await?
                .and_then(|row| row.get::<Option<String>, _>(0));
        let contents = Contents {
            tables,
            blob_keys,
            schema_version,
            vault_fingerprint,
        };
        Ok((
            PgSnapshot {
                connection,
                id,
                schema,
            },
            contents,
        ))
    }

    /// Whether the live database (outside the snapshot) still has an
    /// attachment row for `blob_key`.
    pub async fn live_references(url: &str, blob_key: &str) -> anyhow::Result<bool> {
        let mut connection = pg_connect(url).await?;
        let found: bool = sqlx::query_scalar(&super::files::references_blob("$1"))
            .bind(blob_key)
            .fetch_one(&mut connection)
            .await?;
        connection.close().await.ok();
        Ok(found)
    }

    /// Ends the transaction (it only read).
    pub async fn finish(mut self) -> anyhow::Result<()> {
        self.connection.execute("ROLLBACK").await?;
        self.connection.close().await.ok();
        Ok(())
    }
}

/// The tables of PostgreSQL database `url` outside the system schemas: a
/// restore goes only into a database that has none.
pub async fn postgres_tables(url: &str) -> anyhow::Result<Vec<String>> {
    let mut connection = pg_connect(url).await?;
    let names = sqlx::query_scalar(
        "SELECT table_schema::text || '.' || table_name::text FROM information_schema.tables \
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    )
    .fetch_all(&mut connection)
    .await?;
    connection.close().await.ok();
    Ok(names)
}

/// Rows per table of the current schema of PostgreSQL database `url`.
pub async fn postgres_counts(url: &str) -> anyhow::Result<BTreeMap<String, i64>> {
    let mut connection = pg_connect(url).await?;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(&mut connection)
    .await?;
    let mut tables = BTreeMap::new();
    for name in names {
        let count: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM \"{}\"",
            name.replace('"', "\"\"")
        ))
        .fetch_one(&mut connection)
        .await?;
        tables.insert(name, count);
    }
    connection.close().await.ok();
    Ok(tables)
}
