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

use sha2::{Digest, Sha256};

use super::{HubClient, HubError};
use crate::source::{RepoId, RepoPath, Revision, Sha256Digest};

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
    pub sha256: Sha256Digest,
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
    #[allow(clippy::too_many_arguments)]
    pub fn download(
        &self,
        repo: &RepoId,
        revision: &Revision,
        path: &RepoPath,
        sha256: &Sha256Digest,
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
        let mut hasher = Sha256::new();
        let mut have = hash_prefix(&partial, size, &mut hasher).map_err(io("read", &partial))?;
        let resumed_from = have;
        on_bytes(have);
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&partial)
            .map_err(io("open", &partial))?;
        let mut fetched = 0u64;
        let mut stalled = 0u32;
        let mut buffer = vec![0u8; BUFFER];
        for _ in 0..MAX_REQUESTS {
            if have >= size {
                break;
            }
            let before = have;
            let outcome = self.fetch_from(
                &url,
                have,
                size,
                &mut file,
                &partial,
                &mut hasher,
                &mut have,
                &mut buffer,
                on_bytes,
            );
            fetched += have.saturating_sub(before);
            match outcome {
                Ok(()) => {}
                Err(Failure::Fatal(err)) => return Err(err),
                Err(Failure::Retry(reason)) => {
                    stalled = if have > before { 0 } else { stalled + 1 };
                    if stalled > self.limits().retries {
                        return Err(HubError::DownloadStalled {
                            url: url.to_string(),
                            offset: have,
                            size,
                            attempts: stalled,
                            reason,
                        });
                    }
                    std::thread::sleep(self.limits().retry_delay);
                }
            }
        }
        file.flush().map_err(io("write", &partial))?;
        drop(file);
        let actual = hex::encode(hasher.finalize());
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

    /// One ranged request from `*have` to the end, appending to `file` and the hash.
    #[allow(clippy::too_many_arguments)]
    fn fetch_from(
        &self,
        url: &url::Url,
        start: u64,
        size: u64,
        file: &mut File,
        partial: &Path,
        hasher: &mut Sha256,
        have: &mut u64,
        buffer: &mut [u8],
        on_bytes: &(dyn Fn(u64) + Sync),
    ) -> Result<(), Failure> {
        let answer = match self.get(url.clone(), Some(start..size)) {
            Ok(answer) => answer,
            Err(err @ HubError::Network { .. }) => return Err(Failure::Retry(err.to_string())),
            Err(err) if err.status().is_some_and(|s| s >= 500 || s == 429) => {
                return Err(Failure::Retry(err.to_string()));
            }
            Err(err) => return Err(Failure::Fatal(err)),
        };
        let mut response = answer.response;
        let write_err = |source| {
            Failure::Fatal(HubError::CacheIo {
                action: "write",
                path: partial.to_owned(),
                source,
            })
        };
        match response.status().as_u16() {
            206 => {}
            200 => {
                // The server sent the whole file: start the cache file over.
                file.set_len(0).map_err(write_err)?;
                *hasher = Sha256::new();
                *have = 0;
            }
            status => {
                return Err(Failure::Fatal(HubError::BadRange {
                    url: answer.url.to_string(),
                    reason: format!("asked for bytes {start}- and got HTTP {status}"),
                }));
            }
        }
        loop {
            let n = match response.read(buffer) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(err) => return Err(Failure::Retry(format!("the connection broke: {err}"))),
            };
            if *have + n as u64 > size {
                return Err(Failure::Fatal(HubError::BadRange {
                    url: answer.url.to_string(),
                    reason: format!("the server sent more than the file's {size} bytes"),
                }));
            }
            file.write_all(&buffer[..n]).map_err(write_err)?;
            hasher.update(&buffer[..n]);
            *have += n as u64;
            on_bytes(*have);
        }
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
