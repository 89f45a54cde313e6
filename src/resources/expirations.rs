//! `expirations` (seed section "Expirations"): read-only rows derived from the
//! dates other definitions name ([`Resource::expirations`]), rewritten by the
//! engine in the same transaction as every write to those records, and
//! deleted with them.

use super::owned::{ORGANIZATION_JOIN, ORGANIZATION_NAME, RESOURCE_URL};
use super::{ColumnType, Field, Filter, Ops, Resource, Sort};

/// `expirations`, also under `/organizations/:id/relationships/expirations`.
pub static EXPIRATIONS: Resource = Resource {
    json_type: "expirations",
    route: "expirations",
    table: "expirations",
    class: "Expiration",
    title_field: "resource_name",
    organization_column: Some("organization_id"),
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
        filter!("id", Int),
        filter!("organization_id", Int),
        filter!("resource_id", Int),
        filter!("resource_name", Text),
        Filter::exact("resource_type_name", "t.resource_type", ColumnType::Text),
        filter!("description", Text),
        Filter::date_range("expiration_date", "t.expiration_date").with_range(),
    ],
    sorts: &[
        Sort::on("organization_id", "t.organization_id"),
        Sort::on("expiration_date", "t.expiration_date"),
        Sort::on("name", "t.resource_name"),
    ],
    under: &[super::owned::UNDER_ORGANIZATION],
    ops: Ops::READ_ONLY,
    ..Resource::BASE
};
