//! Bulk loading of generated sample data (`mortar demo`).
//!
//! Rows arrive as plans (plain data, catalog ids already resolved, references
//! inside an organization as indexes) and go in as multi-row INSERTs sized to
//! the backend's bound-parameter limit, one transaction per organization.
//! Ids come back from `RETURNING id` on the same statement, never from a
//! query per row. Every row is written as the API's hooks would leave it
//! (contact names and primary emails, a primary interface mirroring its
//! configuration's address, expiration rows); no activity-log entries are
//! written for sample data.

use std::collections::HashMap;

use anyhow::Context as _;

use super::ColumnType;
use super::{Arg, Dialect, Scope, Store, Tx};
use crate::clock::now_millis;

/// Bound parameters per statement, under SQLite's 32766 and PostgreSQL's 65535.
fn parameter_budget(dialect: Dialect) -> usize {
    match dialect {
        Dialect::Sqlite => 32_000,
        Dialect::Postgres => 65_000,
    }
}

/// Rows per statement at most, whatever the budget allows.
const MAX_ROWS: usize = 2_000;

/// The account's catalog rows and the global reference rows, by name.
#[derive(Debug, Clone, Default)]
pub struct DemoCatalog {
    /// Organization types by name.
    pub organization_types: HashMap<String, i64>,
    /// Organization statuses by name.
    pub organization_statuses: HashMap<String, i64>,
    /// Configuration types by name.
    pub configuration_types: HashMap<String, i64>,
    /// Configuration statuses by name.
    pub configuration_statuses: HashMap<String, i64>,
    /// Contact types by name.
    pub contact_types: HashMap<String, i64>,
    /// Countries by ISO code.
    pub countries: HashMap<String, i64>,
    /// Regions by (country ISO code, region ISO code).
    pub regions: HashMap<(String, String), i64>,
    /// Operating systems by name.
    pub operating_systems: HashMap<String, i64>,
}

/// A manufacturer and the models the sample data uses.
#[derive(Debug, Clone)]
pub struct ManufacturerPlan {
    /// Manufacturer name.
    pub name: String,
    /// Model names.
    pub models: Vec<String>,
}

/// One organization and everything it owns.
#[derive(Debug, Clone, Default)]
pub struct OrganizationPlan {
    /// Name.
    pub name: String,
    /// Short name.
    pub short_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Quick notes.
    pub quick_notes: Option<String>,
    /// Alert.
    pub alert: Option<String>,
    /// Organization type.
    pub organization_type_id: Option<i64>,
    /// Organization status.
    pub organization_status_id: Option<i64>,
    /// Sites.
    pub locations: Vec<LocationPlan>,
    /// People.
    pub contacts: Vec<ContactPlan>,
    /// Devices.
    pub configurations: Vec<ConfigurationPlan>,
    /// Domains.
    pub domains: Vec<DomainPlan>,
    /// Documents.
    pub documents: Vec<DocumentPlan>,
    /// Related items from configurations.
    pub related_items: Vec<RelatedPlan>,
}

/// A location, as the locations hook stores it.
#[derive(Debug, Clone, Default)]
pub struct LocationPlan {
    /// Name.
    pub name: String,
    /// Whether it is the organization's primary location.
    pub primary: bool,
    /// Street address.
    pub address_1: Option<String>,
    /// Second address line.
    pub address_2: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// Region (reference row).
    pub region_id: Option<i64>,
    /// Country (reference row).
    pub country_id: Option<i64>,
    /// Phone digits (as `strip_phone` leaves them).
    pub phone: Option<String>,
    /// Phone as shown.
    pub formatted_phone: Option<String>,
}

/// A contact, as the contacts hook stores it.
#[derive(Debug, Clone, Default)]
pub struct ContactPlan {
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Job title.
    pub title: Option<String>,
    /// Contact type.
    pub contact_type_id: Option<i64>,
    /// Index into the organization's locations.
    pub location: Option<usize>,
    /// Important flag.
    pub important: bool,
    /// The stored JSON of `contact-emails`.
    pub emails_json: String,
    /// The stored JSON of `contact-phones`.
    pub phones_json: String,
    /// The primary email (its own column).
    pub primary_email: Option<String>,
}

/// A configuration and its interfaces.
#[derive(Debug, Clone, Default)]
pub struct ConfigurationPlan {
    /// Name.
    pub name: String,
    /// Hostname.
    pub hostname: Option<String>,
    /// Primary IP (mirrored by the primary interface).
    pub primary_ip: Option<String>,
    /// MAC address, `AA:BB:...` (mirrored by the primary interface).
    pub mac_address: Option<String>,
    /// Default gateway.
    pub default_gateway: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
    /// Asset tag.
    pub asset_tag: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Warranty end, `YYYY-MM-DD`.
    pub warranty_expires_at: Option<String>,
    /// Installation date, `YYYY-MM-DD`.
    pub installed_at: Option<String>,
    /// Purchase date, `YYYY-MM-DD`.
    pub purchased_at: Option<String>,
    /// Configuration type.
    pub configuration_type_id: Option<i64>,
    /// Configuration status.
    pub configuration_status_id: Option<i64>,
    /// Manufacturer.
    pub manufacturer_id: Option<i64>,
    /// Model.
    pub model_id: Option<i64>,
    /// Operating system (reference row).
    pub operating_system_id: Option<i64>,
    /// Index into the organization's locations.
    pub location: Option<usize>,
    /// Index into the organization's contacts.
    pub contact: Option<usize>,
    /// Interfaces; at most one primary.
    pub interfaces: Vec<InterfacePlan>,
}

/// A configuration interface.
#[derive(Debug, Clone, Default)]
pub struct InterfacePlan {
    /// Name.
    pub name: Option<String>,
    /// IP address.
    pub ip_address: Option<String>,
    /// MAC address.
    pub mac_address: Option<String>,
    /// Primary interface.
    pub primary: bool,
}

/// A domain.
#[derive(Debug, Clone, Default)]
pub struct DomainPlan {
    /// Name.
    pub name: String,
    /// Registrar.
    pub registrar_name: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Expiry (epoch ms).
    pub expires_on: Option<i64>,
}

/// A document (revision 1, content already cleaned as the API cleans it).
#[derive(Debug, Clone, Default)]
pub struct DocumentPlan {
    /// Name.
    pub name: String,
    /// HTML content.
    pub content: String,
}

/// The destination of a related item from a configuration.
#[derive(Debug, Clone, Copy)]
pub enum RelatedTarget {
    /// Index into the organization's contacts.
    Contact(usize),
    /// Index into the organization's locations.
    Location(usize),
}

/// A related item from a configuration.
#[derive(Debug, Clone)]
pub struct RelatedPlan {
    /// Index into the organization's configurations.
    pub configuration: usize,
    /// What it points to.
    pub target: RelatedTarget,
    /// Notes.
    pub notes: Option<String>,
}

/// How many rows were written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoCounts {
    /// Organizations.
    pub organizations: u64,
    /// Locations.
    pub locations: u64,
    /// Contacts.
    pub contacts: u64,
    /// Configurations.
    pub configurations: u64,
    /// Configuration interfaces.
    pub interfaces: u64,
    /// Domains.
    pub domains: u64,
    /// Documents.
    pub documents: u64,
    /// Related items.
    pub related_items: u64,
    /// Expirations.
    pub expirations: u64,
}

impl std::ops::AddAssign for DemoCounts {
    fn add_assign(&mut self, o: DemoCounts) {
        self.organizations += o.organizations;
        self.locations += o.locations;
        self.contacts += o.contacts;
        self.configurations += o.configurations;
        self.interfaces += o.interfaces;
        self.domains += o.domains;
        self.documents += o.documents;
        self.related_items += o.related_items;
        self.expirations += o.expirations;
    }
}

/// Inserts `rows` into `table` in as few statements as the parameter limit
/// allows; with `returning`, the new ids in row order.
///
/// Each statement's ids are sorted before use: a single multi-row INSERT
/// takes its ids from the table's sequence (or SQLite's rowid counter) in
/// VALUES order, so ascending ids match the rows even when `RETURNING` hands
/// them back in another order.
async fn insert(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Arg>>,
    returning: bool,
) -> anyhow::Result<Vec<i64>> {
    let per_statement = (parameter_budget(tx.dialect()) / columns.len()).clamp(1, MAX_ROWS);
    let column_list = columns.join(", ");
    let mut ids = Vec::with_capacity(if returning { rows.len() } else { 0 });
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut sql = tx.sql();
        sql.text.reserve(per_statement * columns.len() * 8);
        sql.push("INSERT INTO ")
            .push(table)
            .push(" (")
            .push(&column_list)
            .push(") VALUES ");
        let mut count = 0;
        for row in rows.by_ref().take(per_statement) {
            debug_assert_eq!(row.len(), columns.len());
            if count > 0 {
                sql.push(", ");
            }
            sql.push("(");
            for (i, value) in row.into_iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(value);
            }
            sql.push(")");
            count += 1;
        }
        if returning {
            sql.push(" RETURNING id");
            let mut batch: Vec<i64> = tx
                .fetch(&sql, &[ColumnType::Int])
                .await
                .with_context(|| format!("inserting into {table}"))?
                .into_iter()
                .filter_map(|r| r.first().and_then(|c| c.as_i64()))
                .collect();
            anyhow::ensure!(
                batch.len() == count,
                "inserting into {table}: {count} rows but {} ids",
                batch.len()
            );
            batch.sort_unstable();
            ids.extend(batch);
        } else {
            tx.execute(&sql)
                .await
                .with_context(|| format!("inserting into {table}"))?;
        }
    }
    Ok(ids)
}

async fn by_name(
    store: &Store,
    table: &str,
    column: &str,
    account: Option<i64>,
) -> anyhow::Result<HashMap<String, i64>> {
    let mut sql = store.sql();
    sql.push("SELECT ")
        .push(column)
        .push(", id FROM ")
        .push(table);
    if let Some(account) = account {
        sql.push(" WHERE account_id = ").bind(account);
    }
    sql.push(" ORDER BY id");
    let mut out = HashMap::new();
    for row in store
        .fetch(&sql, &[ColumnType::Text, ColumnType::Int])
        .await?
    {
        if let (Some(name), Some(id)) = (row[0].as_str(), row[1].as_i64()) {
            out.entry(name.to_string()).or_insert(id);
        }
    }
    Ok(out)
}

fn text(value: &Option<String>) -> Arg {
    Arg::Text(value.clone())
}

impl Store {
    /// The account's catalogs and the reference tables, by name.
    pub async fn demo_catalog(&self, scope: Scope) -> anyhow::Result<DemoCatalog> {
        let account = Some(scope.account_id());
        let mut regions = HashMap::new();
        let mut sql = self.sql();
        sql.push(
            "SELECT c.iso, r.iso, r.id FROM regions r JOIN countries c ON c.id = r.country_id",
        );
        for row in self
            .fetch(&sql, &[ColumnType::Text, ColumnType::Text, ColumnType::Int])
            .await?
        {
            if let (Some(country), Some(region), Some(id)) =
                (row[0].as_str(), row[1].as_str(), row[2].as_i64())
            {
                regions.insert((country.to_string(), region.to_string()), id);
            }
        }
        Ok(DemoCatalog {
            organization_types: by_name(self, "organization_types", "name", account).await?,
            organization_statuses: by_name(self, "organization_statuses", "name", account).await?,
            configuration_types: by_name(self, "configuration_types", "name", account).await?,
            configuration_statuses: by_name(self, "configuration_statuses", "name", account)
                .await?,
            contact_types: by_name(self, "contact_types", "name", account).await?,
            countries: by_name(self, "countries", "iso", None).await?,
            regions,
            operating_systems: by_name(self, "operating_systems", "name", None).await?,
        })
    }

    /// Makes the manufacturers and models the sample data needs (reusing
    /// those the account has); returns (manufacturer, model) names to ids.
    pub async fn demo_manufacturers(
        &self,
        scope: Scope,
        plans: &[ManufacturerPlan],
    ) -> anyhow::Result<HashMap<(String, String), (i64, i64)>> {
        let account = scope.account_id();
        let now = now_millis();
        let mut tx = self.begin().await?;
        let mut sql = tx.sql();
        sql.push("INSERT INTO manufacturers (account_id, name, created_at, updated_at) VALUES ");
        for (i, plan) in plans.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push("(")
                .bind(account)
                .push(", ")
                .bind(plan.name.clone())
                .push(", ")
                .bind(now)
                .push(", ")
                .bind(now)
                .push(")");
        }
        sql.push(" ON CONFLICT DO NOTHING");
        if !plans.is_empty() {
            tx.execute(&sql).await.context("adding manufacturers")?;
        }
        let mut sql = tx.sql();
        sql.push("SELECT name, id FROM manufacturers WHERE account_id = ")
            .bind(account);
        let manufacturers: HashMap<String, i64> = tx
            .fetch(&sql, &[ColumnType::Text, ColumnType::Int])
            .await?
            .into_iter()
            .filter_map(|r| Some((r[0].as_str()?.to_string(), r[1].as_i64()?)))
            .collect();
        let mut sql = tx.sql();
        sql.push("SELECT manufacturer_id, name, id FROM models WHERE account_id = ")
            .bind(account)
            .push(" ORDER BY id");
        let mut models: HashMap<(i64, String), i64> = HashMap::new();
        for row in tx
            .fetch(&sql, &[ColumnType::Int, ColumnType::Text, ColumnType::Int])
            .await?
        {
            if let (Some(m), Some(name), Some(id)) =
                (row[0].as_i64(), row[1].as_str(), row[2].as_i64())
            {
                models.entry((m, name.to_string())).or_insert(id);
            }
        }
        let mut missing = Vec::new();
        for plan in plans {
            let manufacturer = *manufacturers
                .get(&plan.name)
                .with_context(|| format!("manufacturer {} was not stored", plan.name))?;
            for model in &plan.models {
                if !models.contains_key(&(manufacturer, model.clone())) {
                    missing.push((manufacturer, model.clone()));
                }
            }
        }
        let rows = missing
            .iter()
            .map(|(m, name)| {
                vec![
                    Arg::from(account),
                    Arg::from(*m),
                    Arg::from(name.clone()),
                    Arg::from(now),
                    Arg::from(now),
                ]
            })
            .collect();
        let ids = insert(
            &mut tx,
            "models",
            &[
                "account_id",
                "manufacturer_id",
                "name",
                "created_at",
                "updated_at",
            ],
            rows,
            true,
        )
        .await?;
        for (key, id) in missing.into_iter().zip(ids) {
            models.insert(key, id);
        }
        tx.commit().await?;
        let mut out = HashMap::new();
        for plan in plans {
            let manufacturer = manufacturers[&plan.name];
            for model in &plan.models {
                if let Some(id) = models.get(&(manufacturer, model.clone())) {
                    out.insert((plan.name.clone(), model.clone()), (manufacturer, *id));
                }
            }
        }
        Ok(out)
    }

    /// Writes one organization and everything it owns in one transaction.
    pub async fn demo_organization(
        &self,
        scope: Scope,
        plan: OrganizationPlan,
    ) -> anyhow::Result<DemoCounts> {
        let account = scope.account_id();
        let now = now_millis();
        let mut counts = DemoCounts::default();
        let mut tx = self.begin().await?;

        let organization = insert(
            &mut tx,
            "organizations",
            &[
                "account_id",
                "name",
                "short_name",
                "description",
                "quick_notes",
                "alert",
                "organization_type_id",
                "organization_status_id",
                "primary_org",
                "created_at",
                "updated_at",
            ],
            vec![vec![
                Arg::from(account),
                Arg::from(plan.name.clone()),
                text(&plan.short_name),
                text(&plan.description),
                text(&plan.quick_notes),
                text(&plan.alert),
                Arg::from(plan.organization_type_id),
                Arg::from(plan.organization_status_id),
                Arg::from(false),
                Arg::from(now),
                Arg::from(now),
            ]],
            true,
        )
        .await?
        .first()
        .copied()
        .context("no id for the new organization")?;
        counts.organizations = 1;

        let location_ids = insert(
            &mut tx,
            "locations",
            &[
                "account_id",
                "organization_id",
                "name",
                "primary_location",
                "address_1",
                "address_2",
                "city",
                "postal_code",
                "region_id",
                "country_id",
                "phone",
                "formatted_phone",
                "created_at",
                "updated_at",
            ],
            plan.locations
                .iter()
                .map(|l| {
                    vec![
                        Arg::from(account),
                        Arg::from(organization),
                        Arg::from(l.name.clone()),
                        Arg::from(l.primary),
                        text(&l.address_1),
                        text(&l.address_2),
                        text(&l.city),
                        text(&l.postal_code),
                        Arg::from(l.region_id),
                        Arg::from(l.country_id),
                        text(&l.phone),
                        text(&l.formatted_phone),
                        Arg::from(now),
                        Arg::from(now),
                    ]
                })
                .collect(),
            true,
        )
        .await?;
        counts.locations = location_ids.len() as u64;
        let location = |i: Option<usize>| i.and_then(|i| location_ids.get(i).copied());

        let contact_ids = insert(
            &mut tx,
            "contacts",
            &[
                "account_id",
                "organization_id",
                "name",
                "first_name",
                "last_name",
                "title",
                "contact_type_id",
                "location_id",
                "important",
                "contact_emails",
                "contact_phones",
                "primary_email",
                "created_at",
                "updated_at",
            ],
            plan.contacts
                .iter()
                .map(|c| {
                    // As the contacts hook computes it.
                    let name = format!("{} {}", c.first_name, c.last_name)
                        .trim()
                        .to_string();
                    vec![
                        Arg::from(account),
                        Arg::from(organization),
                        Arg::from(name),
                        Arg::from(c.first_name.clone()),
                        Arg::from(c.last_name.clone()),
                        text(&c.title),
                        Arg::from(c.contact_type_id),
                        Arg::from(location(c.location)),
                        Arg::from(c.important),
                        Arg::from(c.emails_json.clone()),
                        Arg::from(c.phones_json.clone()),
                        text(&c.primary_email),
                        Arg::from(now),
                        Arg::from(now),
                    ]
                })
                .collect(),
            true,
        )
        .await?;
        counts.contacts = contact_ids.len() as u64;
        let contact = |i: Option<usize>| i.and_then(|i| contact_ids.get(i).copied());

        let configuration_rows = plan
            .configurations
            .iter()
            .map(|c| {
                vec![
                    Arg::from(account),
                    Arg::from(organization),
                    Arg::from(c.name.clone()),
                    text(&c.hostname),
                    text(&c.primary_ip),
                    text(&c.mac_address),
                    text(&c.default_gateway),
                    text(&c.serial_number),
                    text(&c.asset_tag),
                    text(&c.notes),
                    text(&c.warranty_expires_at),
                    text(&c.installed_at),
                    text(&c.purchased_at),
                    Arg::from(c.configuration_type_id),
                    Arg::from(c.configuration_status_id),
                    Arg::from(c.manufacturer_id),
                    Arg::from(c.model_id),
                    Arg::from(c.operating_system_id),
                    Arg::from(location(c.location)),
                    Arg::from(contact(c.contact)),
                    Arg::from(false),
                    Arg::from(false),
                    Arg::from(now),
                    Arg::from(now),
                ]
            })
            .collect();
        let configuration_ids = insert(
            &mut tx,
            "configurations",
            &[
                "account_id",
                "organization_id",
                "name",
                "hostname",
                "primary_ip",
                "mac_address",
                "default_gateway",
                "serial_number",
                "asset_tag",
                "notes",
                "warranty_expires_at",
                "installed_at",
                "purchased_at",
                "configuration_type_id",
                "configuration_status_id",
                "manufacturer_id",
                "model_id",
                "operating_system_id",
                "location_id",
                "contact_id",
                "restricted",
                "archived",
                "created_at",
                "updated_at",
            ],
            configuration_rows,
            true,
        )
        .await?;
        counts.configurations = configuration_ids.len() as u64;

        let mut interface_rows = Vec::with_capacity(configuration_ids.len() * 2);
        let mut expiration_rows = Vec::new();
        for (c, id) in plan.configurations.iter().zip(&configuration_ids) {
            for interface in &c.interfaces {
                interface_rows.push(vec![
                    Arg::from(account),
                    Arg::from(*id),
                    text(&interface.name),
                    text(&interface.ip_address),
                    text(&interface.mac_address),
                    Arg::from(interface.primary),
                    Arg::from(now),
                    Arg::from(now),
                ]);
            }
            // As expirations::refresh writes it: the date at midnight UTC.
            if let Some(date) = c
                .warranty_expires_at
                .as_deref()
                .and_then(|d| crate::clock::parse_range_bound(d, crate::clock::RangeEnd::Start))
            {
                expiration_rows.push(vec![
                    Arg::from(account),
                    Arg::from(organization),
                    Arg::from("Configuration"),
                    Arg::from(*id),
                    Arg::from(c.name.clone()),
                    Arg::from("Warranty expiration"),
                    Arg::from(date),
                    Arg::from(now),
                    Arg::from(now),
                ]);
            }
        }
        counts.interfaces = interface_rows.len() as u64;
        insert(
            &mut tx,
            "configuration_interfaces",
            &[
                "account_id",
                "configuration_id",
                "name",
                "ip_address",
                "mac_address",
                "primary_interface",
                "created_at",
                "updated_at",
            ],
            interface_rows,
            false,
        )
        .await?;

        let domain_ids = insert(
            &mut tx,
            "domains",
            &[
                "account_id",
                "organization_id",
                "name",
                "registrar_name",
                "notes",
                "expires_on",
                "created_at",
                "updated_at",
            ],
            plan.domains
                .iter()
                .map(|d| {
                    vec![
                        Arg::from(account),
                        Arg::from(organization),
                        Arg::from(d.name.clone()),
                        text(&d.registrar_name),
                        text(&d.notes),
                        Arg::from(d.expires_on),
                        Arg::from(now),
                        Arg::from(now),
                    ]
                })
                .collect(),
            true,
        )
        .await?;
        counts.domains = domain_ids.len() as u64;
        for (d, id) in plan.domains.iter().zip(&domain_ids) {
            if let Some(date) = d.expires_on {
                expiration_rows.push(vec![
                    Arg::from(account),
                    Arg::from(organization),
                    Arg::from("Domain"),
                    Arg::from(*id),
                    Arg::from(d.name.clone()),
                    Arg::from("Domain expiration"),
                    Arg::from(date),
                    Arg::from(now),
                    Arg::from(now),
                ]);
            }
        }
        counts.expirations = expiration_rows.len() as u64;
        insert(
            &mut tx,
            "expirations",
            &[
                "account_id",
                "organization_id",
                "resource_type",
                "resource_id",
                "resource_name",
                "description",
                "expiration_date",
                "created_at",
                "updated_at",
            ],
            expiration_rows,
            false,
        )
        .await?;

        counts.documents = plan.documents.len() as u64;
        insert(
            &mut tx,
            "documents",
            &[
                "account_id",
                "organization_id",
                "name",
                "content",
                "revision",
                "created_at",
                "updated_at",
            ],
            plan.documents
                .iter()
                .map(|d| {
                    vec![
                        Arg::from(account),
                        Arg::from(organization),
                        Arg::from(d.name.clone()),
                        Arg::from(d.content.clone()),
                        Arg::from(1_i64),
                        Arg::from(now),
                        Arg::from(now),
                    ]
                })
                .collect(),
            false,
        )
        .await?;

        let mut related_rows = Vec::with_capacity(plan.related_items.len());
        for r in &plan.related_items {
            let Some(source) = configuration_ids.get(r.configuration) else {
                continue;
            };
            let (kind, destination) = match r.target {
                RelatedTarget::Contact(i) => ("Contact", contact_ids.get(i)),
                RelatedTarget::Location(i) => ("Location", location_ids.get(i)),
            };
            let Some(destination) = destination else {
                continue;
            };
            related_rows.push(vec![
                Arg::from(account),
                Arg::from(organization),
                Arg::from("Configuration"),
                Arg::from(*source),
                Arg::from(kind),
                Arg::from(*destination),
                Arg::from(organization),
                text(&r.notes),
                Arg::from(false),
                Arg::from(now),
                Arg::from(now),
            ]);
        }
        counts.related_items = related_rows.len() as u64;
        insert(
            &mut tx,
            "related_items",
            &[
                "account_id",
                "organization_id",
                "resource_type",
                "resource_id",
                "destination_type",
                "destination_id",
                "destination_organization_id",
                "notes",
                "via_copilot",
                "created_at",
                "updated_at",
            ],
            related_rows,
            false,
        )
        .await?;

        tx.commit().await?;
        Ok(counts)
    }
}
