//! Password routes beyond the reference: the generator and a password's audit trail.

use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::handlers::{document, list_logs, Ctx};
use crate::error::{Error, Result};
use crate::names::parse_bool;
use crate::resources::passwords::PASSWORDS;
use crate::vault::generate::{generate, Options};

/// `POST /passwords/generate`: a new password from the OS CSPRNG.
///
/// Options come as query parameters or as attributes of a JSON:API body:
/// `length` (8-128, default 20), `lowercase`, `uppercase`, `digits`,
/// `symbols` (default true), `exclude_ambiguous` (default false) and
/// `generated_password_type` (`complex`, the default, or `pronounceable`).
pub async fn generate_password(
    ctx: Ctx,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Result<Response> {
    let body = super::body::read_json(&headers, body).await?;
    let params = ctx.params()?;
    let attributes = body
        .as_ref()
        .and_then(|b| b.get("data"))
        .and_then(|d| d.get("attributes"))
        .cloned()
        .unwrap_or(Value::Null);
    let option = |name: &str| -> Option<String> {
        params
            .other(name)
            .map(str::to_string)
            .or_else(|| match attributes.get(name) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Bool(b)) => Some(b.to_string()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            })
    };
    let flag = |name: &str, default: bool| -> Result<bool> {
        match option(name) {
            None => Ok(default),
            Some(v) => parse_bool(&v).ok_or_else(|| {
                Error::invalid(
                    format!("/data/attributes/{}", name.replace('_', "-")),
                    "must be true or false",
                )
            }),
        }
    };
    let mut options = Options {
        lowercase: flag("lowercase", true)?,
        uppercase: flag("uppercase", true)?,
        digits: flag("digits", true)?,
        symbols: flag("symbols", true)?,
        exclude_ambiguous: flag("exclude_ambiguous", false)?,
        ..Options::default()
    };
    if let Some(length) = option("length") {
        options.length = length
            .trim()
            .parse()
            .map_err(|_| Error::invalid("/data/attributes/length", "must be a whole number"))?;
    }
    let kind = option("generated_password_type").unwrap_or_else(|| "complex".into());
    options.pronounceable = match kind.as_str() {
        "complex" => false,
        "pronounceable" => true,
        _ => {
            return Err(Error::invalid(
                "/data/attributes/generated-password-type",
                "must be complex or pronounceable",
            ))
        }
    };
    let password = generate(&options).map_err(|e| Error::invalid("/data/attributes", e))?;
    Ok(document(
        StatusCode::OK,
        json!({"data": {"type": "generated-passwords", "attributes": {
            "password": password,
            "length": options.length,
            "generated-password-type": kind,
        }}}),
    ))
}

/// `GET /passwords/:id/audit`: who created, changed, revealed or deleted the
/// password and when (its activity log entries, newest first by default).
pub async fn audit(ctx: Ctx, path: Result<Path<String>, PathRejection>) -> Result<Response> {
    // A segment that is not UTF-8 names no password, as any other bad id.
    let Ok(Path(id)) = path else {
        return Err(Error::NotFound("the path names no password".into()));
    };
    let id: i64 = id
        .parse()
        .map_err(|_| Error::NotFound(format!("{id:?} is not a password id")))?;
    if !ctx
        .state()
        .engine
        .exists(&ctx.caller(), &PASSWORDS, id)
        .await?
    {
        return Err(Error::NotFound(format!("password {id} was not found")));
    }
    list_logs(ctx, "Password", id).await
}
