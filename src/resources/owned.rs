//! What organization-owned records share (seed, "Attribute families shared
//! by organization-owned records"): the organization fields and join, the
//! polymorphic includes, and the organization a `resource_type` +
//! `resource_id` pair belongs to.

use super::{
    registry, ColumnType, Field, Filter, Include, IncludeTarget, Join, Nested, Parent, Resource,
};
use crate::error::{Error, Result};
use crate::store::{Arg, Cell};

/// `organization-id`: required on create (the nested route's URL supplies it).
pub const ORGANIZATION_ID: Field = column!("organization_id", Int)
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
pub const RESTRICTED: Field = column!("restricted", Bool).not_null();

/// `archived`.
pub const ARCHIVED: Field = column!("archived", Bool).not_null();

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

/// The organization of record `id` of class `class` in the caller's
/// account, or `None` when no such record exists there (or its type keeps
/// nothing hanging off it).
pub async fn organization_of(nested: &mut dyn Nested, class: &str, id: i64) -> Result<Option<i64>> {
    let Some(resource) = registry::by_class(class) else {
        return Ok(None);
    };
    let Some(column) = resource.organization_column else {
        return Err(Error::Internal(anyhow::anyhow!(
            "{class} has no organization"
        )));
    };
    let record = nested
        .find(resource, vec![("id", Arg::from(id))])
        .await?
        .pop();
    Ok(record.and_then(|record| match column {
        "id" => Some(record.id),
        column => resource.cell(&record, column).and_then(Cell::as_i64),
    }))
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
