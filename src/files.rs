//! Blob storage for attachment contents, and the per-request journal that
//! keeps blobs in step with the database.
//!
//! A blob is written before the transaction that references it commits, and
//! removed only after the transaction that stops referencing it commits. The
//! [`Journal`] of a request remembers both sides: when the write fails, the
//! blobs it wrote go; when it commits, the blobs of the attachments it
//! deleted go. A crash in between leaves at worst an unreferenced file, never
//! a referenced key without its file, and never half a file under a key.

use std::collections::HashSet;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rand::RngCore;

use crate::error::{Error, Result};
use crate::resources::BoxFuture;

/// Where blobs live, by key (`<account id>/<random hex>`).
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under `key`, atomically: the key shows either nothing or the whole blob.
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, io::Result<()>>;
    /// The blob under `key`, or `None` when there is none.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>>;
    /// Removes the blob under `key`; a missing blob is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>>;

    /// Keeps the finished export zip at `local` as `name`
    /// (`exports/<account>/<id>.zip`); returns what the export's row records
    /// to find it again. Files stay where they were written.
    fn keep_export<'a>(
        &'a self,
        local: &'a Path,
        _name: &'a str,
    ) -> BoxFuture<'a, io::Result<String>> {
        Box::pin(async move { Ok(local.to_string_lossy().to_string()) })
    }

    /// The export recorded as `file_path`: its length and its bytes as a
    /// stream (never read whole into memory); `None` when it is gone.
    fn open_export<'a>(
        &'a self,
        file_path: &'a str,
    ) -> BoxFuture<'a, io::Result<Option<ExportFile>>> {
        Box::pin(open_local_export(file_path))
    }

    /// Removes the export recorded as `file_path`; one already gone is no error.
    fn remove_export<'a>(&'a self, file_path: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move { remove_local_export(file_path) })
    }
}

/// An export's zip being read: its length and its bytes.
pub struct ExportFile {
    /// The length in bytes.
    pub length: u64,
    /// The bytes, chunk by chunk.
    pub stream: futures::stream::BoxStream<'static, io::Result<bytes::Bytes>>,
}

/// An export file on disk, streamed.
async fn open_local_export(path: &str) -> io::Result<Option<ExportFile>> {
    use futures::StreamExt as _;
    let file = match tokio::fs::File::open(path).await {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let length = file.metadata().await?.len();
    Ok(Some(ExportFile {
        length,
        stream: tokio_util::io::ReaderStream::new(file).boxed(),
    }))
}

/// Removes an export file on disk; one already gone is no error.
fn remove_local_export(path: &str) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// What an export's row records for an export kept in an object store.
const OBJECT_EXPORT: &str = "s3:";

/// The part size of export uploads.
const UPLOAD_PART: usize = 8 * 1024 * 1024;

/// How old an unreferenced blob file must be before a start-up sweep
/// removes it: far longer than any write takes.
pub const SWEEP_GRACE: Duration = Duration::from_secs(3600);

/// The sweep rule shared by every store: a blob goes when no row references
/// its key and it was last written before `cutoff`.
pub fn sweepable(
    key: &str,
    modified: SystemTime,
    referenced: &HashSet<String>,
    cutoff: SystemTime,
) -> bool {
    modified < cutoff && !referenced.contains(key)
}

/// Removes export zips under `dir` (`<data dir>/exports/<account>/`) that
/// no export row records (`exports`: the rows' `file_path`s) and unfinished
/// zips (`.part`) of builds that stopped, when last written more than
/// `grace` ago. Paths are compared once made absolute, so a server started
/// with another spelling of the same data directory keeps its exports.
/// Returns how many files went.
pub fn sweep_local_exports(
    dir: &Path,
    exports: &HashSet<String>,
    grace: Duration,
) -> io::Result<usize> {
    if !dir.is_dir() {
        return Ok(0);
    }
    let cutoff = SystemTime::now() - grace;
    let kept: HashSet<PathBuf> = exports
        .iter()
        .filter(|path| !path.starts_with(OBJECT_EXPORT))
        .filter_map(|path| std::fs::canonicalize(path).ok())
        .collect();
    let mut removed = 0;
    for account in std::fs::read_dir(dir)? {
        let account = account?;
        if !account.file_type()?.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(account.path())? {
            let file = file?;
            let name = file.file_name().to_string_lossy().to_string();
            let ours = name.ends_with(".zip") || name.ends_with(".zip.part");
            if !ours || file.metadata()?.modified()? >= cutoff {
                continue;
            }
            if !kept.contains(&std::fs::canonicalize(file.path())?) {
                std::fs::remove_file(file.path())?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// A new random key for a blob of `account_id` (never derived from content).
pub fn new_key(account_id: i64) -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{account_id}/{}", data_encoding::HEXLOWER.encode(&bytes))
}

/// Blobs as files under a root directory (`<data dir>/attachments`): key
/// `12/ab..` is the file `<root>/12/ab..`.
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    /// Blobs under `root`, which is created if needed.
    pub fn open(root: impl Into<PathBuf>) -> io::Result<FsBlobStore> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(FsBlobStore { root })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Removes what a crash can leave behind: blob files no row references
    /// (written by a write that never committed, or released by a committed
    /// delete that stopped before removing them) and temporary files. Only
    /// files last modified more than `grace` ago go, so a write in flight on
    /// another node sharing the directory is never touched. Returns how many
    /// files were removed.
    pub fn sweep(&self, referenced: &HashSet<String>, grace: Duration) -> io::Result<usize> {
        let cutoff = SystemTime::now() - grace;
        let mut removed = 0;
        for account in std::fs::read_dir(&self.root)? {
            let account = account?;
            if !account.file_type()?.is_dir() {
                continue;
            }
            let account_name = account.file_name().to_string_lossy().to_string();
            for file in std::fs::read_dir(account.path())? {
                let file = file?;
                let name = file.file_name().to_string_lossy().to_string();
                let key = format!("{account_name}/{name}");
                if sweepable(&key, file.metadata()?.modified()?, referenced, cutoff) {
                    std::fs::remove_file(file.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }

    /// The file of `key`; keys other than `<digits>/<lower hex>` are refused,
    /// so no key can reach outside the root.
    fn path_of(&self, key: &str) -> io::Result<PathBuf> {
        if valid_key(key) {
            Ok(self.root.join(key))
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{key:?} is not a blob key"),
            ))
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory:
/// write, fsync, rename, fsync the directory.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "a blob path has a parent"))?;
    if !dir.exists() {
        std::fs::create_dir_all(dir)?;
        if let Some(root) = dir.parent() {
            sync_dir(root)?;
        }
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "a blob path has a name"))?;
    let temp = dir.join(format!(".{name}.tmp"));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)?;
        sync_dir(dir)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(io::Error::other)?
}

impl BlobStore for FsBlobStore {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let path = self.path_of(key)?;
            blocking(move || write_atomically(&path, &bytes)).await
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>> {
        Box::pin(async move {
            let path = self.path_of(key)?;
            match tokio::fs::read(&path).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let path = self.path_of(key)?;
            match tokio::fs::remove_file(&path).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e),
            }
        })
    }
}

/// Where blobs are kept, as given by `--blob-store`: `file` (under the data
/// directory) or `s3://BUCKET[/PREFIX]?endpoint=URL&region=R`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BlobStoreConfig {
    /// Files under `<data dir>/attachments` (the default).
    #[default]
    File,
    /// An S3-compatible bucket.
    S3 {
        /// The bucket name.
        bucket: String,
        /// The key prefix inside the bucket (no leading or trailing `/`), may be empty.
        prefix: String,
        /// The endpoint URL (for S3-compatible servers); default: AWS.
        endpoint: Option<String>,
        /// The region; default: the `AWS_REGION` variable, else `us-east-1`.
        region: Option<String>,
    },
}

impl std::str::FromStr for BlobStoreConfig {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        if text == "file" {
            return Ok(BlobStoreConfig::File);
        }
        let Some(rest) = text.strip_prefix("s3://") else {
            return Err("expected `file` or `s3://BUCKET[/PREFIX]?endpoint=URL&region=R`".into());
        };
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
        if bucket.is_empty() {
            return Err("the S3 blob store needs a bucket: s3://BUCKET".into());
        }
        let mut endpoint = None;
        let mut region = None;
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match name.as_ref() {
                "endpoint" => endpoint = Some(value.into_owned()),
                "region" => region = Some(value.into_owned()),
                other => return Err(format!("unknown S3 blob store option `{other}`")),
            }
        }
        Ok(BlobStoreConfig::S3 {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
            endpoint,
            region,
        })
    }
}

/// Blobs as objects in an S3-compatible bucket: key `12/ab..` is the object
/// `<prefix>/12/ab..`. A PUT shows all of an object or nothing, so a put is
/// atomic as the trait asks; credentials come from the standard
/// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`)
/// variables.
#[derive(Debug, Clone)]
pub struct S3BlobStore {
    store: Arc<dyn object_store::ObjectStore>,
    prefix: String,
}

impl S3BlobStore {
    /// The store for `bucket` under `prefix`; an `http://` endpoint is
    /// allowed (for S3-compatible servers on a private network).
    pub fn open(
        bucket: &str,
        prefix: &str,
        endpoint: Option<&str>,
        region: Option<&str>,
    ) -> io::Result<S3BlobStore> {
        let mut builder = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_allow_http(true);
        if let Some(endpoint) = endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        match region {
            Some(region) => builder = builder.with_region(region),
            None if std::env::var_os("AWS_REGION").is_none()
                && std::env::var_os("AWS_DEFAULT_REGION").is_none() =>
            {
                builder = builder.with_region("us-east-1")
            }
            None => {}
        }
        let store = builder.build().map_err(io::Error::other)?;
        Ok(S3BlobStore {
            store: Arc::new(store),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }

    /// The underlying object store (exports are streamed through it).
    pub fn object_store(&self) -> &Arc<dyn object_store::ObjectStore> {
        &self.store
    }

    /// The object path of a name under the prefix.
    pub fn path(&self, name: &str) -> object_store::path::Path {
        if self.prefix.is_empty() {
            object_store::path::Path::from(name)
        } else {
            object_store::path::Path::from(format!("{}/{name}", self.prefix))
        }
    }

    /// The object of `key`; keys other than `<digits>/<lower hex>` are refused.
    fn object_of(&self, key: &str) -> io::Result<object_store::path::Path> {
        if !valid_key(key) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid blob key {key:?}"),
            ));
        }
        Ok(self.path(key))
    }

    /// Removes blobs no row references and last written more than `grace`
    /// ago (the same rule as [`FsBlobStore::sweep`]), and export zips no
    /// export row records (`exports`: the rows' `file_path`s), such as one
    /// uploaded just before its job failed. Returns how many went.
    pub async fn sweep(
        &self,
        referenced: &HashSet<String>,
        exports: &HashSet<String>,
        grace: Duration,
    ) -> io::Result<usize> {
        use futures::StreamExt as _;
        let cutoff = SystemTime::now() - grace;
        let root =
            (!self.prefix.is_empty()).then(|| object_store::path::Path::from(self.prefix.as_str()));
        let mut listing = self.store.list(root.as_ref());
        let mut stale = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(io::Error::other)?;
            let full = meta.location.as_ref();
            let key = match &root {
                Some(_) => full
                    .strip_prefix(&format!("{}/", self.prefix))
                    .unwrap_or(full),
                None => full,
            };
            let modified = SystemTime::from(meta.last_modified);
            let stale_object = if valid_key(key) {
                sweepable(key, modified, referenced, cutoff)
            } else if key.starts_with("exports/") && key.ends_with(".zip") {
                modified < cutoff && !exports.contains(&format!("{OBJECT_EXPORT}{key}"))
            } else {
                // Anything else under the prefix is not Mortar's to remove.
                false
            };
            if stale_object {
                stale.push(meta.location.clone());
            }
        }
        for location in &stale {
            match object_store::ObjectStoreExt::delete(self.store.as_ref(), location).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(io::Error::other(e)),
            }
        }
        Ok(stale.len())
    }
}

impl S3BlobStore {
    /// Streams the file `local` to the object `name` in parts (a multipart
    /// upload: the object appears whole when it completes, or not at all).
    async fn upload(&self, local: &Path, name: &str) -> io::Result<()> {
        use tokio::io::AsyncReadExt as _;
        let upload =
            object_store::ObjectStoreExt::put_multipart(self.store.as_ref(), &self.path(name))
                .await
                .map_err(io::Error::other)?;
        let mut writer = object_store::WriteMultipart::new_with_chunk_size(upload, UPLOAD_PART);
        let sent: io::Result<()> = async {
            let mut file = tokio::fs::File::open(local).await?;
            let mut buffer = vec![0u8; 1024 * 1024];
            loop {
                let read = file.read(&mut buffer).await?;
                if read == 0 {
                    return Ok(());
                }
                writer
                    .wait_for_capacity(2)
                    .await
                    .map_err(io::Error::other)?;
                writer.write(&buffer[..read]);
            }
        }
        .await;
        match sent {
            Ok(()) => writer.finish().await.map(drop).map_err(io::Error::other),
            Err(error) => {
                let _ = writer.abort().await;
                Err(error)
            }
        }
    }
}

/// Whether `key` has the blob form `<digits>/<lower hex>`.
fn valid_key(key: &str) -> bool {
    key.split_once('/').is_some_and(|(account, name)| {
        !account.is_empty()
            && account.bytes().all(|b| b.is_ascii_digit())
            && !name.is_empty()
            && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

impl BlobStore for S3BlobStore {
    fn put<'a>(&'a self, key: &'a str, bytes: Vec<u8>) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let path = self.object_of(key)?;
            object_store::ObjectStoreExt::put(self.store.as_ref(), &path, bytes.into())
                .await
                .map_err(io::Error::other)?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<Option<Vec<u8>>>> {
        Box::pin(async move {
            let path = self.object_of(key)?;
            match object_store::ObjectStoreExt::get(self.store.as_ref(), &path).await {
                Ok(found) => Ok(Some(
                    found.bytes().await.map_err(io::Error::other)?.to_vec(),
                )),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(io::Error::other(e)),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let path = self.object_of(key)?;
            match object_store::ObjectStoreExt::delete(self.store.as_ref(), &path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(io::Error::other(e)),
            }
        })
    }

    fn keep_export<'a>(
        &'a self,
        local: &'a Path,
        name: &'a str,
    ) -> BoxFuture<'a, io::Result<String>> {
        Box::pin(async move {
            let uploaded = self.upload(local, name).await;
            // The local zip was only the place to build it.
            let removed = remove_local_export(&local.to_string_lossy());
            uploaded?;
            removed?;
            Ok(format!("{OBJECT_EXPORT}{name}"))
        })
    }

    fn open_export<'a>(
        &'a self,
        file_path: &'a str,
    ) -> BoxFuture<'a, io::Result<Option<ExportFile>>> {
        Box::pin(async move {
            use futures::StreamExt as _;
            let Some(name) = file_path.strip_prefix(OBJECT_EXPORT) else {
                return open_local_export(file_path).await;
            };
            match object_store::ObjectStoreExt::get(self.store.as_ref(), &self.path(name)).await {
                Ok(found) => Ok(Some(ExportFile {
                    length: found.meta.size,
                    stream: found
                        .into_stream()
                        .map(|chunk| chunk.map_err(io::Error::other))
                        .boxed(),
                })),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(io::Error::other(e)),
            }
        })
    }

    fn remove_export<'a>(&'a self, file_path: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let Some(name) = file_path.strip_prefix(OBJECT_EXPORT) else {
                return remove_local_export(file_path);
            };
            match object_store::ObjectStoreExt::delete(self.store.as_ref(), &self.path(name)).await
            {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(io::Error::other(e)),
            }
        })
    }
}

/// The blobs one request's write touches: those it wrote (removed again if
/// the write fails) and those its committed deletes released (removed once
/// it has committed). Hooks write blobs only through it.
pub struct Journal {
    store: Arc<dyn BlobStore>,
    written: Mutex<Vec<String>>,
    released: Mutex<Vec<String>>,
    released_exports: Mutex<Vec<String>>,
}

impl Journal {
    /// An empty journal over `store`.
    pub fn new(store: Arc<dyn BlobStore>) -> Journal {
        Journal {
            store,
            written: Mutex::new(Vec::new()),
            released: Mutex::new(Vec::new()),
            released_exports: Mutex::new(Vec::new()),
        }
    }

    /// Stores `bytes` as a new blob of `account_id` and returns its key.
    pub async fn put(&self, account_id: i64, bytes: Vec<u8>) -> Result<String> {
        let key = new_key(account_id);
        // Noted first: a put that fails half-way is cleaned up like any other.
        lock(&self.written).push(key.clone());
        self.store
            .put(&key, bytes)
            .await
            .map_err(|e| Error::Internal(anyhow::Error::new(e).context("storing a blob")))?;
        Ok(key)
    }

    /// Notes blobs that a committed delete no longer references.
    pub fn release(&self, keys: impl IntoIterator<Item = String>) {
        lock(&self.released).extend(keys);
    }

    /// Notes export files (as their rows record them) that a committed
    /// delete no longer references.
    pub fn release_exports(&self, file_paths: impl IntoIterator<Item = String>) {
        lock(&self.released_exports).extend(file_paths);
    }

    /// Ends the request's write: if `committed`, removes the released blobs;
    /// if not, removes the blobs it wrote. Failures to remove are logged, not
    /// returned: the write's outcome stands either way.
    pub async fn settle(self, committed: bool) {
        let doomed = if committed {
            std::mem::take(&mut *lock(&self.released))
        } else {
            std::mem::take(&mut *lock(&self.written))
        };
        for key in doomed {
            if let Err(error) = self.store.delete(&key).await {
                tracing::warn!(%key, %error, "could not remove a blob");
            }
        }
        if committed {
            let exports = std::mem::take(&mut *lock(&self.released_exports));
            for path in exports {
                if let Err(error) = self.store.remove_export(&path).await {
                    tracing::warn!(%path, %error, "could not remove an export's file");
                }
            }
        }
    }
}

fn lock(list: &Mutex<Vec<String>>) -> std::sync::MutexGuard<'_, Vec<String>> {
    list.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_zips_no_row_records_are_swept_and_recorded_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let exports = dir.path().join("exports");
        std::fs::create_dir_all(exports.join("1")).unwrap();
        for name in ["5.zip", "6.zip", "7.zip.part", "notes.txt"] {
            std::fs::write(exports.join("1").join(name), b"zip").unwrap();
        }
        // Recorded under another spelling of the same directory.
        let recorded: HashSet<String> = [dir
            .path()
            .join("exports/../exports/1/5.zip")
            .to_string_lossy()
            .to_string()]
        .into_iter()
        .collect();
        assert_eq!(
            sweep_local_exports(&exports, &recorded, Duration::from_secs(3600)).unwrap(),
            0,
            "nothing younger than the grace period goes"
        );
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(
            sweep_local_exports(&exports, &recorded, Duration::ZERO).unwrap(),
            2
        );
        let mut left: Vec<String> = std::fs::read_dir(exports.join("1"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        left.sort();
        assert_eq!(left, ["5.zip", "notes.txt"]);
        assert_eq!(
            sweep_local_exports(&dir.path().join("none"), &recorded, Duration::ZERO).unwrap(),
            0
        );
    }

    #[tokio::test]
    async fn blobs_round_trip_and_keys_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path().join("attachments")).unwrap();
        let key = new_key(7);
        assert!(key.starts_with("7/"));
        store.put(&key, b"hello".to_vec()).await.unwrap();
        assert_eq!(
            store.get(&key).await.unwrap().as_deref(),
            Some(&b"hello"[..])
        );
        let leftovers: Vec<_> = std::fs::read_dir(store.root().join("7"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
        store.delete(&key).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), None);
        store.delete(&key).await.unwrap();
        for bad in ["../x", "7/../../etc", "7/ABC", "x/ab", "7/", "/ab"] {
            assert!(store.get(bad).await.is_err(), "{bad} is refused");
        }
    }

    #[tokio::test]
    async fn a_failed_write_removes_what_it_wrote_and_a_commit_what_it_released() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn BlobStore> = Arc::new(FsBlobStore::open(dir.path()).unwrap());
        let journal = Journal::new(store.clone());
        let written = journal.put(1, b"a".to_vec()).await.unwrap();
        journal.settle(false).await;
        assert_eq!(store.get(&written).await.unwrap(), None);

        let journal = Journal::new(store.clone());
        let kept = journal.put(1, b"b".to_vec()).await.unwrap();
        let old = new_key(1);
        store.put(&old, b"c".to_vec()).await.unwrap();
        journal.release([old.clone()]);
        journal.settle(true).await;
        assert!(store.get(&kept).await.unwrap().is_some());
        assert_eq!(store.get(&old).await.unwrap(), None);
    }
}
