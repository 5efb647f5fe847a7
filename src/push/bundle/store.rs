//! The bundle as a folder: an Ollama model store, written blob by blob through a temporary
//! file that is renamed into place only after its digest checks out.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use super::{blob_path, manifest_path};
use crate::digest::{Digest, HashingReader};
use crate::push::backend::{
    Action, Check, ItemKind, Plan, PlanItem, PushContext, PushReport, ReadBackReport, StaleItem,
};
use crate::push::error::PushError;
use crate::push::ollama_image::{ImageBlob, OllamaImage};
use crate::push::progress::{ProgressEvent, ProgressReader};
use crate::push::skeleton::{Outgoing, make_in_order, prune, send_side_by_side};

pub(super) fn plan(
    dir: &Path,
    images: &[OllamaImage],
    ctx: &PushContext<'_>,
) -> Result<Plan, PushError> {
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    for image in images {
        for blob in image.unique_blobs() {
            if !seen.insert(blob.digest) {
                continue;
            }
            let path = dir.join(blob_path(blob));
            let present = path.is_file()
                && fs::metadata(&path).is_ok_and(|m| m.len() == blob.size())
                && ctx.digests.digest_file(&path, ctx.progress)?.0 == blob.digest;
            items.push(PlanItem {
                kind: ItemKind::Blob,
                name: blob_path(blob),
                digest: Some(blob.digest),
                size: blob.size(),
                action: if present {
                    Action::Skip {
                        reason: "already in the store".into(),
                    }
                } else {
                    Action::Write
                },
            });
        }
        let path = dir.join(manifest_path(image));
        let action = match fs::read(&path) {
            Ok(existing) if existing == *image.manifest => Action::Skip {
                reason: "the manifest is already there".into(),
            },
            Ok(_) => Action::Replace,
            Err(err) if err.kind() == io::ErrorKind::NotFound => Action::Create,
            Err(err) => return Err(PushError::io("reading", path, err)),
        };
        items.push(PlanItem {
            kind: ItemKind::Manifest,
            name: manifest_path(image),
            digest: Some(image.manifest_digest),
            size: image.manifest.len() as u64,
            action,
        });
    }
    Ok(Plan {
        backend: "bundle".into(),
        target: dir.display().to_string(),
        items,
        stale: stale_manifests(dir, images)?,
    })
}

/// Manifests in the folders of this release's models for tags the release does not write.
fn stale_manifests(dir: &Path, images: &[OllamaImage]) -> Result<Vec<StaleItem>, PushError> {
    let wanted: HashSet<String> = images.iter().map(manifest_path).collect();
    let folders: HashSet<String> = wanted
        .iter()
        .filter_map(|p| p.rsplit_once('/').map(|(folder, _)| folder.to_string()))
        .collect();
    let mut stale = Vec::new();
    for folder in folders {
        let entries = match fs::read_dir(dir.join(&folder)) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(PushError::io("listing", dir.join(&folder), err)),
        };
        for entry in entries.flatten() {
            let name = format!("{folder}/{}", entry.file_name().to_string_lossy());
            if entry.path().is_file() && !wanted.contains(&name) {
                stale.push(StaleItem {
                    kind: ItemKind::Manifest,
                    name,
                    detail: "a tag this release does not write".into(),
                });
            }
        }
    }
    stale.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(stale)
}

pub(super) fn push(
    dir: &Path,
    plan: &Plan,
    images: &[OllamaImage],
    ctx: &PushContext<'_>,
) -> Result<PushReport, PushError> {
    let planned: HashMap<&str, &PlanItem> =
        plan.items.iter().map(|i| (i.name.as_str(), i)).collect();
    let action = |name: &str| planned.get(name).map(|item| item.action.clone());
    let mut seen = HashSet::new();
    let mut blobs = Vec::new();
    for image in images {
        for blob in image.unique_blobs() {
            if seen.insert(blob.digest) {
                let name = blob_path(blob);
                blobs.push(Outgoing {
                    planned: action(&name),
                    name,
                    digest: Some(blob.digest),
                    work: blob,
                });
            }
        }
    }
    let blobs_dir = dir.join("blobs");
    fs::create_dir_all(&blobs_dir).map_err(|e| PushError::io("creating", &blobs_dir, e))?;
    remove_stale_partials(&blobs_dir);
    let mut outcomes = send_side_by_side(&blobs, ctx, |item| {
        write_blob(
            &blobs_dir.join(item.work.digest.blob_file_name()),
            &item.name,
            item.work,
            ctx,
        )?;
        Ok((Action::Write, item.work.size()))
    })?;
    let manifests: Vec<Outgoing<&OllamaImage>> = images
        .iter()
        .map(|image| {
            let name = manifest_path(image);
            Outgoing {
                planned: action(&name),
                name,
                digest: Some(image.manifest_digest),
                work: image,
            }
        })
        .collect();
    outcomes.extend(make_in_order(&manifests, ctx, |item, _| {
        write_atomically(&dir.join(&item.name), &item.work.manifest)?;
        Ok(item.work.manifest.len() as u64)
    })?);
    let pruned = prune(plan, ctx, |stale| {
        let path = dir.join(&stale.name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(err) => Err(PushError::io("deleting", path, err)),
        }
    })?;
    Ok(PushReport::from_items(
        "bundle",
        dir.display().to_string(),
        outcomes,
        pruned,
    ))
}

/// Streams one blob to `destination` through a temporary file beside it, checking its digest
/// on the way; progress names it `name`.
pub(super) fn write_blob(
    destination: &Path,
    name: &str,
    blob: &ImageBlob,
    ctx: &PushContext<'_>,
) -> Result<(), PushError> {
    let name = name.to_string();
    let blobs_dir = destination.parent().unwrap_or(Path::new("."));
    ctx.progress.emit(ProgressEvent::TransferStarted {
        backend: "bundle".into(),
        name: name.clone(),
        digest: Some(blob.digest),
        size: blob.size(),
        offset: 0,
    });
    let mut temp = temp_file_in(blobs_dir, PARTIAL)
        .map_err(|e| PushError::io("creating a temporary file in", blobs_dir, e))?;
    let reader = blob.source.open_at(0)?;
    let mut reader = HashingReader::new(ProgressReader::new(reader, ctx.progress, name.clone(), 0));
    copy(&mut reader, temp.as_file_mut()).map_err(|e| PushError::io("writing", destination, e))?;
    let (actual, _) = reader.finish();
    if actual != blob.digest {
        return Err(PushError::DigestMismatch {
            what: blob
                .source
                .path()
                .map_or_else(|| blob.label.clone(), |p| p.display().to_string()),
            expected: Box::new(blob.digest),
            actual: Box::new(actual),
        });
    }
    temp.as_file()
        .sync_all()
        .map_err(|e| PushError::io("syncing", destination, e))?;
    temp.persist(destination)
        .map_err(|e| PushError::io("renaming into", destination, e.error))?;
    // Its digest was checked as it was written: the next plan need not read it again.
    ctx.digests.remember(destination, blob.digest)?;
    ctx.progress.emit(ProgressEvent::TransferFinished {
        name,
        sent: blob.size(),
    });
    Ok(())
}

/// How the temporary files blobs are written through begin.
const PARTIAL: &str = ".partial-";

/// How long a partial file must have gone unwritten to be left over from an interrupted
/// push. A running push writes its partial files continuously: it reads them from local disk
/// and waits at most a few seconds for the other targets sharing the read (the shared-read
/// stall limit), so five minutes without a write is no running push's.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(300);

/// Removes from `blobs_dir` the partial files of writes that were interrupted (Ctrl-C, a
/// crash, a full disk), which would otherwise stay forever, up to a whole GGUF each.
/// Failures are left alone: a file another user owns is theirs to remove, and the push does
/// not need it gone.
pub(super) fn remove_stale_partials(blobs_dir: &Path) {
    let Ok(entries) = fs::read_dir(blobs_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry.file_name().to_string_lossy().starts_with(PARTIAL)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STALE_AFTER));
        if stale {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// A temporary file in `dir` whose name begins with `prefix`, with the mode Ollama gives the
/// files of its store (0666 less the umask, usually 0644) instead of tempfile's 0600: a store
/// shared with a service user must be readable by it.
pub(super) fn temp_file_in(dir: &Path, prefix: &str) -> io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder.tempfile_in(dir)
}

/// `io::copy` with a 1 MiB buffer (bounded memory, few syscalls).
fn copy(reader: &mut impl io::Read, writer: &mut File) -> io::Result<u64> {
    let mut buffer = vec![0u8; crate::digest::BUFFER_SIZE];
    let mut total = 0;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        writer.write_all(&buffer[..n])?;
        total += n as u64;
    }
}

pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PushError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| PushError::io("creating", parent, e))?;
    let mut temp = temp_file_in(parent, ".tmp")
        .map_err(|e| PushError::io("creating a temporary file in", parent, e))?;
    temp.write_all(bytes)
        .map_err(|e| PushError::io("writing", path, e))?;
    temp.persist(path)
        .map_err(|e| PushError::io("renaming into", path, e.error))?;
    Ok(())
}

/// Whether the file at `path` holds exactly `blob` (its digest and size), reported as `name`.
pub(super) fn check_stored_blob(name: String, path: &Path, blob: &ImageBlob) -> Check {
    match File::open(path).and_then(|mut f| Digest::of_reader(&mut f)) {
        Ok((actual, len)) => Check {
            name,
            ok: actual == blob.digest && len == blob.size(),
            detail: format!(
                "expected {} ({} bytes), found {actual} ({len} bytes)",
                blob.digest,
                blob.size()
            ),
        },
        Err(err) => Check {
            name,
            ok: false,
            detail: format!("cannot read it: {err}"),
        },
    }
}

pub(super) fn verify(dir: &Path, images: &[OllamaImage]) -> Result<ReadBackReport, PushError> {
    let mut checks = Vec::new();
    let mut seen = HashSet::new();
    for image in images {
        let name = manifest_path(image);
        let check = match fs::read(dir.join(&name)) {
            Ok(bytes) => {
                let actual = Digest::of_bytes(&bytes);
                Check {
                    name: name.clone(),
                    ok: actual == image.manifest_digest,
                    detail: format!("expected {}, found {actual}", image.manifest_digest),
                }
            }
            Err(err) => Check {
                name: name.clone(),
                ok: false,
                detail: format!("cannot read it: {err}"),
            },
        };
        checks.push(check);
        for blob in image.unique_blobs() {
            if !seen.insert(blob.digest) {
                continue;
            }
            let name = blob_path(blob);
            let path = dir.join(&name);
            checks.push(check_stored_blob(name, &path, blob));
        }
    }
    Ok(ReadBackReport {
        backend: "bundle".into(),
        target: dir.display().to_string(),
        checks,
        warnings: Vec::new(),
    })
}
