//! Account settings: the account's users (their roles and second factor),
//! API keys (made with or without password access, shown once; revoked)
//! for Administrators, and exports (requested, downloaded) for the roles
//! that manage settings.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{engine_error, error_page, page, respond, Signed};
use crate::engine::input::Item;
use crate::query::Query;
use crate::resources::by_route;
use crate::roles::{Guard, Operation, Role};
use crate::store::AccountSummary;

/// Refuses (403) users whose role does not manage account settings.
fn settings_only(signed: &Signed) -> Option<Response> {
    signed
        .caller()
        .authorize_guarded(Guard::Settings, "account settings", Operation::Edit)
        .err()
        .map(|e| engine_error(signed, e))
}

/// `GET /ui/settings`.
pub async fn overview(signed: Signed) -> Response {
    render(&signed, None).await
}

async fn render(signed: &Signed, new_key: Option<(String, bool)>) -> Response {
    if let Some(refused) = settings_only(signed) {
        return refused;
    }
    let engine = &signed.state.engine;
    let caller = signed.caller();
    let all = |sort: &str| Query {
        page_size: Some(1000),
        sort: vec![(sort.to_string(), false)],
        ..Query::default()
    };
    let exports = match by_route("exports") {
        Some(def) => {
            let mut query = all("created_at");
            query.sort = vec![("created_at".into(), true)];
            query.page_size = Some(20);
            engine.list(&caller, def, None, &query).await
        }
        None => return error_page(Some(signed), StatusCode::NOT_FOUND, "No exports here."),
    };
    let organizations = engine
        .list(
            &caller,
            &crate::resources::organizations::ORGANIZATIONS,
            None,
            &all("name"),
        )
        .await;
    let administrator = signed.session.user.role == Role::Administrator;
    let keys = if administrator {
        engine
            .store()
            .account_keys(signed.session.user.scope)
            .await
            .ok()
    } else {
        None
    };
    let attributes = |records: &crate::engine::Records, record: &crate::store::Record| {
        Value::Object(super::attributes(records, record, true))
    };
    let body = html! {
        h1 { "Account settings" }
        @if let Some((secret, password_access)) = &new_key {
            section.card role="status" {
                h2 { "New API key" }
                p { "Copy it now: it is shown only this once." }
                p { span.secret #new-key { (secret) } " " button.secondary type="button" data-copy="new-key" { "Copy" } }
                p.muted { @if *password_access { "It may read and write password values." } @else { "It cannot read or write password values." } }
            }
        }
        h2 { "Users and groups" }
        p { a href="/ui/settings/people" { "Users and groups" } ": add users, change their roles, disable them, and put them in groups." }
        h2 { "Flexible asset types" }
        p { a href="/ui/settings/asset_types" { "Flexible asset types" } ": make types and add, change, order and delete their fields." }
        @if let Some(keys) = &keys {
            h2 { "API keys" }
            table {
                thead { tr { th { "Name" } th { "Starts with" } th { "Password access" } th { "State" } th { "" } } }
                tbody {
                    @for key in keys {
                        tr {
                            td { (key.name) }
                            td { code { (key.prefix) "…" } }
                            td { (if key.password_access { "Yes" } else { "No" }) }
                            td { (if key.revoked_at.is_some() { "Revoked" } else { "Active" }) }
                            td {
                                @if key.revoked_at.is_none() {
                                    form method="post" action=(format!("/ui/settings/keys/{}/revoke", key.id)) {
                                        input type="hidden" name="csrf" value=(signed.session.csrf_token);
                                        button.danger type="submit" { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form.filters method="post" action="/ui/settings/keys" {
                input type="hidden" name="csrf" value=(signed.session.csrf_token);
                label { "Name" input name="name" required placeholder="e.g. RMM sync"; }
                label.check { input type="checkbox" name="password_access" value="true"; " Password access" }
                button type="submit" { "Create key" }
            }
        }
        h2 { "Exports" }
        @match &exports {
            Ok(exports) if !exports.records.is_empty() => table {
                thead { tr { th { "Requested" } th { "Of" } th { "Status" } th { "" } } }
                tbody {
                    @for record in &exports.records {
                        @let a = attributes(exports, record);
                        tr {
                            td { (super::pages::value("created-at", &a["created-at"])) }
                            td { (a["organization-name"].as_str().unwrap_or("The whole account")) }
                            td { (a["status"].as_str().unwrap_or("")) @if let Some(error) = a["error"].as_str() { span.error { " " (error) } } }
                            td { @if a["status"] == "done" { a href=(format!("/ui/exports/{}/download", record.id)) { "Download" } } }
                        }
                    }
                }
            },
            Ok(_) => p.muted { "No exports yet." },
            Err(e) => p.error { (e.to_string()) },
        }
        form.filters method="post" action="/ui/settings/exports" {
            input type="hidden" name="csrf" value=(signed.session.csrf_token);
            label { "Export"
                select name="organization_id" {
                    option value="" { "The whole account" }
                    @if let Ok(organizations) = &organizations {
                        @for record in &organizations.records {
                            option value=(record.id) { (attributes(organizations, record)["name"].as_str().unwrap_or("")) }
                        }
                    }
                }
            }
            button type="submit" { "Request export" }
        }
    };
    respond(
        StatusCode::OK,
        page(signed, "Account settings", &[], None, body),
    )
}

/// The key form.
#[derive(Deserialize)]
pub struct KeyForm {
    csrf: Option<String>,
    #[serde(default)]
    name: String,
    password_access: Option<String>,
}

/// `POST /ui/settings/keys`: a new key acting for the signed-in
/// Administrator, shown once.
pub async fn create_key(signed: Signed, Form(form): Form<KeyForm>) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(form.csrf.as_deref()) {
        return refused;
    }
    if signed.session.user.role != Role::Administrator {
        return error_page(
            Some(&signed),
            StatusCode::FORBIDDEN,
            "Only an Administrator manages API keys.",
        );
    }
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return error_page(
            Some(&signed),
            StatusCode::UNPROCESSABLE_ENTITY,
            "A key needs a name of 1 to 200 characters.",
        );
    }
    let password_access = form.password_access.as_deref() == Some("true");
    let account = AccountSummary {
        id: signed.session.user.scope.account_id(),
        name: String::new(),
    };
    match signed
        .state
        .engine
        .store()
        .create_key(
            &account,
            name,
            password_access,
            Some(signed.session.user.id),
        )
        .await
    {
        Ok(key) => {
            tracing::info!(
                key = key.id,
                user = signed.session.user.id,
                "an API key was made in the web interface"
            );
            render(&signed, Some((key.secret, password_access))).await
        }
        Err(e) => engine_error(&signed, crate::error::Error::Internal(e)),
    }
}

/// A form with only the CSRF token.
#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: Option<String>,
}

/// `POST /ui/settings/keys/:id/revoke`.
pub async fn revoke_key(
    signed: Signed,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(form.csrf.as_deref()) {
        return refused;
    }
    if signed.session.user.role != Role::Administrator {
        return error_page(
            Some(&signed),
            StatusCode::FORBIDDEN,
            "Only an Administrator manages API keys.",
        );
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "There is no such key.",
        );
    };
    match signed
        .state
        .engine
        .store()
        .revoke_account_key(signed.session.user.scope, id)
        .await
    {
        Ok(true) => Redirect::to("/ui/settings").into_response(),
        Ok(false) => error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "There is no such active key.",
        ),
        Err(e) => engine_error(&signed, e),
    }
}

/// The export form.
#[derive(Deserialize)]
pub struct ExportForm {
    csrf: Option<String>,
    organization_id: Option<String>,
}

/// `POST /ui/settings/exports`: requests an export through the engine.
pub async fn request_export(signed: Signed, Form(form): Form<ExportForm>) -> Response {
    if let Some(refused) = signed.refuse_without_csrf(form.csrf.as_deref()) {
        return refused;
    }
    let Some(def) = by_route("exports") else {
        return error_page(Some(&signed), StatusCode::NOT_FOUND, "No exports here.");
    };
    let organization = form
        .organization_id
        .as_deref()
        .and_then(|v| v.trim().parse::<i64>().ok());
    let item = Item::new(json!({"type": "exports", "attributes": {
        "organization_id": organization.map_or(Value::Null, Value::from),
    }}));
    match signed
        .state
        .engine
        .create(&signed.caller(), def, None, vec![item], &Query::default())
        .await
    {
        Ok(_) => Redirect::to("/ui/settings").into_response(),
        Err(e) => engine_error(&signed, e),
    }
}

/// `GET /ui/exports/:id/download`: the zip, streamed.
pub async fn download_export(signed: Signed, Path(id): Path<String>) -> Response {
    if let Some(refused) = settings_only(&signed) {
        return refused;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "There is no such export.",
        );
    };
    match crate::http::files::export_download(&signed.state.engine, signed.session.user.scope, id)
        .await
    {
        Ok(response) => response,
        Err(e) => engine_error(&signed, e),
    }
}
