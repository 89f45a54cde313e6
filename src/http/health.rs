//! `GET /healthz` and `GET /readyz`, without a key, for load balancers and
//! orchestrators: the process answers; the database answers too.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::handlers::document;
use super::AppState;
use crate::error::{Error, Result};

/// How long readiness waits for the database before answering 503.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// The process is up and serving.
pub async fn live() -> Response {
    document(StatusCode::OK, json!({"meta": {"status": "live"}}))
}

/// The database answers a query within [`READY_TIMEOUT`]; 503 with
/// `Retry-After` when it does not.
pub async fn ready(State(state): State<Arc<AppState>>) -> Result<Response> {
    match tokio::time::timeout(READY_TIMEOUT, state.engine.store().ping()).await {
        Ok(Ok(())) => Ok(document(
            StatusCode::OK,
            json!({"meta": {"status": "ready"}}),
        )),
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "readiness: the database does not answer");
            Err(Error::Unavailable { retry_after: 5 })
        }
        Err(_) => {
            tracing::warn!("readiness: the database did not answer in time");
            Err(Error::Unavailable { retry_after: 5 })
        }
    }
}
