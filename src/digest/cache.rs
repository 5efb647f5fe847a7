//! One digest per file version: each local file is hashed once, however many stages and
//! targets of a command need its digest (resolution, every push target), and across commands
//! while the file is unchanged. Digests are cached in memory and (optionally) on disk, keyed
//! by path, size, modification time and, on Unix, the inode and change time, so a file that
//! is replaced or rewritten in place is hashed again.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use super::{BUFFER_SIZE, Digest, Hasher};

/// The on-disk cache file's name inside the cache directory.
const CACHE_FILE: &str = "digests.json";
/// A cache file larger than this is ignored rather than read (bounded memory).
const MAX_CACHE_FILE: u64 = 16 << 20;
/// Entries kept on disk; older ones are dropped first when there are more.
const MAX_ENTRIES: usize = 20_000;

/// What identifies a file version: if any part changes, the file is hashed again. The inode
/// catches a file replaced by another with the same size and time (a rename over it); the
/// change time catches a rewrite whose modification time was set back (`touch -r`, `cp -p`).
/// Both are 0 where the platform has no such thing, and in entries written before they were
/// recorded (those are hashed once more).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct FileKey {
    path: PathBuf,
    size: u64,
    mtime_ns: u64,
    #[serde(default)]
    inode: u64,
    #[serde(default)]
    ctime_ns: u64,
}

/// Why a file's digest could not be had.
#[derive(Debug, thiserror::Error)]
pub enum DigestCacheError {
    /// The file could not be opened, read or its metadata read.
    #[error("{action} `{}`", path.display())]
    Io {
        /// What was being done ("opening", "reading", "reading metadata of").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file's size changed while it was hashed.
    #[error(
        "`{}` changed while it was hashed ({before} bytes before, {read} read): hash it again when nothing writes to it",
        path.display()
    )]
    Changed {
        /// The file.
        path: PathBuf,
        /// Its size before hashing.
        before: u64,
        /// The bytes read.
        read: u64,
    },
    /// Another thread panicked while holding the cache.
    #[error("the digest cache was poisoned by a panic in another thread")]
    Poisoned,
}

impl DigestCacheError {
    fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        DigestCacheError::Io {
            action,
            path: path.to_owned(),
            source,
        }
    }
}

/// What hashing reports while it reads, for a progress bar (bytes, rate, ETA) or JSON events.
/// Called from the hashing threads; `advanced` comes at most once per 1 MiB read.
pub trait HashProgress: Sync {
    /// Hashing of `path` (`size` bytes) starts: its digest was not cached.
    fn started(&self, path: &Path, size: u64);
    /// `done` bytes of `path` have been hashed so far.
    fn advanced(&self, path: &Path, done: u64);
    /// `path` is hashed.
    fn finished(&self, path: &Path);
}

/// Reports nothing.
impl HashProgress for () {
    fn started(&self, _path: &Path, _size: u64) {}
    fn advanced(&self, _path: &Path, _done: u64) {}
    fn finished(&self, _path: &Path) {}
}

#[derive(Debug, Serialize, Deserialize)]
struct DiskEntry {
    key: FileKey,
    sha256: Digest,
}

/// Digest cache shared by every stage of one command (resolution, each push target).
/// Clone-free: share it by reference. Concurrent requests for the same file wait for one
/// hash instead of hashing twice.
#[derive(Debug, Default)]
pub struct DigestCache {
    entries: Mutex<HashMap<FileKey, Arc<Mutex<Option<Digest>>>>>,
    disk: Option<PathBuf>,
    bytes_hashed: AtomicU64,
    /// Held through a whole save: threads remembering blobs side by side each save, and two
    /// overlapping saves would each write the entries they saw, the later without the other's.
    saving: Mutex<()>,
}

impl DigestCache {
    /// A cache that lives for this command only.
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// On disk under `dir` ([`DigestCache::with_disk`]) when there is one, else in memory.
    pub fn open(dir: Option<&Path>) -> Self {
        dir.map_or_else(Self::in_memory, Self::with_disk)
    }

    /// A cache that also remembers digests in `dir/digests.json` (the CLI passes the user
    /// cache directory). A missing, unreadable or oversized file starts the cache empty.
    pub fn with_disk(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        let entries = read_disk(&dir)
            .into_iter()
            .map(|entry| (entry.key, Arc::new(Mutex::new(Some(entry.sha256)))))
            .collect();
        Self {
            entries: Mutex::new(entries),
            disk: Some(dir),
            bytes_hashed: AtomicU64::new(0),
            saving: Mutex::new(()),
        }
    }

    /// Bytes read for hashing by this cache so far (what the "each file read at most twice"
    /// benchmark and tests count).
    pub fn bytes_hashed(&self) -> u64 {
        self.bytes_hashed.load(Ordering::Relaxed)
    }

    /// Records the digest of the file at `path` computed elsewhere while its bytes streamed
    /// by (a verified download), so the push does not read it again.
    pub fn remember(&self, path: &Path, digest: Digest) -> Result<(), DigestCacheError> {
        let key = file_key(path)?;
        self.entries
            .lock()
            .map_err(|_| DigestCacheError::Poisoned)?
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
        progress: &(impl HashProgress + ?Sized),
    ) -> Result<(Digest, u64), DigestCacheError> {
        let result = self.digest_unsaved(path, progress);
        if result.is_ok() {
            self.save();
        }
        result
    }

    /// The digests and sizes of `paths`, in order, hashing those not cached several at a time
    /// (up to the number of cores: hashing is CPU-bound on a page-cached or fast disk), and
    /// writing the cache file once at the end.
    pub fn digest_files(
        &self,
        paths: &[PathBuf],
        progress: &(impl HashProgress + ?Sized),
    ) -> Vec<Result<(Digest, u64), DigestCacheError>> {
        let workers = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(paths.len());
        let results: Vec<Mutex<Option<_>>> = paths.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = paths.get(index) else { break };
                        let result = self.digest_unsaved(path, progress);
                        if let Ok(mut slot) = results[index].lock() {
                            *slot = Some(result);
                        }
                    }
                });
            }
        });
        self.save();
        results
            .into_iter()
            .map(|slot| {
                slot.into_inner()
                    .ok()
                    .flatten()
                    .unwrap_or(Err(DigestCacheError::Poisoned))
            })
            .collect()
    }

    fn digest_unsaved(
        &self,
        path: &Path,
        progress: &(impl HashProgress + ?Sized),
    ) -> Result<(Digest, u64), DigestCacheError> {
        let key = file_key(path)?;
        let slot = {
            let mut entries = self
                .entries
                .lock()
                .map_err(|_| DigestCacheError::Poisoned)?;
            entries.entry(key.clone()).or_default().clone()
        };
        let mut slot = slot.lock().map_err(|_| DigestCacheError::Poisoned)?;
        if let Some(digest) = *slot {
            return Ok((digest, key.size));
        }
        progress.started(path, key.size);
        let file = File::open(path).map_err(|e| DigestCacheError::io("opening", path, e))?;
        let (digest, len) = hash_reporting(file, |done| progress.advanced(path, done))
            .map_err(|e| DigestCacheError::io("reading", path, e))?;
        self.bytes_hashed.fetch_add(len, Ordering::Relaxed);
        progress.finished(path);
        if len != key.size {
            return Err(DigestCacheError::Changed {
                path: path.to_owned(),
                before: key.size,
                read: len,
            });
        }
        *slot = Some(digest);
        Ok((digest, len))
    }

    /// Writes the cache file; failures only cost a re-hash next time, so they are ignored.
    fn save(&self) {
        let Some(dir) = &self.disk else { return };
        let Ok(_saving) = self.saving.lock() else {
            return;
        };
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
        // Another cache on the same folder (a second stage of this command, or another
        // command running beside it) may have saved since this one was loaded: keep its
        // entries instead of writing over them.
        let ours: std::collections::HashSet<FileKey> =
            list.iter().map(|entry| entry.key.clone()).collect();
        list.extend(
            read_disk(dir)
                .into_iter()
                .filter(|entry| !ours.contains(&entry.key)),
        );
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

/// The entries saved in `dir`; none when the file is missing, unreadable or oversized.
fn read_disk(dir: &Path) -> Vec<DiskEntry> {
    let path = dir.join(CACHE_FILE);
    let small_enough = fs::metadata(&path).is_ok_and(|m| m.len() <= MAX_CACHE_FILE);
    if small_enough
        && let Ok(file) = File::open(&path)
        && let Ok(list) = serde_json::from_reader::<_, Vec<DiskEntry>>(BufReader::new(file))
    {
        return list;
    }
    Vec::new()
}

/// Hashes everything `reader` yields, calling `advanced` with the running total after each
/// 1 MiB read.
fn hash_reporting(mut reader: impl Read, advanced: impl Fn(u64)) -> std::io::Result<(Digest, u64)> {
    let mut hasher = Hasher::default();
    let mut buffer = vec![0u8; BUFFER_SIZE];
    let mut done = 0u64;
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buffer[..n]);
                done += n as u64;
                advanced(done);
            }
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(hasher.finish())
}

fn file_key(path: &Path) -> Result<FileKey, DigestCacheError> {
    let meta =
        fs::metadata(path).map_err(|e| DigestCacheError::io("reading metadata of", path, e))?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let (inode, ctime_ns) = inode_and_ctime(&meta);
    let path = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    Ok(FileKey {
        path,
        size: meta.len(),
        mtime_ns,
        inode,
        ctime_ns,
    })
}

#[cfg(unix)]
fn inode_and_ctime(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let ctime_ns = u64::try_from(meta.ctime())
        .unwrap_or(0)
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::try_from(meta.ctime_nsec()).unwrap_or(0));
    (meta.ino(), ctime_ns)
}

#[cfg(not(unix))]
fn inode_and_ctime(_meta: &fs::Metadata) -> (u64, u64) {
    (0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No progress reports.
    const QUIET: &() = &();

    #[test]
    fn hashes_once_then_again_after_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.gguf");
        fs::write(&file, b"hello").unwrap();
        let cache = DigestCache::in_memory();
        let first = cache.digest_file(&file, QUIET).unwrap();
        let second = cache.digest_file(&file, QUIET).unwrap();
        assert_eq!(first, second);
        assert_eq!(first, (Digest::of_bytes(b"hello"), 5));
        assert_eq!(cache.bytes_hashed(), 5);
        fs::write(&file, b"hello, world").unwrap();
        let third = cache.digest_file(&file, QUIET).unwrap();
        assert_eq!(third.0, Digest::of_bytes(b"hello, world"));
        assert_eq!(cache.bytes_hashed(), 17);
    }

    #[test]
    fn several_files_are_hashed_together_in_order_and_once() {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = (0..5)
            .map(|i| {
                let path = dir.path().join(format!("{i}.gguf"));
                fs::write(&path, vec![i as u8; 1000 + i]).unwrap();
                path
            })
            .collect();
        let cache = DigestCache::in_memory();
        let first: Vec<_> = cache
            .digest_files(&paths, QUIET)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        for (i, (digest, len)) in first.iter().enumerate() {
            assert_eq!(*digest, Digest::of_bytes(&vec![i as u8; 1000 + i]));
            assert_eq!(*len, 1000 + i as u64);
        }
        assert_eq!(cache.bytes_hashed(), 5000 + 10);
        cache.digest_files(&paths, QUIET);
        assert_eq!(cache.bytes_hashed(), 5010, "the second pass reads nothing");
    }

    #[cfg(unix)]
    #[test]
    fn a_rewrite_with_the_old_size_and_time_is_hashed_again() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.gguf");
        fs::write(&file, b"before").unwrap();
        let mtime = fs::metadata(&file).unwrap().modified().unwrap();
        let cache = DigestCache::in_memory();
        cache.digest_file(&file, QUIET).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(&file, b"after!").unwrap();
        File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        // Same path, size and modification time: only the change time tells.
        let (digest, _) = cache.digest_file(&file, QUIET).unwrap();
        assert_eq!(digest, Digest::of_bytes(b"after!"));
    }

    #[test]
    fn disk_cache_survives_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("b.gguf");
        fs::write(&file, b"bytes").unwrap();
        let cache_dir = dir.path().join("cache");
        let first = DigestCache::with_disk(&cache_dir);
        first.digest_file(&file, QUIET).unwrap();
        let second = DigestCache::with_disk(&cache_dir);
        assert_eq!(
            second.digest_file(&file, QUIET).unwrap().0,
            Digest::of_bytes(b"bytes")
        );
        assert_eq!(
            second.bytes_hashed(),
            0,
            "the second command reads the digest from disk"
        );
    }

    #[test]
    fn caches_saving_to_one_folder_keep_each_others_entries() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.gguf"), dir.path().join("b.gguf"));
        fs::write(&a, b"first").unwrap();
        fs::write(&b, b"second").unwrap();
        let cache_dir = dir.path().join("cache");
        // Both loaded before either saves, as two stages of a command (or two commands) are.
        let one = DigestCache::with_disk(&cache_dir);
        let two = DigestCache::with_disk(&cache_dir);
        one.digest_file(&a, QUIET).unwrap();
        two.digest_file(&b, QUIET).unwrap();
        let later = DigestCache::with_disk(&cache_dir);
        assert_eq!(
            later.known(&a).map(|(d, _)| d),
            Some(Digest::of_bytes(b"first"))
        );
        assert_eq!(
            later.known(&b).map(|(d, _)| d),
            Some(Digest::of_bytes(b"second"))
        );
    }

    #[test]
    fn threads_remembering_at_once_all_reach_the_disk() {
        // Blobs written side by side are remembered from several threads; each save must
        // see the entries the others added, or the last file written misses one. Several
        // rounds, as a lost entry takes two saves overlapping.
        for round in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            let cache_dir = dir.path().join("cache");
            let cache = DigestCache::with_disk(&cache_dir);
            let files: Vec<PathBuf> = (0..64)
                .map(|n| {
                    let path = dir.path().join(format!("blob-{n}"));
                    fs::write(&path, format!("{round} {n}")).unwrap();
                    path
                })
                .collect();
            std::thread::scope(|scope| {
                for chunk in files.chunks(4) {
                    let cache = &cache;
                    scope.spawn(move || {
                        for path in chunk {
                            let text = fs::read(path).unwrap();
                            cache.remember(path, Digest::of_bytes(&text)).unwrap();
                        }
                    });
                }
            });
            let later = DigestCache::with_disk(&cache_dir);
            let missing: Vec<&PathBuf> =
                files.iter().filter(|p| later.known(p).is_none()).collect();
            assert!(missing.is_empty(), "round {round}, not saved: {missing:?}");
        }
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = DigestCache::in_memory()
            .digest_file(Path::new("/nonexistent/x.gguf"), QUIET)
            .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/x.gguf"), "{err}");
    }
}
