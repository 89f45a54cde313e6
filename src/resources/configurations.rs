//! `configurations` and `configuration-interfaces` (seed sections
//! "Configurations" and "Configuration Interfaces"): managed devices and
//! their network interfaces.
//!
//! A configuration's `primary-ip` and `mac-address` and its primary
//! interface are one fact kept in two places: writing either side rewrites
//! the other in the same transaction, and at most one interface of a
//! configuration is primary. Warranty and lifecycle dates feed expirations.

use std::net::IpAddr;

use serde_json::{json, Map, Value};

use super::owned::{
    self, ARCHIVED, ORGANIZATION_ID, ORGANIZATION_JOIN, ORGANIZATION_NAME, RESOURCE_URL, RESTRICTED,
};
use super::{
    AfterWrite, BoxFuture, Carries, Change, ColumnType, Expiry, Field, Filter, Hooks, Include,
    IncludeTarget, Join, Nested, NewRecord, Ops, Parent, Resource, Sort, WriteContext,
};
use crate::error::{Error, Invalid, Result};
use crate::store::{Arg, Cell, Lock, Match, Scope, Values};

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
const EXPIRY: &[Expiry] = &[
    Expiry {
        column: "warranty_expires_at",
        column_type: ColumnType::Date,
        description: "Warranty expiration",
    },
    Expiry {
        column: "mitp_device_expiration_date",
        column_type: ColumnType::Date,
        description: "Device expiration",
    },
    Expiry {
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
    search: Some(&super::Search {
        code: 2,
        title: &["name", "hostname"],
        body: &[
            "serial_number",
            "primary_ip",
            "mac_address",
            "asset_tag",
            "configuration_type_name",
            "manufacturer_name",
            "model_name",
            "operating_system_name",
            "notes",
        ],
    }),
    organization_column: Some("organization_id"),
    fields: &[
        ORGANIZATION_ID,
        ORGANIZATION_NAME,
        Field::computed("organization_short_name", "o.short_name", ColumnType::Text),
        RESOURCE_URL,
        column!("name", Text).required(),
        column!("hostname", Text),
        column!("primary_ip", Text).max_len(45),
        column!("mac_address", Text).max_len(17),
        column!("default_gateway", Text).max_len(45),
        column!("serial_number", Text),
        column!("asset_tag", Text),
        column!("position", Text),
        column!("installed_by", Text),
        column!("purchased_by", Text),
        column!("notes", Text).long_text(),
        column!("operating_system_notes", Text).long_text(),
        column!("warranty_expires_at", Date),
        column!("installed_at", Date),
        column!("purchased_at", Date),
        column!("mitp_device_expiration_date", Date),
        column!("mitp_end_of_life_date", Date),
        column!("configuration_type_id", Int)
            .required()
            .references("configuration_types"),
        Field::computed("configuration_type_name", "ct.name", ColumnType::Text),
        Field::computed("configuration_type_kind", "ct.kind", ColumnType::Text),
        column!("configuration_status_id", Int).references("configuration_statuses"),
        Field::computed("configuration_status_name", "cs.name", ColumnType::Text),
        column!("manufacturer_id", Int).references("manufacturers"),
        Field::computed("manufacturer_name", "mf.name", ColumnType::Text),
        column!("model_id", Int).references("models"),
        Field::computed("model_name", "md.name", ColumnType::Text),
        column!("operating_system_id", Int).references_global("operating_systems"),
        Field::computed("operating_system_name", "os.name", ColumnType::Text),
        column!("location_id", Int).references("locations"),
        Field::computed("location_name", "l.name", ColumnType::Text),
        column!("contact_id", Int).references("contacts"),
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
        filter!("id", Int),
        filter!("name", Text),
        filter!("organization_id", Int),
        filter!("configuration_type_id", Int),
        filter!("configuration_status_id", Int),
        filter!("contact_id", Int),
        filter!("serial_number", Text),
        filter!("mac_address", Text).normalized(normalize_mac),
        filter!("asset_tag", Text),
        filter!("archived", Bool),
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
    under: &[owned::UNDER_ORGANIZATION],
    ops: Ops {
        delete: false,
        ..Ops::ALL
    },
    carries: Carries::EVERYTHING,
    expirations: EXPIRY,
    hooks: &ConfigurationHooks,
    ..Resource::BASE
};

/// `configuration-interfaces`, also under
/// `/configurations/:id/relationships/configuration_interfaces`.
/// The reference gives them no delete route; they go with their configuration.
pub static CONFIGURATION_INTERFACES: Resource = Resource {
    json_type: "configuration-interfaces",
    route: "configuration_interfaces",
    table: "configuration_interfaces",
    class: "ConfigurationInterface",
    fields: &[
        // The reference's examples carry the id inside the attributes, but
        // lack the top-level id JSON:API requires: an erratum. Clients that
        // build objects from `id` plus every attribute (the Python `itglue`
        // client) break on a second `id`, so it is only at the top level.
        column!("configuration_id", Int)
            .required()
            .references("configurations"),
        column!("name", Text),
        column!("ip_address", Text).max_len(45),
        column!("mac_address", Text).max_len(17),
        Field::column("primary", "t.primary_interface", ColumnType::Bool)
            .stored_in("primary_interface")
            .not_null(),
        column!("notes", Text).long_text(),
        Field::created_at(),
        Field::updated_at(),
    ],
    filters: &[
        filter!("id", Int),
        filter!("ip_address", Text).normalized(normalize_ip),
    ],
    sorts: &[
        Sort::on("ip_address", "t.ip_address"),
        Sort::on("configuration_id", "t.configuration_id"),
    ],
    under: &[Parent::new(
        "configurations",
        "configurations",
        "configuration_id",
    )],
    ops: Ops {
        delete: false,
        bulk_delete: false,
        ..Ops::ALL
    },
    hooks: &InterfaceHooks,
    ..Resource::BASE
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

/// The items of `relationships.configuration_interfaces.data[]` of a new
/// configuration, each with its pointer and the configuration's id added,
/// ready for the interfaces' own checks.
fn inline_interfaces(
    relationships: Option<&Value>,
    item_pointer: &str,
    configuration: i64,
) -> Result<Vec<(String, Map<String, Value>)>> {
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
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        // Attributes may also come bare, without the `attributes` wrapper.
        let mut attributes = match item.get("attributes").unwrap_or(item) {
            Value::Object(map) => map.clone(),
            _ => Map::new(),
        };
        attributes.remove("type");
        attributes.insert("configuration_id".into(), json!(configuration));
        let mut object = Map::new();
        object.insert("attributes".into(), Value::Object(attributes));
        out.push((format!("{base}/{i}"), object));
    }
    Ok(out)
}

/// Which of a configuration's interfaces is its primary one, given which
/// are marked primary in the order they are written: the last one marked
/// (marking an interface primary clears the others), or none.
pub fn primary_interface(marked: impl IntoIterator<Item = bool>) -> Option<usize> {
    marked
        .into_iter()
        .enumerate()
        .filter_map(|(i, marked)| marked.then_some(i))
        .last()
}

/// A new configuration and its interfaces as the hooks leave them: one
/// interface at most is primary ([`primary_interface`]); addresses written
/// to the configuration (`primary_ip`, `mac_address`) win and reach its
/// primary interface, which is made (named "Primary") when there is none;
/// otherwise the configuration takes the primary interface's addresses.
/// Interfaces carry `name`, `ip_address`, `mac_address` and
/// `primary_interface` columns.
pub fn settle_new(configuration: &mut Values, interfaces: &mut Vec<Values>) {
    let primary = primary_interface(
        interfaces
            .iter()
            .map(|i| i.get("primary_interface") == Some(&Arg::from(true))),
    );
    for (i, interface) in interfaces.iter_mut().enumerate() {
        interface.set("primary_interface", Arg::from(Some(i) == primary));
    }
    let written =
        configuration.get("primary_ip").is_some() || configuration.get("mac_address").is_some();
    if written {
        let (ip, mac) = (
            text_value(configuration, "primary_ip"),
            text_value(configuration, "mac_address"),
        );
        match primary {
            Some(i) => {
                interfaces[i].set("ip_address", Arg::from(ip));
                interfaces[i].set("mac_address", Arg::from(mac));
            }
            None if ip.is_some() || mac.is_some() => {
                let mut interface = Values::default();
                interface.set("name", Arg::from("Primary"));
                interface.set("ip_address", Arg::from(ip));
                interface.set("mac_address", Arg::from(mac));
                interface.set("primary_interface", Arg::from(true));
                interfaces.push(interface);
            }
            None => {}
        }
    } else if let Some(i) = primary {
        configuration.set(
            "primary_ip",
            Arg::from(text_value(&interfaces[i], "ip_address")),
        );
        configuration.set(
            "mac_address",
            Arg::from(text_value(&interfaces[i], "mac_address")),
        );
    }
}

/// Whether an inline interface item is marked primary.
fn marked_primary(item: &Map<String, Value>) -> bool {
    match item.get("attributes").and_then(|a| a.get("primary")) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => crate::names::parse_bool(s).unwrap_or(false),
        _ => false,
    }
}

/// The text `values` hold for `column` (`None` when absent or null).
fn text_value(values: &Values, column: &str) -> Option<String> {
    match values.get(column) {
        Some(Arg::Text(text)) => text.clone(),
        _ => None,
    }
}

/// The text of a text value.
fn text_of(cell: Option<&Cell>) -> Option<String> {
    cell.and_then(Cell::as_str).map(str::to_string)
}

/// The primary IP and MAC of configuration `id`, as stored (two columns,
/// none of the record's joins).
async fn configuration_addresses(
    nested: &mut dyn Nested,
    scope: Scope,
    id: i64,
) -> Result<Option<(Option<String>, Option<String>)>> {
    Ok(nested
        .tx()
        .select(
            scope,
            CONFIGURATIONS.table,
            &[
                ("primary_ip", ColumnType::Text),
                ("mac_address", ColumnType::Text),
            ],
            &[Match::id(id)],
            Lock::None,
        )
        .await?
        .pop()
        .map(|row| (text_of(row.first()), text_of(row.get(1)))))
}

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
            if problems.is_empty() {
                Ok(())
            } else {
                Err(Error::Invalid(problems))
            }
        })
    }

    /// Inline interfaces are created through the interfaces' own checks,
    /// and a primary one gives the configuration its addresses; addresses
    /// written to the configuration win, and reach its primary interface
    /// (made when there is none). A new configuration settles its
    /// interfaces here, so their own hooks leave it alone.
    fn after_write<'a>(&'a self, ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let id = ctx.id;
            let addresses_written =
                ctx.values.get("primary_ip").is_some() || ctx.values.get("mac_address").is_some();
            let written = if !addresses_written {
                None
            } else if ctx.created {
                // A new record holds what it was inserted with.
                let text = |column| text_value(ctx.values, column);
                Some((text("primary_ip"), text("mac_address")))
            } else {
                configuration_addresses(ctx.nested, ctx.scope, id).await?
            };
            let primary = if ctx.created {
                let item_pointer = ctx.pointer.trim_end_matches("/attributes");
                let mut inline = inline_interfaces(ctx.relationships, item_pointer, id)?;
                if inline.is_empty() {
                    None
                } else {
                    // Only the primary one stays marked: a new configuration
                    // has at most one primary interface.
                    let primary = primary_interface(inline.iter().map(|(_, i)| marked_primary(i)));
                    for (i, (_, item)) in inline.iter_mut().enumerate() {
                        if Some(i) != primary && marked_primary(item) {
                            if let Some(Value::Object(attributes)) = item.get_mut("attributes") {
                                attributes.insert("primary".into(), Value::Bool(false));
                            }
                        }
                    }
                    let created = ctx
                        .nested
                        .create_items(&CONFIGURATION_INTERFACES, inline)
                        .await?;
                    primary.and_then(|i| created.into_iter().nth(i))
                }
            } else if written.is_some() {
                ctx.nested
                    .find(
                        &CONFIGURATION_INTERFACES,
                        vec![
                            ("configuration_id", Arg::from(id)),
                            ("primary_interface", Arg::from(true)),
                        ],
                    )
                    .await?
                    .pop()
            } else {
                None
            };
            // The primary interface's id and addresses.
            let primary = primary.map(|interface| {
                let cell = |name| text_of(CONFIGURATION_INTERFACES.cell(&interface, name));
                (interface.id, (cell("ip_address"), cell("mac_address")))
            });
            let Some((ip, mac)) = written else {
                // A new configuration takes its primary interface's addresses.
                if let Some((_, (ip, mac))) = primary.filter(|_| ctx.created) {
                    if ip.is_some() || mac.is_some() {
                        let mut values = Values::default();
                        values.set("primary_ip", Arg::from(ip));
                        values.set("mac_address", Arg::from(mac));
                        ctx.nested
                            .update(
                                &CONFIGURATIONS,
                                vec![Change {
                                    pointer: ctx.pointer.to_string(),
                                    id,
                                    values,
                                }],
                            )
                            .await?;
                    }
                }
                return Ok(());
            };
            let mut addresses = Values::default();
            addresses.set("ip_address", Arg::from(ip.clone()));
            addresses.set("mac_address", Arg::from(mac.clone()));
            match primary {
                Some((interface, current)) if current.0 != ip || current.1 != mac => {
                    ctx.nested
                        .update(
                            &CONFIGURATION_INTERFACES,
                            vec![Change {
                                pointer: ctx.pointer.to_string(),
                                id: interface,
                                values: addresses,
                            }],
                        )
                        .await?;
                }
                Some(_) => {}
                None if ip.is_some() || mac.is_some() => {
                    addresses.set("configuration_id", Arg::from(id));
                    addresses.set("name", Arg::from("Primary"));
                    addresses.set("primary_interface", Arg::from(true));
                    ctx.nested
                        .create(
                            &CONFIGURATION_INTERFACES,
                            vec![NewRecord::new(ctx.pointer, addresses)],
                        )
                        .await?;
                }
                None => {}
            }
            Ok(())
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
                let current = ctx
                    .nested
                    .find(&CONFIGURATION_INTERFACES, vec![("id", Arg::from(id))])
                    .await?
                    .pop()
                    .and_then(|i| {
                        CONFIGURATION_INTERFACES
                            .cell(&i, "configuration_id")
                            .and_then(Cell::as_i64)
                    });
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

    /// A primary interface is its configuration's only one, and gives the
    /// configuration its addresses (a configuration created in this write
    /// has settled that itself: see [`ConfigurationHooks`]).
    fn after_write<'a>(&'a self, ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let (configuration, primary, addresses) = if ctx.created {
                // A new record holds what it was inserted with.
                let text = |column| text_value(ctx.values, column);
                (
                    ctx.values.get("configuration_id").and_then(Arg::as_i64),
                    ctx.values.get("primary_interface") == Some(&Arg::from(true)),
                    (text("ip_address"), text("mac_address")),
                )
            } else {
                let Some(interface) = ctx
                    .nested
                    .find(&CONFIGURATION_INTERFACES, vec![("id", Arg::from(ctx.id))])
                    .await?
                    .pop()
                else {
                    return Ok(());
                };
                let cell = |name: &str| CONFIGURATION_INTERFACES.cell(&interface, name);
                (
                    cell("configuration_id").and_then(Cell::as_i64),
                    matches!(cell("primary"), Some(Cell::Bool(true) | Cell::Int(1))),
                    (text_of(cell("ip_address")), text_of(cell("mac_address"))),
                )
            };
            let Some(configuration) = configuration else {
                return Ok(());
            };
            if !primary
                || (ctx.created
                    && ctx
                        .nested
                        .created_in_this_write(&CONFIGURATIONS, configuration))
            {
                return Ok(());
            }
            let mut cleared = Values::default();
            cleared.set("primary_interface", Arg::from(false));
            ctx.nested
                .tx()
                .update_rows(
                    ctx.scope,
                    CONFIGURATION_INTERFACES.table,
                    &cleared,
                    &[
                        Match::Eq("configuration_id", Arg::from(configuration)),
                        Match::Ne("id", Arg::from(ctx.id)),
                        Match::Eq("primary_interface", Arg::from(true)),
                    ],
                )
                .await?;
            if configuration_addresses(ctx.nested, ctx.scope, configuration).await?
                == Some(addresses.clone())
            {
                return Ok(());
            }
            let mut values = Values::default();
            values.set("primary_ip", Arg::from(addresses.0));
            values.set("mac_address", Arg::from(addresses.1));
            ctx.nested
                .update(
                    &CONFIGURATIONS,
                    vec![Change {
                        pointer: ctx.pointer.to_string(),
                        id: configuration,
                        values,
                    }],
                )
                .await?;
            Ok(())
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
