//! `mortar backup` and `mortar restore`: one archive file holding a
//! consistent snapshot of the database, every attachment blob the snapshot's
//! rows reference, and a manifest (format and Mortar versions, creation
//! time, store kind, row counts per table, a SHA-256 of every member).
//!
//! **Consistency.** The database is copied at one point in time while the
//! server keeps writing: SQLite with `VACUUM INTO` (one read transaction),
//! PostgreSQL with `pg_dump --snapshot` of a `REPEATABLE READ` transaction
//! that also counts the rows and lists the blob keys. A write stores its blob
//! before its row commits (see [`crate::files`]), so every row in the
//! snapshot has its blob on disk when the snapshot is taken; a blob is
//! removed only after the delete of its row commits, so a blob missing when
//! it is copied belongs to a row deleted since. Then the snapshot is taken
//! again (a few times at most); a blob missing while the live database still
//! references it is a damaged data directory, and the backup says so.
//!
//! **What is never inside**: the vault's master key. The manifest records
//! its fingerprint, so a restore can say which key the secrets need.
//!
//! **Restore** reads the whole archive and checks it against its manifest
//! before it writes anything, then builds the data directory beside the
//! target and moves it into place; on PostgreSQL it checks the dump's row
//! counts, then loads it with `pg_restore` in one transaction into an empty
//! database.
//!
//! SQL lives in [`crate::store::backup`]; the archive format in [`archive`];
//! the PostgreSQL client tools in [`postgres`].

mod archive;
mod postgres;

use std::collections::BTreeMap;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::files::BlobStore;
use crate::store::backup as db;

pub use archive::Refusal;

/// The manifest's `format`: what marks a file as a Mortar backup.
pub const FORMAT: &str = "mortar-backup";
/// The archive layout's version; a restore refuses newer ones.
pub const FORMAT_VERSION: u32 = 1;
/// The manifest's member name (the last member).
const MANIFEST: &str = "manifest.json";
/// The SQLite snapshot's member name.
const SQLITE_MEMBER: &str = "database/mortar.db";
/// The PostgreSQL dump's member name (`pg_dump --format=custom`).
const POSTGRES_MEMBER: &str = "database/postgres.dump";
/// Attachment blobs are members `attachments/<blob key>`.
const ATTACHMENTS: &str = "attachments/";
/// How many snapshots a backup takes at most when attachments are deleted
/// while it copies them.
const ATTEMPTS: u32 = 5;

/// Which store a backup was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// The embedded SQLite database.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The description of a backup, stored as its last member.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The archive layout's version ([`FORMAT_VERSION`] when written).
    pub format_version: u32,
    /// The Mortar version that wrote it.
    pub mortar_version: String,
    /// When the snapshot was taken (RFC 3339, UTC).
    pub created_at: String,
    /// The store it was taken from.
    pub store: StoreKind,
    /// The database's newest applied migration.
    pub schema_version: i64,
    /// PostgreSQL: the schema the counted tables are in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres_schema: Option<String>,
    /// The fingerprint of the master key the secrets need (never the key).
    pub vault_fingerprint: Option<String>,
    /// Rows per table in the snapshot.
    pub tables: BTreeMap<String, i64>,
    /// How many attachment blobs it holds.
    pub attachments: u64,
    /// Every other member, in archive order, with its size and SHA-256 (hex).
    pub members: Vec<Member>,
}

/// One member of the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Its path inside the archive.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
}

impl Manifest {
    /// Rows over every table.
    pub fn rows(&self) -> i64 {
        self.tables.values().sum()
    }
}

/// Whether `path` is a member name a backup may hold: nothing that could
/// reach outside the directory it is restored into.
fn member_path_is_valid(path: &str) -> bool {
    if matches!(path, MANIFEST | SQLITE_MEMBER | POSTGRES_MEMBER) {
        return true;
    }
    path.strip_prefix(ATTACHMENTS)
        .and_then(|key| key.split_once('/'))
        .is_some_and(|(account, name)| {
            !account.is_empty()
                && account.bytes().all(|b| b.is_ascii_digit())
                && !name.is_empty()
                && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

/// Progress lines on stderr, at most about one a second per phase.
struct Progress {
    started: Instant,
    last: Option<Instant>,
}

impl Progress {
    fn new() -> Progress {
        Progress::since(Instant::now())
    }

    /// Progress whose lines count time from `started`.
    fn since(started: Instant) -> Progress {
        Progress {
            started,
            last: None,
        }
    }

    /// Prints `line` now.
    fn say(&mut self, line: impl std::fmt::Display) {
        self.last = Some(Instant::now());
        let mut err = io::stderr().lock();
        let _ = writeln!(
            err,
            "[{:>6.1}s] {line}",
            self.started.elapsed().as_secs_f64()
        );
    }

    /// Prints `line` if a second has passed since the last line.
    fn tick(&mut self, line: impl FnOnce() -> String) {
        if self
            .last
            .is_none_or(|last| last.elapsed() >= Duration::from_secs(1))
        {
            self.say(line());
        }
    }
}

/// Bytes in words: `1.5 MB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A file or directory removed when dropped (the work of a run that did
/// not finish), unless kept.
struct Scratch {
    path: Option<PathBuf>,
}

impl Scratch {
    fn new(path: PathBuf) -> Scratch {
        Scratch { path: Some(path) }
    }

    fn path(&self) -> &Path {
        self.path
            .as_deref()
            .expect("a scratch path is set until kept")
    }

    /// Keeps the path (it has been moved into place or is the result).
    fn keep(mut self) {
        self.path = None;
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            if path.is_dir() {
                let _ = std::fs::remove_dir_all(&path);
            } else {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// What a backup wrote.
#[derive(Debug, Clone)]
pub struct BackupSummary {
    /// The manifest it ends with.
    pub manifest: Manifest,
    /// The archive's size in bytes.
    pub size: u64,
    /// How long it took.
    pub elapsed: Duration,
}

/// Why one attempt at writing the archive stopped.
enum Stopped {
    /// The blob of this key was gone when it was to be copied.
    Vanished(String),
    /// Anything else.
    Failed(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Stopped {
    fn from(error: E) -> Stopped {
        Stopped::Failed(error.into())
    }
}

/// `mortar backup`: writes a backup of the store at `data_dir` (and
/// `database_url`, for PostgreSQL) to the new file `to`.
pub async fn backup(
    data_dir: &Path,
    database_url: Option<&str>,
    objects: Option<Arc<dyn BlobStore>>,
    to: &Path,
) -> anyhow::Result<BackupSummary> {
    let mut progress = Progress::new();
    let postgres_url = database_url.filter(|u| is_postgres(u));
    if database_url.is_some() && postgres_url.is_none() {
        anyhow::bail!("backup supports the data directory's SQLite database or a postgres:// URL");
    }
    if to.exists() {
        anyhow::bail!(
            "{} exists already; choose a new file name (a backup never overwrites a file)",
            to.display()
        );
    }
    let name = to
        .file_name()
        .and_then(|n| n.to_str())
        .context("--to must name a file")?;
    let parent = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        anyhow::bail!("the directory {} does not exist", parent.display());
    }
    let pid = std::process::id();
    let partial = Scratch::new(parent.join(format!(".{name}.partial-{pid}")));
    let work = Scratch::new(parent.join(format!(".{name}.work-{pid}")));
    std::fs::create_dir(work.path())
        .with_context(|| format!("creating {}", work.path().display()))?;
    let blob_root = data_dir.join("attachments");

    let mut attempt = 1;
    let manifest = loop {
        match write_once(
            data_dir,
            postgres_url,
            &blob_root,
            objects.clone(),
            work.path(),
            partial.path(),
            &mut progress,
        )
        .await
        {
            Ok(manifest) => break manifest,
            Err(Stopped::Failed(error)) => return Err(error),
            Err(Stopped::Vanished(key)) => {
                let live = match postgres_url {
                    Some(url) => db::PgSnapshot::live_references(url, &key).await?,
                    None => db::sqlite_references(&data_dir.join("mortar.db"), &key)?,
                };
                if live && objects.is_some() {
                    anyhow::bail!(
                        "attachment object {key} is missing from the bucket although the database \
                         references it: restore that object from the bucket's versions or \
                         replica (or delete the attachment through the API), then back up again"
                    );
                }
                if live {
                    anyhow::bail!(
                        "attachment file {} is missing although the database references it: \
                         the data directory is damaged (restore that file from an older backup, \
                         or delete the attachment through the API), then back up again",
                        blob_root.join(&key).display()
                    );
                }
                if attempt == ATTEMPTS {
                    anyhow::bail!(
                        "attachments were deleted while {ATTEMPTS} snapshots in a row were being \
                         copied; try again when fewer attachments are being deleted"
                    );
                }
                attempt += 1;
                progress.say(format_args!(
                    "an attachment was deleted while it was being copied; taking a new snapshot \
                     (attempt {attempt} of {ATTEMPTS})"
                ));
            }
        }
    };
    std::fs::rename(partial.path(), to)
        .with_context(|| format!("moving the backup into place at {}", to.display()))?;
    partial.keep();
    sync_dir(&parent).with_context(|| format!("syncing {}", parent.display()))?;
    drop(work);
    let size = std::fs::metadata(to)?.len();
    Ok(BackupSummary {
        manifest,
        size,
        elapsed: progress.started.elapsed(),
    })
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}

/// Takes one snapshot and writes the whole archive to `partial`.
async fn write_once(
    data_dir: &Path,
    postgres_url: Option<&str>,
    blob_root: &Path,
    objects: Option<Arc<dyn BlobStore>>,
    work: &Path,
    partial: &Path,
    progress: &mut Progress,
) -> Result<Manifest, Stopped> {
    let created = chrono::Utc::now();
    let (kind, member, snapshot_file, contents, schema) = match postgres_url {
        None => {
            let file = work.join("mortar.db");
            let _ = std::fs::remove_file(&file);
            progress.say("snapshot of the SQLite database (VACUUM INTO)...");
            db::sqlite_snapshot(&data_dir.join("mortar.db"), &file).await?;
            let contents = {
                let file = file.clone();
                tokio::task::spawn_blocking(move || db::sqlite_contents(&file, false)).await??
            };
            (StoreKind::Sqlite, SQLITE_MEMBER, file, contents, None)
        }
        Some(url) => {
            let file = work.join("postgres.dump");
            let _ = std::fs::remove_file(&file);
            postgres::check_tool("pg_dump")?;
            progress.say("snapshot of the PostgreSQL database (pg_dump)...");
            let (snapshot, contents) = db::PgSnapshot::take(url).await?;
            let schema = Some(snapshot.schema.clone());
            let dumped = postgres::dump(url, &snapshot.id, &file).await;
            snapshot.finish().await?;
            dumped?;
            (StoreKind::Postgres, POSTGRES_MEMBER, file, contents, schema)
        }
    };
    let db_size = std::fs::metadata(&snapshot_file)?.len();
    let rows: i64 = contents.tables.values().sum();
    progress.say(format_args!(
        "snapshot taken: {rows} rows in {} tables, {} attachments referenced, database {}",
        contents.tables.len(),
        contents.blob_keys.len(),
        human_bytes(db_size)
    ));
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        mortar_version: env!("CARGO_PKG_VERSION").into(),
        created_at: created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        store: kind,
        schema_version: contents.schema_version,
        postgres_schema: schema,
        vault_fingerprint: contents.vault_fingerprint.clone(),
        tables: contents.tables.clone(),
        attachments: contents.blob_keys.len() as u64,
        members: Vec::new(),
    };
    let partial = partial.to_path_buf();
    let blob_root = blob_root.to_path_buf();
    let runtime = tokio::runtime::Handle::current();
    let mtime = created.timestamp().max(0) as u64;
    let mut progress_moved = std::mem::replace(progress, Progress::since(progress.started));
    let (result, progress_back) = tokio::task::spawn_blocking(move || {
        let result = (|| -> Result<Manifest, Stopped> {
            let mut writer = archive::Writer::create(&partial, mtime)?;
            progress_moved.say(format_args!(
                "writing the database ({})...",
                human_bytes(db_size)
            ));
            writer.append_file(member, &snapshot_file)?;
            let total = contents.blob_keys.len();
            let mut bytes = 0u64;
            for (done, key) in contents.blob_keys.iter().enumerate() {
                let member = format!("{ATTACHMENTS}{key}");
                let size = match &objects {
                    // From the bucket: one object at a time, whole.
                    Some(objects) => match runtime.block_on(objects.get(key))? {
                        Some(object) => {
                            let size = object.len() as u64;
                            writer.append(&member, size, object.as_slice())?;
                            size
                        }
                        None => return Err(Stopped::Vanished(key.clone())),
                    },
                    None => {
                        let file = match std::fs::File::open(blob_root.join(key)) {
                            Ok(file) => file,
                            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                                return Err(Stopped::Vanished(key.clone()))
                            }
                            Err(e) => return Err(Stopped::Failed(e.into())),
                        };
                        let size = file.metadata()?.len();
                        writer.append(&member, size, file)?;
                        size
                    }
                };
                bytes += size;
                progress_moved
                    .tick(|| format!("attachments: {}/{total} ({})", done + 1, human_bytes(bytes)));
            }
            if total > 0 {
                progress_moved.say(format_args!(
                    "attachments: {total}/{total} ({})",
                    human_bytes(bytes)
                ));
            }
            Ok(writer.finish(manifest)?)
        })();
        (result, progress_moved)
    })
    .await
    .map_err(|e| Stopped::Failed(e.into()))?;
    *progress = progress_back;
    result
}

/// What a restore rebuilt.
#[derive(Debug, Clone)]
pub struct RestoreSummary {
    /// The backup's manifest.
    pub manifest: Manifest,
    /// How long it took.
    pub elapsed: Duration,
}

/// Files a target directory may hold and still count as empty: the master
/// key, put there before the restore.
const MAY_BE_PRESENT: &[&str] = &[crate::vault::KEY_FILE];

/// `mortar restore`: checks the backup at `from` and rebuilds the data
/// directory `data_dir` (and, for a PostgreSQL backup, the empty database
/// `database_url`) from it. `force` replaces the database and attachments
/// of a directory (or database) that has some.
pub async fn restore(
    from: &Path,
    data_dir: &Path,
    database_url: Option<&str>,
    force: bool,
    objects: Option<Arc<dyn BlobStore>>,
) -> anyhow::Result<RestoreSummary> {
    let mut progress = Progress::new();
    if let Some(url) = database_url {
        if !is_postgres(url) {
            anyhow::bail!(
                "restore supports the data directory's SQLite database or a postgres:// URL"
            );
        }
    }
    let occupied = occupied(data_dir)?;
    if !occupied.is_empty() && !force {
        anyhow::bail!(
            "{} is not empty (it holds {}); restore into a new or empty directory, \
             or pass --force to replace its database and attachments",
            data_dir.display(),
            occupied.join(", ")
        );
    }

    progress.say(format_args!("checking {}...", from.display()));
    let started = progress.started;
    let manifest = {
        let from = from.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let mut bytes = 0u64;
            let mut progress = Progress::since(started);
            archive::read(&from, |name, size, _| {
                progress
                    .tick(|| format!("checking {name} ({} checked so far)", human_bytes(bytes)));
                bytes += size;
                Ok(())
            })
        })
        .await??
    };
    let contents_size: u64 = manifest.members.iter().map(|m| m.size).sum();
    progress.say(format_args!(
        "the backup is intact: {} of {}, taken {} by Mortar {}: {} rows in {} tables, {} attachments",
        human_bytes(contents_size),
        match manifest.store {
            StoreKind::Sqlite => "a SQLite store",
            StoreKind::Postgres => "a PostgreSQL store",
        },
        manifest.created_at,
        manifest.mortar_version,
        manifest.rows(),
        manifest.tables.len(),
        manifest.attachments
    ));
    if manifest.schema_version > db::latest_version() {
        anyhow::bail!(
            "this backup's database is at schema version {}, newer than this Mortar knows ({}); \
             restore it with Mortar {} or newer",
            manifest.schema_version,
            db::latest_version(),
            manifest.mortar_version
        );
    }
    match (manifest.store, database_url) {
        (StoreKind::Sqlite, Some(_)) => anyhow::bail!(
            "this is a backup of a SQLite store; restore it without --database-url \
             (it becomes mortar.db in --data-dir)"
        ),
        (StoreKind::Postgres, None) => anyhow::bail!(
            "this is a backup of a PostgreSQL store; name the empty database to restore it into \
             with --database-url (its attachments go to --data-dir)"
        ),
        _ => {}
    }
    if let Some(url) = database_url {
        let tables = db::postgres_tables(url).await?;
        if !tables.is_empty() && !force {
            anyhow::bail!(
                "the database at {} is not empty (it has {} tables, such as {}); restore into a \
                 new database (createdb), or pass --force to replace its Mortar tables",
                crate::config::redact_url(url),
                tables.len(),
                tables[0]
            );
        }
    }

    // Build the directory beside the target, then move it into place.
    let name = data_dir
        .file_name()
        .and_then(|n| n.to_str())
        .context("--data-dir must name a directory")?;
    let parent = match data_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = Scratch::new(parent.join(format!(".{name}.restoring-{}", std::process::id())));
    if staging.path().exists() {
        std::fs::remove_dir_all(staging.path())?;
    }
    std::fs::create_dir(staging.path())
        .with_context(|| format!("creating {}", staging.path().display()))?;
    progress.say(format_args!(
        "extracting into {}...",
        staging.path().display()
    ));
    let extracted = {
        let from = from.to_path_buf();
        let staging = staging.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let mut bytes = 0u64;
            let mut progress = Progress::since(started);
            let mut count = 0u64;
            archive::read(&from, |member, size, reader| {
                let target = staging.join(member);
                if let Some(dir) = target.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&target)?;
                io::copy(reader, &mut file)?;
                file.sync_all()?;
                bytes += size;
                count += 1;
                progress.tick(|| format!("extracted {count} files ({})", human_bytes(bytes)));
                Ok(())
            })
        })
        .await??
    };
    if extracted.members != manifest.members {
        anyhow::bail!("{} changed while it was being restored", from.display());
    }

    match database_url {
        None => {
            let file = staging.path().join(SQLITE_MEMBER);
            progress.say("checking the restored database...");
            let contents = tokio::task::spawn_blocking({
                let file = file.clone();
                move || db::sqlite_contents(&file, true)
            })
            .await??;
            compare_counts(&manifest.tables, &contents.tables, from)?;
            std::fs::rename(&file, staging.path().join("mortar.db"))?;
            std::fs::remove_dir(staging.path().join("database"))?;
        }
        Some(url) => {
            let dump = staging.path().join(POSTGRES_MEMBER);
            postgres::check_tool("pg_restore")?;
            progress.say("counting the rows of the dump...");
            let schema = manifest.postgres_schema.as_deref().unwrap_or("public");
            let counts = postgres::count_rows(&dump, schema).await?;
            let expected: BTreeMap<String, i64> = manifest
                .tables
                .iter()
                .filter(|(_, rows)| **rows > 0)
                .map(|(t, r)| (t.clone(), *r))
                .collect();
            let found: BTreeMap<String, i64> =
                counts.into_iter().filter(|(_, rows)| *rows > 0).collect();
            compare_counts(&expected, &found, from)?;
            progress.say(format_args!(
                "loading the dump into {} (pg_restore, one transaction)...",
                crate::config::redact_url(url)
            ));
            postgres::restore(url, &dump, force).await?;
            let loaded = db::postgres_counts(url).await?;
            let expected_loaded: BTreeMap<String, i64> = manifest.tables.clone();
            compare_counts(&expected_loaded, &loaded, from).context(
                "the database was loaded but does not hold what the backup lists; drop it and restore again",
            )?;
            std::fs::remove_file(&dump)?;
            std::fs::remove_dir(staging.path().join("database"))?;
        }
    }
    if !staging.path().join("attachments").exists() {
        std::fs::create_dir(staging.path().join("attachments"))?;
    }
    if let Some(objects) = &objects {
        // Into the bucket before the database goes into place, so no record
        // points at a missing object (an object whose restore stops here is
        // swept as unreferenced).
        let staged = staging.path().join("attachments");
        let uploaded = upload_attachments(&staged, objects.as_ref(), &mut progress).await?;
        std::fs::remove_dir_all(&staged)?;
        std::fs::create_dir(&staged)?;
        progress.say(format_args!("attachments: {uploaded} put into the bucket"));
    }
    sync_dir(staging.path())?;

    // Into place: a new directory is renamed as a whole; an existing one
    // (empty but for the master key, or --force) gets the staged entries.
    if !data_dir.exists() {
        std::fs::rename(staging.path(), data_dir)
            .with_context(|| format!("moving the restored files to {}", data_dir.display()))?;
        staging.keep();
    } else {
        for entry in ["mortar.db", "mortar.db-wal", "mortar.db-shm", "attachments"] {
            let old = data_dir.join(entry);
            if old.is_dir() {
                std::fs::remove_dir_all(&old)
            } else if old.exists() {
                std::fs::remove_file(&old)
            } else {
                Ok(())
            }
            .with_context(|| format!("removing {}", old.display()))?;
        }
        for entry in std::fs::read_dir(staging.path())? {
            let entry = entry?;
            std::fs::rename(entry.path(), data_dir.join(entry.file_name())).with_context(|| {
                format!("moving the restored files into {}", data_dir.display())
            })?;
        }
        drop(staging);
    }
    sync_dir(data_dir)?;
    sync_dir(&parent)?;
    Ok(RestoreSummary {
        manifest,
        elapsed: progress.started.elapsed(),
    })
}

/// Puts every attachment file under `staged` (`<account>/<name>`) into
/// `objects` under its key; how many.
async fn upload_attachments(
    staged: &Path,
    objects: &dyn BlobStore,
    progress: &mut Progress,
) -> anyhow::Result<u64> {
    let mut done = 0u64;
    for account in std::fs::read_dir(staged)? {
        let account = account?;
        if !account.file_type()?.is_dir() {
            continue;
        }
        let account_name = account.file_name().to_string_lossy().to_string();
        for file in std::fs::read_dir(account.path())? {
            let file = file?;
            let key = format!("{account_name}/{}", file.file_name().to_string_lossy());
            let bytes = tokio::fs::read(file.path()).await?;
            objects
                .put(&key, bytes)
                .await
                .with_context(|| format!("putting attachment {key} into the bucket"))?;
            done += 1;
            progress.tick(|| format!("attachments: {done} put into the bucket"));
        }
    }
    Ok(done)
}

/// What in `dir` makes it not empty (nothing when it does not exist).
fn occupied(dir: &Path) -> anyhow::Result<Vec<String>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut names = Vec::new();
            for entry in entries {
                let name = entry?.file_name().to_string_lossy().to_string();
                if !MAY_BE_PRESENT.contains(&name.as_str()) {
                    names.push(name);
                }
            }
            names.sort();
            Ok(names)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
            anyhow::bail!("{} is a file, not a directory", dir.display())
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", dir.display())),
    }
}

fn compare_counts(
    expected: &BTreeMap<String, i64>,
    found: &BTreeMap<String, i64>,
    from: &Path,
) -> anyhow::Result<()> {
    for (table, rows) in expected {
        let actual = found.get(table).copied().unwrap_or(0);
        if actual != *rows {
            return Err(Refusal::Damaged {
                file: from.display().to_string(),
                why: format!(
                    "its database holds {actual} rows in {table} where the manifest counts {rows}"
                ),
            }
            .into());
        }
    }
    if let Some(extra) = found.keys().find(|t| !expected.contains_key(*t)) {
        return Err(Refusal::Damaged {
            file: from.display().to_string(),
            why: format!("its database holds table {extra}, which the manifest does not list"),
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_member_names_are_accepted() {
        for good in [
            MANIFEST,
            SQLITE_MEMBER,
            POSTGRES_MEMBER,
            "attachments/12/0a1b2c",
        ] {
            assert!(member_path_is_valid(good), "{good}");
        }
        for bad in [
            "../etc/passwd",
            "attachments/12/../../x",
            "attachments/x/ab",
            "attachments/12/AB",
            "attachments/12/",
            "attachments//ab",
            "/database/mortar.db",
            "database/other.db",
            "attachments/1/ab/cd",
        ] {
            assert!(!member_path_is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1_500_000), "1.5 MB");
        assert_eq!(human_bytes(2_000_000_000), "2.0 GB");
    }
}
