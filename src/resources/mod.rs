//! Declarative resource definitions.
//!
//! A resource type is data: its JSON:API type, table, fields, filters, sorts,
//! includes, parent routes and allowed operations. The generic machinery in
//! `http::handlers` and `store` serves every type from its definition, so a new
//! type is a definition here, a migration pair and tests. Behaviour that data
//! cannot express goes in a [`Hooks`] implementation.

/// A writable column `name`, read as `t.<name>`, of `ColumnType::<type>`:
/// `column!("hostname", Text)`.
macro_rules! column {
    ($name:literal, $type:ident) => {
        $crate::resources::Field::column(
            $name,
            concat!("t.", $name),
            $crate::store::ColumnType::$type,
        )
    };
}

/// An exact-match filter on the column `name` of the table itself, of
/// `ColumnType::<type>`: `filter!("organization_id", Int)`.
macro_rules! filter {
    ($name:literal, $type:ident) => {
        $crate::resources::Filter::exact(
            $name,
            concat!("t.", $name),
            $crate::store::ColumnType::$type,
        )
    };
}

pub mod attachments;
pub mod catalog;
pub mod configurations;
pub mod contacts;
pub mod documents;
pub mod domains;
pub mod expirations;
pub mod exports;
pub mod flexible_asset_types;
pub mod flexible_assets;
mod hooks;
pub mod locations;
pub mod logs;
pub mod organizations;
mod owned;
pub mod passwords;
mod reference;
pub mod registry;
pub mod related_items;
pub mod users;

pub use crate::store::ColumnType;
pub use hooks::{
    AfterWrite, BeforeDelete, BoxFuture, Change, Decorate, Decorations, Hooks, Lookup, Nested,
    NewRecord, NoHooks, QueryPurpose, RevealedPassword, Secrets, WriteContext, WriteEnv,
};

/// Every resource type the API serves, in route-registration order.
pub static ALL: &[&Resource] = &[
    &organizations::ORGANIZATIONS,
    &catalog::ORGANIZATION_TYPES,
    &catalog::ORGANIZATION_STATUSES,
    &catalog::CONFIGURATION_TYPES,
    &catalog::CONFIGURATION_STATUSES,
    &catalog::CONTACT_TYPES,
    &catalog::PASSWORD_CATEGORIES,
    &catalog::MANUFACTURERS,
    &catalog::MODELS,
    &locations::LOCATIONS,
    &contacts::CONTACTS,
    &configurations::CONFIGURATIONS,
    &configurations::CONFIGURATION_INTERFACES,
    &domains::DOMAINS,
    &documents::DOCUMENTS,
    &documents::DOCUMENT_VERSIONS,
    &related_items::RELATED_ITEMS,
    &attachments::ATTACHMENTS,
    &expirations::EXPIRATIONS,
    &passwords::PASSWORDS,
    &passwords::PASSWORD_VERSIONS,
    &flexible_asset_types::FLEXIBLE_ASSET_TYPES,
    &flexible_asset_types::FLEXIBLE_ASSET_FIELDS,
    &flexible_assets::FLEXIBLE_ASSETS,
    &flexible_assets::FLEXIBLE_ASSET_VERSIONS,
    &reference::PLATFORMS,
    &reference::OPERATING_SYSTEMS,
    &reference::COUNTRIES,
    &reference::REGIONS,
    &logs::LOGS,
    &users::USERS,
    &users::GROUPS,
    &users::USER_METRICS,
    &exports::EXPORTS,
];

/// Whether and how a client may write a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Computed by the server; ignored when a client sends it.
    ReadOnly,
    /// Writable on create and update.
    Writable {
        /// Must be present (and not null) on create.
        required: bool,
        /// May be set to null.
        nullable: bool,
    },
    /// Writable on create only; ignored on update.
    CreateOnly {
        /// Must be present (and not null) on create.
        required: bool,
        /// May be set to null.
        nullable: bool,
    },
}

/// One attribute of a resource.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Underscored name; responses dash it.
    pub name: &'static str,
    /// SQL expression that reads it, over the table alias `t` and the resource's joins.
    pub expr: &'static str,
    /// The column written, for writable fields.
    pub column: Option<&'static str>,
    /// How values are stored, checked and rendered.
    pub column_type: ColumnType,
    /// Write rules.
    pub access: Access,
    /// Longest accepted text, in characters.
    pub max_len: Option<usize>,
    /// In list responses, text is cut to this many characters (organization quick notes).
    pub list_len: Option<usize>,
    /// For `*_id` fields: the table the id must name, in the caller's account.
    pub references: Option<Reference>,
    /// When not empty, the only accepted values.
    pub one_of: &'static [&'static str],
    /// Whether the value is unique, and among which records (a clash is a
    /// 422 on this field; the database's constraint enforces it).
    pub unique: Option<Unique>,
    /// A secret: written through the resource's hooks (sealed), never read by
    /// the generic machinery, shown only through [`Hooks::reveal`].
    pub secret: bool,
    /// Accepted in requests but never part of a response (an attachment's
    /// file content, which a hook turns into stored columns).
    pub write_only: bool,
    /// A path on this server (read by `expr`), rendered as an absolute URL
    /// under the request's link origin (an attachment's `download-url`).
    pub link: bool,
}

/// Among which records a field's value is unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// Among all records of the type in the account.
    InAccount,
    /// Among the records that share the value of this column.
    Within(&'static str),
}

/// A date column of a record that makes an expiration.
#[derive(Debug, Clone, Copy)]
pub struct Expiry {
    /// The column holding the date.
    pub column: &'static str,
    /// `Date` (`YYYY-MM-DD` text) or `Timestamp` (epoch ms).
    pub column_type: ColumnType,
    /// The expiration's `description`.
    pub description: &'static str,
}

/// Which records hang off a record type by `resource_type` + `resource_id`
/// (the registry derives routes, class names and cascades from this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Carries {
    /// Attachments, routed under `/{route}/:id/relationships/attachments`.
    pub attachments: bool,
    /// Related items made from it, routed likewise.
    pub related_items: bool,
    /// Embedded passwords (`resource_type` of a password).
    pub passwords: bool,
    /// Whether a related item may point at it.
    pub linkable: bool,
}

impl Carries {
    /// Nothing hangs off it.
    pub const NOTHING: Carries = Carries {
        attachments: false,
        related_items: false,
        passwords: false,
        linkable: false,
    };
    /// Attachments, related items both ways, and embedded passwords.
    pub const EVERYTHING: Carries = Carries {
        attachments: true,
        related_items: true,
        passwords: true,
        linkable: true,
    };
}

/// What a polymorphic child hangs off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owners {
    /// Only its fixed parents ([`Resource::under`]).
    Fixed,
    /// Every record type whose [`Carries`] has attachments.
    CarryingAttachments,
    /// Every record type whose [`Carries`] has related items.
    CarryingRelatedItems,
}

/// The target of a foreign key held in a field.
#[derive(Debug, Clone, Copy)]
pub struct Reference {
    /// Target table.
    pub table: &'static str,
    /// Whether the target table is account-scoped (false for global reference data).
    pub scoped: bool,
}

impl Field {
    /// Whether the API never lets the field be NULL (required, or never set
    /// to null); its column is declared `NOT NULL`.
    pub const fn never_null(&self) -> bool {
        matches!(
            self.access,
            Access::Writable {
                nullable: false,
                ..
            } | Access::CreateOnly {
                nullable: false,
                ..
            }
        )
    }

    const fn base(name: &'static str, column_type: ColumnType) -> Field {
        Field {
            name,
            expr: "",
            column: None,
            column_type,
            access: Access::ReadOnly,
            max_len: None,
            list_len: None,
            references: None,
            one_of: &[],
            unique: None,
            secret: false,
            write_only: false,
            link: false,
        }
    }

    /// A writable, nullable column `name` of `kind`, read as `t.name`.
    pub const fn column(name: &'static str, expr: &'static str, kind: ColumnType) -> Field {
        let mut f = Field::base(name, kind);
        f.expr = expr;
        f.column = Some(name);
        f.access = Access::Writable {
            required: false,
            nullable: true,
        };
        if matches!(kind, ColumnType::Text) {
            f.max_len = Some(255);
        }
        f
    }

    /// A read-only value computed by `expr`.
    pub const fn computed(name: &'static str, expr: &'static str, kind: ColumnType) -> Field {
        let mut f = Field::base(name, kind);
        f.expr = expr;
        f
    }

    /// Written to `column` rather than the column named like the field.
    pub const fn stored_in(mut self, column: &'static str) -> Field {
        self.column = Some(column);
        self
    }

    /// Required on create, never null.
    pub const fn required(mut self) -> Field {
        self.access = Access::Writable {
            required: true,
            nullable: false,
        };
        self
    }

    /// Optional, but never null.
    pub const fn not_null(mut self) -> Field {
        self.access = match self.access {
            Access::CreateOnly { required, .. } => Access::CreateOnly {
                required,
                nullable: false,
            },
            Access::Writable { required, .. } => Access::Writable {
                required,
                nullable: false,
            },
            other => other,
        };
        self
    }

    /// Written on create only (still required, if it was).
    pub const fn create_only(mut self) -> Field {
        self.access = match self.access {
            Access::Writable { required, nullable } => Access::CreateOnly { required, nullable },
            _ => Access::CreateOnly {
                required: false,
                nullable: true,
            },
        };
        self
    }

    /// Stored by the server but not writable through the API.
    pub const fn read_only(mut self) -> Field {
        self.access = Access::ReadOnly;
        self
    }

    /// Longest accepted text.
    pub const fn max_len(mut self, n: usize) -> Field {
        self.max_len = Some(n);
        self
    }

    /// Text with no length limit (notes, HTML).
    pub const fn long_text(mut self) -> Field {
        self.max_len = None;
        self
    }

    /// Cut to `n` characters in lists.
    pub const fn list_len(mut self, n: usize) -> Field {
        self.list_len = Some(n);
        self
    }

    /// Must name a row of `table` in the caller's account.
    pub const fn references(mut self, table: &'static str) -> Field {
        self.references = Some(Reference {
            table,
            scoped: true,
        });
        self
    }

    /// Must name a row of global reference data in `table`.
    pub const fn references_global(mut self, table: &'static str) -> Field {
        self.references = Some(Reference {
            table,
            scoped: false,
        });
        self
    }

    /// Unique per account.
    pub const fn unique(mut self) -> Field {
        self.unique = Some(Unique::InAccount);
        self
    }

    /// Unique among the records that share the value of `column` (a field
    /// name within its type).
    pub const fn unique_within(mut self, column: &'static str) -> Field {
        self.unique = Some(Unique::Within(column));
        self
    }

    /// A secret, sealed by the vault (see [`Field::secret`]).
    pub const fn secret(name: &'static str) -> Field {
        let mut f = Field::base(name, ColumnType::Text);
        f.expr = "CAST(NULL AS TEXT)";
        f.column = Some(name);
        f.access = Access::Writable {
            required: false,
            nullable: true,
        };
        f.secret = true;
        f
    }

    /// A create-only request value of `kind` that is never shown; the
    /// resource's hooks take it out of the column values before the insert.
    pub const fn write_only(name: &'static str, kind: ColumnType) -> Field {
        let mut f = Field::base(name, kind);
        f.expr = "CAST(NULL AS TEXT)";
        f.column = Some(name);
        f.access = Access::CreateOnly {
            required: false,
            nullable: false,
        };
        f.write_only = true;
        f
    }

    /// A value a request may send on create and update but that is no
    /// column and never part of a response: the resource's hooks take it
    /// out of the column values (a type's inline `fields`). A read-only
    /// field of the same name may show the attribute's response form (a
    /// user's `avatar`: an image in requests, its URL in responses).
    pub const fn request_only(name: &'static str, column_type: ColumnType) -> Field {
        let mut f = Field::base(name, column_type);
        f.expr = "CAST(NULL AS TEXT)";
        f.column = Some(name);
        f.access = Access::Writable {
            required: false,
            nullable: true,
        };
        f.write_only = true;
        f
    }

    /// A read-only link: `expr` gives a path on this server (`/attachments/1/download`),
    /// and responses show it as an absolute URL that follows the configured
    /// public URL or the client's Host, as list links do.
    pub const fn link(name: &'static str, expr: &'static str) -> Field {
        let mut f = Field::base(name, ColumnType::Text);
        f.expr = expr;
        f.link = true;
        f
    }

    /// Limited to these values.
    pub const fn one_of(mut self, values: &'static [&'static str]) -> Field {
        self.one_of = values;
        self
    }

    /// The standard `created_at` timestamp.
    pub const fn created_at() -> Field {
        Field::computed("created_at", "t.created_at", ColumnType::Timestamp)
    }

    /// The standard `updated_at` timestamp.
    pub const fn updated_at() -> Field {
        Field::computed("updated_at", "t.updated_at", ColumnType::Timestamp)
    }

    /// Whether clients may write this field at all.
    pub fn writable(&self) -> bool {
        !matches!(self.access, Access::ReadOnly)
    }
}

/// A join that brings computed names (e.g. `organization_type_name`) into a row.
#[derive(Debug, Clone, Copy)]
pub struct Join {
    /// The alias the join introduces; sorts name it to pull the join into the page query.
    pub alias: &'static str,
    /// The whole join clause, e.g. `LEFT JOIN organization_types ot ON ot.id = t.organization_type_id`.
    pub sql: &'static str,
}

/// A table of pairs that links two record types many to many (a group's
/// members, the organizations given to a group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkTable {
    /// The table.
    pub table: &'static str,
    /// Its column holding the id of a record of this type.
    pub here: &'static str,
    /// Its column holding the id of a record at the other end.
    pub there: &'static str,
}

/// How a filter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterHow {
    /// Equal to any value of a comma list.
    Exact,
    /// `start, end` range with `*` for an open end: days or times on
    /// timestamps, days on dates.
    DateRange,
    /// Records linked through a [`LinkTable`] to any of the given ids
    /// (organizations' `filter[group_id]`).
    Linked(LinkTable),
    /// Accepted for compatibility, but Mortar keeps no such data, so nothing matches
    /// (PSA/RMM integration ids, groups). `partner` must accompany it when set.
    Unmatched {
        /// The filter that must be given together with this one.
        partner: Option<&'static str>,
        /// Accepted values, when enumerated.
        one_of: &'static [&'static str],
    },
}

/// A `filter[name]` a resource accepts.
#[derive(Debug, Clone, Copy)]
pub struct Filter {
    /// Underscored name.
    pub name: &'static str,
    /// SQL expression compared, over `t`.
    pub expr: &'static str,
    /// Type of the compared values.
    pub column_type: ColumnType,
    /// Comparison.
    pub how: FilterHow,
    /// Also accepted as `filter[exclude][name]`.
    pub exclude: bool,
    /// Also accepted as `filter[range][name]`.
    pub range: bool,
    /// Brings each filter value to the stored form (MAC and IP notations),
    /// as writes do; a value it cannot read is compared as given.
    pub normalize: Option<fn(&str) -> Option<String>>,
}

impl Filter {
    /// An exact-match filter.
    pub const fn exact(name: &'static str, expr: &'static str, kind: ColumnType) -> Filter {
        Filter {
            name,
            expr,
            column_type: kind,
            how: FilterHow::Exact,
            exclude: false,
            range: false,
            normalize: None,
        }
    }

    /// A `start, end` timestamp range filter.
    pub const fn date_range(name: &'static str, expr: &'static str) -> Filter {
        Filter {
            name,
            expr,
            column_type: ColumnType::Timestamp,
            how: FilterHow::DateRange,
            exclude: false,
            range: false,
            normalize: None,
        }
    }

    /// Records linked through `link` to any of a comma list of ids.
    pub const fn linked(name: &'static str, link: LinkTable) -> Filter {
        Filter {
            name,
            expr: "t.id",
            column_type: ColumnType::Int,
            how: FilterHow::Linked(link),
            exclude: false,
            range: false,
            normalize: None,
        }
    }

    /// A `start, end` range of calendar days on a `YYYY-MM-DD` column.
    pub const fn day_range(name: &'static str, expr: &'static str) -> Filter {
        Filter {
            name,
            expr,
            column_type: ColumnType::Date,
            how: FilterHow::DateRange,
            exclude: false,
            range: false,
            normalize: None,
        }
    }

    /// A filter on data Mortar does not hold; it validates and matches nothing.
    pub const fn unmatched(
        name: &'static str,
        partner: Option<&'static str>,
        one_of: &'static [&'static str],
    ) -> Filter {
        Filter {
            name,
            expr: "",
            column_type: ColumnType::Text,
            how: FilterHow::Unmatched { partner, one_of },
            exclude: false,
            range: false,
            normalize: None,
        }
    }

    /// Also accepted as `filter[exclude][...]`.
    pub const fn with_exclude(mut self) -> Filter {
        self.exclude = true;
        self
    }

    /// Also accepted as `filter[range][...]`.
    pub const fn with_range(mut self) -> Filter {
        self.range = true;
        self
    }

    /// Values are brought to the stored form by `normalize` before comparing.
    pub const fn normalized(mut self, normalize: fn(&str) -> Option<String>) -> Filter {
        self.normalize = Some(normalize);
        self
    }
}

/// A `sort` field a resource accepts.
#[derive(Debug, Clone, Copy)]
pub struct Sort {
    /// Underscored name.
    pub name: &'static str,
    /// SQL expression sorted on.
    pub expr: &'static str,
    /// Alias of the join the expression needs, if any.
    pub join: Option<&'static str>,
    /// Whether the expression is never NULL (an id, a record's timestamps,
    /// a required name): the records after a descending cursor then lie on
    /// one side of its value, which bounds the read of the sort's index.
    pub never_null: bool,
}

impl Sort {
    /// A sort on an expression over `t`.
    pub const fn on(name: &'static str, expr: &'static str) -> Sort {
        Sort {
            name,
            expr,
            join: None,
            never_null: false,
        }
    }

    /// A sort on a joined (computed) column.
    pub const fn joined(name: &'static str, expr: &'static str, join: &'static str) -> Sort {
        Sort {
            name,
            expr,
            join: Some(join),
            never_null: false,
        }
    }

    /// This sort, on an expression that is never NULL.
    pub const fn never_null(self) -> Sort {
        Sort {
            never_null: true,
            ..self
        }
    }
}

/// What an `include` name brings.
#[derive(Debug, Clone, Copy)]
pub enum IncludeTarget {
    /// A concept Mortar does not model (integration data, access lists): an empty relationship.
    Unmodelled,
    /// Records of `resource` that belong to this record through their
    /// `resource_type` (this resource's `class`) and `resource_id` columns:
    /// embedded passwords, attachments, related items.
    Polymorphic {
        /// The related resource; it has a `resource_id` field.
        resource: &'static Resource,
        /// Also the records whose `destination_type` and `destination_id`
        /// name this one: related items seen from their destination (their
        /// attributes say which way they point).
        inbound: bool,
    },
    /// Records of `resource` whose `foreign_key` column holds this record's id.
    HasMany {
        /// The related resource.
        resource: &'static Resource,
        /// Its column pointing back here.
        foreign_key: &'static str,
    },
    /// Records of `resource` linked to this one through a [`LinkTable`]
    /// (a group's users).
    Linked {
        /// The related resource.
        resource: &'static Resource,
        /// The pairs.
        link: LinkTable,
    },
    /// The record of `resource` named by this record's `field`.
    BelongsTo {
        /// The related resource.
        resource: &'static Resource,
        /// The field of this resource holding the id.
        field: &'static str,
    },
}

/// An `include` name a resource accepts.
#[derive(Debug, Clone, Copy)]
pub struct Include {
    /// Underscored name.
    pub name: &'static str,
    /// What it brings.
    pub target: IncludeTarget,
    /// Accepted on show routes only.
    pub show_only: bool,
}

/// A parent under which the resource is also routed:
/// `/{route}/:parent_id/relationships/{resource route}`.
#[derive(Debug, Clone, Copy)]
pub struct Parent {
    /// The parent's route segment, e.g. `organizations`.
    pub route: &'static str,
    /// The parent's table.
    pub table: &'static str,
    /// The child's field holding the parent id.
    pub field: &'static str,
    /// For polymorphic children (attachments, related items): the parent's
    /// class-style name, held in the child's `resource_type` column.
    pub class: Option<&'static str>,
}

impl Parent {
    /// A parent whose id the child holds in `field`.
    pub const fn new(route: &'static str, table: &'static str, field: &'static str) -> Parent {
        Parent {
            route,
            table,
            field,
            class: None,
        }
    }

    /// A parent of a polymorphic child, stored in table `route`: the child's
    /// `resource_id` holds its id and `resource_type` its class-style name.
    pub const fn polymorphic(route: &'static str, class: &'static str) -> Parent {
        Parent {
            route,
            table: route,
            field: "resource_id",
            class: Some(class),
        }
    }
}

/// Which operations a resource offers.
#[derive(Debug, Clone, Copy)]
pub struct Ops {
    /// `GET /things`.
    pub list: bool,
    /// `GET /things/:id`.
    pub show: bool,
    /// `POST /things` (and bulk `POST` on nested routes).
    pub create: bool,
    /// `PATCH /things/:id`.
    pub update: bool,
    /// `PATCH /things` with an array or a filter.
    pub bulk_update: bool,
    /// `DELETE /things` with ids or a filter.
    pub bulk_delete: bool,
    /// `DELETE /things/:id`.
    pub delete: bool,
    /// Whether the top-level routes exist (false: only under a parent).
    pub top_level: bool,
    /// Whether `GET /things` lists (false: lists only under a parent, as
    /// flexible asset fields are).
    pub list_top_level: bool,
}

impl Ops {
    /// No route at all: records reached only through an include (the
    /// versions of passwords, documents and flexible assets).
    pub const INCLUDED_ONLY: Ops = Ops {
        list: false,
        show: false,
        ..Ops::READ_ONLY
    };
    /// Read-only: list and show.
    pub const READ_ONLY: Ops = Ops {
        list: true,
        show: true,
        create: false,
        update: false,
        bulk_update: false,
        bulk_delete: false,
        delete: false,
        top_level: true,
        list_top_level: true,
    };
    /// List, show, create and update (the catalog types of the reference).
    pub const EDITABLE: Ops = Ops {
        list: true,
        show: true,
        create: true,
        update: true,
        bulk_update: false,
        bulk_delete: false,
        delete: false,
        top_level: true,
        list_top_level: true,
    };
    /// Children routed only under their record (attachments, related items):
    /// create one or many, change one, delete many.
    pub const UNDER_RECORD: Ops = Ops {
        list: false,
        show: false,
        create: true,
        update: true,
        bulk_update: false,
        bulk_delete: true,
        delete: false,
        top_level: false,
        list_top_level: false,
    };
    /// Every operation.
    pub const ALL: Ops = Ops {
        list: true,
        show: true,
        create: true,
        update: true,
        bulk_update: true,
        bulk_delete: true,
        delete: true,
        top_level: true,
        list_top_level: true,
    };
}

/// Whose rows a table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scoping {
    /// Every row belongs to one account; every query is scoped by it.
    Account,
    /// Shared reference data, the same for every account.
    Global,
}

/// A resource type: everything the generic machinery needs to serve it.
pub struct Resource {
    /// JSON:API type, dashed: `organization-types`.
    pub json_type: &'static str,
    /// Route segment, underscored: `organization_types`.
    pub route: &'static str,
    /// Table name.
    pub table: &'static str,
    /// Class-style name in the activity log: `OrganizationType`.
    pub class: &'static str,
    /// The field that names a record in the activity log.
    pub title_field: &'static str,
    /// Column holding the owning organization, if any (activity log, tenancy of children).
    pub organization_column: Option<&'static str>,
    /// Account-owned or global.
    pub scoping: Scoping,
    /// Attributes, in response order.
    pub fields: &'static [Field],
    /// Joins bringing computed names.
    pub joins: &'static [Join],
    /// Accepted filters.
    pub filters: &'static [Filter],
    /// Accepted sort fields.
    pub sorts: &'static [Sort],
    /// Accepted include names.
    pub includes: &'static [Include],
    /// Includes whose relationships every response renders, asked for or
    /// not (their records fill `included` only when asked for).
    pub relationships: &'static [&'static str],
    /// Fixed parent routes; [`Resource::parents`] adds the polymorphic ones.
    pub under: &'static [Parent],
    /// For polymorphic children: which record types they hang off.
    pub owners: Owners,
    /// What hangs off records of this type.
    pub carries: Carries,
    /// Dates that make expirations.
    pub expirations: &'static [Expiry],
    /// Whether writes make activity entries (not for history rows such as versions).
    pub logged: bool,
    /// Whether a create may carry files (an attachment's content), and so
    /// may also come as `multipart/form-data`.
    pub takes_files: bool,
    /// Whether values of this type may hold secrets its hooks seal and
    /// reveal (flexible assets' Password traits): reads then follow the
    /// secrets policy as for secret fields.
    pub nested_secrets: bool,
    /// Offered operations.
    pub ops: Ops,
    /// Condition every read adds, e.g. the 30-day window of the activity log (`?` is "now").
    pub window_days: Option<i64>,
    /// Highest page number a list serves (logs: 5).
    pub max_page: Option<u32>,
    /// Which row of the role table guards writes to it.
    pub guard: crate::roles::Guard,
    /// Behaviour beyond data.
    pub hooks: &'static dyn Hooks,
    /// Which fields global search indexes, if records of this type are
    /// searchable.
    pub search: Option<&'static Search>,
}

/// The fields global search indexes for a resource: never a secret.
#[derive(Debug)]
pub struct Search {
    /// The number, 1 to 31, that keys this type's entries in the search
    /// index (see `store::search`). Stored in every entry: never changed
    /// or reused.
    pub code: i64,
    /// Fields making the title (ranked highest).
    pub title: &'static [&'static str],
    /// Fields making the body. Text values go in as they are (HTML
    /// stripped of its tags); JSON values contribute their string leaves.
    pub body: &'static [&'static str],
}

impl Resource {
    /// Every member at its plain value; definitions spell out what differs
    /// (`..Resource::BASE`), so a new member touches no definition.
    pub const BASE: Resource = Resource {
        json_type: "",
        route: "",
        table: "",
        class: "",
        title_field: "name",
        organization_column: None,
        scoping: Scoping::Account,
        fields: &[],
        joins: &[],
        filters: &[],
        sorts: &[],
        includes: &[],
        relationships: &[],
        under: &[],
        owners: Owners::Fixed,
        carries: Carries::NOTHING,
        expirations: &[],
        logged: true,
        takes_files: false,
        nested_secrets: false,
        ops: Ops::ALL,
        window_days: None,
        max_page: None,
        guard: crate::roles::Guard::Documentation,
        hooks: &NoHooks,
        search: None,
    };

    /// Every route parent: the fixed ones and, for polymorphic children,
    /// each record type that carries them.
    pub fn parents(&self) -> &'static [Parent] {
        registry::parents(self)
    }

    /// The cell of field `name` in `record` (read with this definition).
    pub fn cell<'a>(
        &self,
        record: &'a crate::store::Record,
        name: &str,
    ) -> Option<&'a crate::store::Cell> {
        let index = self.fields.iter().position(|f| f.name == name)?;
        record.cells.get(index)
    }

    /// Whether records of this type hold secrets: a secret field, or
    /// secrets nested in values.
    pub fn has_secrets(&self) -> bool {
        self.nested_secrets || self.fields.iter().any(|f| f.secret)
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The column the title field is stored in; `None` when the title is
    /// computed from other columns.
    pub fn title_column(&self) -> Option<&'static str> {
        self.field(self.title_field).and_then(|f| f.column)
    }
}

impl std::fmt::Debug for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resource")
            .field("json_type", &self.json_type)
            .finish()
    }
}

/// The resource served at route segment `route` (dashes already normalised).
pub fn by_route(route: &str) -> Option<&'static Resource> {
    ALL.iter().copied().find(|r| r.route == route)
}
