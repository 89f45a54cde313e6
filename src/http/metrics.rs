//! Prometheus metrics at `GET /metrics` (no key, like the health routes:
//! keep it to the operators' network). Counters and histograms are kept by
//! the `metrics` facade and rendered by its Prometheus exporter; gauges
//! (database pool, job queue depth) are read when scraped.
//!
//! | Metric | Kind | Labels |
//! |---|---|---|
//! | `mortar_http_requests_total` | counter | `method`, `route`, `status` |
//! | `mortar_http_request_duration_seconds` | histogram | `method`, `route` |
//! | `mortar_rate_limited_total` | counter | |
//! | `mortar_vault_reveals_total` | counter | |
//! | `mortar_db_pool_connections` | gauge | `state` (`idle`, `in_use`) |
//! | `mortar_job_queue_depth` | gauge | |

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use super::AppState;

/// Requests answered.
pub const REQUESTS: &str = "mortar_http_requests_total";
/// Time to answer.
pub const DURATION: &str = "mortar_http_request_duration_seconds";
/// Requests refused for the key's rate limit.
pub const RATE_LIMITED: &str = "mortar_rate_limited_total";

/// The process's exporter, installed as the `metrics` recorder on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
            .expect("fixed buckets are valid")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder already installed (a test harness's) keeps its
        // place; this handle then renders nothing, which the tests notice.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Middleware: counts each routed request by method, route pattern and
/// status, and times it.
pub async fn middleware(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(DURATION, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`: the Prometheus text format.
pub async fn render(State(state): State<Arc<AppState>>) -> Response {
    let store = state.engine.store();
    let (size, idle) = store.pool_connections();
    metrics::gauge!("mortar_db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("mortar_db_pool_connections", "state" => "in_use")
        .set(f64::from(size) - idle as f64);
    match store.due_job_count().await {
        Ok(depth) => metrics::gauge!("mortar_job_queue_depth").set(depth as f64),
        Err(error) => tracing::warn!(%error, "metrics: could not read the job queue depth"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle().render(),
    )
        .into_response()
}
