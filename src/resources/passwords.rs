//! `passwords` (seed section "Passwords"): general passwords, and embedded
//! ones that belong to another record of the same organization.
//!
//! The `password` and `otp-secret` values are sealed by the vault on write
//! ([`PasswordHooks`]); each change of either keeps the previous sealed
//! values as a version (`include=recent_versions`, `?version_id=`). Values
//! leave the server only through [`Hooks::reveal`], which the handlers call
//! for keys with password access and audit first.

use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use super::owned;
use super::{
    registry, AfterWrite, BoxFuture, Carries, ColumnType, Decorate, Decorations, Field, Hooks,
    Include, IncludeTarget, Join, Nested, NewRecord, Ops, Resource, Secrets, Sort, WriteContext,
};
use crate::clock::now_millis;
use crate::error::{Error, Invalid, Result};
use crate::store::{Arg, Cell, Lock, Match, Scope, Tx, Values};
use crate::vault::{totp, Place};

/// The reference's `resource_type` values of embedded passwords; the types
/// Mortar stores are those whose definitions carry passwords.
const RESOURCE_TYPES: &[&str] = &[
    "Configuration",
    "Contact",
    "Document",
    "Domain",
    "Location",
    "SSL Certificate",
    "Flexible Asset",
    "Ticket",
];

const TABLE: &str = "passwords";

/// The `resource-type` of the passwords that flexible assets' Password
/// traits keep (the reference's spelling); made only by those traits.
pub const TRAIT_CLASS: &str = "flexible-asset-trait";

/// `passwords`, also under `/organizations/:id/relationships/passwords`.
pub static PASSWORDS: Resource = Resource {
    json_type: "passwords",
    route: "passwords",
    table: TABLE,
    class: "Password",
    search: Some(&super::Search {
        code: 7,
        title: &["name"],
        body: &["username", "url"],
    }),
    organization_column: Some("organization_id"),
    fields: &[
        owned::ORGANIZATION_ID,
        owned::ORGANIZATION_NAME,
        owned::RESOURCE_URL,
        owned::RESTRICTED,
        owned::MY_GLUE,
        column!("name", Text).required(),
        column!("autofill_selectors", Text).long_text(),
        column!("username", Text),
        Field::secret("password"),
        Field::secret("otp_secret"),
        column!("url", Text).max_len(2048),
        column!("notes", Text).long_text(),
        column!("password_updated_at", Timestamp),
        Field::computed("updated_by", "t.updated_by", ColumnType::Int),
        column!("resource_id", Int).create_only(),
        column!("resource_type", Text)
            .create_only()
            .one_of(RESOURCE_TYPES),
        Field::computed(
            "cached_resource_type_name",
            "t.cached_resource_type_name",
            ColumnType::Text,
        ),
        Field::computed(
            "cached_resource_name",
            "t.cached_resource_name",
            ColumnType::Text,
        ),
        column!("password_category_id", Int).references("password_categories"),
        Field::computed("password_category_name", "pc.name", ColumnType::Text),
        owned::ARCHIVED,
        column!("is_live", Bool).not_null(),
        column!("generated_password_type", Text).max_len(64),
        Field::created_at(),
        Field::updated_at(),
    ],
    joins: &[
        owned::ORGANIZATION_JOIN,
        Join {
            alias: "pc",
            sql: "LEFT JOIN password_categories pc ON pc.id = t.password_category_id",
        },
    ],
    filters: &[
        filter!("id", Int),
        filter!("name", Text),
        filter!("organization_id", Int),
        filter!("password_category_id", Int),
        filter!("url", Text),
        filter!("cached_resource_name", Text),
        filter!("archived", Bool),
        filter!("resource_type", Text),
        filter!("resource_id", Int),
    ],
    sorts: &[Sort::on("username", "t.username"), Sort::on("url", "t.url")],
    includes: &[
        Include {
            name: "recent_versions",
            target: IncludeTarget::HasMany {
                resource: &PASSWORD_VERSIONS,
                foreign_key: "password_id",
            },
            show_only: true,
        },
        Include {
            name: "password_category",
            target: IncludeTarget::BelongsTo {
                resource: &super::catalog::PASSWORD_CATEGORIES,
                field: "password_category_id",
            },
            show_only: false,
        },
        owned::unmodelled("network_glue_networks", false),
        owned::ATTACHMENTS,
        owned::unmodelled("rotatable_password", false),
        owned::unmodelled("updater", false),
        owned::unmodelled("user_resource_accesses", false),
        owned::unmodelled("group_resource_accesses", false),
        owned::RELATED_ITEMS,
        owned::unmodelled("authorized_users", true),
    ],
    under: &[owned::UNDER_ORGANIZATION],
    carries: Carries {
        passwords: false,
        ..Carries::EVERYTHING
    },
    hooks: &PasswordHooks,
    ..Resource::BASE
};

/// `recent-versions`: earlier secrets of a password, without their values
/// (reached through `include=recent_versions`; not routed on its own).
pub static PASSWORD_VERSIONS: Resource = Resource {
    json_type: "recent-versions",
    route: "password_versions",
    table: "password_versions",
    class: "PasswordVersion",
    title_field: "password_id",
    fields: &[
        Field::computed("password_id", "t.password_id", ColumnType::Int),
        Field::computed("version", "t.secret_version", ColumnType::Int),
        Field::computed("api_key_id", "t.api_key_id", ColumnType::Int),
        Field::computed("created_at", "t.created_at", ColumnType::Timestamp),
    ],
    ops: Ops::INCLUDED_ONLY,
    logged: false,
    ..Resource::BASE
};

/// Sealing, versions, embedded-record checks and reveals.
pub struct PasswordHooks;

/// Where a secret of password `row` at `version` is sealed.
fn place(row: i64, column: &'static str, version: i64) -> Place<'static> {
    Place {
        table: TABLE,
        row,
        column,
        version,
    }
}

/// The sealed columns of password `id`: its secret version, password and OTP secret.
const SEALED: &[(&str, ColumnType)] = &[
    ("secret_version", ColumnType::Int),
    ("password_sealed", ColumnType::Text),
    ("otp_secret_sealed", ColumnType::Text),
];

impl Hooks for PasswordHooks {
    fn before_write<'a>(&'a self, ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let pointer = ctx.pointer;
            let mut problems = Vec::new();
            // Secrets are sealed once the row id is known (it is bound into them).
            for column in ["password", "otp_secret"] {
                if let Some(value) = ctx.values.take(column) {
                    ctx.deferred.set(column, value);
                }
            }
            match ctx.deferred.get("password") {
                Some(Arg::Text(Some(p))) if !p.is_empty() => {}
                Some(_) => problems.push(Invalid::new(
                    format!("{pointer}/password"),
                    "can't be blank",
                )),
                None if ctx.id.is_none() => {
                    problems.push(Invalid::new(format!("{pointer}/password"), "is required"))
                }
                None => {}
            }
            if let Some(Arg::Text(Some(secret))) = ctx.deferred.get("otp_secret") {
                if totp::decode_secret(secret).is_none() {
                    problems.push(Invalid::new(
                        format!("{pointer}/otp-secret"),
                        "must be a base32 TOTP secret of at least 80 bits",
                    ));
                }
            }
            if let Some(name) = category_name(ctx.relationships) {
                if ctx.values.get("password_category_id").is_none() {
                    let id = find_or_create_category(ctx.nested, &name).await?;
                    ctx.values.set("password_category_id", Arg::from(id));
                }
            }
            if ctx.id.is_none() {
                let resource_id = ctx.values.get("resource_id").and_then(Arg::as_i64);
                let resource_type = match ctx.values.get("resource_type") {
                    Some(Arg::Text(Some(t))) => Some(t.clone()),
                    _ => None,
                };
                match (resource_id, resource_type) {
                    (None, None) => {}
                    // A flexible asset's trait, made by its hooks with its names.
                    (Some(_), Some(class)) if class == TRAIT_CLASS => {}
                    (Some(id), Some(class)) => match registry::embedding(&class) {
                        None => problems.push(Invalid::new(
                            format!("{pointer}/resource-type"),
                            format!("Mortar does not store {class} records yet"),
                        )),
                        Some(resource) => {
                            let organization =
                                ctx.values.get("organization_id").and_then(Arg::as_i64);
                            match record_name(ctx.nested, resource, id, organization).await? {
                                Some(name) => {
                                    ctx.values
                                        .set("cached_resource_type_name", Arg::from(class));
                                    ctx.values.set("cached_resource_name", Arg::from(name));
                                }
                                None => problems.push(Invalid::new(
                                    format!("{pointer}/resource-id"),
                                    format!("{id} does not name a {class} of this organization"),
                                )),
                            }
                        }
                    },
                    _ => problems.push(Invalid::new(
                        format!("{pointer}/resource-id"),
                        "resource_id and resource_type go together: give both or neither",
                    )),
                }
            }
            if !problems.is_empty() {
                return Err(Error::Invalid(problems));
            }
            if let Some(id) = ctx.id {
                drop_unchanged_secrets(ctx.nested.tx(), ctx.scope, ctx.env.vault, id, ctx.deferred)
                    .await?;
            }
            if ctx.deferred.get("password").is_some()
                && ctx.values.get("password_updated_at").is_none()
            {
                ctx.values
                    .set("password_updated_at", Arg::from(now_millis()));
            }
            ctx.values.set("updated_by", Arg::Int(ctx.env.actor.key_id));
            Ok(())
        })
    }

    /// Seals new secrets under the next version, keeping the previous
    /// sealed values as a version.
    fn after_write<'a>(&'a self, ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let new_password = ctx.deferred.get("password");
            let new_otp = ctx.deferred.get("otp_secret");
            if new_password.is_none() && new_otp.is_none() {
                return Ok(());
            }
            let (vault, scope, id) = (ctx.env.vault, ctx.scope, ctx.id);
            let row = ctx
                .nested
                .tx()
                .select(scope, TABLE, SEALED, &[Match::id(id)], Lock::None)
                .await?
                .pop()
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("password vanished mid-write")))?;
            let version = row[0].as_i64().unwrap_or(0);
            // The current values (opened) carry over unless replaced.
            let current = |cell: &Cell, column| -> Result<Option<Zeroizing<String>>> {
                cell.as_str()
                    .map(|sealed| vault.open(scope, &place(id, column, version), sealed))
                    .transpose()
            };
            let password = match new_password {
                Some(Arg::Text(value)) => value.clone().map(Zeroizing::new),
                _ => current(&row[1], "password")?,
            };
            let otp = match new_otp {
                Some(Arg::Text(value)) => value.clone().map(Zeroizing::new),
                _ => current(&row[2], "otp_secret")?,
            };
            if version > 0 {
                let mut previous = Values::default();
                previous.set("password_id", Arg::from(id));
                previous.set("secret_version", Arg::from(version));
                previous.set(
                    "password_sealed",
                    Arg::Text(row[1].as_str().map(str::to_string)),
                );
                previous.set(
                    "otp_secret_sealed",
                    Arg::Text(row[2].as_str().map(str::to_string)),
                );
                previous.set("api_key_id", Arg::from(ctx.env.actor.key_id));
                ctx.nested
                    .create(
                        &PASSWORD_VERSIONS,
                        vec![NewRecord::new(ctx.pointer, previous)],
                    )
                    .await?;
            }
            let next = version + 1;
            let seal = |value: &Option<Zeroizing<String>>, column| -> Result<Arg> {
                Ok(Arg::Text(
                    value
                        .as_ref()
                        .map(|plain| vault.seal(scope, &place(id, column, next), plain))
                        .transpose()?,
                ))
            };
            let mut sealed = Values::default();
            sealed.set("secret_version", Arg::from(next));
            sealed.set("password_sealed", seal(&password, "password")?);
            sealed.set("otp_secret_sealed", seal(&otp, "otp_secret")?);
            ctx.nested
                .tx()
                .update_rows(scope, TABLE, &sealed, &[Match::id(id)])
                .await?;
            Ok(())
        })
    }

    /// The secrets the engine allows (current or of one version), opened,
    /// with the current OTP code; each record shown is reported revealed.
    fn decorate<'a>(&'a self, ctx: Decorate<'a>) -> BoxFuture<'a, Result<Decorations>> {
        Box::pin(async move {
            let ids: Vec<i64> = ctx.records.iter().map(|r| r.id).collect();
            let scope = ctx.scope;
            let rows = match ctx.secrets {
                Secrets::Hidden => return Ok(Decorations::default()),
                Secrets::Current => {
                    ctx.vault.ensure_data_key(ctx.store, scope).await?;
                    let mut columns = vec![("id", ColumnType::Int)];
                    columns.extend_from_slice(SEALED);
                    ctx.store
                        .select(scope, TABLE, &columns, &[Match::ids(&ids)])
                        .await?
                }
                Secrets::Version(version_id) => {
                    ctx.vault.ensure_data_key(ctx.store, scope).await?;
                    let mut columns = vec![("password_id", ColumnType::Int)];
                    columns.extend_from_slice(SEALED);
                    let rows = ctx
                        .store
                        .select(
                            scope,
                            PASSWORD_VERSIONS.table,
                            &columns,
                            &[
                                Match::In(
                                    "password_id",
                                    ids.iter().map(|i| Arg::from(*i)).collect(),
                                ),
                                Match::id(version_id),
                            ],
                        )
                        .await?;
                    if rows.is_empty() {
                        return Err(Error::NotFound("no such version of this password".into()));
                    }
                    rows
                }
            };
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let mut out = Decorations::default();
            for row in rows {
                let (Some(id), Some(version)) = (row[0].as_i64(), row[1].as_i64()) else {
                    continue;
                };
                let open = |cell: &Cell, column| -> Result<Option<Zeroizing<String>>> {
                    cell.as_str()
                        .map(|sealed| ctx.vault.open(scope, &place(id, column, version), sealed))
                        .transpose()
                };
                let password = open(&row[2], "password")?;
                let otp = open(&row[3], "otp_secret")?;
                let mut attributes = Map::new();
                attributes.insert(
                    "password".into(),
                    json!(password.as_deref().map(String::as_str)),
                );
                attributes.insert(
                    "otp-secret".into(),
                    json!(otp.as_deref().map(String::as_str)),
                );
                let (code, remaining) = match otp.as_deref().and_then(|s| totp::decode_secret(s)) {
                    Some(secret) => {
                        let (code, remaining) = totp::code(&secret, now);
                        (json!(code), json!(remaining))
                    }
                    None => (Value::Null, Value::Null),
                };
                attributes.insert("otp-code".into(), code);
                attributes.insert("otp-remaining-seconds".into(), remaining);
                out.attributes.insert(id, attributes);
                out.revealed.push(id);
            }
            Ok(out)
        })
    }
}

/// The current password values of passwords `ids` in the account, opened:
/// for a hook that shows passwords kept for its records (flexible assets'
/// Password traits). The engine has allowed and will audit the reveal.
pub async fn current_values(
    store: &crate::store::Store,
    vault: &crate::vault::Vault,
    scope: Scope,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Zeroizing<String>>> {
    let mut out = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    vault.ensure_data_key(store, scope).await?;
    let mut columns = vec![("id", ColumnType::Int)];
    columns.extend_from_slice(SEALED);
    for row in store
        .select(scope, TABLE, &columns, &[Match::ids(ids)])
        .await?
    {
        let (Some(id), Some(version)) = (row[0].as_i64(), row[1].as_i64()) else {
            continue;
        };
        if let Some(sealed) = row[2].as_str() {
            out.insert(
                id,
                vault.open(scope, &place(id, "password", version), sealed)?,
            );
        }
    }
    Ok(out)
}

/// The name of record `id` of `resource` in organization `organization`, if it exists.
async fn record_name(
    nested: &mut dyn Nested,
    resource: &'static Resource,
    id: i64,
    organization: Option<i64>,
) -> Result<Option<String>> {
    let record = nested
        .find(resource, vec![("id", Arg::from(id))])
        .await?
        .pop();
    Ok(record
        .filter(
            |record| match (organization, resource.organization_column) {
                (Some(organization), Some(column)) => {
                    resource.cell(record, column).and_then(Cell::as_i64) == Some(organization)
                }
                _ => true,
            },
        )
        .map(|record| {
            resource
                .cell(&record, resource.title_field)
                .and_then(Cell::as_str)
                .unwrap_or_default()
                .to_string()
        }))
}

/// Forgets the secrets of an update that equal the record's current ones, so
/// that re-sending a value keeps no version and does not move
/// `password-updated-at`.
///
/// Reads (and on PostgreSQL locks) the row in the write's transaction, so the
/// comparison is against the value the update replaces. A secret that is not
/// given is left alone; `null` equals an unset secret.
async fn drop_unchanged_secrets(
    tx: &mut Tx,
    scope: Scope,
    vault: &crate::vault::Vault,
    id: i64,
    deferred: &mut Values,
) -> Result<()> {
    if deferred.is_empty() {
        return Ok(());
    }
    let Some(row) = tx
        .select(scope, TABLE, SEALED, &[Match::id(id)], Lock::ForUpdate)
        .await?
        .pop()
    else {
        return Ok(());
    };
    let version = row[0].as_i64().unwrap_or(0);
    for (column, cell) in [("password", &row[1]), ("otp_secret", &row[2])] {
        let Some(Arg::Text(given)) = deferred.get(column) else {
            continue;
        };
        let current = cell
            .as_str()
            .map(|sealed| vault.open(scope, &place(id, column, version), sealed))
            .transpose()?;
        // Only a key with password access gets here, and it may read the
        // value anyway: a plain comparison leaks nothing it could not see.
        let unchanged = match (given.as_deref(), current.as_deref()) {
            (Some(given), Some(current)) => given == current.as_str(),
            (None, None) => true,
            _ => false,
        };
        if unchanged {
            deferred.take(column);
        }
    }
    Ok(())
}

/// The category name in `relationships.password_category.data.attributes.name`
/// (the reference's way to set a category on create).
fn category_name(relationships: Option<&Value>) -> Option<String> {
    let data = relationships?.get("password_category")?.get("data")?;
    let name = data.get("attributes")?.get("name")?.as_str()?.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// The id of the account's category called `name`, made (through the
/// categories' own rules) if missing.
async fn find_or_create_category(nested: &mut dyn Nested, name: &str) -> Result<i64> {
    let categories = &super::catalog::PASSWORD_CATEGORIES;
    if let Some(found) = nested
        .find(categories, vec![("name", Arg::from(name))])
        .await?
        .first()
    {
        return Ok(found.id);
    }
    let mut values = Values::default();
    values.set("name", Arg::from(name));
    let created = nested
        .create(
            categories,
            vec![NewRecord::new(
                "/data/relationships/password_category/data/attributes",
                values,
            )],
        )
        .await?;
    Ok(created.first().map(|c| c.id).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::ALL;

    #[test]
    fn every_type_that_carries_passwords_is_in_the_reference_enum() {
        for resource in ALL.iter().filter(|r| r.carries.passwords) {
            assert!(
                RESOURCE_TYPES.contains(&resource.class),
                "{}",
                resource.class
            );
        }
    }
}
