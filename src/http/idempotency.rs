//! `Idempotency-Key` on POST, PATCH and DELETE: a retried write with the
//! same key, from the same API key, with the same method, path, query and
//! body, gets the first response again (with `Idempotent-Replayed: true`)
//! instead of doing the work twice, for 24 hours; the same key with another
//! request is a 422; the same request while the first still runs is a 409.
//!
//! The key is claimed in the database before the request runs and its
//! response kept there after (sealed under the account's data key, as it
//! may hold a revealed password), so retries are safe across instances and
//! restarts. A 5xx, 408 or 429 frees the key: nothing was done and a retry
//! should run. A server killed while a request ran leaves its key claimed
//! with no response: a retry then gets a 409 that says the first outcome is
//! unknown, rather than a second run.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest as _, Sha256};

use super::AppState;
use crate::clock::now_millis;
use crate::error::{Error, Invalid, Result};
use crate::store::{Authenticated, Claim, StoredResponse};
use crate::vault::Place;

/// The request header.
pub const HEADER: &str = "idempotency-key";

/// The response header that marks a replay.
pub const REPLAYED: &str = "idempotent-replayed";

/// Longest key accepted.
const MAX_KEY_LENGTH: usize = 255;

/// Largest response kept for replay; a larger one frees the key.
const MAX_KEPT_RESPONSE: usize = 16 * 1024 * 1024;

/// How long a claimed key with no response is taken to be still running;
/// after that its request is taken to have died with its server.
const RUNNING_FOR_AT_MOST_MS: i64 = 5 * 60 * 1000;

/// Middleware (after authentication): applies `Idempotency-Key`.
pub async fn middleware(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if !matches!(
        *request.method(),
        Method::POST | Method::PATCH | Method::DELETE
    ) {
        return next.run(request).await;
    }
    let Some(key) = request.headers().get(HEADER) else {
        return next.run(request).await;
    };
    match idempotent(&state, key.as_bytes().to_vec(), request, next).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn idempotent(
    state: &AppState,
    key: Vec<u8>,
    request: Request,
    next: Next,
) -> Result<Response> {
    let key = String::from_utf8(key)
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LENGTH)
        .filter(|k| k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            Error::bad_request(format!(
                "the Idempotency-Key header must be 1 to {MAX_KEY_LENGTH} visible ASCII \
                 characters, such as a UUID"
            ))
        })?;
    let grant = *request
        .extensions()
        .get::<Authenticated>()
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("idempotency before authentication")))?;
    let (parts, body) = request.into_parts();
    let bytes = super::body::read_bytes(&parts.headers, body).await?;
    let fingerprint = {
        let mut digest = Sha256::new();
        digest.update(grant.key_id.to_le_bytes());
        digest.update(parts.method.as_str().as_bytes());
        digest.update([0]);
        digest.update(parts.uri.path().as_bytes());
        digest.update([0]);
        digest.update(parts.uri.query().unwrap_or_default().as_bytes());
        digest.update([0]);
        digest.update(&bytes);
        data_encoding::HEXLOWER.encode(&digest.finalize())
    };

    let engine = &state.engine;
    let store = engine.store();
    let now = now_millis();
    match store
        .claim_idempotency_key(grant.scope, &key, &fingerprint, now)
        .await?
    {
        Claim::Fresh => {}
        Claim::Replay(kept) => return replay(state, grant, &key, kept).await,
        Claim::Mismatch => {
            return Err(Error::Invalid(vec![Invalid::new(
                "",
                "this Idempotency-Key was used with another request (API key, method, path, \
                 query or body); send a new key with a new request",
            )]))
        }
        Claim::Running { since } if now - since < RUNNING_FOR_AT_MOST_MS => {
            return Err(Error::Conflict(
                "a request with this Idempotency-Key is still running; retry in a moment".into(),
            ))
        }
        Claim::Running { .. } => {
            return Err(Error::Conflict(
                "the first request with this Idempotency-Key never finished (its server \
                 stopped while it ran), so whether it took effect is unknown: check the \
                 records, then send the request with a new key"
                    .into(),
            ))
        }
    }

    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = response.status();
    let transient = status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT;
    if transient {
        store.release_idempotency_key(grant.scope, &key).await?;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let header_text = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let kept = match axum::body::to_bytes(body, MAX_KEPT_RESPONSE).await {
        Ok(bytes) => bytes,
        Err(error) => {
            store.release_idempotency_key(grant.scope, &key).await?;
            return Err(Error::Internal(anyhow::anyhow!(
                "a response could not be kept for replay: {error}"
            )));
        }
    };
    let body = String::from_utf8_lossy(&kept).into_owned();
    engine.vault().ensure_data_key(store, grant.scope).await?;
    let sealed = engine.vault().seal(grant.scope, &place(&key), &body)?;
    store
        .keep_idempotent_response(
            grant.scope,
            &key,
            &StoredResponse {
                status: parts.status.as_u16(),
                content_type: header_text(header::CONTENT_TYPE),
                etag: header_text(header::ETAG),
                body: sealed,
            },
        )
        .await?;
    Ok(Response::from_parts(parts, Body::from(kept)))
}

/// Where a kept response body is sealed: bound to its key.
fn place(key: &str) -> Place<'_> {
    Place {
        table: "idempotency_keys",
        row: 0,
        column: key,
        version: 0,
    }
}

/// The kept response, opened, marked as a replay.
async fn replay(
    state: &AppState,
    grant: Authenticated,
    key: &str,
    kept: StoredResponse,
) -> Result<Response> {
    let vault = state.engine.vault();
    vault
        .ensure_data_key(state.engine.store(), grant.scope)
        .await?;
    let body = vault
        .open(grant.scope, &place(key), &kept.body)?
        .to_string();
    let status = StatusCode::from_u16(kept.status)
        .map_err(|_| Error::Internal(anyhow::anyhow!("a kept status is not HTTP")))?;
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    for (name, value) in [
        (header::CONTENT_TYPE, kept.content_type),
        (header::ETAG, kept.etag),
    ] {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, value);
        }
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    Ok(response)
}
