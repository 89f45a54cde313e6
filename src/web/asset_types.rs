//! Flexible asset types and their fields, edited by the roles that manage
//! settings: a list of types, a new type with its first field, a type's
//! page with its fields in order, and the generated forms that edit a
//! type and add, edit and delete its fields, each written through the
//! engine as the API's `/flexible_asset_types` routes are.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde_json::{json, Map, Value};

use super::forms::{self, Place};
use super::submitted::Submitted;
use super::{engine_error, error_page, page, respond, Signed};
use crate::engine::input::Item;
use crate::engine::BulkDelete;
use crate::query::Query;
use crate::resources::flexible_asset_types::{FLEXIBLE_ASSET_FIELDS, FLEXIBLE_ASSET_TYPES};
use crate::roles::Operation;

/// The kinds a field may be, as the new-type form offers them.
const KINDS: &[&str] = &[
    "Text", "Textbox", "Number", "Percent", "Date", "Checkbox", "Select", "Tag", "Password",
    "Upload", "Header",
];

fn not_found(signed: &Signed) -> Response {
    error_page(
        Some(signed),
        StatusCode::NOT_FOUND,
        "There is no such flexible asset type or field.",
    )
}

fn text<'a>(a: &'a Map<String, Value>, name: &str) -> &'a str {
    a.get(name).and_then(Value::as_str).unwrap_or("")
}

fn yes(a: &Map<String, Value>, name: &str) -> &'static str {
    if a.get(name) == Some(&Value::Bool(true)) {
        "Yes"
    } else {
        ""
    }
}

/// Settings › Flexible asset types › `last`.
fn crumbs(last: &str) -> Vec<super::Crumb> {
    vec![
        ("Settings".to_string(), Some("/ui/settings".to_string())),
        (
            "Flexible asset types".to_string(),
            Some("/ui/settings/asset_types".to_string()),
        ),
        (last.to_string(), None),
    ]
}

/// `GET /ui/settings/asset_types`.
pub async fn list(signed: Signed, RawQuery(raw): RawQuery) -> Response {
    let listed = signed
        .state
        .engine
        .list(
            &signed.caller(),
            &FLEXIBLE_ASSET_TYPES,
            None,
            &Query {
                sort: vec![("name".into(), false)],
                page_size: Some(1000),
                ..Query::default()
            },
        )
        .await;
    let listed = match listed {
        Ok(listed) => listed,
        Err(e) => return engine_error(&signed, e),
    };
    let may_create = signed
        .session
        .user
        .role
        .permits(Operation::Create, FLEXIBLE_ASSET_TYPES.guard);
    let body = html! {
        h1 { "Flexible asset types" }
        p.muted { "Each type is a form of its own (a firewall, a backup job, a licence) whose fields every asset of the type fills in." }
        @if may_create { p { a.button href="/ui/settings/asset_types/new" { "New type" } } }
        @if listed.records.is_empty() {
            p.empty { "No flexible asset types yet." @if may_create { " Make the first with New type." } }
        } @else {
            table {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Description" } th scope="col" { "Enabled" } th scope="col" { "In menu" } } }
                tbody {
                    @for record in &listed.records {
                        @let a = super::attributes(&listed, record, true);
                        tr {
                            td { a href=(format!("/ui/settings/asset_types/{}", record.id)) { (text(&a, "name")) } }
                            td { (text(&a, "description")) }
                            td { (yes(&a, "enabled")) }
                            td { (yes(&a, "show-in-menu")) }
                        }
                    }
                }
            }
        }
    };
    let flash = super::pages::flash_of(raw.as_deref());
    respond(
        StatusCode::OK,
        page(
            &signed,
            "Flexible asset types",
            &[
                ("Settings".to_string(), Some("/ui/settings".to_string())),
                ("Flexible asset types".to_string(), None),
            ],
            flash,
            body,
        ),
    )
}

/// What the new-type form shows: values and problems by input name.
#[derive(Default)]
struct NewType {
    values: HashMap<String, String>,
    problems: HashMap<String, String>,
    general: Vec<String>,
}

fn render_new(signed: &Signed, state: &NewType, status: StatusCode) -> Response {
    let value = |name: &str| state.values.get(name).cloned().unwrap_or_default();
    let input = |name: &str, label: &str, required: bool| {
        let id = format!("field-{name}");
        let problem = state.problems.get(name);
        html! {
            div.field .invalid[problem.is_some()] {
                label for=(id) { (label) @if required { " " span.muted { "(required)" } } }
                input #(id) name=(name) value=(value(name)) aria-invalid=[problem.map(|_| "true")];
                @if let Some(problem) = problem { p.error.field-error id=(format!("{id}-error")) { (label) " " (problem) } }
            }
        }
    };
    let kind = value("first_field_kind");
    let body = html! {
        h1 { "New flexible asset type" }
        @if !state.general.is_empty() {
            div.error role="alert" { p { "Nothing was saved:" } ul { @for p in &state.general { li { (p) } } } }
        }
        form.record-form method="post" action="/ui/settings/asset_types/new" novalidate {
            input type="hidden" name="csrf" value=(signed.session.csrf_token);
            (input("name", "Name", true))
            div.field {
                label for="field-description" { "Description" }
                textarea #field-description name="description" rows="3" { (value("description")) }
            }
            (input("icon", "Icon", false))
            div.field { label for="field-show_in_menu" { input #field-show_in_menu type="checkbox" name="show_in_menu" value="true" checked; " Show in menu" } }
            h2 { "First field" }
            p.hint { "It names each asset and shows in the list; add more fields on the type's page." }
            (input("first_field_name", "Field name", true))
            div.field {
                label for="field-first_field_kind" { "Kind" }
                select #field-first_field_kind name="first_field_kind" {
                    @for k in KINDS.iter().filter(|k| !matches!(**k, "Header" | "Upload" | "Password" | "Tag")) {
                        option value=(k) selected[*k == kind] { (k) }
                    }
                }
            }
            button type="submit" { "Create" } " " a href="/ui/settings/asset_types" { "Cancel" }
        }
    };
    respond(
        status,
        page(
            signed,
            "New flexible asset type",
            &crumbs("New type"),
            None,
            body,
        ),
    )
}

/// `GET /ui/settings/asset_types/new`.
pub async fn new_form(signed: Signed) -> Response {
    if let Err(e) = signed
        .caller()
        .authorize(&FLEXIBLE_ASSET_TYPES, Operation::Create, &[])
    {
        return engine_error(&signed, e);
    }
    let mut state = NewType::default();
    state
        .values
        .insert("first_field_name".into(), "Name".into());
    render_new(&signed, &state, StatusCode::OK)
}

/// `POST /ui/settings/asset_types/new`: the type with its first field.
pub async fn create(signed: Signed, Form(form): Form<HashMap<String, String>>) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(form.get("csrf").map(String::as_str)) {
        return refused;
    }
    let given = |name: &str| {
        form.get(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let optional = |name: &str| {
        let v = given(name);
        if v.is_empty() {
            Value::Null
        } else {
            Value::String(v)
        }
    };
    let item = Item::new(json!({"type": "flexible-asset-types", "attributes": {
        "name": given("name"),
        "description": optional("description"),
        "icon": optional("icon"),
        "show_in_menu": given("show_in_menu") == "true",
        "enabled": true,
        "fields": [{"name": given("first_field_name"), "kind": given("first_field_kind"),
            "order": 1, "required": true, "show_in_list": true, "use_for_title": true}],
    }}));
    let created = signed
        .state
        .engine
        .create(
            &signed.caller(),
            &FLEXIBLE_ASSET_TYPES,
            None,
            vec![item],
            &Query::default(),
        )
        .await;
    match created {
        Ok(records) => {
            let id = records.records.first().map_or(0, |r| r.id);
            Redirect::to(&format!("/ui/settings/asset_types/{id}?done=created")).into_response()
        }
        Err(crate::error::Error::Invalid(problems)) => {
            let mut state = NewType {
                values: form.clone(),
                ..NewType::default()
            };
            for problem in problems {
                let at = problem.pointer.as_str();
                let input = if at.contains("/fields/") {
                    at.rsplit('/')
                        .next()
                        .map(|name| format!("first_field_{name}"))
                } else {
                    at.rsplit_once("/attributes/")
                        .map(|(_, name)| name.replace('-', "_"))
                };
                match input.filter(|i| form.contains_key(i) || i == "name") {
                    Some(input) => {
                        state.problems.insert(input, problem.detail);
                    }
                    None => state.general.push(problem.detail),
                }
            }
            render_new(&signed, &state, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => engine_error(&signed, e),
    }
}

/// A type's id and name.
async fn type_of(signed: &Signed, id: &str) -> Result<(i64, Map<String, Value>), Response> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(not_found(signed));
    };
    match signed
        .state
        .engine
        .show(
            &signed.caller(),
            &FLEXIBLE_ASSET_TYPES,
            None,
            id,
            &Query::default(),
        )
        .await
    {
        Ok(shown) => Ok((id, super::attributes(&shown, &shown.records[0], false))),
        Err(e) => Err(engine_error(signed, e)),
    }
}

/// `GET /ui/settings/asset_types/:id`: the type and its fields in order.
pub async fn show(signed: Signed, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Response {
    let (id, a) = match type_of(&signed, &id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let fields = super::flexible::type_fields(&signed, id).await;
    let fields = match fields {
        Ok(fields) => fields,
        Err(e) => return engine_error(&signed, e),
    };
    let role = signed.session.user.role;
    let may_edit = role.permits(Operation::Edit, FLEXIBLE_ASSET_TYPES.guard);
    let may_delete = role.permits(Operation::Delete, FLEXIBLE_ASSET_FIELDS.guard);
    let name = text(&a, "name").to_string();
    let body = html! {
        h1 { (name) }
        @if may_edit {
            div.controls {
                a.button href=(format!("/ui/settings/asset_types/{id}/edit")) { "Edit type" }
                a.button href=(format!("/ui/settings/asset_types/{id}/fields/new")) { "Add field" }
            }
        }
        @if !text(&a, "description").is_empty() { p { (text(&a, "description")) } }
        p.muted {
            (if a.get("enabled") == Some(&Value::Bool(true)) { "Enabled" } else { "Disabled" })
            " · " (if a.get("show-in-menu") == Some(&Value::Bool(true)) { "shown in the menu" } else { "not in the menu" })
        }
        h2 { "Fields" }
        table #fields {
            thead { tr {
                th scope="col" { "Order" } th scope="col" { "Name" } th scope="col" { "Kind" }
                th scope="col" { "Required" } th scope="col" { "In list" } th scope="col" { "Title" } th scope="col" { "" }
            } }
            tbody {
                @for record in &fields.records {
                    @let f = super::attributes(&fields, record, true);
                    tr {
                        td { (f.get("order").map(Value::to_string).unwrap_or_default()) }
                        td { (text(&f, "name")) @if !text(&f, "hint").is_empty() { div.muted { (text(&f, "hint")) } } }
                        td { (text(&f, "kind")) @if !text(&f, "tag-type").is_empty() { " → " (text(&f, "tag-type")) } }
                        td { (yes(&f, "required")) }
                        td { (yes(&f, "show-in-list")) }
                        td { (yes(&f, "use-for-title")) }
                        td.actions {
                            @if may_edit { a href=(format!("/ui/settings/asset_fields/{}/edit", record.id)) { "Edit" } }
                            @if may_delete {
                                form.inline method="post" action=(format!("/ui/settings/asset_fields/{}/delete", record.id)) {
                                    input type="hidden" name="csrf" value=(signed.session.csrf_token);
                                    button.link.danger type="submit" { "Delete" }
                                }
                            }
                        }
                    }
                }
            }
        }
        p.hint { "Deleting a field deletes its value in every asset of the type." }
    };
    let flash = super::pages::flash_of(raw.as_deref());
    respond(
        StatusCode::OK,
        page(&signed, &name, &crumbs(&name), flash, body),
    )
}

fn type_place(id: i64) -> Place {
    Place {
        action: format!("/ui/settings/asset_types/{id}/edit"),
        cancel: format!("/ui/settings/asset_types/{id}"),
        saved: "/ui/settings/asset_types/{id}".into(),
    }
}

/// `GET /ui/settings/asset_types/:id/edit`.
pub async fn edit_form(signed: Signed, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    forms::edit_record_form(
        &signed,
        &FLEXIBLE_ASSET_TYPES,
        "flexible asset type",
        id,
        &type_place(id),
    )
    .await
}

/// `POST /ui/settings/asset_types/:id/edit`.
pub async fn update(signed: Signed, Path(id): Path<String>, submitted: Submitted) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found(&signed);
    };
    let form = submitted.pairs.into_iter().collect();
    forms::update_record(
        &signed,
        &FLEXIBLE_ASSET_TYPES,
        "flexible asset type",
        id,
        form,
        &type_place(id),
    )
    .await
}

fn new_field_place(type_id: i64) -> Place {
    Place {
        action: format!("/ui/settings/asset_types/{type_id}/fields/new"),
        cancel: format!("/ui/settings/asset_types/{type_id}"),
        saved: format!("/ui/settings/asset_types/{type_id}"),
    }
}

/// `GET /ui/settings/asset_types/:id/fields/new`. The order a new field takes (after the last) is filled in.
pub async fn new_field_form(signed: Signed, Path(id): Path<String>) -> Response {
    let (type_id, _) = match type_of(&signed, &id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    // Fields are listed in order: the last has the largest.
    let last = super::flexible::type_fields(&signed, type_id)
        .await
        .ok()
        .and_then(|listed| {
            let record = listed.records.last()?;
            super::attributes(&listed, record, true)
                .get("order")?
                .as_i64()
        })
        .unwrap_or(0);
    let mut values = HashMap::new();
    values.insert("order".to_string(), (last + 1).to_string());
    values.insert("kind".to_string(), "Text".to_string());
    let place = new_field_place(type_id);
    forms::new_record_form(&signed, &FLEXIBLE_ASSET_FIELDS, "field", &place, values).await
}

/// `POST /ui/settings/asset_types/:id/fields/new`.
pub async fn create_field(
    signed: Signed,
    Path(id): Path<String>,
    submitted: Submitted,
) -> Response {
    let (type_id, _) = match type_of(&signed, &id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let Some(parent) = FLEXIBLE_ASSET_FIELDS.under.first() else {
        return not_found(&signed);
    };
    let form = submitted.pairs.into_iter().collect();
    forms::create_record(
        &signed,
        &FLEXIBLE_ASSET_FIELDS,
        "field",
        Some((parent, type_id)),
        Map::new(),
        form,
        &new_field_place(type_id),
    )
    .await
}

/// The type a field belongs to.
async fn field_type(signed: &Signed, id: &str) -> Result<(i64, i64), Response> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(not_found(signed));
    };
    match signed
        .state
        .engine
        .show(
            &signed.caller(),
            &FLEXIBLE_ASSET_FIELDS,
            None,
            id,
            &Query::default(),
        )
        .await
    {
        Ok(shown) => {
            let a = super::attributes(&shown, &shown.records[0], false);
            let type_id = a
                .get("flexible-asset-type-id")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            Ok((id, type_id))
        }
        Err(e) => Err(engine_error(signed, e)),
    }
}

fn field_place(id: i64, type_id: i64) -> Place {
    Place {
        action: format!("/ui/settings/asset_fields/{id}/edit"),
        cancel: format!("/ui/settings/asset_types/{type_id}"),
        saved: format!("/ui/settings/asset_types/{type_id}"),
    }
}

/// `GET /ui/settings/asset_fields/:id/edit`.
pub async fn edit_field_form(signed: Signed, Path(id): Path<String>) -> Response {
    let (id, type_id) = match field_type(&signed, &id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    forms::edit_record_form(
        &signed,
        &FLEXIBLE_ASSET_FIELDS,
        "field",
        id,
        &field_place(id, type_id),
    )
    .await
}

/// `POST /ui/settings/asset_fields/:id/edit`.
pub async fn update_field(
    signed: Signed,
    Path(id): Path<String>,
    submitted: Submitted,
) -> Response {
    let (id, type_id) = match field_type(&signed, &id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let form = submitted.pairs.into_iter().collect();
    forms::update_record(
        &signed,
        &FLEXIBLE_ASSET_FIELDS,
        "field",
        id,
        form,
        &field_place(id, type_id),
    )
    .await
}

/// `POST /ui/settings/asset_fields/:id/delete`.
pub async fn delete_field(
    signed: Signed,
    Path(id): Path<String>,
    submitted: Submitted,
) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(submitted.csrf()) {
        return refused;
    }
    let (id, type_id) = match field_type(&signed, &id).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let deleted = signed
        .state
        .engine
        .delete(
            &signed.caller(),
            &FLEXIBLE_ASSET_FIELDS,
            None,
            BulkDelete::Ids(vec![("/data".into(), id)]),
            None,
        )
        .await;
    match deleted {
        Ok(_) => Redirect::to(&format!("/ui/settings/asset_types/{type_id}?done=deleted"))
            .into_response(),
        Err(e) => engine_error(&signed, e),
    }
}
