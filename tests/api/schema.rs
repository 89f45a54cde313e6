//! The two dialects' migrations build the same tables and columns.

use mortar::resources::ColumnType;
use mortar::store::{Dialect, Store};

use crate::helpers::{Backend, TestApp};

async fn columns(store: &Store) -> Vec<(String, String)> {
    let mut sql = store.sql();
    match store.dialect() {
        Dialect::Sqlite => sql.push(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
        ),
        Dialect::Postgres => sql.push(
            "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
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
