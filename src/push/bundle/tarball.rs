//! The bundle as a tar: the store's tree with fixed modification times, owners and modes, in
//! a fixed order (blobs by digest, then manifests by path), so the same release always gives
//! the same bytes. Written to a temporary sibling and renamed when complete.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

use super::{blob_path, manifest_path};
use crate::digest::{Digest, HashingReader};
use crate::push::backend::{
    Action, Check, ItemKind, ItemOutcome, Plan, PlanItem, PushContext, PushReport, ReadBackReport,
};
use crate::push::blob_source::BlobSource;
use crate::push::error::PushError;
use crate::push::ollama_image::OllamaImage;
use crate::push::progress::{ProgressEvent, ProgressReader};

/// Every entry's modification time: 2024-01-01T00:00:00Z (fixed for byte-identical output).
const MTIME: u64 = 1_704_067_200;

/// One entry to archive, keyed (in a `BTreeMap`) by its path.
struct Entry {
    source: BlobSource,
    digest: Digest,
}

/// Blobs (sorted by path, i.e. digest) then manifests (sorted by path).
fn entries(images: &[OllamaImage]) -> (BTreeMap<String, Entry>, BTreeMap<String, Entry>) {
    let mut blobs = BTreeMap::new();
    let mut manifests = BTreeMap::new();
    for image in images {
        for blob in image.unique_blobs() {
            blobs.entry(blob_path(blob)).or_insert(Entry {
                source: blob.source.clone(),
                digest: blob.digest,
            });
        }
    }
    for image in images {
        manifests.insert(
            manifest_path(image),
            Entry {
                source: BlobSource::Bytes(image.manifest.clone()),
                digest: image.manifest_digest,
            },
        );
    }
    (blobs, manifests)
}

pub(super) fn plan(path: &Path, images: &[OllamaImage]) -> Plan {
    let (blobs, manifests) = entries(images);
    let mut items: Vec<PlanItem> = blobs
        .iter()
        .chain(manifests.iter())
        .map(|(name, entry)| PlanItem {
            kind: if name.starts_with("blobs/") {
                ItemKind::Blob
            } else {
                ItemKind::Manifest
            },
            name: name.clone(),
            digest: Some(entry.digest),
            size: entry.source.size(),
            action: Action::Write,
        })
        .collect();
    items.push(PlanItem {
        kind: ItemKind::Archive,
        name: path.display().to_string(),
        digest: None,
        size: items.iter().map(|i| i.size).sum(),
        action: if path.exists() {
            Action::Replace
        } else {
            Action::Create
        },
    });
    Plan {
        backend: "bundle".into(),
        target: path.display().to_string(),
        items,
        stale: Vec::new(),
    }
}

pub(super) fn write(
    path: &Path,
    images: &[OllamaImage],
    ctx: &PushContext<'_>,
) -> Result<PushReport, PushError> {
    let (blobs, manifests) = entries(images);
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| PushError::io("creating", parent, e))?;
    let temp = super::store::temp_file_in(parent, ".partial-")
        .map_err(|e| PushError::io("creating a temporary file in", parent, e))?;
    let mut builder = tar::Builder::new(BufWriter::with_capacity(1 << 20, temp));
    let mut items = Vec::new();
    let mut bytes_sent = 0;
    for (name, entry) in blobs.iter().chain(manifests.iter()) {
        let size = entry.source.size();
        ctx.progress.emit(ProgressEvent::TransferStarted {
            backend: "bundle".into(),
            name: name.clone(),
            digest: Some(entry.digest),
            size,
            offset: 0,
        });
        let mut header = tar::Header::new_gnu();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_mtime(MTIME);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        let reader = entry.source.open_at(0)?;
        let mut reader =
            HashingReader::new(ProgressReader::new(reader, ctx.progress, name.clone(), 0));
        builder
            .append_data(&mut header, name, &mut reader)
            .map_err(|e| PushError::io("writing", path, e))?;
        let (actual, _) = reader.finish();
        if actual != entry.digest {
            return Err(PushError::DigestMismatch {
                what: entry
                    .source
                    .path()
                    .map_or_else(|| name.clone(), |p| p.display().to_string()),
                expected: Box::new(entry.digest),
                actual: Box::new(actual),
            });
        }
        ctx.progress.emit(ProgressEvent::TransferFinished {
            name: name.clone(),
            sent: size,
        });
        bytes_sent += size;
        items.push(ItemOutcome {
            name: name.clone(),
            digest: Some(entry.digest),
            action: Action::Write,
            bytes_sent: size,
        });
    }
    let writer = builder
        .into_inner()
        .map_err(|e| PushError::io("finishing", path, e))?;
    let temp = writer
        .into_inner()
        .map_err(|e| PushError::io("flushing", path, e.into_error()))?;
    temp.as_file()
        .sync_all()
        .map_err(|e| PushError::io("syncing", path, e))?;
    temp.persist(path)
        .map_err(|e| PushError::io("renaming into", path, e.error))?;
    Ok(PushReport {
        backend: "bundle".into(),
        target: path.display().to_string(),
        items,
        pruned: Vec::new(),
        bytes_sent,
        pull_commands: Vec::new(),
    })
}

pub(super) fn verify(path: &Path, images: &[OllamaImage]) -> Result<ReadBackReport, PushError> {
    let (blobs, manifests) = entries(images);
    let mut expected: BTreeMap<String, (Digest, u64)> = blobs
        .iter()
        .chain(manifests.iter())
        .map(|(name, entry)| (name.clone(), (entry.digest, entry.source.size())))
        .collect();
    let file = File::open(path).map_err(|e| PushError::io("opening", path, e))?;
    let mut archive = tar::Archive::new(io::BufReader::with_capacity(1 << 20, file));
    let mut checks = Vec::new();
    let mut seen = HashSet::new();
    for entry in archive
        .entries()
        .map_err(|e| PushError::io("reading", path, e))?
    {
        let mut entry = entry.map_err(|e| PushError::io("reading", path, e))?;
        let name = entry
            .path()
            .map_err(|e| PushError::io("reading", path, e))?
            .to_string_lossy()
            .into_owned();
        let (actual, len) =
            Digest::of_reader(&mut entry).map_err(|e| PushError::io("reading", path, e))?;
        let check = match expected.remove(&name) {
            Some((digest, size)) => Check {
                name: name.clone(),
                ok: digest == actual && size == len,
                detail: format!("expected {digest} ({size} bytes), found {actual} ({len} bytes)"),
            },
            None if seen.contains(&name) => Check {
                name: name.clone(),
                ok: false,
                detail: "appears twice in the archive".into(),
            },
            None => Check {
                name: name.clone(),
                ok: false,
                detail: format!("not part of this release ({actual})"),
            },
        };
        seen.insert(name);
        checks.push(check);
    }
    for (name, (digest, size)) in expected {
        checks.push(Check {
            name,
            ok: false,
            detail: format!("missing from the archive (expected {digest}, {size} bytes)"),
        });
    }
    Ok(ReadBackReport {
        backend: "bundle".into(),
        target: path.display().to_string(),
        checks,
        warnings: Vec::new(),
    })
}
