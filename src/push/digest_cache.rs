//! Hash each file once per push command, however many targets it goes to, and across
//! commands while the file is unchanged: digests are cached in memory and (optionally) on
//! disk, keyed by path, size and modification time.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use super::error::PushError;
use super::progress::{Progress, ProgressEvent};
use crate::digest::Digest;

/// The on-disk cache file's name inside the cache directory.
const CACHE_FILE: &str = "digests.json";
/// A cache file larger than this is ignored rather than read (bounded memory).
const MAX_CACHE_FILE: u64 = 16 << 20;
/// Entries kept on disk; older ones are dropped first when there are more.
const MAX_ENTRIES: usize = 20_000;

/// What identifies a file version: if any part changes, the file is hashed again.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct FileKey {
    path: PathBuf,
    size: u64,
    mtime_ns: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct DiskEntry {
    key: FileKey,
    sha256: Digest,
}

/// Digest cache shared by every backend of one push command. Clone-free: share it by
/// reference. Concurrent requests for the same file wait for one hash instead of hashing
/// twice.
#[derive(Debug, Default)]
pub struct DigestCache {
    entries: Mutex<HashMap<FileKey, Arc<Mutex<Option<Digest>>>>>,
    disk: Option<PathBuf>,
    bytes_hashed: AtomicU64,
}

impl DigestCache {
    /// A cache that lives for this command only.
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// A cache that also remembers digests in `dir/digests.json` (the CLI passes the user
    /// cache directory). A missing, unreadable or oversized file starts the cache empty.
    pub fn with_disk(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let mut entries = HashMap::new();
        let path = dir.join(CACHE_FILE);
        let small_enough = fs::metadata(&path).is_ok_and(|m| m.len() <= MAX_CACHE_FILE);
        if small_enough
            && let Ok(file) = File::open(&path)
            && let Ok(list) = serde_json::from_reader::<_, Vec<DiskEntry>>(BufReader::new(file))
        {
            for entry in list {
                entries.insert(entry.key, Arc::new(Mutex::new(Some(entry.sha256))));
            }
        }
        Self {
            entries: Mutex::new(entries),
            disk: Some(dir),
            bytes_hashed: AtomicU64::new(0),
        }
    }

    /// Bytes read for hashing by this cache so far (what the "each file read at most twice"
    /// benchmark and tests count).
    pub fn bytes_hashed(&self) -> u64 {
        self.bytes_hashed.load(Ordering::Relaxed)
    }

    /// Records the digest of the file at `path` computed elsewhere while its bytes streamed
    /// by (a verified download), so the push does not read it again.
    pub fn remember(&self, path: &Path, digest: Digest) -> Result<(), PushError> {
        let key = file_key(path)?;
        self.entries
            .lock()
            .map_err(|_| poisoned())?
            .insert(key, Arc::new(Mutex::new(Some(digest))));
        self.save();
        Ok(())
    }

    /// The digest and size of the file at `path` if this version of it was hashed (or
    /// remembered) already; never reads the file.
    pub fn known(&self, path: &Path) -> Option<(Digest, u64)> {
        let key = file_key(path).ok()?;
        let slot = self.entries.lock().ok()?.get(&key)?.clone();
        let digest = (*slot.lock().ok()?)?;
        Some((digest, key.size))
    }

    /// The digest and size of the file at `path`, hashing it only if this version of it has
    /// not been hashed before.
    pub fn digest_file(
        &self,
        path: &Path,
        progress: &dyn Progress,
    ) -> Result<(Digest, u64), PushError> {
        let key = file_key(path)?;
        let slot = {
            let mut entries = self.entries.lock().map_err(|_| poisoned())?;
            entries.entry(key.clone()).or_default().clone()
        };
        let mut slot = slot.lock().map_err(|_| poisoned())?;
        if let Some(digest) = *slot {
            return Ok((digest, key.size));
        }
        progress.emit(ProgressEvent::Hashing {
            path: path.display().to_string(),
            size: key.size,
        });
        let mut file = File::open(path).map_err(|e| PushError::io("opening", path, e))?;
        let (digest, len) =
            Digest::of_reader(&mut file).map_err(|e| PushError::io("reading", path, e))?;
        self.bytes_hashed.fetch_add(len, Ordering::Relaxed);
        if len != key.size {
            return Err(PushError::input(format!(
                "`{}` changed while it was hashed ({} bytes before, {len} read): hash it again when nothing writes to it",
                path.display(),
                key.size
            )));
        }
        *slot = Some(digest);
        drop(slot);
        self.save();
        Ok((digest, len))
    }

    /// Writes the cache file; failures only cost a re-hash next time, so they are ignored.
    fn save(&self) {
        let Some(dir) = &self.disk else { return };
        let Ok(entries) = self.entries.lock() else {
            return;
        };
        let mut list: Vec<DiskEntry> = entries
            .iter()
            .filter_map(|(key, slot)| {
                let digest = (*slot.lock().ok()?)?;
                Some(DiskEntry {
                    key: key.clone(),
                    sha256: digest,
                })
            })
            .collect();
        drop(entries);
        list.sort_by_key(|entry| std::cmp::Reverse(entry.key.mtime_ns));
        list.truncate(MAX_ENTRIES);
        if fs::create_dir_all(dir).is_err() {
            return;
        }
        let Ok(mut temp) = tempfile::NamedTempFile::new_in(dir) else {
            return;
        };
        if serde_json::to_writer(&mut temp, &list).is_ok() && temp.flush().is_ok() {
            let _ = temp.persist(dir.join(CACHE_FILE));
        }
    }
}

fn file_key(path: &Path) -> Result<FileKey, PushError> {
    let meta = fs::metadata(path).map_err(|e| PushError::io("reading metadata of", path, e))?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let path = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(FileKey {
        path,
        size: meta.len(),
        mtime_ns,
    })
}

fn poisoned() -> PushError {
    PushError::input("the digest cache was poisoned by a panic in another transfer")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::push::progress::QuietProgress;

    #[test]
    fn hashes_once_then_again_after_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.gguf");
        fs::write(&file, b"hello").unwrap();
        let cache = DigestCache::in_memory();
        let first = cache.digest_file(&file, &QuietProgress).unwrap();
        let second = cache.digest_file(&file, &QuietProgress).unwrap();
        assert_eq!(first, second);
        assert_eq!(first, (Digest::of_bytes(b"hello"), 5));
        assert_eq!(cache.bytes_hashed(), 5);
        fs::write(&file, b"hello, world").unwrap();
        let third = cache.digest_file(&file, &QuietProgress).unwrap();
        assert_eq!(third.0, Digest::of_bytes(b"hello, world"));
        assert_eq!(cache.bytes_hashed(), 17);
    }

    #[test]
    fn disk_cache_survives_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("b.gguf");
        fs::write(&file, b"bytes").unwrap();
        let cache_dir = dir.path().join("cache");
        let first = DigestCache::with_disk(&cache_dir);
        first.digest_file(&file, &QuietProgress).unwrap();
        let second = DigestCache::with_disk(&cache_dir);
        assert_eq!(
            second.digest_file(&file, &QuietProgress).unwrap().0,
            Digest::of_bytes(b"bytes")
        );
        assert_eq!(
            second.bytes_hashed(),
            0,
            "the second command reads the digest from disk"
        );
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = DigestCache::in_memory()
            .digest_file(Path::new("/nonexistent/x.gguf"), &QuietProgress)
            .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/x.gguf"), "{err}");
    }
}
