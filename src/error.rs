//! The one error type of the HTTP API and its JSON:API rendering.
//!
//! Every failure a client can see is a variant here, with its status code in
//! [`Error::status`]. Unexpected failures become a 500 whose detail is generic;
//! their cause chain is logged once, here, with the request id. Errors raised
//! where no HTTP client waits (CLI, start-up) use `anyhow` instead.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::http::request_id;

/// One problem with one part of a request body, reported in a 422.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// JSON pointer into the request document, e.g. `/data/attributes/name`.
    pub pointer: String,
    /// What is wrong, in words a script author can act on.
    pub detail: String,
}

/// Problems as one line: `pointer: detail; ...`.
fn describe(problems: &[Invalid]) -> String {
    problems
        .iter()
        .map(|p| format!("{}: {}", p.pointer, p.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Invalid {
    /// A problem at `pointer`.
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Invalid {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

/// Every error the API can answer with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: malformed JSON, a bad query parameter, an unknown filter/sort/include.
    #[error("{detail}")]
    BadRequest {
        /// What is wrong.
        detail: String,
        /// The query parameter at fault, when there is one.
        parameter: Option<String>,
    },
    /// 401: no `x-api-key` header.
    #[error("missing API key")]
    MissingKey,
    /// 403: the key is unknown or revoked.
    #[error("invalid API key")]
    InvalidKey,
    /// 403: the key may not do this (e.g. password values without password access).
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such route or record (in this account).
    #[error("{0}")]
    NotFound(String),
    /// 409: the request clashes with another in progress or of unknown
    /// outcome (an `Idempotency-Key` in use).
    #[error("{0}")]
    Conflict(String),
    /// 412: an `If-Match` precondition failed: the record changed since
    /// the client read it.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 405: the route exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 413: the body exceeds the payload limit.
    #[error("request body exceeds {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 408: the client took too long to send the request's body.
    #[error("the request body did not arrive in time; send it again")]
    RequestTimeout,
    /// 415: a body with a media type the API does not read.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: one entry per problem found in the body.
    #[error("validation failed: {}", describe(.0))]
    Invalid(Vec<Invalid>),
    /// 429: the key's request budget for this window is spent.
    #[error("rate limit exceeded")]
    RateLimited {
        /// Seconds until the window resets.
        retry_after: u64,
    },
    /// 503: the database cannot take the request now (a deadlock or
    /// serialization failure that outlived its retries, a pool that timed
    /// out, a connection that went away); the client may retry.
    #[error("the database is busy or unavailable; retry in {retry_after} seconds")]
    Unavailable {
        /// Seconds to wait before retrying.
        retry_after: u64,
    },
    /// 503: the server is serving as many connections as it may.
    #[error("the server is at its connection limit; retry in a moment")]
    AtConnectionLimit,
    /// 500: anything unexpected. The detail never reaches the client.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        if is_transient(&error) {
            tracing::warn!(error = %error, "the database could not take a request");
            return Error::Unavailable { retry_after: 1 };
        }
        Error::Internal(anyhow::Error::new(error))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(error: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(failure, _) = &error {
            if matches!(
                failure.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) {
                tracing::warn!(error = %error, "the database could not take a request");
                return Error::Unavailable { retry_after: 1 };
            }
        }
        Error::Internal(anyhow::Error::new(error))
    }
}

impl From<r2d2::Error> for Error {
    /// No reader connection came free in time.
    fn from(error: r2d2::Error) -> Self {
        tracing::warn!(error = %error, "no database connection came free");
        Error::Unavailable { retry_after: 1 }
    }
}

/// Whether a database error passes if the work is tried again: PostgreSQL's
/// deadlock (`40P01`) and serialization failure (`40001`), a PostgreSQL
/// session ended by the server going down or an administrator (`57P01`,
/// `57P02`, `57P03`), SQLite's busy and locked, and a pool or connection
/// that is (for now) out of reach.
fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(e) => matches!(
            e.code().as_deref(),
            Some(
                "40P01" | "40001" | "57P01" | "57P02" | "57P03" | "5" | "6" | "517" | "261" | "262"
            )
        ),
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        _ => false,
    }
}

impl Error {
    /// A 400 about a query parameter.
    pub fn bad_parameter(parameter: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::BadRequest {
            detail: detail.into(),
            parameter: Some(parameter.into()),
        }
    }

    /// A 400 about the request as a whole.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Error::BadRequest {
            detail: detail.into(),
            parameter: None,
        }
    }

    /// A 422 with a single problem.
    pub fn invalid(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::Invalid(vec![Invalid::new(pointer, detail)])
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Error::MissingKey => StatusCode::UNAUTHORIZED,
            Error::InvalidKey | Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Error::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Unavailable { .. } | Error::AtConnectionLimit => StatusCode::SERVICE_UNAVAILABLE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON:API error document (without the request id), for what
    /// answers outside the router (a connection refused before a request).
    pub fn document(&self) -> Value {
        json!({ "errors": self.error_objects() })
    }

    /// The stable machine code of this error, beside the JSON:API members
    /// (`docs/API-CONVENTIONS.md` lists every code): what an integration
    /// branches on, where `detail` is for people and may be reworded.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest {
                parameter: Some(_), ..
            } => "invalid_parameter",
            Error::BadRequest { .. } => "bad_request",
            Error::MissingKey => "missing_credentials",
            Error::InvalidKey => "invalid_credentials",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::MethodNotAllowed => "method_not_allowed",
            Error::Conflict(_) => "conflict",
            Error::PreconditionFailed(_) => "precondition_failed",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::RequestTimeout => "request_timeout",
            Error::UnsupportedMediaType(_) => "unsupported_media_type",
            Error::Invalid(_) => "validation_error",
            Error::RateLimited { .. } => "rate_limited",
            Error::Unavailable { .. } => "unavailable",
            Error::AtConnectionLimit => "overloaded",
            Error::Internal(_) => "internal_error",
        }
    }

    fn error_objects(&self) -> Vec<Value> {
        let status = self.status();
        let title = status.canonical_reason().unwrap_or("Error");
        let code = self.code();
        let object = |detail: String, source: Option<Value>| {
            let mut map = Map::new();
            map.insert("status".into(), json!(status.as_u16().to_string()));
            map.insert("code".into(), json!(code));
            map.insert("title".into(), json!(title));
            map.insert("detail".into(), json!(detail));
            if let Some(source) = source {
                map.insert("source".into(), source);
            }
            Value::Object(map)
        };
        match self {
            Error::BadRequest {
                detail,
                parameter: Some(p),
            } => vec![object(detail.clone(), Some(json!({ "parameter": p })))],
            Error::Invalid(problems) => problems
                .iter()
                .map(|p| object(p.detail.clone(), Some(json!({ "pointer": p.pointer }))))
                .collect(),
            Error::MissingKey => vec![object(
                "No API key was given: send it in the x-api-key header (or an OAuth2 access token as Authorization: Bearer).".into(),
                None,
            )],
            Error::InvalidKey => vec![object(
                "The API key is unknown or has been revoked.".into(),
                None,
            )],
            Error::RateLimited { retry_after } => vec![object(
                format!("Too many requests for this API key; retry in {retry_after} seconds."),
                None,
            )],
            Error::Internal(_) => vec![object(
                "Something went wrong on our side; the request id identifies it in the server log."
                    .into(),
                None,
            )],
            other => vec![object(other.to_string(), None)],
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let request_id = request_id::current();
        if let Error::Internal(cause) = &self {
            tracing::error!(request_id = %request_id.as_deref().unwrap_or("-"), error = ?cause, "request failed");
        }
        let mut body = self.document();
        if let Some(id) = &request_id {
            body["meta"] = json!({ "request-id": id });
        }
        let mut response = (self.status(), body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(crate::jsonapi::MEDIA_TYPE),
        );
        if let Error::RateLimited { retry_after } | Error::Unavailable { retry_after } = self {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

/// Result alias for code that answers HTTP clients.
pub type Result<T, E = Error> = std::result::Result<T, E>;
