//! The huggingface backend: the generated card and root files into a Hub model repository,
//! through preupload, LFS and one commit — or a pull request when the card is someone
//! else's.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::card_section::{generated_section, splice_generated_section};
use super::client::{CommitOp, TreeEntry, UploadMode, wrap};
use crate::digest::Digest;
use crate::push::lfs::LfsObject;
use crate::push::ollama_api::text_check::{check, text_check};
use crate::push::skeleton::transfer;
use crate::push::{
    Action, ArtifactFile, Backend, BlobSource, Check, ItemKind, ItemOutcome, Plan, PlanItem,
    ProgressEvent, PushContext, PushError, PushReport, ReadBackReport, Release, StaleItem,
    run_parallel,
};
use crate::secret::Secret;
use crate::source::{HubClient, HubEndpoint, HubError, HubSettings, RepoId};

/// The card's path in the repository.
pub const CARD_PATH: &str = "README.md";
/// Files of one preupload or LFS batch call.
const CALL_CHUNK: usize = 100;
/// Open pull requests compared with the release before opening another one.
const MAX_PULL_REQUESTS_CHECKED: usize = 20;
/// Largest README.md (or other small file) read back for comparison.
const SMALL_FILE_LIMIT: u64 = 16 << 20;
/// Largest file sent inline in a commit, whatever preupload says (the Hub's own limit for
/// regular files is 10 MiB), so a wrong answer cannot make us buffer a GGUF.
const REGULAR_LIMIT: u64 = 32 << 20;

/// What to do when the repository's README.md was not written by this tool (it has no
/// generated-section markers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForeignCardPolicy {
    /// Open a pull request with the changes instead of committing to the branch. The default.
    #[default]
    PullRequest,
    /// Commit over it (the publisher asked for it explicitly).
    Overwrite,
}

/// Where the huggingface backend sends files.
#[derive(Debug, Clone)]
pub struct HubTarget {
    /// The Hub (`HF_ENDPOINT`). By default, `https://huggingface.co`.
    pub endpoint: HubEndpoint,
    /// The repository.
    pub repo: RepoId,
    /// The branch. By default, `main`.
    pub revision: String,
    /// The token (`HF_TOKEN`, ...), found by the caller.
    pub token: Option<Secret>,
    /// Create the repository when missing, private or not. By default, `None`: a missing
    /// repository is an error.
    pub create_private: Option<bool>,
    /// What to do with a card this tool did not write. By default, a pull request.
    pub foreign_card: ForeignCardPolicy,
    /// The commit summary.
    pub commit_message: String,
}

impl HubTarget {
    /// A target with the defaults above.
    pub fn new(repo: RepoId, token: Option<Secret>) -> Self {
        Self {
            endpoint: HubEndpoint::default(),
            repo,
            revision: "main".into(),
            token,
            create_private: None,
            foreign_card: ForeignCardPolicy::default(),
            commit_message: "Update model card and Ollama files with ruvltra-export".into(),
        }
    }
}

/// The huggingface backend (see the [module docs](super)).
#[derive(Debug)]
pub struct HubBackend {
    target: HubTarget,
    client: HubClient,
    /// The pull request the last push opened, so `verify` reads that ref.
    pull_request: Mutex<Option<String>>,
}

/// One file as it will be sent (the card after splicing).
struct Outgoing {
    path: String,
    source: BlobSource,
    size: u64,
    digest: Digest,
    action: Action,
}

/// What the repository holds and what a push would send.
struct Prepared {
    repo_exists: bool,
    files: Vec<Outgoing>,
    pull_request: bool,
    /// An open pull request that already has everything (nothing to send).
    existing_pr: Option<String>,
    card_note: Option<String>,
    stale: Vec<StaleItem>,
}

/// Root files this tool writes; others in the repository (GGUFs...) are not its business.
fn is_managed(path: &str) -> bool {
    matches!(
        path,
        "README.md" | "template" | "system" | "params" | "preset.ini"
    ) || (path.ends_with(".jinja") && !path.contains('/'))
}

impl HubBackend {
    /// A backend for `target`; each call retries per the command's
    /// [`TransferOptions::retry`](crate::push::TransferOptions::retry).
    pub fn new(target: HubTarget) -> Result<Self, PushError> {
        let settings = HubSettings {
            endpoint: target.endpoint.clone(),
            token: target.token.clone(),
            ..HubSettings::default()
        };
        let client = HubClient::new(settings).map_err(wrap)?;
        Ok(Self {
            target,
            client,
            pull_request: Mutex::new(None),
        })
    }

    /// The low-level client (with the default retry policy), for one more call.
    pub fn client(&self) -> &HubClient {
        &self.client
    }

    /// The client with this command's retry policy.
    fn api(&self, ctx: &PushContext<'_>) -> HubClient {
        self.client.with_transfer_settings(ctx.options.http())
    }

    /// The pull request ref (`refs/pr/N`) the last push opened, if any.
    pub fn pull_request(&self) -> Option<String> {
        self.pull_request.lock().ok().and_then(|p| p.clone())
    }

    fn target_name(&self) -> String {
        format!(
            "{}/{}@{}",
            self.target.endpoint, self.target.repo, self.target.revision
        )
    }

    fn download(
        &self,
        revision: &str,
        path: &str,
        ctx: &PushContext<'_>,
    ) -> Result<Option<Vec<u8>>, PushError> {
        self.api(ctx).download_small(
            &self.target.repo,
            revision,
            path,
            SMALL_FILE_LIMIT,
            ctx.progress,
        )
    }

    /// The card to send given the one in the repository: spliced when it is ours, the
    /// generated one otherwise; and whether it is someone else's.
    fn card_to_send(
        &self,
        generated: &str,
        existing: Option<&str>,
    ) -> Result<(String, bool), PushError> {
        let Some(existing) = existing else {
            return Ok((generated.to_string(), false));
        };
        match splice_generated_section(existing, generated)
            .map_err(|e| wrap(HubError::Card(e.to_string())))?
        {
            Some(spliced) => Ok((spliced, false)),
            None => Ok((generated.to_string(), true)),
        }
    }

    fn prepare(&self, release: &Release, ctx: &PushContext<'_>) -> Result<Prepared, PushError> {
        super::check_repo_paths(&release.files)?;
        let revision = &self.target.revision;
        let tree = self
            .client
            .tree(&self.target.repo, revision, ctx.progress)?;
        let repo_exists = tree.is_some();
        if !repo_exists && self.target.create_private.is_none() {
            return Err(wrap(HubError::Missing {
                repo: self.target.repo.to_string(),
                endpoint: self.target.endpoint.to_string(),
            }));
        }
        let remote: BTreeMap<String, TreeEntry> = tree
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.path.clone(), e))
            .collect();
        let mut foreign_card = false;
        let mut files = Vec::new();
        for file in &release.files {
            let (source, size, digest, known_remote) = if file.repo_path == CARD_PATH {
                let generated = read_text(file)?;
                let existing = match remote.get(CARD_PATH) {
                    Some(_) => self.download(revision, CARD_PATH, ctx)?,
                    None => None,
                };
                let existing_text = existing
                    .as_ref()
                    .map(|b| String::from_utf8_lossy(b).into_owned());
                let (card, foreign) = self.card_to_send(&generated, existing_text.as_deref())?;
                foreign_card = foreign;
                let bytes: Arc<[u8]> = card.into_bytes().into();
                let digest = Digest::of_bytes(&bytes);
                let same = existing.as_deref().map(|e| Digest::of_bytes(e) == digest);
                (
                    BlobSource::Bytes(bytes.clone()),
                    bytes.len() as u64,
                    digest,
                    same,
                )
            } else {
                (
                    ctx.reads.source(file.blob_source()),
                    file.size,
                    file.digest(ctx.digests, ctx.progress)?,
                    None,
                )
            };
            let unchanged = match known_remote {
                Some(same) => same,
                None => {
                    self.has_content(revision, &remote, &file.repo_path, (size, digest), ctx)?
                }
            };
            let action = if unchanged {
                Action::Skip {
                    reason: "the repository has the same content".into(),
                }
            } else if remote.contains_key(&file.repo_path) {
                Action::Replace
            } else {
                Action::Upload
            };
            files.push(Outgoing {
                path: file.repo_path.clone(),
                source,
                size,
                digest,
                action,
            });
        }
        let pull_request =
            foreign_card && self.target.foreign_card == ForeignCardPolicy::PullRequest;
        let changed = files
            .iter()
            .any(|f| !matches!(f.action, Action::Skip { .. }));
        let existing_pr = if pull_request && changed {
            self.matching_pull_request(&files, ctx)?
        } else {
            None
        };
        if let Some(pr) = &existing_pr {
            for file in &mut files {
                if !matches!(file.action, Action::Skip { .. }) {
                    file.action = Action::Skip {
                        reason: format!("the open pull request {pr} already has it"),
                    };
                }
            }
        }
        let card_note = foreign_card.then(|| match (&existing_pr, pull_request) {
            (Some(pr), _) => format!(
                "README.md was not written by ruvltra-export: the open pull request {pr} already proposes these files; merge it on the Hub"
            ),
            (None, true) => "README.md was not written by ruvltra-export (no generated-section markers): the changes go to a pull request".to_string(),
            (None, false) => "README.md was not written by ruvltra-export: overwriting it as asked".to_string(),
        });
        let stale = remote
            .values()
            .filter(|e| is_managed(&e.path) && !release.files.iter().any(|f| f.repo_path == e.path))
            .map(|e| StaleItem {
                kind: ItemKind::File,
                name: e.path.clone(),
                detail: format!("{} bytes", e.size),
            })
            .collect();
        Ok(Prepared {
            repo_exists,
            files,
            pull_request,
            existing_pr,
            card_note,
            stale,
        })
    }

    /// Whether `path` in `remote` (a listing of `revision`) has this size and sha256: LFS
    /// files by their LFS oid, regular files by downloading them (they are small).
    fn has_content(
        &self,
        revision: &str,
        remote: &BTreeMap<String, TreeEntry>,
        path: &str,
        (size, digest): (u64, Digest),
        ctx: &PushContext<'_>,
    ) -> Result<bool, PushError> {
        let Some(entry) = remote.get(path) else {
            return Ok(false);
        };
        Ok(match &entry.lfs {
            Some(lfs) => lfs.oid.eq_ignore_ascii_case(&digest.hex()) && entry.size == size,
            None if entry.size != size => false,
            None => self
                .download(revision, path, ctx)?
                .is_some_and(|bytes| Digest::of_bytes(&bytes) == digest),
        })
    }

    /// An open pull request (`refs/pr/N`) that already has every file as it would be sent,
    /// so a re-run does not open a duplicate. The newest few are checked.
    fn matching_pull_request(
        &self,
        files: &[Outgoing],
        ctx: &PushContext<'_>,
    ) -> Result<Option<String>, PushError> {
        let open = self
            .client
            .open_pull_requests(&self.target.repo, ctx.progress)?;
        for number in open.into_iter().take(MAX_PULL_REQUESTS_CHECKED) {
            let revision = format!("refs/pr/{number}");
            let Some(tree) = self
                .client
                .tree(&self.target.repo, &revision, ctx.progress)?
            else {
                continue;
            };
            let remote: BTreeMap<String, TreeEntry> =
                tree.into_iter().map(|e| (e.path.clone(), e)).collect();
            let mut all = true;
            for file in files {
                if !self.has_content(
                    &revision,
                    &remote,
                    &file.path,
                    (file.size, file.digest),
                    ctx,
                )? {
                    all = false;
                    break;
                }
            }
            if all {
                return Ok(Some(revision));
            }
        }
        Ok(None)
    }

    /// Uploads the LFS objects the Hub lacks; returns bytes sent per path.
    fn upload_lfs(
        &self,
        lfs: &[&Outgoing],
        ctx: &PushContext<'_>,
    ) -> Result<BTreeMap<String, u64>, PushError> {
        let mut pending: Vec<(&Outgoing, LfsObject)> = Vec::new();
        for chunk in lfs.chunks(CALL_CHUNK) {
            let objects: Vec<(Digest, u64)> = chunk.iter().map(|o| (o.digest, o.size)).collect();
            let answer = self
                .client
                .lfs_batch(&self.target.repo, &objects, ctx.progress)?;
            for outgoing in chunk {
                let object = answer
                    .iter()
                    .find(|o| o.oid.eq_ignore_ascii_case(&outgoing.digest.hex()));
                if let Some(object) = object {
                    if let Some(error) = &object.error {
                        return Err(wrap(HubError::LfsObject {
                            path: outgoing.path.clone(),
                            oid: object.oid.clone(),
                            code: error.code,
                            message: error.message.clone(),
                        }));
                    }
                    if object.actions.is_some() {
                        pending.push((outgoing, object.clone()));
                    }
                }
            }
        }
        let sent = run_parallel(&pending, ctx.options.parallel, |(outgoing, object)| {
            let Some(actions) = &object.actions else {
                return Ok(0);
            };
            let mut sent = 0;
            if let Some(upload) = &actions.upload {
                let size = outgoing.size;
                sent = transfer(
                    ctx,
                    self.name(),
                    &outgoing.path,
                    Some(outgoing.digest),
                    size,
                    || {
                        self.api(ctx).upload_object(
                            &self.target.repo,
                            (&outgoing.digest, &outgoing.source),
                            upload,
                            &outgoing.path,
                            ctx.progress,
                        )
                    },
                )?;
            }
            if let Some(verify) = &actions.verify {
                self.api(ctx).verify_object(
                    &outgoing.digest,
                    outgoing.size,
                    verify,
                    ctx.progress,
                )?;
            }
            Ok(sent)
        })?;
        Ok(pending
            .iter()
            .zip(sent)
            .map(|((o, _), s)| (o.path.clone(), s))
            .collect())
    }
}

fn read_text(file: &ArtifactFile) -> Result<String, PushError> {
    use std::io::Read;
    if file.size > SMALL_FILE_LIMIT {
        return Err(PushError::input(format!(
            "`{}` is {} bytes; a model card is expected to stay under {SMALL_FILE_LIMIT}",
            file.repo_path, file.size
        )));
    }
    let mut bytes = Vec::new();
    file.blob_source()
        .open_at(0)?
        .read_to_end(&mut bytes)
        .map_err(|e| {
            PushError::io(
                "reading",
                file.local_path().unwrap_or(std::path::Path::new(CARD_PATH)),
                e,
            )
        })?;
    String::from_utf8(bytes)
        .map_err(|_| PushError::input(format!("`{}` is not UTF-8 text", file.repo_path)))
}

impl Backend for HubBackend {
    fn name(&self) -> &str {
        "huggingface"
    }

    fn plan(&self, release: &Release, ctx: &PushContext<'_>) -> Result<Plan, PushError> {
        let prepared = self.prepare(release, ctx)?;
        let mut items = Vec::new();
        if !prepared.repo_exists {
            items.push(PlanItem {
                kind: ItemKind::Repository,
                name: self.target.repo.to_string(),
                digest: None,
                size: 0,
                action: Action::Create,
            });
        }
        for file in &prepared.files {
            items.push(PlanItem {
                kind: ItemKind::File,
                name: file.path.clone(),
                digest: Some(file.digest),
                size: file.size,
                action: file.action.clone(),
            });
        }
        let changed = prepared
            .files
            .iter()
            .filter(|f| !matches!(f.action, Action::Skip { .. }))
            .count();
        let what = if let Some(pr) = &prepared.existing_pr {
            format!("pull request {pr} (already open with these files)")
        } else if prepared.pull_request {
            format!(
                "pull request with {changed} files against {}",
                self.target.revision
            )
        } else {
            format!("commit {changed} files to {}", self.target.revision)
        };
        items.push(PlanItem {
            kind: ItemKind::Commit,
            name: what,
            digest: None,
            size: 0,
            action: if changed == 0 {
                Action::Skip {
                    reason: "every file is already there".into(),
                }
            } else {
                Action::Create
            },
        });
        if let Some(note) = prepared.card_note {
            ctx.progress.emit(ProgressEvent::Warning { message: note });
        }
        Ok(Plan {
            backend: self.name().to_string(),
            target: self.target_name(),
            items,
            stale: prepared.stale,
        })
    }

    fn push(
        &self,
        plan: &Plan,
        release: &Release,
        ctx: &PushContext<'_>,
    ) -> Result<PushReport, PushError> {
        let target = &self.target;
        let create = plan
            .items
            .iter()
            .any(|i| i.kind == ItemKind::Repository && i.action == Action::Create);
        if let (true, Some(private)) = (create, target.create_private) {
            // A repository created by someone else since the plan answers 409, which is fine.
            self.api(ctx)
                .create_repo(&target.repo, private, ctx.progress)?;
        }
        let prepared = self.prepare(release, ctx)?;
        if let Some(note) = &prepared.card_note {
            ctx.progress.emit(ProgressEvent::Warning {
                message: note.clone(),
            });
        }
        let changed: Vec<&Outgoing> = prepared
            .files
            .iter()
            .filter(|f| !matches!(f.action, Action::Skip { .. }))
            .collect();
        let mut outcomes: Vec<ItemOutcome> = prepared
            .files
            .iter()
            .filter(|f| matches!(f.action, Action::Skip { .. }))
            .map(|f| {
                ctx.progress.emit(ProgressEvent::Skipped {
                    name: f.path.clone(),
                    reason: "already in the repository".into(),
                });
                ItemOutcome {
                    name: f.path.clone(),
                    digest: Some(f.digest),
                    action: f.action.clone(),
                    bytes_sent: 0,
                }
            })
            .collect();
        if let (Some(pr), Ok(mut slot)) = (&prepared.existing_pr, self.pull_request.lock()) {
            *slot = Some(pr.clone());
        }
        if changed.is_empty() {
            return Ok(PushReport {
                backend: self.name().to_string(),
                target: self.target_name(),
                items: outcomes,
                pruned: Vec::new(),
                bytes_sent: 0,
                pull_commands: Vec::new(),
            });
        }
        let mut modes = BTreeMap::new();
        for chunk in changed.chunks(CALL_CHUNK) {
            let samples = chunk
                .iter()
                .map(|f| Ok((f.path.clone(), f.source.read_prefix(512)?, f.size)))
                .collect::<Result<Vec<_>, PushError>>()?;
            modes.extend(self.api(ctx).preupload(
                &target.repo,
                &target.revision,
                &samples,
                ctx.progress,
            )?);
        }
        let (ignored, kept): (Vec<&Outgoing>, Vec<&Outgoing>) = changed
            .into_iter()
            .partition(|f| modes.get(&f.path).is_some_and(|(_, ignore)| *ignore));
        for file in ignored {
            let reason = "the Hub ignores this path (shouldIgnore)".to_string();
            ctx.progress.emit(ProgressEvent::Warning {
                message: format!("{}: {reason}", file.path),
            });
            outcomes.push(ItemOutcome {
                name: file.path.clone(),
                digest: Some(file.digest),
                action: Action::Skip { reason },
                bytes_sent: 0,
            });
        }
        let is_lfs = |f: &Outgoing| {
            modes
                .get(&f.path)
                .is_some_and(|(mode, _)| *mode == UploadMode::Lfs)
        };
        let lfs: Vec<&Outgoing> = kept.iter().copied().filter(|f| is_lfs(f)).collect();
        let sent = self.upload_lfs(&lfs, ctx)?;
        let mut ops = Vec::new();
        for file in &kept {
            if is_lfs(file) {
                ops.push(CommitOp::Lfs {
                    path: file.path.clone(),
                    oid: file.digest,
                    size: file.size,
                });
            } else {
                use std::io::Read;
                if file.size > REGULAR_LIMIT {
                    return Err(PushError::Protocol {
                        what: format!("uploading {}", file.path),
                        url: self.target_name(),
                        message: format!(
                            "preupload asked for a regular (inline) upload of {} bytes; files over {REGULAR_LIMIT} bytes go through LFS",
                            file.size
                        ),
                    });
                }
                let mut content = Vec::new();
                file.source
                    .open_at(0)?
                    .read_to_end(&mut content)
                    .map_err(|e| {
                        PushError::io(
                            "reading",
                            file.source
                                .path()
                                .unwrap_or(std::path::Path::new(&file.path)),
                            e,
                        )
                    })?;
                ops.push(CommitOp::Regular {
                    path: file.path.clone(),
                    content,
                });
            }
            outcomes.push(ItemOutcome {
                name: file.path.clone(),
                digest: Some(file.digest),
                action: file.action.clone(),
                bytes_sent: if is_lfs(file) {
                    sent.get(&file.path).copied().unwrap_or(0)
                } else {
                    file.size
                },
            });
        }
        let info = self.api(ctx).commit(
            &target.repo,
            &target.revision,
            &target.commit_message,
            &ops,
            prepared.pull_request,
            ctx.progress,
        )?;
        if let Ok(mut slot) = self.pull_request.lock() {
            *slot = info.pull_request_ref();
        }
        if let Some(url) = &info.pull_request_url {
            ctx.progress.emit(ProgressEvent::Warning {
                message: format!("opened a pull request for review: {url}"),
            });
        }
        if ctx.options.prune && !prepared.stale.is_empty() {
            ctx.progress.emit(ProgressEvent::Warning {
                message: format!(
                    "{} stale file(s) left in `{}`: deleting files is not part of this backend yet",
                    prepared.stale.len(),
                    target.repo
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
        let revision = self
            .pull_request()
            .unwrap_or_else(|| self.target.revision.clone());
        let tree = self
            .client
            .tree(&self.target.repo, &revision, ctx.progress)?
            .unwrap_or_default();
        let remote: BTreeMap<&str, &TreeEntry> =
            tree.iter().map(|e| (e.path.as_str(), e)).collect();
        let mut checks: Vec<Check> = Vec::new();
        for file in &release.files {
            let name = format!("{} at {revision}", file.repo_path);
            let Some(entry) = remote.get(file.repo_path.as_str()) else {
                checks.push(check(name, false, "not in the repository"));
                continue;
            };
            if file.repo_path == CARD_PATH {
                let generated = read_text(file)?;
                let bytes = self
                    .download(&revision, CARD_PATH, ctx)?
                    .unwrap_or_default();
                let actual = String::from_utf8_lossy(&bytes).into_owned();
                let expected = match generated_section(&generated)
                    .map_err(|e| wrap(HubError::Card(e.to_string())))?
                {
                    Some(_) => splice_generated_section(&actual, &generated)
                        .map_err(|e| wrap(HubError::Card(e.to_string())))?
                        .unwrap_or_else(|| generated.clone()),
                    None => generated.clone(),
                };
                checks.push(text_check(name, &expected, &actual));
                continue;
            }
            let digest = file.digest(ctx.digests, ctx.progress)?;
            let (ok, detail) = match &entry.lfs {
                Some(lfs) => (
                    lfs.oid.eq_ignore_ascii_case(&digest.hex()) && entry.size == file.size,
                    format!(
                        "expected {} bytes, sha256 {}; repository: {} bytes, LFS sha256 {}",
                        file.size,
                        digest.hex(),
                        entry.size,
                        lfs.oid
                    ),
                ),
                None => {
                    let bytes = self
                        .download(&revision, &file.repo_path, ctx)?
                        .unwrap_or_default();
                    let actual = Digest::of_bytes(&bytes);
                    (
                        actual == digest,
                        format!(
                            "expected sha256 {}; repository: sha256 {}",
                            digest.hex(),
                            actual.hex()
                        ),
                    )
                }
            };
            checks.push(check(name, ok, detail));
        }
        let mut warnings = Vec::new();
        if revision != self.target.revision {
            warnings.push(format!(
                "the files are in pull request {revision}, not yet on {}: merge it on the Hub",
                self.target.revision
            ));
        }
        Ok(ReadBackReport {
            backend: self.name().to_string(),
            target: self.target_name(),
            checks,
            warnings,
        })
    }
}
