//! Global, read-only reference data: platforms, operating systems, countries
//! and regions (seed sections of the same names). Loaded from `data/` at start-up.

use super::{
    ColumnType, Field, Filter, Include, IncludeTarget, Join, Ops, Parent, Resource, Scoping, Sort,
};

const fn global(
    json_type: &'static str,
    route: &'static str,
    class: &'static str,
    fields: &'static [Field],
    filters: &'static [Filter],
) -> Resource {
    Resource {
        json_type,
        route,
        table: route,
        class,
        scoping: Scoping::Global,
        fields,
        filters,
        ops: Ops::READ_ONLY,
        ..Resource::BASE
    }
}

const NAME: Field = Field::computed("name", "t.name", ColumnType::Text);
const ISO: Field = Field::computed("iso", "t.iso", ColumnType::Text);
const CREATED: Field = Field::created_at();
const UPDATED: Field = Field::updated_at();

/// `platforms`: Windows, macOS, Linux, ...
pub static PLATFORMS: Resource = global(
    "platforms",
    "platforms",
    "Platform",
    &[NAME, CREATED, UPDATED],
    &[filter!("id", Int), filter!("name", Text)],
);

/// `operating-systems`, each on one platform.
pub static OPERATING_SYSTEMS: Resource = Resource {
    fields: &[
        NAME,
        Field::computed("platform_id", "t.platform_id", ColumnType::Int),
        Field::computed("platform_name", "p.name", ColumnType::Text),
        CREATED,
        UPDATED,
    ],
    joins: &[Join {
        alias: "p",
        sql: "JOIN platforms p ON p.id = t.platform_id",
    }],
    sorts: &[
        Sort::on("platform_id", "t.platform_id"),
        Sort::joined("platform_name", "p.name", "p"),
    ],
    includes: &[Include {
        name: "platform",
        target: IncludeTarget::BelongsTo {
            resource: &PLATFORMS,
            field: "platform_id",
        },
        show_only: false,
    }],
    ..global(
        "operating-systems",
        "operating_systems",
        "OperatingSystem",
        &[],
        &[
            filter!("id", Int),
            filter!("name", Text),
            filter!("platform_id", Int),
        ],
    )
};

/// `countries`: every ISO 3166-1 country.
pub static COUNTRIES: Resource = Resource {
    sorts: &[Sort::on("iso", "t.iso")],
    includes: &[Include {
        name: "regions",
        target: IncludeTarget::HasMany {
            resource: &REGIONS,
            foreign_key: "country_id",
        },
        show_only: true,
    }],
    ..global(
        "countries",
        "countries",
        "Country",
        &[NAME, ISO, CREATED, UPDATED],
        &[
            filter!("id", Int),
            filter!("name", Text),
            filter!("iso", Text),
        ],
    )
};

/// `regions`: ISO 3166-2 subdivisions, also under `/countries/:id/relationships/regions`.
pub static REGIONS: Resource = Resource {
    fields: &[
        NAME,
        ISO,
        Field {
            column: Some("country_id"),
            ..Field::computed("country_id", "t.country_id", ColumnType::Int)
        },
        Field::computed("country_name", "c.name", ColumnType::Text),
        CREATED,
        UPDATED,
    ],
    joins: &[Join {
        alias: "c",
        sql: "JOIN countries c ON c.id = t.country_id",
    }],
    sorts: &[
        Sort::on("iso", "t.iso"),
        Sort::on("country_id", "t.country_id"),
    ],
    includes: &[Include {
        name: "country",
        target: IncludeTarget::BelongsTo {
            resource: &COUNTRIES,
            field: "country_id",
        },
        show_only: false,
    }],
    under: &[Parent::new("countries", "countries", "country_id")],
    ..global(
        "regions",
        "regions",
        "Region",
        &[],
        &[
            filter!("id", Int),
            filter!("name", Text),
            filter!("iso", Text),
            filter!("country_id", Int),
        ],
    )
};
