//! The account's catalogs: organization/configuration types and statuses,
//! contact types, password categories, manufacturers and models
//! (seed sections "Organization Types" ... "Models").

use super::{ColumnType, Field, Filter, Include, IncludeTarget, Ops, Parent, Resource, Sort};
use crate::roles::Guard;

const NAME: Field = column!("name", Text).required().unique();
const CREATED: Field = Field::created_at();
const UPDATED: Field = Field::updated_at();
const NAME_FILTERS: &[Filter] = &[filter!("id", Int), filter!("name", Text)];

/// The computed field `name`: how many records name this one, read from the
/// count `reference_counts` keeps for `counted` (migration 0031; "table.column",
/// one of `store::REFERENCE_COUNTED`), as counting the records themselves
/// costs as many index entries as there are records.
macro_rules! reference_count {
    ($name:literal, $counted:literal) => {
        Field::computed(
            $name,
            concat!(
                "(SELECT CAST(COALESCE(SUM(k.records), 0) AS BIGINT) FROM reference_counts k \
                 WHERE k.counted = '",
                $counted,
                "' AND k.reference_id = t.id)"
            ),
            ColumnType::Int,
        )
    };
}

/// A catalog resource: a unique name and timestamps, list/show/create/update.
const fn named(
    json_type: &'static str,
    route: &'static str,
    class: &'static str,
    fields: &'static [Field],
) -> Resource {
    Resource {
        json_type,
        route,
        table: route,
        class,
        fields,
        filters: NAME_FILTERS,
        ops: Ops::EDITABLE,
        guard: Guard::Settings,
        ..Resource::BASE
    }
}

/// `organization-types`.
pub static ORGANIZATION_TYPES: Resource = named(
    "organization-types",
    "organization_types",
    "OrganizationType",
    &[NAME, CREATED, UPDATED],
);

/// `organization-statuses`.
pub static ORGANIZATION_STATUSES: Resource = named(
    "organization-statuses",
    "organization_statuses",
    "OrganizationStatus",
    &[NAME, CREATED, UPDATED],
);

/// `configuration-types`, with `configurations-count`; `kind` is Mortar's source of a configuration's
/// `configuration-type-kind` (the reference shows that attribute but not where it comes from).
pub static CONFIGURATION_TYPES: Resource = named(
    "configuration-types",
    "configuration_types",
    "ConfigurationType",
    &[
        NAME,
        column!("kind", Text).max_len(64),
        reference_count!(
            "configurations_count",
            "configurations.configuration_type_id"
        ),
        CREATED,
        UPDATED,
    ],
);

/// `configuration-statuses`.
pub static CONFIGURATION_STATUSES: Resource = named(
    "configuration-statuses",
    "configuration_statuses",
    "ConfigurationStatus",
    &[NAME, CREATED, UPDATED],
);

/// `contact-types`.
pub static CONTACT_TYPES: Resource = named(
    "contact-types",
    "contact_types",
    "ContactType",
    &[NAME, CREATED, UPDATED],
);

/// `password-categories`; `passwords-count` counts the category's passwords.
pub static PASSWORD_CATEGORIES: Resource = named(
    "password-categories",
    "password_categories",
    "PasswordCategory",
    &[NAME, PASSWORDS_COUNT, CREATED, UPDATED],
);

const PASSWORDS_COUNT: Field =
    reference_count!("passwords_count", "passwords.password_category_id");

/// `manufacturers`; `include=models` lists a manufacturer's models.
pub static MANUFACTURERS: Resource = Resource {
    includes: &[Include {
        name: "models",
        target: IncludeTarget::HasMany {
            resource: &MODELS,
            foreign_key: "manufacturer_id",
        },
        show_only: false,
    }],
    ..named(
        "manufacturers",
        "manufacturers",
        "Manufacturer",
        &[NAME, CREATED, UPDATED],
    )
};

/// `models`, also under `/manufacturers/:id/relationships/models` (bulk create there).
pub static MODELS: Resource = Resource {
    json_type: "models",
    route: "models",
    table: "models",
    class: "Model",
    guard: Guard::Settings,
    fields: &[
        column!("name", Text).required(),
        column!("manufacturer_id", Int).references("manufacturers"),
        Field::computed("manufacturer_name", "m.name", ColumnType::Text),
        CREATED,
        UPDATED,
    ],
    joins: &[super::Join {
        alias: "m",
        sql: "LEFT JOIN manufacturers m ON m.id = t.manufacturer_id",
    }],
    filters: &[
        filter!("id", Int),
        filter!("name", Text),
        filter!("manufacturer_id", Int),
    ],
    sorts: &[Sort::on("manufacturer_id", "t.manufacturer_id")],
    includes: &[Include {
        name: "manufacturer",
        target: IncludeTarget::BelongsTo {
            resource: &MANUFACTURERS,
            field: "manufacturer_id",
        },
        show_only: false,
    }],
    under: &[Parent::new(
        "manufacturers",
        "manufacturers",
        "manufacturer_id",
    )],
    ops: Ops {
        bulk_update: true,
        ..Ops::EDITABLE
    },
    ..Resource::BASE
};
