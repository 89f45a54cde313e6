//! The `mortar` command line: parsing and dispatch, no business logic.

use std::io::Write as _;

use clap::{Parser, Subcommand};

use anyhow::Context as _;

use crate::config::{BackupArgs, DemoArgs, ImportArgs, RestoreArgs, ServeArgs, StoreArgs};
use crate::roles::Role;

/// Mortar: self-hosted IT documentation for MSPs, speaking the IT Glue API.
#[derive(Debug, Parser)]
#[command(name = "mortar", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
// Parsed once at start-up: the size of the serve variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Run the API server.
    Serve(ServeArgs),
    /// Manage API keys (works whether or not a server is running).
    Keys {
        /// What to do with keys.
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage OAuth2 clients, which exchange their credentials for access
    /// tokens at `POST /oauth/token` (works whether or not a server is running).
    Clients {
        /// What to do with clients.
        #[command(subcommand)]
        command: ClientsCommand,
    },
    /// Manage the people of an account: create users, change roles,
    /// disable them, reset passwords (works whether or not a server is running).
    Users {
        /// What to do with users.
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Manage groups of users and the organizations given to them.
    Groups {
        /// What to do with groups.
        #[command(subcommand)]
        command: GroupsCommand,
    },
    /// Manage webhook subscriptions, which receive signed create, update,
    /// delete and reveal events (works whether or not a server is running).
    Webhooks {
        /// What to do with webhooks.
        #[command(subcommand)]
        command: WebhooksCommand,
    },
    /// Print the API's OpenAPI 3.1 document (what `GET /openapi.json` serves).
    Openapi,
    /// Fill an account with realistic sample data (organizations, sites,
    /// people, devices, domains, documents).
    Demo(DemoArgs),
    /// Bring a whole account from an IT Glue-compatible API: every record
    /// type, password values and attachments included; resumable (run it
    /// again after a stop) and reported at the end.
    Import(ImportArgs),
    /// Inspect the background job queue and retry failed jobs (works
    /// whether or not a server is running).
    Jobs {
        /// What to do with jobs.
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Write a consistent backup (database, attachments, manifest) to one
    /// file while the server runs; the master key is never inside.
    Backup(BackupArgs),
    /// Check a backup and rebuild a data directory (and, for PostgreSQL,
    /// an empty database) from it.
    Restore(RestoreArgs),
    /// Manage the password vault.
    Vault {
        /// What to do with the vault.
        #[command(subcommand)]
        command: VaultCommand,
    },
}

/// `mortar vault ...`.
#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Re-wrap every account's data key under a new master key (stop servers first).
    RotateMasterKey {
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
        /// The current master key (base64), when it is not in the data directory's key file.
        #[arg(long = "master-key", env = "MORTAR_MASTER_KEY", hide_env_values = true)]
        master_key: Option<crate::config::MasterKeyText>,
    },
}

/// A job state, as `mortar jobs list --state` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum JobStateArg {
    /// Waiting for its time or a worker.
    Queued,
    /// Held by a worker.
    Running,
    /// Finished.
    Done,
    /// Out of attempts; `mortar jobs retry` queues it again.
    Failed,
}

impl From<JobStateArg> for crate::jobs::JobState {
    fn from(state: JobStateArg) -> crate::jobs::JobState {
        match state {
            JobStateArg::Queued => crate::jobs::JobState::Queued,
            JobStateArg::Running => crate::jobs::JobState::Running,
            JobStateArg::Done => crate::jobs::JobState::Done,
            JobStateArg::Failed => crate::jobs::JobState::Failed,
        }
    }
}

/// `mortar jobs ...`.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List the newest jobs, with their state, attempts and last error.
    List {
        /// Only jobs in this state.
        #[arg(long, value_enum)]
        state: Option<JobStateArg>,
        /// How many jobs to show (newest first).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=10_000))]
        limit: i64,
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Queue a failed job again, with fresh attempts, to run now.
    Retry {
        /// The job's id, as `mortar jobs list` shows it.
        id: i64,
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `mortar keys ...`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it (once) on the last line of stdout.
    Create {
        /// A name to recognise the key by.
        #[arg(long)]
        name: String,
        /// The account the key acts for, made if missing (default: the first account).
        #[arg(long)]
        account: Option<String>,
        /// Allow the key to read and write password values.
        #[arg(long)]
        password_access: bool,
        /// The user the key acts for (by email): the activity log names
        /// them, their role bounds the key, and disabling them stops it.
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List keys (never their secrets).
    List {
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a key by id; a running server refuses it within seconds.
    Revoke {
        /// The key's id, as `mortar keys list` shows it.
        id: i64,
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Which user a command acts on.
#[derive(Debug, clap::Args)]
pub struct UserRef {
    /// The user's email address (in any case).
    #[arg(long)]
    email: String,
    /// The user's account (default: the first account).
    #[arg(long)]
    account: Option<String>,
    /// Where the data lives.
    #[command(flatten)]
    store: StoreArgs,
}

/// `mortar users ...`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user. Without `--password-stdin` a one-time sign-in
    /// password is made and shown once, on the last line of stdout.
    Create {
        /// Email address, unique in the account (in any case).
        #[arg(long)]
        email: String,
        /// First name.
        #[arg(long)]
        first_name: String,
        /// Last name.
        #[arg(long)]
        last_name: String,
        /// What the user may do (see docs/PEOPLE.md).
        #[arg(long, value_enum)]
        role: Role,
        /// The user's account, made if missing (default: the first account).
        #[arg(long)]
        account: Option<String>,
        /// Read the password (at least 12 characters) from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List users with their roles.
    List {
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Change a user's role; a running server applies it within seconds.
    SetRole {
        /// The user.
        #[command(flatten)]
        user: UserRef,
        /// The new role.
        #[arg(long, value_enum)]
        role: Role,
    },
    /// Disable a user (or `--enable` them again): they cannot sign in and
    /// their keys are refused within seconds.
    Disable {
        /// The user.
        #[command(flatten)]
        user: UserRef,
        /// Enable the user again instead.
        #[arg(long)]
        enable: bool,
    },
    /// Set a new password: read from stdin with `--password-stdin`, else
    /// made and shown once on the last line of stdout.
    ResetPassword {
        /// The user.
        #[command(flatten)]
        user: UserRef,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// `mortar groups ...`.
#[derive(Debug, Subcommand)]
pub enum GroupsCommand {
    /// Create a group, with its first members.
    Create {
        /// The group's name, unique in the account.
        #[arg(long)]
        name: String,
        /// The group's account (default: the first account).
        #[arg(long)]
        account: Option<String>,
        /// A member, by email (repeat for more).
        #[arg(long = "user", value_name = "EMAIL")]
        users: Vec<String>,
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List groups with their member counts.
    List {
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Add members (by email) or organizations (by id) to a group.
    Add(GroupChange),
    /// Remove members (by email) or organizations (by id) from a group.
    Remove(GroupChange),
}

/// Who and what `mortar groups add` and `remove` change.
#[derive(Debug, clap::Args)]
pub struct GroupChange {
    /// The group's name.
    #[arg(long)]
    name: String,
    /// The group's account (default: the first account).
    #[arg(long)]
    account: Option<String>,
    /// A member, by email (repeat for more).
    #[arg(long = "user", value_name = "EMAIL")]
    users: Vec<String>,
    /// An organization, by id (repeat for more): organizations'
    /// `filter[group_id]` finds the organizations given to a group.
    #[arg(long = "organization", value_name = "ID")]
    organizations: Vec<i64>,
    /// Where the data lives.
    #[command(flatten)]
    store: StoreArgs,
}

/// `mortar clients ...`.
#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Create a client; its id and secret are shown once, as the last two
    /// lines of stdout (`client_id: ...`, `client_secret: ...`).
    Create {
        /// A name to recognise the client by.
        #[arg(long)]
        name: String,
        /// The account its tokens act for, made if missing (default: the first account).
        #[arg(long)]
        account: Option<String>,
        /// Allow its tokens to read and write password values.
        #[arg(long)]
        password_access: bool,
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List clients (never their secrets).
    List {
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a client by id; a running server refuses its tokens within seconds.
    Revoke {
        /// The client's id, as `mortar clients list` shows it.
        id: i64,
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `mortar webhooks ...`.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Create a subscription; its id and signing secret are shown once, as
    /// the last two lines of stdout (`webhook_id: ...`, `secret: ...`).
    Create {
        /// Where deliveries are POSTed (http or https).
        #[arg(long)]
        url: String,
        /// The events wanted, a comma list of create, update, delete, reveal.
        #[arg(long, default_value = "create,update,delete,reveal")]
        events: String,
        /// Only records of this JSON:API type (repeat for more); default: every type.
        #[arg(long = "type")]
        types: Vec<String>,
        /// Only records of this organization.
        #[arg(long)]
        organization: Option<i64>,
        /// The account it belongs to, made if missing (default: the first account).
        #[arg(long)]
        account: Option<String>,
        /// Accept a URL on a loopback or private address (as the server's
        /// flag of the same name allows delivering to it).
        #[arg(long, env = "MORTAR_WEBHOOK_ALLOW_PRIVATE")]
        webhook_allow_private: bool,
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
        /// The vault master key (base64), when it is not in the data directory's key file.
        #[arg(long = "master-key", env = "MORTAR_MASTER_KEY", hide_env_values = true)]
        master_key: Option<crate::config::MasterKeyText>,
    },
    /// List subscriptions of every account (never their secrets).
    List {
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delete a subscription by id, with its undelivered events.
    Delete {
        /// The subscription's id, as `mortar webhooks list` shows it.
        id: i64,
        /// Where the data lives.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => crate::serve_until_signal(args).await,
        Command::Keys { command } => keys(command).await,
        Command::Users { command } => users(command).await,
        Command::Groups { command } => groups(command).await,
        Command::Webhooks { command } => webhooks(command).await,
        Command::Clients { command } => clients(command).await,
        Command::Openapi => {
            println!("{:#}", crate::openapi::document());
            Ok(())
        }
        Command::Vault { command } => vault(command).await,
        Command::Jobs { command } => jobs(command).await,
        Command::Demo(args) => demo(args).await,
        Command::Import(args) => import(args).await,
        Command::Backup(args) => backup(args).await,
        Command::Restore(args) => restore(args).await,
    }
}

async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let data_dir = &args.store.data_dir;
    let summary = crate::backup::backup(
        data_dir,
        args.store.database_url.as_deref(),
        bucket_of(&args.blob_store, data_dir)?,
        &args.to,
    )
    .await?;
    let manifest = &summary.manifest;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Backup written to {}: {} rows in {} tables, {} attachments, {}, in {:.1}s.",
        args.to.display(),
        manifest.rows(),
        manifest.tables.len(),
        manifest.attachments,
        crate::backup::human_bytes(summary.size),
        summary.elapsed.as_secs_f64()
    )?;
    let key_file = data_dir.join(crate::vault::KEY_FILE);
    let (place, key) = match &args.master_key {
        Some(text) => (
            "MORTAR_MASTER_KEY (or --master-key)".to_string(),
            crate::vault::MasterKey::from_base64(text.expose()).ok(),
        ),
        None => (
            key_file.display().to_string(),
            crate::vault::MasterKey::read_file(&key_file).ok(),
        ),
    };
    let needed = manifest.vault_fingerprint.as_deref().unwrap_or("none yet");
    writeln!(
        out,
        "The master key is NOT in the backup. Its secrets need master key {needed}, which the \
         server reads from {place}: keep a copy of that key apart from the backups (without it, \
         restored passwords cannot be read)."
    )?;
    if let (Some(key), Some(fingerprint)) = (key, manifest.vault_fingerprint.as_deref()) {
        if key.fingerprint() != fingerprint {
            writeln!(
                out,
                "Warning: the key in {place} is {}, not {fingerprint}; find the key {fingerprint} \
                 before you need this backup.",
                key.fingerprint()
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

/// The bucket `config` names, or `None` for files under the data directory
/// (which backup and restore read and write as files).
fn bucket_of(
    config: &crate::files::BlobStoreConfig,
    data_dir: &std::path::Path,
) -> anyhow::Result<Option<std::sync::Arc<dyn crate::files::BlobStore>>> {
    Ok(match config {
        crate::files::BlobStoreConfig::File => None,
        crate::files::BlobStoreConfig::S3 { .. } => Some(crate::open_blob_store(config, data_dir)?),
    })
}

async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let data_dir = &args.store.data_dir;
    let summary = crate::backup::restore(
        &args.from,
        data_dir,
        args.store.database_url.as_deref(),
        args.force,
        bucket_of(&args.blob_store, data_dir)?,
    )
    .await?;
    let manifest = &summary.manifest;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Restored {} into {}{}: {} rows in {} tables, {} attachments, in {:.1}s.",
        args.from.display(),
        data_dir.display(),
        args.store
            .database_url
            .as_deref()
            .map(|url| format!(" and {}", crate::config::redact_url(url)))
            .unwrap_or_default(),
        manifest.rows(),
        manifest.tables.len(),
        manifest.attachments,
        summary.elapsed.as_secs_f64()
    )?;
    if let Some(fingerprint) = manifest.vault_fingerprint.as_deref() {
        let key_file = data_dir.join(crate::vault::KEY_FILE);
        match crate::vault::MasterKey::read_file(&key_file) {
            Ok(key) if key.fingerprint() == fingerprint => writeln!(
                out,
                "{} holds master key {fingerprint}, the one the secrets need.",
                key_file.display()
            )?,
            _ => writeln!(
                out,
                "The master key is not in the backup: before `mortar serve`, put the key \
                 {fingerprint} in {} (mode 0600) or give it as MORTAR_MASTER_KEY.",
                key_file.display()
            )?,
        }
    }
    out.flush()?;
    Ok(())
}

/// The engine a command that fills an account writes through (`demo`,
/// `import`): the vault's master key and the file store as `serve` finds
/// them, and the search index built first, so the server does not index
/// again what the command indexes as it writes.
async fn writing_engine(
    store: &crate::store::Store,
    store_args: &StoreArgs,
    blob_store: &crate::files::BlobStoreConfig,
    master_key: Option<&crate::config::MasterKeyText>,
) -> anyhow::Result<crate::engine::Engine> {
    let vault =
        crate::open_vault(store, &store_args.data_dir, master_key.map(|k| k.expose())).await?;
    let files = crate::open_blob_store(blob_store, &store_args.data_dir)?;
    let engine = crate::engine::Engine::new(store.clone(), vault, files);
    engine
        .build_search_index()
        .await
        .context("building the search index")?;
    Ok(engine)
}

async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let store = crate::store::Store::open(&args.store.store_config(2))
        .await
        .context("opening the store")?;
    let (account, _) = store
        .ensure_account(args.account.as_deref())
        .await
        .context("finding the account to fill")?;
    let options = crate::demo::DemoOptions {
        organizations: args.organizations,
        configurations_per_organization: args.configurations_per_organization,
        seed: args.seed,
    };
    let engine = writing_engine(
        &store,
        &args.store,
        &args.blob_store,
        args.master_key.as_ref(),
    )
    .await?;
    let result = crate::demo::load(&engine, &account, options).await;
    store.close().await;
    result?;
    Ok(())
}

async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let source = crate::import::Source::new(&args.from, &args.key, args.rate)?;
    let store = crate::store::Store::open(&args.store.store_config(2))
        .await
        .context("opening the store")?;
    let result = async {
        let (account, _) = store
            .ensure_account(args.account.as_deref())
            .await
            .context("finding the account to fill")?;
        let engine = writing_engine(
            &store,
            &args.store,
            &args.blob_store,
            args.master_key.as_ref(),
        )
        .await?;
        eprintln!(
            "Importing from {} into account {:?}, at most {} requests a second.",
            source.base(),
            account.name,
            args.rate
        );
        crate::import::run(&engine, account.scope(), &source, &args.organizations).await
    }
    .await;
    store.close().await;
    let report = result?;
    print!("{}", report.render());
    if !report.failures.is_empty() || !report.mismatched_files.is_empty() {
        anyhow::bail!(
            "{} records were not imported and {} files differ (listed above); \
             fix what the reasons say and run the same command again: it continues",
            report.failures.len(),
            report.mismatched_files.len()
        );
    }
    Ok(())
}

async fn jobs(command: JobsCommand) -> anyhow::Result<()> {
    use crate::jobs::{Queue, RetryFailed};
    match command {
        JobsCommand::List {
            state,
            limit,
            store,
        } => {
            let store = crate::store::Store::open(&store.store_config(2)).await?;
            let listed = Queue::new(store.clone())
                .list(state.map(Into::into), limit)
                .await;
            store.close().await;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:<8} {:<24} {:<8} {:<8} {:<8} {:<24} error",
                "id", "kind", "state", "attempts", "account", "run after"
            )?;
            for job in listed? {
                let error = job.last_error.as_deref().unwrap_or("-");
                let error: String = error.chars().take(120).collect();
                writeln!(
                    out,
                    "{:<8} {:<24} {:<8} {:<8} {:<8} {:<24} {}",
                    job.id,
                    job.kind,
                    job.state.as_str(),
                    format!("{}/{}", job.attempts, job.max_attempts),
                    job.scope
                        .map(|s| s.account_id().to_string())
                        .unwrap_or_else(|| "-".into()),
                    crate::clock::format_millis(job.run_after),
                    error.replace('\n', " "),
                )?;
            }
            out.flush()?;
        }
        JobsCommand::Retry { id, store } => {
            let store = crate::store::Store::open(&store.store_config(2)).await?;
            let outcome = Queue::new(store.clone()).retry(id).await;
            store.close().await;
            match outcome? {
                RetryFailed::Requeued => println!("Job {id} is queued again."),
                RetryFailed::NotFound => anyhow::bail!("no job with id {id}"),
                RetryFailed::NotFailed(state) => anyhow::bail!(
                    "job {id} is {}, not failed: only a failed job can be retried",
                    state.as_str()
                ),
                RetryFailed::Duplicate => anyhow::bail!(
                    "job {id} cannot be queued again: another job of the same key is already queued or running"
                ),
            }
        }
    }
    Ok(())
}

async fn vault(command: VaultCommand) -> anyhow::Result<()> {
    match command {
        VaultCommand::RotateMasterKey { store, master_key } => {
            let data_dir = store.data_dir.clone();
            let store = crate::store::Store::open(&store.store_config(2)).await?;
            let rotated = crate::vault::rotate_master_key(
                &store,
                &data_dir,
                master_key.as_ref().map(|k| k.expose()),
            )
            .await?;
            store.close().await;
            let fingerprint = &rotated.fingerprint;
            let mut out = std::io::stdout().lock();
            match rotated.pending_env_key {
                None => writeln!(
                    out,
                    "Rotated: every data key is now wrapped by master key {fingerprint}, written to {}.",
                    data_dir.join(crate::vault::KEY_FILE).display()
                )?,
                Some(path) => {
                    writeln!(
                        out,
                        "Rotated: every data key is now wrapped by master key {fingerprint}."
                    )?;
                    writeln!(
                        out,
                        "The new key is in {} (mode 0600); the old MORTAR_MASTER_KEY no longer opens the vault.",
                        path.display()
                    )?;
                    writeln!(
                        out,
                        "Set MORTAR_MASTER_KEY to that file's contents, then start the server: it removes the file once it starts with the new key."
                    )?;
                }
            }
            out.flush()?;
        }
    }
    Ok(())
}

async fn clients(command: ClientsCommand) -> anyhow::Result<()> {
    match command {
        ClientsCommand::Create {
            name,
            account,
            password_access,
            store,
        } => {
            let store = crate::store::Store::open(&store.store_config(2)).await?;
            let (account, _) = store.ensure_account(account.as_deref()).await?;
            let client = store
                .create_client(&account, &name, password_access)
                .await?;
            store.close().await;
            println!(
                "Created OAuth2 client {} ({name}) for account {:?}{}. Exchange these at \
                 POST /oauth/token with grant_type=client_credentials; the secret is shown once:",
                client.id,
                account.name,
                if password_access {
                    " with password access"
                } else {
                    ""
                }
            );
            println!("client_id: {}", client.client_id);
            println!("client_secret: {}", client.secret);
        }
        ClientsCommand::List { store } => {
            let store = crate::store::Store::open(&store.store_config(2)).await?;
            println!(
                "{:<6} {:<20} {:<24} {:<52} {:<9} {:<26} revoked",
                "id", "account", "name", "client_id", "passwords", "created"
            );
            for client in store.list_clients().await? {
                println!(
                    "{:<6} {:<20} {:<24} {:<52} {:<9} {:<26} {}",
                    client.id,
                    client.account_name,
                    client.name,
                    client.client_id,
                    if client.password_access { "yes" } else { "no" },
                    crate::clock::format_millis(client.created_at),
                    client
                        .revoked_at
                        .map(crate::clock::format_millis)
                        .unwrap_or_else(|| "-".into()),
                );
            }
            store.close().await;
        }
        ClientsCommand::Revoke { id, store } => {
            let store = crate::store::Store::open(&store.store_config(2)).await?;
            let revoked = store.revoke_client(id).await?;
            store.close().await;
            if !revoked {
                anyhow::bail!("no active client with id {id}; `mortar clients list` shows them");
            }
            println!("Revoked client {id}; its tokens are refused within seconds.");
        }
    }
    Ok(())
}

async fn webhooks(command: WebhooksCommand) -> anyhow::Result<()> {
    match command {
        WebhooksCommand::Create {
            url,
            events,
            types,
            organization,
            account,
            webhook_allow_private,
            store: args,
            master_key,
        } => {
            let store = crate::store::Store::open(&args.store_config(2)).await?;
            let (account, _) = store.ensure_account(account.as_deref()).await?;
            let scope = crate::store::Scope::new(account.id);
            let vault = crate::open_vault(
                &store,
                &args.data_dir,
                master_key.as_ref().map(|k| k.expose()),
            )
            .await?;
            let draft = crate::webhooks::Draft {
                url: Some(url),
                events: Some(
                    events
                        .split(',')
                        .map(|e| e.trim().to_string())
                        .filter(|e| !e.is_empty())
                        .collect(),
                ),
                resource_types: Some((!types.is_empty()).then_some(types)),
                organization_id: Some(organization),
                enabled: Some(true),
            };
            let settled =
                crate::webhooks::settle(&store, scope, draft, None, webhook_allow_private, "--")
                    .await;
            let settings = match settled {
                Ok(settings) => settings,
                Err(crate::error::Error::Invalid(problems)) => {
                    store.close().await;
                    let text: Vec<String> = problems
                        .iter()
                        .map(|p| format!("--{}", p.detail.trim_start_matches('-')))
                        .collect();
                    anyhow::bail!("{}", text.join("; "));
                }
                Err(other) => return Err(other.into()),
            };
            let (webhook, secret) =
                crate::webhooks::create(&store, &vault, scope, &settings, None).await?;
            store.close().await;
            println!(
                "Created webhook {} for account {:?}: {} to {}. Verify deliveries with this \
                 signing secret; it is shown once:",
                webhook.id,
                account.name,
                webhook.events.join(","),
                webhook.url
            );
            println!("webhook_id: {}", webhook.id);
            println!("secret: {secret}");
        }
        WebhooksCommand::List { store } => {
            let store = crate::store::Store::open(&store.store_config(2)).await?;
            println!(
                "{:<6} {:<8} {:<28} {:<24} {:<8} {:<8} url",
                "id", "account", "events", "types", "org", "enabled"
            );
            for webhook in store.list_webhooks(None).await? {
                println!(
                    "{:<6} {:<8} {:<28} {:<24} {:<8} {:<8} {}{}",
                    webhook.id,
                    webhook.account_id,
                    webhook.events.join(","),
                    webhook
                        .resource_types
                        .map(|t| t.join(","))
                        .unwrap_or_else(|| "*".into()),
                    webhook
                        .organization_id
                        .map(|o| o.to_string())
                        .unwrap_or_else(|| "*".into()),
                    if webhook.enabled { "yes" } else { "no" },
                    webhook.url,
                    webhook
                        .disabled_reason
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default(),
                );
            }
            store.close().await;
        }
        WebhooksCommand::Delete { id, store } => {
            let store = crate::store::Store::open(&store.store_config(2)).await?;
            let mut tx = store.begin().await?;
            let deleted = tx.delete_webhook(None, id).await?;
            tx.commit().await?;
            store.close().await;
            if !deleted {
                anyhow::bail!("no webhook with id {id}; `mortar webhooks list` shows them");
            }
            println!("Deleted webhook {id}; its undelivered events go with it.");
        }
    }
    Ok(())
}

async fn keys(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create {
            name,
            account,
            password_access,
            user,
            store,
        } => {
            let store = crate::store::Store::open(&store.store_config(2)).await?;
            let (account, _) = store.ensure_account(account.as_deref()).await?;
            let user_id = match &user {
                Some(email) => Some(store.user_id(&account, email).await?),
                None => None,
            };
            let key = store
                .create_key(&account, &name, password_access, user_id)
                .await?;
            println!(
                "Created key {} ({name}) for account {:?}{}{}. It is shown once:",
                key.id,
                key.account_name,
                user.map(|email| format!(" acting for {email}"))
                    .unwrap_or_default(),
                if password_access {
                    " with password access"
                } else {
                    ""
                }
            );
            println!("{}", key.secret);
            store.close().await;
        }
        KeysCommand::List { store } => {
            let store = crate::store::Store::open(&store.store_config(2)).await?;
            println!(
                "{:<6} {:<20} {:<24} {:<14} {:<9} {:<26} revoked",
                "id", "account", "name", "prefix", "passwords", "created"
            );
            for key in store.list_keys().await? {
                println!(
                    "{:<6} {:<20} {:<24} {:<14} {:<9} {:<26} {}",
                    key.id,
                    key.account_name,
                    key.name,
                    format!("{}…", key.prefix),
                    if key.password_access { "yes" } else { "no" },
                    crate::clock::format_millis(key.created_at),
                    key.revoked_at
                        .map(crate::clock::format_millis)
                        .unwrap_or_else(|| "-".into()),
                );
            }
            store.close().await;
        }
        KeysCommand::Revoke { id, store } => {
            let store = crate::store::Store::open(&store.store_config(2)).await?;
            let revoked = store.revoke_key(id).await?;
            store.close().await;
            if !revoked {
                anyhow::bail!("no active key with id {id}");
            }
            println!("Revoked key {id}.");
        }
    }
    Ok(())
}

/// The first line of stdin, without its line ending.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

async fn users(command: UsersCommand) -> anyhow::Result<()> {
    match command {
        UsersCommand::Create {
            email,
            first_name,
            last_name,
            role,
            account,
            password_stdin,
            store,
        } => {
            let password = password_stdin.then(password_from_stdin).transpose()?;
            let store = crate::store::Store::open(&store.store_config(2)).await?;
            let (account, _) = store.ensure_account(account.as_deref()).await?;
            let user = crate::store::NewUser {
                email: &email,
                first_name: &first_name,
                last_name: &last_name,
                role,
            };
            let created = store
                .create_user(&account, &user, password.as_deref())
                .await;
            store.close().await;
            let created = created?;
            println!(
                "Created user {} ({email}, {role}) in account {:?}.",
                created.id, account.name
            );
            if let Some(password) = created.generated_password {
                println!("Their one-time sign-in password is shown once:");
                println!("{password}");
            }
        }
        UsersCommand::List { store } => {
            let store = crate::store::Store::open(&store.store_config(2)).await?;
            let users = store.list_users(None).await;
            store.close().await;
            println!(
                "{:<6} {:<20} {:<32} {:<24} {:<14} {:<26} disabled",
                "id", "account", "email", "name", "role", "created"
            );
            for user in users? {
                println!(
                    "{:<6} {:<20} {:<32} {:<24} {:<14} {:<26} {}",
                    user.id,
                    user.account_name,
                    user.email,
                    user.name,
                    user.role,
                    crate::clock::format_millis(user.created_at),
                    user.disabled_at
                        .map(crate::clock::format_millis)
                        .unwrap_or_else(|| "-".into()),
                );
            }
        }
        UsersCommand::SetRole { user, role } => {
            let (store, scope, id) = open_user(&user).await?;
            let done = store.set_user_role(scope, id, role).await;
            store.close().await;
            done?;
            println!("{} is now {role}.", user.email);
        }
        UsersCommand::Disable { user, enable } => {
            let (store, scope, id) = open_user(&user).await?;
            let done = store.set_user_disabled(scope, id, !enable).await;
            store.close().await;
            done?;
            if enable {
                println!("Enabled {}.", user.email);
            } else {
                println!(
                    "Disabled {}: they cannot sign in, and their keys are refused within seconds.",
                    user.email
                );
            }
        }
        UsersCommand::ResetPassword {
            user,
            password_stdin,
        } => {
            let password = password_stdin.then(password_from_stdin).transpose()?;
            let (store, _, id) = open_user(&user).await?;
            let generated = store.reset_user_password(id, password.as_deref()).await;
            store.close().await;
            match generated? {
                Some(password) => {
                    println!(
                        "New one-time sign-in password for {}, shown once:",
                        user.email
                    );
                    println!("{password}");
                }
                None => println!("Set a new password for {}.", user.email),
            }
        }
    }
    Ok(())
}

/// Opens the store a user command names and finds the user.
async fn open_user(
    user: &UserRef,
) -> anyhow::Result<(crate::store::Store, crate::store::Scope, i64)> {
    let store = crate::store::Store::open(&user.store.store_config(2)).await?;
    let found = async {
        let (account, _) = store.ensure_account(user.account.as_deref()).await?;
        let id = store.user_id(&account, &user.email).await?;
        Ok::<_, anyhow::Error>((account.scope(), id))
    }
    .await;
    match found {
        Ok((scope, id)) => Ok((store, scope, id)),
        Err(e) => {
            store.close().await;
            Err(e)
        }
    }
}

async fn groups(command: GroupsCommand) -> anyhow::Result<()> {
    match command {
        GroupsCommand::Create {
            name,
            account,
            users,
            store,
        } => {
            let store = crate::store::Store::open(&store.store_config(2)).await?;
            let created = async {
                let (account, _) = store.ensure_account(account.as_deref()).await?;
                let mut members = Vec::with_capacity(users.len());
                for email in &users {
                    members.push(store.user_id(&account, email).await?);
                }
                store.create_group(&account, &name, &members).await
            }
            .await;
            store.close().await;
            let id = created?;
            println!(
                "Created group {id} ({name}) with {} member(s).",
                users.len()
            );
        }
        GroupsCommand::List { store } => {
            let store = crate::store::Store::open(&store.store_config(2)).await?;
            let groups = store.list_groups().await;
            store.close().await;
            println!("{:<6} {:<20} {:<32} members", "id", "account", "name");
            for (id, account, name, members) in groups? {
                println!("{id:<6} {account:<20} {name:<32} {members}");
            }
        }
        GroupsCommand::Add(change) => change_group(change, true).await?,
        GroupsCommand::Remove(change) => change_group(change, false).await?,
    }
    Ok(())
}

/// Adds (`add`) or removes the members and organizations `change` names.
async fn change_group(change: GroupChange, add: bool) -> anyhow::Result<()> {
    anyhow::ensure!(
        !change.users.is_empty() || !change.organizations.is_empty(),
        "name at least one --user EMAIL or --organization ID"
    );
    let store = crate::store::Store::open(&change.store.store_config(2)).await?;
    let result = async {
        let (account, _) = store.ensure_account(change.account.as_deref()).await?;
        let group = store.group_id(&account, &change.name).await?;
        let mut changed = 0;
        for email in &change.users {
            let user = store.user_id(&account, email).await?;
            changed += usize::from(store.set_group_member(&account, group, user, add).await?);
        }
        for organization in &change.organizations {
            let done = store
                .set_group_organization(&account, group, *organization, add)
                .await?;
            anyhow::ensure!(
                done || !add,
                "account {:?} has no organization {organization}",
                account.name
            );
            changed += usize::from(done);
        }
        Ok(changed)
    }
    .await;
    store.close().await;
    let changed = result?;
    println!(
        "{} {changed} member(s) or organization(s) {} group {:?}.",
        if add { "Added" } else { "Removed" },
        if add { "to" } else { "from" },
        change.name
    );
    Ok(())
}
