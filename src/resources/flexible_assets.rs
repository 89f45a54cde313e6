//! `flexible-assets` (seed section "Flexible Assets"): records of a
//! flexible asset type, holding their values as `traits` keyed by each
//! field's `name-key`.
//!
//! Traits are stored as JSON keyed by field id, so a renamed field keeps its
//! values; responses key them by the current `name-key`. A write that sends
//! `traits` sends the whole set (what is left out or null goes), checked
//! field by field; the asset's `name` is its title fields' values, joined
//! by spaces in field order; each change keeps the previous set as a
//! version. Tag traits link records (and keep a related item per link);
//! Date traits of fields flagged `expiration` become expirations.

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Number, Value};

use super::attachments::ATTACHMENTS;
use super::flexible_asset_types::FLEXIBLE_ASSET_FIELDS;
use super::owned::{
    self, ARCHIVED, MY_GLUE, ORGANIZATION_ID, ORGANIZATION_JOIN, ORGANIZATION_NAME, RESOURCE_URL,
    RESTRICTED,
};
use super::passwords::{PASSWORDS, TRAIT_CLASS};
use super::related_items::RELATED_ITEMS;
use super::{
    by_route, AfterWrite, BeforeDelete, BoxFuture, Carries, Change, ColumnType, Decorate,
    Decorations, Field, Hooks, Include, IncludeTarget, Join, Nested, NewRecord, Ops, QueryPurpose,
    Resource, RevealedPassword, Secrets, WriteContext,
};
use crate::error::{Error, Invalid, Result};
use crate::names::{dashed, parse_bool};
use crate::query::Query;
use crate::store::{Arg, Cell, Match, Record, Scope, Values};

/// `flexible-assets`, created singly at the top level or in bulk under an organization.
pub static FLEXIBLE_ASSETS: Resource = Resource {
    json_type: "flexible-assets",
    route: "flexible_assets",
    table: "flexible_assets",
    class: "Flexible Asset",
    search: Some(&super::Search {
        code: 8,
        title: &["name"],
        body: &["traits"],
    }),
    organization_column: Some("organization_id"),
    fields: &[
        ORGANIZATION_ID,
        ORGANIZATION_NAME,
        RESOURCE_URL,
        RESTRICTED,
        MY_GLUE,
        column!("flexible_asset_type_id", Int)
            .required()
            .create_only()
            .references("flexible_asset_types"),
        Field::computed("flexible_asset_type_name", "fat.name", ColumnType::Text),
        Field::computed("name", "t.name", ColumnType::Text),
        // Sent keyed by name-key, stored keyed by field id (the hooks turn
        // one into the other) and shown keyed by name-key by `decorate`.
        column!("traits", Json),
        ARCHIVED,
        Field::created_at(),
        Field::updated_at(),
    ],
    joins: &[
        ORGANIZATION_JOIN,
        Join {
            alias: "fat",
            sql: "JOIN flexible_asset_types fat ON fat.id = t.flexible_asset_type_id",
        },
    ],
    filters: &[
        filter!("id", Int),
        filter!("name", Text),
        filter!("organization_id", Int),
        filter!("flexible_asset_type_id", Int),
    ],
    includes: &[
        owned::unmodelled("adapters_resources", false),
        owned::unmodelled("distinct_remote_assets", false),
        owned::ATTACHMENTS,
        owned::PASSWORDS,
        owned::unmodelled("user_resource_accesses", false),
        owned::unmodelled("group_resource_accesses", false),
        Include {
            name: "recent_versions",
            target: IncludeTarget::HasMany {
                resource: &FLEXIBLE_ASSET_VERSIONS,
                foreign_key: "flexible_asset_id",
            },
            show_only: true,
        },
        owned::RELATED_ITEMS,
        owned::unmodelled("authorized_users", true),
    ],
    under: &[owned::UNDER_ORGANIZATION],
    carries: Carries::EVERYTHING,
    takes_files: true,
    nested_secrets: true,
    hooks: &AssetHooks,
    ..Resource::BASE
};

/// Earlier trait sets of an asset (reached through `include=recent_versions`).
pub static FLEXIBLE_ASSET_VERSIONS: Resource = Resource {
    json_type: "recent-versions",
    route: "flexible_asset_versions",
    table: "flexible_asset_versions",
    class: "FlexibleAssetVersion",
    title_field: "flexible_asset_id",
    fields: &[
        Field::computed("flexible_asset_id", "t.flexible_asset_id", ColumnType::Int),
        Field::computed("name", "t.name", ColumnType::Text),
        Field::computed("traits", "t.traits", ColumnType::Json),
        Field::computed("api_key_id", "t.api_key_id", ColumnType::Int),
        Field::created_at(),
    ],
    ops: Ops::INCLUDED_ONLY,
    logged: false,
    ..Resource::BASE
};

/// Traits checked and stored, titles, versions, tag links and expirations.
pub struct AssetHooks;

/// A field of an asset's type, as the traits need it.
#[derive(Debug, Clone)]
struct TraitField {
    id: i64,
    position: i64,
    name: String,
    key: String,
    kind: String,
    required: bool,
    use_for_title: bool,
    expiration: bool,
    decimals: i64,
    options: Vec<String>,
    tag_type: Option<String>,
}

impl TraitField {
    fn of(record: &Record) -> TraitField {
        let f = &FLEXIBLE_ASSET_FIELDS;
        let text = |name: &str| {
            f.cell(record, name)
                .and_then(Cell::as_str)
                .map(str::to_string)
        };
        let flag =
            |name: &str| matches!(f.cell(record, name), Some(Cell::Bool(true) | Cell::Int(1)));
        TraitField {
            id: record.id,
            position: f
                .cell(record, "order")
                .and_then(Cell::as_i64)
                .unwrap_or_default(),
            name: text("name").unwrap_or_default(),
            key: text("name_key").unwrap_or_default(),
            kind: text("kind").unwrap_or_default(),
            required: flag("required"),
            use_for_title: flag("use_for_title"),
            expiration: flag("expiration"),
            decimals: f
                .cell(record, "decimals")
                .and_then(Cell::as_i64)
                .unwrap_or(0),
            options: text("default_value")
                .map(|v| {
                    v.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            tag_type: text("tag_type"),
        }
    }
}

/// The fields of type `type_id`, in field order.
async fn fields_of(nested: &mut dyn Nested, type_id: i64) -> Result<Vec<TraitField>> {
    let mut fields: Vec<TraitField> = nested
        .find(
            &FLEXIBLE_ASSET_FIELDS,
            vec![("flexible_asset_type_id", Arg::from(type_id))],
        )
        .await?
        .iter()
        .map(TraitField::of)
        .collect();
    fields.sort_by_key(|f| f.position);
    Ok(fields)
}

/// The resource a Tag field links to, and (for `FlexibleAssetType: <id>`)
/// the asset type its records must have.
pub(crate) fn tag_target(tag_type: &str) -> Option<(&'static Resource, Option<i64>)> {
    if let Some(id) = tag_type
        .strip_prefix("FlexibleAssetType:")
        .and_then(|id| id.trim().parse::<i64>().ok())
    {
        return Some((&FLEXIBLE_ASSETS, Some(id)));
    }
    let route = match tag_type {
        "Configurations" => "configurations",
        "Contacts" => "contacts",
        "Documents" => "documents",
        "Domains" => "domains",
        "Locations" => "locations",
        "Organizations" => "organizations",
        "Passwords" => "passwords",
        _ => return None,
    };
    by_route(route).map(|r| (r, None))
}

/// The stored traits of an asset record, keyed by field id.
fn stored_traits(record: &Record) -> Map<String, Value> {
    match FLEXIBLE_ASSETS.cell(record, "traits") {
        Some(Cell::Text(json)) => match serde_json::from_str(json) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        },
        _ => Map::new(),
    }
}

/// The ids a Tag value holds (numbers, or digits as a form sends them).
fn tag_ids(value: &Value) -> Vec<i64> {
    let id = |v: &Value| match v {
        Value::String(s) => s.trim().parse().ok(),
        other => other.as_i64(),
    };
    match value {
        Value::Array(items) => items.iter().filter_map(id).collect(),
        other => id(other).into_iter().collect(),
    }
}

/// An asset's title: its title fields' values in field order, joined by
/// spaces, cut to [`TITLE_LENGTH`] characters.
fn title(fields: &[TraitField], stored: &Map<String, Value>) -> String {
    fields
        .iter()
        .filter(|f| f.use_for_title)
        .filter_map(|f| match stored.get(&f.id.to_string()) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(TITLE_LENGTH)
        .collect()
}

/// Longest title, in characters (names are indexed and shown in lists).
const TITLE_LENGTH: usize = 255;

/// Checks one trait value against its field; the stored value, or `None`
/// for no value.
async fn check_value(
    nested: &mut dyn Nested,
    field: &TraitField,
    value: &Value,
    pointer: &str,
    problems: &mut Vec<Invalid>,
) -> Result<Option<Value>> {
    if value.is_null() || matches!(value, Value::String(s) if s.is_empty()) {
        return Ok(None);
    }
    let mut problem = |detail: String| {
        problems.push(Invalid::new(pointer, detail));
        Ok(None)
    };
    match field.kind.as_str() {
        "Text" | "Textbox" | "Select" => {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return problem("must be a string".into()),
            };
            if field.kind == "Select" && !field.options.contains(&text) {
                return problem(format!("must be one of: {}", field.options.join(", ")));
            }
            if field.kind == "Textbox" {
                return Ok(Some(json!(super::documents::sanitize_html(&text))));
            }
            Ok(Some(json!(text)))
        }
        "Number" | "Percent" => {
            let number = match value {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            let Some(number) = number.filter(|n| n.is_finite()) else {
                return problem("must be a number".into());
            };
            let scale = 10f64.powi(field.decimals.clamp(0, 12) as i32);
            if ((number * scale).round() - number * scale).abs() > 1e-6 {
                return problem(format!("has more than {} decimal places", field.decimals));
            }
            let stored = if field.decimals == 0 {
                json!(number.round() as i64)
            } else {
                Number::from_f64(number).map_or(Value::Null, Value::Number)
            };
            Ok(Some(stored))
        }
        "Checkbox" => match value {
            Value::Bool(b) => Ok(Some(json!(b))),
            Value::String(s) => match parse_bool(s) {
                Some(b) => Ok(Some(json!(b))),
                None => problem("must be true or false".into()),
            },
            _ => problem("must be true or false".into()),
        },
        "Date" => match value.as_str().map(str::trim) {
            Some(date) if crate::clock::is_date(date) => Ok(Some(json!(date))),
            _ => problem("must be a date (YYYY-MM-DD)".into()),
        },
        "Header" => problem("a header takes no value".into()),
        "Tag" => {
            let ids = tag_ids(value);
            let all_ids = match value {
                Value::Array(items) => items.len() == ids.len(),
                _ => ids.len() == 1,
            };
            if !all_ids || ids.is_empty() {
                return problem("must be a record id or an array of record ids".into());
            }
            let Some((target, asset_type)) = field.tag_type.as_deref().and_then(tag_target) else {
                return problem("the field's tag type links to nothing Mortar stores".into());
            };
            for id in &ids {
                let mut matching = vec![("id", Arg::from(*id))];
                if let Some(asset_type) = asset_type {
                    matching.push(("flexible_asset_type_id", Arg::from(asset_type)));
                }
                if nested.find(target, matching).await?.is_empty() {
                    return problem(format!(
                        "{id} does not name a record of {} in this account",
                        field.tag_type.as_deref().unwrap_or_default()
                    ));
                }
            }
            Ok(Some(json!(ids)))
        }
        other => problem(format!("Mortar does not store {other} trait values yet")),
    }
}

/// The trait set a request sends, checked against the type's fields and
/// keyed by field id.
async fn check_traits(
    nested: &mut dyn Nested,
    fields: &[TraitField],
    given: &Arg,
    pointer: &str,
    previous: &Map<String, Value>,
    password_access: bool,
) -> Result<Checked> {
    let pointer = format!("{pointer}/traits");
    let not_an_object = || Error::invalid(&pointer, "must be an object keyed by field name-key");
    let given: Map<String, Value> = match given {
        Arg::Text(Some(json)) => match serde_json::from_str(json) {
            Ok(Value::Object(map)) => map,
            _ => return Err(not_an_object()),
        },
        _ => return Err(not_an_object()),
    };
    let mut problems = Vec::new();
    let mut checked = Checked::default();
    for (key, value) in &given {
        // Keys arrive with their dashes turned to underscores, as every
        // member name does; a name-key is compared in that spelling too.
        let Some(field) = fields.iter().find(|f| f.key.replace('-', "_") == *key) else {
            problems.push(Invalid::new(
                format!("{pointer}/{}", key.replace('_', "-")),
                "is not a field of this flexible asset type",
            ));
            continue;
        };
        let at = format!("{pointer}/{}", field.key);
        let id = field.id.to_string();
        if value.is_null() {
            continue;
        }
        match field.kind.as_str() {
            "Password" => match value {
                Value::String(secret) if !password_access && !secret.is_empty() => {
                    return Err(Error::Forbidden(
                        "this API key has no password access: it cannot send password trait values"
                            .into(),
                    ))
                }
                Value::String(secret) if !secret.is_empty() => {
                    checked.secrets.insert(id, json!(secret));
                }
                Value::String(_) => {}
                // What a read shows (`{"id": .., "name": ..}`) names the kept password.
                Value::Object(shown) if shown.get("id") == previous.get(&id) => {
                    checked.stored.insert(id.clone(), previous[&id].clone());
                }
                _ => problems.push(Invalid::new(at, "must be the password, as a string")),
            },
            "Upload" => match value {
                Value::Object(upload) if upload.contains_key("content") => {
                    checked.uploads.insert(id, value.clone());
                }
                Value::Object(shown) if shown.get("id") == previous.get(&id) => {
                    checked.stored.insert(id.clone(), previous[&id].clone());
                }
                Value::Number(_) if Some(value) == previous.get(&id) => {
                    checked.stored.insert(id.clone(), value.clone());
                }
                _ => problems.push(Invalid::new(
                    at,
                    "must be a file: {\"content\": strict base64, \"file_name\": ...}",
                )),
            },
            _ => {
                if let Some(value) = check_value(nested, field, value, &at, &mut problems).await? {
                    checked.stored.insert(id, value);
                }
            }
        }
    }
    // A key without password access cannot see or change Password traits:
    // what it leaves out stays.
    if !password_access {
        for field in fields.iter().filter(|f| f.kind == "Password") {
            let id = field.id.to_string();
            if let Some(kept) = previous.get(&id) {
                checked.stored.entry(id).or_insert_with(|| kept.clone());
            }
        }
    }
    for field in fields.iter().filter(|f| f.required && f.kind != "Header") {
        let id = field.id.to_string();
        let present = checked.stored.contains_key(&id)
            || checked.secrets.contains_key(&id)
            || checked.uploads.contains_key(&id);
        let at = format!("{pointer}/{}", field.key);
        if !present && !problems.iter().any(|p| p.pointer == at) {
            problems.push(Invalid::new(at, "is required"));
        }
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(Error::Invalid(problems))
    }
}

/// A request's trait set, checked: the values stored as they are, and the
/// Password and Upload values that become records of their own once the
/// asset is written (all keyed by field id).
#[derive(Debug, Default)]
struct Checked {
    stored: Map<String, Value>,
    secrets: Map<String, Value>,
    uploads: Map<String, Value>,
}

/// Makes, changes and removes the passwords and attachments that Password
/// and Upload traits keep; returns the stored traits with their ids.
#[allow(clippy::too_many_arguments)]
async fn keep_records(
    nested: &mut dyn Nested,
    asset: i64,
    fields: &[TraitField],
    mut stored: Map<String, Value>,
    previous: &Map<String, Value>,
    secrets: &Map<String, Value>,
    uploads: &Map<String, Value>,
    pointer: &str,
) -> Result<Map<String, Value>> {
    let Some(record) = nested
        .find(&FLEXIBLE_ASSETS, vec![("id", Arg::from(asset))])
        .await?
        .pop()
    else {
        return Ok(stored);
    };
    let text = |name: &str| {
        FLEXIBLE_ASSETS
            .cell(&record, name)
            .and_then(Cell::as_str)
            .map(str::to_string)
    };
    let organization = FLEXIBLE_ASSETS
        .cell(&record, "organization_id")
        .and_then(Cell::as_i64);
    for field in fields
        .iter()
        .filter(|f| f.kind == "Password" || f.kind == "Upload")
    {
        let id = field.id.to_string();
        let before = previous.get(&id).and_then(Value::as_i64);
        let kept = stored.get(&id).and_then(Value::as_i64);
        match (field.kind.as_str(), secrets.get(&id), uploads.get(&id)) {
            ("Password", Some(Value::String(secret)), _) => match before {
                Some(password) => {
                    let mut values = Values::default();
                    values.set("password", Arg::from(secret.clone()));
                    values.set("cached_resource_name", Arg::from(text("name")));
                    nested
                        .update(
                            &PASSWORDS,
                            vec![Change {
                                pointer: pointer.to_string(),
                                id: password,
                                values,
                            }],
                        )
                        .await?;
                    stored.insert(id, json!(password));
                }
                None => {
                    let mut values = Values::default();
                    values.set("organization_id", Arg::from(organization));
                    values.set("name", Arg::from(field.name.clone()));
                    values.set("password", Arg::from(secret.clone()));
                    values.set("resource_id", Arg::from(asset));
                    values.set("resource_type", Arg::from(TRAIT_CLASS));
                    values.set(
                        "cached_resource_type_name",
                        Arg::from(text("flexible_asset_type_name")),
                    );
                    values.set("cached_resource_name", Arg::from(text("name")));
                    let made = nested
                        .create(&PASSWORDS, vec![NewRecord::new(pointer, values)])
                        .await?;
                    if let Some(password) = made.first() {
                        stored.insert(id, json!(password.id));
                    }
                }
            },
            ("Upload", _, Some(upload)) => {
                let mut attributes = Map::new();
                attributes.insert("resource_type".into(), json!(FLEXIBLE_ASSETS.class));
                attributes.insert("resource_id".into(), json!(asset));
                attributes.insert("attachment".into(), upload.clone());
                let mut object = Map::new();
                object.insert("attributes".into(), Value::Object(attributes));
                let at = format!(
                    "{}/traits/{}",
                    pointer.trim_end_matches("/attributes"),
                    field.key
                );
                let made = nested
                    .create_items(&ATTACHMENTS, vec![(at, object)])
                    .await?;
                if let Some(attachment) = made.first() {
                    stored.insert(id, json!(attachment.id));
                }
                if let Some(old) = before {
                    nested.delete(&ATTACHMENTS, vec![old]).await?;
                }
            }
            _ => {
                if let (Some(old), None) = (before, kept) {
                    let resource = if field.kind == "Password" {
                        &PASSWORDS
                    } else {
                        &ATTACHMENTS
                    };
                    nested.delete(resource, vec![old]).await?;
                }
            }
        }
    }
    Ok(stored)
}

/// The note on a related item a Tag trait keeps.
fn tag_note(field: &TraitField) -> String {
    format!("Tagged in the {} field", field.name)
}

/// Makes the asset's related items match its Tag traits: one per tagged
/// record, made and removed with the tag (items made by hand stay).
async fn sync_tags(
    nested: &mut dyn Nested,
    asset: i64,
    fields: &[TraitField],
    stored: &Map<String, Value>,
    pointer: &str,
) -> Result<()> {
    let mut wanted: Vec<(String, &'static str, i64)> = Vec::new();
    for field in fields.iter().filter(|f| f.kind == "Tag") {
        let Some((target, _)) = field.tag_type.as_deref().and_then(tag_target) else {
            continue;
        };
        for id in stored
            .get(&field.id.to_string())
            .map(tag_ids)
            .unwrap_or_default()
        {
            wanted.push((tag_note(field), target.class, id));
        }
    }
    let notes: Vec<String> = fields
        .iter()
        .filter(|f| f.kind == "Tag")
        .map(tag_note)
        .collect();
    let existing = nested
        .find(
            &RELATED_ITEMS,
            vec![
                ("resource_type", Arg::from(FLEXIBLE_ASSETS.class)),
                ("resource_id", Arg::from(asset)),
            ],
        )
        .await?;
    let mut stale = Vec::new();
    for item in &existing {
        let text = |name: &str| {
            RELATED_ITEMS
                .cell(item, name)
                .and_then(Cell::as_str)
                .map(str::to_string)
                .unwrap_or_default()
        };
        let note = text("notes");
        let end = (
            note.clone(),
            text("destination_type"),
            RELATED_ITEMS
                .cell(item, "destination_id")
                .and_then(Cell::as_i64)
                .unwrap_or_default(),
        );
        match wanted
            .iter()
            .position(|(n, class, id)| *n == end.0 && *class == end.1 && *id == end.2)
        {
            Some(found) => {
                wanted.remove(found);
            }
            None if notes.contains(&note) || note.starts_with("Tagged in the ") => {
                stale.push(item.id)
            }
            None => {}
        }
    }
    if !stale.is_empty() {
        nested.delete(&RELATED_ITEMS, stale).await?;
    }
    // A record tagged twice (in two fields) is linked once.
    let mut seen = Vec::new();
    let mut new = Vec::new();
    for (note, class, id) in wanted {
        if seen.contains(&(class, id))
            || existing.iter().any(|e| {
                RELATED_ITEMS
                    .cell(e, "destination_type")
                    .and_then(Cell::as_str)
                    == Some(class)
                    && RELATED_ITEMS
                        .cell(e, "destination_id")
                        .and_then(Cell::as_i64)
                        == Some(id)
            })
        {
            continue;
        }
        seen.push((class, id));
        let mut values = Values::default();
        values.set("resource_type", Arg::from(FLEXIBLE_ASSETS.class));
        values.set("resource_id", Arg::from(asset));
        values.set("destination_type", Arg::from(class));
        values.set("destination_id", Arg::from(id));
        values.set("notes", Arg::from(note));
        values.set("via_copilot", Arg::from(false));
        new.push(NewRecord::new(pointer, values));
    }
    if !new.is_empty() {
        nested.create(&RELATED_ITEMS, new).await?;
    }
    Ok(())
}

/// The expirations an asset's dated traits make: one per Date field flagged
/// `expiration` with a value, described by the field's name.
fn expirations(fields: &[TraitField], stored: &Map<String, Value>) -> Vec<(String, i64)> {
    fields
        .iter()
        .filter(|f| f.kind == "Date" && f.expiration)
        .filter_map(|f| {
            let date = stored.get(&f.id.to_string())?.as_str()?;
            let at = crate::clock::parse_range_bound(date, crate::clock::RangeEnd::Start)?;
            Some((f.name.clone(), at))
        })
        .collect()
}

impl Hooks for AssetHooks {
    fn check_query(&self, query: &Query, purpose: QueryPurpose) -> Result<()> {
        let needed: &[&str] = match purpose {
            QueryPurpose::List => &["flexible_asset_type_id"],
            QueryPurpose::BulkUpdate | QueryPurpose::Search => &[],
            QueryPurpose::BulkDelete => &["organization_id", "flexible_asset_type_id"],
        };
        for name in needed {
            if !query.has_filter(name) {
                return Err(Error::bad_parameter(
                    format!("filter[{name}]"),
                    match purpose {
                        QueryPurpose::List => {
                            "is required: flexible assets are listed one type at a time"
                        }
                        _ => "is required to delete flexible assets by filter",
                    },
                ));
            }
        }
        Ok(())
    }

    fn before_write<'a>(&'a self, ctx: WriteContext<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let given = ctx.values.take("traits");
            let current = match ctx.id {
                Some(id) => ctx
                    .nested
                    .find(&FLEXIBLE_ASSETS, vec![("id", Arg::from(id))])
                    .await?
                    .pop(),
                None => None,
            };
            let type_id = match &current {
                Some(record) => FLEXIBLE_ASSETS
                    .cell(record, "flexible_asset_type_id")
                    .and_then(Cell::as_i64),
                None => ctx
                    .values
                    .get("flexible_asset_type_id")
                    .and_then(Arg::as_i64),
            };
            let Some(type_id) = type_id else {
                return Ok(());
            };
            let given = match given {
                Some(given) => given,
                None if ctx.id.is_none() => {
                    return Err(Error::invalid(
                        format!("{}/traits", ctx.pointer),
                        "is required: the asset's values, keyed by field name-key",
                    ))
                }
                None => return Ok(()),
            };
            let previous = current.as_ref().map(stored_traits).unwrap_or_default();
            let fields = fields_of(ctx.nested, type_id).await?;
            let checked = check_traits(
                ctx.nested,
                &fields,
                &given,
                ctx.pointer,
                &previous,
                ctx.env.password_access,
            )
            .await?;
            let name = title(&fields, &checked.stored);
            if let Some(record) = &current {
                let changed = previous != checked.stored
                    || !checked.secrets.is_empty()
                    || !checked.uploads.is_empty();
                if changed {
                    let previous_name = FLEXIBLE_ASSETS
                        .cell(record, "name")
                        .and_then(Cell::as_str)
                        .unwrap_or_default()
                        .to_string();
                    ctx.deferred.set("previous_name", Arg::from(previous_name));
                    ctx.deferred.set(
                        "version_traits",
                        Arg::from(Value::Object(previous.clone()).to_string()),
                    );
                }
            }
            ctx.deferred.set("type_id", Arg::from(type_id));
            ctx.deferred.set(
                "previous_traits",
                Arg::from(Value::Object(previous).to_string()),
            );
            ctx.deferred.set(
                "secrets",
                Arg::from(Value::Object(checked.secrets).to_string()),
            );
            ctx.deferred.set(
                "uploads",
                Arg::from(Value::Object(checked.uploads).to_string()),
            );
            ctx.values.set(
                "traits",
                Arg::from(Value::Object(checked.stored).to_string()),
            );
            ctx.values.set("name", Arg::from(name));
            Ok(())
        })
    }

    fn after_write<'a>(&'a self, ctx: AfterWrite<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let (Some(type_id), Some(Arg::Text(Some(json)))) = (
                ctx.deferred.get("type_id").and_then(Arg::as_i64),
                ctx.values.get("traits"),
            ) else {
                return Ok(());
            };
            let object = |name: &str| -> Map<String, Value> {
                match ctx.deferred.get(name) {
                    Some(Arg::Text(Some(json))) => serde_json::from_str(json).unwrap_or_default(),
                    _ => Map::new(),
                }
            };
            if let (Some(Arg::Text(Some(traits))), Some(Arg::Text(name))) = (
                ctx.deferred.get("version_traits"),
                ctx.deferred.get("previous_name"),
            ) {
                let mut version = Values::default();
                version.set("flexible_asset_id", Arg::from(ctx.id));
                version.set("name", Arg::from(name.clone().unwrap_or_default()));
                version.set("traits", Arg::from(traits.clone()));
                version.set("api_key_id", Arg::from(ctx.env.actor.key_id));
                ctx.nested
                    .create(
                        &FLEXIBLE_ASSET_VERSIONS,
                        vec![NewRecord::new(ctx.pointer, version)],
                    )
                    .await?;
            }
            let written: Map<String, Value> = serde_json::from_str(json).unwrap_or_default();
            let fields = fields_of(ctx.nested, type_id).await?;
            let stored = keep_records(
                ctx.nested,
                ctx.id,
                &fields,
                written.clone(),
                &object("previous_traits"),
                &object("secrets"),
                &object("uploads"),
                ctx.pointer,
            )
            .await?;
            if stored != written {
                let mut values = Values::default();
                values.set(
                    "traits",
                    Arg::from(Value::Object(stored.clone()).to_string()),
                );
                ctx.nested
                    .tx()
                    .update_rows(
                        ctx.scope,
                        FLEXIBLE_ASSETS.table,
                        &values,
                        &[Match::id(ctx.id)],
                    )
                    .await?;
            }
            sync_tags(ctx.nested, ctx.id, &fields, &stored, ctx.pointer).await?;
            ctx.nested
                .set_expirations(&FLEXIBLE_ASSETS, ctx.id, expirations(&fields, &stored))
                .await
        })
    }

    /// The passwords Password traits keep go with their assets (attachments
    /// and links go as they do for every record).
    fn before_delete<'a>(&'a self, ctx: BeforeDelete<'a>) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let mut kept = Vec::new();
            for id in ctx.ids {
                kept.extend(
                    ctx.nested
                        .find(
                            &PASSWORDS,
                            vec![
                                ("resource_type", Arg::from(TRAIT_CLASS)),
                                ("resource_id", Arg::from(*id)),
                            ],
                        )
                        .await?
                        .into_iter()
                        .map(|p| p.id),
                );
            }
            if !kept.is_empty() {
                ctx.nested.delete(&PASSWORDS, kept).await?;
            }
            Ok(())
        })
    }

    /// `traits` keyed by each field's current name-key, in field order:
    /// Tag values with the tagged records' names (one statement per tag
    /// type for the whole page), other kinds as stored.
    fn decorate<'a>(&'a self, ctx: Decorate<'a>) -> BoxFuture<'a, Result<Decorations>> {
        Box::pin(async move {
            let mut type_ids: Vec<i64> = ctx
                .records
                .iter()
                .filter_map(|r| {
                    FLEXIBLE_ASSETS
                        .cell(r, "flexible_asset_type_id")
                        .and_then(Cell::as_i64)
                })
                .collect();
            type_ids.sort_unstable();
            type_ids.dedup();
            let mut fields: BTreeMap<i64, Vec<TraitField>> = BTreeMap::new();
            for record in ctx
                .lookup
                .records(&FLEXIBLE_ASSET_FIELDS, "flexible_asset_type_id", &type_ids)
                .await?
            {
                let type_id = FLEXIBLE_ASSET_FIELDS
                    .cell(&record, "flexible_asset_type_id")
                    .and_then(Cell::as_i64)
                    .unwrap_or_default();
                fields
                    .entry(type_id)
                    .or_default()
                    .push(TraitField::of(&record));
            }
            for list in fields.values_mut() {
                list.sort_by_key(|f| f.position);
            }
            // Every tagged id, by the resource it names.
            let traits: Vec<Map<String, Value>> =
                ctx.records.iter().map(|r| stored_traits(r)).collect();
            let mut tagged: HashMap<&'static str, (&'static Resource, Vec<i64>)> = HashMap::new();
            for (record, stored) in ctx.records.iter().zip(&traits) {
                let type_id = FLEXIBLE_ASSETS
                    .cell(record, "flexible_asset_type_id")
                    .and_then(Cell::as_i64)
                    .unwrap_or_default();
                for field in fields.get(&type_id).into_iter().flatten() {
                    if field.kind != "Tag" {
                        continue;
                    }
                    let Some((target, _)) = field.tag_type.as_deref().and_then(tag_target) else {
                        continue;
                    };
                    let ids = stored
                        .get(&field.id.to_string())
                        .map(tag_ids)
                        .unwrap_or_default();
                    tagged
                        .entry(target.route)
                        .or_insert_with(|| (target, Vec::new()))
                        .1
                        .extend(ids);
                }
            }
            let mut names: HashMap<(&'static str, i64), Value> = HashMap::new();
            for (route, (target, mut ids)) in tagged {
                ids.sort_unstable();
                ids.dedup();
                let fields = tag_fields(target);
                for record in ctx.lookup.fields(target, &fields, &ids).await? {
                    names.insert((route, record.id), tag_value(&fields, &record));
                }
            }
            // Passwords and files the traits keep: files' names in one
            // statement; password values only as the engine allows.
            let mut kept: HashMap<&'static str, Vec<i64>> = HashMap::new();
            for (record, stored) in ctx.records.iter().zip(&traits) {
                let type_id = FLEXIBLE_ASSETS
                    .cell(record, "flexible_asset_type_id")
                    .and_then(Cell::as_i64)
                    .unwrap_or_default();
                for field in fields.get(&type_id).into_iter().flatten() {
                    if let Some(id) = stored.get(&field.id.to_string()).and_then(Value::as_i64) {
                        match field.kind.as_str() {
                            "Password" => kept.entry("Password").or_default().push(id),
                            "Upload" => kept.entry("Upload").or_default().push(id),
                            _ => {}
                        }
                    }
                }
            }
            let files: HashMap<i64, String> = match kept.get("Upload") {
                Some(ids) => ctx
                    .lookup
                    .records(&ATTACHMENTS, "id", ids)
                    .await?
                    .into_iter()
                    .map(|a| {
                        let name = ATTACHMENTS
                            .cell(&a, "name")
                            .and_then(Cell::as_str)
                            .unwrap_or_default()
                            .to_string();
                        (a.id, name)
                    })
                    .collect(),
                None => HashMap::new(),
            };
            let secrets = match (ctx.secrets, kept.get("Password")) {
                (Secrets::Current, Some(ids)) => {
                    super::passwords::current_values(ctx.store, ctx.vault, ctx.scope, ids).await?
                }
                _ => HashMap::new(),
            };
            let mut out = Decorations::default();
            for (record, stored) in ctx.records.iter().zip(&traits) {
                let type_id = FLEXIBLE_ASSETS
                    .cell(record, "flexible_asset_type_id")
                    .and_then(Cell::as_i64)
                    .unwrap_or_default();
                let mut rendered = Map::new();
                let mut revealed = false;
                for field in fields.get(&type_id).into_iter().flatten() {
                    let Some(value) = stored.get(&field.id.to_string()) else {
                        continue;
                    };
                    let kept = value.as_i64().unwrap_or_default();
                    let value = match (
                        field.kind.as_str(),
                        field.tag_type.as_deref().and_then(tag_target),
                    ) {
                        ("Tag", Some((target, _))) => json!({
                            "type": field.tag_type,
                            "values": tag_ids(value)
                                .into_iter()
                                .filter_map(|id| names.get(&(target.route, id)).cloned())
                                .collect::<Vec<_>>(),
                        }),
                        ("Password", _) => {
                            let mut shown = json!({"id": kept, "name": field.name});
                            if let Some(secret) = secrets.get(&kept) {
                                shown["password"] = json!(secret.as_str());
                                revealed = true;
                                out.revealed_passwords.push(RevealedPassword {
                                    id: kept,
                                    name: field.name.clone(),
                                    organization_id: FLEXIBLE_ASSETS
                                        .cell(record, "organization_id")
                                        .and_then(Cell::as_i64),
                                });
                            }
                            shown
                        }
                        ("Upload", _) => json!({
                            "id": kept,
                            "name": files.get(&kept),
                            "download-url": format!("/attachments/{kept}/download"),
                        }),
                        _ => value.clone(),
                    };
                    rendered.insert(field.key.clone(), value);
                }
                let mut attributes = Map::new();
                attributes.insert("traits".into(), Value::Object(rendered));
                out.attributes.insert(record.id, attributes);
                if revealed {
                    out.revealed.push(record.id);
                }
            }
            Ok(out)
        })
    }
}

/// The fields of a tagged record that its Tag trait value shows: its
/// name, its organization's name, and for configurations the hostname and
/// type.
fn tag_fields(target: &Resource) -> Vec<&'static str> {
    let mut fields = vec![target.title_field];
    if target.field("organization_name").is_some() {
        fields.push("organization_name");
    }
    if target.route == "configurations" {
        fields.extend(["hostname", "configuration_type_name"]);
    }
    fields
}

/// A tagged record as a Tag trait shows it, from its [`tag_fields`]: its id
/// and name, its organization's name, and for configurations the hostname
/// and type.
fn tag_value(fields: &[&'static str], record: &Record) -> Value {
    let mut value = json!({ "id": record.id });
    for (i, (field, cell)) in fields.iter().zip(&record.cells).enumerate() {
        let key = if i == 0 {
            "name".to_string()
        } else {
            dashed(field)
        };
        value[key] = json!(cell.as_str());
    }
    value
}

/// Whether any asset holds a value for field `field` of type `type_id`
/// (a field with values keeps its kind).
pub async fn field_has_values(nested: &mut dyn Nested, type_id: i64, field: i64) -> Result<bool> {
    let assets = nested
        .find(
            &FLEXIBLE_ASSETS,
            vec![("flexible_asset_type_id", Arg::from(type_id))],
        )
        .await?;
    Ok(assets
        .iter()
        .any(|a| stored_traits(a).contains_key(&field.to_string())))
}

/// Drops field `field`'s values from every asset of type `type_id`, with
/// what they made (tag links, expirations), and recomputes the assets'
/// titles without it: the field is about to go.
pub async fn drop_field(
    nested: &mut dyn Nested,
    scope: Scope,
    type_id: i64,
    field: i64,
    pointer: &str,
) -> Result<()> {
    let assets = nested
        .find(
            &FLEXIBLE_ASSETS,
            vec![("flexible_asset_type_id", Arg::from(type_id))],
        )
        .await?;
    let fields: Vec<TraitField> = fields_of(nested, type_id)
        .await?
        .into_iter()
        .filter(|f| f.id != field)
        .collect();
    let gone = fields_of(nested, type_id)
        .await?
        .into_iter()
        .find(|f| f.id == field);
    for asset in assets {
        let mut stored = stored_traits(&asset);
        let Some(value) = stored.remove(&field.to_string()) else {
            continue;
        };
        // The password or file the value kept goes with it.
        if let (Some(kind), Some(kept)) = (gone.as_ref().map(|f| f.kind.as_str()), value.as_i64()) {
            match kind {
                "Password" => nested.delete(&PASSWORDS, vec![kept]).await?,
                "Upload" => nested.delete(&ATTACHMENTS, vec![kept]).await?,
                _ => {}
            }
        }
        let mut values = Values::default();
        values.set(
            "traits",
            Arg::from(Value::Object(stored.clone()).to_string()),
        );
        values.set("name", Arg::from(title(&fields, &stored)));
        nested
            .tx()
            .update_rows(
                scope,
                FLEXIBLE_ASSETS.table,
                &values,
                &[Match::id(asset.id)],
            )
            .await?;
        sync_tags(nested, asset.id, &fields, &stored, pointer).await?;
        nested
            .set_expirations(&FLEXIBLE_ASSETS, asset.id, expirations(&fields, &stored))
            .await?;
    }
    Ok(())
}
