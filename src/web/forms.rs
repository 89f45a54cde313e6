//! Create, edit and delete forms generated from the resource definitions:
//! an organization's records here, flexible asset types and fields in
//! `asset_types` through the same functions. Each writable field its own
//! input (text, text area, number, checkbox, date, a select of the records
//! an id field references or of a field's allowed values), checked by the
//! engine exactly as the API checks a request, with each problem shown
//! beside its field and nothing saved.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde_json::{json, Map, Value};

use super::submitted::Submitted;
use super::{engine_error, error_page, page, respond, Signed};
use crate::engine::input::Item;
use crate::engine::BulkDelete;
use crate::error::Error;
use crate::query::Query;
use crate::resources::{Access, Field, Resource, ALL};
use crate::roles::Operation;
use crate::store::ColumnType;

/// The types with forms, and their labels.
const FORM_KINDS: &[(&str, &str)] = &[
    ("configurations", "configuration"),
    ("contacts", "contact"),
    ("locations", "location"),
    ("domains", "domain"),
    ("documents", "document"),
    ("passwords", "password"),
    ("flexible_assets", "flexible asset"),
];

/// Fields filled by the route or the server, never by the form.
const NOT_IN_FORMS: &[&str] = &[
    "organization_id",
    "flexible_asset_type_id",
    "resource_id",
    "resource_type",
    "parent_id",
    "restricted",
    "archived",
];

/// Fields written as long text.
const LONG_TEXT: &[&str] = &[
    "notes",
    "content",
    "description",
    "quick_notes",
    "default_value",
    "hint",
];

/// What a field means, where its name alone does not say.
const HINTS: &[(&str, &str)] = &[
    ("default_value", "For a Select field: its options, one per line."),
    ("tag_type", "For a Tag field: what it links: Configurations, Contacts, Documents, Domains, Locations, Organizations, Passwords, or FlexibleAssetType: ID."),
    ("order", "Fields are shown in this order, smallest first; each field its own number."),
    ("use_for_title", "The asset is named by this field's value."),
    ("decimals", "For a Number field: digits after the decimal point."),
];

fn form_resource(kind: &str) -> Option<(&'static Resource, &'static str)> {
    let (route, label) = FORM_KINDS.iter().find(|(route, _)| *route == kind)?;
    let def = crate::resources::by_route(route)?;
    Some((def, label))
}

/// The fields a form shows: writable, not filled by the route, and of a
/// kind a form input takes (not JSON lists).
fn form_fields(def: &Resource, creating: bool) -> Vec<&'static Field> {
    let mut fields: Vec<&'static Field> = def
        .fields
        .iter()
        .filter(|f| match f.access {
            Access::ReadOnly => false,
            Access::CreateOnly { .. } => creating,
            Access::Writable { .. } => true,
        })
        .filter(|f| !NOT_IN_FORMS.contains(&f.name) && !f.write_only)
        .filter(|f| f.column_type != ColumnType::Json && f.column_type != ColumnType::Timestamp)
        .collect();
    // What must be filled in comes first, in the definition's order.
    fields.sort_by_key(|f| !required(f));
    fields
}

fn required(field: &Field) -> bool {
    matches!(
        field.access,
        Access::Writable { required: true, .. } | Access::CreateOnly { required: true, .. }
    )
}

fn field_label(name: &str) -> String {
    let spaced = name.trim_end_matches("_id").replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

/// The choices of an id field: the records of the table it references, by name.
async fn choices(signed: &Signed, field: &Field) -> Vec<(String, String)> {
    let Some(reference) = field.references else {
        return Vec::new();
    };
    let Some(def) = ALL.iter().copied().find(|d| d.table == reference.table) else {
        return Vec::new();
    };
    super::named_records(signed, def, Vec::new()).await
}

/// A form's state: the values shown and the problems beside them.
#[derive(Default)]
struct FormState {
    values: HashMap<String, String>,
    problems: HashMap<String, String>,
    general: Vec<String>,
}

/// Where a form lives: the address it posts to, where Cancel leads, and
/// the page of a saved record (`{id}` stands for its id).
pub(super) struct Place {
    /// Where the form posts.
    pub action: String,
    /// Where Cancel leads.
    pub cancel: String,
    /// The page a saved record is shown on, `{id}` for its id.
    pub saved: String,
}

impl Place {
    /// The form of an organization's record: new under the organization,
    /// or an edit of record `editing`.
    fn of_record(def: &Resource, organization: i64, editing: Option<i64>) -> Place {
        let route = def.route;
        let saved = format!("/ui/records/{route}/{{id}}");
        match editing {
            Some(id) => Place {
                action: format!("/ui/records/{route}/{id}/edit"),
                cancel: format!("/ui/records/{route}/{id}"),
                saved,
            },
            None => Place {
                action: format!("/ui/organizations/{organization}/{route}/new"),
                cancel: format!("/ui/organizations/{organization}/{route}"),
                saved,
            },
        }
    }

    fn saved(&self, id: i64, done: &str) -> String {
        format!(
            "{}?done={done}",
            self.saved.replace("{id}", &id.to_string())
        )
    }
}

async fn render_form(
    signed: &Signed,
    def: &'static Resource,
    label: &str,
    place: &Place,
    editing: bool,
    state: &FormState,
    status: StatusCode,
) -> Response {
    let fields = form_fields(def, !editing);
    let mut options = HashMap::new();
    for field in &fields {
        if field.references.is_some() && field.column_type == ColumnType::Int {
            options.insert(field.name, choices(signed, field).await);
        } else if !field.one_of.is_empty() {
            let listed = field.one_of.iter().map(|v| (v.to_string(), v.to_string()));
            options.insert(field.name, listed.collect());
        }
    }
    let title = if editing {
        format!("Edit {label}")
    } else {
        format!("New {label}")
    };
    let body = html! {
        h1 { (title) }
        @if !state.general.is_empty() {
            div.error role="alert" {
                p { "Nothing was saved:" }
                ul { @for problem in &state.general { li { (problem) } } }
            }
        }
        form.record-form method="post" action=(place.action) novalidate {
            input type="hidden" name="csrf" value=(signed.session.csrf_token);
            @for field in &fields {
                @let id = format!("field-{}", field.name);
                @let value = state.values.get(field.name).cloned().unwrap_or_default();
                @let problem = state.problems.get(field.name);
                div.field .invalid[problem.is_some()] {
                    @if field.column_type == ColumnType::Bool {
                        label for=(id) {
                            input #(id) type="checkbox" name=(field.name) value="true" checked[value == "true"];
                            " " (field_label(field.name))
                        }
                    } @else {
                        label for=(id) { (field_label(field.name)) @if required(field) { " " span.muted { "(required)" } } }
                        @if let Some(choices) = options.get(field.name) {
                            select #(id) name=(field.name) aria-invalid=[problem.map(|_| "true")] {
                                option value="" { "—" }
                                @for (choice, name) in choices {
                                    option value=(choice) selected[*choice == value] { (name) }
                                }
                            }
                        } @else if LONG_TEXT.contains(&field.name) {
                            textarea #(id) name=(field.name) rows="6" aria-invalid=[problem.map(|_| "true")] { (value) }
                        } @else if field.secret {
                            input #(id) type="password" name=(field.name) autocomplete="new-password" aria-invalid=[problem.map(|_| "true")]
                                placeholder=(if editing { "unchanged unless you type a new one" } else { "" });
                        } @else {
                            input #(id) name=(field.name) value=(value)
                                type=(match field.column_type { ColumnType::Date => "date", ColumnType::Int => "number", _ => "text" })
                                aria-invalid=[problem.map(|_| "true")];
                        }
                        @if let Some(hint) = HINTS.iter().find(|(name, _)| *name == field.name).map(|(_, hint)| hint) {
                            p.hint { (hint) }
                        }
                    }
                    @if let Some(problem) = problem {
                        p.error.field-error id=(format!("{id}-error")) { (field_label(field.name)) " " (problem) }
                    }
                }
            }
            button type="submit" { (if editing { "Save" } else { "Create" }) }
            " "
            a href=(place.cancel) { "Cancel" }
        }
    };
    respond(status, page(signed, &title, &[], None, body))
}

/// The form of a new record of `def`, with `values` filled in.
pub(super) async fn new_record_form(
    signed: &Signed,
    def: &'static Resource,
    label: &str,
    place: &Place,
    values: HashMap<String, String>,
) -> Response {
    if let Err(e) = signed.caller().authorize(def, Operation::Create, &[]) {
        return engine_error(signed, e);
    }
    let state = FormState {
        values,
        ..FormState::default()
    };
    render_form(signed, def, label, place, false, &state, StatusCode::OK).await
}

/// The form of record `id` of `def`, filled with what it holds (never a
/// secret).
pub(super) async fn edit_record_form(
    signed: &Signed,
    def: &'static Resource,
    label: &str,
    id: i64,
    place: &Place,
) -> Response {
    if let Err(e) = signed.caller().authorize(def, Operation::Edit, &[id]) {
        return engine_error(signed, e);
    }
    let shown = match signed
        .state
        .engine
        .show(
            &signed.caller(),
            def,
            None,
            id,
            &Query {
                show_password: Some("false".into()),
                ..Query::default()
            },
        )
        .await
    {
        Ok(shown) => shown,
        Err(e) => return engine_error(signed, e),
    };
    let attributes = super::attributes(&shown, &shown.records[0], false);
    let values = form_fields(def, false)
        .iter()
        .filter_map(|f| {
            let value = attributes.get(&f.name.replace('_', "-"))?;
            let text = match value {
                Value::Null => return None,
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            Some((f.name.to_string(), text))
        })
        .collect();
    let state = FormState {
        values,
        ..FormState::default()
    };
    render_form(signed, def, label, place, true, &state, StatusCode::OK).await
}

/// Creates a record of `def` from a submitted form (under `parent`, with
/// `set` besides the form's fields) through the engine; its page, or the
/// form again with each problem beside its field and nothing saved.
pub(super) async fn create_record(
    signed: &Signed,
    def: &'static Resource,
    label: &str,
    parent: Option<(&'static crate::resources::Parent, i64)>,
    set: Map<String, Value>,
    form: HashMap<String, String>,
    place: &Place,
) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(form.get("csrf").map(String::as_str)) {
        return refused;
    }
    let mut attributes = attributes_of(def, &form, true);
    attributes.extend(set);
    let item = Item::new(json!({"type": def.json_type, "attributes": attributes}));
    let created = signed
        .state
        .engine
        .create(&signed.caller(), def, parent, vec![item], &Query::default())
        .await;
    match created {
        Ok(records) => {
            let id = records.records.first().map_or(0, |r| r.id);
            Redirect::to(&place.saved(id, "created")).into_response()
        }
        Err(error) => refused_form(signed, def, label, place, false, form, error).await,
    }
}

/// Saves record `id` of `def` from a submitted form through the engine;
/// its page, or the form again with each problem beside its field and
/// nothing saved.
pub(super) async fn update_record(
    signed: &Signed,
    def: &'static Resource,
    label: &str,
    id: i64,
    form: HashMap<String, String>,
    place: &Place,
) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(form.get("csrf").map(String::as_str)) {
        return refused;
    }
    let item =
        Item::new(json!({"type": def.json_type, "attributes": attributes_of(def, &form, false)}));
    let updated = signed
        .state
        .engine
        .update(
            &signed.caller(),
            def,
            None,
            id,
            item,
            &Query::default(),
            None,
        )
        .await;
    match updated {
        Ok(_) => Redirect::to(&place.saved(id, "saved")).into_response(),
        Err(error) => refused_form(signed, def, label, place, true, form, error).await,
    }
}

/// The form again after the engine refused it: its problems beside their
/// fields, what was typed kept.
async fn refused_form(
    signed: &Signed,
    def: &'static Resource,
    label: &str,
    place: &Place,
    editing: bool,
    form: HashMap<String, String>,
    error: Error,
) -> Response {
    match problems_of(error) {
        Ok((problems, general)) => {
            let state = FormState {
                values: form,
                problems,
                general,
            };
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render_form(signed, def, label, place, editing, &state, status).await
        }
        Err(other) => engine_error(signed, other),
    }
}

/// The attributes a submitted form sets: empty inputs left out on a create
/// and sent as null on an edit (a cleared field), numbers as numbers,
/// checkboxes as booleans, a secret only when typed.
fn attributes_of(
    def: &Resource,
    form: &HashMap<String, String>,
    creating: bool,
) -> Map<String, Value> {
    let mut attributes = Map::new();
    for field in form_fields(def, creating) {
        let given = form.get(field.name).map(|v| v.trim()).unwrap_or("");
        let value = match field.column_type {
            ColumnType::Bool => Value::Bool(given == "true"),
            _ if given.is_empty() && (creating || field.secret) => continue,
            _ if given.is_empty() => Value::Null,
            ColumnType::Int => given
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(given.to_string())),
            _ => Value::String(form.get(field.name).cloned().unwrap_or_default()),
        };
        // Items carry normalised (underscored) names, as the API's parser makes them.
        attributes.insert(field.name.to_string(), value);
    }
    attributes
}

/// The engine's refusal as problems by field name (the last part of each
/// pointer) and problems of no one field.
fn problems_of(error: Error) -> Result<(HashMap<String, String>, Vec<String>), Error> {
    match error {
        Error::Invalid(problems) => {
            let mut by_field = HashMap::new();
            let mut general = Vec::new();
            for problem in problems {
                match problem.pointer.rsplit_once("/attributes/") {
                    Some((_, name)) => {
                        by_field.insert(name.replace('-', "_"), problem.detail);
                    }
                    None => general.push(problem.detail),
                }
            }
            Ok((by_field, general))
        }
        other => Err(other),
    }
}

/// `GET /ui/organizations/:id/:kind/new`.
pub async fn new_form(
    signed: Signed,
    Path((organization, kind)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    if kind == "flexible_assets" {
        return match organization.parse::<i64>() {
            Ok(organization) => super::flexible::new_form(signed, organization, raw).await,
            Err(_) => no_form(&signed),
        };
    }
    let (Ok(organization), Some((def, label))) =
        (organization.parse::<i64>(), form_resource(&kind))
    else {
        return no_form(&signed);
    };
    let place = Place::of_record(def, organization, None);
    new_record_form(&signed, def, label, &place, HashMap::new()).await
}

fn no_form(signed: &Signed) -> Response {
    error_page(
        Some(signed),
        StatusCode::NOT_FOUND,
        "There is no such form.",
    )
}

/// `POST /ui/organizations/:id/:kind/new`.
pub async fn create(
    signed: Signed,
    Path((organization, kind)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    submitted: Submitted,
) -> Response {
    if kind == "flexible_assets" {
        return super::flexible::create(signed, &organization, raw.as_deref(), submitted).await;
    }
    let (Ok(organization), Some((def, label))) =
        (organization.parse::<i64>(), form_resource(&kind))
    else {
        return no_form(&signed);
    };
    let mut set = Map::new();
    set.insert("organization_id".into(), json!(organization));
    let place = Place::of_record(def, organization, None);
    let form = submitted.pairs.into_iter().collect();
    create_record(&signed, def, label, None, set, form, &place).await
}

/// `GET /ui/records/:kind/:id/edit`.
pub async fn edit_form(signed: Signed, Path((kind, id)): Path<(String, String)>) -> Response {
    if kind == "flexible_assets" {
        return match id.parse::<i64>() {
            Ok(id) => super::flexible::edit_form(signed, id).await,
            Err(_) => no_form(&signed),
        };
    }
    let (Ok(id), Some((def, label))) = (id.parse::<i64>(), form_resource(&kind)) else {
        return no_form(&signed);
    };
    let place = Place::of_record(def, 0, Some(id));
    edit_record_form(&signed, def, label, id, &place).await
}

/// `POST /ui/records/:kind/:id/edit`.
pub async fn update(
    signed: Signed,
    Path((kind, id)): Path<(String, String)>,
    submitted: Submitted,
) -> Response {
    if kind == "flexible_assets" {
        return match id.parse::<i64>() {
            Ok(id) => super::flexible::update(signed, id, submitted).await,
            Err(_) => no_form(&signed),
        };
    }
    let (Ok(id), Some((def, label))) = (id.parse::<i64>(), form_resource(&kind)) else {
        return no_form(&signed);
    };
    let place = Place::of_record(def, 0, Some(id));
    let form = submitted.pairs.into_iter().collect();
    update_record(&signed, def, label, id, form, &place).await
}

/// `POST /ui/records/:kind/:id/archive`: archives (or, with
/// `archived=false`, restores) the record through the engine.
pub async fn archive(
    signed: Signed,
    Path((kind, id)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(form.get("csrf").map(String::as_str)) {
        return refused;
    }
    let (Ok(id), Some((def, _))) = (id.parse::<i64>(), form_resource(&kind)) else {
        return error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "There is no such record.",
        );
    };
    let archived = form.get("archived").map(String::as_str) != Some("false");
    let item = Item::new(json!({"type": def.json_type, "attributes": {"archived": archived}}));
    match signed
        .state
        .engine
        .update(
            &signed.caller(),
            def,
            None,
            id,
            item,
            &Query::default(),
            None,
        )
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/ui/records/{}/{id}?done={}",
            def.route,
            if archived { "archived" } else { "restored" }
        ))
        .into_response(),
        Err(e) => engine_error(&signed, e),
    }
}

/// `GET /ui/records/:kind/:id/delete`: asks before deleting.
pub async fn confirm_delete(signed: Signed, Path((kind, id)): Path<(String, String)>) -> Response {
    let (Ok(number), Some((def, label))) = (id.parse::<i64>(), form_resource(&kind)) else {
        return error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "There is no such record.",
        );
    };
    if let Err(e) = signed.caller().authorize(def, Operation::Delete, &[number]) {
        return engine_error(&signed, e);
    }
    let body = html! {
        h1 { "Delete this " (label) "?" }
        p { "It goes with its attachments, embedded passwords and related items. This cannot be undone." }
        form method="post" action=(format!("/ui/records/{}/{number}/delete", def.route)) {
            input type="hidden" name="csrf" value=(signed.session.csrf_token);
            button.danger type="submit" { "Delete" }
            " "
            a href=(format!("/ui/records/{}/{number}", def.route)) { "Cancel" }
        }
    };
    respond(StatusCode::OK, page(&signed, "Delete", &[], None, body))
}

/// `POST /ui/records/:kind/:id/delete`: deletes the record (with what hangs
/// off it) and goes back to the organization's list.
pub async fn delete(
    signed: Signed,
    Path((kind, id)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(form.get("csrf").map(String::as_str)) {
        return refused;
    }
    let (Ok(id), Some((def, _))) = (id.parse::<i64>(), form_resource(&kind)) else {
        return error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "There is no such record.",
        );
    };
    let deleted = signed
        .state
        .engine
        .delete(
            &signed.caller(),
            def,
            None,
            BulkDelete::Ids(vec![("/data".into(), id)]),
            None,
        )
        .await;
    match deleted {
        Ok(records) => {
            let organization = records
                .records
                .first()
                .and_then(|r| def.cell(r, "organization_id"))
                .and_then(|c| c.as_i64())
                .unwrap_or(0);
            Redirect::to(&format!(
                "/ui/organizations/{organization}/{}?done=deleted",
                def.route
            ))
            .into_response()
        }
        Err(e) => engine_error(&signed, e),
    }
}

/// The controls a record page and a list page show the user: only those
/// their role permits (the server refuses the others anyway).
pub fn can(signed: &Signed, def: &Resource, operation: Operation) -> bool {
    FORM_KINDS.iter().any(|(route, _)| *route == def.route)
        && signed.session.user.role.permits(operation, def.guard)
}

/// A record page's Edit, Archive (or Restore) and Delete controls.
pub fn record_controls(signed: &Signed, def: &Resource, id: i64, archived: Option<bool>) -> Markup {
    html! {
        div.controls {
            @if can(signed, def, Operation::Edit) {
                a.button href=(format!("/ui/records/{}/{id}/edit", def.route)) { "Edit" }
                @if let Some(archived) = archived {
                    form.inline method="post" action=(format!("/ui/records/{}/{id}/archive", def.route)) {
                        input type="hidden" name="csrf" value=(signed.session.csrf_token);
                        input type="hidden" name="archived" value=(if archived { "false" } else { "true" });
                        button.secondary type="submit" { (if archived { "Restore" } else { "Archive" }) }
                    }
                }
            }
            @if can(signed, def, Operation::Delete) {
                a.button.danger href=(format!("/ui/records/{}/{id}/delete", def.route)) { "Delete…" }
            }
        }
    }
}
