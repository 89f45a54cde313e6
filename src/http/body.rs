//! Reading request bodies: size limit (413), media type (415), JSON (400),
//! and name normalisation, all before any resource logic sees the document.

use axum::body::Body;
use axum::http::{header, HeaderMap};
use serde_json::Value;

use super::BODY_LIMIT;
use crate::error::{Error, Result};
use crate::jsonapi::normalize_keys;

/// Reads the whole body; `None` when it is empty.
pub async fn read_json(headers: &HeaderMap, body: Body) -> Result<Option<Value>> {
    if let Some(length) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if length > BODY_LIMIT {
            return Err(Error::PayloadTooLarge { limit: BODY_LIMIT });
        }
    }
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| Error::PayloadTooLarge { limit: BODY_LIMIT })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    check_media_type(headers)?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::bad_request(format!("the body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(Error::bad_request("the body must be a JSON object"));
    }
    Ok(Some(normalize_keys(value)))
}

/// A body must be `application/vnd.api+json` or `application/json` (parameters allowed).
fn check_media_type(headers: &HeaderMap) -> Result<()> {
    let given = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = given
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == crate::jsonapi::MEDIA_TYPE || essence == "application/json" {
        Ok(())
    } else if given.is_empty() {
        Err(Error::UnsupportedMediaType(
            "a request body needs Content-Type: application/vnd.api+json".into(),
        ))
    } else {
        Err(Error::UnsupportedMediaType(format!(
            "Content-Type {given:?} is not supported; send application/vnd.api+json"
        )))
    }
}
