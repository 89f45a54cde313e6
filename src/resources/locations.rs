//! `locations` (seed section "Locations"): a client's sites, with country and
//! region from the reference data.
//!
//! A region must belong to the location's country (a region sent without a
//! country brings its own); phone and fax are kept as digits with a
//! formatted twin; at most one location of an organization is primary
//! (marking one clears the others).

use super::contacts::{format_phone, strip_phone};
use super::owned::{
    self, ORGANIZATION_ID, ORGANIZATION_JOIN, ORGANIZATION_NAME, RESOURCE_URL, RESTRICTED,
};
use super::{
    AfterWrite, BoxFuture, ColumnType, Field, Filter, Hooks, Join, Ops, Resource, Scoping, Sort,
    WriteContext,
};
use crate::error::{Error, Result};
use crate::store::{Arg, Cell};

/// `locations`, also under `/organizations/:id/relationships/locations`.
pub static LOCATIONS: Resource = Resource {
    json_type: "locations",
    route: "locations",
    table: "locations",
    class: "Location",
    title_field: "name",
    organization_column: Some("organization_id"),
    scoping: Scoping::Account,
    fields: &[
        ORGANIZATION_ID,
        ORGANIZATION_NAME,
        RESOURCE_URL,
        Field::column("name", "t.name", ColumnType::Text).required(),
        Field::column("primary", "t.primary_location", ColumnType::Bool)
            .stored_in("primary_location")
            .not_null(),
        Field::column("address_1", "t.address_1", ColumnType::Text),
        Field::column("address_2", "t.address_2", ColumnType::Text),
        Field::column("city", "t.city", ColumnType::Text),
        Field::column("postal_code", "t.postal_code", ColumnType::Text).max_len(32),
        Field::column("region_id", "t.region_id", ColumnType::Int).references_global("regions"),
        Field::computed("region_name", "r.name", ColumnType::Text),
        Field::column("country_id", "t.country_id", ColumnType::Int).references_global("countries"),
        Field::computed("country_name", "co.name", ColumnType::Text),
        Field::column("phone", "t.phone", ColumnType::Text).max_len(64),
        Field::column("fax", "t.fax", ColumnType::Text).max_len(64),
        Field::computed("formatted_phone", "t.formatted_phone", ColumnType::Text),
        Field::computed("formatted_fax", "t.formatted_fax", ColumnType::Text),
        Field::column("notes", "t.notes", ColumnType::Text).long_text(),
        RESTRICTED,
        Field::created_at(),
        Field::updated_at(),
    ],
    joins: &[
        ORGANIZATION_JOIN,
        Join {
            alias: "r",
            sql: "LEFT JOIN regions r ON r.id = t.region_id",
        },
        Join {
            alias: "co",
            sql: "LEFT JOIN countries co ON co.id = t.country_id",
        },
    ],
    filters: &[
        Filter::exact("id", "t.id", ColumnType::Int),
        Filter::exact("name", "t.name", ColumnType::Text),
        Filter::exact("city", "t.city", ColumnType::Text),
        Filter::exact("region_id", "t.region_id", ColumnType::Int),
        Filter::exact("country_id", "t.country_id", ColumnType::Int),
        Filter::exact("organization_id", "t.organization_id", ColumnType::Int),
        owned::PSA_ID,
        owned::PSA_INTEGRATION_TYPE,
    ],
    sorts: &[Sort::on("primary", "t.primary_location")],
    includes: &[
        owned::unmodelled("adapters_resources", false),
        owned::ATTACHMENTS,
        owned::PASSWORDS,
        owned::unmodelled("user_resource_accesses", false),
        owned::unmodelled("group_resource_accesses", false),
        owned::unmodelled("recent_versions", true),
        owned::RELATED_ITEMS,
        owned::unmodelled("authorized_users", true),
    ],
    parents: &[owned::UNDER_ORGANIZATION],
    // The reference has no `DELETE /locations/:id`; its only single delete
    // is the nested `DELETE /organizations/:id/relationships/locations/:id`,
    // which the generic member handler serves without `delete`.
    ops: Ops {
        delete: false,
        ..Ops::ALL
    },
    window_days: None,
    max_page: None,
    hooks: &LocationHooks,
};

/// Phone formatting, region-in-country and the one primary location.
pub struct LocationHooks;

impl Hooks for LocationHooks {
    fn before_write<'a>(&'a self, ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            for (column, formatted) in [("phone", "formatted_phone"), ("fax", "formatted_fax")] {
                if let Some(Arg::Text(value)) = ctx.values.get(column).cloned() {
                    let digits = value.map(|v| strip_phone(&v)).filter(|d| !d.is_empty());
                    ctx.values.set(column, Arg::from(digits.clone()));
                    ctx.values
                        .set(formatted, Arg::from(digits.as_deref().map(format_phone)));
                }
            }
            let given_region = ctx.values.get("region_id").cloned();
            let given_country = ctx.values.get("country_id").cloned();
            if given_region.is_none() && given_country.is_none() {
                return Ok(());
            }
            // The other half of the pair may come from the stored record.
            let (mut region, mut country) = (None, None);
            if let Some(id) = ctx.id {
                let mut sql = ctx.tx.sql();
                sql.push("SELECT region_id, country_id FROM locations WHERE account_id = ")
                    .bind(ctx.scope.account_id())
                    .push(" AND id = ")
                    .bind(id);
                if let Some(row) = ctx
                    .tx
                    .fetch(&sql, &[ColumnType::Int, ColumnType::Int])
                    .await?
                    .pop()
                {
                    region = row[0].as_i64();
                    country = row[1].as_i64();
                }
            }
            if let Some(arg) = &given_region {
                region = arg.as_i64();
                // A new region without a country brings its own country,
                // rather than being checked against the stored one.
                if given_country.is_none() {
                    country = None;
                }
            }
            if let Some(arg) = &given_country {
                country = arg.as_i64();
            }
            let Some(region) = region else {
                return Ok(());
            };
            let mut sql = ctx.tx.sql();
            sql.push("SELECT country_id FROM regions WHERE id = ")
                .bind(region);
            let owner = ctx
                .tx
                .fetch(&sql, &[ColumnType::Int])
                .await?
                .pop()
                .and_then(|r| r[0].as_i64());
            match (owner, country) {
                // An unknown region is reported by the reference check.
                (None, _) => Ok(()),
                (Some(owner), Some(country)) if owner != country => Err(Error::invalid(
                    format!("{}/region-id", ctx.pointer),
                    format!("region {region} is not in country {country}"),
                )),
                (Some(owner), None) => {
                    // A region alone implies its country.
                    ctx.values.set("country_id", Arg::from(owner));
                    Ok(())
                }
                _ => Ok(()),
            }
        })
    }

    fn after_write<'a>(&'a self, ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let (tx, scope, id) = (ctx.tx, ctx.scope, ctx.id);
            let mut sql = tx.sql();
            sql.push("SELECT organization_id, primary_location FROM locations WHERE account_id = ")
                .bind(scope.account_id())
                .push(" AND id = ")
                .bind(id);
            let Some(row) = tx
                .fetch(&sql, &[ColumnType::Int, ColumnType::Bool])
                .await?
                .pop()
            else {
                return Ok(());
            };
            if !matches!(row[1], Cell::Bool(true) | Cell::Int(1)) {
                return Ok(());
            }
            let mut sql = tx.sql();
            sql.push("UPDATE locations SET primary_location = FALSE WHERE account_id = ")
                .bind(scope.account_id())
                .push(" AND organization_id = ")
                .bind(row[0].as_i64())
                .push(" AND id <> ")
                .bind(id)
                .push(" AND primary_location = TRUE");
            tx.execute(&sql).await?;
            Ok(())
        })
    }
}
