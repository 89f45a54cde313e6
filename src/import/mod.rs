//! `mortar import`: a whole account read from an IT Glue-compatible API
//! and written into a Mortar account through the engine (the same checks,
//! vault sealing, expirations and search entries as any write).
//!
//! In order, so every reference points at a record that exists:
//!
//! 1. Reference data, matched by name (types, statuses, password
//!    categories, manufacturers and models; platforms, operating systems,
//!    countries and regions), made when missing where the account may.
//! 2. Organizations, locations, contacts, configurations (with their
//!    interfaces), domains and documents.
//! 3. Flexible asset types with their fields (an existing type of the same
//!    name is used as it is), then their assets: Password traits with their
//!    values, Upload traits with their files.
//! 4. Passwords (`show_password=true`), embedded ones on their records.
//! 5. The assets' Tag traits, once everything they name exists.
//! 6. Attachments (downloaded through their URLs), then related items.
//!
//! Each record's source id is kept in the import map in the transaction of
//! its write, so an import stopped anywhere and run again continues without
//! making anything twice; a later run changes only what the source changed
//! (its `updated-at`) and counts the rest as unchanged. A record the engine
//! refuses is reported with the reason and the import goes on. At the end a
//! report compares the counts per type at the source and here, lists the
//! failures, and names the attachments whose bytes differ.

mod source;

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::time::Instant;

use anyhow::Context as _;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

pub use source::Source;

use crate::engine::input::Item;
use crate::engine::{Caller, Engine};
use crate::names::normalize_keys;
use crate::query::Query;
use crate::resources::passwords::TRAIT_CLASS;
use crate::resources::{by_route, registry, Resource};
use crate::store::{Actor, Origin, Scope};

/// Reference data, matched by name, in the order their references need.
const REFERENCE: &[&str] = &[
    "organization_types",
    "organization_statuses",
    "configuration_types",
    "configuration_statuses",
    "contact_types",
    "password_categories",
    "manufacturers",
    "models",
    "platforms",
    "operating_systems",
    "countries",
    "regions",
];

/// The records of an organization, in the order their references need,
/// with the includes their lists ask for.
const RECORDS: &[(&str, &str)] = &[
    ("organizations", ""),
    ("locations", "include=attachments"),
    ("contacts", "include=attachments"),
    (
        "configurations",
        "include=configuration_interfaces,attachments",
    ),
    ("domains", "include=attachments"),
    ("documents", "include=attachments"),
];

/// Records between two progress lines of a stage that writes.
const PROGRESS_EVERY: usize = 1000;

/// The types whose records may carry related items.
const WITH_RELATED_ITEMS: &[&str] = &[
    "organizations",
    "locations",
    "contacts",
    "configurations",
    "domains",
    "documents",
    "passwords",
    "flexible_assets",
];

/// What was done with the records of one type.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Records the source has (of the organizations imported).
    pub at_source: u64,
    /// Records made here.
    pub created: u64,
    /// Records changed here because the source changed them.
    pub updated: u64,
    /// Records already imported and unchanged at the source.
    pub unchanged: u64,
    /// Records the engine refused.
    pub failed: u64,
    /// Records of the source that are here after the run.
    pub here: u64,
}

/// A record that could not be imported.
#[derive(Debug, Clone)]
pub struct Failure {
    /// Its type at the source.
    pub resource_type: String,
    /// Its id at the source.
    pub source_id: String,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Default)]
pub struct Report {
    /// Per type, in the order imported.
    pub types: Vec<(String, Tally)>,
    /// Records refused, with the reason.
    pub failures: Vec<Failure>,
    /// Attachments whose bytes here differ from the source's.
    pub mismatched_files: Vec<String>,
    /// Reference records the source names that are not here and cannot be
    /// made (e.g. a country): the references were left empty.
    pub unmatched_references: Vec<String>,
    /// Requests sent to the source (retries included) and retries.
    pub requests: u64,
    /// Requests sent again after a transient failure.
    pub retries: u64,
    /// Seconds the import took.
    pub seconds: f64,
}

impl Report {
    fn tally(&mut self, route: &str) -> &mut Tally {
        if let Some(at) = self.types.iter().position(|(r, _)| r == route) {
            return &mut self.types[at].1;
        }
        self.types.push((route.to_string(), Tally::default()));
        &mut self.types.last_mut().expect("just pushed").1
    }

    /// The report as text: a table per type, then what failed.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "{:<26} {:>9} {:>9} {:>9} {:>9} {:>7} {:>9}\n",
            "type", "source", "created", "updated", "unchanged", "failed", "here"
        ));
        for (route, t) in &self.types {
            out.push_str(&format!(
                "{:<26} {:>9} {:>9} {:>9} {:>9} {:>7} {:>9}\n",
                route, t.at_source, t.created, t.updated, t.unchanged, t.failed, t.here
            ));
        }
        for failure in &self.failures {
            out.push_str(&format!(
                "failed: {} {}: {}\n",
                failure.resource_type, failure.source_id, failure.reason
            ));
        }
        for reference in &self.unmatched_references {
            out.push_str(&format!("left empty: {reference}\n"));
        }
        for file in &self.mismatched_files {
            out.push_str(&format!("file differs: {file}\n"));
        }
        out.push_str(&format!(
            "{} requests to the source ({} retried) in {:.1} s; {} failed\n",
            self.requests,
            self.retries,
            self.seconds,
            self.failures.len()
        ));
        out
    }
}

/// Who writes imported records, as the activity log names them.
fn importer(scope: Scope) -> Caller {
    Caller {
        scope,
        actor: Actor {
            key_id: None,
            user_id: None,
            ip: None,
            user_agent: Some("mortar import".into()),
        },
        password_access: true,
        user: None,
    }
}

/// An attachment read at the source, to bring once its record exists.
struct PendingFile {
    source_id: String,
    updated_at: Option<String>,
    owner_class: String,
    owner_id: String,
    name: Option<String>,
    file_name: String,
    download_url: String,
}

/// Imports everything `source` gives into the account of `scope` (only
/// the organizations with source ids `organizations`, when any are named).
pub async fn run(
    engine: &Engine,
    scope: Scope,
    source: &Source,
    organizations: &[String],
) -> anyhow::Result<Report> {
    let mut import = Import {
        engine,
        caller: importer(scope),
        scope,
        source,
        organizations: organizations.to_vec(),
        maps: HashMap::new(),
        report: Report::default(),
        started: Instant::now(),
        stage_started: std::sync::Mutex::new(Instant::now()),
        files: Vec::new(),
        trait_files: HashSet::new(),
        tags: Vec::new(),
    };
    for route in REFERENCE {
        import.reference(route).await?;
    }
    for (route, include) in RECORDS {
        import.records(route, include).await?;
    }
    import.asset_types().await?;
    import.assets().await?;
    import
        .records("passwords", "show_password=true&include=attachments")
        .await?;
    import.tag_traits().await?;
    import.attachments().await?;
    import.related_items().await?;
    let mut report = import.report;
    for (route, tally) in &mut report.types {
        tally.here = match import.maps.get(route.as_str()) {
            Some(map) => map.len() as u64,
            None => tally.created + tally.updated + tally.unchanged,
        };
    }
    report.requests = source.requests();
    report.retries = source.retries();
    report.seconds = import.started.elapsed().as_secs_f64();
    Ok(report)
}

struct Import<'a> {
    engine: &'a Engine,
    caller: Caller,
    scope: Scope,
    source: &'a Source,
    organizations: Vec<String>,
    /// Per route, source id to record id here.
    maps: HashMap<&'static str, HashMap<String, i64>>,
    report: Report,
    started: Instant,
    /// When the current stage began.
    stage_started: std::sync::Mutex<Instant>,
    /// Attachments seen in the lists, brought after every record.
    files: Vec<PendingFile>,
    /// Source attachment ids that Upload traits brought.
    trait_files: HashSet<String>,
    /// Assets with Tag traits: (asset here, trait key, tag type, source ids).
    tags: Vec<(i64, String, String, Vec<String>)>,
}

fn text(a: &Map<String, Value>, name: &str) -> Option<String> {
    match a.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The record's attributes with underscored names, as items carry them.
fn attributes_of(record: &Value) -> Map<String, Value> {
    match normalize_keys(record["attributes"].clone()) {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Included objects by (type, id), as relationships name them.
fn by_type_and_id(included: &[Value]) -> HashMap<(String, String), &Value> {
    included
        .iter()
        .filter_map(|v| Some(((v["type"].as_str()?.to_string(), id_text(&v["id"])?), v)))
        .collect()
}

/// The route of the records of `table`.
fn route_of_table(table: &str) -> Option<&'static str> {
    crate::resources::ALL
        .iter()
        .find(|d| d.table == table)
        .map(|d| d.route)
}

impl Import<'_> {
    fn origin(&self, route: &str, source_id: &str, updated_at: Option<String>) -> Origin {
        Origin {
            source: self.source.base().to_string(),
            resource_type: route.to_string(),
            source_id: source_id.to_string(),
            updated_at,
        }
    }

    /// What earlier runs imported of `route` from this source: source id
    /// to (record id here, source `updated-at`).
    async fn known(&self, route: &str) -> anyhow::Result<HashMap<String, (i64, Option<String>)>> {
        Ok(self
            .engine
            .store()
            .origins(self.scope, self.source.base(), route)
            .await?)
    }

    fn mapped(&self, route: &str, source_id: &str) -> Option<i64> {
        self.maps.get(route)?.get(source_id).copied()
    }

    fn remember(&mut self, route: &'static str, source_id: String, target: i64) {
        self.maps
            .entry(route)
            .or_default()
            .insert(source_id, target);
    }

    fn fail(&mut self, route: &str, source_id: &str, reason: String) {
        self.report.tally(route).failed += 1;
        eprintln!("  {route} {source_id}: not imported: {reason}");
        self.report.failures.push(Failure {
            resource_type: route.to_string(),
            source_id: source_id.to_string(),
            reason,
        });
    }

    /// A progress line for `route`: records read of the total, requests,
    /// time, and an estimate of the rest.
    fn progress(&self, route: &str, done: usize, total: Option<u64>) {
        self.report_progress(route, "read", done, total);
    }

    /// Starts timing a new stage, for the estimates of its progress lines.
    fn stage(&self) {
        *self.stage_started.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    /// A progress line: records `what` (read, written) of the total,
    /// requests so far, time, and an estimate of the rest of the stage.
    fn report_progress(&self, route: &str, what: &str, done: usize, total: Option<u64>) {
        let elapsed = self.started.elapsed().as_secs_f64();
        let stage = self
            .stage_started
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed()
            .as_secs_f64();
        let total_text = total.map_or_else(|| "?".to_string(), |t| t.to_string());
        let estimate = match total {
            Some(total) if done > 0 && (done as u64) < total => {
                let rate = done as f64 / stage.max(0.001);
                format!(", about {:.0} s left", (total as f64 - done as f64) / rate)
            }
            _ => String::new(),
        };
        eprintln!(
            "{route}: {done}/{total_text} {what}, {} requests, {elapsed:.1} s{estimate}",
            self.source.requests()
        );
        let _ = std::io::stderr().flush();
    }

    /// A progress line every [`PROGRESS_EVERY`] records written, and at the last.
    fn written(&self, route: &str, done: usize, total: usize) {
        self.report_progress_every(route, "written", done, total);
    }

    fn report_progress_every(&self, route: &str, what: &str, done: usize, total: usize) {
        if done % PROGRESS_EVERY == 0 || done == total {
            self.report_progress(route, what, done, Some(total as u64));
        }
    }

    /// Every record of `route` at the source (of the chosen organizations),
    /// with `query`.
    async fn list(&self, route: &str, query: &str) -> anyhow::Result<source::Listed> {
        self.stage();
        let def = by_route(route).with_context(|| format!("no route {route}"))?;
        let per_organization = !self.organizations.is_empty()
            && (route == "organizations" || def.organization_column.is_some());
        if !per_organization {
            return self
                .source
                .all(&format!("/{route}"), query, |done, total| {
                    self.progress(route, done, total)
                })
                .await;
        }
        let mut all = source::Listed::default();
        for organization in &self.organizations {
            let filter = if route == "organizations" {
                format!("filter[id]={organization}")
            } else {
                format!("filter[organization_id]={organization}")
            };
            let query = if query.is_empty() {
                filter
            } else {
                format!("{query}&{filter}")
            };
            let listed = self
                .source
                .all(&format!("/{route}"), &query, |done, total| {
                    self.progress(route, done, total)
                })
                .await?;
            all.data.extend(listed.data);
            all.included.extend(listed.included);
        }
        Ok(all)
    }

    /// Every record of `def` here (reference data: small lists).
    async fn all_here(&self, def: &'static Resource) -> anyhow::Result<Vec<Map<String, Value>>> {
        let mut out = Vec::new();
        for number in 1.. {
            let listed = self
                .engine
                .list(
                    &self.caller,
                    def,
                    None,
                    &Query {
                        page_number: number,
                        page_size: Some(1000),
                        ..Query::default()
                    },
                )
                .await?;
            let count = listed.records.len();
            for record in &listed.records {
                let object =
                    crate::jsonapi::document::resource_object(def, record, true, None, None, "");
                let mut a = attributes_of(&object);
                a.insert("id".into(), json!(record.id));
                out.push(a);
            }
            if count < 1000 {
                break;
            }
        }
        Ok(out)
    }

    /// Reference data of `route`, matched by name (models by manufacturer
    /// and name), made here when missing and the account may make it.
    async fn reference(&mut self, route: &'static str) -> anyhow::Result<()> {
        let def = by_route(route).with_context(|| format!("no route {route}"))?;
        let listed = self
            .source
            .all(&format!("/{route}"), "", |done, total| {
                self.progress(route, done, total)
            })
            .await?;
        let key = |a: &Map<String, Value>, manufacturer: Option<String>| {
            format!(
                "{}|{}",
                manufacturer.unwrap_or_default(),
                text(a, "name").unwrap_or_default().trim().to_lowercase()
            )
        };
        let mut here: HashMap<String, i64> = HashMap::new();
        for a in self.all_here(def).await? {
            let owner = match route {
                "models" => a.get("manufacturer_id").and_then(id_text),
                "regions" => a.get("country_id").and_then(id_text),
                _ => None,
            };
            if let Some(id) = a.get("id").and_then(Value::as_i64) {
                here.insert(key(&a, owner), id);
            }
        }
        let known = self.known(route).await?;
        self.report.tally(route).at_source += listed.data.len() as u64;
        for record in &listed.data {
            let Some(source_id) = id_text(&record["id"]) else {
                continue;
            };
            let mut a = attributes_of(record);
            let owner_route = match route {
                "models" => Some(("manufacturer_id", "manufacturers")),
                "regions" => Some(("country_id", "countries")),
                _ => None,
            };
            let owner = owner_route.and_then(|(field, owner_route)| {
                let source_owner = a.get(field).and_then(id_text)?;
                self.mapped(owner_route, &source_owner)
                    .map(|id| id.to_string())
            });
            if let Some((id, _)) = known.get(&source_id) {
                self.remember(route, source_id, *id);
                self.report.tally(route).unchanged += 1;
                continue;
            }
            if let Some(id) = here.get(&key(&a, owner.clone())) {
                self.remember(route, source_id, *id);
                self.report.tally(route).unchanged += 1;
                continue;
            }
            if !def.ops.create {
                let name = text(&a, "name").unwrap_or_default();
                self.report.unmatched_references.push(format!(
                    "{route} {source_id} ({name}): none of that name here"
                ));
                continue;
            }
            if let (Some((field, _)), Some(owner)) = (owner_route, &owner) {
                a.insert(
                    field.into(),
                    json!(owner.parse::<i64>().unwrap_or_default()),
                );
            }
            let origin = self.origin(route, &source_id, text(&a, "updated_at"));
            self.write(route, def, None, None, item_of(def, a), &origin)
                .await;
        }
        Ok(())
    }

    /// Writes one source record through the engine: an update of record
    /// `existing` here, or a new record (under `parent`). The record is
    /// remembered and tallied, or the failure reported; its id here.
    async fn write(
        &mut self,
        route: &'static str,
        def: &'static Resource,
        existing: Option<i64>,
        parent: Option<(&'static crate::resources::Parent, i64)>,
        item: Item,
        origin: &Origin,
    ) -> Option<i64> {
        let written = match existing {
            Some(id) => self
                .engine
                .update_imported(&self.caller, def, id, item, origin)
                .await
                .map(|()| id),
            None => {
                self.engine
                    .create_imported(&self.caller, def, parent, item, origin)
                    .await
            }
        };
        match written {
            Ok(id) => {
                self.remember(route, origin.source_id.clone(), id);
                let tally = self.report.tally(route);
                if existing.is_some() {
                    tally.updated += 1;
                } else {
                    tally.created += 1;
                }
                Some(id)
            }
            Err(e) => {
                self.fail(route, &origin.source_id, e.to_string());
                None
            }
        }
    }

    /// Source ids in `a` turned into ids here: every field that references
    /// another table, and a `resource_type`/`resource_id` pair. A reference
    /// to something not imported is left empty.
    fn map_references(&self, def: &Resource, a: &mut Map<String, Value>) {
        for field in def.fields {
            let Some(reference) = field.references else {
                continue;
            };
            let Some(source_id) = a.get(field.name).and_then(id_text) else {
                continue;
            };
            let mapped = route_of_table(reference.table).and_then(|r| self.mapped(r, &source_id));
            a.insert(field.name.into(), mapped.map_or(Value::Null, Value::from));
        }
        for (class_field, id_field) in [
            ("resource_type", "resource_id"),
            ("destination_type", "destination_id"),
        ] {
            let class = text(a, class_field);
            let Some(source_id) = a.get(id_field).and_then(id_text) else {
                continue;
            };
            let mapped = class
                .as_deref()
                .and_then(registry::by_class)
                .and_then(|d| self.mapped(d.route, &source_id));
            a.insert(id_field.into(), mapped.map_or(Value::Null, Value::from));
        }
    }

    /// The records of `route` (organizations' records, passwords), with the
    /// attachments their lists include noted for later.
    async fn records(&mut self, route: &'static str, query: &str) -> anyhow::Result<()> {
        let def = by_route(route).with_context(|| format!("no route {route}"))?;
        let listed = self.list(route, query).await?;
        let included = by_type_and_id(&listed.included);
        let mut known = self.known(route).await?;
        self.report.tally(route).at_source += listed.data.len() as u64;
        if route == "organizations" {
            self.own_organization(&listed.data, &mut known).await?;
        }
        self.stage();
        let total = listed.data.len();
        for (done, record) in listed.data.iter().enumerate() {
            self.written(route, done + 1, total);
            let Some(source_id) = id_text(&record["id"]) else {
                continue;
            };
            let mut a = attributes_of(record);
            self.note_files(record, &included);
            if route == "passwords" && text(&a, "resource_type").as_deref() == Some(TRAIT_CLASS) {
                // A Password trait's value: it comes with its asset.
                self.report.tally(route).at_source -= 1;
                continue;
            }
            let updated_at = text(&a, "updated_at");
            if let Some((id, seen)) = known.get(&source_id) {
                self.remember(route, source_id.clone(), *id);
                if seen.is_some() && *seen == updated_at {
                    self.report.tally(route).unchanged += 1;
                    continue;
                }
            }
            if route == "passwords" && !a.contains_key("password") {
                self.fail(
                    route,
                    &source_id,
                    "the source did not show its value: the key needs password access".into(),
                );
                continue;
            }
            self.map_references(def, &mut a);
            let origin = self.origin(route, &source_id, updated_at);
            let existing = known.get(&source_id).map(|(id, _)| *id);
            let mut item = item_of(def, a);
            if route == "configurations" && existing.is_none() {
                interfaces_into(&mut item, record, &included);
            }
            self.write(route, def, existing, None, item, &origin).await;
        }
        Ok(())
    }

    /// Notes the attachments a listed record's `include=attachments` brought.
    fn note_files(&mut self, record: &Value, included: &HashMap<(String, String), &Value>) {
        let Some(links) = record["relationships"]["attachments"]["data"].as_array() else {
            return;
        };
        for link in links {
            let (Some(kind), Some(id)) = (link["type"].as_str(), id_text(&link["id"])) else {
                continue;
            };
            let Some(attachment) = included.get(&(kind.to_string(), id.clone())) else {
                continue;
            };
            let a = attributes_of(attachment);
            let (Some(owner_class), Some(owner_id), Some(url)) = (
                text(&a, "resource_type"),
                a.get("resource_id").and_then(id_text),
                text(&a, "download_url"),
            ) else {
                continue;
            };
            self.files.push(PendingFile {
                source_id: id,
                updated_at: text(&a, "updated_at"),
                owner_class,
                owner_id,
                name: text(&a, "name"),
                file_name: text(&a, "attachment_file_name").unwrap_or_else(|| "file".into()),
                download_url: url,
            });
        }
    }

    /// Flexible asset types with their fields: one of the same name here is
    /// used as it is; the others are made with their fields.
    async fn asset_types(&mut self) -> anyhow::Result<()> {
        let route = "flexible_asset_types";
        let def = by_route(route).context("no flexible asset types")?;
        let listed = self
            .source
            .all(
                "/flexible_asset_types",
                "include=flexible_asset_fields",
                |d, t| self.progress(route, d, t),
            )
            .await?;
        let here: HashMap<String, i64> = self
            .all_here(def)
            .await?
            .into_iter()
            .filter_map(|a| Some((text(&a, "name")?.to_lowercase(), a.get("id")?.as_i64()?)))
            .collect();
        let known = self.known(route).await?;
        self.report.tally(route).at_source += listed.data.len() as u64;
        // Types first named by others' Tag fields are made before them.
        let mut pending: Vec<&Value> = listed.data.iter().collect();
        let tagging_types: HashSet<String> = listed
            .included
            .iter()
            .map(attributes_of)
            .filter(|f| text(f, "tag_type").is_some_and(|t| t.starts_with("FlexibleAssetType")))
            .filter_map(|f| f.get("flexible_asset_type_id").and_then(id_text))
            .collect();
        pending.sort_by_key(|t| id_text(&t["id"]).is_some_and(|id| tagging_types.contains(&id)));
        for record in pending {
            let Some(source_id) = id_text(&record["id"]) else {
                continue;
            };
            let a = attributes_of(record);
            if let Some((id, _)) = known.get(&source_id) {
                self.remember(route, source_id, *id);
                self.report.tally(route).unchanged += 1;
                continue;
            }
            let name = text(&a, "name").unwrap_or_default();
            if let Some(id) = here.get(&name.to_lowercase()) {
                self.remember(route, source_id, *id);
                self.report.tally(route).unchanged += 1;
                continue;
            }
            let mut fields: Vec<Map<String, Value>> = listed
                .included
                .iter()
                .filter(|f| f["type"] == "flexible-asset-fields")
                .map(attributes_of)
                .filter(|f| {
                    f.get("flexible_asset_type_id").and_then(id_text).as_deref()
                        == Some(source_id.as_str())
                })
                .collect();
            fields.sort_by_key(|f| f.get("order").and_then(Value::as_i64).unwrap_or(0));
            for field in &mut fields {
                field.remove("flexible_asset_type_id");
                field.remove("name_key");
                if let Some(tag) = text(field, "tag_type") {
                    if let Some(other) = tag.strip_prefix("FlexibleAssetType:") {
                        let mapped = self.mapped(route, other.trim());
                        field.insert(
                            "tag_type".into(),
                            mapped.map_or(Value::Null, |id| {
                                json!(format!("FlexibleAssetType: {id}"))
                            }),
                        );
                    }
                }
            }
            let mut attributes = a.clone();
            attributes.insert(
                "fields".into(),
                Value::Array(fields.into_iter().map(Value::Object).collect()),
            );
            let origin = self.origin(route, &source_id, text(&a, "updated_at"));
            self.write(route, def, None, None, item_of(def, attributes), &origin)
                .await;
        }
        Ok(())
    }

    /// The flexible assets of every imported type: Password traits with
    /// their values, Upload traits with their files; Tag traits noted for
    /// when everything they name exists.
    async fn assets(&mut self) -> anyhow::Result<()> {
        let route = "flexible_assets";
        let def = by_route(route).context("no flexible assets")?;
        let known = self.known(route).await?;
        let mut types: Vec<String> = self
            .maps
            .get("flexible_asset_types")
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        types.sort();
        for type_id in types {
            let query = format!(
                "filter[flexible_asset_type_id]={type_id}&show_password=true&include=attachments"
            );
            let listed = self.list(route, &query).await?;
            let included = by_type_and_id(&listed.included);
            self.report.tally(route).at_source += listed.data.len() as u64;
            self.stage();
            let total = listed.data.len();
            for (done, record) in listed.data.iter().enumerate() {
                self.written(route, done + 1, total);
                let Some(source_id) = id_text(&record["id"]) else {
                    continue;
                };
                self.note_files(record, &included);
                let mut a = attributes_of(record);
                let updated_at = text(&a, "updated_at");
                let seen = known.get(&source_id).cloned();
                let given: Map<String, Value> = record["attributes"]["traits"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                // Files of Upload traits come with their asset, never as
                // attachments of their own (on every run).
                for value in given.values() {
                    if value.get("download-url").is_some() {
                        if let Some(id) = value.get("id").and_then(id_text) {
                            self.trait_files.insert(id);
                        }
                    }
                }
                if let Some((id, seen)) = &seen {
                    self.remember(route, source_id.clone(), *id);
                    if seen.is_some() && *seen == updated_at {
                        self.report.tally(route).unchanged += 1;
                        // Tags are set again, in case what they name was imported since.
                        self.note_tags(*id, &given);
                        continue;
                    }
                }
                let mut traits = Map::new();
                let mut problem = None;
                for (key, value) in &given {
                    let key = key.replace('-', "_");
                    match value {
                        Value::Object(o) if o.contains_key("values") => {}
                        Value::Object(o) if o.contains_key("password") => {
                            traits.insert(key, o["password"].clone());
                        }
                        Value::Object(o) if o.contains_key("download-url") => {
                            let url = o["download-url"].as_str().unwrap_or_default();
                            match self.source.bytes(url).await {
                                Ok(bytes) => {
                                    traits.insert(key, json!({
                                        "content": base64::engine::general_purpose::STANDARD.encode(&bytes),
                                        "file_name": o.get("name").and_then(Value::as_str).unwrap_or("file"),
                                    }));
                                }
                                Err(e) => problem = Some(format!("its file {url}: {e:#}")),
                            }
                        }
                        Value::Object(o) if o.contains_key("id") => {
                            problem = Some(format!(
                                "the source did not show the value of its password trait {key}: the key needs password access"
                            ));
                        }
                        other => {
                            traits.insert(key, other.clone());
                        }
                    }
                }
                if let Some(problem) = problem {
                    self.fail(route, &source_id, problem);
                    continue;
                }
                a.insert("traits".into(), Value::Object(traits));
                self.map_references(def, &mut a);
                let origin = self.origin(route, &source_id, updated_at);
                let existing = seen.map(|(id, _)| id);
                if let Some(id) = self
                    .write(route, def, existing, None, item_of(def, a), &origin)
                    .await
                {
                    self.note_tags(id, &given);
                }
            }
        }
        Ok(())
    }

    fn note_tags(&mut self, asset: i64, traits: &Map<String, Value>) {
        for (key, value) in traits {
            let (Some(tag_type), Some(values)) =
                (value["type"].as_str(), value["values"].as_array())
            else {
                continue;
            };
            let ids = values.iter().filter_map(|v| id_text(&v["id"])).collect();
            self.tags
                .push((asset, key.replace('-', "_"), tag_type.to_string(), ids));
        }
    }

    /// The Tag traits, once the records they name exist: each asset's
    /// traits as they are here, with its tags set.
    async fn tag_traits(&mut self) -> anyhow::Result<()> {
        let def = by_route("flexible_assets").context("no flexible assets")?;
        let mut by_asset: HashMap<i64, Vec<(String, String, Vec<String>)>> = HashMap::new();
        for (asset, key, tag_type, ids) in std::mem::take(&mut self.tags) {
            by_asset
                .entry(asset)
                .or_default()
                .push((key, tag_type, ids));
        }
        let mut assets: Vec<_> = by_asset.into_iter().collect();
        assets.sort_by_key(|(id, _)| *id);
        for (asset, tags) in assets {
            let shown = self
                .engine
                .show(&self.caller, def, None, asset, &Query::default())
                .await?;
            let object = crate::jsonapi::document::resource_object(
                def,
                &shown.records[0],
                false,
                None,
                shown.extra.get(&(def.json_type, asset)),
                "",
            );
            let mut traits = Map::new();
            for (key, value) in object["attributes"]["traits"]
                .as_object()
                .into_iter()
                .flatten()
            {
                let kept = match value {
                    Value::Object(o) if o.contains_key("values") => Value::Array(
                        o["values"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|v| v.get("id").cloned())
                            .collect(),
                    ),
                    Value::Object(o) if o.contains_key("id") => json!({"id": o["id"]}),
                    other => other.clone(),
                };
                traits.insert(key.replace('-', "_"), kept);
            }
            let mut changed = false;
            for (key, tag_type, ids) in tags {
                let route =
                    crate::resources::flexible_assets::tag_target(&tag_type).map(|(d, _)| d.route);
                let mapped: Vec<Value> = ids
                    .iter()
                    .filter_map(|id| route.and_then(|r| self.mapped(r, id)))
                    .map(Value::from)
                    .collect();
                if traits.get(&key) != Some(&Value::Array(mapped.clone())) {
                    changed = true;
                }
                traits.insert(key, Value::Array(mapped));
            }
            if !changed {
                continue;
            }
            let item = Item::new(json!({"type": def.json_type, "attributes": {"traits": traits}}));
            if let Err(e) = self
                .engine
                .update(
                    &self.caller,
                    def,
                    None,
                    asset,
                    item,
                    &Query::default(),
                    None,
                )
                .await
            {
                self.fail(
                    "flexible_assets",
                    &asset.to_string(),
                    format!("its Tag traits: {e}"),
                );
            }
        }
        Ok(())
    }

    /// The attachments the lists named, downloaded and stored under their
    /// records; each then read back and compared byte for byte.
    async fn attachments(&mut self) -> anyhow::Result<()> {
        let route = "attachments";
        let def = by_route(route).context("no attachments")?;
        let known = self.known(route).await?;
        let files = std::mem::take(&mut self.files);
        let total = files.len();
        self.stage();
        for (done, file) in files.into_iter().enumerate() {
            if self.trait_files.contains(&file.source_id) {
                continue;
            }
            self.report.tally(route).at_source += 1;
            self.written(route, done + 1, total);
            if let Some((_, seen)) = known.get(&file.source_id) {
                if *seen == file.updated_at {
                    self.report.tally(route).unchanged += 1;
                    continue;
                }
            }
            let Some(owner) = registry::by_class(&file.owner_class) else {
                self.fail(
                    route,
                    &file.source_id,
                    format!("it belongs to a {}", file.owner_class),
                );
                continue;
            };
            let (Some(parent), Some(owner_id)) = (
                def.parents().iter().find(|p| p.route == owner.route),
                self.mapped(owner.route, &file.owner_id),
            ) else {
                self.fail(
                    route,
                    &file.source_id,
                    format!("its {} {} was not imported", owner.route, file.owner_id),
                );
                continue;
            };
            let bytes = match self.source.bytes(&file.download_url).await {
                Ok(bytes) => bytes,
                Err(e) => {
                    self.fail(route, &file.source_id, format!("downloading it: {e:#}"));
                    continue;
                }
            };
            let item = Item::new(json!({"type": "attachments", "attributes": {
                "name": file.name,
                "attachment": {
                    "content": base64::engine::general_purpose::STANDARD.encode(&bytes),
                    "file_name": file.file_name,
                },
            }}));
            let origin = self.origin(route, &file.source_id, file.updated_at.clone());
            match self
                .engine
                .create_imported(&self.caller, def, Some((parent, owner_id)), item, &origin)
                .await
            {
                Ok(id) => {
                    self.report.tally(route).created += 1;
                    if !self.same_bytes(id, &bytes).await {
                        self.report
                            .mismatched_files
                            .push(format!("attachment {} (here {id})", file.source_id));
                    }
                }
                Err(e) => self.fail(route, &file.source_id, e.to_string()),
            }
        }
        Ok(())
    }

    /// Whether attachment `id` here holds `bytes`.
    async fn same_bytes(&self, id: i64, bytes: &[u8]) -> bool {
        let Ok(Some(file)) = self.engine.store().attachment_file(self.scope, id).await else {
            return false;
        };
        match self.engine.files().get(&file.blob_key).await {
            Ok(Some(stored)) => Sha256::digest(&stored) == Sha256::digest(bytes),
            _ => false,
        }
    }

    /// Related items, read from each imported record's page
    /// (`include=related_items`, as the reference gives them only there),
    /// each made under its record here once.
    async fn related_items(&mut self) -> anyhow::Result<()> {
        let route = "related_items";
        let def = by_route(route).context("no related items")?;
        let known = self.known(route).await?;
        for owner_route in WITH_RELATED_ITEMS {
            let mut owners: Vec<(String, i64)> = self
                .maps
                .get(owner_route)
                .map(|m| m.iter().map(|(s, t)| (s.clone(), *t)).collect())
                .unwrap_or_default();
            owners.sort_by_key(|(_, t)| *t);
            let Some(parent) = def.parents().iter().find(|p| p.route == *owner_route) else {
                continue;
            };
            let Some(owner_def) = by_route(owner_route)
                .filter(|d| d.includes.iter().any(|i| i.name == "related_items"))
            else {
                continue;
            };
            let total = owners.len();
            self.stage();
            for (done, (source_owner, owner)) in owners.into_iter().enumerate() {
                if done % 500 == 0 {
                    self.progress(
                        &format!("{route} of {owner_route}"),
                        done,
                        Some(total as u64),
                    );
                }
                let shown = self
                    .source
                    .json(&format!(
                        "/{owner_route}/{source_owner}?include=related_items"
                    ))
                    .await?;
                // Links already here (those a Tag trait made, or an earlier run).
                let mut here: Option<HashSet<(String, i64)>> = None;
                for item in shown["included"].as_array().into_iter().flatten() {
                    if item["type"] != "related-items" {
                        continue;
                    }
                    let Some(source_id) = id_text(&item["id"]) else {
                        continue;
                    };
                    let mut a = attributes_of(item);
                    // Only those this record made; the others are made from their own.
                    let from_here = text(&a, "resource_type").as_deref() == Some(owner_def.class)
                        && a.get("resource_id").and_then(id_text).as_deref()
                            == Some(source_owner.as_str());
                    if !from_here {
                        continue;
                    }
                    self.report.tally(route).at_source += 1;
                    if known.contains_key(&source_id) {
                        self.report.tally(route).unchanged += 1;
                        continue;
                    }
                    self.map_references(def, &mut a);
                    if a.get("destination_id").is_none_or(Value::is_null) {
                        self.fail(
                            route,
                            &source_id,
                            "what it links to was not imported".into(),
                        );
                        continue;
                    }
                    a.remove("resource_id");
                    a.remove("resource_type");
                    if here.is_none() {
                        here = Some(self.links_here(def, parent, owner).await?);
                    }
                    let link = (
                        text(&a, "destination_type").unwrap_or_default(),
                        a.get("destination_id").and_then(Value::as_i64).unwrap_or(0),
                    );
                    if here.as_ref().is_some_and(|h| h.contains(&link)) {
                        self.report.tally(route).unchanged += 1;
                        continue;
                    }
                    let origin = self.origin(route, &source_id, text(&a, "updated_at"));
                    match self
                        .engine
                        .create_imported(
                            &self.caller,
                            def,
                            Some((parent, owner)),
                            item_of(def, a),
                            &origin,
                        )
                        .await
                    {
                        Ok(_) => self.report.tally(route).created += 1,
                        Err(e) => self.fail(route, &source_id, e.to_string()),
                    }
                }
            }
        }
        Ok(())
    }
}

impl Import<'_> {
    /// The source account's own (primary) organization is this account's
    /// own: it is updated from the source rather than made again.
    async fn own_organization(
        &self,
        listed: &[Value],
        known: &mut HashMap<String, (i64, Option<String>)>,
    ) -> anyhow::Result<()> {
        let Some(source_id) = listed
            .iter()
            .find(|o| o["attributes"]["primary"] == Value::Bool(true))
            .and_then(|o| id_text(&o["id"]))
        else {
            return Ok(());
        };
        if known.contains_key(&source_id) {
            return Ok(());
        }
        let def = by_route("organizations").context("no organizations")?;
        let own = self
            .engine
            .list(
                &self.caller,
                def,
                None,
                &Query {
                    filters: vec![crate::query::FilterParam::matching("primary", "true")],
                    page_size: Some(1),
                    ..Query::default()
                },
            )
            .await?;
        if let Some(record) = own.records.first() {
            known.insert(source_id, (record.id, None));
        }
        Ok(())
    }

    /// The links record `owner` has here, as (destination type, id).
    async fn links_here(
        &self,
        def: &'static Resource,
        parent: &'static crate::resources::Parent,
        owner: i64,
    ) -> anyhow::Result<HashSet<(String, i64)>> {
        let listed = self
            .engine
            .list(
                &self.caller,
                def,
                Some((parent, owner)),
                &Query {
                    page_size: Some(1000),
                    ..Query::default()
                },
            )
            .await?;
        Ok(listed
            .records
            .iter()
            .filter_map(|record| {
                let a = attributes_of(&crate::jsonapi::document::resource_object(
                    def, record, true, None, None, "",
                ));
                Some((
                    text(&a, "destination_type")?,
                    a.get("destination_id")?.as_i64()?,
                ))
            })
            .collect())
    }
}

/// A request item of `def` with `attributes` (read-only ones are ignored
/// by the engine, as it ignores what clients echo back).
fn item_of(def: &Resource, mut attributes: Map<String, Value>) -> Item {
    attributes.remove("id");
    Item::new(json!({"type": def.json_type, "attributes": attributes}))
}

/// A configuration's interfaces (from its list's include) into the item,
/// as `relationships.configuration_interfaces.data` makes them with it.
fn interfaces_into(item: &mut Item, record: &Value, included: &HashMap<(String, String), &Value>) {
    let relationships = &record["relationships"];
    let links = relationships
        .get("configuration-interfaces")
        .or_else(|| relationships.get("configuration_interfaces"));
    let interfaces: Vec<Value> = links
        .and_then(|l| l["data"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|link| {
            let key = (link["type"].as_str()?.to_string(), id_text(&link["id"])?);
            let interface = included.get(&key)?;
            let mut a = attributes_of(interface);
            a.remove("configuration_id");
            a.remove("id");
            Some(json!({"type": "configuration-interfaces", "attributes": a}))
        })
        .collect();
    if !interfaces.is_empty() {
        item.object.insert(
            "relationships".into(),
            json!({"configuration_interfaces": {"data": interfaces}}),
        );
    }
}
