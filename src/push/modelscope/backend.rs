//! The modelscope backend: a release's files into one ModelScope model repository.

use std::collections::{BTreeMap, HashMap};

use super::client::{CommitAction, MAX_BATCH, MAX_COMMIT, ModelScopeClient, RemoteFile};
use super::endpoint::ModelScopeEndpoint;
use super::error::ModelScopeError;
use crate::digest::Digest;
use crate::http::HttpSettings;
use crate::manifest::Visibility;
use crate::push::lfs::LfsAction;
use crate::push::ollama_api::text_check::check;
use crate::push::skeleton::transfer;
use crate::push::{
    Action, ArtifactFile, Backend, ItemKind, ItemOutcome, Plan, PlanItem, ProgressEvent,
    PushContext, PushError, PushReport, ReadBackReport, Release, StaleItem, run_parallel,
};
use crate::secret::Secret;
use crate::source::RepoId;

/// Files larger than this go through LFS (ModelScope's rule); GGUFs always do.
pub const LFS_THRESHOLD: u64 = 1 << 20;

/// Where the modelscope backend sends a release.
#[derive(Debug, Clone)]
pub struct ModelScopeTarget {
    /// The site. By default, `https://www.modelscope.cn`.
    pub endpoint: ModelScopeEndpoint,
    /// The repository, `owner/name`.
    pub repo: RepoId,
    /// `MODELSCOPE_API_TOKEN`.
    pub token: Secret,
    /// Visibility of a repository this backend creates. By default, public.
    pub visibility: Visibility,
    /// License name given when creating the repository. By default, `Apache License 2.0`.
    pub license: String,
    /// Create the repository when it is missing. By default, on.
    pub create_missing: bool,
    /// The commit message.
    pub commit_message: String,
}

impl ModelScopeTarget {
    /// A target with the defaults above.
    pub fn new(repo: RepoId, token: Secret) -> Self {
        Self {
            endpoint: ModelScopeEndpoint::default_site(),
            repo,
            token,
            visibility: Visibility::default(),
            license: "Apache License 2.0".into(),
            create_missing: true,
            commit_message: "Upload GGUF files with ruvltra-export".into(),
        }
    }
}

/// The modelscope backend (see the [module docs](super)).
#[derive(Debug)]
pub struct ModelScopeBackend {
    target: ModelScopeTarget,
    client: ModelScopeClient,
}

/// Whether a file goes through LFS.
pub fn is_lfs(file: &ArtifactFile) -> bool {
    file.size > LFS_THRESHOLD || file.repo_path.to_ascii_lowercase().ends_with(".gguf")
}

impl ModelScopeBackend {
    /// A backend for `target`; each call retries per the command's
    /// [`TransferOptions::retry`](crate::push::TransferOptions::retry).
    pub fn new(target: ModelScopeTarget) -> Result<Self, PushError> {
        let client = ModelScopeClient::new(
            target.endpoint.clone(),
            target.token.clone(),
            HttpSettings::default(),
        )?;
        Ok(Self { target, client })
    }

    /// The low-level client (with the default retry policy), for one more call.
    pub fn client(&self) -> &ModelScopeClient {
        &self.client
    }

    /// The client with this command's retry policy.
    fn api(&self, ctx: &PushContext<'_>) -> ModelScopeClient {
        self.client.with_settings(ctx.options.http())
    }

    fn target_name(&self) -> String {
        format!("{}/{}", self.target.endpoint, self.target.repo)
    }

    fn digests(&self, release: &Release, ctx: &PushContext<'_>) -> Result<Vec<Digest>, PushError> {
        crate::push::huggingface::check_repo_paths(&release.files)?;
        release
            .files
            .iter()
            .map(|f| f.digest(ctx.digests, ctx.progress))
            .collect()
    }

    /// Upload actions for the LFS objects the server lacks, by digest.
    fn missing_objects(
        &self,
        objects: &[(Digest, u64)],
        ctx: &PushContext<'_>,
    ) -> Result<HashMap<Digest, LfsAction>, PushError> {
        let mut missing = HashMap::new();
        for chunk in objects.chunks(MAX_BATCH) {
            for object in self
                .client
                .lfs_batch(&self.target.repo, chunk, ctx.progress)?
            {
                if let (Some(action), Ok(digest)) =
                    (object.upload().cloned(), Digest::from_hex(&object.oid))
                {
                    missing.insert(digest, action);
                }
            }
        }
        Ok(missing)
    }

    fn remote_files(
        &self,
        ctx: &PushContext<'_>,
    ) -> Result<Option<BTreeMap<String, RemoteFile>>, PushError> {
        if !self.api(ctx).repo_exists(&self.target.repo, ctx.progress)? {
            return Ok(None);
        }
        let files = self.api(ctx).list_files(&self.target.repo, ctx.progress)?;
        Ok(Some(
            files.into_iter().map(|f| (f.path.clone(), f)).collect(),
        ))
    }
}

fn matches_remote(remote: Option<&RemoteFile>, digest: &Digest, size: u64) -> bool {
    remote.is_some_and(|r| r.size == size && r.sha256.eq_ignore_ascii_case(&digest.hex()))
}

impl Backend for ModelScopeBackend {
    fn name(&self) -> &str {
        "modelscope"
    }

    fn plan(&self, release: &Release, ctx: &PushContext<'_>) -> Result<Plan, PushError> {
        let digests = self.digests(release, ctx)?;
        let remote = self.remote_files(ctx)?;
        let mut items = Vec::new();
        if remote.is_none() {
            if !self.target.create_missing {
                return Err(PushError::Backend {
                    backend: self.name().to_string(),
                    source: Box::new(ModelScopeError::Missing {
                        repo: self.target.repo.to_string(),
                        endpoint: self.target.endpoint.to_string(),
                    }),
                });
            }
            items.push(PlanItem {
                kind: ItemKind::Repository,
                name: format!("{} ({})", self.target.repo, self.target.visibility),
                digest: None,
                size: 0,
                action: Action::Create,
            });
        }
        let remote = remote.unwrap_or_default();
        let changed: Vec<(&ArtifactFile, &Digest)> = release
            .files
            .iter()
            .zip(&digests)
            .filter(|(f, d)| !matches_remote(remote.get(&f.repo_path), d, f.size))
            .collect();
        let lfs_changed: Vec<(Digest, u64)> = changed
            .iter()
            .filter(|(f, _)| is_lfs(f))
            .map(|(f, d)| (**d, f.size))
            .collect();
        let missing = if remote.is_empty() && items.iter().any(|i| i.kind == ItemKind::Repository) {
            lfs_changed
                .iter()
                .map(|(d, _)| (*d, None))
                .collect::<HashMap<_, _>>()
        } else {
            self.missing_objects(&lfs_changed, ctx)?
                .into_iter()
                .map(|(d, a)| (d, Some(a)))
                .collect()
        };
        for (file, digest) in release.files.iter().zip(&digests) {
            let action = if matches_remote(remote.get(&file.repo_path), digest, file.size) {
                Action::Skip {
                    reason: "the repository has this file with the same sha256".into(),
                }
            } else if is_lfs(file) && !missing.contains_key(digest) {
                Action::Skip {
                    reason: "the LFS object is stored; only the commit is needed".into(),
                }
            } else if remote.contains_key(&file.repo_path) {
                Action::Replace
            } else {
                Action::Upload
            };
            items.push(PlanItem {
                kind: ItemKind::File,
                name: file.repo_path.clone(),
                digest: Some(*digest),
                size: file.size,
                action,
            });
        }
        let commits = changed.len().div_ceil(MAX_COMMIT);
        items.push(PlanItem {
            kind: ItemKind::Commit,
            name: format!("commit {} files in {commits} commit(s)", changed.len()),
            digest: None,
            size: 0,
            action: if changed.is_empty() {
                Action::Skip {
                    reason: "every file is already there".into(),
                }
            } else {
                Action::Create
            },
        });
        let stale = remote
            .values()
            .filter(|r| {
                r.path != ".gitattributes" && !release.files.iter().any(|f| f.repo_path == r.path)
            })
            .map(|r| StaleItem {
                kind: ItemKind::File,
                name: r.path.clone(),
                detail: format!("{} bytes, sha256 {}", r.size, r.sha256),
            })
            .collect();
        Ok(Plan {
            backend: self.name().to_string(),
            target: self.target_name(),
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
        let digests = self.digests(release, ctx)?;
        if plan
            .items
            .iter()
            .any(|i| i.kind == ItemKind::Repository && i.action == Action::Create)
        {
            self.api(ctx).create_repo(
                &self.target.repo,
                self.target.visibility,
                &self.target.license,
                ctx.progress,
            )?;
        }
        // Read the repository again: the plan may be older than what is there now.
        let remote = self.remote_files(ctx)?.unwrap_or_default();
        let mut outcomes = Vec::new();
        let mut actions = Vec::new();
        let mut lfs_files = Vec::new();
        for (file, digest) in release.files.iter().zip(&digests) {
            if matches_remote(remote.get(&file.repo_path), digest, file.size) {
                outcomes.push(ItemOutcome::skipped(
                    ctx.progress,
                    file.repo_path.clone(),
                    Some(*digest),
                    "the repository has this file with the same sha256".to_string(),
                ));
                continue;
            }
            let action = if remote.contains_key(&file.repo_path) {
                Action::Replace
            } else {
                Action::Upload
            };
            if is_lfs(file) {
                lfs_files.push((file, *digest));
                actions.push(CommitAction::Lfs {
                    path: file.repo_path.clone(),
                    size: file.size,
                    sha256: *digest,
                });
            } else {
                actions.push(CommitAction::Inline {
                    path: file.repo_path.clone(),
                    content: file.blob_source().read_prefix(file.size)?,
                });
                outcomes.push(ItemOutcome {
                    name: file.repo_path.clone(),
                    digest: Some(*digest),
                    action,
                    bytes_sent: file.size,
                });
            }
        }
        let objects: Vec<(Digest, u64)> = lfs_files.iter().map(|(f, d)| (*d, f.size)).collect();
        let missing = self.missing_objects(&objects, ctx)?;
        let uploads: Vec<(&ArtifactFile, Digest, LfsAction)> = lfs_files
            .iter()
            .filter_map(|(f, d)| missing.get(d).map(|a| (*f, *d, a.clone())))
            .collect();
        let sent = run_parallel(&uploads, ctx.options.parallel, |(file, digest, action)| {
            transfer(
                ctx,
                self.name(),
                &file.repo_path,
                Some(*digest),
                file.size,
                || {
                    self.api(ctx).put_object(
                        &self.target.repo,
                        digest,
                        &ctx.reads.source(file.blob_source()),
                        action,
                        &file.repo_path,
                        ctx.progress,
                    )
                },
            )
        })?;
        for (file, digest) in &lfs_files {
            let sent = uploads
                .iter()
                .zip(&sent)
                .find(|((f, _, _), _)| f.repo_path == file.repo_path)
                .map_or(0, |(_, s)| *s);
            outcomes.push(ItemOutcome {
                name: file.repo_path.clone(),
                digest: Some(*digest),
                action: if sent > 0 {
                    Action::Upload
                } else {
                    Action::Create
                },
                bytes_sent: sent,
            });
        }
        for chunk in actions.chunks(MAX_COMMIT) {
            self.api(ctx).commit(
                &self.target.repo,
                &self.target.commit_message,
                chunk,
                ctx.progress,
            )?;
        }
        if ctx.options.prune && !plan.stale.is_empty() {
            ctx.progress.emit(ProgressEvent::Warning {
                message: format!(
                    "ModelScope's documented API has no file deletion; remove {} stale file(s) of `{}` on the website",
                    plan.stale.len(),
                    self.target.repo
                ),
            });
        }
        Ok(PushReport::from_items(
            self.name(),
            self.target_name(),
            outcomes,
            Vec::new(),
        ))
    }

    fn verify(
        &self,
        release: &Release,
        ctx: &PushContext<'_>,
    ) -> Result<ReadBackReport, PushError> {
        let digests = self.digests(release, ctx)?;
        let remote = self.remote_files(ctx)?.unwrap_or_default();
        let checks = release
            .files
            .iter()
            .zip(&digests)
            .map(|(file, digest)| match remote.get(&file.repo_path) {
                None => check(file.repo_path.clone(), false, "not in the repository"),
                Some(r) if matches_remote(Some(r), digest, file.size) => check(
                    file.repo_path.clone(),
                    true,
                    format!("{} bytes, sha256 {}", r.size, r.sha256),
                ),
                Some(r) => check(
                    file.repo_path.clone(),
                    false,
                    format!(
                        "expected {} bytes, sha256 {}\n  registry: {} bytes, sha256 {}",
                        file.size,
                        digest.hex(),
                        r.size,
                        if r.sha256.is_empty() {
                            "(none)"
                        } else {
                            &r.sha256
                        }
                    ),
                ),
            })
            .collect();
        Ok(ReadBackReport {
            backend: self.name().to_string(),
            target: self.target_name(),
            checks,
            warnings: Vec::new(),
        })
    }
}
