//! `domains` (seed section "Domains"). The reference serves only lists;
//! Mortar adds show, create, update and delete, since domains are attachment,
//! related-item and embedded-password parents and nothing else makes them.
//! `expires-on` feeds a "Domain expiration".

use super::expirations::{self, Source};
use super::owned::{
    self, ORGANIZATION_ID, ORGANIZATION_JOIN, ORGANIZATION_NAME, RESOURCE_URL, RESTRICTED,
};
use super::{AfterWrite, BoxFuture, Field, Filter, Hooks, Kind, Ops, Resource, Scoping, Sort};
use crate::error::Result;

const EXPIRY: &[Source] = &[Source {
    column: "expires_on",
    kind: Kind::Timestamp,
    description: "Domain expiration",
}];

/// `domains`, also under `/organizations/:id/relationships/domains`.
pub static DOMAINS: Resource = Resource {
    kind: "domains",
    route: "domains",
    table: "domains",
    log_name: "Domain",
    title_field: "name",
    organization_column: Some("organization_id"),
    scoping: Scoping::Account,
    fields: &[
        ORGANIZATION_ID,
        ORGANIZATION_NAME,
        RESOURCE_URL,
        Field::column("name", "t.name", Kind::Text).required(),
        Field::computed("screenshot", "CAST(NULL AS TEXT)", Kind::Text),
        Field::column("registrar_name", "t.registrar_name", Kind::Text),
        Field::column("notes", "t.notes", Kind::Text).long_text(),
        // A full timestamp despite its name, as the reference shows it.
        Field::column("expires_on", "t.expires_on", Kind::Timestamp),
        RESTRICTED,
        Field::created_at(),
        Field::updated_at(),
    ],
    joins: &[ORGANIZATION_JOIN],
    filters: &[
        Filter::exact("id", "t.id", Kind::Int),
        Filter::exact("name", "t.name", Kind::Text),
        Filter::exact("organization_id", "t.organization_id", Kind::Int),
        Filter::date_range("expires_on", "t.expires_on"),
    ],
    sorts: &[Sort::on("expires_on", "t.expires_on")],
    includes: &[owned::PASSWORDS, owned::ATTACHMENTS, owned::RELATED_ITEMS],
    parents: &[owned::UNDER_ORGANIZATION],
    ops: Ops::ALL,
    window_days: None,
    max_page: None,
    hooks: &DomainHooks,
};

/// Keeps the domain's expiration in step.
pub struct DomainHooks;

impl Hooks for DomainHooks {
    fn after_write<'a>(&'a self, ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(expirations::refresh(
            ctx.tx, ctx.scope, &DOMAINS, ctx.id, EXPIRY,
        ))
    }
}
