//! The oci backend: Ollama-format models pushed straight to any OCI distribution registry.
//!
//! Each model becomes an image (config blob, layers with Ollama's media types, manifest;
//! see [`OllamaImage`]) in the repository `namespace/model`, tagged with the model's tag.
//! Blobs the repository has are skipped (`HEAD`), blobs another repository of the registry
//! has are mounted, the rest are uploaded in one request or in resumable chunks. The
//! manifest goes last, with `Content-Type: application/vnd.docker.distribution.manifest.v2+json`.
//!
//! Known limit: `ollama pull` expects blob downloads to redirect (`307`); a registry that
//! serves blobs itself (`200`), such as a plain distribution registry on local disk, accepts
//! the push but Ollama cannot pull from it (Ollama issue 7244). [`Backend::verify`] warns when
//! it sees this.

mod auth;
mod client;
mod upload;

use std::collections::{BTreeSet, HashMap, HashSet};

use reqwest::Method;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};

pub use auth::{Challenge, Credentials, credentials_from_docker_config, parse_challenge};
pub use client::RegistryClient;
pub use upload::parse_range_end;
use upload::{BlobUpload, Uploaded};

use super::backend::{
    Action, Backend, Check, ItemKind, Plan, PlanItem, PushContext, PushReport, StaleItem,
    VerifyReport,
};
use super::error::PushError;
use super::http::get_following_redirects;
use super::ollama_image::{MANIFEST_MEDIA_TYPE, OllamaImage};
use super::progress::{Progress, ProgressEvent};
use super::release::Release;
use super::retry::{check_response, with_retries};
use super::skeleton::{Outgoing, make_in_order, prune, send_side_by_side};
use crate::digest::Digest;

/// How errors about a release without models start.
const WHAT_IT_DOES: &str = "the oci backend pushes";

/// Manifests larger than this are not read (bounded memory; Ollama manifests are ~1 KiB).
const MAX_MANIFEST: u64 = 4 << 20;

/// Where and how to push.
#[derive(Debug, Clone)]
pub struct OciConfig {
    /// `host[:port]` of the registry.
    pub registry: String,
    /// Plain HTTP instead of HTTPS (local registries).
    pub insecure: bool,
    /// Credentials, resolved by the caller (the CLI reads `REGISTRY_USERNAME`/`PASSWORD` or
    /// `~/.docker/config.json`).
    pub credentials: Option<Credentials>,
    /// Other repositories of the registry that may hold the same blobs, to mount from.
    pub mount_from: Vec<String>,
}

/// The oci backend.
#[derive(Debug, Clone)]
pub struct OciBackend {
    config: OciConfig,
}

impl OciBackend {
    /// A backend for the registry in `config`.
    pub fn new(config: OciConfig) -> Self {
        Self { config }
    }

    fn connect(
        &self,
        ctx: &PushContext<'_>,
        images: &[OllamaImage],
    ) -> Result<RegistryClient, PushError> {
        let client = RegistryClient::new(
            &self.config.registry,
            self.config.insecure,
            self.config.credentials.clone(),
            ctx.options.retry,
        )?;
        let repositories: BTreeSet<String> = images.iter().map(|i| i.name.repository()).collect();
        let scope = repositories
            .iter()
            .map(|repo| format!("repository:{repo}:pull,push"))
            .chain(
                self.config
                    .mount_from
                    .iter()
                    .map(|repo| format!("repository:{repo}:pull")),
            )
            .collect::<Vec<_>>()
            .join(" ");
        client.login(ctx.progress, &scope)?;
        Ok(client)
    }

    fn target(&self) -> String {
        let scheme = if self.config.insecure {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{}", self.config.registry)
    }
}

fn blob_item_name(repository: &str, label: &str, digest: &Digest) -> String {
    format!("{repository} {label} {}", &digest.hex()[..12])
}

fn manifest_item_name(image: &OllamaImage) -> String {
    format!("{}:{}", image.name.repository(), image.name.tag())
}

/// `HEAD` a blob: `true` when the repository has it (200, or a redirect to storage).
fn has_blob(
    client: &RegistryClient,
    progress: &dyn Progress,
    repository: &str,
    digest: &Digest,
) -> Result<bool, PushError> {
    let url = client.v2(&format!("{repository}/blobs/{digest}"))?;
    let what = format!("checking for {digest} in {repository}");
    Ok(client
        .fetch_optional(progress, &what, Method::HEAD, &url, &HeaderMap::new())?
        .is_some())
}

fn manifest_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static(MANIFEST_MEDIA_TYPE));
    headers
}

/// A manifest as the registry stores it: its bytes and `Content-Type`.
type StoredManifest = (Vec<u8>, Option<String>);

/// The manifest bytes stored under `reference`, or `None` when there is none.
fn get_manifest(
    client: &RegistryClient,
    progress: &dyn Progress,
    repository: &str,
    reference: &str,
) -> Result<Option<StoredManifest>, PushError> {
    let url = client.v2(&format!("{repository}/manifests/{reference}"))?;
    let what = format!("reading the manifest {repository}:{reference}");
    let response =
        client.fetch_optional(progress, &what, Method::GET, &url, &manifest_headers())?;
    let Some(response) = response else {
        return Ok(None);
    };
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok(Some((
        client::read_small_body(response, &what, MAX_MANIFEST)?,
        content_type,
    )))
}

/// The repository's tags (empty when the repository does not exist yet).
fn list_tags(
    client: &RegistryClient,
    progress: &dyn Progress,
    repository: &str,
) -> Result<Vec<String>, PushError> {
    let mut url = client.v2(&format!("{repository}/tags/list"))?;
    url.query_pairs_mut().append_pair("n", "10000");
    let what = format!("listing the tags of {repository}");
    let response = client.fetch_optional(progress, &what, Method::GET, &url, &HeaderMap::new())?;
    let Some(response) = response else {
        return Ok(Vec::new());
    };
    let body = client::read_small_body(response, &what, MAX_MANIFEST)?;
    let list: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| PushError::Protocol {
            what: what.clone(),
            url: url.to_string(),
            message: format!("the tag list is not JSON: {e}"),
        })?;
    Ok(list
        .get("tags")
        .and_then(|t| t.as_array())
        .map(|tags| {
            tags.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

impl Backend for OciBackend {
    fn name(&self) -> &str {
        "oci"
    }

    fn plan(&self, release: &Release, ctx: &PushContext<'_>) -> Result<Plan, PushError> {
        let images = OllamaImage::build_all(release, ctx, WHAT_IT_DOES)?;
        let client = self.connect(ctx, &images)?;
        let repositories: BTreeSet<String> = images.iter().map(|i| i.name.repository()).collect();
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        for image in &images {
            let repository = image.name.repository();
            for blob in image.unique_blobs() {
                if !seen.insert((repository.clone(), blob.digest)) {
                    continue;
                }
                let action = if has_blob(&client, ctx.progress, &repository, &blob.digest)? {
                    Action::Skip {
                        reason: format!("already in {repository}"),
                    }
                } else {
                    let candidates = self
                        .config
                        .mount_from
                        .iter()
                        .chain(repositories.iter())
                        .filter(|other| **other != repository);
                    let mut mount = None;
                    for other in candidates {
                        if has_blob(&client, ctx.progress, other, &blob.digest)? {
                            mount = Some(other.clone());
                            break;
                        }
                    }
                    let resumable = BlobUpload {
                        client: &client,
                        repository: &repository,
                        blob,
                        mount_from: None,
                        chunk_size: ctx.options.chunk_size.max(1),
                        state_dir: ctx.options.state_dir.as_deref(),
                        progress: ctx.progress,
                    }
                    .resumable_offset();
                    match (mount, resumable) {
                        (Some(from), _) => Action::Mount { from },
                        (None, Some(offset)) => Action::Resume { offset },
                        (None, None) => Action::Upload,
                    }
                };
                items.push(PlanItem {
                    kind: ItemKind::Blob,
                    name: blob_item_name(&repository, &blob.label, &blob.digest),
                    digest: Some(blob.digest),
                    size: blob.size(),
                    action,
                });
            }
            let existing = get_manifest(&client, ctx.progress, &repository, image.name.tag())?;
            let action = match existing {
                Some((bytes, _)) if Digest::of_bytes(&bytes) == image.manifest_digest => {
                    Action::Skip {
                        reason: "the tag already points to this manifest".into(),
                    }
                }
                Some(_) => Action::Replace,
                None => Action::Create,
            };
            items.push(PlanItem {
                kind: ItemKind::Manifest,
                name: manifest_item_name(image),
                digest: Some(image.manifest_digest),
                size: image.manifest.len() as u64,
                action,
            });
        }
        let mut stale = Vec::new();
        for repository in &repositories {
            let wanted: HashSet<&str> = images
                .iter()
                .filter(|i| i.name.repository() == *repository)
                .map(|i| i.name.tag())
                .collect();
            for tag in list_tags(&client, ctx.progress, repository)? {
                if !wanted.contains(tag.as_str()) {
                    stale.push(StaleItem {
                        kind: ItemKind::Manifest,
                        name: format!("{repository}:{tag}"),
                        detail: "a tag this release does not push".into(),
                    });
                }
            }
        }
        Ok(Plan {
            backend: self.name().into(),
            target: self.target(),
            items,
            stale,
        })
    }

    fn push(
        &self,
        plan: &Plan,
        release: &Release,
        ctx: &PushContext<'_>,
    ) -> Result<PushReport, PushError> {
        let images = OllamaImage::build_all(release, ctx, WHAT_IT_DOES)?;
        let client = self.connect(ctx, &images)?;
        let planned: HashMap<&str, &PlanItem> = plan
            .items
            .iter()
            .map(|item| (item.name.as_str(), item))
            .collect();
        let mut blobs = Vec::new();
        let mut seen = HashSet::new();
        for image in &images {
            let repository = image.name.repository();
            for blob in image.unique_blobs() {
                let name = blob_item_name(&repository, &blob.label, &blob.digest);
                if !seen.insert(name.clone()) {
                    continue;
                }
                let item = planned.get(name.as_str()).ok_or_else(|| {
                    PushError::input(format!(
                        "the plan has no entry for {name}: plan again for this release"
                    ))
                })?;
                blobs.push(Outgoing {
                    name,
                    digest: Some(blob.digest),
                    planned: Some(item.action.clone()),
                    work: (repository.clone(), blob),
                });
            }
        }
        let state_dir = ctx.options.state_dir.as_deref();
        let mut outcomes = send_side_by_side(&blobs, ctx, |item| {
            let (repository, blob) = &item.work;
            let from = match &item.planned {
                Some(Action::Mount { from }) => Some(from.as_str()),
                _ => None,
            };
            let uploaded = BlobUpload {
                client: &client,
                repository,
                blob,
                mount_from: from,
                chunk_size: ctx.options.chunk_size.max(1),
                state_dir,
                progress: ctx.progress,
            }
            .run()?;
            Ok(match (uploaded, from) {
                (Uploaded::Mounted, Some(from)) => (
                    Action::Mount {
                        from: from.to_owned(),
                    },
                    0,
                ),
                (Uploaded::Mounted, None) => (Action::Upload, 0),
                (
                    Uploaded::Sent {
                        sent,
                        resumed_at: 0,
                    },
                    _,
                ) => (Action::Upload, sent),
                (Uploaded::Sent { sent, resumed_at }, _) => {
                    (Action::Resume { offset: resumed_at }, sent)
                }
            })
        })?;
        let manifests: Vec<Outgoing<&OllamaImage>> = images
            .iter()
            .map(|image| {
                let name = manifest_item_name(image);
                Outgoing {
                    planned: planned.get(name.as_str()).map(|item| item.action.clone()),
                    name,
                    digest: Some(image.manifest_digest),
                    work: image,
                }
            })
            .collect();
        outcomes.extend(make_in_order(&manifests, ctx, |item, _| {
            put_manifest(&client, ctx.progress, item.work)?;
            Ok(item.work.manifest.len() as u64)
        })?);
        let live: HashSet<Digest> = images.iter().map(|i| i.manifest_digest).collect();
        let pruned = prune(plan, ctx, |stale| {
            let Some((repository, tag)) = stale.name.rsplit_once(':') else {
                return Ok(false);
            };
            delete_tag(&client, ctx.progress, repository, tag, &live)
        })?;
        Ok(PushReport::from_items(
            self.name(),
            self.target(),
            outcomes,
            pruned,
        ))
    }

    fn verify(&self, release: &Release, ctx: &PushContext<'_>) -> Result<VerifyReport, PushError> {
        let images = OllamaImage::build_all(release, ctx, WHAT_IT_DOES)?;
        let client = self.connect(ctx, &images)?;
        let mut checks = Vec::new();
        let mut warnings = Vec::new();
        let mut seen = HashSet::new();
        for image in &images {
            let repository = image.name.repository();
            let name = manifest_item_name(image);
            let check = match get_manifest(&client, ctx.progress, &repository, image.name.tag())? {
                None => Check {
                    name: format!("manifest {name}"),
                    ok: false,
                    detail: "the registry has no such tag".into(),
                },
                Some((bytes, content_type)) => {
                    let actual = Digest::of_bytes(&bytes);
                    let type_ok = content_type.as_deref() == Some(MANIFEST_MEDIA_TYPE);
                    Check {
                        name: format!("manifest {name}"),
                        ok: actual == image.manifest_digest && type_ok,
                        detail: format!(
                            "expected {} ({MANIFEST_MEDIA_TYPE}), found {actual} ({})",
                            image.manifest_digest,
                            content_type.as_deref().unwrap_or("no content type")
                        ),
                    }
                }
            };
            checks.push(check);
            for blob in image.unique_blobs() {
                if !seen.insert((repository.clone(), blob.digest)) {
                    continue;
                }
                checks.push(check_blob_head(
                    &client,
                    ctx.progress,
                    &repository,
                    blob.digest,
                    blob.size(),
                )?);
            }
            let (check, warning) = check_blob_download(&client, ctx.progress, &repository, image)?;
            checks.push(check);
            // One warning per registry, not one per image: they all come from the same server.
            if let Some(warning) = warning
                && !warnings.contains(&warning)
            {
                warnings.push(warning);
            }
        }
        // The report carries the warnings; whoever prints it prints them once.
        Ok(VerifyReport {
            backend: self.name().into(),
            target: self.target(),
            checks,
            warnings,
        })
    }
}

fn put_manifest(
    client: &RegistryClient,
    progress: &dyn Progress,
    image: &OllamaImage,
) -> Result<(), PushError> {
    let repository = image.name.repository();
    let url = client.v2(&format!("{repository}/manifests/{}", image.name.tag()))?;
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(MANIFEST_MEDIA_TYPE));
    let bytes = image.manifest.clone();
    let body = move || -> Result<(Box<dyn std::io::Read + Send>, u64), PushError> {
        let len = bytes.len() as u64;
        Ok((Box::new(std::io::Cursor::new(bytes.clone())), len))
    };
    let what = format!("putting the manifest {repository}:{}", image.name.tag());
    let response = client.send(progress, &what, Method::PUT, &url, &headers, Some(&body))?;
    if response.status() != StatusCode::CREATED {
        return Err(client::unexpected(&what, response));
    }
    let stored = response
        .headers()
        .get("Docker-Content-Digest")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<Digest>().ok());
    if let Some(stored) = stored
        && stored != image.manifest_digest
    {
        return Err(PushError::DigestMismatch {
            what: format!("the manifest {repository}:{} as stored", image.name.tag()),
            expected: Box::new(image.manifest_digest),
            actual: Box::new(stored),
        });
    }
    Ok(())
}

/// Deletes a stale tag's manifest unless a tag of this release points to the same manifest
/// (deleting by digest would remove that tag too). Returns whether it deleted.
fn delete_tag(
    client: &RegistryClient,
    progress: &dyn Progress,
    repository: &str,
    tag: &str,
    live: &HashSet<Digest>,
) -> Result<bool, PushError> {
    let Some((bytes, _)) = get_manifest(client, progress, repository, tag)? else {
        return Ok(false);
    };
    let digest = Digest::of_bytes(&bytes);
    if live.contains(&digest) {
        progress.emit(ProgressEvent::Warning {
            message: format!(
                "not pruning {repository}:{tag}: it points to a manifest this release uses"
            ),
        });
        return Ok(false);
    }
    let url = client.v2(&format!("{repository}/manifests/{digest}"))?;
    let what = format!("deleting the stale tag {repository}:{tag}");
    client.send(
        progress,
        &what,
        Method::DELETE,
        &url,
        &HeaderMap::new(),
        None,
    )?;
    Ok(true)
}

fn check_blob_head(
    client: &RegistryClient,
    progress: &dyn Progress,
    repository: &str,
    digest: Digest,
    size: u64,
) -> Result<Check, PushError> {
    let url = client.v2(&format!("{repository}/blobs/{digest}"))?;
    let what = format!("checking {digest} in {repository}");
    let name = format!("blob {repository}@{digest}");
    let Some(response) =
        client.fetch_optional(progress, &what, Method::HEAD, &url, &HeaderMap::new())?
    else {
        return Ok(Check {
            name,
            ok: false,
            detail: "the registry does not have it".into(),
        });
    };
    let header = |key: &str| {
        response
            .headers()
            .get(key)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let reported_digest = header("Docker-Content-Digest");
    let reported_size = header("Content-Length").and_then(|v| v.parse::<u64>().ok());
    let digest_ok = reported_digest
        .as_deref()
        .is_none_or(|d| d == digest.to_string());
    let size_ok = response.status().is_redirection() || reported_size == Some(size);
    Ok(Check {
        name,
        ok: digest_ok && size_ok,
        detail: format!(
            "expected {digest}, {size} bytes; the registry reports {}, {}",
            reported_digest.as_deref().unwrap_or("no digest"),
            reported_size.map_or_else(|| "no size".to_string(), |s| format!("{s} bytes"))
        ),
    })
}

/// Downloads the config blob, re-hashes it, and sees whether blob downloads redirect: a `200`
/// straight from the registry means `ollama pull` will fail (Ollama issue 7244).
fn check_blob_download(
    client: &RegistryClient,
    progress: &dyn Progress,
    repository: &str,
    image: &OllamaImage,
) -> Result<(Check, Option<String>), PushError> {
    let digest = image.config.digest;
    let url = client.v2(&format!("{repository}/blobs/{digest}"))?;
    let what = format!("downloading {digest} from {repository}");
    let authorization = client.authorization();
    let (response, redirected) = with_retries(client.retry(), progress, &what, |_| {
        let (response, redirected) = get_following_redirects(
            client.http(),
            Method::GET,
            &url,
            &HeaderMap::new(),
            authorization.as_ref(),
            &what,
        )?;
        Ok((check_response(&what, response)?, redirected))
    })?;
    let bytes = client::read_small_body(response, &what, MAX_MANIFEST)?;
    let actual = Digest::of_bytes(&bytes);
    let check = Check {
        name: format!("download {repository}@{digest}"),
        ok: actual == digest,
        detail: format!("expected {digest}, downloaded {actual}"),
    };
    let warning = (!redirected).then(|| {
        format!(
            "{} serves blobs directly (200) instead of redirecting (307): the push worked, but `ollama pull` from this registry fails (Ollama issue 7244); use a registry backed by object storage with redirects, or the bundle backend",
            client.base()
        )
    });
    Ok((check, warning))
}
