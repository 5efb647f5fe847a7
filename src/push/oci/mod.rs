//! The oci backend: models pushed straight to any OCI distribution registry, in one or more
//! artifact formats ([`OciFormat`]): Ollama's image, Docker Model Runner's model artifact and
//! the CNCF ModelPack artifact.
//!
//! Each format is its own manifest in its own repository (see [`mod@format`]), tagged with the
//! model's tag. Blobs the repository has are skipped (`HEAD`); a blob another repository of
//! the registry has, or gets earlier in the same push, is mounted; the rest are uploaded in one
//! request or in resumable chunks. So each GGUF crosses the wire at most once per command,
//! whatever the formats: uploads run first, mounts after them. Manifests go last, each with
//! its format's `Content-Type`.
//!
//! Known limit: `ollama pull` expects blob downloads to redirect (`307`); a registry that
//! serves blobs itself (`200`), such as a plain distribution registry on local disk, accepts
//! the push but Ollama cannot pull from it (Ollama issue 7244). [`Backend::verify`] warns when
//! it sees this.

mod artifact;
mod auth;
mod client;
pub mod docker;
mod facts;
pub mod format;
pub mod modelpack;
mod name;
mod spdx;
mod upload;
mod verify;

use std::collections::{BTreeSet, HashMap, HashSet};

use reqwest::Method;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};

pub use artifact::{FILEPATH_ANNOTATION, OCI_MANIFEST_MEDIA_TYPE, OciArtifact};
pub use auth::{Challenge, Credentials, credentials_from_docker_config, parse_challenge};
pub use client::RegistryClient;
pub use facts::{ModelFacts, SourceRepository, creation_seconds, gguf_general_keys, rfc3339};
pub use format::OciFormat;
pub use name::{check_repository, check_tag};
pub use spdx::spdx_for_hub_license;
pub use upload::parse_range_end;
use upload::{BlobUpload, Uploaded};

use super::backend::{
    Action, Backend, ItemKind, Plan, PlanItem, PushContext, PushReport, ReadBackReport, StaleItem,
};
use super::error::PushError;
use super::ollama_image::ImageBlob;
use super::progress::{Progress, ProgressEvent};
use super::release::Release;
use super::skeleton::{Outgoing, make_in_order, prune, send_side_by_side};
use crate::digest::Digest;

/// How errors about a release without models start.
const WHAT_IT_DOES: &str = "the oci backend pushes";

/// Manifests larger than this are not read (bounded memory; model manifests are ~1 KiB).
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
    formats: Vec<OciFormat>,
}

impl OciBackend {
    /// A backend for the registry in `config`, pushing Ollama's format.
    pub fn new(config: OciConfig) -> Self {
        Self {
            config,
            formats: vec![OciFormat::Ollama],
        }
    }

    /// The same backend pushing `formats` (each once; Ollama's alone when empty).
    pub fn with_formats(mut self, formats: &[OciFormat]) -> Self {
        self.formats = OciFormat::normalize(formats);
        self
    }

    /// The formats it pushes, in push order.
    pub fn formats(&self) -> &[OciFormat] {
        &self.formats
    }

    /// Every manifest of `release` in the chosen formats, after checking every name, so bad
    /// input fails before the first request.
    pub fn artifacts(
        &self,
        release: &Release,
        ctx: &PushContext<'_>,
    ) -> Result<Vec<OciArtifact>, PushError> {
        for repository in &self.config.mount_from {
            check_repository(repository, "`--mount-from`")?;
        }
        OciArtifact::build_all(release, &self.formats, ctx, WHAT_IT_DOES)
    }

    fn connect(
        &self,
        ctx: &PushContext<'_>,
        artifacts: &[OciArtifact],
    ) -> Result<RegistryClient, PushError> {
        let client = RegistryClient::new(
            &self.config.registry,
            self.config.insecure,
            self.config.credentials.clone(),
            ctx.options.http(),
        )?;
        let scope = repositories(artifacts)
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

    /// What a user types to pull each artifact, one line per manifest:
    /// `docker model pull HOST/REPO:TAG`.
    pub fn pull_commands(&self, artifacts: &[OciArtifact]) -> Vec<String> {
        artifacts
            .iter()
            .map(|a| {
                a.format
                    .pull_command(&format!("{}/{}", self.config.registry, a.reference()))
            })
            .collect()
    }
}

fn repositories(artifacts: &[OciArtifact]) -> BTreeSet<String> {
    artifacts.iter().map(|a| a.repository.clone()).collect()
}

fn blob_item_name(artifact: &OciArtifact, label: &str, digest: &Digest) -> String {
    format!(
        "{}: {} {label} {}",
        artifact.format,
        artifact.repository,
        &digest.hex()[..12]
    )
}

fn manifest_item_name(artifact: &OciArtifact) -> String {
    format!("{}: {}", artifact.format, artifact.reference())
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

/// Both manifest media types this backend writes, for reading any of its manifests.
const ANY_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json";

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
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static(ANY_MANIFEST));
    let response = client.fetch_optional(progress, &what, Method::GET, &url, &headers)?;
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

impl OciBackend {
    /// How one blob gets into `repository`: already there, mounted from a repository that
    /// has it or gets it earlier in this push (`holders`), resumed, or uploaded.
    fn blob_action(
        &self,
        client: &RegistryClient,
        ctx: &PushContext<'_>,
        repository: &str,
        blob: &ImageBlob,
        holders: &HashMap<Digest, String>,
        repositories: &BTreeSet<String>,
    ) -> Result<Action, PushError> {
        if has_blob(client, ctx.progress, repository, &blob.digest)? {
            return Ok(Action::Skip {
                reason: format!("already in {repository}"),
            });
        }
        if let Some(from) = holders.get(&blob.digest) {
            return Ok(Action::Mount { from: from.clone() });
        }
        let candidates = self
            .config
            .mount_from
            .iter()
            .chain(repositories.iter())
            .filter(|other| *other != repository);
        for other in candidates {
            if has_blob(client, ctx.progress, other, &blob.digest)? {
                return Ok(Action::Mount {
                    from: other.clone(),
                });
            }
        }
        let resumable = BlobUpload {
            client,
            repository,
            blob,
            mount_from: None,
            chunk_size: ctx.options.chunk_size.max(1),
            state_dir: ctx.options.state_dir.as_deref(),
            progress: ctx.progress,
        }
        .resumable_offset();
        Ok(match resumable {
            Some(offset) => Action::Resume { offset },
            None => Action::Upload,
        })
    }
}

impl Backend for OciBackend {
    fn name(&self) -> &str {
        "oci"
    }

    fn plan(&self, release: &Release, ctx: &PushContext<'_>) -> Result<Plan, PushError> {
        let artifacts = self.artifacts(release, ctx)?;
        let client = self.connect(ctx, &artifacts)?;
        let repositories = repositories(&artifacts);
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        // A repository that has each blob, or gets it before the mounts run.
        let mut holders: HashMap<Digest, String> = HashMap::new();
        for artifact in &artifacts {
            let repository = &artifact.repository;
            for blob in artifact.unique_blobs() {
                if !seen.insert((repository.clone(), blob.digest)) {
                    continue;
                }
                let action =
                    self.blob_action(&client, ctx, repository, blob, &holders, &repositories)?;
                let holder = match &action {
                    Action::Mount { from } => from.clone(),
                    _ => repository.clone(),
                };
                holders.entry(blob.digest).or_insert(holder);
                items.push(PlanItem {
                    kind: ItemKind::Blob,
                    name: blob_item_name(artifact, &blob.label, &blob.digest),
                    digest: Some(blob.digest),
                    size: blob.size(),
                    action,
                });
            }
            let existing = get_manifest(&client, ctx.progress, repository, &artifact.tag)?;
            let action = match existing {
                Some((bytes, _)) if Digest::of_bytes(&bytes) == artifact.manifest_digest => {
                    Action::Skip {
                        reason: "the tag already points to this manifest".into(),
                    }
                }
                Some(_) => Action::Replace,
                None => Action::Create,
            };
            items.push(PlanItem {
                kind: ItemKind::Manifest,
                name: manifest_item_name(artifact),
                digest: Some(artifact.manifest_digest),
                size: artifact.manifest.len() as u64,
                action,
            });
        }
        let mut stale = Vec::new();
        for repository in &repositories {
            let wanted: HashSet<&str> = artifacts
                .iter()
                .filter(|a| a.repository == *repository)
                .map(|a| a.tag.as_str())
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
        let artifacts = self.artifacts(release, ctx)?;
        let client = self.connect(ctx, &artifacts)?;
        let planned: HashMap<&str, &PlanItem> = plan
            .items
            .iter()
            .map(|item| (item.name.as_str(), item))
            .collect();
        // Uploads (and skips) first, mounts after them: a mount may come from a repository
        // an upload of this push fills.
        let mut uploads = Vec::new();
        let mut mounts = Vec::new();
        let mut seen = HashSet::new();
        for artifact in &artifacts {
            for blob in artifact.unique_blobs() {
                if !seen.insert((artifact.repository.clone(), blob.digest)) {
                    continue;
                }
                let name = blob_item_name(artifact, &blob.label, &blob.digest);
                let item = planned.get(name.as_str()).ok_or_else(|| {
                    PushError::input(format!(
                        "the plan has no entry for {name}: plan again for this release"
                    ))
                })?;
                let outgoing = Outgoing {
                    name,
                    digest: Some(blob.digest),
                    planned: Some(item.action.clone()),
                    work: (artifact.repository.as_str(), blob),
                };
                if matches!(item.action, Action::Mount { .. }) {
                    mounts.push(outgoing);
                } else {
                    uploads.push(outgoing);
                }
            }
        }
        let mut outcomes = Vec::new();
        for blobs in [&uploads, &mounts] {
            outcomes.extend(send_side_by_side(blobs, ctx, |item| {
                send_blob(&client, ctx, item)
            })?);
        }
        let manifests: Vec<Outgoing<&OciArtifact>> = artifacts
            .iter()
            .map(|artifact| {
                let name = manifest_item_name(artifact);
                Outgoing {
                    planned: planned.get(name.as_str()).map(|item| item.action.clone()),
                    name,
                    digest: Some(artifact.manifest_digest),
                    work: artifact,
                }
            })
            .collect();
        outcomes.extend(make_in_order(&manifests, ctx, |item, _| {
            put_manifest(&client, ctx.progress, item.work)?;
            Ok(item.work.manifest.len() as u64)
        })?);
        let live: HashSet<Digest> = artifacts.iter().map(|a| a.manifest_digest).collect();
        let pruned = prune(plan, ctx, |stale| {
            let Some((repository, tag)) = stale.name.rsplit_once(':') else {
                return Ok(false);
            };
            delete_tag(&client, ctx.progress, repository, tag, &live)
        })?;
        let mut report = PushReport::from_items(self.name(), self.target(), outcomes, pruned);
        report.pull_commands = self.pull_commands(&artifacts);
        Ok(report)
    }

    fn verify(
        &self,
        release: &Release,
        ctx: &PushContext<'_>,
    ) -> Result<ReadBackReport, PushError> {
        let artifacts = self.artifacts(release, ctx)?;
        let client = self.connect(ctx, &artifacts)?;
        let mut checks = Vec::new();
        let mut warnings = Vec::new();
        let mut seen = HashSet::new();
        for artifact in &artifacts {
            checks.extend(verify::manifest(&client, ctx.progress, artifact)?);
            for blob in artifact.unique_blobs() {
                if !seen.insert((artifact.repository.clone(), blob.digest)) {
                    continue;
                }
                checks.push(verify::blob_head(
                    &client,
                    ctx.progress,
                    &artifact.repository,
                    blob.digest,
                    blob.size(),
                )?);
            }
            let (check, redirected) = verify::config(&client, ctx.progress, artifact)?;
            checks.push(check);
            // One warning per registry, not one per image: they all come from the same server.
            if artifact.format == OciFormat::Ollama && !redirected {
                let warning = format!(
                    "{} serves blobs directly (200) instead of redirecting (307): the push worked, but `ollama pull` from this registry fails (Ollama issue 7244); use a registry backed by object storage with redirects, or the bundle backend",
                    client.base()
                );
                if !warnings.contains(&warning) {
                    warnings.push(warning);
                }
            }
        }
        // The report carries the warnings; whoever prints it prints them once.
        Ok(ReadBackReport {
            backend: self.name().into(),
            target: self.target(),
            checks,
            warnings,
        })
    }
}

/// Mounts or uploads one blob into its repository as planned; the action done and the
/// bytes sent.
fn send_blob(
    client: &RegistryClient,
    ctx: &PushContext<'_>,
    item: &Outgoing<(&str, &ImageBlob)>,
) -> Result<(Action, u64), PushError> {
    let (repository, blob) = item.work;
    let from = match &item.planned {
        Some(Action::Mount { from }) => Some(from.as_str()),
        _ => None,
    };
    let uploaded = BlobUpload {
        client,
        repository,
        blob,
        mount_from: from,
        chunk_size: ctx.options.chunk_size.max(1),
        state_dir: ctx.options.state_dir.as_deref(),
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
        (Uploaded::Sent { sent, resumed_at }, _) => (Action::Resume { offset: resumed_at }, sent),
    })
}

fn put_manifest(
    client: &RegistryClient,
    progress: &dyn Progress,
    artifact: &OciArtifact,
) -> Result<(), PushError> {
    let repository = &artifact.repository;
    let url = client.v2(&format!("{repository}/manifests/{}", artifact.tag))?;
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(artifact.manifest_media_type),
    );
    let bytes = artifact.manifest.clone();
    let body = move || -> Result<(Box<dyn std::io::Read + Send>, u64), PushError> {
        let len = bytes.len() as u64;
        Ok((Box::new(std::io::Cursor::new(bytes.clone())), len))
    };
    let what = format!("putting the manifest {}", artifact.reference());
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
        && stored != artifact.manifest_digest
    {
        return Err(PushError::DigestMismatch {
            what: format!("the manifest {} as stored", artifact.reference()),
            expected: Box::new(artifact.manifest_digest),
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
