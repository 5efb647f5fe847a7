//! Downloading whole LFS files from the Hub into a local cache, resumably.
//!
//! A file is cached as `<cache>/<sha256>` once its bytes hash to the sha256 the Hub lists;
//! until then it grows as `<cache>/<sha256>.partial`. A later run (or a retry after a dropped
//! connection) asks for `Range: bytes=<have>-` and appends; a server that ignores the range
//! (`200`) restarts the file. The bytes are hashed as they are written (the partial prefix
//! once, when resuming), so the file is read from disk at most once here.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::client::{Wait, timed_out};
use super::{HubClient, HubError};
use crate::digest::Digest;
use crate::source::{RepoId, RepoPath, Revision};

/// The read/write buffer: bounded memory whatever the file's size.
const BUFFER: usize = 1 << 20;
/// Most requests one download makes, progress or not (a bound on the retry loop).
const MAX_REQUESTS: u32 = 10_000;

/// A file in the download cache, verified against the Hub's sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// The cached file.
    pub path: PathBuf,
    /// Its sha256 (the Hub's, checked).
    pub sha256: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// Bytes fetched over the network in this call (0 when it was already cached).
    pub bytes_fetched: u64,
    /// Where this call started: bytes a previous, interrupted download had left.
    pub resumed_from: u64,
}

impl HubClient {
    /// Downloads `path` of `repo` at `revision` into `cache` (created if missing), resuming a
    /// partial download, and checks the bytes against `sha256` and `size` (the Hub's LFS oid
    /// and size). A file already cached under its digest is returned without a request.
    /// `on_bytes` is told how many bytes of the file are in the cache: once before the first
    /// request (what an earlier download left), then after each write.
    #[allow(clippy::too_many_arguments)] // Where, what, how big, into which cache, reporting to whom.
    pub fn download(
        &self,
        repo: &RepoId,
        revision: &Revision,
        path: &RepoPath,
        sha256: &Digest,
        size: u64,
        cache: &Path,
        on_bytes: &(dyn Fn(u64) + Sync),
    ) -> Result<Downloaded, HubError> {
        let done = cache.join(sha256.as_str());
        let partial = cache.join(format!("{}.partial", sha256.as_str()));
        let io = |action: &'static str, path: &Path| {
            let path = path.to_owned();
            move |source| HubError::CacheIo {
                action,
                path,
                source,
            }
        };
        if fs::metadata(&done).is_ok_and(|m| m.is_file() && m.len() == size) {
            return Ok(Downloaded {
                path: done,
                sha256: *sha256,
                size,
                bytes_fetched: 0,
                resumed_from: size,
            });
        }
        fs::create_dir_all(cache).map_err(io("create", cache))?;
        let url = self.resolve_url(repo, revision, path)?;
        let mut sink = CacheFile::open(partial.clone(), size).map_err(io("open", &partial))?;
        let resumed_from = sink.have;
        on_bytes(sink.have);
        let mut stalled = 0u32;
        let mut buffer = vec![0u8; BUFFER];
        for _ in 0..MAX_REQUESTS {
            if sink.have >= size {
                break;
            }
            let before = sink.have;
            match self.fetch_into(&url, &mut sink, &mut buffer, on_bytes) {
                Ok(()) => {}
                Err(Failure::Fatal(err)) => return Err(err),
                Err(Failure::Retry(reason)) => {
                    stalled = if sink.have > before { 0 } else { stalled + 1 };
                    if stalled > self.limits().retries {
                        return Err(HubError::DownloadStalled {
                            url: url.to_string(),
                            offset: sink.have,
                            size,
                            attempts: stalled,
                            reason,
                        });
                    }
                    std::thread::sleep(self.limits().retry_delay);
                }
            }
        }
        let (have, fetched, actual) = sink.finish().map_err(io("write", &partial))?;
        if have != size || actual != sha256.as_str() {
            let _ = fs::remove_file(&partial);
            return Err(HubError::DigestMismatch {
                url: url.to_string(),
                expected: sha256.to_string(),
                actual: if have == size {
                    actual
                } else {
                    format!("(none: {have} of {size} bytes)")
                },
            });
        }
        fs::rename(&partial, &done).map_err(io("rename", &partial))?;
        Ok(Downloaded {
            path: done,
            sha256: *sha256,
            size,
            bytes_fetched: fetched,
            resumed_from,
        })
    }

    /// One ranged request from where the cache file ends to the file's end, appended to it.
    fn fetch_into(
        &self,
        url: &url::Url,
        sink: &mut CacheFile,
        buffer: &mut [u8],
        on_bytes: &(dyn Fn(u64) + Sync),
    ) -> Result<(), Failure> {
        let (start, size) = (sink.have, sink.size);
        let answer = match self.get(url.clone(), Some(start..size), Wait::Idle) {
            Ok(answer) => answer,
            Err(err @ HubError::Network { .. }) => return Err(Failure::Retry(err.to_string())),
            Err(err) if err.status().is_some_and(|s| s >= 500 || s == 429) => {
                return Err(Failure::Retry(err.to_string()));
            }
            Err(err) => return Err(Failure::Fatal(err)),
        };
        let bad = |reason: String| {
            Failure::Fatal(HubError::BadRange {
                url: answer.url.to_string(),
                reason,
            })
        };
        let cache_path = sink.path.clone();
        let write_err = |source| {
            Failure::Fatal(HubError::CacheIo {
                action: "write",
                path: cache_path.clone(),
                source,
            })
        };
        let mut response = answer.response;
        match response.status().as_u16() {
            206 => {
                // The bytes must continue the cache file exactly where it ends.
                let content_range = response
                    .headers()
                    .get(reqwest::header::CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                match super::range::parse_content_range(content_range) {
                    Some((from, _, total)) if from == start && total == size => {}
                    _ => {
                        return Err(bad(format!(
                            "asked for bytes {start}- of {size}, got `Content-Range: {content_range}`"
                        )));
                    }
                }
            }
            // The server sent the whole file: start the cache file over.
            200 => sink.restart().map_err(write_err)?,
            status => {
                return Err(bad(format!(
                    "asked for bytes {start}- and got HTTP {status}"
                )));
            }
        }
        loop {
            let n = match response.read(buffer) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(err) if timed_out(&err) => {
                    return Err(Failure::Retry(format!(
                        "no bytes arrived for {:?}",
                        self.limits().idle_timeout
                    )));
                }
                Err(err) => return Err(Failure::Retry(format!("the connection broke: {err}"))),
            };
            if sink.have + n as u64 > size {
                return Err(bad(format!(
                    "the server sent more than the file's {size} bytes"
                )));
            }
            sink.append(&buffer[..n]).map_err(write_err)?;
            on_bytes(sink.have);
        }
    }
}

/// A `.partial` download: the file, the hash of everything in it, and byte counts.
struct CacheFile {
    path: PathBuf,
    file: File,
    hasher: Sha256,
    /// Bytes in the file.
    have: u64,
    /// Bytes appended by this download (what went over the network).
    fetched: u64,
    /// The whole file's size.
    size: u64,
}

impl CacheFile {
    /// Opens `path` for appending; what an earlier download left is hashed now (once), and
    /// a leftover longer than the whole file is discarded.
    fn open(path: PathBuf, size: u64) -> std::io::Result<Self> {
        let mut hasher = Sha256::new();
        let have = hash_prefix(&path, size, &mut hasher)?;
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(CacheFile {
            path,
            file,
            hasher,
            have,
            fetched: 0,
            size,
        })
    }

    fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.file.write_all(bytes)?;
        self.hasher.update(bytes);
        self.have += bytes.len() as u64;
        self.fetched += bytes.len() as u64;
        Ok(())
    }

    fn restart(&mut self) -> std::io::Result<()> {
        self.file.set_len(0)?;
        self.hasher = Sha256::new();
        self.have = 0;
        Ok(())
    }

    /// Flushes and returns the bytes in the file, the bytes fetched, and the sha256 (hex).
    fn finish(mut self) -> std::io::Result<(u64, u64, String)> {
        self.file.flush()?;
        Ok((self.have, self.fetched, hex::encode(self.hasher.finalize())))
    }
}

enum Failure {
    /// Worth another ranged request from where the file now ends.
    Retry(String),
    /// Not going to get better by asking again.
    Fatal(HubError),
}

/// Feeds an existing partial download into `hasher` and returns its length; a partial file
/// longer than the whole file is discarded.
fn hash_prefix(partial: &Path, size: u64, hasher: &mut Sha256) -> std::io::Result<u64> {
    let mut file = match File::open(partial) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(err) => return Err(err),
    };
    if file.metadata()?.len() > size {
        drop(file);
        fs::remove_file(partial)?;
        return Ok(0);
    }
    let mut buffer = vec![0u8; BUFFER];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(total);
        }
        hasher.update(&buffer[..n]);
        total += n as u64;
    }
}
