//! Mortar: a self-hosted IT documentation platform for managed service
//! providers, wire-compatible with the IT Glue REST API.
//!
//! The data path is one way: `http` (middleware, generic handlers) ->
//! `jsonapi` (query and document shapes) -> `resources` (definitions,
//! validation, hooks) -> `store` (the only SQL, scoped by account) ->
//! `activity` (one entry per change, same transaction).

#![warn(missing_docs)]

pub mod backup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod copilot;
pub mod demo;
pub mod engine;
pub mod error;
pub mod exports;
pub mod files;
pub mod http;
pub mod import;
pub mod jobs;
pub mod jsonapi;
pub mod names;
pub mod openapi;
pub mod query;
pub mod resources;
pub mod roles;
pub mod store;
pub mod vault;
pub mod web;
pub mod webhooks;

use std::future::Future;
use std::sync::Arc;

use std::time::Duration;

use anyhow::Context as _;
use axum::extract::{ConnectInfo, Request};
use tokio::net::TcpListener;
use tower::Layer as _;

use crate::config::ServeArgs;
use crate::engine::Engine;
use crate::http::auth::{KeyCache, RateLimiter};
use crate::http::AppState;
use crate::store::{Dialect, Store};

/// Logs to stderr; `RUST_LOG` picks the level (default `info`). Colours
/// only on a terminal: a log file or a service's journal gets plain text.
pub fn init_tracing() {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// The shared state of a server over `store`; loads the vault's master key
/// (refusing a missing or wrong one when secrets exist) and removes
/// attachment files no record references.
pub async fn build_state(store: Store, args: &ServeArgs) -> anyhow::Result<Arc<AppState>> {
    let data_dir = &args.store.data_dir;
    let vault = open_vault(
        &store,
        data_dir,
        args.master_key.as_ref().map(|k| k.expose()),
    )
    .await?;
    let limiter = RateLimiter::new(args.rate_limit_requests, args.rate_limit_window_secs);
    let limiter = match &args.redis_url {
        Some(url) => limiter.shared(url, &args.redis_prefix).await?,
        None => limiter,
    };
    // The metrics recorder, before anything is counted.
    http::metrics::handle();
    let files = open_blob_store(&args.blob_store, data_dir)?;
    let swept = sweep_blobs(&store, &args.blob_store, data_dir).await?;
    if swept > 0 {
        tracing::info!(
            files = swept,
            "removed blobs and export zips no record references"
        );
    }
    let engine = Engine::new(store, vault, files);
    let indexed = engine
        .build_search_index()
        .await
        .context("building the search index")?;
    if indexed > 0 {
        tracing::info!(entries = indexed, "built the search index");
    }
    Ok(Arc::new(AppState {
        engine,
        keys: KeyCache::default(),
        limiter,
        public_url: args.public_url.clone(),
        connections: args.connections,
        web: args.web,
        token_lifetime_secs: args.token_lifetime_secs,
        metrics_flush: Duration::from_secs(args.metrics_flush_secs),
        webhooks: args.webhooks,
    }))
}

/// The vault, with the master key given (`--master-key`) or kept in
/// `data_dir`'s `master.key`.
pub async fn open_vault(
    store: &Store,
    data_dir: &std::path::Path,
    master_key: Option<&str>,
) -> anyhow::Result<vault::Vault> {
    let master = vault::load_master_key(store, data_dir, master_key).await?;
    tracing::info!(fingerprint = %master.fingerprint(), "vault master key loaded");
    Ok(vault::Vault::new(master))
}

/// The blob store `config` names: files under `data_dir`, or a bucket.
pub fn open_blob_store(
    config: &files::BlobStoreConfig,
    data_dir: &std::path::Path,
) -> anyhow::Result<Arc<dyn files::BlobStore>> {
    Ok(match config {
        files::BlobStoreConfig::File => Arc::new(open_files(data_dir)?),
        files::BlobStoreConfig::S3 { .. } => Arc::new(open_s3(config)?),
    })
}

/// The bucket of an `s3://` blob store configuration.
fn open_s3(config: &files::BlobStoreConfig) -> anyhow::Result<files::S3BlobStore> {
    let files::BlobStoreConfig::S3 {
        bucket,
        prefix,
        endpoint,
        region,
    } = config
    else {
        anyhow::bail!("the blob store is not a bucket");
    };
    files::S3BlobStore::open(bucket, prefix, endpoint.as_deref(), region.as_deref())
        .with_context(|| format!("opening the S3 blob store in bucket {bucket}"))
}

/// Removes what a crash can leave behind, by one rule for files and
/// objects: blobs no row references and export zips no export records, last
/// written more than [`files::SWEEP_GRACE`] ago. How many went.
async fn sweep_blobs(
    store: &Store,
    config: &files::BlobStoreConfig,
    data_dir: &std::path::Path,
) -> anyhow::Result<usize> {
    let referenced = store.referenced_blobs().await?;
    let exports = store.referenced_exports().await?;
    // Exports are built under the data directory in both modes.
    let exports_dir = data_dir.join("exports");
    let mut swept = files::sweep_local_exports(&exports_dir, &exports, files::SWEEP_GRACE)
        .with_context(|| format!("sweeping the exports under {}", exports_dir.display()))?;
    swept += match config {
        files::BlobStoreConfig::File => open_files(data_dir)?
            .sweep(&referenced, files::SWEEP_GRACE)
            .with_context(|| {
                format!(
                    "sweeping the attachment directory under {}",
                    data_dir.display()
                )
            })?,
        files::BlobStoreConfig::S3 { bucket, .. } => open_s3(config)?
            .sweep(&referenced, &exports, files::SWEEP_GRACE)
            .await
            .with_context(|| format!("sweeping the S3 blob store in bucket {bucket}"))?,
    };
    Ok(swept)
}

/// The attachment files under `data_dir`.
pub fn open_files(data_dir: &std::path::Path) -> anyhow::Result<files::FsBlobStore> {
    let attachments = data_dir.join("attachments");
    files::FsBlobStore::open(&attachments)
        .with_context(|| format!("opening the attachment directory {}", attachments.display()))
}

/// Serves the API on `listener` until `shutdown` completes; in-flight
/// requests finish before this returns.
///
/// Each connection gets [`ConnectionArgs::header_timeout_secs`] to send a
/// request's headers (and to start the next one when kept alive) and
/// [`ConnectionArgs::body_timeout_secs`] for its body; past
/// [`ConnectionArgs::max_connections`] at once, a new connection is answered
/// 503 and closed, so stalled clients can neither hold the server nor run it
/// out of file descriptors.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let limits = state.connections;
    let (stop_flushing, stopped) = tokio::sync::oneshot::channel();
    let flusher = tokio::spawn(flush_views_every(state.clone(), stopped));
    let router = http::router(state.clone());
    let service = tower::util::MapRequestLayer::new(http::normalize_path).layer(router);
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // HTTP/1.1: its header timeout runs from the moment a connection waits
    // for a request, so a client that sends nothing is cut off too.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_timeout_secs));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors or a reset before accept: wait, go on.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tokio::spawn(http::refuse_connection(stream));
            continue;
        };
        let service = service.clone();
        let requests =
            hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                tower::ServiceExt::oneshot(service.clone(), request.map(axum::body::Body::new))
            });
        let connection = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), requests);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    // The views of the requests just finished go in before the server stops.
    let _ = stop_flushing.send(());
    let _ = flusher.await;
    Ok(())
}

/// Adds counted views to the user metrics every `metrics_flush`, and once
/// more when `stop` fires (a flush in progress is never cut short).
async fn flush_views_every(state: Arc<AppState>, mut stop: tokio::sync::oneshot::Receiver<()>) {
    let mut every = tokio::time::interval(state.metrics_flush);
    every.tick().await;
    loop {
        let stopping = tokio::select! {
            _ = every.tick() => false,
            _ = &mut stop => true,
        };
        if let Err(error) = state.engine.flush_views().await {
            tracing::warn!(%error, "could not add counted views to the user metrics; kept for the next try");
        }
        if stopping {
            return;
        }
    }
}

/// `mortar serve`: opens the store (creating and migrating it), makes the
/// first Administrator user and key on the very first start, and serves until SIGINT or SIGTERM.
pub async fn serve_until_signal(args: ServeArgs) -> anyhow::Result<()> {
    tracing::info!(config = ?args, "starting");
    let store = Store::open(&args.store.store_config(16)).await?;
    let state = build_state(store.clone(), &args).await?;
    first_start(&store, &args.admin_email).await?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let address = listener.local_addr().unwrap_or(args.listen);
    tracing::info!(%address, "listening");
    tokio::spawn(keep_statistics_fresh(store.clone()));
    if store.dialect() == Dialect::Postgres {
        tokio::spawn(keep_counts_folded(store.clone()));
    }
    let workers = start_workers(&state, &args).await?;
    // One signal stops both: the listener (in-flight requests finish) and
    // the job workers (running jobs finish within their grace period).
    let (stopping, stop) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stopping.send(true);
    });
    let http_stop = {
        let mut stop = stop.clone();
        async move {
            let _ = stop.wait_for(|stopping| *stopping).await;
        }
    };
    let jobs_stop = async move {
        let mut stop = stop;
        let _ = stop.wait_for(|stopping| *stopping).await;
        if let Some(workers) = workers {
            workers.shutdown().await;
        }
    };
    let (served, ()) = tokio::join!(serve(listener, state, http_stop), jobs_stop);
    served?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// On a database with no user, makes an Administrator user of the first
/// account; on one with no key, an administrator key (acting for that
/// user when both are new). Each secret is printed once.
async fn first_start(store: &Store, admin_email: &str) -> anyhow::Result<()> {
    let (account, _) = store.ensure_account(None).await?;
    let mut admin = None;
    if store.list_users(None).await?.is_empty() {
        let user = store::NewUser {
            email: admin_email,
            first_name: "Mortar",
            last_name: "Administrator",
            role: roles::Role::Administrator,
        };
        let created = store.create_user(&account, &user, None).await?;
        println!(
            "First start: created the Administrator user {admin_email} for account {:?}.",
            account.name
        );
        println!(
            "They sign in with this one-time password, shown only this once \
             (`mortar users reset-password --email {admin_email}` makes a new one):"
        );
        println!("{}", created.generated_password.unwrap_or_default());
        admin = Some(created.id);
    }
    if store.key_count().await? == 0 {
        let key = store
            .create_key(&account, "administrator", true, admin)
            .await?;
        println!(
            "First start: created an administrator API key for account {:?}.",
            account.name
        );
        println!("It is shown only this once; keep it safe:");
        println!("{}", key.secret);
    }
    Ok(())
}

/// Starts the job workers of `mortar serve` with the kinds Mortar runs
/// (exports, webhook deliveries, and the clean-ups of finished jobs,
/// expired idempotency keys, old changes, expired tokens, finished
/// deliveries and old exports);
/// `None` when `--job-workers` is 0.
pub async fn start_workers(
    state: &Arc<AppState>,
    serve: &ServeArgs,
) -> anyhow::Result<Option<jobs::Workers>> {
    let args = &serve.jobs;
    if args.job_workers == 0 {
        tracing::info!("job workers disabled (--job-workers 0)");
        return Ok(None);
    }
    let queue = jobs::Queue::new(state.engine.store().clone());
    let mut registry = jobs::Registry::new();
    jobs::register_prune(
        &mut registry,
        &queue,
        Duration::from_secs(args.job_retention_hours.saturating_mul(60 * 60)),
    );
    jobs::register_idempotency_prune(&mut registry, &queue);
    jobs::register_tokens_prune(&mut registry, &queue);
    jobs::register_changes_prune(
        &mut registry,
        &queue,
        Duration::from_secs(args.change_retention_days.saturating_mul(24 * 60 * 60)),
    );
    webhooks::register(&mut registry, &queue, state.clone(), serve.webhooks)?;
    exports::register(
        &mut registry,
        &queue,
        state.clone(),
        serve.store.data_dir.join("exports"),
        Duration::from_secs(args.export_retention_days.saturating_mul(24 * 60 * 60)),
    );
    let workers = jobs::Workers::start(queue, registry, jobs::WorkerConfig::from(args)).await?;
    Ok(Some(workers))
}

/// How often a running server refreshes the planner's statistics.
const OPTIMIZE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Refreshes the planner's statistics every [`OPTIMIZE_EVERY`], as the data
/// grows.
async fn keep_statistics_fresh(store: Store) {
    let mut every = tokio::time::interval(OPTIMIZE_EVERY);
    every.tick().await;
    loop {
        every.tick().await;
        if let Err(error) = store.optimize().await {
            tracing::warn!(%error, "could not refresh the planner's statistics");
        }
    }
}

/// How often a server on PostgreSQL folds the rows of its kept counts
/// ([`Store::fold_counts`]). A count sums the rows its organization's writes
/// added since the last fold: a few at this pace, however busy the writers.
const FOLD_COUNTS_EVERY: Duration = Duration::from_secs(2);

/// Folds the kept counts' rows every [`FOLD_COUNTS_EVERY`].
async fn keep_counts_folded(store: Store) {
    let mut every = tokio::time::interval(FOLD_COUNTS_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(error) = store.fold_counts().await {
            tracing::warn!(%error, "could not fold the kept counts; left for the next try");
        }
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
