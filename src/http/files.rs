//! `GET /attachments/:id/download`: an attachment's bytes, for the
//! `download-url` of attachments. A Mortar extension: the reference's
//! download links point at its web application.

use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::handlers::Ctx;
use crate::error::{Error, Result};
use crate::store::StoredFile;

/// Serves the attachment's bytes with its detected content type, as a
/// download named like the uploaded file. 404 for ids not in the caller's account.
pub async fn download(ctx: Ctx, path: Result<Path<String>, PathRejection>) -> Result<Response> {
    let id = record_id(path, "attachment")?;
    let file = ctx
        .state()
        .engine
        .store()
        .attachment_file(ctx.scope(), id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("attachment {id} was not found")))?;
    serve(&ctx, &file, "attachment").await
}

/// `GET /users/:id/avatar`: a user's avatar image, what the `avatar` URL of
/// users points at. 404 when the user has none or is not in the caller's account.
pub async fn avatar(ctx: Ctx, path: Result<Path<String>, PathRejection>) -> Result<Response> {
    let id = record_id(path, "user")?;
    let file = ctx
        .state()
        .engine
        .store()
        .avatar_file(ctx.scope(), id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("user {id} has no avatar")))?;
    serve(&ctx, &file, "inline").await
}

/// `GET /exports/:id/download`: an export's zip, streamed from disk or the
/// object store (never held in memory whole). 404 until the export is done, and after DELETE.
pub async fn export(ctx: Ctx, path: Result<Path<String>, PathRejection>) -> Result<Response> {
    let id = record_id(path, "export")?;
    export_download(&ctx.state().engine, ctx.scope(), id).await
}

/// Export `id` of the account's zip as a download, streamed.
pub(crate) async fn export_download(
    engine: &crate::engine::Engine,
    scope: crate::store::Scope,
    id: i64,
) -> Result<Response> {
    let not_found = || Error::NotFound(format!("export {id} has no file (not done, or deleted)"));
    let path = engine
        .store()
        .export_file(scope, id)
        .await?
        .ok_or_else(not_found)?;
    let file = engine
        .files()
        .open_export(&path)
        .await
        .map_err(|e| Error::Internal(anyhow::Error::new(e).context("opening an export's file")))?
        .ok_or_else(not_found)?;
    let length = file.length;
    let body = axum::body::Body::from_stream(file.stream);
    let disposition = content_disposition("attachment", &format!("mortar-export-{id}.zip"));
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The record id a path names; a segment that is not a positive id (or not
/// UTF-8) names no record, as any other bad id.
fn record_id(path: Result<Path<String>, PathRejection>, what: &str) -> Result<i64> {
    let not_found = || Error::NotFound(format!("the path names no {what}"));
    let Ok(Path(id)) = path else {
        return Err(not_found());
    };
    id.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(not_found)
}

/// Serves a stored file's bytes with its detected content type, named like
/// the uploaded file; `disposition` is `attachment` (a download) or `inline`.
async fn serve(ctx: &Ctx, file: &StoredFile, disposition: &str) -> Result<Response> {
    serve_file(&ctx.state().engine, file, disposition).await
}

/// A stored file's bytes with its type, `disposition` (`attachment` or
/// `inline`) and name, and `nosniff`.
pub(crate) async fn serve_file(
    engine: &crate::engine::Engine,
    file: &StoredFile,
    disposition: &str,
) -> Result<Response> {
    let bytes = engine
        .files()
        .get(&file.blob_key)
        .await
        .map_err(|e| Error::Internal(anyhow::Error::new(e).context("reading a stored file")))?
        .ok_or_else(|| {
            Error::Internal(anyhow::anyhow!(
                "the stored file {} is missing",
                file.blob_key
            ))
        })?;
    let content_type = HeaderValue::from_str(&file.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = HeaderValue::from_str(&content_disposition(disposition, &file.file_name))
        .map_err(|e| Error::Internal(anyhow::Error::new(e).context("a Content-Disposition")))?;
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}

/// `<disposition>; filename="<ASCII stand-in>"; filename*=UTF-8''<percent-encoded>`
/// (RFC 6266), `disposition` being `attachment` or `inline`.
pub fn content_disposition(disposition: &str, file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::with_capacity(file_name.len() * 3);
    for byte in file_name.bytes() {
        // RFC 5987 attr-char.
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_quoted_safely() {
        assert_eq!(
            content_disposition("attachment", "report 2024.pdf"),
            "attachment; filename=\"report 2024.pdf\"; filename*=UTF-8''report%202024.pdf"
        );
        assert_eq!(
            content_disposition("attachment", "na\"ïve\\.txt"),
            "attachment; filename=\"na__ve_.txt\"; filename*=UTF-8''na%22%C3%AFve%5C.txt"
        );
    }
}
