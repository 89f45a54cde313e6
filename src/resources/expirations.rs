//! `expirations` (seed section "Expirations"): read-only rows derived from the
//! expiry dates of other records, rewritten by [`refresh`] in the same
//! transaction as every write to those records, and deleted with them.

use super::owned::{ORGANIZATION_JOIN, ORGANIZATION_NAME, RESOURCE_URL};
use super::{ColumnType, Field, Filter, NoHooks, Ops, Resource, Scoping, Sort};
use crate::clock::{now_millis, parse_range_bound, RangeEnd};
use crate::error::Result;
use crate::store::{Cell, Scope, Tx};

/// `expirations`, also under `/organizations/:id/relationships/expirations`.
pub static EXPIRATIONS: Resource = Resource {
    json_type: "expirations",
    route: "expirations",
    table: "expirations",
    class: "Expiration",
    title_field: "resource_name",
    organization_column: Some("organization_id"),
    scoping: Scoping::Account,
    fields: &[
        Field::computed("organization_id", "t.organization_id", ColumnType::Int),
        ORGANIZATION_NAME,
        RESOURCE_URL,
        Field::computed("description", "t.description", ColumnType::Text),
        Field::computed(
            "expiration_date",
            "t.expiration_date",
            ColumnType::Timestamp,
        ),
        Field::computed("resource_id", "t.resource_id", ColumnType::Int),
        Field::computed("resource_type", "t.resource_type", ColumnType::Text),
        Field::computed("resource_type_name", "t.resource_type", ColumnType::Text),
        Field::computed("resource_name", "t.resource_name", ColumnType::Text),
        Field::created_at(),
        Field::updated_at(),
    ],
    joins: &[ORGANIZATION_JOIN],
    filters: &[
        Filter::exact("id", "t.id", ColumnType::Int),
        Filter::exact("organization_id", "t.organization_id", ColumnType::Int),
        Filter::exact("resource_id", "t.resource_id", ColumnType::Int),
        Filter::exact("resource_name", "t.resource_name", ColumnType::Text),
        Filter::exact("resource_type_name", "t.resource_type", ColumnType::Text),
        Filter::exact("description", "t.description", ColumnType::Text),
        Filter::date_range("expiration_date", "t.expiration_date").with_range(),
    ],
    sorts: &[
        Sort::on("organization_id", "t.organization_id"),
        Sort::on("expiration_date", "t.expiration_date"),
        Sort::on("name", "t.resource_name"),
    ],
    includes: &[],
    parents: &[super::owned::UNDER_ORGANIZATION],
    ops: Ops::READ_ONLY,
    window_days: None,
    max_page: None,
    hooks: &NoHooks,
};

/// A date column of a record that makes an expiration.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    /// The column holding the date.
    pub column: &'static str,
    /// `Date` (`YYYY-MM-DD` text) or `Timestamp` (epoch ms).
    pub column_type: ColumnType,
    /// The expiration's `description`.
    pub description: &'static str,
}

/// Rewrites the expirations of record `id` of `resource` from its current
/// row: one per `sources` entry with a date, none for those without.
pub async fn refresh(
    tx: &mut Tx,
    scope: Scope,
    resource: &Resource,
    id: i64,
    sources: &[Source],
) -> Result<()> {
    let account = scope.account_id();
    let mut sql = tx.sql();
    sql.push("SELECT organization_id, ")
        .push(resource.title_field);
    let mut kinds = vec![ColumnType::Int, ColumnType::Text];
    for source in sources {
        sql.push(", ").push(source.column);
        kinds.push(source.column_type);
    }
    sql.push(" FROM ")
        .push(resource.table)
        .push(" WHERE account_id = ")
        .bind(account)
        .push(" AND id = ")
        .bind(id);
    let Some(row) = tx.fetch(&sql, &kinds).await?.pop() else {
        return Ok(());
    };
    let organization = row[0].as_i64();
    let name = row[1].as_str().map(str::to_string);
    let now = now_millis();
    for (source, cell) in sources.iter().zip(&row[2..]) {
        let date = match cell {
            Cell::Int(ms) => Some(*ms),
            Cell::Text(text) => parse_range_bound(text, RangeEnd::Start),
            _ => None,
        };
        match (date, organization) {
            (Some(date), Some(organization)) => {
                let mut sql = tx.sql();
                sql.push("UPDATE expirations SET expiration_date = ")
                    .bind(date)
                    .push(", resource_name = ")
                    .bind(name.clone())
                    .push(", organization_id = ")
                    .bind(organization)
                    .push(", updated_at = ")
                    .bind(now);
                where_source(&mut sql, account, resource, id, source);
                if tx.execute(&sql).await? == 0 {
                    let mut sql = tx.sql();
                    sql.push(
                        "INSERT INTO expirations (account_id, organization_id, resource_type, \
                         resource_id, resource_name, description, expiration_date, created_at, updated_at) VALUES (",
                    )
                    .bind(account)
                    .push(", ")
                    .bind(organization)
                    .push(", ")
                    .bind(resource.class)
                    .push(", ")
                    .bind(id)
                    .push(", ")
                    .bind(name.clone())
                    .push(", ")
                    .bind(source.description)
                    .push(", ")
                    .bind(date)
                    .push(", ")
                    .bind(now)
                    .push(", ")
                    .bind(now)
                    .push(")");
                    tx.execute(&sql).await?;
                }
            }
            _ => {
                let mut sql = tx.sql();
                sql.push("DELETE FROM expirations");
                where_source(&mut sql, account, resource, id, source);
                tx.execute(&sql).await?;
            }
        }
    }
    Ok(())
}

fn where_source(
    sql: &mut crate::store::Sql,
    account: i64,
    resource: &Resource,
    id: i64,
    source: &Source,
) {
    sql.push(" WHERE account_id = ")
        .bind(account)
        .push(" AND resource_type = ")
        .bind(resource.class)
        .push(" AND resource_id = ")
        .bind(id)
        .push(" AND description = ")
        .bind(source.description);
}
