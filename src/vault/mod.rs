//! The vault: encryption of secrets at rest.
//!
//! Envelope encryption. Each account has a random 256-bit data key, stored
//! only wrapped (AES-256-GCM) by the master key, with the account id as
//! associated data. Each secret value is sealed (AES-256-GCM, random nonce)
//! by its account's data key, bound to account, table, row, column and secret
//! version (see [`crypto`]). The master key is 32 random bytes in
//! `master.key` in the data directory (created once, mode 0600) or given
//! base64-encoded in `MORTAR_MASTER_KEY`; its SHA-256 fingerprint is kept in
//! the database so a wrong or missing key is refused rather than replaced.
//! Only this module sees plaintext keys.

pub mod crypto;
pub mod generate;
pub mod totp;

use std::collections::HashMap;
use std::sync::Mutex;

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::store::{Scope, Store};

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// File name of the master key inside the data directory.
pub const KEY_FILE: &str = "master.key";
/// Where a rotation writes the next master key before the database switches to it.
pub const NEXT_KEY_FILE: &str = "master.key.next";

/// The master key. Its `Debug` never shows the bytes.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.fingerprint())
    }
}

impl MasterKey {
    /// Decodes a base64 key of exactly 32 bytes.
    pub fn from_base64(text: &str) -> anyhow::Result<MasterKey> {
        let bytes = STANDARD
            .decode(text.trim())
            .context("the master key is not valid base64")?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("the master key must be 32 bytes"))?;
        Ok(MasterKey(Zeroizing::new(bytes)))
    }

    /// A new random key.
    pub fn generate() -> MasterKey {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(bytes.as_mut());
        MasterKey(bytes)
    }

    /// The key's base64 form, as the key file and `MORTAR_MASTER_KEY` hold it.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.0.as_ref()))
    }

    /// Reads a key file.
    pub fn read_file(path: &Path) -> anyhow::Result<MasterKey> {
        let text = Zeroizing::new(
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        );
        MasterKey::from_base64(&text).with_context(|| format!("reading {}", path.display()))
    }

    /// Writes the key to `path` (mode 0600, atomically).
    pub fn write_file(&self, path: &Path) -> anyhow::Result<()> {
        write_private(path, self.to_base64().as_bytes())
    }

    /// The key from `env_value` if given, else from the data directory's key
    /// file, which is created (0600) when missing.
    pub fn load_or_create(data_dir: &Path, env_value: Option<&str>) -> anyhow::Result<MasterKey> {
        if let Some(text) = env_value {
            return MasterKey::from_base64(text).context("reading MORTAR_MASTER_KEY");
        }
        let path = data_dir.join(KEY_FILE);
        if path.exists() {
            return MasterKey::read_file(&path);
        }
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let key = MasterKey::generate();
        key.write_file(&path)?;
        Ok(key)
    }

    /// A short public fingerprint (first 16 hex digits of SHA-256), to tell keys apart.
    pub fn fingerprint(&self) -> String {
        data_encoding::HEXLOWER.encode(&Sha256::digest(self.0.as_ref())[..8])
    }

    fn wrap(&self, account: i64, data_key: &[u8; 32]) -> String {
        crypto::seal(&self.0, data_key, &crypto::data_key_aad(account))
    }

    fn unwrap(
        &self,
        account: i64,
        wrapped: &str,
    ) -> std::result::Result<Zeroizing<[u8; 32]>, crypto::OpenError> {
        let bytes = Zeroizing::new(crypto::open(
            &self.0,
            wrapped,
            &crypto::data_key_aad(account),
        )?);
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| crypto::OpenError)?;
        Ok(Zeroizing::new(key))
    }
}

/// The vault of a running server: the master key and the accounts' data keys.
pub struct Vault {
    master: MasterKey,
    data_keys: Mutex<HashMap<i64, Zeroizing<[u8; 32]>>>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("master", &self.master)
            .finish_non_exhaustive()
    }
}

/// Loads the master key for `store`: from `env_key`, else the data directory's
/// key file (made on first use). Refuses a key that does not match the one the
/// database's secrets are sealed under, and refuses to make a new key when
/// secrets exist. Finishes a rotation that was interrupted after the database
/// switched to the next key (key file), or, with `MORTAR_MASTER_KEY`, refuses
/// the old key and names the file holding the new one until the variable is
/// set to it; discards a next key whose rotation never committed.
pub async fn load_master_key(
    store: &Store,
    data_dir: &Path,
    env_key: Option<&str>,
) -> anyhow::Result<MasterKey> {
    let recorded = store.vault_fingerprint().await?;
    let sealed_accounts = store.vault_key_count().await?;
    let path = data_dir.join(KEY_FILE);
    let next_path = data_dir.join(NEXT_KEY_FILE);
    let mut key = match env_key {
        Some(text) => MasterKey::from_base64(text).context("reading MORTAR_MASTER_KEY")?,
        None if path.exists() => MasterKey::read_file(&path)?,
        None if sealed_accounts > 0 => anyhow::bail!(
            "the database holds secrets sealed under master key {}, but {} does not exist and \
             MORTAR_MASTER_KEY is not set; restore the key file (a new key cannot open them)",
            recorded.as_deref().unwrap_or("?"),
            path.display()
        ),
        None => MasterKey::load_or_create(data_dir, None)?,
    };
    if next_path.exists() {
        let next = MasterKey::read_file(&next_path)?;
        let committed = recorded.as_deref() == Some(next.fingerprint().as_str());
        if !committed {
            // The rotation never committed: the current key is still the one.
            std::fs::remove_file(&next_path).ok();
        } else if env_key.is_none() {
            // The rotation committed but did not get to install the file.
            std::fs::rename(&next_path, &path).context("finishing an interrupted key rotation")?;
            key = next;
        } else if key.fingerprint() == next.fingerprint() {
            // The operator installed the rotated key in MORTAR_MASTER_KEY: the
            // copy on disk next to the data has done its job.
            std::fs::remove_file(&next_path)
                .with_context(|| format!("removing {}", next_path.display()))?;
        } else {
            anyhow::bail!(
                "a master key rotation committed: the database's secrets are now sealed under \
                 master key {}, which is in {}, but MORTAR_MASTER_KEY holds key {}; set \
                 MORTAR_MASTER_KEY to the contents of that file and start again (the file is \
                 removed once a server starts with it)",
                next.fingerprint(),
                next_path.display(),
                key.fingerprint()
            );
        }
    }
    match recorded {
        Some(fingerprint) if fingerprint != key.fingerprint() && sealed_accounts > 0 => anyhow::bail!(
            "the master key {} is not the one the database's secrets are sealed under ({fingerprint}); \
             refusing to start",
            key.fingerprint()
        ),
        Some(fingerprint) if fingerprint == key.fingerprint() => {}
        _ => store.set_vault_fingerprint(&key.fingerprint()).await?,
    }
    Ok(key)
}

/// What a completed rotation leaves for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// The new master key's fingerprint (public).
    pub fingerprint: String,
    /// When the old key came from `MORTAR_MASTER_KEY`: the file (mode 0600)
    /// that holds the new key until the operator moves it into the variable.
    /// `None` when the key lives in the data directory's key file, which the
    /// rotation replaced.
    pub pending_env_key: Option<std::path::PathBuf>,
}

/// Re-wraps every account's data key under a new master key, in one
/// transaction, and installs the new key.
///
/// Safe to interrupt at any point: the new key is written (0600, synced) to
/// `master.key.next` in the data directory *before* the transaction commits,
/// so the vault always opens with the old key (not committed yet) or with
/// the key in that file (committed). With a key file, the file then replaces
/// `master.key`, and [`load_master_key`] finishes an interrupted rename. With
/// `MORTAR_MASTER_KEY`, nothing else holds the new key: the file stays until
/// a server starts with the variable set to its contents (which removes it),
/// and a server given the old key refuses to start, naming the file.
pub async fn rotate_master_key(
    store: &Store,
    data_dir: &Path,
    env_key: Option<&str>,
) -> anyhow::Result<Rotated> {
    let old = load_master_key(store, data_dir, env_key).await?;
    let new = MasterKey::generate();
    let next_path = data_dir.join(NEXT_KEY_FILE);
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    new.write_file(&next_path)?;
    store
        .rewrap_data_keys(&new.fingerprint(), |account, wrapped| {
            let data_key = old.unwrap(account, wrapped).map_err(|_| {
                anyhow::anyhow!(
                    "the data key of account {account} does not open with the current master key"
                )
            })?;
            Ok(new.wrap(account, &data_key))
        })
        .await?;
    // Committed: from here on only the new key opens the vault. Write it again
    // rather than trust the file written before the commit (a server started
    // meanwhile, against the advice to stop them, would have removed it).
    if env_key.is_none() {
        new.write_file(&data_dir.join(KEY_FILE))
            .context("installing the new master key")?;
        std::fs::remove_file(&next_path).ok();
        Ok(Rotated {
            fingerprint: new.fingerprint(),
            pending_env_key: None,
        })
    } else {
        new.write_file(&next_path)?;
        Ok(Rotated {
            fingerprint: new.fingerprint(),
            pending_env_key: Some(next_path),
        })
    }
}

impl Vault {
    /// A vault over a loaded master key.
    pub fn new(master: MasterKey) -> Vault {
        Vault {
            master,
            data_keys: Mutex::new(HashMap::new()),
        }
    }

    /// The master key's fingerprint.
    pub fn fingerprint(&self) -> String {
        self.master.fingerprint()
    }

    /// Makes sure the account has a data key, committed, and caches it.
    /// Runs outside any write transaction (call it before one begins).
    pub async fn ensure_data_key(&self, store: &Store, scope: Scope) -> Result<()> {
        if self.cached(scope).is_some() {
            return Ok(());
        }
        let wrapped = match store.wrapped_data_key(scope).await? {
            Some(wrapped) => wrapped,
            None => {
                let mut fresh = Zeroizing::new([0u8; 32]);
                rand::rngs::OsRng.fill_bytes(fresh.as_mut());
                let wrapped = self.master.wrap(scope.account_id(), &fresh);
                store
                    .insert_wrapped_data_key(scope, &wrapped, &self.master.fingerprint())
                    .await?;
                // Another writer may have won the race: read back what was committed.
                store
                    .wrapped_data_key(scope)
                    .await?
                    .ok_or_else(|| {
                        Error::Internal(anyhow::anyhow!(
                            "the master key was rotated while this server ran; restart it with the new key"
                        ))
                    })?
            }
        };
        let key = self
            .master
            .unwrap(scope.account_id(), &wrapped)
            .map_err(|_| Error::Internal(anyhow::anyhow!("an account data key failed to open")))?;
        self.data_keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(scope.account_id(), key);
        Ok(())
    }

    fn cached(&self, scope: Scope) -> Option<Zeroizing<[u8; 32]>> {
        self.data_keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&scope.account_id())
            .cloned()
    }

    fn data_key(&self, scope: Scope) -> Result<Zeroizing<[u8; 32]>> {
        self.cached(scope).ok_or_else(|| {
            Error::Internal(anyhow::anyhow!(
                "the account's data key was not loaded before the write"
            ))
        })
    }

    /// Seals a secret for `(table, row, column, version)` of the account.
    pub fn seal(&self, scope: Scope, place: &Place<'_>, plaintext: &str) -> Result<String> {
        let key = self.data_key(scope)?;
        Ok(crypto::seal(&key, plaintext.as_bytes(), &place.aad(scope)))
    }

    /// Opens a secret sealed by [`Vault::seal`] for the same place.
    pub fn open(&self, scope: Scope, place: &Place<'_>, sealed: &str) -> Result<Zeroizing<String>> {
        let key = self.data_key(scope)?;
        let bytes = crypto::open(&key, sealed, &place.aad(scope)).map_err(|e| {
            Error::Internal(anyhow::anyhow!(
                "{e} at {}/{}/{}",
                place.table,
                place.row,
                place.column
            ))
        })?;
        String::from_utf8(bytes)
            .map(Zeroizing::new)
            .map_err(|_| Error::Internal(anyhow::anyhow!("a secret is not UTF-8")))
    }
}

/// Where a sealed value lives; bound into its associated data.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// Table.
    pub table: &'a str,
    /// Row id.
    pub row: i64,
    /// Column.
    pub column: &'a str,
    /// Secret version of the row.
    pub version: i64,
}

impl Place<'_> {
    fn aad(&self, scope: Scope) -> Vec<u8> {
        crypto::secret_aad(
            scope.account_id(),
            self.table,
            self.row,
            self.column,
            self.version,
        )
    }
}

/// Writes `contents` to `path` with owner-only permissions, atomically
/// (a temporary file renamed into place).
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let temporary = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(&temporary)
        .with_context(|| format!("creating {}", temporary.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))?;
    // Make the rename itself durable before anyone relies on the file.
    #[cfg(unix)]
    if let Some(directory) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(directory)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("syncing {}", directory.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = MasterKey::load_or_create(dir.path(), None).unwrap();
        let again = MasterKey::load_or_create(dir.path(), None).unwrap();
        assert_eq!(first.fingerprint(), again.fingerprint());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{first:?}").contains(first.to_base64().as_str()));
    }

    #[test]
    fn env_key_must_be_32_bytes_of_base64() {
        assert!(MasterKey::from_base64("not base64!").is_err());
        assert!(MasterKey::from_base64(&STANDARD.encode([1u8; 16])).is_err());
        assert!(MasterKey::from_base64(&STANDARD.encode([1u8; 32])).is_ok());
    }
}
