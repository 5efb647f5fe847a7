//! GGUFs for a push from the Hub (`--from hub`): downloaded side by side into
//! `$XDG_CACHE_HOME/ruvltra-export/blobs`, resumably, each verified against the Hub's LFS
//! sha256 and handed to the command's digest cache so it is not hashed again.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail};

use super::send::{SendArgs, json_line};
use crate::digest::Digest;
use crate::manifest::{Origin, Resolved};
use crate::push::from_resolved::{GgufPaths, local_gguf_paths, variant_files};
use crate::push::{DigestCache, Progress, ProgressEvent, human_bytes, run_parallel};
use crate::source::hub::Downloaded;
use crate::source::{RepoId, RepoIdError, RepoPath, Revision};

/// Local copies of every GGUF: the manifest's folder, or downloads into the cache. With
/// `--dry-run` nothing is downloaded: files not cached yet make the inner `Err` (what would
/// be downloaded), and the registries that need them are not planned.
pub(super) fn gguf_paths(
    resolved: &Resolved,
    cache_dir: Option<&Path>,
    digests: &DigestCache,
    progress: &dyn Progress,
    send: &SendArgs,
) -> anyhow::Result<Result<GgufPaths, String>> {
    if let Origin::Local { .. } = resolved.origin {
        return Ok(Ok(local_gguf_paths(resolved)?));
    }
    let Some(cache_dir) = cache_dir else {
        bail!("no cache folder for downloads: set `XDG_CACHE_HOME` or `HOME`");
    };
    let blobs = cache_dir.join("blobs");
    let settings = super::inspect::hub_settings_from_env()?;
    let client = super::network::hub_client(settings)?;
    let repo: RepoId = resolved
        .hub
        .repo
        .parse()
        .map_err(|e: RepoIdError| anyhow::anyhow!("`[hub] repo`: {}", e.reason))?;
    let revision = Revision::new(resolved.hub.pinned_revision())
        .map_err(|e| anyhow::anyhow!("`[hub] revision`: {e}"))?;
    let info = client
        .model_info(&repo, &revision)
        .with_context(|| format!("listing the files of `{repo}` on the Hub"))?;
    let mut wanted: Vec<(String, Digest, u64)> = Vec::new();
    let mut aliases: Vec<(String, Digest)> = Vec::new();
    for (_, variant) in resolved.variants() {
        for part in variant_files(variant) {
            let part = &part.to_owned();
            let listed = info.files.iter().find(|f| &f.path == part);
            let (Some(sha256), Some(size)) =
                (listed.and_then(|f| f.sha256), listed.and_then(|f| f.size))
            else {
                bail!(
                    "the Hub lists no LFS sha256 and size for `{part}` in `{repo}`: it cannot be downloaded and verified"
                );
            };
            aliases.push((part.clone(), sha256));
            // One download per content: two names for the same bytes share a cache file.
            if !wanted.iter().any(|(_, s, _)| *s == sha256) {
                wanted.push((part.clone(), sha256, size));
            }
        }
    }
    let mut paths = GgufPaths::new();
    let mut missing = Vec::new();
    if send.dry_run {
        for (part, sha256, size) in &wanted {
            let cached = blobs.join(sha256.as_str());
            if std::fs::metadata(&cached).is_ok_and(|m| m.len() == *size) {
                paths.insert(sha256.hex(), cached);
            } else {
                missing.push(format!("{part} ({})", human_bytes(*size)));
            }
        }
    } else {
        // Side by side (`--parallel`); each download reports its own result.
        let results = run_parallel(&wanted, send.parallel.max(1), |(part, sha256, size)| {
            let done = RepoPath::new(part)
                .map_err(|e| anyhow::anyhow!("`{part}`: {e}"))
                .and_then(|path| {
                    let meter = DownloadMeter::new(progress, part, *sha256, *size);
                    let done = client.download(
                        &repo,
                        &revision,
                        &path,
                        sha256,
                        *size,
                        &blobs,
                        &|have| meter.bytes(have),
                    )?;
                    meter.finish(done.bytes_fetched);
                    Ok(done)
                })
                .with_context(|| format!("downloading `{part}` from `{repo}`"));
            Ok(done)
        })?;
        for ((part, sha256, _), done) in wanted.iter().zip(results) {
            let done = done?;
            report_download(part, &done, send);
            if done.bytes_fetched > 0 {
                // Hashed while it streamed in: not read again for the push.
                digests.remember(&done.path, done.sha256)?;
            } else {
                // From an earlier command: checked again (through the digest cache, so an
                // unchanged file is not re-read) before anything is pushed from it.
                let (actual, _) = digests.digest_file(&done.path, progress)?;
                if actual != *sha256 {
                    bail!(
                        "the cached `{}` for `{part}` has sha256 {actual}, but the Hub lists {sha256}: delete it and run the command again",
                        done.path.display()
                    );
                }
            }
            paths.insert(sha256.hex(), done.path);
        }
    }
    // Keyed by content so far; every name of the release gets its content's file.
    let by_digest = std::mem::take(&mut paths);
    for (part, sha256) in aliases {
        if let Some(path) = by_digest.get(&sha256.hex()) {
            paths.insert(part, path.clone());
        }
    }
    if !missing.is_empty() && !send.json {
        println!(
            "would download {} into `{}`; the registries that need them are not planned",
            missing.join(", "),
            blobs.display()
        );
    }
    if missing.is_empty() {
        Ok(Ok(paths))
    } else {
        Ok(Err(format!("would download {}", missing.join(", "))))
    }
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

fn report_download(part: &str, done: &Downloaded, send: &SendArgs) {
    if send.json {
        json_line(
            "download",
            &serde_json::json!({
                "file": part,
                "path": done.path,
                "size": done.size,
                "sha256": done.sha256,
                "bytes_fetched": done.bytes_fetched,
                "resumed_from": done.resumed_from,
            }),
        );
    } else if !send.quiet && done.bytes_fetched > 0 {
        let resumed = if done.resumed_from > 0 {
            format!(", resumed at {}", human_bytes(done.resumed_from))
        } else {
            String::new()
        };
        eprintln!(
            "  {part}: downloaded {}{resumed}; sha256 {} verified",
            human_bytes(done.bytes_fetched),
            done.sha256
        );
    }
}
