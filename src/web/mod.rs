//! The web interface under `/ui/`: server-rendered HTML (maud) over the
//! engine, never over HTTP to itself and never with SQL of its own beyond
//! the session store. Pages work with JavaScript off; a small script served
//! from the binary adds the `/` shortcut to the search box, copying and the
//! OTP countdown.
//!
//! Sign-in is email and password (argon2id), then a TOTP code for users who
//! enrolled one; Administrators (and everyone, with `--require-totp`) enrol
//! before they reach a page. Sessions live in the database, so any server
//! behind a load balancer knows them; their cookie is `HttpOnly`,
//! `SameSite=Lax` and `Secure` behind an https public URL. Every form that
//! changes something carries the session's CSRF token.

mod activity;
mod asset_types;
mod assets;
mod attachments;
mod flexible;
mod forms;
mod pages;
mod people;
mod session;
mod settings;
mod sign_in;
mod submitted;

use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, DOCTYPE};

use crate::http::AppState;
pub use session::Signed;

/// The routes of the web interface, to merge into the server's router.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(root))
        .route("/ui", get(|| async { Redirect::to("/ui/organizations") }))
        .route("/ui/assets/app.css", get(assets::css))
        .route("/ui/assets/app.js", get(assets::js))
        .route("/ui/sign_in", get(sign_in::form).post(sign_in::submit))
        .route(
            "/ui/second_factor",
            get(sign_in::second_factor_form).post(sign_in::second_factor_submit),
        )
        .route(
            "/ui/enrol",
            get(sign_in::enrol_form).post(sign_in::enrol_submit),
        )
        .route("/ui/sign_out", post(sign_in::sign_out))
        .route("/ui/organizations", get(pages::organizations))
        .route("/ui/organizations/{id}", get(pages::organization))
        .route("/ui/organizations/{id}/{kind}", get(pages::records))
        .route("/ui/records/{kind}/{id}", get(pages::record))
        .route(
            "/ui/organizations/{id}/{kind}/new",
            get(forms::new_form).post(forms::create),
        )
        .route(
            "/ui/records/{kind}/{id}/edit",
            get(forms::edit_form).post(forms::update),
        )
        .route("/ui/records/{kind}/{id}/archive", post(forms::archive))
        .route(
            "/ui/records/{kind}/{id}/delete",
            get(forms::confirm_delete).post(forms::delete),
        )
        .route("/ui/passwords/{id}/reveal", post(pages::reveal))
        .route("/ui/passwords/{id}/copy", post(pages::copy))
        .route("/ui/attachments/{id}/download", get(attachments::download))
        .route("/ui/attachments/{id}/preview", get(attachments::preview))
        .route(
            "/ui/records/{kind}/{id}/attachments",
            post(attachments::upload),
        )
        .route("/ui/search", get(pages::search))
        .route("/ui/settings", get(settings::overview))
        .route("/ui/settings/people", get(people::overview))
        .route("/ui/settings/users", post(people::create_user))
        .route("/ui/settings/users/{id}/role", post(people::set_role))
        .route(
            "/ui/settings/users/{id}/disable",
            post(people::set_disabled),
        )
        .route("/ui/settings/groups", post(people::create_group))
        .route("/ui/settings/groups/{id}/members", post(people::set_member))
        .route("/ui/settings/asset_types", get(asset_types::list))
        .route(
            "/ui/settings/asset_types/new",
            get(asset_types::new_form).post(asset_types::create),
        )
        .route("/ui/settings/asset_types/{id}", get(asset_types::show))
        .route(
            "/ui/settings/asset_types/{id}/edit",
            get(asset_types::edit_form).post(asset_types::update),
        )
        .route(
            "/ui/settings/asset_types/{id}/fields/new",
            get(asset_types::new_field_form).post(asset_types::create_field),
        )
        .route(
            "/ui/settings/asset_fields/{id}/edit",
            get(asset_types::edit_field_form).post(asset_types::update_field),
        )
        .route(
            "/ui/settings/asset_fields/{id}/delete",
            post(asset_types::delete_field),
        )
        .route("/ui/settings/keys", post(settings::create_key))
        .route("/ui/settings/keys/{id}/revoke", post(settings::revoke_key))
        .route("/ui/settings/exports", post(settings::request_export))
        .route("/ui/exports/{id}/download", get(settings::download_export))
        .route("/ui/expirations", get(pages::expirations))
        .route("/ui/activity", get(activity::log))
}

/// `GET /`: a browser (asking for HTML) goes to the interface; an API
/// client gets the JSON:API 404 any unknown route gives.
async fn root(headers: HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        Redirect::to("/ui/organizations").into_response()
    } else {
        crate::error::Error::NotFound("no such route".into()).into_response()
    }
}

/// A record's attributes as the API renders them in a list (`in_list`)
/// or a show.
pub(crate) fn attributes(
    records: &crate::engine::Records,
    record: &crate::store::Record,
    in_list: bool,
) -> serde_json::Map<String, serde_json::Value> {
    let object = crate::jsonapi::document::resource_object(
        records.resource,
        record,
        in_list,
        Some((&records.related, records.includes.as_slice())),
        records.extra.get(&(records.resource.json_type, record.id)),
        "",
    );
    match object.get("attributes") {
        Some(serde_json::Value::Object(map)) => map.clone(),
        _ => serde_json::Map::new(),
    }
}

/// The records of `def` that meet `filters`, as (id, name) sorted by name:
/// the choices of a select (at most 1,000), read through the engine as the
/// user; none when the user may not read them.
pub(crate) async fn named_records(
    signed: &Signed,
    def: &'static crate::resources::Resource,
    filters: Vec<crate::query::FilterParam>,
) -> Vec<(String, String)> {
    let query = crate::query::Query {
        filters,
        sort: vec![("name".into(), false)],
        page_size: Some(1000),
        ..crate::query::Query::default()
    };
    let Ok(listed) = signed
        .state
        .engine
        .list(&signed.caller(), def, None, &query)
        .await
    else {
        return Vec::new();
    };
    listed
        .records
        .iter()
        .map(|r| {
            let name = attributes(&listed, r, true)
                .get("name")
                .and_then(serde_json::Value::as_str)
                .map_or_else(|| r.id.to_string(), str::to_string);
            (r.id.to_string(), name)
        })
        .collect()
}

/// A breadcrumb: its label and, but for the last, its link.
pub(crate) type Crumb = (String, Option<String>);

/// A page of the interface for a signed-in user: the header with the
/// search box and the user's menu, the breadcrumbs, a flash message, and
/// `body`.
pub(crate) fn page(
    signed: &Signed,
    title: &str,
    crumbs: &[Crumb],
    flash: Option<&str>,
    body: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Mortar" }
                link rel="stylesheet" href="/ui/assets/app.css";
                script src="/ui/assets/app.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top role="banner" {
                    a.brand href="/ui/organizations" { "Mortar" }
                    nav aria-label="Main" {
                        a href="/ui/organizations" { "Organizations" }
                        a href="/ui/expirations" { "Expirations" }
                        a href="/ui/activity" { "Activity" }
                        @if signed.session.user.role.manages_settings() {
                            a href="/ui/settings" { "Settings" }
                        }
                    }
                    form.search role="search" method="get" action="/ui/search" {
                        label.visually-hidden for="q" { "Search everything" }
                        input #q type="search" name="q" placeholder="Search (press /)" autocomplete="off";
                    }
                    div.user {
                        span { (signed.session.user.name) " · " (signed.session.user.role.name()) }
                        @if signed.session.user.totp_secret.is_none() {
                            a href="/ui/enrol" { "Set up two-factor" }
                        }
                        form method="post" action="/ui/sign_out" {
                            input type="hidden" name="csrf" value=(signed.session.csrf_token);
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                @if crumbs.len() > 1 {
                    nav.crumbs aria-label="Breadcrumb" {
                        ol {
                            @for (label, link) in crumbs {
                                li {
                                    @match link {
                                        Some(href) => a href=(href) { (label) },
                                        None => span aria-current="page" { (label) },
                                    }
                                }
                            }
                        }
                    }
                }
                main #main {
                    @if let Some(message) = flash {
                        p.flash role="status" { (message) }
                    }
                    (body)
                }
            }
        }
    }
}

/// A page for someone not signed in (sign-in, second factor, errors).
pub(crate) fn bare_page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Mortar" }
                link rel="stylesheet" href="/ui/assets/app.css";
            }
            body.bare {
                main #main {
                    h1.brand-title { "Mortar" }
                    (body)
                }
            }
        }
    }
}

/// An HTML response with the interface's headers: no caching of pages that
/// may show secrets, no framing, and a content security policy that runs
/// only the interface's own script (so stored HTML cannot run any).
pub(crate) fn respond(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// A page saying what went wrong, with the status it answers.
pub(crate) fn error_page(signed: Option<&Signed>, status: StatusCode, message: &str) -> Response {
    let body = html! {
        h1 { (status.canonical_reason().unwrap_or("Error")) }
        p.error { (message) }
        p { a href="/ui/organizations" { "Back to the organizations" } }
    };
    let markup = match signed {
        Some(signed) => page(signed, "Error", &[], None, body),
        None => bare_page("Error", body),
    };
    respond(status, markup)
}

/// The engine's error as a page: its status and its message.
pub(crate) fn engine_error(signed: &Signed, error: crate::error::Error) -> Response {
    let status = error.status();
    let message = match &error {
        crate::error::Error::Internal(_) => {
            "Something went wrong on the server; it is logged. Try again.".to_string()
        }
        other => other.to_string(),
    };
    if status.is_server_error() {
        tracing::error!(error = %error, "web page failed");
    }
    error_page(Some(signed), status, &message)
}
