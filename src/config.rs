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
    /// Base URL that response links use (e.g. `https://docs.example.com`); default: the Host the client used.
    #[arg(long, env = "MORTAR_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The vault master key (base64, 32 bytes); default: `master.key` in the data directory.
    #[arg(long = "master-key", env = "MORTAR_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<MasterKeyText>,
}

#[cfg(test)]
mod tests {
    use super::*;

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
