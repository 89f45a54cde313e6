//! Writing the plans: one transaction per organization, multi-row INSERTs
//! through [`Tx::insert_rows`], ids from `RETURNING id` on the same
//! statement. Every value the API would derive on write comes from the
//! function its hook calls ([`contacts::complete`],
//! [`locations::format_phones`], [`configurations::settle_new`],
//! [`documents::prepare`], [`organizations::render_ids`],
//! [`expiration_rows`]); no activity-log entries are written for sample
//! data.

use std::collections::HashMap;

use anyhow::Context as _;

use super::flexible::OrganizationIds;
use super::plan::{Catalog, ManufacturerPlan, OrganizationPlan, RelatedTarget};
use super::DemoCounts;
use crate::clock::now_millis;
use crate::engine::expirations::{expiration_rows, EXPIRATION_COLUMNS};
use crate::resources::configurations::{self, CONFIGURATIONS};
use crate::resources::domains::DOMAINS;
use crate::resources::{contacts, documents, locations, organizations, Resource};
use crate::store::{Arg, Cell, ColumnType, Inserting, Lock, Scope, Store, Tx, Values};

/// `values` in the order of `columns`, each of which must be set.
fn row(values: Values, columns: &[&str]) -> anyhow::Result<Vec<Arg>> {
    let mut slots: Vec<Option<(&'static str, Arg)>> = values.0.into_iter().map(Some).collect();
    let mut out = Vec::with_capacity(columns.len());
    for (i, column) in columns.iter().enumerate() {
        // Values are usually built in column order; look further only when not.
        let at = match slots.get(i) {
            Some(Some((c, _))) if c == column => Some(i),
            _ => slots
                .iter()
                .position(|s| s.as_ref().is_some_and(|(c, _)| c == column)),
        };
        let (_, value) = at
            .and_then(|at| slots[at].take())
            .with_context(|| format!("no value for column {column}"))?;
        out.push(value);
    }
    Ok(out)
}

/// Rows of `values`, each in the order of `columns`.
fn rows(values: Vec<Values>, columns: &[&str]) -> anyhow::Result<Vec<Vec<Arg>>> {
    values.into_iter().map(|v| row(v, columns)).collect()
}

/// The date cells of `resource`'s expiration sources in `values`.
fn dates(resource: &Resource, values: &Values) -> Vec<Cell> {
    resource
        .expirations
        .iter()
        .map(|source| match values.get(source.column) {
            Some(Arg::Text(Some(text))) => Cell::Text(text.clone()),
            Some(Arg::Int(Some(ms))) => Cell::Int(*ms),
            _ => Cell::Null,
        })
        .collect()
}

/// `name → id` of rows read as (name, id) pairs; the first of a name wins.
fn by_name(rows: Vec<Vec<Cell>>) -> HashMap<String, i64> {
    let mut out = HashMap::new();
    for row in rows {
        if let (Some(name), Some(id)) = (row[0].as_str(), row[1].as_i64()) {
            out.entry(name.to_string()).or_insert(id);
        }
    }
    out
}

const NAME_ID: &[(&str, ColumnType)] = &[("name", ColumnType::Text), ("id", ColumnType::Int)];

/// The account's catalogs and the reference tables, by name.
pub(super) async fn catalog(store: &Store, scope: Scope) -> anyhow::Result<Catalog> {
    let account = |table: &'static str| async move {
        anyhow::Ok(by_name(store.select(scope, table, NAME_ID, &[]).await?))
    };
    let countries = by_name(
        store
            .select_reference(
                "countries",
                &[("iso", ColumnType::Text), ("id", ColumnType::Int)],
            )
            .await?,
    );
    let iso_of: HashMap<i64, &String> = countries.iter().map(|(iso, id)| (*id, iso)).collect();
    let mut regions = HashMap::new();
    for row in store
        .select_reference(
            "regions",
            &[
                ("country_id", ColumnType::Int),
                ("iso", ColumnType::Text),
                ("id", ColumnType::Int),
            ],
        )
        .await?
    {
        if let (Some(country), Some(region), Some(id)) =
            (row[0].as_i64(), row[1].as_str(), row[2].as_i64())
        {
            if let Some(country) = iso_of.get(&country) {
                regions.insert(((*country).clone(), region.to_string()), id);
            }
        }
    }
    Ok(Catalog {
        organization_types: account("organization_types").await?,
        organization_statuses: account("organization_statuses").await?,
        configuration_types: account("configuration_types").await?,
        configuration_statuses: account("configuration_statuses").await?,
        contact_types: account("contact_types").await?,
        regions,
        countries,
        operating_systems: by_name(store.select_reference("operating_systems", NAME_ID).await?),
    })
}

/// Makes the manufacturers and models the sample data needs (reusing those
/// the account has); returns (manufacturer, model) names to ids.
pub(super) async fn manufacturers(
    store: &Store,
    scope: Scope,
    plans: &[ManufacturerPlan],
) -> anyhow::Result<HashMap<(String, String), (i64, i64)>> {
    let now = now_millis();
    let mut tx = store.begin().await?;
    tx.insert_rows(
        Some(scope),
        "manufacturers",
        &["name", "created_at", "updated_at"],
        plans
            .iter()
            .map(|p| vec![Arg::from(p.name.clone()), Arg::from(now), Arg::from(now)])
            .collect(),
        Inserting::SkippingDuplicates,
    )
    .await
    .context("adding manufacturers")?;
    let manufacturers = by_name(
        tx.select(scope, "manufacturers", NAME_ID, &[], Lock::None)
            .await?,
    );
    let mut models: HashMap<(i64, String), i64> = HashMap::new();
    for row in tx
        .select(
            scope,
            "models",
            &[
                ("manufacturer_id", ColumnType::Int),
                ("name", ColumnType::Text),
                ("id", ColumnType::Int),
            ],
            &[],
            Lock::None,
        )
        .await?
    {
        if let (Some(m), Some(name), Some(id)) = (row[0].as_i64(), row[1].as_str(), row[2].as_i64())
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
                Arg::from(*m),
                Arg::from(name.clone()),
                Arg::from(now),
                Arg::from(now),
            ]
        })
        .collect();
    let ids = tx
        .insert_rows(
            Some(scope),
            "models",
            &["manufacturer_id", "name", "created_at", "updated_at"],
            rows,
            Inserting::ReturningIds,
        )
        .await
        .context("adding models")?;
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

/// Inserts `values` into `table` (each row in the order of `columns`),
/// returning the new ids in row order.
async fn insert(
    tx: &mut Tx,
    scope: Scope,
    table: &str,
    columns: &[&str],
    values: Vec<Values>,
    inserting: Inserting,
) -> anyhow::Result<Vec<i64>> {
    let rows = rows(values, columns)?;
    tx.insert_rows(Some(scope), table, columns, rows, inserting)
        .await
        .with_context(|| format!("inserting into {table}"))
}

/// Where a sample record is, for the messages of the rules it goes through.
const POINTER: &str = "/data/attributes";

/// Writes one organization and everything it owns in one transaction.
pub(super) async fn organization(
    store: &Store,
    scope: Scope,
    plan: OrganizationPlan,
) -> anyhow::Result<(DemoCounts, OrganizationIds)> {
    let now = now_millis();
    let mut counts = DemoCounts::default();
    let mut tx = store.begin().await?;

    let organization = Values(vec![
        ("name", Arg::from(plan.name)),
        ("short_name", Arg::from(plan.short_name)),
        ("description", Arg::from(plan.description)),
        ("quick_notes", Arg::from(plan.quick_notes)),
        ("alert", Arg::from(plan.alert)),
        ("organization_type_id", Arg::from(plan.organization_type_id)),
        (
            "organization_status_id",
            Arg::from(plan.organization_status_id),
        ),
        ("primary_org", Arg::from(false)),
        // A top-level organization: no ancestors.
        ("ancestor_ids", Arg::from(organizations::render_ids(&[]))),
        ("created_at", Arg::from(now)),
        ("updated_at", Arg::from(now)),
    ]);
    let organization = insert(
        &mut tx,
        scope,
        "organizations",
        &[
            "name",
            "short_name",
            "description",
            "quick_notes",
            "alert",
            "organization_type_id",
            "organization_status_id",
            "primary_org",
            "ancestor_ids",
            "created_at",
            "updated_at",
        ],
        vec![organization],
        Inserting::ReturningIds,
    )
    .await?
    .first()
    .copied()
    .context("no id for the new organization")?;
    counts.organizations = 1;

    let mut location_rows = Vec::with_capacity(plan.locations.len());
    for l in plan.locations {
        let mut values = Values(vec![
            ("organization_id", Arg::from(organization)),
            ("name", Arg::from(l.name)),
            ("primary_location", Arg::from(l.primary)),
            ("address_1", Arg::from(l.address_1)),
            ("address_2", Arg::from(l.address_2)),
            ("city", Arg::from(l.city)),
            ("postal_code", Arg::from(l.postal_code)),
            ("region_id", Arg::from(l.region_id)),
            ("country_id", Arg::from(l.country_id)),
            ("phone", Arg::from(l.phone)),
            ("created_at", Arg::from(now)),
            ("updated_at", Arg::from(now)),
        ]);
        locations::format_phones(&mut values);
        location_rows.push(values);
    }
    let location_ids = insert(
        &mut tx,
        scope,
        "locations",
        &[
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
            "created_at",
            "updated_at",
            "formatted_phone",
        ],
        location_rows,
        Inserting::ReturningIds,
    )
    .await?;
    counts.locations = location_ids.len() as u64;
    let location = |i: Option<usize>| i.and_then(|i| location_ids.get(i).copied());

    let mut contact_rows = Vec::with_capacity(plan.contacts.len());
    for c in plan.contacts {
        let mut values = Values(vec![
            ("organization_id", Arg::from(organization)),
            ("first_name", Arg::from(c.first_name)),
            ("last_name", Arg::from(c.last_name)),
            ("title", Arg::from(c.title)),
            ("contact_type_id", Arg::from(c.contact_type_id)),
            ("location_id", Arg::from(location(c.location))),
            ("important", Arg::from(c.important)),
            ("contact_emails", Arg::from(c.emails_json)),
            ("contact_phones", Arg::from(c.phones_json)),
            ("created_at", Arg::from(now)),
            ("updated_at", Arg::from(now)),
        ]);
        contacts::complete(&mut values, POINTER, None, None)?;
        contact_rows.push(values);
    }
    let contact_ids = insert(
        &mut tx,
        scope,
        "contacts",
        &[
            "organization_id",
            "first_name",
            "last_name",
            "title",
            "contact_type_id",
            "location_id",
            "important",
            "contact_emails",
            "contact_phones",
            "created_at",
            "updated_at",
            "primary_email",
            "name",
        ],
        contact_rows,
        Inserting::ReturningIds,
    )
    .await?;
    counts.contacts = contact_ids.len() as u64;
    let contact = |i: Option<usize>| i.and_then(|i| contact_ids.get(i).copied());

    let mut configuration_rows = Vec::with_capacity(plan.configurations.len());
    let mut interfaces = Vec::with_capacity(plan.configurations.len());
    for c in plan.configurations {
        let mut values = Values(vec![
            ("organization_id", Arg::from(organization)),
            ("name", Arg::from(c.name)),
            ("hostname", Arg::from(c.hostname)),
            ("default_gateway", Arg::from(c.default_gateway)),
            ("serial_number", Arg::from(c.serial_number)),
            ("asset_tag", Arg::from(c.asset_tag)),
            ("notes", Arg::from(c.notes)),
            ("warranty_expires_at", Arg::from(c.warranty_expires_at)),
            ("installed_at", Arg::from(c.installed_at)),
            ("purchased_at", Arg::from(c.purchased_at)),
            ("configuration_type_id", Arg::from(c.configuration_type_id)),
            (
                "configuration_status_id",
                Arg::from(c.configuration_status_id),
            ),
            ("manufacturer_id", Arg::from(c.manufacturer_id)),
            ("model_id", Arg::from(c.model_id)),
            ("operating_system_id", Arg::from(c.operating_system_id)),
            ("location_id", Arg::from(location(c.location))),
            ("contact_id", Arg::from(contact(c.contact))),
            ("restricted", Arg::from(false)),
            ("archived", Arg::from(false)),
            ("created_at", Arg::from(now)),
            ("updated_at", Arg::from(now)),
        ]);
        let mut own: Vec<Values> = c
            .interfaces
            .into_iter()
            .map(|i| {
                Values(vec![
                    ("name", Arg::from(i.name)),
                    ("ip_address", Arg::from(i.ip_address)),
                    ("mac_address", Arg::from(i.mac_address)),
                    ("primary_interface", Arg::from(i.primary)),
                ])
            })
            .collect();
        configurations::settle_new(&mut values, &mut own);
        for column in ["primary_ip", "mac_address"] {
            if values.get(column).is_none() {
                values.set(column, Arg::Text(None));
            }
        }
        configuration_rows.push(values);
        interfaces.push(own);
    }
    let configuration_columns = [
        "organization_id",
        "name",
        "hostname",
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
        "primary_ip",
        "mac_address",
    ];
    // What the expirations need outlives the rows the insert consumes.
    let expiring: Vec<(Option<String>, Vec<Cell>)> = configuration_rows
        .iter()
        .map(|v| {
            let name = match v.get("name") {
                Some(Arg::Text(name)) => name.clone(),
                _ => None,
            };
            (name, dates(&CONFIGURATIONS, v))
        })
        .collect();
    let configuration_ids = insert(
        &mut tx,
        scope,
        "configurations",
        &configuration_columns,
        configuration_rows,
        Inserting::ReturningIds,
    )
    .await?;
    counts.configurations = configuration_ids.len() as u64;

    let mut interface_rows = Vec::with_capacity(configuration_ids.len() * 2);
    let mut expirations = Vec::new();
    for ((own, id), (name, cells)) in interfaces.into_iter().zip(&configuration_ids).zip(expiring) {
        for mut interface in own {
            interface.set("configuration_id", Arg::from(*id));
            interface.set("created_at", Arg::from(now));
            interface.set("updated_at", Arg::from(now));
            interface_rows.push(interface);
        }
        expirations.extend(expiration_rows(
            &CONFIGURATIONS,
            *id,
            organization,
            name.as_deref(),
            &cells,
            now,
        ));
    }
    counts.interfaces = interface_rows.len() as u64;
    insert(
        &mut tx,
        scope,
        "configuration_interfaces",
        &[
            "name",
            "ip_address",
            "mac_address",
            "primary_interface",
            "configuration_id",
            "created_at",
            "updated_at",
        ],
        interface_rows,
        Inserting::Quietly,
    )
    .await?;

    let domains: Vec<Values> = plan
        .domains
        .into_iter()
        .map(|d| {
            Values(vec![
                ("organization_id", Arg::from(organization)),
                ("name", Arg::from(d.name)),
                ("registrar_name", Arg::from(d.registrar_name)),
                ("notes", Arg::from(d.notes)),
                ("expires_on", Arg::from(d.expires_on)),
                ("created_at", Arg::from(now)),
                ("updated_at", Arg::from(now)),
            ])
        })
        .collect();
    let domain_dates: Vec<(Option<String>, Vec<Cell>)> = domains
        .iter()
        .map(|v| {
            let name = match v.get("name") {
                Some(Arg::Text(name)) => name.clone(),
                _ => None,
            };
            (name, dates(&DOMAINS, v))
        })
        .collect();
    let domain_ids = insert(
        &mut tx,
        scope,
        "domains",
        &[
            "organization_id",
            "name",
            "registrar_name",
            "notes",
            "expires_on",
            "created_at",
            "updated_at",
        ],
        domains,
        Inserting::ReturningIds,
    )
    .await?;
    counts.domains = domain_ids.len() as u64;
    for (id, (name, cells)) in domain_ids.iter().zip(domain_dates) {
        expirations.extend(expiration_rows(
            &DOMAINS,
            *id,
            organization,
            name.as_deref(),
            &cells,
            now,
        ));
    }
    counts.expirations = expirations.len() as u64;
    insert(
        &mut tx,
        scope,
        "expirations",
        &EXPIRATION_COLUMNS,
        expirations,
        Inserting::Quietly,
    )
    .await?;

    counts.documents = plan.documents.len() as u64;
    let documents: Vec<Values> = plan
        .documents
        .into_iter()
        .map(|d| {
            let mut values = Values(vec![
                ("organization_id", Arg::from(organization)),
                ("name", Arg::from(d.name)),
                ("content", Arg::from(d.content)),
                ("created_at", Arg::from(now)),
                ("updated_at", Arg::from(now)),
            ]);
            // Sample data has no API key behind it.
            documents::prepare(&mut values, None);
            values
        })
        .collect();
    insert(
        &mut tx,
        scope,
        "documents",
        &[
            "organization_id",
            "name",
            "content",
            "created_at",
            "updated_at",
            "updated_by",
        ],
        documents,
        Inserting::Quietly,
    )
    .await?;

    let mut related = Vec::with_capacity(plan.related_items.len());
    for r in plan.related_items {
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
        related.push(Values(vec![
            ("organization_id", Arg::from(organization)),
            ("resource_type", Arg::from("Configuration")),
            ("resource_id", Arg::from(*source)),
            ("destination_type", Arg::from(kind)),
            ("destination_id", Arg::from(*destination)),
            ("destination_organization_id", Arg::from(organization)),
            ("notes", Arg::from(r.notes)),
            ("via_copilot", Arg::from(false)),
            ("created_at", Arg::from(now)),
            ("updated_at", Arg::from(now)),
        ]));
    }
    counts.related_items = related.len() as u64;
    insert(
        &mut tx,
        scope,
        "related_items",
        &[
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
        related,
        Inserting::Quietly,
    )
    .await?;

    tx.commit().await?;
    Ok((
        counts,
        OrganizationIds {
            organization,
            locations: location_ids,
            contacts: contact_ids,
            configurations: configuration_ids,
        },
    ))
}
