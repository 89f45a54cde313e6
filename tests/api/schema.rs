//! The two dialects' migrations build the same tables and columns, with
//! the same type family and nullability per column.

use mortar::resources::ColumnType;
use mortar::store::{Dialect, Store};

use crate::helpers::{Backend, TestApp};

/// Tables only SQLite has: its full-text index of search entries, the
/// index's shadow tables and the queue of its changes until a write group
/// commits (`search_pending`), which PostgreSQL replaces with a GIN index
/// over the stored tsvector `search_entries.document` (left out on that
/// side).
const SQLITE_ONLY_TABLES: &str = "'search_index', 'search_index_data', 'search_index_idx', \
                                  'search_index_docsize', 'search_index_config', \
                                  'search_pending'";

async fn columns(store: &Store) -> Vec<(String, String)> {
    let mut sql = store.sql();
    match store.dialect() {
        Dialect::Sqlite => sql.push(&format!(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
             AND m.name NOT IN ({SQLITE_ONLY_TABLES})",
        )),
        Dialect::Postgres => sql.push(
            "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%' \
             AND NOT (table_name = 'search_entries' AND column_name = 'document')",
        ),
    };
    let mut out: Vec<(String, String)> = store
        .fetch(&sql, &[ColumnType::Text, ColumnType::Text])
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_string(),
                r[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
#[ignore = "needs MORTAR_TEST_DATABASE_URL; scripts/test runs it"]
async fn sqlite_and_postgres_schemas_have_the_same_tables_and_columns() {
    let sqlite = TestApp::spawn(Backend::Sqlite).await;
    let postgres = TestApp::spawn(Backend::Postgres).await;
    let (a, b) = (columns(&sqlite.store).await, columns(&postgres.store).await);
    assert!(a.len() > 50);
    assert_eq!(a, b);
}

/// A column as both dialects can describe it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    table: String,
    name: String,
    /// One vocabulary for both dialects: `integer`, `text`, `boolean`, `real`, `blob`.
    family: String,
    not_null: bool,
}

/// The type family of a SQLite declared type, by SQLite's affinity rules.
fn sqlite_family(declared: &str) -> String {
    let declared = declared.to_uppercase();
    if declared.contains("INT") {
        "integer"
    } else if declared.contains("BOOL") {
        "boolean"
    } else if ["CHAR", "CLOB", "TEXT"]
        .iter()
        .any(|t| declared.contains(t))
    {
        "text"
    } else if ["REAL", "FLOA", "DOUB"]
        .iter()
        .any(|t| declared.contains(t))
    {
        "real"
    } else if declared.is_empty() || declared.contains("BLOB") {
        "blob"
    } else {
        return format!("sqlite {declared}");
    }
    .to_string()
}

/// The type family of a PostgreSQL `information_schema.columns.data_type`.
fn postgres_family(data_type: &str) -> String {
    match data_type {
        "bigint" | "integer" | "smallint" => "integer",
        "text" | "character varying" | "character" => "text",
        "boolean" => "boolean",
        "double precision" | "real" | "numeric" => "real",
        "bytea" => "blob",
        other => return format!("postgres {other}"),
    }
    .to_string()
}

async fn typed_columns(store: &Store) -> Vec<Column> {
    let mut sql = store.sql();
    match store.dialect() {
        // An INTEGER PRIMARY KEY is the rowid: never null, whatever `notnull` says.
        Dialect::Sqlite => sql.push(&format!(
            "SELECT m.name, p.name, p.type, \
             CASE WHEN p.[notnull] = 1 OR (p.pk = 1 AND p.type = 'INTEGER') THEN 1 ELSE 0 END \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' \
             AND m.name NOT IN ({SQLITE_ONLY_TABLES})",
        )),
        Dialect::Postgres => sql.push(
            "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), CAST(data_type AS TEXT), \
             CAST(CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS BIGINT) \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%' \
             AND NOT (table_name = 'search_entries' AND column_name = 'document')",
        ),
    };
    let dialect = store.dialect();
    let mut out: Vec<Column> = store
        .fetch(
            &sql,
            &[
                ColumnType::Text,
                ColumnType::Text,
                ColumnType::Text,
                ColumnType::Int,
            ],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let declared = r[2].as_str().unwrap();
            Column {
                table: r[0].as_str().unwrap().to_string(),
                name: r[1].as_str().unwrap().to_string(),
                family: match dialect {
                    Dialect::Sqlite => sqlite_family(declared),
                    Dialect::Postgres => postgres_family(declared),
                },
                not_null: r[3].as_i64().unwrap() == 1,
            }
        })
        .collect();
    out.sort();
    out
}

/// Columns whose nullability truly differs between the dialects, as
/// (table, column): SQLite lets a PRIMARY KEY column that is not the
/// INTEGER rowid hold NULL, PostgreSQL does not, and these two are declared
/// `BIGINT PRIMARY KEY` without `NOT NULL`. Applied migrations are never
/// edited; a later migration pair may add the constraint and empty this list.
const NULLABLE_IN_SQLITE_ONLY: &[(&str, &str)] =
    &[("vault_keys", "account_id"), ("vault_meta", "id")];

#[tokio::test]
#[ignore = "needs MORTAR_TEST_DATABASE_URL; scripts/test runs it"]
async fn sqlite_and_postgres_columns_have_the_same_type_family_and_nullability() {
    let sqlite = TestApp::spawn(Backend::Sqlite).await;
    let postgres = TestApp::spawn(Backend::Postgres).await;
    let (a, b) = (
        typed_columns(&sqlite.store).await,
        typed_columns(&postgres.store).await,
    );
    assert!(a.len() > 50);
    for column in a.iter().chain(&b) {
        assert!(
            ["integer", "text", "boolean", "real", "blob"].contains(&column.family.as_str()),
            "a type outside the shared vocabulary: {column:?}"
        );
    }
    // Apply the allow-list to SQLite's side, so everything else is compared as is.
    let a: Vec<Column> = a
        .into_iter()
        .map(|mut c| {
            if NULLABLE_IN_SQLITE_ONLY.contains(&(c.table.as_str(), c.name.as_str())) {
                assert!(
                    !c.not_null,
                    "{c:?} is no longer nullable: take it off the list"
                );
                c.not_null = true;
            }
            c
        })
        .collect();
    let only_sqlite: Vec<&Column> = a.iter().filter(|c| !b.contains(c)).collect();
    let only_postgres: Vec<&Column> = b.iter().filter(|c| !a.contains(c)).collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "SQLite only: {only_sqlite:#?}\nPostgreSQL only: {only_postgres:#?}"
    );
    assert!(b.iter().any(|c| c.family == "boolean" && c.not_null));
    assert!(b.iter().any(|c| c.family == "text" && !c.not_null));
}
