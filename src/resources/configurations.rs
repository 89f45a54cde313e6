//! `configurations` and `configuration-interfaces` (seed sections
//! "Configurations" and "Configuration Interfaces"): managed devices and
//! their network interfaces.
//!
//! A configuration's `primary-ip` and `mac-address` and its primary
//! interface are one fact kept in two places: writing either side rewrites
//! the other in the same transaction, and at most one interface of a
//! configuration is primary. Warranty and lifecycle dates feed expirations.

use std::net::IpAddr;

use serde_json::Value;

use super::expirations::{self, Source};
use super::owned::{
    self, ARCHIVED, ORGANIZATION_ID, ORGANIZATION_JOIN, ORGANIZATION_NAME, RESOURCE_URL, RESTRICTED,
};
use super::{
    AfterWrite, BoxFuture, ColumnType, Field, Filter, Hooks, Include, IncludeTarget, Join, Ops,
    Parent, Resource, Scoping, Sort, WriteContext,
};
use crate::clock::now_millis;
use crate::error::{Error, Invalid, Result};
use crate::jsonapi::parse_bool;
use crate::store::{Arg, Cell, Scope, Tx, Values};

/// RMM integrations the reference's `filter[rmm_integration_type]` names.
pub const RMM_INTEGRATION_TYPES: &[&str] = &[
    "addigy",
    "aem",
    "atera",
    "auvik",
    "managed-workplace",
    "continuum",
    "jamf-pro",
    "kaseya-vsa",
    "automate",
    "log-me-in",
    "msp-rmm",
    "meraki",
    "msp-n-central",
    "ninja-rmm",
    "panorama9",
    "pulseway-rmm",
    "syncro",
    "watchman-monitoring",
    "office365",
    "vsa-x",
];

/// The dates of a configuration that make expirations.
const EXPIRY: &[Source] = &[
    Source {
        column: "warranty_expires_at",
        column_type: ColumnType::Date,
        description: "Warranty expiration",
    },
    Source {
        column: "mitp_device_expiration_date",
        column_type: ColumnType::Date,
        description: "Device expiration",
    },
    Source {
        column: "mitp_end_of_life_date",
        column_type: ColumnType::Date,
        description: "End of life",
    },
];

/// `configurations`, also under `/organizations/:id/relationships/configurations`.
pub static CONFIGURATIONS: Resource = Resource {
    json_type: "configurations",
    route: "configurations",
    table: "configurations",
    class: "Configuration",
    title_field: "name",
    organization_column: Some("organization_id"),
    scoping: Scoping::Account,
    fields: &[
        ORGANIZATION_ID,
        ORGANIZATION_NAME,
        Field::computed("organization_short_name", "o.short_name", ColumnType::Text),
        RESOURCE_URL,
        Field::column("name", "t.name", ColumnType::Text).required(),
        Field::column("hostname", "t.hostname", ColumnType::Text),
        Field::column("primary_ip", "t.primary_ip", ColumnType::Text).max_len(45),
        Field::column("mac_address", "t.mac_address", ColumnType::Text).max_len(17),
        Field::column("default_gateway", "t.default_gateway", ColumnType::Text).max_len(45),
        Field::column("serial_number", "t.serial_number", ColumnType::Text),
        Field::column("asset_tag", "t.asset_tag", ColumnType::Text),
        Field::column("position", "t.position", ColumnType::Text),
        Field::column("installed_by", "t.installed_by", ColumnType::Text),
        Field::column("purchased_by", "t.purchased_by", ColumnType::Text),
        Field::column("notes", "t.notes", ColumnType::Text).long_text(),
        Field::column(
            "operating_system_notes",
            "t.operating_system_notes",
            ColumnType::Text,
        )
        .long_text(),
        Field::column(
            "warranty_expires_at",
            "t.warranty_expires_at",
            ColumnType::Date,
        ),
        Field::column("installed_at", "t.installed_at", ColumnType::Date),
        Field::column("purchased_at", "t.purchased_at", ColumnType::Date),
        Field::column(
            "mitp_device_expiration_date",
            "t.mitp_device_expiration_date",
            ColumnType::Date,
        ),
        Field::column(
            "mitp_end_of_life_date",
            "t.mitp_end_of_life_date",
            ColumnType::Date,
        ),
        Field::column(
            "configuration_type_id",
            "t.configuration_type_id",
            ColumnType::Int,
        )
        .required()
        .references("configuration_types"),
        Field::computed("configuration_type_name", "ct.name", ColumnType::Text),
        Field::computed("configuration_type_kind", "ct.kind", ColumnType::Text),
        Field::column(
            "configuration_status_id",
            "t.configuration_status_id",
            ColumnType::Int,
        )
        .references("configuration_statuses"),
        Field::computed("configuration_status_name", "cs.name", ColumnType::Text),
        Field::column("manufacturer_id", "t.manufacturer_id", ColumnType::Int)
            .references("manufacturers"),
        Field::computed("manufacturer_name", "mf.name", ColumnType::Text),
        Field::column("model_id", "t.model_id", ColumnType::Int).references("models"),
        Field::computed("model_name", "md.name", ColumnType::Text),
        Field::column(
            "operating_system_id",
            "t.operating_system_id",
            ColumnType::Int,
        )
        .references_global("operating_systems"),
        Field::computed("operating_system_name", "os.name", ColumnType::Text),
        Field::column("location_id", "t.location_id", ColumnType::Int).references("locations"),
        Field::computed("location_name", "l.name", ColumnType::Text),
        Field::column("contact_id", "t.contact_id", ColumnType::Int).references("contacts"),
        Field::computed("contact_name", "c.name", ColumnType::Text),
        RESTRICTED,
        ARCHIVED,
        Field::created_at(),
        Field::updated_at(),
    ],
    joins: &[
        ORGANIZATION_JOIN,
        Join {
            alias: "ct",
            sql: "LEFT JOIN configuration_types ct ON ct.id = t.configuration_type_id",
        },
        Join {
            alias: "cs",
            sql: "LEFT JOIN configuration_statuses cs ON cs.id = t.configuration_status_id",
        },
        Join {
            alias: "mf",
            sql: "LEFT JOIN manufacturers mf ON mf.id = t.manufacturer_id",
        },
        Join {
            alias: "md",
            sql: "LEFT JOIN models md ON md.id = t.model_id",
        },
        Join {
            alias: "os",
            sql: "LEFT JOIN operating_systems os ON os.id = t.operating_system_id",
        },
        Join {
            alias: "l",
            sql: "LEFT JOIN locations l ON l.id = t.location_id",
        },
        Join {
            alias: "c",
            sql: "LEFT JOIN contacts c ON c.id = t.contact_id",
        },
    ],
    filters: &[
        Filter::exact("id", "t.id", ColumnType::Int),
        Filter::exact("name", "t.name", ColumnType::Text),
        Filter::exact("organization_id", "t.organization_id", ColumnType::Int),
        Filter::exact(
            "configuration_type_id",
            "t.configuration_type_id",
            ColumnType::Int,
        ),
        Filter::exact(
            "configuration_status_id",
            "t.configuration_status_id",
            ColumnType::Int,
        ),
        Filter::exact("contact_id", "t.contact_id", ColumnType::Int),
        Filter::exact("serial_number", "t.serial_number", ColumnType::Text),
        Filter::exact("mac_address", "t.mac_address", ColumnType::Text).normalized(normalize_mac),
        Filter::exact("asset_tag", "t.asset_tag", ColumnType::Text),
        Filter::exact("archived", "t.archived", ColumnType::Bool),
        owned::PSA_ID,
        owned::PSA_INTEGRATION_TYPE,
        Filter::unmatched("rmm_id", Some("rmm_integration_type"), &[]),
        Filter::unmatched("rmm_integration_type", None, RMM_INTEGRATION_TYPES),
    ],
    sorts: &[
        Sort::on("hostname", "t.hostname"),
        Sort::on("primary_ip", "t.primary_ip"),
        Sort::on("serial_number", "t.serial_number"),
        Sort::on("asset_tag", "t.asset_tag"),
        Sort::on("warranty_expires_at", "t.warranty_expires_at"),
        Sort::on("organization_id", "t.organization_id"),
        Sort::joined("organization_name", "o.name", "o"),
        Sort::joined("configuration_type_name", "ct.name", "ct"),
        Sort::joined("configuration_status_name", "cs.name", "cs"),
    ],
    includes: &[
        owned::unmodelled("adapters_resources", false),
        Include {
            name: "configuration_interfaces",
            target: IncludeTarget::HasMany {
                resource: &CONFIGURATION_INTERFACES,
                foreign_key: "configuration_id",
            },
            show_only: false,
        },
        owned::unmodelled("rmm_records", false),
        owned::unmodelled("rmm_adapters_resources", true),
        owned::PASSWORDS,
        owned::ATTACHMENTS,
        owned::unmodelled("tickets", false),
        owned::unmodelled("adapters_resources_errors", true),
        owned::unmodelled("rmm_adapters_resources_errors", true),
        owned::unmodelled("active_network_glue_network_devices", true),
        owned::unmodelled("to_configuration_connections", true),
        owned::unmodelled("from_configuration_connections", true),
        owned::unmodelled("dnet_fa_remote_assets", false),
        owned::unmodelled("user_resource_accesses", false),
        owned::unmodelled("group_resource_accesses", false),
        owned::unmodelled("recent_versions", true),
        owned::RELATED_ITEMS,
        owned::unmodelled("authorized_users", true),
    ],
    parents: &[owned::UNDER_ORGANIZATION],
    ops: Ops {
        delete: false,
        ..Ops::ALL
    },
    window_days: None,
    max_page: None,
    hooks: &ConfigurationHooks,
};

/// `configuration-interfaces`, also under
/// `/configurations/:id/relationships/configuration_interfaces`.
/// The reference gives them no delete route; they go with their configuration.
pub static CONFIGURATION_INTERFACES: Resource = Resource {
    json_type: "configuration-interfaces",
    route: "configuration_interfaces",
    table: "configuration_interfaces",
    class: "ConfigurationInterface",
    title_field: "name",
    organization_column: None,
    scoping: Scoping::Account,
    fields: &[
        // The reference's examples carry the id inside the attributes too.
        Field::computed("id", "t.id", ColumnType::Int),
        Field::column("configuration_id", "t.configuration_id", ColumnType::Int)
            .required()
            .references("configurations"),
        Field::column("name", "t.name", ColumnType::Text),
        Field::column("ip_address", "t.ip_address", ColumnType::Text).max_len(45),
        Field::column("mac_address", "t.mac_address", ColumnType::Text).max_len(17),
        Field::column("primary", "t.primary_interface", ColumnType::Bool)
            .stored_in("primary_interface")
            .not_null(),
        Field::column("notes", "t.notes", ColumnType::Text).long_text(),
        Field::created_at(),
        Field::updated_at(),
    ],
    joins: &[],
    filters: &[
        Filter::exact("id", "t.id", ColumnType::Int),
        Filter::exact("ip_address", "t.ip_address", ColumnType::Text).normalized(normalize_ip),
    ],
    sorts: &[
        Sort::on("ip_address", "t.ip_address"),
        Sort::on("configuration_id", "t.configuration_id"),
    ],
    includes: &[],
    parents: &[Parent::new(
        "configurations",
        "configurations",
        "configuration_id",
    )],
    ops: Ops {
        delete: false,
        bulk_delete: false,
        ..Ops::ALL
    },
    window_days: None,
    max_page: None,
    hooks: &InterfaceHooks,
};

/// Address checks, inline interfaces, primary-interface sync and expirations.
pub struct ConfigurationHooks;

/// The primary-interface sync and inline interfaces of one interface.
pub struct InterfaceHooks;

/// Normalises a MAC address given as `C4:7A:92:14:3D:78`, `c4-7a-92-14-3d-78`,
/// `c47a.9214.3d78` or `c47a92143d78` to the colon form in upper case.
pub fn normalize_mac(value: &str) -> Option<String> {
    let hex: String = value
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    let separators_ok = {
        let v = value.trim();
        let groups: Vec<&str> = v.split([':', '-']).collect();
        let dotted: Vec<&str> = v.split('.').collect();
        (groups.len() == 6 && groups.iter().all(|g| g.len() == 2))
            || (dotted.len() == 3 && dotted.iter().all(|g| g.len() == 4))
            || (v.len() == 12 && !v.contains([':', '-', '.']))
    };
    if !separators_ok || hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let upper = hex.to_ascii_uppercase();
    let pairs: Vec<&str> = (0..6).map(|i| &upper[i * 2..i * 2 + 2]).collect();
    Some(pairs.join(":"))
}

/// An IPv4 or IPv6 address in the form it is stored in (IPv6 compressed, lower case).
pub fn normalize_ip(value: &str) -> Option<String> {
    value
        .trim()
        .parse::<IpAddr>()
        .ok()
        .map(|addr| addr.to_string())
}

/// Checks (and normalises) the IP and MAC columns present in `values`.
fn check_addresses(
    values: &mut Values,
    pointer: &str,
    columns: [(&'static str, &'static str); 2],
    problems: &mut Vec<Invalid>,
) {
    let [(ip_column, ip_name), (mac_column, mac_name)] = columns;
    if let Some(Arg::Text(Some(ip))) = values.get(ip_column).cloned() {
        match normalize_ip(&ip) {
            Some(normal) => values.set(ip_column, Arg::from(normal)),
            None => problems.push(Invalid::new(
                format!("{pointer}/{ip_name}"),
                format!("{ip:?} is not an IPv4 or IPv6 address"),
            )),
        }
    }
    if let Some(Arg::Text(Some(mac))) = values.get(mac_column).cloned() {
        match normalize_mac(&mac) {
            Some(normal) => values.set(mac_column, Arg::from(normal)),
            None => problems.push(Invalid::new(
                format!("{pointer}/{mac_name}"),
                format!("{mac:?} is not a valid MAC address"),
            )),
        }
    }
}

/// An interface sent inline with a new configuration.
struct InlineInterface {
    name: Option<String>,
    ip: Option<String>,
    mac: Option<String>,
    primary: bool,
    notes: Option<String>,
}

/// Reads `relationships.configuration_interfaces.data[]` of a create.
fn inline_interfaces(
    relationships: Option<&Value>,
    item_pointer: &str,
) -> Result<Vec<InlineInterface>> {
    let Some(data) = relationships
        .and_then(|r| r.get("configuration_interfaces"))
        .and_then(|r| r.get("data"))
    else {
        return Ok(Vec::new());
    };
    let base = format!("{item_pointer}/relationships/configuration_interfaces/data");
    let items: Vec<&Value> = match data {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![data],
        _ => return Err(Error::invalid(base, "must be an array of interfaces")),
    };
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let pointer = format!("{base}/{i}/attributes");
        let attributes = item.get("attributes").unwrap_or(item);
        let text = |key: &str| {
            attributes.get(key).and_then(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let mut values = Values::default();
        if let Some(ip) = text("ip_address") {
            values.set("ip_address", Arg::from(ip));
        }
        if let Some(mac) = text("mac_address") {
            values.set("mac_address", Arg::from(mac));
        }
        check_addresses(
            &mut values,
            &pointer,
            [("ip_address", "ip-address"), ("mac_address", "mac-address")],
            &mut problems,
        );
        let primary = match attributes.get("primary") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => parse_bool(s).unwrap_or(false),
            Some(_) => false,
        };
        out.push(InlineInterface {
            name: text("name"),
            ip: values.get("ip_address").and_then(text_of),
            mac: values.get("mac_address").and_then(text_of),
            primary,
            notes: text("notes"),
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Error::Invalid(problems))
    }
}

fn text_of(arg: &Arg) -> Option<String> {
    match arg {
        Arg::Text(v) => v.clone(),
        _ => None,
    }
}

/// Inserts one interface of configuration `configuration`; returns its id.
async fn insert_interface(
    tx: &mut Tx,
    scope: Scope,
    configuration: i64,
    interface: &InlineInterface,
) -> Result<()> {
    let now = now_millis();
    let mut sql = tx.sql();
    sql.push(
        "INSERT INTO configuration_interfaces (account_id, configuration_id, name, ip_address, \
         mac_address, primary_interface, notes, created_at, updated_at) VALUES (",
    )
    .bind(scope.account_id())
    .push(", ")
    .bind(configuration)
    .push(", ")
    .bind(interface.name.clone())
    .push(", ")
    .bind(interface.ip.clone())
    .push(", ")
    .bind(interface.mac.clone())
    .push(", ")
    .bind(interface.primary)
    .push(", ")
    .bind(interface.notes.clone())
    .push(", ")
    .bind(now)
    .push(", ")
    .bind(now)
    .push(")");
    tx.execute(&sql).await?;
    Ok(())
}

/// The configuration's primary IP and MAC.
async fn configuration_addresses(
    tx: &mut Tx,
    scope: Scope,
    id: i64,
) -> Result<(Option<String>, Option<String>)> {
    let mut sql = tx.sql();
    sql.push("SELECT primary_ip, mac_address FROM configurations WHERE account_id = ")
        .bind(scope.account_id())
        .push(" AND id = ")
        .bind(id);
    let row = tx
        .fetch(&sql, &[ColumnType::Text, ColumnType::Text])
        .await?
        .pop();
    Ok(row.map_or((None, None), |r| {
        (
            r[0].as_str().map(str::to_string),
            r[1].as_str().map(str::to_string),
        )
    }))
}

/// Copies a primary interface's addresses onto its configuration.
async fn set_configuration_addresses(
    tx: &mut Tx,
    scope: Scope,
    configuration: i64,
    ip: Option<String>,
    mac: Option<String>,
) -> Result<()> {
    let mut sql = tx.sql();
    sql.push("UPDATE configurations SET primary_ip = ")
        .bind(ip)
        .push(", mac_address = ")
        .bind(mac)
        .push(", updated_at = ")
        .bind(now_millis())
        .push(" WHERE account_id = ")
        .bind(scope.account_id())
        .push(" AND id = ")
        .bind(configuration);
    tx.execute(&sql).await?;
    Ok(())
}

/// Deferred flag: the write set the configuration's primary IP or MAC.
const ADDRESSES_WRITTEN: &str = "addresses_written";
/// Deferred value: inline interfaces, as JSON, to create after the insert.
const INLINE: &str = "inline_interfaces";

impl Hooks for ConfigurationHooks {
    fn before_write<'a>(&'a self, ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut problems = Vec::new();
            check_addresses(
                ctx.values,
                ctx.pointer,
                [("primary_ip", "primary-ip"), ("mac_address", "mac-address")],
                &mut problems,
            );
            let item_pointer = ctx.pointer.trim_end_matches("/attributes");
            if ctx.id.is_none() {
                if let Err(Error::Invalid(mut more)) =
                    inline_interfaces(ctx.relationships, item_pointer)
                {
                    problems.append(&mut more);
                }
                if let Some(data) = ctx
                    .relationships
                    .and_then(|r| r.get("configuration_interfaces"))
                {
                    ctx.deferred.set(INLINE, Arg::from(data.to_string()));
                }
            }
            if !problems.is_empty() {
                return Err(Error::Invalid(problems));
            }
            if ctx.values.get("primary_ip").is_some() || ctx.values.get("mac_address").is_some() {
                ctx.deferred.set(ADDRESSES_WRITTEN, Arg::from(true));
            }
            Ok(())
        })
    }

    fn after_write<'a>(&'a self, ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let (tx, scope, id) = (ctx.tx, ctx.scope, ctx.id);
            let addresses_written = ctx.deferred.get(ADDRESSES_WRITTEN).is_some();
            if let Some(Arg::Text(Some(json))) = ctx.deferred.get(INLINE) {
                let relationships = serde_json::json!({
                    "configuration_interfaces": serde_json::from_str::<Value>(json).unwrap_or(Value::Null)
                });
                let mut interfaces = inline_interfaces(Some(&relationships), "/data")?;
                // At most one primary: the last one marked so, as when
                // interfaces are created one after another.
                let last_primary = interfaces.iter().rposition(|i| i.primary);
                for (i, interface) in interfaces.iter_mut().enumerate() {
                    interface.primary = Some(i) == last_primary;
                }
                for interface in &interfaces {
                    insert_interface(tx, scope, id, interface).await?;
                }
                if let Some(primary) = interfaces.iter().find(|i| i.primary) {
                    if !addresses_written {
                        set_configuration_addresses(
                            tx,
                            scope,
                            id,
                            primary.ip.clone(),
                            primary.mac.clone(),
                        )
                        .await?;
                    }
                }
            }
            if addresses_written {
                let (ip, mac) = configuration_addresses(tx, scope, id).await?;
                let mut sql = tx.sql();
                sql.push("UPDATE configuration_interfaces SET ip_address = ")
                    .bind(ip.clone())
                    .push(", mac_address = ")
                    .bind(mac.clone())
                    .push(", updated_at = ")
                    .bind(now_millis())
                    .push(" WHERE account_id = ")
                    .bind(scope.account_id())
                    .push(" AND configuration_id = ")
                    .bind(id)
                    .push(" AND primary_interface = TRUE");
                if tx.execute(&sql).await? == 0 && (ip.is_some() || mac.is_some()) {
                    let primary = InlineInterface {
                        name: Some("Primary".into()),
                        ip,
                        mac,
                        primary: true,
                        notes: None,
                    };
                    insert_interface(tx, scope, id, &primary).await?;
                }
            }
            expirations::refresh(tx, scope, &CONFIGURATIONS, id, EXPIRY).await
        })
    }
}

impl Hooks for InterfaceHooks {
    fn before_write<'a>(&'a self, ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut problems = Vec::new();
            check_addresses(
                ctx.values,
                ctx.pointer,
                [("ip_address", "ip-address"), ("mac_address", "mac-address")],
                &mut problems,
            );
            // An interface belongs to one device for life: moving it would
            // leave the old configuration's primary address behind.
            if let (Some(id), Some(target)) = (
                ctx.id,
                ctx.values.get("configuration_id").and_then(Arg::as_i64),
            ) {
                let mut sql = ctx.tx.sql();
                sql.push(
                    "SELECT configuration_id FROM configuration_interfaces WHERE account_id = ",
                )
                .bind(ctx.scope.account_id())
                .push(" AND id = ")
                .bind(id);
                let current = ctx
                    .tx
                    .fetch(&sql, &[ColumnType::Int])
                    .await?
                    .pop()
                    .and_then(|r| r[0].as_i64());
                if current.is_some_and(|c| c != target) {
                    problems.push(Invalid::new(
                        format!("{}/configuration-id", ctx.pointer),
                        "an interface cannot move to another configuration",
                    ));
                }
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(Error::Invalid(problems))
            }
        })
    }

    fn after_write<'a>(&'a self, ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let (tx, scope, id) = (ctx.tx, ctx.scope, ctx.id);
            let mut sql = tx.sql();
            sql.push(
                "SELECT configuration_id, ip_address, mac_address, primary_interface \
                 FROM configuration_interfaces WHERE account_id = ",
            )
            .bind(scope.account_id())
            .push(" AND id = ")
            .bind(id);
            let Some(row) = tx
                .fetch(
                    &sql,
                    &[
                        ColumnType::Int,
                        ColumnType::Text,
                        ColumnType::Text,
                        ColumnType::Bool,
                    ],
                )
                .await?
                .pop()
            else {
                return Ok(());
            };
            let primary = matches!(row[3], Cell::Bool(true) | Cell::Int(1));
            let Some(configuration) = row[0].as_i64() else {
                return Ok(());
            };
            if !primary {
                return Ok(());
            }
            let mut sql = tx.sql();
            sql.push(
                "UPDATE configuration_interfaces SET primary_interface = FALSE WHERE account_id = ",
            )
            .bind(scope.account_id())
            .push(" AND configuration_id = ")
            .bind(configuration)
            .push(" AND id <> ")
            .bind(id)
            .push(" AND primary_interface = TRUE");
            tx.execute(&sql).await?;
            set_configuration_addresses(
                tx,
                scope,
                configuration,
                row[1].as_str().map(str::to_string),
                row[2].as_str().map(str::to_string),
            )
            .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_addresses_are_normalised_from_the_usual_notations() {
        for given in [
            "C4:7A:92:14:3D:78",
            "c4-7a-92-14-3d-78",
            "c47a.9214.3d78",
            "c47a92143d78",
        ] {
            assert_eq!(normalize_mac(given).as_deref(), Some("C4:7A:92:14:3D:78"));
        }
        for bad in ["C4:7A:92:14:3D", "G4:7A:92:14:3D:78", "c4:7a-92143d78", ""] {
            assert_eq!(normalize_mac(bad), None, "{bad}");
        }
    }
}
