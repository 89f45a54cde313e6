//! Flexible assets of the sample data: the types MSPs document most
//! (`data/flexible_asset_types.json`, the bodies a client would POST), and
//! for each organization assets of those types that tag its devices,
//! people and sites, hold passwords and a running configuration, and
//! expire.
//!
//! Unlike the rest of the sample data, flexible assets are written through
//! the engine, as a client's requests would be: their traits need the
//! vault (Password), the file store (Upload), related items (Tag) and
//! expirations (Date) exactly as the API writes them. So they appear in
//! the activity log, made by the `mortar demo` user agent.

use std::collections::HashMap;

use anyhow::Context as _;
use base64::Engine as _;
use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Map, Value};

use super::plan::{AssetPlan, OrganizationPlan, TraitPlan};
use crate::engine::input::data_items;
use crate::engine::{Caller, Engine};
use crate::names::normalize_keys;
use crate::query::{FilterParam, Query};
use crate::resources::flexible_asset_types::FLEXIBLE_ASSET_TYPES;
use crate::resources::flexible_assets::FLEXIBLE_ASSETS;
use crate::store::Actor;

/// The sample types, as `POST /flexible_asset_types` bodies' `data`.
const SAMPLE_TYPES: &str = include_str!("../../data/flexible_asset_types.json");

/// The most printers an organization documents as assets.
const PRINTERS_PER_ORGANIZATION: usize = 50;

/// Who writes the sample assets, as the activity log names them.
pub(super) fn caller(scope: crate::store::Scope) -> Caller {
    Caller {
        scope,
        actor: Actor {
            key_id: None,
            user_id: None,
            ip: None,
            user_agent: Some("mortar demo".into()),
        },
        password_access: true,
        user: None,
    }
}

/// The sample types' ids by name: those the account has already (by name),
/// the others created with their fields.
pub(super) async fn ensure_types(
    engine: &Engine,
    caller: &Caller,
) -> anyhow::Result<HashMap<String, i64>> {
    let body =
        normalize_keys(serde_json::from_str(SAMPLE_TYPES).context("reading the sample types")?);
    let (items, _) = data_items(&body, &FLEXIBLE_ASSET_TYPES, true)?;
    let mut ids = HashMap::new();
    for item in items {
        let name = item.attributes()["name"]
            .as_str()
            .context("a sample type without a name")?
            .to_string();
        let query = Query {
            filters: vec![FilterParam::matching("name", name.clone())],
            ..Query::default()
        };
        let existing = engine
            .list(caller, &FLEXIBLE_ASSET_TYPES, None, &query)
            .await?;
        let id = match existing.records.first() {
            Some(record) => record.id,
            None => {
                let created = engine
                    .create(
                        caller,
                        &FLEXIBLE_ASSET_TYPES,
                        None,
                        vec![item],
                        &Query::default(),
                    )
                    .await
                    .with_context(|| format!("creating the sample type {name:?}"))?;
                created.records[0].id
            }
        };
        ids.insert(name, id);
    }
    Ok(ids)
}

/// The ids the loader gave an organization's records, in plan order.
#[derive(Debug, Clone, Default)]
pub(super) struct OrganizationIds {
    /// The organization.
    pub organization: i64,
    /// Its locations.
    pub locations: Vec<i64>,
    /// Its contacts.
    pub contacts: Vec<i64>,
    /// Its configurations.
    pub configurations: Vec<i64>,
}

/// Writes an organization's planned assets in one request-like create, all
/// or none; returns how many were made.
pub(super) async fn write(
    engine: &Engine,
    caller: &Caller,
    types: &HashMap<String, i64>,
    ids: &OrganizationIds,
    assets: Vec<AssetPlan>,
) -> anyhow::Result<u64> {
    if assets.is_empty() {
        return Ok(0);
    }
    let pick = |all: &[i64], indexes: &[usize]| -> Value {
        indexes
            .iter()
            .filter_map(|i| all.get(*i))
            .copied()
            .collect::<Vec<i64>>()
            .into()
    };
    let mut data = Vec::with_capacity(assets.len());
    for asset in assets {
        let type_id = types
            .get(asset.type_name)
            .with_context(|| format!("no sample type {:?}", asset.type_name))?;
        let mut traits = Map::new();
        for (key, value) in asset.traits {
            let value = match value {
                TraitPlan::Value(value) => value,
                TraitPlan::Configurations(i) => pick(&ids.configurations, &i),
                TraitPlan::Contacts(i) => pick(&ids.contacts, &i),
                TraitPlan::Locations(i) => pick(&ids.locations, &i),
            };
            traits.insert(key.to_string(), value);
        }
        data.push(json!({"type": "flexible_assets", "attributes": {
            "organization-id": ids.organization,
            "flexible-asset-type-id": type_id,
            "traits": traits,
        }}));
    }
    let count = data.len() as u64;
    let (items, _) = data_items(
        &normalize_keys(json!({ "data": data })),
        &FLEXIBLE_ASSETS,
        true,
    )?;
    engine
        .create(caller, &FLEXIBLE_ASSETS, None, items, &Query::default())
        .await?;
    Ok(count)
}

/// What the planner needs to know of an organization beyond its plan.
pub(super) struct Context<'p> {
    /// The organization's plan.
    pub plan: &'p OrganizationPlan,
    /// The configuration type of each planned configuration, by index.
    pub kinds: Vec<&'p str>,
    /// The organization's code (`ACME`).
    pub code: &'p str,
    /// Today.
    pub today: NaiveDate,
}

impl Context<'_> {
    /// Indexes of the configurations of `kinds`, at most `max` of them.
    fn devices(&self, kinds: &[&str], max: usize) -> Vec<usize> {
        self.kinds
            .iter()
            .enumerate()
            .filter(|(_, k)| kinds.contains(k))
            .map(|(i, _)| i)
            .take(max)
            .collect()
    }

    fn date(&self, days_from_today: i64) -> Value {
        json!((self.today + Duration::days(days_from_today))
            .format("%Y-%m-%d")
            .to_string())
    }

    /// Up to `n` distinct contact indexes.
    fn contacts(&self, rng: &mut StdRng, n: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..self.plan.contacts.len()).collect();
        all.shuffle(rng);
        all.truncate(n);
        all
    }
}

/// A password as a vault would generate one: 20 characters of letters,
/// digits and symbols.
fn password(rng: &mut StdRng) -> Value {
    const CHARS: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%*+-=?@_";
    json!((0..20)
        .map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char)
        .collect::<String>())
}

fn value(v: impl Into<Value>) -> TraitPlan {
    TraitPlan::Value(v.into())
}

fn one_of<'t>(rng: &mut StdRng, items: &[&'t str]) -> &'t str {
    items[rng.gen_range(0..items.len())]
}

const SERVERS: &[&str] = &["Managed Server", "Virtual Machine"];
const NETWORK: &[&str] = &["Firewall", "Router", "Switch"];

const PRODUCTS: &[(&str, &str)] = &[
    ("Microsoft 365 Business Premium", "Microsoft"),
    ("Adobe Acrobat Pro", "Adobe"),
    ("SentinelOne Singularity Control", "SentinelOne"),
    ("Veeam Data Platform Foundation", "Veeam"),
    ("AutoCAD LT", "Autodesk"),
    ("QuickBooks Online Advanced", "Intuit"),
    ("Zoom Workplace Business", "Zoom"),
    ("Bitdefender GravityZone Business Security", "Bitdefender"),
];

const VENDORS: &[(&str, &str, &str)] = &[
    (
        "Comcast Business",
        "Internet Service Provider",
        "+1 800-391-3000",
    ),
    (
        "Lumen Technologies",
        "Internet Service Provider",
        "+1 877-453-8353",
    ),
    ("Dell Technologies", "Hardware", "+1 800-456-3355"),
    ("CDW", "Hardware", "+1 800-800-4239"),
    ("RingCentral", "Telephony", "+1 888-898-4591"),
    ("Xerox", "Printing", "+1 800-821-2797"),
    ("Pax8", "Software", "+1 855-884-7298"),
    ("Sage", "Line of Business", "+1 866-996-7243"),
];

/// The assets of one organization.
pub(super) fn assets(rng: &mut StdRng, cx: &Context) -> Vec<AssetPlan> {
    let plan = cx.plan;
    let domain = plan.domains.first().map_or_else(
        || format!("{}.com", cx.code.to_lowercase()),
        |d| d.name.clone(),
    );
    let servers = cx.devices(SERVERS, 5);
    let mut out = Vec::new();

    if !servers.is_empty() {
        out.push(AssetPlan {
            type_name: "Active Directory",
            traits: vec![
                ("domain-full-name", value(format!("corp.{domain}"))),
                ("domain-netbios-name", value(cx.code.to_uppercase())),
                (
                    "forest-functional-level",
                    value(one_of(rng, &["Windows Server 2016", "Windows Server 2016", "Windows Server 2012 R2", "Windows Server 2025"])),
                ),
                (
                    "domain-controllers",
                    TraitPlan::Configurations(servers.iter().take(2).copied().collect()),
                ),
                ("entra-connect-sync", value(rng.gen_bool(0.6))),
                ("domain-admin", TraitPlan::Value(password(rng))),
                ("dsrm-password", TraitPlan::Value(password(rng))),
                (
                    "notes",
                    value("<p>Break-glass account <strong>adm-breakglass</strong> is excluded from MFA; its password is rotated quarterly.</p>"),
                ),
            ],
        });
        out.push(AssetPlan {
            type_name: "Backup",
            traits: vec![
                ("backup-name", value("Nightly server backup")),
                (
                    "solution",
                    value(one_of(rng, &["Veeam Backup & Replication", "Datto SIRIS", "Acronis Cyber Protect", "MSP360 Managed Backup", "Synology Active Backup"])),
                ),
                ("protected-servers", TraitPlan::Configurations(servers.clone())),
                ("schedule", value("Daily at 22:00; hourly snapshots 07:00-19:00")),
                ("retention-days", value(*[30, 60, 90, 365].choose(rng).unwrap_or(&30))),
                ("offsite-copy", value(rng.gen_bool(0.8))),
                ("last-test-restore", TraitPlan::Value(cx.date(-rng.gen_range(3..120)))),
                ("encryption-password", TraitPlan::Value(password(rng))),
                (
                    "notes",
                    value("<p>Restore tests are logged in the monthly report. Offsite copies are immutable for 14 days.</p>"),
                ),
            ],
        });
    }

    out.push(AssetPlan {
        type_name: "Email",
        traits: vec![
            ("domain-name", value(domain.clone())),
            (
                "platform",
                value(one_of(
                    rng,
                    &[
                        "Microsoft 365",
                        "Microsoft 365",
                        "Google Workspace",
                        "Exchange Server (on-premises)",
                    ],
                )),
            ),
            ("mailboxes", value(plan.contacts.len() as i64)),
            ("administrators", TraitPlan::Contacts(cx.contacts(rng, 2))),
            ("spf-dkim-and-dmarc", value(rng.gen_bool(0.7))),
            (
                "mx-records",
                value(format!(
                    "<p>10 {}.mail.protection.outlook.com</p>",
                    domain.replace('.', "-")
                )),
            ),
            ("global-admin-password", TraitPlan::Value(password(rng))),
        ],
    });

    for (n, location) in plan.locations.iter().enumerate() {
        let network = cx
            .kinds
            .iter()
            .enumerate()
            .filter(|(i, k)| NETWORK.contains(k) && plan.configurations[*i].location == Some(n))
            .map(|(i, _)| i)
            .take(5)
            .collect::<Vec<usize>>();
        let gateway = plan
            .configurations
            .iter()
            .find_map(|c| c.default_gateway.clone())
            .unwrap_or_else(|| "10.0.0.1".into());
        let subnet = gateway
            .rsplit_once('.')
            .map_or("10.0.0".into(), |(net, _)| net.to_string());
        let vlan = 10 * (n as i64 + 1);
        let mut traits = vec![
            ("network-name", value(format!("{} LAN", location.name))),
            ("site", TraitPlan::Locations(vec![n])),
            ("subnet", value(format!("{subnet}.0/24"))),
            ("vlan", value(vlan)),
            ("gateway", value(gateway.clone())),
            ("dns-servers", value(format!("{gateway}, 1.1.1.1"))),
        ];
        if !network.is_empty() {
            let switch = &plan.configurations[network[0]].name;
            let config = format!(
                "! {switch} running configuration\nhostname {switch}\n!\nvlan {vlan}\n name {}\n!\ninterface Vlan{vlan}\n ip address {gateway} 255.255.255.0\n!\nip name-server {gateway}\nntp server pool.ntp.org\n!\nend\n",
                location.name.replace(' ', "-"),
            );
            traits.push(("network-devices", TraitPlan::Configurations(network)));
            traits.push((
                "switch-configuration",
                value(json!({
                    "file_name": format!("{}-running-config.txt", switch.to_lowercase()),
                    "content": base64::engine::general_purpose::STANDARD.encode(config),
                })),
            ));
        }
        out.push(AssetPlan {
            type_name: "LAN",
            traits,
        });
    }

    let access_points = cx.devices(&["Wireless Access Point"], 10);
    for (ssid, guest) in [("Staff", false), ("Guest", true)] {
        if guest && rng.gen_bool(0.4) {
            continue;
        }
        let mut traits = vec![
            ("ssid", value(format!("{}-{ssid}", cx.code.to_uppercase()))),
            (
                "security",
                value(if guest {
                    "WPA2-Personal"
                } else {
                    one_of(
                        rng,
                        &["WPA2-Enterprise", "WPA3-Enterprise", "WPA3-Personal"],
                    )
                }),
            ),
            ("guest-network", value(guest)),
            ("vlan", value(if guest { 99 } else { 10 })),
            ("pre-shared-key", TraitPlan::Value(password(rng))),
        ];
        if !access_points.is_empty() {
            traits.push((
                "access-points",
                TraitPlan::Configurations(access_points.clone()),
            ));
        }
        out.push(AssetPlan {
            type_name: "Wireless",
            traits,
        });
    }

    let mut products: Vec<&(&str, &str)> = PRODUCTS.iter().collect();
    products.shuffle(rng);
    for (product, vendor) in products.into_iter().take(rng.gen_range(3..=5)) {
        let seats = rng.gen_range(5..=plan.contacts.len().max(6) as i64);
        let used = f64::from(rng.gen_range(500..=1000)) / 10.0;
        out.push(AssetPlan {
            type_name: "Licensing",
            traits: vec![
                ("product", value(*product)),
                ("vendor", value(*vendor)),
                ("seats", value(seats)),
                ("seats-in-use", value(used)),
                (
                    "renewal-date",
                    TraitPlan::Value(cx.date(rng.gen_range(-20..400))),
                ),
                (
                    "licence-key",
                    value(format!(
                        "{:05}-{:05}-{:05}-{:05}",
                        rng.gen_range(0..100_000),
                        rng.gen_range(0..100_000),
                        rng.gen_range(0..100_000),
                        rng.gen_range(0..100_000)
                    )),
                ),
                ("licensed-users", TraitPlan::Contacts(cx.contacts(rng, 3))),
            ],
        });
    }

    let mut vendors: Vec<&(&str, &str, &str)> = VENDORS.iter().collect();
    vendors.shuffle(rng);
    for (name, category, phone) in vendors.into_iter().take(rng.gen_range(2..=4)) {
        out.push(AssetPlan {
            type_name: "Vendor",
            traits: vec![
                ("vendor-name", value(*name)),
                ("category", value(*category)),
                (
                    "account-number",
                    value(format!(
                        "{}-{:07}",
                        cx.code.to_uppercase(),
                        rng.gen_range(0..10_000_000)
                    )),
                ),
                ("support-phone", value(*phone)),
                (
                    "contract-end",
                    TraitPlan::Value(cx.date(rng.gen_range(-30..730))),
                ),
                ("portal-password", TraitPlan::Value(password(rng))),
                ("primary-contact", TraitPlan::Contacts(cx.contacts(rng, 1))),
            ],
        });
    }

    for i in cx.devices(&["Printer"], PRINTERS_PER_ORGANIZATION) {
        let device = &plan.configurations[i];
        let mut traits = vec![
            ("printer-name", value(device.name.clone())),
            ("device", TraitPlan::Configurations(vec![i])),
            (
                "queue",
                value(format!(
                    "\\\\{}-PRINT01\\{}",
                    cx.code.to_uppercase(),
                    device.name
                )),
            ),
            (
                "driver",
                value(one_of(
                    rng,
                    &[
                        "PCL6 Universal",
                        "PostScript Universal",
                        "Driverless (IPP Everywhere)",
                    ],
                )),
            ),
            ("colour", value(rng.gen_bool(0.5))),
            ("toner-level", value(rng.gen_range(3..=100))),
            ("admin-password", TraitPlan::Value(password(rng))),
        ];
        if let Some(location) = device.location {
            traits.push(("location", TraitPlan::Locations(vec![location])));
        }
        out.push(AssetPlan {
            type_name: "Printer",
            traits,
        });
    }
    out
}
