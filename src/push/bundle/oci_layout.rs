//! The bundle as an OCI image layout (image-spec `image-layout.md`): `oci-layout`,
//! `index.json` and `blobs/sha256/<hex>`, holding every artifact of the chosen formats, for
//! air-gapped transfer with standard tools (`skopeo copy oci:DIR:REF docker://...`). Each
//! manifest is named in `index.json` by `org.opencontainers.image.ref.name` =
//! `repository:tag` (its repository in a registry, e.g. `ruv/ruvltra-small-docker:q4_k_m`).
//! Blobs are written like the store's: streamed through a temporary file and renamed into
//! place once their digest checks out. Entries of an earlier `index.json` that this release
//! does not write are kept, and listed as stale (deleted from the index with prune).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::store::{check_stored_blob, remove_stale_partials, write_atomically, write_blob};
use crate::digest::Digest;
use crate::push::backend::{
    Action, Check, ItemKind, Plan, PlanItem, PushContext, PushReport, ReadBackReport, StaleItem,
};
use crate::push::blob_source::BlobSource;
use crate::push::error::PushError;
use crate::push::oci::OciArtifact;
use crate::push::ollama_image::ImageBlob;
use crate::push::skeleton::{Outgoing, make_in_order, prune, send_side_by_side};

/// The `oci-layout` file's content.
const LAYOUT_FILE: &str = "{\"imageLayoutVersion\":\"1.0.0\"}";
/// The index's media type.
const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
/// The annotation naming a manifest in the index.
const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// `index.json` files larger than this are not read.
const MAX_INDEX: u64 = 16 << 20;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Index {
    schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    manifests: Vec<IndexEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexEntry {
    media_type: String,
    digest: Digest,
    size: u64,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    annotations: std::collections::BTreeMap<String, String>,
}

impl IndexEntry {
    fn ref_name(&self) -> Option<&str> {
        self.annotations.get(REF_NAME).map(String::as_str)
    }
}

/// The layout-relative path of a blob.
fn blob_path(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}

/// A blob's plan item name: its path and what it is.
fn blob_item_name(blob: &ImageBlob) -> String {
    format!("{} ({})", blob_path(&blob.digest), blob.label)
}

/// Every blob to write: each artifact's blobs and its manifest, each digest once.
fn all_blobs(artifacts: &[OciArtifact]) -> Vec<ImageBlob> {
    let mut seen = HashSet::new();
    let mut blobs = Vec::new();
    for artifact in artifacts {
        for blob in artifact.unique_blobs() {
            if seen.insert(blob.digest) {
                blobs.push(blob.clone());
            }
        }
        if seen.insert(artifact.manifest_digest) {
            blobs.push(ImageBlob {
                media_type: artifact.manifest_media_type,
                digest: artifact.manifest_digest,
                source: BlobSource::Bytes(artifact.manifest.clone()),
                label: format!("{} manifest", artifact.format),
            });
        }
    }
    blobs
}

fn read_index(dir: &Path) -> Result<Option<Index>, PushError> {
    let path = dir.join("index.json");
    let file = match fs::File::open(&path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(PushError::io("reading", path, err)),
    };
    let mut text = String::new();
    io::Read::read_to_string(&mut io::Read::take(file, MAX_INDEX), &mut text)
        .map_err(|e| PushError::io("reading", &path, e))?;
    serde_json::from_str(&text).map(Some).map_err(|e| {
        PushError::input(format!(
            "`{}` is not an OCI image index ({e}): choose an empty folder for `--oci-layout`",
            path.display()
        ))
    })
}

/// The index this release writes: its manifests, plus earlier entries it does not replace
/// unless `prune`.
fn new_index(artifacts: &[OciArtifact], old: Option<&Index>, prune: bool) -> Index {
    let mut manifests: Vec<IndexEntry> = artifacts
        .iter()
        .map(|a| IndexEntry {
            media_type: a.manifest_media_type.to_string(),
            digest: a.manifest_digest,
            size: a.manifest.len() as u64,
            annotations: [(REF_NAME.to_string(), a.reference())]
                .into_iter()
                .collect(),
        })
        .collect();
    if !prune && let Some(old) = old {
        let written: HashSet<String> = artifacts.iter().map(OciArtifact::reference).collect();
        manifests.extend(
            old.manifests
                .iter()
                .filter(|e| e.ref_name().is_none_or(|r| !written.contains(r)))
                .cloned(),
        );
    }
    Index {
        schema_version: 2,
        media_type: Some(INDEX_MEDIA_TYPE.into()),
        manifests,
    }
}

fn index_bytes(index: &Index) -> Result<Vec<u8>, PushError> {
    let mut bytes = serde_json::to_vec_pretty(index)
        .map_err(|e| PushError::input(format!("cannot serialize index.json: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn stale(artifacts: &[OciArtifact], old: Option<&Index>) -> Vec<StaleItem> {
    let written: HashSet<String> = artifacts.iter().map(OciArtifact::reference).collect();
    old.map(|old| {
        old.manifests
            .iter()
            .filter(|e| e.ref_name().is_none_or(|r| !written.contains(r)))
            .map(|e| StaleItem {
                kind: ItemKind::Manifest,
                name: e.ref_name().unwrap_or("(unnamed)").to_string(),
                detail: format!("an index entry this release does not write ({})", e.digest),
            })
            .collect()
    })
    .unwrap_or_default()
}

pub(super) fn plan(
    dir: &Path,
    artifacts: &[OciArtifact],
    ctx: &PushContext<'_>,
) -> Result<Plan, PushError> {
    let mut items = Vec::new();
    for blob in all_blobs(artifacts) {
        let path = dir.join(blob_path(&blob.digest));
        let present = path.is_file()
            && fs::metadata(&path).is_ok_and(|m| m.len() == blob.size())
            && ctx.digests.digest_file(&path, ctx.progress)?.0 == blob.digest;
        items.push(PlanItem {
            kind: ItemKind::Blob,
            name: blob_item_name(&blob),
            digest: Some(blob.digest),
            size: blob.size(),
            action: if present {
                Action::Skip {
                    reason: "already in the layout".into(),
                }
            } else {
                Action::Write
            },
        });
    }
    let old = read_index(dir)?;
    let index = index_bytes(&new_index(artifacts, old.as_ref(), ctx.options.prune))?;
    let current = fs::read(dir.join("index.json")).ok();
    items.push(PlanItem {
        kind: ItemKind::Manifest,
        name: "index.json".into(),
        digest: Some(Digest::of_bytes(&index)),
        size: index.len() as u64,
        action: match current {
            Some(bytes) if bytes == index => Action::Skip {
                reason: "the index already names these manifests".into(),
            },
            Some(_) => Action::Replace,
            None => Action::Create,
        },
    });
    Ok(Plan {
        backend: "bundle".into(),
        target: format!("oci:{}", dir.display()),
        items,
        stale: stale(artifacts, old.as_ref()),
    })
}

pub(super) fn push(
    dir: &Path,
    plan: &Plan,
    artifacts: &[OciArtifact],
    ctx: &PushContext<'_>,
) -> Result<PushReport, PushError> {
    let planned: HashMap<&str, &Action> = plan
        .items
        .iter()
        .map(|i| (i.name.as_str(), &i.action))
        .collect();
    let blobs: Vec<Outgoing<ImageBlob>> = all_blobs(artifacts)
        .into_iter()
        .map(|blob| {
            let name = blob_item_name(&blob);
            Outgoing {
                planned: planned.get(name.as_str()).map(|a| (*a).clone()),
                name,
                digest: Some(blob.digest),
                work: blob,
            }
        })
        .collect();
    let blobs_dir = dir.join("blobs").join("sha256");
    fs::create_dir_all(&blobs_dir).map_err(|e| PushError::io("creating", &blobs_dir, e))?;
    remove_stale_partials(&blobs_dir);
    let mut outcomes = send_side_by_side(&blobs, ctx, |item| {
        write_blob(
            &blobs_dir.join(item.work.digest.hex()),
            &item.name,
            &item.work,
            ctx,
        )?;
        Ok((Action::Write, item.work.size()))
    })?;
    let old = read_index(dir)?;
    let index = index_bytes(&new_index(artifacts, old.as_ref(), ctx.options.prune))?;
    let index_item = [Outgoing {
        planned: planned.get("index.json").map(|a| (*a).clone()),
        name: "index.json".to_string(),
        digest: Some(Digest::of_bytes(&index)),
        work: (),
    }];
    outcomes.extend(make_in_order(&index_item, ctx, |_, _| {
        write_atomically(&dir.join("oci-layout"), LAYOUT_FILE.as_bytes())?;
        write_atomically(&dir.join("index.json"), &index)?;
        Ok(index.len() as u64)
    })?);
    // Pruning is dropping the stale entries from the index, done as it was written.
    let pruned = prune(plan, ctx, |_| Ok(true))?;
    let mut report =
        PushReport::from_items("bundle", format!("oci:{}", dir.display()), outcomes, pruned);
    report.pull_commands = artifacts
        .iter()
        .map(|a| {
            format!(
                "skopeo copy oci:{}:{} docker://REGISTRY/{}",
                dir.display(),
                a.reference(),
                a.reference()
            )
        })
        .collect();
    Ok(report)
}

pub(super) fn verify(dir: &Path, artifacts: &[OciArtifact]) -> Result<ReadBackReport, PushError> {
    let mut checks = Vec::new();
    let layout = fs::read_to_string(dir.join("oci-layout")).unwrap_or_default();
    checks.push(Check {
        name: "oci-layout".into(),
        ok: serde_json::from_str::<serde_json::Value>(&layout)
            .is_ok_and(|v| v["imageLayoutVersion"] == "1.0.0"),
        detail: format!("expected {LAYOUT_FILE}, found {layout:?}"),
    });
    let index = read_index(dir)?;
    for artifact in artifacts {
        let reference = artifact.reference();
        let entry = index.as_ref().and_then(|index| {
            index
                .manifests
                .iter()
                .find(|e| e.ref_name() == Some(reference.as_str()))
        });
        checks.push(Check {
            name: format!("index.json {reference}"),
            ok: entry.is_some_and(|e| {
                e.digest == artifact.manifest_digest
                    && e.media_type == artifact.manifest_media_type
                    && e.size == artifact.manifest.len() as u64
            }),
            detail: format!(
                "expected {} ({}, {} bytes), found {:?}",
                artifact.manifest_digest,
                artifact.manifest_media_type,
                artifact.manifest.len(),
                entry.map(|e| (e.digest.to_string(), &e.media_type, e.size))
            ),
        });
    }
    for blob in all_blobs(artifacts) {
        let name = blob_path(&blob.digest);
        let path: PathBuf = dir.join(&name);
        checks.push(check_stored_blob(name, &path, &blob));
    }
    Ok(ReadBackReport {
        backend: "bundle".into(),
        target: format!("oci:{}", dir.display()),
        checks,
        warnings: Vec::new(),
    })
}
