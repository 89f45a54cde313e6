//! Create and edit forms of flexible assets, made from their type's fields:
//! each kind its own input (text, text area, number with the field's
//! decimals, date, checkbox, a select of the field's options, a
//! multi-select of the tagged type's records, a password), checked by the
//! engine as the API checks `traits`, each problem beside its field.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use maud::{html, Markup};
use serde_json::{json, Map, Value};

use super::submitted::Submitted;
use super::{engine_error, error_page, page, respond, Signed};
use crate::engine::input::Item;
use crate::query::{FilterParam, Query};
use crate::resources::flexible_asset_types::FLEXIBLE_ASSET_FIELDS;
use crate::resources::flexible_assets::{tag_target, FLEXIBLE_ASSETS};
use crate::roles::Operation;

/// A field of a flexible asset type, as its form needs it.
#[derive(Debug, Clone)]
struct TraitInput {
    name: String,
    key: String,
    kind: String,
    hint: Option<String>,
    decimals: i64,
    options: Vec<String>,
    tag_type: Option<String>,
    required: bool,
}

fn text_of(a: &Map<String, Value>, name: &str) -> Option<String> {
    a.get(name).and_then(Value::as_str).map(str::to_string)
}

/// The fields of asset type `type_id`, in order, as
/// `/flexible_asset_types/:id/relationships/flexible_asset_fields` lists them.
pub(super) async fn type_fields(
    signed: &Signed,
    type_id: i64,
) -> crate::error::Result<crate::engine::Records> {
    let parent = FLEXIBLE_ASSET_FIELDS.under.first().map(|p| (p, type_id));
    signed
        .state
        .engine
        .list(
            &signed.caller(),
            &FLEXIBLE_ASSET_FIELDS,
            parent,
            &Query {
                sort: vec![("order".into(), false)],
                page_size: Some(1000),
                ..Query::default()
            },
        )
        .await
}

/// The fields of asset type `type_id`, in order, as its form needs them.
async fn inputs(signed: &Signed, type_id: i64) -> crate::error::Result<Vec<TraitInput>> {
    let listed = type_fields(signed, type_id).await?;
    Ok(listed
        .records
        .iter()
        .map(|r| {
            let a = super::attributes(&listed, r, true);
            let kind = text_of(&a, "kind").unwrap_or_default();
            TraitInput {
                name: text_of(&a, "name").unwrap_or_default(),
                key: text_of(&a, "name-key").unwrap_or_default(),
                hint: text_of(&a, "hint").filter(|h| !h.trim().is_empty()),
                decimals: a.get("decimals").and_then(Value::as_i64).unwrap_or(0),
                options: if kind == "Select" {
                    text_of(&a, "default-value")
                        .unwrap_or_default()
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_string)
                        .collect()
                } else {
                    Vec::new()
                },
                tag_type: text_of(&a, "tag-type"),
                required: a.get("required") == Some(&Value::Bool(true)),
                kind,
            }
        })
        .collect())
}

/// The records a Tag field may link, by name (those of the organization
/// for organization-owned types).
async fn tag_choices(
    signed: &Signed,
    input: &TraitInput,
    organization: i64,
) -> Vec<(String, String)> {
    let Some((target, asset_type)) = input.tag_type.as_deref().and_then(tag_target) else {
        return Vec::new();
    };
    let mut filters = Vec::new();
    if target.organization_column.is_some() && target.route != "organizations" {
        filters.push(FilterParam::matching(
            "organization_id",
            organization.to_string(),
        ));
    }
    if let Some(asset_type) = asset_type {
        filters.push(FilterParam::matching(
            "flexible_asset_type_id",
            asset_type.to_string(),
        ));
    }
    super::named_records(signed, target, filters).await
}

/// What the form shows: values by trait key (several for a Tag), problems
/// by trait key, and problems of no one field.
#[derive(Default)]
struct State {
    values: HashMap<String, Vec<String>>,
    /// The file names of Upload traits the asset has, by trait key.
    files: HashMap<String, String>,
    problems: HashMap<String, String>,
    general: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
async fn render(
    signed: &Signed,
    organization: i64,
    type_id: i64,
    type_name: &str,
    editing: Option<i64>,
    inputs: &[TraitInput],
    state: &State,
    status: StatusCode,
) -> Response {
    let mut tags = HashMap::new();
    for input in inputs.iter().filter(|i| i.kind == "Tag") {
        tags.insert(
            input.key.clone(),
            tag_choices(signed, input, organization).await,
        );
    }
    let action = match editing {
        Some(id) => format!("/ui/records/flexible_assets/{id}/edit"),
        None => format!("/ui/organizations/{organization}/flexible_assets/new?type={type_id}"),
    };
    let title = match editing {
        Some(_) => format!("Edit {type_name}"),
        None => format!("New {type_name}"),
    };
    let body = html! {
        h1 { (title) }
        @if !state.general.is_empty() {
            div.error role="alert" { p { "Nothing was saved:" } ul { @for p in &state.general { li { (p) } } } }
        }
        form.record-form method="post" action=(action) enctype="multipart/form-data" novalidate {
            input type="hidden" name="csrf" value=(signed.session.csrf_token);
            @for input in inputs {
                @let id = format!("trait-{}", input.key);
                @let name = format!("trait:{}", input.key);
                @let values = state.values.get(&input.key).cloned().unwrap_or_default();
                @let value = values.first().cloned().unwrap_or_default();
                @let problem = state.problems.get(&input.key);
                @if input.kind == "Header" {
                    h2 { (input.name) }
                } @else {
                    div.field .invalid[problem.is_some()] {
                        @if input.kind == "Checkbox" {
                            label for=(id) { input #(id) type="checkbox" name=(name) value="true" checked[value == "true"]; " " (input.name) }
                        } @else {
                            label for=(id) { (input.name) @if input.required { " " span.muted { "(required)" } } }
                            @match input.kind.as_str() {
                                "Textbox" => textarea #(id) name=(name) rows="5" { (value) },
                                "Number" | "Percent" => input #(id) type="number" name=(name) value=(value)
                                    step=(if input.decimals > 0 { format!("{}", 10f64.powi(-(input.decimals as i32))) } else { "1".into() });,
                                "Date" => input #(id) type="date" name=(name) value=(value);,
                                "Select" => select #(id) name=(name) {
                                    option value="" { "—" }
                                    @for option in &input.options { option value=(option) selected[*option == value] { (option) } }
                                },
                                "Tag" => {
                                    input.tag-filter type="search" data-filter-for=(id) placeholder="Type to narrow the list" aria-label=(format!("Narrow the choices of {}", input.name)) hidden;
                                    select #(id) name=(name) multiple size="6" {
                                        @for (choice, label) in tags.get(&input.key).into_iter().flatten() {
                                            option value=(choice) selected[values.contains(choice)] { (label) }
                                        }
                                    }
                                },
                                "Password" => input #(id) type="password" name=(name) autocomplete="new-password"
                                    placeholder=(if editing.is_some() { "unchanged unless you type a new one" } else { "" });,
                                "Upload" => {
                                    @if let Some(file) = state.files.get(&input.key) {
                                        p.muted { "Now: " (file) ". Choose a file to replace it." }
                                    }
                                    input #(id) type="file" name=(name);
                                },
                                _ => input #(id) type="text" name=(name) value=(value);,
                            }
                        }
                        @if let Some(hint) = &input.hint { p.hint { (hint) } }
                        @if let Some(problem) = problem {
                            p.error.field-error id=(format!("{id}-error")) { (input.name) " " (problem) }
                        }
                    }
                }
            }
            button type="submit" { (if editing.is_some() { "Save" } else { "Create" }) }
        }
    };
    respond(status, page(signed, &title, &[], None, body))
}

/// The submitted form as `traits`: keyed by name-key, each kind's value
/// as the API takes it.
///
/// A Password or Upload left empty while editing keeps what the asset has
/// (`current`, its traits as read); a chosen file is sent as the API's
/// Upload value.
fn traits_of(
    inputs: &[TraitInput],
    form: &Submitted,
    current: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    let editing = current.is_some();
    let mut traits = Map::new();
    for input in inputs {
        let name = format!("trait:{}", input.key);
        let given: Vec<&str> = form
            .pairs
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        let first = given.first().map(|v| v.trim()).unwrap_or("");
        let kept = || {
            current
                .and_then(|c| c.get(&input.key))
                .and_then(|v| v.get("id"))
                .map(|id| json!({ "id": id }))
        };
        let value = match input.kind.as_str() {
            "Header" => continue,
            "Upload" => match form.files.iter().find(|(k, _)| *k == name) {
                Some((_, file)) => json!({
                    "content": base64::engine::general_purpose::STANDARD.encode(&file.bytes),
                    "file_name": file.file_name,
                }),
                None => match kept() {
                    Some(kept) => kept,
                    None => continue,
                },
            },
            "Password" if first.is_empty() => match kept() {
                Some(kept) => kept,
                None => continue,
            },
            "Checkbox" => Value::Bool(first == "true"),
            "Tag" => {
                let ids: Vec<Value> = given
                    .iter()
                    .filter_map(|v| v.parse::<i64>().ok())
                    .map(Value::from)
                    .collect();
                if ids.is_empty() {
                    continue;
                }
                Value::Array(ids)
            }
            _ if first.is_empty() => {
                if editing {
                    Value::Null
                } else {
                    continue;
                }
            }
            "Number" | "Percent" => first
                .parse::<f64>()
                .ok()
                .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                .unwrap_or_else(|| Value::String(first.to_string())),
            _ => Value::String(given.first().map(|v| v.to_string()).unwrap_or_default()),
        };
        // Items carry normalised (underscored) keys, as the API's parser makes them.
        traits.insert(input.key.replace('-', "_"), value);
    }
    traits
}

fn problems_of(error: crate::error::Error) -> Result<State, crate::error::Error> {
    match error {
        crate::error::Error::Invalid(problems) => {
            let mut state = State::default();
            for problem in problems {
                match problem.pointer.rsplit_once("/traits/") {
                    Some((_, key)) => {
                        state.problems.insert(key.replace('_', "-"), problem.detail);
                    }
                    None => state
                        .general
                        .push(format!("{}: {}", problem.pointer, problem.detail)),
                }
            }
            Ok(state)
        }
        other => Err(other),
    }
}

fn values_of(pairs: &[(String, String)]) -> HashMap<String, Vec<String>> {
    let mut values: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in pairs {
        if let Some(key) = k.strip_prefix("trait:") {
            values.entry(key.to_string()).or_default().push(v.clone());
        }
    }
    values
}

/// The asset type named in `?type=`, with its name.
async fn asset_type(signed: &Signed, raw: Option<&str>) -> Option<(i64, String)> {
    let type_id = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .find(|(k, _)| k == "type")
        .and_then(|(_, v)| v.parse::<i64>().ok())?;
    type_name(signed, type_id).await.map(|name| (type_id, name))
}

async fn type_name(signed: &Signed, type_id: i64) -> Option<String> {
    let def = crate::resources::by_route("flexible_asset_types")?;
    let shown = signed
        .state
        .engine
        .show(&signed.caller(), def, None, type_id, &Query::default())
        .await
        .ok()?;
    super::attributes(&shown, &shown.records[0], false)
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// `GET /ui/organizations/:id/flexible_assets/new?type=T`.
pub async fn new_form(signed: Signed, organization: i64, raw: Option<String>) -> Response {
    if let Err(e) = signed
        .caller()
        .authorize(&FLEXIBLE_ASSETS, Operation::Create, &[])
    {
        return engine_error(&signed, e);
    }
    let Some((type_id, name)) = asset_type(&signed, raw.as_deref()).await else {
        return error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "Pick a flexible asset type from the list first.",
        );
    };
    let inputs = match inputs(&signed, type_id).await {
        Ok(inputs) => inputs,
        Err(e) => return engine_error(&signed, e),
    };
    render(
        &signed,
        organization,
        type_id,
        &name,
        None,
        &inputs,
        &State::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /ui/organizations/:id/flexible_assets/new?type=T`.
pub async fn create(
    signed: Signed,
    organization: &str,
    raw: Option<&str>,
    form: Submitted,
) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(form.csrf()) {
        return refused;
    }
    let Ok(organization) = organization.parse::<i64>() else {
        return error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "There is no such organization.",
        );
    };
    let Some((type_id, name)) = asset_type(&signed, raw).await else {
        return error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "Pick a flexible asset type from the list first.",
        );
    };
    let inputs = match inputs(&signed, type_id).await {
        Ok(inputs) => inputs,
        Err(e) => return engine_error(&signed, e),
    };
    let item = Item::new(json!({"type": "flexible-assets", "attributes": {
        "organization_id": organization,
        "flexible_asset_type_id": type_id,
        "traits": traits_of(&inputs, &form, None),
    }}));
    let created = signed
        .state
        .engine
        .create(
            &signed.caller(),
            &FLEXIBLE_ASSETS,
            None,
            vec![item],
            &Query::default(),
        )
        .await;
    match created {
        Ok(records) => {
            let id = records.records.first().map_or(0, |r| r.id);
            Redirect::to(&format!("/ui/records/flexible_assets/{id}?done=created")).into_response()
        }
        Err(error) => match problems_of(error) {
            Ok(mut state) => {
                state.values = values_of(&form.pairs);
                render(
                    &signed,
                    organization,
                    type_id,
                    &name,
                    None,
                    &inputs,
                    &state,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(other) => engine_error(&signed, other),
        },
    }
}

/// The asset's organization, type and traits (values as the form shows them).
async fn current(signed: &Signed, id: i64) -> crate::error::Result<(i64, i64, Map<String, Value>)> {
    let shown = signed
        .state
        .engine
        .show(
            &signed.caller(),
            &FLEXIBLE_ASSETS,
            None,
            id,
            &Query {
                show_password: Some("false".into()),
                ..Query::default()
            },
        )
        .await?;
    let a = super::attributes(&shown, &shown.records[0], false);
    Ok((
        a.get("organization-id")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        a.get("flexible-asset-type-id")
            .and_then(Value::as_i64)
            .unwrap_or(0),
        a.get("traits")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
    ))
}

/// A trait's value as form values: a Tag's ids, others as text.
fn form_values(value: &Value) -> Vec<String> {
    match value {
        Value::Null => Vec::new(),
        Value::String(s) => vec![s.clone()],
        Value::Object(o) if o.contains_key("values") => o["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| {
                v.get("id")
                    .map(|id| id.as_str().map_or_else(|| id.to_string(), str::to_string))
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect(),
        other => vec![other.to_string()],
    }
}

/// The file names of an asset's Upload traits (as read), by trait key.
fn files_of(traits: &Map<String, Value>) -> HashMap<String, String> {
    traits
        .iter()
        .filter(|(_, v)| v.get("download-url").is_some())
        .map(|(k, v)| {
            let name = v.get("name").and_then(Value::as_str).unwrap_or("a file");
            (k.clone(), name.to_string())
        })
        .collect()
}

/// `GET /ui/records/flexible_assets/:id/edit`.
pub async fn edit_form(signed: Signed, id: i64) -> Response {
    if let Err(e) = signed
        .caller()
        .authorize(&FLEXIBLE_ASSETS, Operation::Edit, &[id])
    {
        return engine_error(&signed, e);
    }
    let (organization, type_id, traits) = match current(&signed, id).await {
        Ok(found) => found,
        Err(e) => return engine_error(&signed, e),
    };
    let inputs = match inputs(&signed, type_id).await {
        Ok(inputs) => inputs,
        Err(e) => return engine_error(&signed, e),
    };
    let name = type_name(&signed, type_id)
        .await
        .unwrap_or_else(|| "flexible asset".into());
    let state = State {
        values: traits
            .iter()
            .map(|(k, v)| (k.clone(), form_values(v)))
            .collect(),
        files: files_of(&traits),
        ..State::default()
    };
    render(
        &signed,
        organization,
        type_id,
        &name,
        Some(id),
        &inputs,
        &state,
        StatusCode::OK,
    )
    .await
}

/// `POST /ui/records/flexible_assets/:id/edit`.
pub async fn update(signed: Signed, id: i64, form: Submitted) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(form.csrf()) {
        return refused;
    }
    let (organization, type_id, traits) = match current(&signed, id).await {
        Ok(found) => found,
        Err(e) => return engine_error(&signed, e),
    };
    let inputs = match inputs(&signed, type_id).await {
        Ok(inputs) => inputs,
        Err(e) => return engine_error(&signed, e),
    };
    let item = Item::new(json!({"type": "flexible-assets", "attributes": {
        "traits": traits_of(&inputs, &form, Some(&traits)),
    }}));
    let updated = signed
        .state
        .engine
        .update(
            &signed.caller(),
            &FLEXIBLE_ASSETS,
            None,
            id,
            item,
            &Query::default(),
            None,
        )
        .await;
    match updated {
        Ok(_) => {
            Redirect::to(&format!("/ui/records/flexible_assets/{id}?done=saved")).into_response()
        }
        Err(error) => match problems_of(error) {
            Ok(mut state) => {
                state.values = values_of(&form.pairs);
                state.files = files_of(&traits);
                let name = type_name(&signed, type_id).await.unwrap_or_default();
                render(
                    &signed,
                    organization,
                    type_id,
                    &name,
                    Some(id),
                    &inputs,
                    &state,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(other) => engine_error(&signed, other),
        },
    }
}

/// An asset's traits on its page: each field's name and value, a Tag's
/// records by name.
pub fn traits_list(traits: &Map<String, Value>) -> Markup {
    html! {
        dl.attrs {
            @for (key, value) in traits {
                dt { (key.replace('-', " ")) }
                dd {
                    @match value {
                        Value::Null => span.muted { "—" },
                        Value::String(s) => (s),
                        Value::Bool(b) => (if *b { "Yes" } else { "No" }),
                        Value::Object(o) if o.contains_key("values") => {
                            @for v in o["values"].as_array().into_iter().flatten() {
                                div { (v.get("name").and_then(Value::as_str).unwrap_or("")) }
                            }
                        },
                        Value::Object(o) if o.contains_key("download-url") => {
                            @let id = o.get("id").map(Value::to_string).unwrap_or_default();
                            a href=(format!("/ui/attachments/{id}/download")) {
                                (o.get("name").and_then(Value::as_str).unwrap_or("Download"))
                            }
                        },
                        Value::Object(o) if o.contains_key("id") => {
                            @let id = o.get("id").map(Value::to_string).unwrap_or_default();
                            a href=(format!("/ui/records/passwords/{id}")) { "Open the password" }
                        },
                        other => code { (other.to_string()) },
                    }
                }
            }
        }
    }
}
