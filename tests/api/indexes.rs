//! Every filter, sort and nested route of every resource is served by an
//! index: one whose leading columns are the column itself, or the account and
//! the column (the shape every scoped query takes). The index of a sort of
//! an account's list orders NULLs first, as the API does, so that it serves
//! the sort in either direction (PostgreSQL orders them last unless told).

use std::collections::BTreeMap;

use mortar::engine::compiled::Schema;
use mortar::resources::{ColumnType, FilterHow, Scoping, ALL};
use mortar::store::Dialect;

use crate::helpers::TestApp;

/// Sorts PostgreSQL cannot read from an index: a password's URL may be
/// longer than a B-tree key (`0007_bounded_indexes`), so its index is a
/// hash, which serves the filter alone.
const SORTED_WITHOUT_INDEX_ON_POSTGRES: &[(&str, &str)] = &[("passwords", "url")];

/// An index's column: its name, and whether the index orders its NULLs
/// first.
type IndexColumn = (String, bool);

/// The leading columns of every index, by table.
async fn index_prefixes(app: &TestApp) -> BTreeMap<String, Vec<Vec<IndexColumn>>> {
    let mut sql = app.store.sql();
    match app.store.dialect() {
        Dialect::Sqlite => sql.push(
            "SELECT m.tbl_name, m.name, i.seqno, i.name FROM sqlite_master m \
             JOIN pragma_index_info(m.name) i WHERE m.type = 'index' ORDER BY m.name, i.seqno",
        ),
        Dialect::Postgres => sql.push(
            "SELECT CAST(tablename AS TEXT), CAST(indexname AS TEXT), CAST(0 AS BIGINT), indexdef FROM pg_indexes \
             WHERE schemaname = current_schema() ORDER BY indexname",
        ),
    };
    let rows = app
        .store
        .fetch(
            &sql,
            &[
                ColumnType::Text,
                ColumnType::Text,
                ColumnType::Int,
                ColumnType::Text,
            ],
        )
        .await
        .expect("index list");
    let mut by_index: BTreeMap<(String, String), Vec<IndexColumn>> = BTreeMap::new();
    for row in rows {
        let (table, index) = (
            row[0].as_str().unwrap().to_string(),
            row[1].as_str().unwrap().to_string(),
        );
        let columns = by_index.entry((table, index)).or_default();
        let text = row[3].as_str().unwrap_or_default();
        match app.store.dialect() {
            // SQLite's NULLs are the smallest values, in every index.
            Dialect::Sqlite => columns.push((text.to_string(), true)),
            // `CREATE INDEX x ON s.t USING btree (account_id, name NULLS FIRST)`
            Dialect::Postgres => {
                let inner = text
                    .rsplit_once('(')
                    .map(|(_, rest)| rest.trim_end_matches(')'))
                    .unwrap_or_default();
                columns.extend(inner.split(',').map(|c| {
                    let column = c.split_whitespace().next().unwrap_or_default();
                    (
                        column.trim_matches('"').to_string(),
                        c.contains("NULLS FIRST"),
                    )
                }));
            }
        }
    }
    let mut out: BTreeMap<String, Vec<Vec<IndexColumn>>> = BTreeMap::new();
    for ((table, _), columns) in by_index {
        out.entry(table).or_default().push(columns);
    }
    out
}

/// Whether an index leads with `wanted` (after the account, if `scoped`);
/// for a `sort`, one whose last wanted column orders NULLs first.
fn served(indexes: &[Vec<IndexColumn>], wanted: &[&str], scoped: bool, sort: bool) -> bool {
    indexes.iter().any(|columns| {
        let starts = |prefix: &[&str]| {
            columns.len() >= prefix.len()
                && prefix.iter().zip(columns).all(|(a, (b, _))| a == b)
                && (!sort || columns[prefix.len() - 1].1)
        };
        starts(wanted) || (scoped && starts(&[&["account_id"], wanted].concat()))
    })
}

async fn every_filter_sort_and_nested_route_has_an_index(app: TestApp) {
    let indexes = index_prefixes(&app).await;
    let mut missing = Vec::new();
    for resource in ALL {
        let none = Vec::new();
        let table_indexes = indexes.get(resource.table).unwrap_or(&none);
        let scoped = resource.scoping == Scoping::Account;
        let mut columns: Vec<(&str, Vec<&str>)> = Vec::new();
        let listed = resource.ops.list;
        for filter in resource.filters.iter().filter(|_| listed) {
            if matches!(filter.how, FilterHow::Unmatched { .. }) {
                continue;
            }
            if let Some(column) = filter.expr.strip_prefix("t.") {
                columns.push(("filter", vec![column]));
            }
        }
        for sort in resource.sorts.iter().filter(|_| listed) {
            if let Some(column) = sort.expr.strip_prefix("t.") {
                columns.push(("sort", vec![column]));
            }
        }
        for field in ["name", "created_at", "updated_at"]
            .into_iter()
            .filter(|_| listed)
        {
            if let Some(column) = resource
                .field(field)
                .and_then(|f| f.expr.strip_prefix("t."))
            {
                columns.push(("standard sort", vec![column]));
            }
        }
        for parent in resource.parents() {
            match parent.class {
                Some(_) => columns.push(("nested route", vec!["resource_type", parent.field])),
                None => columns.push(("nested route", vec![parent.field])),
            }
        }
        // A type listed only under its parent (flexible asset fields) is
        // filtered and sorted within one parent: the parent's column leads.
        let within: Vec<&str> = if resource.ops.list_top_level {
            Vec::new()
        } else {
            resource.under.iter().map(|p| p.field).collect()
        };
        for (what, wanted) in columns {
            if wanted == ["id"] {
                continue;
            }
            // Lists that grow with the account: a sort the index cannot
            // serve sorts every record. (Reference data and a type's
            // fields are a few dozen rows; the index is there for lookups.)
            let sort = what.ends_with("sort")
                && scoped
                && resource.ops.list_top_level
                && !SORTED_WITHOUT_INDEX_ON_POSTGRES.contains(&(resource.table, wanted[0]));
            let under_parent = within.iter().any(|parent| {
                let nested: Vec<&str> = std::iter::once(*parent)
                    .chain(wanted.iter().copied())
                    .collect();
                served(table_indexes, &nested, scoped, sort)
            });
            if !under_parent && !served(table_indexes, &wanted, scoped, sort) {
                missing.push(format!(
                    "{} {what} on {}",
                    resource.route,
                    wanted.join(", ")
                ));
            }
        }
    }
    assert!(missing.is_empty(), "no index serves: {missing:#?}");
}

/// A cursor page of a sort the engine calls never NULL is bounded by the
/// cursor's value alone, which would skip records whose key is NULL: each
/// such sort must read a column the schema declares `NOT NULL`.
async fn every_sort_called_never_null_reads_a_not_null_column(app: TestApp) {
    let schema = Schema::build(&[]);
    let mut checked = 0;
    let mut nullable = Vec::new();
    for resource in ALL {
        for sort in schema.get(resource).all_sorts() {
            if !sort.never_null {
                continue;
            }
            let column = sort.expr.strip_prefix("t.").unwrap_or_else(|| {
                panic!(
                    "{} sort {}: not a column of the table",
                    resource.route, sort.name
                )
            });
            let mut sql = app.store.sql();
            match app.store.dialect() {
                Dialect::Sqlite => sql
                    .push("SELECT COUNT(*) FROM pragma_table_info(")
                    .bind(resource.table)
                    .push(") WHERE name = ")
                    .bind(column)
                    .push(" AND (\"notnull\" = 1 OR pk = 1)"),
                Dialect::Postgres => sql
                    .push("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ")
                    .bind(resource.table)
                    .push(" AND column_name = ")
                    .bind(column)
                    .push(" AND is_nullable = 'NO'"),
            };
            let rows = app
                .store
                .fetch(&sql, &[ColumnType::Int])
                .await
                .expect("the column");
            if rows[0][0].as_i64() != Some(1) {
                nullable.push(format!("{}.{column} (sort {})", resource.table, sort.name));
            }
            checked += 1;
        }
    }
    assert!(
        nullable.is_empty(),
        "called never NULL, but nullable: {nullable:#?}"
    );
    // Every listed resource's id and timestamps, and the required names.
    assert!(checked > 100, "only {checked} sorts are called never NULL");
}

crate::api_tests!(
    every_filter_sort_and_nested_route_has_an_index,
    every_sort_called_never_null_reads_a_not_null_column,
);
