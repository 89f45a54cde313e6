//! The backup file: a zstd-compressed tar (with zstd's frame checksum) of
//! named members, the manifest last. Writing hashes every member as it goes;
//! reading checks every member against the manifest.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use sha2::{Digest as _, Sha256};

use super::{Manifest, Member, MANIFEST};

/// zstd's frame magic number: the first four bytes of every backup file.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// A reader that hashes and counts what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
    /// The first read error, told apart from errors of whoever consumes the bytes.
    failed: Option<String>,
}

impl<R> Hashing<R> {
    fn new(inner: R) -> Hashing<R> {
        Hashing {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
            failed: None,
        }
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf).inspect_err(|e| {
            self.failed.get_or_insert_with(|| e.to_string());
        })?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// An archive being written to a file.
pub(super) struct Writer {
    tar: tar::Builder<zstd::Encoder<'static, BufWriter<File>>>,
    members: Vec<Member>,
    mtime: u64,
}

impl Writer {
    /// Starts an archive in `file` (created or truncated).
    pub(super) fn create(path: &Path, mtime: u64) -> io::Result<Writer> {
        let file = File::create(path)?;
        let mut encoder = zstd::Encoder::new(BufWriter::with_capacity(1 << 20, file), 3)?;
        encoder.include_checksum(true)?;
        Ok(Writer {
            tar: tar::Builder::new(encoder),
            members: Vec::new(),
            mtime,
        })
    }

    /// Appends `size` bytes read from `source` as member `path`.
    pub(super) fn append(&mut self, path: &str, size: u64, source: impl Read) -> io::Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_size(size);
        header.set_mode(0o600);
        header.set_mtime(self.mtime);
        header.set_entry_type(tar::EntryType::Regular);
        let mut reader = Hashing::new(source.take(size));
        self.tar.append_data(&mut header, path, &mut reader)?;
        if reader.bytes != size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "{path} was {size} bytes but only {} could be read",
                    reader.bytes
                ),
            ));
        }
        self.members.push(Member {
            path: path.to_string(),
            size,
            sha256: data_encoding::HEXLOWER.encode(&reader.hasher.finalize()),
        });
        Ok(())
    }

    /// Appends the file at `file` as member `path`.
    pub(super) fn append_file(&mut self, path: &str, file: &Path) -> io::Result<()> {
        let source = File::open(file)?;
        let size = source.metadata()?.len();
        self.append(path, size, source)
    }

    /// Adds the manifest (with every member so far) and completes the file,
    /// synced to disk.
    pub(super) fn finish(mut self, mut manifest: Manifest) -> io::Result<Manifest> {
        manifest.members = std::mem::take(&mut self.members);
        let text = serde_json::to_vec_pretty(&manifest).map_err(io::Error::other)?;
        self.append(MANIFEST, text.len() as u64, &text[..])?;
        let encoder = self.tar.into_inner()?;
        let mut buffered = encoder.finish()?;
        buffered.flush()?;
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        manifest.members.pop();
        Ok(manifest)
    }
}

/// Why an archive cannot be used, in words for the operator.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The file could not be opened or read at all.
    #[error("cannot read {file}: {cause}")]
    Unreadable {
        /// The archive.
        file: String,
        /// The error.
        cause: io::Error,
    },
    /// Restoring a member failed for a reason of the target (disk full, permissions).
    #[error("cannot write the restored files: {cause}")]
    Unwritable {
        /// The error.
        cause: io::Error,
    },
    /// Not something `mortar backup` writes.
    #[error(
        "{file} is not a Mortar backup: {why}. Check the path; a backup is the file `mortar backup --to FILE` wrote"
    )]
    Foreign {
        /// The archive.
        file: String,
        /// What gave it away.
        why: String,
    },
    /// Damaged or cut short.
    #[error(
        "{file} is damaged or incomplete: {why}. Nothing was restored. Use another copy of the backup \
         (if it was copied or downloaded, copy it again and compare its size and SHA-256 with the original)"
    )]
    Damaged {
        /// The archive.
        file: String,
        /// What is wrong.
        why: String,
    },
}

/// Reads every member of the archive at `path`, checks it against the
/// manifest, and hands each member's path, size and bytes to `sink`
/// (which may copy them somewhere) before it is checked. Returns the
/// manifest once every member matched it.
pub(super) fn read(
    path: &Path,
    mut sink: impl FnMut(&str, u64, &mut dyn Read) -> io::Result<()>,
) -> Result<Manifest, Refusal> {
    let file_name = path.display().to_string();
    let unreadable = |cause| Refusal::Unreadable {
        file: file_name.clone(),
        cause,
    };
    let foreign = |why: String| Refusal::Foreign {
        file: file_name.clone(),
        why,
    };
    let damaged = |why: String| Refusal::Damaged {
        file: file_name.clone(),
        why,
    };
    let mut file = File::open(path).map_err(unreadable)?;
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match file.read(&mut magic[got..]).map_err(unreadable)? {
            0 => break,
            n => got += n,
        }
    }
    if got < 4 || magic != ZSTD_MAGIC {
        return Err(foreign(
            "it does not start as a backup does (a zstd-compressed tar)".into(),
        ));
    }
    drop(file);
    let file = File::open(path).map_err(unreadable)?;
    let decoder = zstd::Decoder::new(file).map_err(unreadable)?;
    let mut archive = tar::Archive::new(decoder);
    let mut seen: Vec<Member> = Vec::new();
    let mut manifest: Option<Manifest> = None;
    let entries = archive
        .entries()
        .map_err(|e| damaged(format!("reading it failed ({e})")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| damaged(format!("reading it failed ({e})")))?;
        let name = entry
            .path()
            .map_err(|e| damaged(format!("a member has an unreadable name ({e})")))?
            .to_string_lossy()
            .to_string();
        if !super::member_path_is_valid(&name) {
            return Err(if seen.is_empty() {
                foreign(format!("it holds {name:?}, which no backup holds"))
            } else {
                damaged(format!("it holds {name:?}, which no backup holds"))
            });
        }
        if manifest.is_some() {
            return Err(damaged(format!("{name:?} follows the manifest")));
        }
        let size = entry.size();
        if name == MANIFEST {
            let mut text = Vec::new();
            entry
                .read_to_end(&mut text)
                .map_err(|e| damaged(format!("reading the manifest failed ({e})")))?;
            let parsed: Manifest = serde_json::from_slice(&text)
                .map_err(|e| damaged(format!("its manifest is not valid ({e})")))?;
            if parsed.format != super::FORMAT {
                return Err(foreign(format!(
                    "its manifest is of format {:?}",
                    parsed.format
                )));
            }
            if parsed.format_version > super::FORMAT_VERSION {
                return Err(foreign(format!(
                    "it is backup format version {}, newer than this Mortar ({}) reads; \
                     restore it with Mortar {} or newer",
                    parsed.format_version,
                    super::FORMAT_VERSION,
                    parsed.mortar_version
                )));
            }
            manifest = Some(parsed);
            continue;
        }
        let mut reader = Hashing::new(&mut entry);
        if let Err(e) = sink(&name, size, &mut reader) {
            return Err(match reader.failed.take() {
                Some(cause) if cause.contains("incomplete frame") => damaged(format!(
                    "it ends early, inside {name} (the file was cut short)"
                )),
                Some(cause) => damaged(format!("reading {name} failed ({cause})")),
                None => Refusal::Unwritable { cause: e },
            });
        }
        // Whatever the sink left unread still counts towards the checksum.
        io::copy(&mut reader, &mut io::sink())
            .map_err(|e| damaged(format!("reading {name} failed ({e})")))?;
        seen.push(Member {
            path: name,
            size: reader.bytes,
            sha256: data_encoding::HEXLOWER.encode(&reader.hasher.finalize()),
        });
    }
    let Some(manifest) = manifest else {
        return Err(if seen.is_empty() {
            foreign("it holds nothing a backup holds".into())
        } else {
            damaged(format!(
                "it ends after {} members, before its manifest (the file is cut short)",
                seen.len()
            ))
        });
    };
    if manifest.members.len() != seen.len() {
        return Err(damaged(format!(
            "its manifest lists {} members but it holds {}",
            manifest.members.len(),
            seen.len()
        )));
    }
    for (listed, found) in manifest.members.iter().zip(&seen) {
        if listed.path != found.path {
            return Err(damaged(format!(
                "it holds {} where its manifest lists {}",
                found.path, listed.path
            )));
        }
        if listed.size != found.size || listed.sha256 != found.sha256 {
            return Err(damaged(format!(
                "{} does not match its SHA-256 in the manifest",
                found.path
            )));
        }
    }
    Ok(manifest)
}
