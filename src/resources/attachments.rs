//! `attachments` (seed section "Attachments"): files attached to a record,
//! posted to `/:resource_type/:resource_id/relationships/attachments` and read
//! through `include=attachments` on the record.

use super::{Field, Kind, NoHooks, Ops, Resource, Scoping};

/// `attachments`, routed only under the records they belong to.
pub static ATTACHMENTS: Resource = Resource {
    kind: "attachments",
    route: "attachments",
    table: "attachments",
    log_name: "Attachment",
    title_field: "name",
    organization_column: Some("organization_id"),
    scoping: Scoping::Account,
    fields: &[
        Field::computed("organization_id", "t.organization_id", Kind::Int),
        Field::column("resource_id", "t.resource_id", Kind::Int).create_only(),
        Field::column("resource_type", "t.resource_type", Kind::Text).create_only(),
        Field::column("name", "t.name", Kind::Text),
        Field::computed("attachment_file_name", "t.file_name", Kind::Text),
        Field::computed("attachment_content_type", "t.content_type", Kind::Text),
        Field::computed("attachment_file_size", "t.file_size", Kind::Int),
        Field::computed("ext", "t.ext", Kind::Text),
        Field::computed(
            "viewable",
            "(t.content_type LIKE 'text/%' OR t.content_type LIKE 'image/%')",
            Kind::Bool,
        ),
        Field::created_at(),
        Field::updated_at(),
    ],
    joins: &[],
    filters: &[],
    sorts: &[],
    includes: &[],
    parents: super::owned::RECORD_PARENTS,
    ops: Ops {
        list: false,
        show: false,
        create: false,
        update: false,
        bulk_update: false,
        bulk_delete: false,
        delete: false,
        top_level: false,
    },
    window_days: None,
    max_page: None,
    hooks: &NoHooks,
};
