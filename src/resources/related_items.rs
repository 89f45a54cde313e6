//! `related-items` (seed section "Related Items"): directional links from a
//! source record (the URL's `/:resource_type/:resource_id`) to destination
//! records (the body). Read through `include=related_items` on the source's
//! show route; deleted with either end.

use super::owned::{class_resource, organization_of};
use super::{BoxFuture, ColumnType, Field, Hooks, Ops, Resource, Scoping, WriteContext};
use crate::error::{Error, Result};
use crate::store::Arg;

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

/// The destination's current name, whatever its type.
const DESTINATION_NAME: &str = "CASE t.destination_type \
     WHEN 'Configuration' THEN (SELECT d.name FROM configurations d WHERE d.id = t.destination_id) \
     WHEN 'Contact' THEN (SELECT d.name FROM contacts d WHERE d.id = t.destination_id) \
     WHEN 'Document' THEN (SELECT d.name FROM documents d WHERE d.id = t.destination_id) \
     WHEN 'Domain' THEN (SELECT d.name FROM domains d WHERE d.id = t.destination_id) \
     WHEN 'Location' THEN (SELECT d.name FROM locations d WHERE d.id = t.destination_id) \
     WHEN 'Organization' THEN (SELECT d.name FROM organizations d WHERE d.id = t.destination_id) \
     WHEN 'Password' THEN (SELECT d.name FROM passwords d WHERE d.id = t.destination_id) \
     END";

/// `related-items`, routed only under their source records.
pub static RELATED_ITEMS: Resource = Resource {
    json_type: "related-items",
    route: "related_items",
    table: "related_items",
    class: "RelatedItem",
    title_field: "notes",
    organization_column: Some("organization_id"),
    scoping: Scoping::Account,
    fields: &[
        Field::computed("organization_id", "t.organization_id", ColumnType::Int),
        Field::column("resource_id", "t.resource_id", ColumnType::Int).create_only(),
        Field::column("resource_type", "t.resource_type", ColumnType::Text).create_only(),
        Field::column("destination_id", "t.destination_id", ColumnType::Int)
            .required()
            .create_only()
            .not_null()
            .unique(),
        Field::column("destination_type", "t.destination_type", ColumnType::Text)
            .required()
            .create_only()
            .not_null()
            .one_of(DESTINATION_TYPES),
        Field::computed("destination_name", DESTINATION_NAME, ColumnType::Text),
        Field::computed("destination_url", "CAST(NULL AS TEXT)", ColumnType::Text),
        Field::column("notes", "t.notes", ColumnType::Text).long_text(),
        Field::column("via_copilot", "t.via_copilot", ColumnType::Bool)
            .create_only()
            .not_null(),
        Field::created_at(),
        Field::updated_at(),
    ],
    joins: &[],
    filters: &[],
    sorts: &[],
    includes: &[],
    parents: super::owned::RECORD_PARENTS,
    ops: Ops::UNDER_RECORD,
    window_days: None,
    max_page: None,
    hooks: &RelatedItemHooks,
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
            let source_organization = organization_of(ctx.tx, ctx.scope, &source_type, source_id)
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
            if class_resource(&destination_type).is_none() {
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
                organization_of(ctx.tx, ctx.scope, &destination_type, destination_id)
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
}
