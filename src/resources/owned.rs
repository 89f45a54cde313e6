//! What organization-owned records share (seed, "Attribute families shared
//! by organization-owned records"): the organization fields and join, the
//! polymorphic includes, and the class-style names that `resource_type`
//! columns hold.

use super::{by_route, ColumnType, Field, Filter, Include, IncludeTarget, Join, Parent, Resource};
use crate::error::{Error, Result};
use crate::store::{Scope, Tx};

/// `organization-id`: required on create (the nested route's URL supplies it).
pub const ORGANIZATION_ID: Field =
    Field::column("organization_id", "t.organization_id", ColumnType::Int)
        .required()
        .references("organizations");

/// `organization-name`, through [`ORGANIZATION_JOIN`].
pub const ORGANIZATION_NAME: Field =
    Field::computed("organization_name", "o.name", ColumnType::Text);

/// `resource-url`: a link into a web UI, which Mortar does not serve.
pub const RESOURCE_URL: Field =
    Field::computed("resource_url", "CAST(NULL AS TEXT)", ColumnType::Text);

/// `my-glue`: Mortar has no MyGlue.
pub const MY_GLUE: Field = Field::computed("my_glue", "FALSE", ColumnType::Bool);

/// `restricted`.
pub const RESTRICTED: Field =
    Field::column("restricted", "t.restricted", ColumnType::Bool).not_null();

/// `archived`.
pub const ARCHIVED: Field = Field::column("archived", "t.archived", ColumnType::Bool).not_null();

/// The join bringing `organization-name` (alias `o`).
pub const ORGANIZATION_JOIN: Join = Join {
    alias: "o",
    sql: "JOIN organizations o ON o.id = t.organization_id",
};

/// The nested route `/organizations/:id/relationships/...` of an
/// organization-owned resource.
pub const UNDER_ORGANIZATION: Parent =
    Parent::new("organizations", "organizations", "organization_id");

/// `filter[psa_id]`: accepted with its integration type, matches nothing
/// (Mortar keeps no PSA data).
pub const PSA_ID: Filter = Filter::unmatched("psa_id", Some("psa_integration_type"), &[]);

/// `filter[psa_integration_type]`, one of the reference's PSA integrations.
pub const PSA_INTEGRATION_TYPE: Filter = Filter::unmatched(
    "psa_integration_type",
    None,
    super::organizations::PSA_INTEGRATION_TYPES,
);

/// Class-style record names (`resource_type` values) and the route of the
/// Mortar resource that stores them. Types the reference names that Mortar
/// does not model (checklists, tickets, ...) are absent.
pub const CLASSES: &[(&str, &str)] = &[
    ("Organization", "organizations"),
    ("Configuration", "configurations"),
    ("Contact", "contacts"),
    ("Document", "documents"),
    ("Domain", "domains"),
    ("Location", "locations"),
    ("Password", "passwords"),
];

/// The records attachments and related items hang off, as routes
/// `/:resource_type/:resource_id/relationships/...` (those of the reference's
/// list that Mortar models).
pub const RECORD_PARENTS: &[Parent] = &[
    Parent::polymorphic("configurations", "Configuration"),
    Parent::polymorphic("contacts", "Contact"),
    Parent::polymorphic("documents", "Document"),
    Parent::polymorphic("domains", "Domain"),
    Parent::polymorphic("locations", "Location"),
    Parent::polymorphic("passwords", "Password"),
];

/// The resource storing records of class-style name `kind`.
pub fn class_resource(kind: &str) -> Option<&'static Resource> {
    CLASSES
        .iter()
        .find(|(name, _)| *name == kind)
        .and_then(|(_, route)| by_route(route))
}

/// The organization of record `id` of class `kind` in the caller's account,
/// or `None` when no such record exists there.
pub async fn organization_of(
    tx: &mut Tx,
    scope: Scope,
    kind: &str,
    id: i64,
) -> Result<Option<i64>> {
    let Some(resource) = class_resource(kind) else {
        return Ok(None);
    };
    let column = match resource.organization_column {
        Some(column) => column,
        None => {
            return Err(Error::Internal(anyhow::anyhow!(
                "{kind} has no organization"
            )))
        }
    };
    let mut sql = tx.sql();
    sql.push("SELECT ")
        .push(column)
        .push(" FROM ")
        .push(resource.table)
        .push(" WHERE account_id = ")
        .bind(scope.account_id())
        .push(" AND id = ")
        .bind(id);
    Ok(tx
        .fetch(&sql, &[ColumnType::Int])
        .await?
        .first()
        .and_then(|row| row[0].as_i64()))
}

/// An include of something Mortar does not model (integration data, access
/// lists): accepted, with an empty relationship.
pub const fn unmodelled(name: &'static str, show_only: bool) -> Include {
    Include {
        name,
        target: IncludeTarget::Unmodelled,
        show_only,
    }
}

/// An include of records hanging off this one by `resource_type` + `resource_id`.
pub const fn polymorphic(
    name: &'static str,
    resource: &'static Resource,
    show_only: bool,
) -> Include {
    Include {
        name,
        target: IncludeTarget::Polymorphic {
            resource,
            inbound: false,
        },
        show_only,
    }
}

/// `include=passwords`: the record's embedded passwords.
pub const PASSWORDS: Include = polymorphic("passwords", &super::passwords::PASSWORDS, false);

/// `include=attachments`.
pub const ATTACHMENTS: Include =
    polymorphic("attachments", &super::attachments::ATTACHMENTS, false);

/// `include=related_items` (show routes only, as the reference says): the
/// links this record made and the links made to it, as the UI shows both.
pub const RELATED_ITEMS: Include = Include {
    name: "related_items",
    target: IncludeTarget::Polymorphic {
        resource: &super::related_items::RELATED_ITEMS,
        inbound: true,
    },
    show_only: true,
};
