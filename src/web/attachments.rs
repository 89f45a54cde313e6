//! A record's attachments in the interface: the list on its page with an
//! image preview, download, and upload through a form (multipart), stored
//! through the engine with the same checks and file rules as the API's.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use maud::{html, Markup};
use serde_json::json;

use super::submitted::Submitted;
use super::{engine_error, error_page, Signed};
use crate::engine::input::Item;
use crate::query::Query;
use crate::resources::attachments::ATTACHMENTS;
use crate::resources::{Parent, Resource};
use crate::roles::Operation;

/// Image types shown inline; anything else (SVG included, which can carry
/// script) is only downloaded.
const PREVIEWABLE: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// The attachment parent of records of `def`, if they carry attachments.
fn parent_of(def: &Resource) -> Option<&'static Parent> {
    ATTACHMENTS.parents().iter().find(|p| p.route == def.route)
}

/// The attachments section of the page of record `id` of `def`.
pub async fn section(signed: &Signed, def: &'static Resource, id: i64) -> Markup {
    let Some(parent) = parent_of(def) else {
        return html! {};
    };
    let listed = signed
        .state
        .engine
        .list(
            &signed.caller(),
            &ATTACHMENTS,
            Some((parent, id)),
            &Query {
                page_size: Some(200),
                ..Query::default()
            },
        )
        .await;
    let may_upload = signed
        .session
        .user
        .role
        .permits(Operation::Create, ATTACHMENTS.guard);
    html! {
        h2 { "Attachments" }
        @match listed {
            Err(e) => p.error { (e.to_string()) },
            Ok(listed) if listed.records.is_empty() => p.muted { "No attachments." },
            Ok(listed) => ul.attachments {
                @for record in &listed.records {
                    @let object = crate::jsonapi::document::resource_object(&ATTACHMENTS, record, true, None, None, "");
                    @let a = &object["attributes"];
                    @let name = a["name"].as_str().or(a["attachment-file-name"].as_str()).unwrap_or("file");
                    @let kind = a["attachment-content-type"].as_str().unwrap_or("");
                    li {
                        a href=(format!("/ui/attachments/{}/download", record.id)) { (name) }
                        span.muted { " · " (a["attachment-file-size"].as_i64().map(human_size).unwrap_or_default()) }
                        @if PREVIEWABLE.contains(&kind) {
                            div { img.preview src=(format!("/ui/attachments/{}/preview", record.id)) alt=(format!("Preview of {name}")) loading="lazy"; }
                        }
                    }
                }
            },
        }
        @if may_upload {
            form.upload method="post" enctype="multipart/form-data" action=(format!("/ui/records/{}/{id}/attachments", def.route)) {
                input type="hidden" name="csrf" value=(signed.session.csrf_token);
                label for="upload-file" { "Add a file" }
                input #upload-file type="file" name="file" required;
                button.secondary type="submit" { "Upload" }
            }
        }
    }
}

fn human_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

/// `GET /ui/attachments/:id/download`.
pub async fn download(signed: Signed, Path(id): Path<String>) -> Response {
    send(signed, id, false).await
}

/// `GET /ui/attachments/:id/preview`: an image inline, in a sandbox.
pub async fn preview(signed: Signed, Path(id): Path<String>) -> Response {
    send(signed, id, true).await
}

async fn send(signed: Signed, id: String, inline: bool) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "There is no such attachment.",
        );
    };
    let engine = &signed.state.engine;
    let file = match engine
        .store()
        .attachment_file(signed.session.user.scope, id)
        .await
    {
        Ok(Some(file)) => file,
        Ok(None) => {
            return error_page(
                Some(&signed),
                StatusCode::NOT_FOUND,
                "There is no such attachment.",
            )
        }
        Err(e) => return engine_error(&signed, e),
    };
    let inline = inline && PREVIEWABLE.contains(&file.content_type.as_str());
    let disposition = if inline { "inline" } else { "attachment" };
    match crate::http::files::serve_file(engine, &file, disposition).await {
        Ok(mut response) => {
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox; default-src 'none'"),
            );
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            response
        }
        Err(e) => engine_error(&signed, e),
    }
}

/// `POST /ui/records/:kind/:id/attachments`: the file of a multipart form
/// (with the CSRF token before it) attached to the record.
pub async fn upload(
    signed: Signed,
    Path((kind, id)): Path<(String, String)>,
    form: Submitted,
) -> Response {
    let Some(def) = crate::resources::by_route(&kind) else {
        return error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "There is no such record.",
        );
    };
    let (Ok(id), Some(parent)) = (id.parse::<i64>(), parent_of(def)) else {
        return error_page(
            Some(&signed),
            StatusCode::NOT_FOUND,
            "There is no such record.",
        );
    };
    if let Some(refused) = signed.refuse_without_csrf(form.csrf()) {
        return refused;
    }
    let Some((name, bytes)) = form
        .files
        .into_iter()
        .find(|(input, f)| input == "file" && !f.bytes.is_empty())
        .map(|(_, f)| (f.file_name, f.bytes))
    else {
        return error_page(
            Some(&signed),
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose a file to upload.",
        );
    };
    let item = Item::new(json!({"type": "attachments", "attributes": {"attachment": {
        "content": base64::engine::general_purpose::STANDARD.encode(&bytes),
        "file_name": name,
    }}}));
    let created = signed
        .state
        .engine
        .create(
            &signed.caller(),
            &ATTACHMENTS,
            Some((parent, id)),
            vec![item],
            &Query::default(),
        )
        .await;
    match created {
        Ok(_) => Redirect::to(&format!("/ui/records/{kind}/{id}?done=uploaded")).into_response(),
        Err(crate::error::Error::Invalid(problems)) => error_page(
            Some(&signed),
            StatusCode::UNPROCESSABLE_ENTITY,
            &problems
                .iter()
                .map(|p| p.detail.clone())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Err(e) => engine_error(&signed, e),
    }
}
