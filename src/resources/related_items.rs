//! `related-items` (seed section "Related Items"): directional links from a
//! source record (the URL's `/:resource_type/:resource_id`) to destination
//! records (the body). Read through `include=related_items` on the source's
//! show route; deleted with either end.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map};

use super::owned::organization_of;
use super::{
    registry, BoxFuture, ColumnType, Decorate, Decorations, Field, Hooks, Ops, Owners, Resource,
    WriteContext,
};
use crate::error::{Error, Result};
use crate::store::{Arg, Cell};

/// The reference's `destination_type` values.
const DESTINATION_TYPES: &[&str] = &[
    "User",
    "Checklist",
    "Checklist Template",
    "Contact",
    "Configuration",
    "Datto Device",
    "Document",
    "Document Folder",
    "Domain",
    "Location",
    "Organization",
    "Password",
    "SSL Certificate",
    "Flexible Asset",
    "Ticket",
];

/// `related-items`, routed only under their source records.
pub static RELATED_ITEMS: Resource = Resource {
    json_type: "related-items",
    route: "related_items",
    table: "related_items",
    class: "RelatedItem",
    title_field: "notes",
    organization_column: Some("organization_id"),
    fields: &[
        Field::computed("organization_id", "t.organization_id", ColumnType::Int),
        column!("resource_id", Int).create_only(),
        column!("resource_type", Text).create_only(),
        column!("destination_id", Int)
            .required()
            .create_only()
            .not_null()
            .unique(),
        column!("destination_type", Text)
            .required()
            .create_only()
            .not_null()
            .one_of(DESTINATION_TYPES),
        // Filled in by `decorate`, from the destination's own table.
        Field::computed("destination_name", "CAST(NULL AS TEXT)", ColumnType::Text),
        Field::computed("destination_url", "CAST(NULL AS TEXT)", ColumnType::Text),
        column!("notes", Text).long_text(),
        column!("via_copilot", Bool).create_only().not_null(),
        Field::created_at(),
        Field::updated_at(),
    ],
    owners: Owners::CarryingRelatedItems,
    ops: Ops::UNDER_RECORD,
    hooks: &RelatedItemHooks,
    ..Resource::BASE
};

/// Checks both ends of a new link and notes their organizations.
pub struct RelatedItemHooks;

impl Hooks for RelatedItemHooks {
    fn before_write<'a>(&'a self, ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if ctx.id.is_some() {
                return Ok(());
            }
            let text = |arg: Option<&Arg>| match arg {
                Some(Arg::Text(Some(s))) => Some(s.clone()),
                _ => None,
            };
            let source_type = text(ctx.values.get("resource_type"));
            let source_id = ctx.values.get("resource_id").and_then(Arg::as_i64);
            let (Some(source_type), Some(source_id)) = (source_type, source_id) else {
                return Err(Error::invalid(
                    ctx.pointer,
                    "related items are created under their source: /:resource_type/:resource_id/relationships/related_items",
                ));
            };
            let source_organization = organization_of(ctx.nested, &source_type, source_id)
                .await?
                .ok_or_else(|| {
                    Error::NotFound(format!("{source_type} {source_id} was not found"))
                })?;
            let destination_type = text(ctx.values.get("destination_type")).unwrap_or_default();
            let destination_id = ctx
                .values
                .get("destination_id")
                .and_then(Arg::as_i64)
                .unwrap_or_default();
            if registry::linkable(&destination_type).is_none() {
                return Err(Error::invalid(
                    format!("{}/destination-type", ctx.pointer),
                    format!("Mortar keeps no {destination_type} records to link to"),
                ));
            }
            if destination_type == source_type && destination_id == source_id {
                return Err(Error::invalid(
                    format!("{}/destination-id", ctx.pointer),
                    "a record cannot be related to itself",
                ));
            }
            let destination_organization =
                organization_of(ctx.nested, &destination_type, destination_id)
                    .await?
                    .ok_or_else(|| {
                        Error::invalid(
                            format!("{}/destination-id", ctx.pointer),
                            format!(
                                "{destination_type} {destination_id} does not exist in this account"
                            ),
                        )
                    })?;
            ctx.values
                .set("organization_id", Arg::from(source_organization));
            ctx.values.set(
                "destination_organization_id",
                Arg::from(destination_organization),
            );
            Ok(())
        })
    }

    /// `destination-name`: the destination's current name, looked up once
    /// per destination type for all the records shown.
    fn decorate<'a>(&'a self, ctx: Decorate<'a>) -> BoxFuture<'a, Result<Decorations>> {
        Box::pin(async move {
            let mut wanted: BTreeMap<String, Vec<i64>> = BTreeMap::new();
            let mut ends = Vec::with_capacity(ctx.records.len());
            for record in ctx.records {
                let class = RELATED_ITEMS
                    .cell(record, "destination_type")
                    .and_then(Cell::as_str)
                    .unwrap_or_default()
                    .to_string();
                let id = RELATED_ITEMS
                    .cell(record, "destination_id")
                    .and_then(Cell::as_i64)
                    .unwrap_or_default();
                wanted.entry(class.clone()).or_default().push(id);
                ends.push((record.id, class, id));
            }
            let mut names: HashMap<(String, i64), String> = HashMap::new();
            for (class, ids) in wanted {
                let Some(resource) = registry::linkable(&class) else {
                    continue;
                };
                let title = [resource.title_field];
                for record in ctx.lookup.fields(resource, &title, &ids).await? {
                    if let Some(name) = record.cells.first().and_then(Cell::as_str) {
                        names.insert((class.clone(), record.id), name.to_string());
                    }
                }
            }
            let mut decorations = Decorations::default();
            for (id, class, destination) in ends {
                let name = names.remove(&(class, destination));
                let mut attributes = Map::new();
                attributes.insert("destination-name".into(), json!(name));
                decorations.attributes.insert(id, attributes);
            }
            Ok(decorations)
        })
    }
}
