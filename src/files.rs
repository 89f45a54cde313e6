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
}

/// How old an unreferenced blob file must be before a start-up sweep
/// removes it: far longer than any write takes.
pub const SWEEP_GRACE: Duration = Duration::from_secs(3600);

/// A new random key for a blob of `account_id` (never derived from content).
pub fn new_key(account_id: i64) -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{account_id}/{}", hex::encode(bytes))
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
                let stale = file.metadata()?.modified()? < cutoff;
                if stale && !referenced.contains(&key) {
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
        let valid = key.split_once('/').is_some_and(|(account, name)| {
            !account.is_empty()
                && account.bytes().all(|b| b.is_ascii_digit())
                && !name.is_empty()
                && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        });
        if valid {
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

/// The blobs one request's write touches: those it wrote (removed again if
/// the write fails) and those its committed deletes released (removed once
/// it has committed). Hooks write blobs only through it.
pub struct Journal {
    store: Arc<dyn BlobStore>,
    written: Mutex<Vec<String>>,
    released: Mutex<Vec<String>>,
}

impl Journal {
    /// An empty journal over `store`.
    pub fn new(store: Arc<dyn BlobStore>) -> Journal {
        Journal {
            store,
            written: Mutex::new(Vec::new()),
            released: Mutex::new(Vec::new()),
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
    }
}

fn lock(list: &Mutex<Vec<String>>) -> std::sync::MutexGuard<'_, Vec<String>> {
    list.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

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
