//! `domains` (seed section "Domains"). The reference serves only lists;
//! Mortar adds show, create, update and delete, since domains are attachment,
//! related-item and embedded-password parents and nothing else makes them.
//! `expires-on` feeds a "Domain expiration".

use super::owned::{
    self, ORGANIZATION_ID, ORGANIZATION_JOIN, ORGANIZATION_NAME, RESOURCE_URL, RESTRICTED,
};
use super::{Carries, ColumnType, Expiry, Field, Filter, Resource, Sort};

const EXPIRY: &[Expiry] = &[Expiry {
    column: "expires_on",
    column_type: ColumnType::Timestamp,
    description: "Domain expiration",
}];

/// `domains`, also under `/organizations/:id/relationships/domains`.
pub static DOMAINS: Resource = Resource {
    json_type: "domains",
    route: "domains",
    table: "domains",
    class: "Domain",
    search: Some(&super::Search {
        code: 5,
        title: &["name"],
        body: &["registrar_name", "notes"],
    }),
    organization_column: Some("organization_id"),
    fields: &[
        ORGANIZATION_ID,
        ORGANIZATION_NAME,
        RESOURCE_URL,
        column!("name", Text).required(),
        Field::computed("screenshot", "CAST(NULL AS TEXT)", ColumnType::Text),
        column!("registrar_name", Text),
        column!("notes", Text).long_text(),
        // A full timestamp despite its name, as the reference shows it.
        column!("expires_on", Timestamp),
        RESTRICTED,
        Field::created_at(),
        Field::updated_at(),
    ],
    joins: &[ORGANIZATION_JOIN],
    filters: &[
        filter!("id", Int),
        filter!("name", Text),
        filter!("organization_id", Int),
        Filter::date_range("expires_on", "t.expires_on"),
    ],
    sorts: &[Sort::on("expires_on", "t.expires_on")],
    includes: &[owned::PASSWORDS, owned::ATTACHMENTS, owned::RELATED_ITEMS],
    under: &[owned::UNDER_ORGANIZATION],
    carries: Carries::EVERYTHING,
    expirations: EXPIRY,
    ..Resource::BASE
};
