//! The HTTP surface: router assembly from the resource definitions, the
//! middleware stack, and path normalisation for the scripts MSPs already run.

pub mod auth;
mod body;
mod changes;
mod conditional;
mod copilot;
pub(crate) mod files;
mod handlers;
mod health;
pub mod idempotency;
pub mod metrics;
mod oauth;
mod passwords;
pub mod request_id;
mod search;
mod webhooks;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::RawPathParams;
use axum::extract::Request;
use axum::http::Uri;
use axum::http::{HeaderMap, Method};
use axum::routing::{any, get, MethodRouter};
use axum::Router;

use crate::engine::Engine;
use crate::error::Error;
use crate::resources::{Parent, Resource, ALL};

/// Largest request body, files included (the reference's 10 MB).
pub const BODY_LIMIT: usize = 10 * 1024 * 1024;

/// What every handler shares.
pub struct AppState {
    /// The engine every route calls.
    pub engine: Engine,
    /// Cached key lookups.
    pub keys: auth::KeyCache,
    /// Per-key request counters.
    pub limiter: auth::RateLimiter,
    /// Base URL for links, when configured (else taken from the Host header).
    pub public_url: Option<String>,
    /// Timeouts and the connection limit.
    pub connections: crate::config::ConnectionArgs,
    /// Web interface sessions.
    pub web: crate::config::WebArgs,
    /// The longest life of an OAuth2 access token, in seconds.
    pub token_lifetime_secs: u64,
    /// How often counted views are added to the user metrics.
    pub metrics_flush: std::time::Duration,
    /// How webhook URLs are checked and deliveries made.
    pub webhooks: crate::config::WebhookArgs,
}

/// The API router with its middleware, before path normalisation.
pub fn router(state: Arc<AppState>) -> Router {
    let mut api = Router::new()
        .route(
            "/passwords/generate",
            axum::routing::post(passwords::generate_password),
        )
        .route("/passwords/{id}/audit", get(passwords::audit))
        .route("/changes", get(changes::list))
        .route("/search", get(search::search))
        .route(
            "/copilot_smart_assist/documents",
            get(copilot::list)
                .patch(copilot::archive)
                .delete(copilot::delete),
        )
        .route(
            "/organizations/{organization_id}/copilot_smart_assist/documents",
            axum::routing::patch(copilot::archive).delete(copilot::delete),
        )
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route(
            "/webhooks/{id}",
            get(webhooks::show)
                .patch(webhooks::update)
                .delete(webhooks::delete),
        )
        .route("/attachments/{id}/download", get(files::download))
        .route("/users/{id}/avatar", get(files::avatar))
        .route("/exports/{id}/download", get(files::export));
    for resource in ALL.iter().copied() {
        api = register(api, resource);
    }
    // Layers run outside in: the key check, then `Idempotency-Key`.
    api.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        idempotency::middleware,
    ))
    .route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        auth::middleware,
    ))
    // Outside the key check, so refusals are counted too.
    .route_layer(axum::middleware::from_fn(metrics::middleware))
    // Added after the key check, so these answer without a key.
    .route("/healthz", get(health::live))
    .route("/oauth/token", axum::routing::post(oauth::token))
    .route("/openapi.json", get(openapi))
    .route("/metrics", get(metrics::render))
    .route("/readyz", get(health::ready))
    .merge(crate::web::router())
    .fallback(|| async { Error::NotFound("no such route".into()) })
    .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
    .layer(axum::extract::DefaultBodyLimit::disable())
    .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        std::time::Duration::from_secs(state.connections.body_timeout_secs),
    ))
    .layer(axum::middleware::from_fn(request_id::middleware))
    .with_state(state)
}

/// `GET /openapi.json`: the API's description, made once per process.
async fn openapi() -> axum::response::Response {
    use axum::response::IntoResponse as _;
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = DOCUMENT.get_or_init(|| crate::openapi::document().to_string());
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.clone(),
    )
        .into_response()
}

/// Answers a connection over the limit with a 503 JSON:API error and
/// closes it, before reading anything.
pub async fn refuse_connection(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt as _;
    let refusal = Error::AtConnectionLimit;
    let body = refusal.document().to_string();
    let response = format!(
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nRetry-After: 1\r\n\
         Connection: close\r\nContent-Length: {}\r\n\r\n{body}",
        refusal.status(),
        crate::jsonapi::MEDIA_TYPE,
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Rewrites a request path to the canonical route form: drops an `/api`
/// prefix and trailing slashes, and turns dashes into underscores
/// (`/configuration-types/` -> `/configuration_types`).
pub fn normalize_path(mut request: Request) -> Request {
    let uri = request.uri();
    let path = uri.path();
    let mut normalized = path
        .strip_prefix("/api")
        .filter(|p| p.is_empty() || p.starts_with('/'))
        .unwrap_or(path);
    while normalized.len() > 1 && normalized.ends_with('/') {
        normalized = &normalized[..normalized.len() - 1];
    }
    let normalized = if normalized.is_empty() {
        "/".to_string()
    } else {
        normalized.replace('-', "_")
    };
    if normalized != path {
        let rebuilt = match uri.query() {
            Some(q) => format!("{normalized}?{q}"),
            None => normalized,
        };
        if let Ok(new_uri) = rebuilt.parse::<Uri>() {
            *request.uri_mut() = new_uri;
        }
    }
    request
}

fn register(
    mut router: Router<Arc<AppState>>,
    resource: &'static Resource,
) -> Router<Arc<AppState>> {
    let ops = resource.ops;
    if !(ops.list || ops.show || ops.create || ops.update || ops.bulk_delete) {
        // Reached only through includes.
        return router;
    }
    if ops.top_level {
        router = router.route(&format!("/{}", resource.route), collection(resource, None));
        if ops.show || ops.update || ops.delete {
            router = router.route(
                &format!("/{}/{{id}}", resource.route),
                member(resource, None),
            );
        }
    }
    for parent in resource.parents() {
        let nested = format!(
            "/{}/{{parent_id}}/relationships/{}",
            parent.route, resource.route
        );
        router = router
            .route(&nested, collection(resource, Some(parent)))
            .route(&format!("{nested}/{{id}}"), member(resource, Some(parent)));
    }
    router
}

fn collection(
    resource: &'static Resource,
    parent: Option<&'static Parent>,
) -> MethodRouter<Arc<AppState>> {
    any(
        move |ctx: handlers::Ctx,
              method: Method,
              path: Result<RawPathParams, RawPathParamsRejection>,
              headers: HeaderMap,
              body: Body| {
            handlers::collection(ctx, resource, parent, method, path, headers, body)
        },
    )
}

fn member(
    resource: &'static Resource,
    parent: Option<&'static Parent>,
) -> MethodRouter<Arc<AppState>> {
    any(
        move |ctx: handlers::Ctx,
              method: Method,
              path: Result<RawPathParams, RawPathParamsRejection>,
              headers: HeaderMap,
              body: Body| {
            handlers::member(ctx, resource, parent, method, path, headers, body)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(uri: &str) -> String {
        let request = Request::builder()
            .uri(uri)
            .body(axum::body::Body::empty())
            .unwrap();
        normalize_path(request).uri().to_string()
    }

    #[test]
    fn paths_are_normalised() {
        assert_eq!(path_of("/organizations/"), "/organizations");
        assert_eq!(path_of("/configurations/5/"), "/configurations/5");
        assert_eq!(
            path_of("/api/organizations?sort=name"),
            "/organizations?sort=name"
        );
        assert_eq!(path_of("/configuration-types"), "/configuration_types");
        assert_eq!(path_of("/apiary"), "/apiary");
        assert_eq!(path_of("/"), "/");
    }
}
