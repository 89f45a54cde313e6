//! Schema migrations (one directory per dialect, same version numbers) and
//! the global reference data loaded after them.

use anyhow::Context as _;

use super::ColumnType;
use super::{Arg, Inserting, Pool, Store};

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The version numbers of each dialect's migrations (they must match).
#[cfg(test)]
fn versions() -> (Vec<i64>, Vec<i64>) {
    (
        SQLITE.iter().map(|m| m.version).collect(),
        POSTGRES.iter().map(|m| m.version).collect(),
    )
}

/// The newest schema version this build migrates to (the last migration's
/// version, the same in both dialects).
pub fn latest_version() -> i64 {
    SQLITE.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Brings the schema up to date, then loads missing reference data.
///
/// On SQLite, migrating a database made by an earlier version refreshes the
/// planner's statistics afterwards: the store refreshed them when it opened,
/// before the migrations, and an index a migration adds has none until the
/// next refresh. SQLite guesses such an index is selective and reads
/// through it (a whole account's list sorted by name took 35 ms a page
/// through the new index on the account alone, 0.1 ms through its own).
pub async fn run(store: &Store) -> anyhow::Result<()> {
    match store.pool() {
        Pool::Sqlite(pool) => {
            let before = newest_applied(pool).await;
            SQLITE
                .run(pool)
                .await
                .context("running database migrations")?;
            if before > 0 && before < latest_version() {
                store
                    .optimize()
                    .await
                    .context("refreshing the planner's statistics after migrating")?;
            }
        }
        Pool::Postgres { driver, .. } => POSTGRES
            .run(driver)
            .await
            .context("running database migrations")?,
    }
    load_reference_data(store)
        .await
        .context("loading reference data")?;
    Ok(())
}

/// The newest migration applied to a SQLite database, 0 for a new one.
async fn newest_applied(pool: &sqlx::SqlitePool) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await
        .unwrap_or(0)
}

const COUNTRIES: &str = include_str!("../../data/countries.csv");
const REGIONS: &str = include_str!("../../data/regions.csv");
const PLATFORMS: &str = include_str!("../../data/platforms.csv");
const OPERATING_SYSTEMS: &str = include_str!("../../data/operating_systems.csv");

fn csv_rows(data: &'static str) -> anyhow::Result<Vec<Vec<String>>> {
    let mut reader = csv::Reader::from_reader(data.as_bytes());
    reader
        .records()
        .map(|r| Ok(r?.iter().map(str::to_string).collect()))
        .collect()
}

async fn count(store: &Store, table: &str) -> anyhow::Result<usize> {
    let mut sql = store.sql();
    sql.push("SELECT COUNT(*) FROM ").push(table);
    let rows = store.fetch(&sql, &[ColumnType::Int]).await?;
    Ok(rows[0][0].as_i64().unwrap_or(0) as usize)
}

/// Inserts `rows` into `table`, skipping rows whose unique key exists.
/// `columns` excludes the timestamps, which are added here.
async fn insert_missing(
    store: &Store,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
) -> anyhow::Result<()> {
    let now = crate::clock::now_millis();
    let mut columns = columns.to_vec();
    columns.extend(["created_at", "updated_at"]);
    let rows = rows
        .into_iter()
        .map(|mut row| {
            row.extend([Arg::from(now), Arg::from(now)]);
            row
        })
        .collect();
    let mut tx = store.begin().await?;
    tx.insert_rows(None, table, &columns, rows, Inserting::SkippingDuplicates)
        .await?;
    tx.commit().await?;
    Ok(())
}

async fn load_reference_data(store: &Store) -> anyhow::Result<()> {
    let countries = csv_rows(COUNTRIES)?;
    if count(store, "countries").await? < countries.len() {
        let rows = countries
            .into_iter()
            .map(|r| vec![Arg::from(r[0].clone()), Arg::from(r[1].clone())])
            .collect();
        insert_missing(store, "countries", &["iso", "name"], rows).await?;
    }
    let regions = csv_rows(REGIONS)?;
    if count(store, "regions").await? < regions.len() {
        // Regions name their country by ISO code; resolve it to the country's id.
        let mut sql = store.sql();
        sql.push("SELECT iso, id FROM countries");
        let ids: std::collections::HashMap<String, i64> = store
            .fetch(&sql, &[ColumnType::Text, ColumnType::Int])
            .await?
            .into_iter()
            .filter_map(|r| Some((r[0].as_str()?.to_string(), r[1].as_i64()?)))
            .collect();
        let rows = regions
            .into_iter()
            .filter_map(|r| {
                let country = *ids.get(&r[0])?;
                Some(vec![
                    Arg::from(country),
                    Arg::from(r[1].clone()),
                    Arg::from(r[2].clone()),
                ])
            })
            .collect();
        insert_missing(store, "regions", &["country_id", "iso", "name"], rows).await?;
    }
    let platforms = csv_rows(PLATFORMS)?;
    if count(store, "platforms").await? < platforms.len() {
        let rows = platforms
            .into_iter()
            .map(|r| vec![Arg::from(r[0].clone())])
            .collect();
        insert_missing(store, "platforms", &["name"], rows).await?;
    }
    let systems = csv_rows(OPERATING_SYSTEMS)?;
    if count(store, "operating_systems").await? < systems.len() {
        let mut sql = store.sql();
        sql.push("SELECT name, id FROM platforms");
        let ids: std::collections::HashMap<String, i64> = store
            .fetch(&sql, &[ColumnType::Text, ColumnType::Int])
            .await?
            .into_iter()
            .filter_map(|r| Some((r[0].as_str()?.to_string(), r[1].as_i64()?)))
            .collect();
        let rows = systems
            .into_iter()
            .map(|r| {
                let platform = *ids.get(&r[0]).with_context(|| {
                    format!("operating system {} names unknown platform {}", r[1], r[0])
                })?;
                Ok(vec![Arg::from(platform), Arg::from(r[1].clone())])
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        insert_missing(store, "operating_systems", &["platform_id", "name"], rows).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_dialects_have_the_same_migration_versions() {
        let (sqlite, postgres) = super::versions();
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }
}
