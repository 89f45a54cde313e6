//! `POST /oauth/token`: OAuth2 client credentials (RFC 6749 §4.4). A client
//! made with `mortar clients create` sends its id and secret (form fields
//! or HTTP Basic) with `grant_type=client_credentials` and gets a bearer
//! token that works wherever `x-api-key` does, with the client's account
//! and password access, until it expires (`--token-lifetime-secs`, or
//! sooner with `duration`). Errors are RFC 6749 §5.2's JSON. Each issue
//! counts against the client's rate limit and is in the activity log.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::json;

use super::AppState;
use crate::clock::now_millis;
use crate::engine::activity::{self, Action, Entry};
use crate::store::{hash_key, Actor};

/// An RFC 6749 §5.2 error.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    retry_after: Option<u64>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status,
            error,
            description: description.into(),
            retry_after: None,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"mortar\""),
            );
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The handler.
pub(super) async fn token(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let ip = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip().to_string());
    let (parts, body) = request.into_parts();
    match issue(&state, ip, &parts.headers, body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn issue(
    state: &AppState,
    ip: Option<String>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    let invalid_request = |description: &str| {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    };
    let form = super::body::read_bytes(headers, body)
        .await
        .map_err(|_| invalid_request("the body could not be read"))?;
    let form: Vec<(String, String)> = form_urlencoded::parse(&form).into_owned().collect();
    let field = |name: &str| -> Result<Option<&str>, OAuthError> {
        let mut values = form
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(invalid_request(&format!("{name} is given more than once")));
        }
        Ok(first)
    };
    match field("grant_type")? {
        None => {
            return Err(invalid_request(
                "grant_type is required (client_credentials)",
            ))
        }
        Some("client_credentials") => {}
        Some(other) => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("grant_type {other:?} is not supported; use client_credentials"),
            ))
        }
    }
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.trim()
                .strip_prefix("Basic ")
                .or_else(|| v.trim().strip_prefix("basic "))
        })
        .map(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .and_then(|text| {
                    let (id, secret) = text.split_once(':')?;
                    Some((id.to_string(), secret.to_string()))
                })
                .ok_or_else(|| {
                    OAuthError::new(
                        StatusCode::UNAUTHORIZED,
                        "invalid_client",
                        "the Basic credentials are not base64 of client_id:client_secret",
                    )
                })
        })
        .transpose()?;
    let (client_id, secret) = match (basic, field("client_id")?, field("client_secret")?) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(invalid_request(
                "send the client's credentials either with HTTP Basic or in the body, not both",
            ))
        }
        (Some(pair), None, None) => pair,
        (None, Some(id), Some(secret)) => (id.to_string(), secret.to_string()),
        (None, _, _) => {
            return Err(OAuthError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client_id and client_secret are required (form fields or HTTP Basic)",
            ))
        }
    };
    let lifetime = i64::try_from(state.token_lifetime_secs).unwrap_or(i64::MAX / 1000);
    let lifetime = match field("duration")? {
        None => lifetime,
        Some(text) => match text.trim().parse::<i64>() {
            Ok(seconds) if (1..=lifetime).contains(&seconds) => seconds,
            _ => {
                return Err(invalid_request(&format!(
                    "duration must be a whole number of seconds from 1 to {lifetime}"
                )))
            }
        },
    };

    let store = state.engine.store();
    let server_error = |_| {
        OAuthError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "the database cannot take the request now; retry shortly",
        )
    };
    let found = store.find_client(&client_id).await.map_err(server_error)?;
    let unknown = || {
        OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "the client is unknown or revoked, or the secret is wrong",
        )
    };
    let (client, secret_hash) = found.ok_or_else(unknown)?;
    // Every attempt on a known client counts, so a secret cannot be guessed
    // faster than the client's rate limit.
    let now = crate::clock::now_millis() / 1000;
    let quota = state.limiter.hit(client.key_id, now.unsigned_abs()).await;
    if quota.exceeded {
        let mut error = OAuthError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "slow_down",
            "too many requests for this client; retry later",
        );
        error.retry_after = Some(quota.reset.saturating_sub(now.unsigned_abs()).max(1));
        return Err(error);
    }
    // Digests are compared, so timing tells nothing about the secret.
    if hash_key(&secret) != secret_hash {
        return Err(unknown());
    }
    let expires_at = now_millis() + lifetime * 1000;
    let token = store
        .issue_token(client.id, expires_at)
        .await
        .map_err(server_error)?;
    let actor = Actor {
        key_id: Some(client.key_id),
        user_id: None,
        ip,
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(512).collect()),
    };
    let entry = Entry {
        action: Action::IssueToken,
        resource_type: "OauthClient",
        resource_id: Some(client.id),
        resource_name: None,
        organization_id: None,
    };
    activity::record_now(store, client.scope, &actor, &[entry])
        .await
        .map_err(server_error)?;
    let body = json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": lifetime,
    });
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
