//! GGUFs for a push of a family resolved from the Hub: downloaded side by side into
//! `<cache>/blobs`, resumably, each verified against the Hub's LFS sha256 and handed to the
//! push's digest cache so it is not hashed again. A family resolved from a local folder
//! uses its files where they are.

use std::sync::atomic::{AtomicU64, Ordering};

use super::error::{DownloadError, PipelineError};
use super::settings::{PushOptions, RegistrySettings};
use super::sink::Sink;
use crate::digest::Digest;
use crate::manifest::{Origin, Resolved};
use crate::push::from_resolved::{GgufPaths, local_gguf_paths, variant_files};
use crate::push::{DigestCache, Progress, ProgressEvent, human_bytes, run_parallel};
use crate::source::{HubClient, RepoId, RepoIdError, RepoPath, Revision};

/// Where a family's GGUFs are on this machine, or what a dry run would download first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ggufs {
    /// Every GGUF has a local file.
    Ready(GgufPaths),
    /// A dry run found these not downloaded yet (each named with its size); nothing was
    /// downloaded, and the registries that need them are not planned.
    NotDownloaded(Vec<String>),
}

/// Local copies of every GGUF of `resolved`: the manifest's folder, or downloads into
/// `options.cache_dir` (none in a dry run: files not cached yet make
/// [`Ggufs::NotDownloaded`]).
pub fn fetch_ggufs(
    resolved: &Resolved,
    settings: &RegistrySettings,
    options: &PushOptions,
    digests: &DigestCache,
    progress: &dyn Progress,
    sink: &dyn Sink,
) -> Result<Ggufs, PipelineError> {
    if let Origin::Local { .. } = resolved.origin {
        return Ok(Ggufs::Ready(local_gguf_paths(resolved)?));
    }
    let Some(cache_dir) = &options.cache_dir else {
        return Err(DownloadError::NoCache.into());
    };
    let blobs = cache_dir.join("blobs");
    let client = HubClient::new(settings.hub.clone()?)?;
    let repo: RepoId = resolved
        .hub
        .repo
        .parse()
        .map_err(|e: RepoIdError| PipelineError::invalid("`[hub] repo`", e.reason))?;
    let revision = Revision::new(resolved.hub.pinned_revision())
        .map_err(|e| PipelineError::invalid("`[hub] revision`", e))?;
    let info = client
        .model_info(&repo, &revision)
        .map_err(|source| DownloadError::List {
            repo: repo.to_string(),
            source,
        })?;
    let mut wanted: Vec<(String, Digest, u64)> = Vec::new();
    let mut aliases: Vec<(String, Digest)> = Vec::new();
    for (_, variant) in resolved.variants() {
        for part in variant_files(variant) {
            let listed = info.files.iter().find(|f| f.path == part);
            let (Some(sha256), Some(size)) =
                (listed.and_then(|f| f.sha256), listed.and_then(|f| f.size))
            else {
                return Err(DownloadError::NotListed {
                    file: part.to_owned(),
                    repo: repo.to_string(),
                }
                .into());
            };
            aliases.push((part.to_owned(), sha256));
            // One download per content: two names for the same bytes share a cache file.
            if !wanted.iter().any(|(_, s, _)| *s == sha256) {
                wanted.push((part.to_owned(), sha256, size));
            }
        }
    }
    let mut by_digest = GgufPaths::new();
    let mut missing = Vec::new();
    if options.dry_run {
        for (part, sha256, size) in &wanted {
            let cached = blobs.join(sha256.as_str());
            if std::fs::metadata(&cached).is_ok_and(|m| m.len() == *size) {
                by_digest.insert(sha256.hex(), cached);
            } else {
                missing.push(format!("{part} ({})", human_bytes(*size)));
            }
        }
    } else {
        let download = |(part, sha256, size): &(String, Digest, u64)| {
            let path =
                RepoPath::new(part).map_err(|e| PipelineError::invalid(format!("`{part}`"), e))?;
            let meter = DownloadMeter::new(progress, part, *sha256, *size);
            let done =
                client.download(&repo, &revision, &path, sha256, *size, &blobs, &|have| {
                    meter.bytes(have)
                })?;
            meter.finish(done.bytes_fetched);
            Ok::<_, PipelineError>(done)
        };
        // Side by side; each download reports its own result.
        let results = run_parallel(&wanted, options.parallel.max(1), |item| {
            Ok(download(item).map_err(|e| DownloadError::Fetch {
                file: item.0.clone(),
                repo: repo.to_string(),
                source: Box::new(e),
            }))
        })?;
        for ((part, sha256, _), done) in wanted.iter().zip(results) {
            let done = done?;
            sink.downloaded(part, &done);
            if done.bytes_fetched > 0 {
                // Hashed while it streamed in: not read again for the push.
                digests
                    .remember(&done.path, done.sha256)
                    .map_err(DownloadError::from)?;
            } else {
                // From an earlier command: checked again (through the digest cache, so an
                // unchanged file is not re-read) before anything is pushed from it.
                let (actual, _) = digests
                    .digest_file(&done.path, progress)
                    .map_err(DownloadError::from)?;
                if actual != *sha256 {
                    return Err(DownloadError::Stale {
                        cached: done.path,
                        file: part.clone(),
                        actual,
                        expected: *sha256,
                    }
                    .into());
                }
            }
            by_digest.insert(sha256.hex(), done.path);
        }
    }
    if !missing.is_empty() {
        sink.would_download(&missing, &blobs);
        return Ok(Ggufs::NotDownloaded(missing));
    }
    // Keyed by content so far; every name of the release gets its content's file.
    let mut paths = GgufPaths::new();
    for (part, sha256) in aliases {
        if let Some(path) = by_digest.get(&sha256.hex()) {
            paths.insert(part, path.clone());
        }
    }
    Ok(Ggufs::Ready(paths))
}

/// Progress events for one download: started at the first report (when the resumed offset is
/// known), then at most every [`DownloadMeter::STEP`] bytes, and finished.
struct DownloadMeter<'a> {
    progress: &'a dyn Progress,
    name: String,
    digest: Digest,
    size: u64,
    /// Bytes at the last event; `u64::MAX` before the first.
    last: AtomicU64,
}

impl<'a> DownloadMeter<'a> {
    /// Bytes between two progress events.
    const STEP: u64 = 8 << 20;

    fn new(progress: &'a dyn Progress, part: &str, digest: Digest, size: u64) -> Self {
        Self {
            progress,
            name: format!("download {part}"),
            digest,
            size,
            last: AtomicU64::new(u64::MAX),
        }
    }

    fn bytes(&self, have: u64) {
        let last = self.last.load(Ordering::Relaxed);
        if last == u64::MAX {
            self.last.store(have, Ordering::Relaxed);
            self.progress.emit(ProgressEvent::TransferStarted {
                backend: "hub".into(),
                name: self.name.clone(),
                digest: Some(self.digest),
                size: self.size,
                offset: have,
            });
        } else if have >= last.saturating_add(Self::STEP) || have == self.size {
            self.last.store(have, Ordering::Relaxed);
            self.progress.emit(ProgressEvent::TransferProgress {
                name: self.name.clone(),
                done: have,
            });
        }
    }

    fn finish(&self, fetched: u64) {
        if self.last.load(Ordering::Relaxed) == u64::MAX {
            self.progress.emit(ProgressEvent::Skipped {
                name: self.name.clone(),
                reason: "already in the download cache".into(),
            });
        } else {
            self.progress.emit(ProgressEvent::TransferFinished {
                name: self.name.clone(),
                sent: fetched,
            });
        }
    }
}
