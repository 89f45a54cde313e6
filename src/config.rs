//! Command-line flags and `MORTAR_*` environment variables, in one typed
//! form per command. Nothing reads configuration from a global.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use crate::store::StoreConfig;

/// Where the data lives (shared by every command).
#[derive(Clone, Args)]
pub struct StoreArgs {
    /// Directory for the SQLite database, attachments and the master key file.
    #[arg(long, env = "MORTAR_DATA_DIR", default_value = "./mortar-data")]
    pub data_dir: PathBuf,
    /// Database URL: `postgres://user@host/db` runs on PostgreSQL; default is SQLite in the data directory.
    #[arg(long, env = "MORTAR_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl std::fmt::Debug for StoreArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreArgs")
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .finish()
    }
}

/// A database URL with any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl StoreArgs {
    /// The store configuration these flags describe.
    pub fn store_config(&self, max_connections: u32) -> StoreConfig {
        StoreConfig {
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone(),
            max_connections,
        }
    }
}

/// A base64 master key given on the command line or in `MORTAR_MASTER_KEY`.
/// Its `Debug` never shows it.
#[derive(Clone)]
pub struct MasterKeyText(String);

impl MasterKeyText {
    /// The key text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for MasterKeyText {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(MasterKeyText(s.to_string()))
    }
}

impl std::fmt::Debug for MasterKeyText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `mortar demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Organizations to add.
    #[arg(long, default_value_t = 10)]
    pub organizations: u32,
    /// Configurations (devices) per organization.
    #[arg(long, default_value_t = 50)]
    pub configurations_per_organization: u32,
    /// The account to fill, made if missing (default: the first account).
    #[arg(long)]
    pub account: Option<String>,
    /// Seed of the generator: the same seed and sizes make the same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Where the data lives.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Where attachment, avatar and upload contents are kept, as `mortar
    /// serve` is given it: `file` (under the data directory) or
    /// `s3://BUCKET[/PREFIX]?endpoint=URL&region=R`.
    #[arg(long, env = "MORTAR_BLOB_STORE", default_value = "file")]
    pub blob_store: crate::files::BlobStoreConfig,
    /// The vault master key (base64, 32 bytes) that seals the sample
    /// assets' passwords; default: `master.key` in the data directory.
    #[arg(long = "master-key", env = "MORTAR_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<MasterKeyText>,
}

/// `mortar import`.
#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The source API's base URL: the hosted product's
    /// (`https://api.itglue.com`, `https://api.eu.itglue.com`) or another
    /// Mortar's.
    #[arg(long)]
    pub from: String,
    /// The source's API key. For password values it needs password access.
    #[arg(long, env = "MORTAR_IMPORT_KEY", hide_env_values = true)]
    pub key: String,
    /// The account to fill, made if missing (default: the first account).
    #[arg(long)]
    pub account: Option<String>,
    /// Only these organizations (their ids at the source, comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub organizations: Vec<String>,
    /// At most this many requests a second to the source (the hosted
    /// product allows 3,000 per 5 minutes, which is 10 a second).
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// Where the data lives.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Where attachment and upload contents are kept, as `mortar serve` is
    /// given it: `file` (under the data directory) or
    /// `s3://BUCKET[/PREFIX]?endpoint=URL&region=R`.
    #[arg(long, env = "MORTAR_BLOB_STORE", default_value = "file")]
    pub blob_store: crate::files::BlobStoreConfig,
    /// The vault master key (base64, 32 bytes) that seals the imported
    /// passwords; default: `master.key` in the data directory.
    #[arg(long = "master-key", env = "MORTAR_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<MasterKeyText>,
}

/// `mortar backup`.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// The backup file to write (a zstd-compressed tar; must not exist yet).
    #[arg(long)]
    pub to: PathBuf,
    /// Where the data lives (as `mortar serve` is given it).
    #[command(flatten)]
    pub store: StoreArgs,
    /// Where attachment, avatar and upload contents are kept, as `mortar
    /// serve` is given it: `file` (under the data directory) or
    /// `s3://BUCKET[/PREFIX]?endpoint=URL&region=R`.
    #[arg(long, env = "MORTAR_BLOB_STORE", default_value = "file")]
    pub blob_store: crate::files::BlobStoreConfig,
    /// The vault master key, when the server gets it this way; only used to
    /// say where the key the backup needs is (it is never written into it).
    #[arg(long = "master-key", env = "MORTAR_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<MasterKeyText>,
}

/// `mortar restore`.
#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The backup file `mortar backup` wrote.
    #[arg(long)]
    pub from: PathBuf,
    /// Where to restore: `--data-dir` (new, or empty but for `master.key`)
    /// and, for a PostgreSQL backup, `--database-url` (an empty database).
    #[command(flatten)]
    pub store: StoreArgs,
    /// Where the restored attachment, avatar and upload contents go, as the
    /// server will be given it: `file` (under the data directory) or
    /// `s3://BUCKET[/PREFIX]?endpoint=URL&region=R`.
    #[arg(long, env = "MORTAR_BLOB_STORE", default_value = "file")]
    pub blob_store: crate::files::BlobStoreConfig,
    /// Replace the database and attachments of a directory (or database)
    /// that has some.
    #[arg(long)]
    pub force: bool,
}

/// `mortar serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "MORTAR_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Where the data lives.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Requests each API key may make per window.
    #[arg(long, env = "MORTAR_RATE_LIMIT_REQUESTS", default_value_t = 3000)]
    pub rate_limit_requests: u64,
    /// Length of the rate-limit window, in seconds.
    #[arg(long, env = "MORTAR_RATE_LIMIT_WINDOW_SECS", default_value_t = 300)]
    pub rate_limit_window_secs: u64,
    /// Redis that keeps the rate-limit counters, so that several servers
    /// behind one load balancer give each key its limit in total (e.g.
    /// `redis://127.0.0.1:6379`); default: counters in this process.
    #[arg(long, env = "MORTAR_REDIS_URL")]
    pub redis_url: Option<String>,
    /// The prefix of this installation's keys in Redis (when several share one).
    #[arg(long, env = "MORTAR_REDIS_PREFIX", default_value = "mortar")]
    pub redis_prefix: String,
    /// Base URL that response links use (e.g. `https://docs.example.com`); default: the Host the client used.
    #[arg(long, env = "MORTAR_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The vault master key (base64, 32 bytes); default: `master.key` in the data directory.
    #[arg(long = "master-key", env = "MORTAR_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<MasterKeyText>,
    /// Where attachment, avatar and upload contents are kept: `file` (under
    /// the data directory) or `s3://BUCKET[/PREFIX]?endpoint=URL&region=R`
    /// (credentials from `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`).
    #[arg(long, env = "MORTAR_BLOB_STORE", default_value = "file")]
    pub blob_store: crate::files::BlobStoreConfig,
    /// The longest life of an OAuth2 access token, in seconds (a token
    /// request may ask for less with `duration`).
    #[arg(long, env = "MORTAR_TOKEN_LIFETIME_SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub token_lifetime_secs: u64,
    /// The email of the Administrator user the first start makes (when the
    /// database has no user yet).
    #[arg(long, env = "MORTAR_ADMIN_EMAIL", default_value = "admin@mortar.local")]
    pub admin_email: String,
    /// How often the views users make are added to the user metrics, in
    /// seconds (a crash loses at most this long's views).
    #[arg(long, env = "MORTAR_METRICS_FLUSH_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub metrics_flush_secs: u64,
    /// How long clients may take, and how many are served at once.
    #[command(flatten)]
    pub connections: ConnectionArgs,
    /// Sessions of the web interface.
    #[command(flatten)]
    pub web: WebArgs,
    /// The background job workers.
    #[command(flatten)]
    pub jobs: JobArgs,
    /// Webhook deliveries.
    #[command(flatten)]
    pub webhooks: WebhookArgs,
}

/// How webhook deliveries are made (`mortar serve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct WebhookArgs {
    /// Allow webhook URLs on loopback, private, link-local and other
    /// non-public addresses (refused by default, against server-side
    /// request forgery).
    #[arg(long, env = "MORTAR_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
    /// Attempts at one delivery before it is given up (retried with the
    /// job queue's exponential backoff, `--job-retry-base-secs`).
    #[arg(long, env = "MORTAR_WEBHOOK_ATTEMPTS", default_value_t = 8,
          value_parser = clap::value_parser!(i64).range(1..=25))]
    pub webhook_attempts: i64,
    /// Failed attempts in a row after which a subscription is disabled
    /// (with the reason shown on it).
    #[arg(long, env = "MORTAR_WEBHOOK_FAILURE_LIMIT", default_value_t = 20,
          value_parser = clap::value_parser!(i64).range(1..))]
    pub webhook_failure_limit: i64,
    /// Seconds a receiver has to answer a delivery.
    #[arg(long, env = "MORTAR_WEBHOOK_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub webhook_timeout_secs: u64,
    /// Days a finished delivery stays in the outbox before the hourly
    /// clean-up removes it.
    #[arg(long, env = "MORTAR_WEBHOOK_RETENTION_DAYS", default_value_t = 7)]
    pub webhook_retention_days: u64,
}

impl Default for WebhookArgs {
    fn default() -> WebhookArgs {
        WebhookArgs {
            webhook_allow_private: false,
            webhook_attempts: 8,
            webhook_failure_limit: 20,
            webhook_timeout_secs: 10,
            webhook_retention_days: 7,
        }
    }
}

/// The job queue's workers in `mortar serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct JobArgs {
    /// Jobs this server runs at once; 0 runs none (an API-only instance).
    #[arg(long, env = "MORTAR_JOB_WORKERS", default_value_t = 4)]
    pub job_workers: usize,
    /// Milliseconds between looks for due jobs when idle (PostgreSQL also
    /// wakes workers at once when a job is added).
    #[arg(long, env = "MORTAR_JOB_POLL_MS", default_value_t = 1000)]
    pub job_poll_ms: u64,
    /// Seconds a running job's lease lasts without renewal: a job whose
    /// server died runs again this long after it stopped.
    #[arg(long, env = "MORTAR_JOB_LEASE_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub job_lease_secs: u64,
    /// Seconds running jobs may take to finish at shutdown before they are
    /// handed back to the queue.
    #[arg(long, env = "MORTAR_JOB_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub job_shutdown_grace_secs: u64,
    /// Seconds before a failed job's first retry; doubled at each retry.
    #[arg(long, env = "MORTAR_JOB_RETRY_BASE_SECS", default_value_t = 10)]
    pub job_retry_base_secs: u64,
    /// The longest wait between retries, in seconds.
    #[arg(long, env = "MORTAR_JOB_RETRY_CAP_SECS", default_value_t = 3600)]
    pub job_retry_cap_secs: u64,
    /// Hours a finished job stays listed before the hourly clean-up removes it.
    #[arg(long, env = "MORTAR_JOB_RETENTION_HOURS", default_value_t = 168)]
    pub job_retention_hours: u64,
    /// Days the change feed (`GET /changes`) keeps a change before the
    /// hourly clean-up removes it.
    #[arg(long, env = "MORTAR_CHANGE_RETENTION_DAYS", default_value_t = 30)]
    pub change_retention_days: u64,
    /// Days an export (and its file) is kept before the hourly clean-up
    /// removes it.
    #[arg(long, env = "MORTAR_EXPORT_RETENTION_DAYS", default_value_t = 7)]
    pub export_retention_days: u64,
}

impl Default for JobArgs {
    fn default() -> JobArgs {
        JobArgs {
            job_workers: 4,
            job_poll_ms: 1000,
            job_lease_secs: 60,
            job_shutdown_grace_secs: 10,
            job_retry_base_secs: 10,
            job_retry_cap_secs: 3600,
            job_retention_hours: 168,
            change_retention_days: 30,
            export_retention_days: 7,
        }
    }
}

/// Limits that keep slow or stalled clients from holding the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Args)]
pub struct ConnectionArgs {
    /// Seconds a client has to send a request's headers; a kept-alive
    /// connection that starts no new request in this time is closed too.
    #[arg(long, env = "MORTAR_HEADER_TIMEOUT_SECS", default_value_t = 30)]
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a request's body (408 after that).
    #[arg(long, env = "MORTAR_BODY_TIMEOUT_SECS", default_value_t = 60)]
    pub body_timeout_secs: u64,
    /// Connections served at once; one more is answered 503 and closed.
    #[arg(long, env = "MORTAR_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
}

impl Default for ConnectionArgs {
    fn default() -> ConnectionArgs {
        ConnectionArgs {
            header_timeout_secs: 30,
            body_timeout_secs: 60,
            max_connections: 1024,
        }
    }
}

impl Default for WebArgs {
    fn default() -> WebArgs {
        WebArgs {
            idle_minutes: 60,
            max_hours: 12,
            require_totp: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command, KeysCommand};
    use clap::Parser as _;

    const ENV: &[&str] = &[
        "MORTAR_LISTEN",
        "MORTAR_DATA_DIR",
        "MORTAR_DATABASE_URL",
        "MORTAR_RATE_LIMIT_REQUESTS",
        "MORTAR_RATE_LIMIT_WINDOW_SECS",
        "MORTAR_PUBLIC_URL",
        "MORTAR_MASTER_KEY",
        "MORTAR_HEADER_TIMEOUT_SECS",
        "MORTAR_BODY_TIMEOUT_SECS",
        "MORTAR_MAX_CONNECTIONS",
        "MORTAR_JOB_WORKERS",
        "MORTAR_JOB_POLL_MS",
        "MORTAR_JOB_LEASE_SECS",
        "MORTAR_JOB_SHUTDOWN_GRACE_SECS",
        "MORTAR_JOB_RETRY_BASE_SECS",
        "MORTAR_JOB_RETRY_CAP_SECS",
        "MORTAR_JOB_RETENTION_HOURS",
    ];

    fn serve(args: &[&str]) -> ServeArgs {
        let cli = Cli::try_parse_from(["mortar", "serve"].iter().chain(args)).unwrap();
        match cli.command {
            Command::Serve(args) => args,
            other => panic!("{other:?}"),
        }
    }

    fn keys_create(args: &[&str]) -> (String, Option<String>, bool, StoreArgs) {
        let cli = Cli::try_parse_from(["mortar", "keys", "create"].iter().chain(args)).unwrap();
        match cli.command {
            Command::Keys {
                command:
                    KeysCommand::Create {
                        name,
                        account,
                        password_access,
                        store,
                        ..
                    },
            } => (name, account, password_access, store),
            other => panic!("{other:?}"),
        }
    }

    /// Every flag of `serve` and `keys`, its `MORTAR_*` variable and its
    /// default, as the command-line contract names them. One test, because
    /// the environment is shared by the whole process.
    #[test]
    fn serve_and_keys_take_the_contracted_flags_env_vars_and_defaults() {
        for name in ENV {
            std::env::remove_var(name);
        }

        let defaults = serve(&[]);
        assert_eq!(defaults.listen, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(defaults.store.data_dir, PathBuf::from("./mortar-data"));
        assert_eq!(defaults.store.database_url, None);
        assert_eq!(defaults.rate_limit_requests, 3000);
        assert_eq!(defaults.rate_limit_window_secs, 300);
        assert_eq!(defaults.public_url, None);
        assert!(defaults.master_key.is_none());
        assert_eq!(defaults.connections, ConnectionArgs::default());
        assert_eq!(defaults.connections.header_timeout_secs, 30);
        assert_eq!(defaults.connections.body_timeout_secs, 60);
        assert_eq!(defaults.connections.max_connections, 1024);
        assert_eq!(defaults.jobs, JobArgs::default());
        assert_eq!(
            (
                defaults.jobs.job_workers,
                defaults.jobs.job_poll_ms,
                defaults.jobs.job_lease_secs,
                defaults.jobs.job_shutdown_grace_secs,
                defaults.jobs.job_retry_base_secs,
                defaults.jobs.job_retry_cap_secs,
                defaults.jobs.job_retention_hours
            ),
            (4, 1000, 60, 10, 10, 3600, 168)
        );
        let jobs = serve(&[
            "--job-workers",
            "0",
            "--job-poll-ms",
            "50",
            "--job-lease-secs",
            "2",
            "--job-shutdown-grace-secs",
            "0",
            "--job-retry-base-secs",
            "1",
            "--job-retry-cap-secs",
            "8",
            "--job-retention-hours",
            "24",
            "--change-retention-days",
            "7",
            "--export-retention-days",
            "3",
        ])
        .jobs;
        assert_eq!(
            jobs,
            JobArgs {
                job_workers: 0,
                job_poll_ms: 50,
                job_lease_secs: 2,
                job_shutdown_grace_secs: 0,
                job_retry_base_secs: 1,
                job_retry_cap_secs: 8,
                job_retention_hours: 24,
                change_retention_days: 7,
                export_retention_days: 3,
            }
        );
        assert!(
            Cli::try_parse_from(["mortar", "serve", "--job-lease-secs", "0"]).is_err(),
            "a lease lasts at least a second"
        );
        assert_eq!(defaults.webhooks, WebhookArgs::default());
        assert_eq!(
            serve(&[
                "--webhook-allow-private",
                "--webhook-attempts",
                "3",
                "--webhook-failure-limit",
                "2",
                "--webhook-timeout-secs",
                "5",
                "--webhook-retention-days",
                "1",
            ])
            .webhooks,
            WebhookArgs {
                webhook_allow_private: true,
                webhook_attempts: 3,
                webhook_failure_limit: 2,
                webhook_timeout_secs: 5,
                webhook_retention_days: 1,
            }
        );

        let flags = serve(&[
            "--listen",
            "0.0.0.0:8080",
            "--data-dir",
            "/srv/mortar",
            "--database-url",
            "postgres://mortar@db/mortar",
            "--rate-limit-requests",
            "10",
            "--rate-limit-window-secs",
            "60",
            "--public-url",
            "https://docs.example.com",
            "--master-key",
            "a2V5",
            "--header-timeout-secs",
            "5",
            "--body-timeout-secs",
            "6",
            "--max-connections",
            "7",
        ]);
        assert_eq!(flags.listen, "0.0.0.0:8080".parse().unwrap());
        assert_eq!(flags.store.data_dir, PathBuf::from("/srv/mortar"));
        assert_eq!(
            flags.store.database_url.as_deref(),
            Some("postgres://mortar@db/mortar")
        );
        assert_eq!(flags.rate_limit_requests, 10);
        assert_eq!(flags.rate_limit_window_secs, 60);
        assert_eq!(
            flags.public_url.as_deref(),
            Some("https://docs.example.com")
        );
        assert_eq!(flags.master_key.unwrap().expose(), "a2V5");
        assert_eq!(
            flags.connections,
            ConnectionArgs {
                header_timeout_secs: 5,
                body_timeout_secs: 6,
                max_connections: 7
            }
        );

        let (name, account, password_access, store) = keys_create(&["--name", "sync"]);
        assert_eq!(name, "sync");
        assert_eq!(account, None, "the first account by default");
        assert!(!password_access);
        assert_eq!(store.data_dir, PathBuf::from("./mortar-data"));
        assert_eq!(store.database_url, None);
        let (_, account, password_access, store) = keys_create(&[
            "--name",
            "sync",
            "--account",
            "Contoso",
            "--password-access",
            "--data-dir",
            "/srv/mortar",
            "--database-url",
            "postgres://mortar@db/mortar",
        ]);
        assert_eq!(account.as_deref(), Some("Contoso"));
        assert!(password_access);
        assert_eq!(store.data_dir, PathBuf::from("/srv/mortar"));
        assert_eq!(
            store.database_url.as_deref(),
            Some("postgres://mortar@db/mortar")
        );
        assert!(
            Cli::try_parse_from(["mortar", "keys", "create"]).is_err(),
            "--name is required"
        );
        for listing in [
            &["mortar", "keys", "list", "--data-dir", "/srv/mortar"][..],
            &["mortar", "keys", "revoke", "3", "--data-dir", "/srv/mortar"][..],
        ] {
            let cli = Cli::try_parse_from(listing).unwrap();
            let store = match cli.command {
                Command::Keys {
                    command: KeysCommand::List { store } | KeysCommand::Revoke { store, .. },
                } => store,
                other => panic!("{other:?}"),
            };
            assert_eq!(store.data_dir, PathBuf::from("/srv/mortar"), "{listing:?}");
        }

        let values = [
            ("MORTAR_LISTEN", "127.0.0.1:4000"),
            ("MORTAR_DATA_DIR", "/var/lib/mortar"),
            ("MORTAR_DATABASE_URL", "postgres://env@db/mortar"),
            ("MORTAR_RATE_LIMIT_REQUESTS", "7"),
            ("MORTAR_RATE_LIMIT_WINDOW_SECS", "9"),
            ("MORTAR_PUBLIC_URL", "https://env.example.com"),
            ("MORTAR_MASTER_KEY", "ZW52"),
            ("MORTAR_HEADER_TIMEOUT_SECS", "11"),
            ("MORTAR_BODY_TIMEOUT_SECS", "12"),
            ("MORTAR_MAX_CONNECTIONS", "13"),
            ("MORTAR_JOB_WORKERS", "2"),
            ("MORTAR_JOB_LEASE_SECS", "5"),
        ];
        for (name, value) in values {
            std::env::set_var(name, value);
        }
        let from_env = serve(&[]);
        let (_, _, _, keys_store) = keys_create(&["--name", "sync"]);
        let flag_wins = serve(&["--listen", "127.0.0.1:5000"]);
        for name in ENV {
            std::env::remove_var(name);
        }
        assert_eq!(from_env.listen, "127.0.0.1:4000".parse().unwrap());
        assert_eq!(from_env.store.data_dir, PathBuf::from("/var/lib/mortar"));
        assert_eq!(
            from_env.store.database_url.as_deref(),
            Some("postgres://env@db/mortar")
        );
        assert_eq!(from_env.rate_limit_requests, 7);
        assert_eq!(from_env.rate_limit_window_secs, 9);
        assert_eq!(
            from_env.public_url.as_deref(),
            Some("https://env.example.com")
        );
        assert_eq!(from_env.master_key.unwrap().expose(), "ZW52");
        assert_eq!(
            from_env.connections,
            ConnectionArgs {
                header_timeout_secs: 11,
                body_timeout_secs: 12,
                max_connections: 13
            }
        );
        assert_eq!(from_env.jobs.job_workers, 2);
        assert_eq!(from_env.jobs.job_lease_secs, 5);
        assert_eq!(keys_store.data_dir, PathBuf::from("/var/lib/mortar"));
        assert_eq!(
            keys_store.database_url.as_deref(),
            Some("postgres://env@db/mortar")
        );
        assert_eq!(flag_wins.listen, "127.0.0.1:5000".parse().unwrap());
    }

    #[test]
    fn master_keys_never_show_in_debug() {
        let key: MasterKeyText = "c2VjcmV0".parse().unwrap();
        assert_eq!(format!("{key:?}"), "[redacted]");
        assert_eq!(key.expose(), "c2VjcmV0");
    }

    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://mortar:s3cret@db/mortar"),
            "postgres://mortar:***@db/mortar"
        );
        assert_eq!(
            redact_url("postgres://postgres@db/x"),
            "postgres://postgres@db/x"
        );
        assert_eq!(redact_url("sqlite://file.db"), "sqlite://file.db");
    }
}

/// Sessions of the web interface (`/ui/`).
#[derive(Debug, Clone, Copy, Args)]
pub struct WebArgs {
    /// A session unused this many minutes ends.
    #[arg(long = "session-idle-minutes", env = "MORTAR_SESSION_IDLE_MINUTES", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=10_080))]
    pub idle_minutes: u64,
    /// A session ends this many hours after sign-in, used or not.
    #[arg(long = "session-max-hours", env = "MORTAR_SESSION_MAX_HOURS", default_value_t = 12,
          value_parser = clap::value_parser!(u64).range(1..=720))]
    pub max_hours: u64,
    /// Every user enrols a second factor (TOTP), not only Administrators.
    #[arg(long = "require-totp", env = "MORTAR_REQUIRE_TOTP")]
    pub require_totp: bool,
}
