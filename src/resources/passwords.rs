//! `passwords` (seed section "Passwords"): general passwords, and embedded
//! ones that belong to another record of the same organization.
//!
//! The `password` and `otp-secret` values are sealed by the vault on write
//! ([`PasswordHooks`]); each change of either keeps the previous sealed
//! values as a version (`include=recent_versions`, `?version_id=`). Values
//! leave the server only through [`Hooks::reveal`], which the handlers call
//! for keys with password access and audit first.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::{
    by_route, AfterWrite, BoxFuture, ColumnType, Field, Filter, Hooks, Include, IncludeTarget,
    Join, Ops, Resource, Reveal, Scoping, Sort, WriteContext,
};
use crate::clock::now_millis;
use crate::error::{Error, Result};
use crate::store::{Arg, Cell, Scope, Tx};
use crate::vault::{totp, Place};

/// The record types an embedded password may belong to (the reference's enum),
/// with the route of the Mortar resource that stores them.
pub const EMBEDDABLE: &[(&str, &str)] = &[
    ("Configuration", "configurations"),
    ("Contact", "contacts"),
    ("Document", "documents"),
    ("Domain", "domains"),
    ("Location", "locations"),
    ("SSL Certificate", "ssl_certificates"),
    ("Flexible Asset", "flexible_assets"),
    ("Ticket", "tickets"),
];

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

/// `passwords`, also under `/organizations/:id/relationships/passwords`.
pub static PASSWORDS: Resource = Resource {
    json_type: "passwords",
    route: "passwords",
    table: TABLE,
    class: "Password",
    title_field: "name",
    organization_column: Some("organization_id"),
    scoping: Scoping::Account,
    fields: &[
        Field::column("organization_id", "t.organization_id", ColumnType::Int)
            .required()
            .references("organizations"),
        Field::computed("organization_name", "o.name", ColumnType::Text),
        Field::computed("resource_url", "CAST(NULL AS TEXT)", ColumnType::Text),
        Field::column("restricted", "t.restricted", ColumnType::Bool).not_null(),
        Field::computed("my_glue", "FALSE", ColumnType::Bool),
        Field::column("name", "t.name", ColumnType::Text).required(),
        Field::column(
            "autofill_selectors",
            "t.autofill_selectors",
            ColumnType::Text,
        )
        .long_text(),
        Field::column("username", "t.username", ColumnType::Text),
        Field::secret("password"),
        Field::secret("otp_secret"),
        Field::column("url", "t.url", ColumnType::Text).max_len(2048),
        Field::column("notes", "t.notes", ColumnType::Text).long_text(),
        Field::column(
            "password_updated_at",
            "t.password_updated_at",
            ColumnType::Timestamp,
        ),
        Field::computed("updated_by", "t.updated_by", ColumnType::Int),
        Field::column("resource_id", "t.resource_id", ColumnType::Int).create_only(),
        Field::column("resource_type", "t.resource_type", ColumnType::Text)
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
        Field::column(
            "password_category_id",
            "t.password_category_id",
            ColumnType::Int,
        )
        .references("password_categories"),
        Field::computed("password_category_name", "pc.name", ColumnType::Text),
        Field::column("archived", "t.archived", ColumnType::Bool).not_null(),
        Field::column("is_live", "t.is_live", ColumnType::Bool).not_null(),
        Field::column(
            "generated_password_type",
            "t.generated_password_type",
            ColumnType::Text,
        )
        .max_len(64),
        Field::created_at(),
        Field::updated_at(),
    ],
    joins: &[
        Join {
            alias: "o",
            sql: "JOIN organizations o ON o.id = t.organization_id",
        },
        Join {
            alias: "pc",
            sql: "LEFT JOIN password_categories pc ON pc.id = t.password_category_id",
        },
    ],
    filters: &[
        Filter::exact("id", "t.id", ColumnType::Int),
        Filter::exact("name", "t.name", ColumnType::Text),
        Filter::exact("organization_id", "t.organization_id", ColumnType::Int),
        Filter::exact(
            "password_category_id",
            "t.password_category_id",
            ColumnType::Int,
        ),
        Filter::exact("url", "t.url", ColumnType::Text),
        Filter::exact(
            "cached_resource_name",
            "t.cached_resource_name",
            ColumnType::Text,
        ),
        Filter::exact("archived", "t.archived", ColumnType::Bool),
        Filter::exact("resource_type", "t.resource_type", ColumnType::Text),
        Filter::exact("resource_id", "t.resource_id", ColumnType::Int),
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
        super::owned::unmodelled("network_glue_networks", false),
        super::owned::ATTACHMENTS,
        super::owned::unmodelled("rotatable_password", false),
        super::owned::unmodelled("updater", false),
        super::owned::unmodelled("user_resource_accesses", false),
        super::owned::unmodelled("group_resource_accesses", false),
        super::owned::RELATED_ITEMS,
        super::owned::unmodelled("authorized_users", true),
    ],
    parents: &[super::owned::UNDER_ORGANIZATION],
    ops: Ops::ALL,
    window_days: None,
    max_page: None,
    hooks: &PasswordHooks,
};

/// `recent-versions`: earlier secrets of a password, without their values
/// (reached through `include=recent_versions`; not routed on its own).
pub static PASSWORD_VERSIONS: Resource = Resource {
    json_type: "recent-versions",
    route: "password_versions",
    table: "password_versions",
    class: "PasswordVersion",
    title_field: "password_id",
    organization_column: None,
    scoping: Scoping::Account,
    fields: &[
        Field::computed("password_id", "t.password_id", ColumnType::Int),
        Field::computed("version", "t.secret_version", ColumnType::Int),
        Field::computed("api_key_id", "t.api_key_id", ColumnType::Int),
        Field::computed("created_at", "t.created_at", ColumnType::Timestamp),
    ],
    joins: &[],
    filters: &[],
    sorts: &[],
    includes: &[],
    parents: &[],
    ops: Ops {
        list: false,
        show: false,
        ..Ops::READ_ONLY
    },
    window_days: None,
    max_page: None,
    hooks: &super::NoHooks,
};

/// Sealing, versions, embedded-record checks and reveals.
pub struct PasswordHooks;

/// The resource that stores records of an embedded password's `resource_type`.
fn embedded_resource(resource_type: &str) -> Option<&'static Resource> {
    EMBEDDABLE
        .iter()
        .find(|(kind, _)| *kind == resource_type)
        .and_then(|(_, route)| by_route(route))
}

/// The name of record `id` of `resource` in organization `organization`, if it exists.
async fn record_name(
    tx: &mut Tx,
    scope: Scope,
    resource: &Resource,
    id: i64,
    organization: Option<i64>,
) -> Result<Option<String>> {
    let title = resource
        .field(resource.title_field)
        .map_or("CAST(NULL AS TEXT)", |f| f.expr);
    let mut sql = tx.sql();
    sql.push("SELECT ")
        .push(title)
        .push(" FROM ")
        .push(resource.table)
        .push(" t");
    for join in resource.joins {
        sql.push(" ").push(join.sql);
    }
    sql.push(" WHERE t.account_id = ").bind(scope.account_id());
    sql.push(" AND t.id = ").bind(id);
    if let (Some(organization), Some(column)) = (organization, resource.organization_column) {
        sql.push(" AND t.")
            .push(column)
            .push(" = ")
            .bind(organization);
    }
    let rows = tx.fetch(&sql, &[ColumnType::Text]).await?;
    Ok(rows
        .first()
        .map(|r| r[0].as_str().unwrap_or_default().to_string()))
}

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
                Some(_) => problems.push(crate::error::Invalid::new(
                    format!("{pointer}/password"),
                    "can't be blank",
                )),
                None if ctx.id.is_none() => problems.push(crate::error::Invalid::new(
                    format!("{pointer}/password"),
                    "is required",
                )),
                None => {}
            }
            if let Some(Arg::Text(Some(secret))) = ctx.deferred.get("otp_secret") {
                if totp::decode_secret(secret).is_none() {
                    problems.push(crate::error::Invalid::new(
                        format!("{pointer}/otp-secret"),
                        "must be a base32 TOTP secret of at least 80 bits",
                    ));
                }
            }
            if let Some(name) = category_name(ctx.relationships) {
                if ctx.values.get("password_category_id").is_none() {
                    let id = find_or_create_category(ctx.tx, ctx.scope, &name).await?;
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
                    (Some(id), Some(kind)) => match embedded_resource(&kind) {
                        None => problems.push(crate::error::Invalid::new(
                            format!("{pointer}/resource-type"),
                            format!("Mortar does not store {kind} records yet"),
                        )),
                        Some(resource) => {
                            let organization =
                                ctx.values.get("organization_id").and_then(Arg::as_i64);
                            match record_name(ctx.tx, ctx.scope, resource, id, organization).await?
                            {
                                Some(name) => {
                                    ctx.values.set("cached_resource_type_name", Arg::from(kind));
                                    ctx.values.set("cached_resource_name", Arg::from(name));
                                }
                                None => problems.push(crate::error::Invalid::new(
                                    format!("{pointer}/resource-id"),
                                    format!("{id} does not name a {kind} of this organization"),
                                )),
                            }
                        }
                    },
                    _ => problems.push(crate::error::Invalid::new(
                        format!("{pointer}/resource-id"),
                        "resource_id and resource_type go together: give both or neither",
                    )),
                }
            }
            if !problems.is_empty() {
                return Err(Error::Invalid(problems));
            }
            if let Some(id) = ctx.id {
                drop_unchanged_secrets(ctx.tx, ctx.scope, ctx.env.vault, id, ctx.deferred).await?;
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

    fn after_write<'a>(&'a self, ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let new_password = ctx.deferred.get("password");
            let new_otp = ctx.deferred.get("otp_secret");
            if new_password.is_none() && new_otp.is_none() {
                return Ok(());
            }
            let vault = ctx.env.vault;
            let mut sql = ctx.tx.sql();
            sql.push("SELECT secret_version, password_sealed, otp_secret_sealed FROM passwords WHERE account_id = ")
                .bind(ctx.scope.account_id())
                .push(" AND id = ")
                .bind(ctx.id);
            let row = ctx
                .tx
                .fetch(&sql, &[ColumnType::Int, ColumnType::Text, ColumnType::Text])
                .await?
                .pop()
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("password vanished mid-write")))?;
            let version = row[0].as_i64().unwrap_or(0);
            let place = |column, version| Place {
                table: TABLE,
                row: ctx.id,
                column,
                version,
            };
            // The current values (opened) carry over unless replaced.
            let current = |cell: &Cell, column| -> Result<Option<zeroize::Zeroizing<String>>> {
                cell.as_str()
                    .map(|sealed| vault.open(ctx.scope, &place(column, version), sealed))
                    .transpose()
            };
            let password = match new_password {
                Some(Arg::Text(value)) => value.clone().map(zeroize::Zeroizing::new),
                _ => current(&row[1], "password")?,
            };
            let otp = match new_otp {
                Some(Arg::Text(value)) => value.clone().map(zeroize::Zeroizing::new),
                _ => current(&row[2], "otp_secret")?,
            };
            if version > 0 {
                let now = now_millis();
                let mut sql = ctx.tx.sql();
                sql.push(
                    "INSERT INTO password_versions (account_id, password_id, secret_version, password_sealed, \
                     otp_secret_sealed, api_key_id, created_at, updated_at) VALUES (",
                )
                .bind(ctx.scope.account_id())
                .push(", ")
                .bind(ctx.id)
                .push(", ")
                .bind(version)
                .push(", ")
                .bind(Arg::Text(row[1].as_str().map(str::to_string)))
                .push(", ")
                .bind(Arg::Text(row[2].as_str().map(str::to_string)))
                .push(", ")
                .bind(ctx.env.actor.key_id)
                .push(", ")
                .bind(now)
                .push(", ")
                .bind(now)
                .push(")");
                ctx.tx.execute(&sql).await?;
            }
            let next = version + 1;
            let seal = |value: &Option<zeroize::Zeroizing<String>>, column| -> Result<Arg> {
                Ok(Arg::Text(
                    value
                        .as_ref()
                        .map(|plain| vault.seal(ctx.scope, &place(column, next), plain))
                        .transpose()?,
                ))
            };
            let mut sql = ctx.tx.sql();
            sql.push("UPDATE passwords SET secret_version = ")
                .bind(next)
                .push(", password_sealed = ")
                .bind(seal(&password, "password")?)
                .push(", otp_secret_sealed = ")
                .bind(seal(&otp, "otp_secret")?)
                .push(" WHERE account_id = ")
                .bind(ctx.scope.account_id())
                .push(" AND id = ")
                .bind(ctx.id);
            ctx.tx.execute(&sql).await?;
            Ok(())
        })
    }

    fn reveal<'a>(
        &'a self,
        request: Reveal<'a>,
    ) -> BoxFuture<'a, Result<HashMap<i64, Map<String, Value>>>> {
        Box::pin(async move {
            let ids: Vec<i64> = request.records.iter().map(|r| r.id).collect();
            if ids.is_empty() {
                return Ok(HashMap::new());
            }
            let scope = request.scope;
            request.vault.ensure_data_key(request.store, scope).await?;
            let mut sql = request.store.sql();
            match request.version {
                None => {
                    sql.push("SELECT id, secret_version, password_sealed, otp_secret_sealed FROM passwords WHERE account_id = ")
                        .bind(scope.account_id())
                        .push(" AND id IN ")
                        .bind_list(ids.iter().copied());
                }
                Some(version_id) => {
                    sql.push("SELECT password_id, secret_version, password_sealed, otp_secret_sealed FROM password_versions WHERE account_id = ")
                        .bind(scope.account_id())
                        .push(" AND password_id IN ")
                        .bind_list(ids.iter().copied())
                        .push(" AND id = ")
                        .bind(version_id);
                }
            }
            let rows = request
                .store
                .fetch(
                    &sql,
                    &[
                        ColumnType::Int,
                        ColumnType::Int,
                        ColumnType::Text,
                        ColumnType::Text,
                    ],
                )
                .await?;
            if request.version.is_some() && rows.is_empty() {
                return Err(Error::NotFound("no such version of this password".into()));
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let mut out = HashMap::with_capacity(rows.len());
            for row in rows {
                let (Some(id), Some(version)) = (row[0].as_i64(), row[1].as_i64()) else {
                    continue;
                };
                let open = |cell: &Cell, column| -> Result<Option<zeroize::Zeroizing<String>>> {
                    cell.as_str()
                        .map(|sealed| {
                            request.vault.open(
                                scope,
                                &Place {
                                    table: TABLE,
                                    row: id,
                                    column,
                                    version,
                                },
                                sealed,
                            )
                        })
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
                out.insert(id, attributes);
            }
            Ok(out)
        })
    }
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
    deferred: &mut crate::store::Values,
) -> Result<()> {
    if deferred.is_empty() {
        return Ok(());
    }
    let mut sql = tx.sql();
    sql.push(
        "SELECT secret_version, password_sealed, otp_secret_sealed FROM passwords WHERE account_id = ",
    )
    .bind(scope.account_id())
    .push(" AND id = ")
    .bind(id);
    if tx.dialect() == crate::store::Dialect::Postgres {
        sql.push(" FOR UPDATE");
    }
    let Some(row) = tx
        .fetch(&sql, &[ColumnType::Int, ColumnType::Text, ColumnType::Text])
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
            .map(|sealed| {
                vault.open(
                    scope,
                    &Place {
                        table: TABLE,
                        row: id,
                        column,
                        version,
                    },
                    sealed,
                )
            })
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

/// The id of the account's category called `name`, made if missing.
async fn find_or_create_category(tx: &mut Tx, scope: Scope, name: &str) -> Result<i64> {
    let mut sql = tx.sql();
    sql.push("SELECT id FROM password_categories WHERE account_id = ")
        .bind(scope.account_id())
        .push(" AND name = ")
        .bind(name);
    if let Some(row) = tx.fetch(&sql, &[ColumnType::Int]).await?.first() {
        return Ok(row[0].as_i64().unwrap_or_default());
    }
    let now = now_millis();
    let mut sql = tx.sql();
    sql.push("INSERT INTO password_categories (account_id, name, created_at, updated_at) VALUES (")
        .bind(scope.account_id())
        .push(", ")
        .bind(name)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(") RETURNING id");
    tx.insert_returning_id(&sql).await?.ok_or_else(|| {
        Error::invalid(
            "/data/relationships/password_category",
            "could not be created",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::ALL;

    #[test]
    fn every_embeddable_type_is_in_the_reference_enum() {
        for (kind, _) in EMBEDDABLE {
            assert!(RESOURCE_TYPES.contains(kind));
        }
        assert!(ALL.iter().any(|r| r.route == "passwords"));
    }
}
