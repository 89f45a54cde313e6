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
use super::reference::REGIONS;
use super::{
    AfterWrite, BoxFuture, Carries, ColumnType, Field, Hooks, Join, Ops, Resource, Sort,
    WriteContext,
};
use crate::error::{Error, Result};
use crate::store::{Arg, Cell, Match, Values};

/// `locations`, also under `/organizations/:id/relationships/locations`.
pub static LOCATIONS: Resource = Resource {
    json_type: "locations",
    route: "locations",
    table: "locations",
    class: "Location",
    search: Some(&super::Search {
        code: 4,
        title: &["name"],
        body: &["city", "postal_code", "phone", "notes"],
    }),
    organization_column: Some("organization_id"),
    fields: &[
        ORGANIZATION_ID,
        ORGANIZATION_NAME,
        RESOURCE_URL,
        column!("name", Text).required(),
        Field::column("primary", "t.primary_location", ColumnType::Bool)
            .stored_in("primary_location")
            .not_null(),
        column!("address_1", Text),
        column!("address_2", Text),
        column!("city", Text),
        column!("postal_code", Text).max_len(32),
        column!("region_id", Int).references_global("regions"),
        Field::computed("region_name", "r.name", ColumnType::Text),
        column!("country_id", Int).references_global("countries"),
        Field::computed("country_name", "co.name", ColumnType::Text),
        column!("phone", Text).max_len(64),
        column!("fax", Text).max_len(64),
        Field::computed("formatted_phone", "t.formatted_phone", ColumnType::Text),
        Field::computed("formatted_fax", "t.formatted_fax", ColumnType::Text),
        column!("notes", Text).long_text(),
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
        filter!("id", Int),
        filter!("name", Text),
        filter!("city", Text),
        filter!("region_id", Int),
        filter!("country_id", Int),
        filter!("organization_id", Int),
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
    under: &[owned::UNDER_ORGANIZATION],
    // The reference has no `DELETE /locations/:id`; its only single delete
    // is the nested `DELETE /organizations/:id/relationships/locations/:id`,
    // which the generic member handler serves without `delete`.
    ops: Ops {
        delete: false,
        ..Ops::ALL
    },
    carries: Carries::EVERYTHING,
    hooks: &LocationHooks,
    ..Resource::BASE
};

/// Phone formatting, region-in-country and the one primary location.
pub struct LocationHooks;

/// Keeps the `phone` and `fax` written in `values` as digits and sets their
/// formatted twins (`formatted_phone`, `formatted_fax`), as locations store them.
pub fn format_phones(values: &mut Values) {
    for (column, formatted) in [("phone", "formatted_phone"), ("fax", "formatted_fax")] {
        if let Some(Arg::Text(value)) = values.get(column).cloned() {
            let digits = value.map(|v| strip_phone(&v)).filter(|d| !d.is_empty());
            values.set(column, Arg::from(digits.clone()));
            values.set(formatted, Arg::from(digits.as_deref().map(format_phone)));
        }
    }
}

impl Hooks for LocationHooks {
    fn before_write<'a>(&'a self, ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            format_phones(ctx.values);
            let given_region = ctx.values.get("region_id").cloned();
            let given_country = ctx.values.get("country_id").cloned();
            if given_region.is_none() && given_country.is_none() {
                return Ok(());
            }
            // The other half of the pair may come from the stored record.
            let (mut region, mut country) = (None, None);
            if let Some(id) = ctx.id {
                if let Some(current) = ctx
                    .nested
                    .find(&LOCATIONS, vec![("id", Arg::from(id))])
                    .await?
                    .pop()
                {
                    region = LOCATIONS.cell(&current, "region_id").and_then(Cell::as_i64);
                    country = LOCATIONS
                        .cell(&current, "country_id")
                        .and_then(Cell::as_i64);
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
            let owner = ctx
                .nested
                .find(&REGIONS, vec![("id", Arg::from(region))])
                .await?
                .pop()
                .and_then(|r| REGIONS.cell(&r, "country_id").and_then(Cell::as_i64));
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

    /// Marking a location primary clears its organization's other primary one.
    fn after_write<'a>(&'a self, ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let Some(location) = ctx
                .nested
                .find(&LOCATIONS, vec![("id", Arg::from(ctx.id))])
                .await?
                .pop()
            else {
                return Ok(());
            };
            if !matches!(
                LOCATIONS.cell(&location, "primary"),
                Some(Cell::Bool(true) | Cell::Int(1))
            ) {
                return Ok(());
            }
            let organization = LOCATIONS
                .cell(&location, "organization_id")
                .and_then(Cell::as_i64);
            let mut cleared = Values::default();
            cleared.set("primary_location", Arg::from(false));
            ctx.nested
                .tx()
                .update_rows(
                    ctx.scope,
                    LOCATIONS.table,
                    &cleared,
                    &[
                        Match::Eq("organization_id", Arg::from(organization)),
                        Match::Ne("id", Arg::from(ctx.id)),
                        Match::Eq("primary_location", Arg::from(true)),
                    ],
                )
                .await?;
            Ok(())
        })
    }
}
