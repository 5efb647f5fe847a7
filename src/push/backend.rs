//! The one trait every registry implements, and the plan and report types it speaks in.
//!
//! A push is three steps: [`Backend::plan`] asks the registry what is already there and
//! writes nothing; [`Backend::push`] carries a plan out; [`Backend::verify`] reads the result
//! back and compares it with what was meant. `--dry-run` stops after the plan. A second push
//! of the same release plans only skips.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::error::PushError;
use super::progress::{Progress, ProgressEvent};
use super::release::Release;
use super::retry::RetryPolicy;
use super::shared_read::SharedReads;
use crate::digest::Digest;
use crate::digest::DigestCache;
use crate::http::HttpSettings;

/// A registry: Ollama's API, an OCI registry, a local bundle, ModelScope, the Hub.
pub trait Backend: Send + Sync {
    /// Short name for messages and `--to` (`oci`, `bundle`, ...).
    fn name(&self) -> &str;

    /// What pushing `release` would do, item by item, plus what the registry holds that the
    /// release does not. Reads from the registry, writes nothing.
    fn plan(&self, release: &Release, ctx: &PushContext<'_>) -> Result<Plan, PushError>;

    /// Carries `plan` out (made by [`Backend::plan`] for the same `release`), reporting
    /// progress through `ctx.progress`. Stale items are deleted only when
    /// `ctx.options.prune` is set.
    fn push(
        &self,
        plan: &Plan,
        release: &Release,
        ctx: &PushContext<'_>,
    ) -> Result<PushReport, PushError>;

    /// Reads the pushed release back and compares it with what was meant.
    fn verify(&self, release: &Release, ctx: &PushContext<'_>)
    -> Result<ReadBackReport, PushError>;
}

/// What every backend call shares within one push command.
pub struct PushContext<'a> {
    /// Digests of local files, hashed once per command.
    pub digests: &'a DigestCache,
    /// Where progress goes.
    pub progress: &'a dyn Progress,
    /// Transfer settings.
    pub options: TransferOptions,
    /// Files several targets of this command read, read from disk once between them
    /// (empty unless the command pushes to several targets at once).
    pub reads: SharedReads,
}

impl<'a> PushContext<'a> {
    /// A context for one command: its digest cache, its progress sink and its settings,
    /// with no file shared between targets yet (see [`crate::push::push_side_by_side`]).
    pub fn new(
        digests: &'a DigestCache,
        progress: &'a dyn Progress,
        options: TransferOptions,
    ) -> Self {
        Self {
            digests,
            progress,
            options,
            reads: SharedReads::default(),
        }
    }
}

/// Settings for transfers, with defaults in one place.
#[derive(Debug, Clone)]
pub struct TransferOptions {
    /// Transfers running at once. By default, 4.
    pub parallel: usize,
    /// Retry policy for each request. By default, [`RetryPolicy::default`].
    pub retry: RetryPolicy,
    /// The time limit of a request that sends no body; one that does gets more for its bytes
    /// (see [`HttpSettings::transfer_timeout`]). By default, 120 s.
    pub timeout: Duration,
    /// Blobs larger than this are uploaded in chunks of this size (resumable); smaller ones in
    /// one request. By default, 64 MiB.
    pub chunk_size: u64,
    /// Delete stale items the plan lists. By default, off: nothing is deleted.
    pub prune: bool,
    /// Where upload sessions are remembered so a later command can resume them (the CLI passes
    /// the user cache directory). By default, none: sessions resume only within a command.
    pub state_dir: Option<PathBuf>,
}

impl Default for TransferOptions {
    fn default() -> Self {
        Self {
            parallel: 4,
            retry: RetryPolicy::default(),
            timeout: HttpSettings::default().timeout,
            chunk_size: 64 << 20,
            prune: false,
            state_dir: None,
        }
    }
}

impl TransferOptions {
    /// The HTTP settings of every request: [`TransferOptions::timeout`] (connecting gets at
    /// most the default 30 s) and [`TransferOptions::retry`].
    pub fn http(&self) -> HttpSettings {
        let defaults = HttpSettings::default();
        HttpSettings {
            connect_timeout: defaults.connect_timeout.min(self.timeout),
            timeout: self.timeout,
            retry: self.retry,
        }
    }
}

/// What a push would do. Serializable for `--json` and `--dry-run`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The backend's name.
    pub backend: String,
    /// Where the release goes (a registry URL, a folder, a repository id).
    pub target: String,
    /// One entry per blob, manifest or file, in the order they will be sent.
    pub items: Vec<PlanItem>,
    /// What the registry holds that this release does not (deleted only with prune).
    pub stale: Vec<StaleItem>,
}

impl Plan {
    /// Bytes the push would send.
    pub fn bytes_to_send(&self) -> u64 {
        self.items
            .iter()
            .filter(|item| {
                matches!(
                    item.action,
                    Action::Upload | Action::Resume { .. } | Action::Write
                )
            })
            .map(|item| match item.action {
                Action::Resume { offset } => item.size.saturating_sub(offset),
                _ => item.size,
            })
            .sum()
    }

    /// Whether pushing would send or create nothing (every item skipped). Stale items do not
    /// count: they are only deleted with prune.
    pub fn is_up_to_date(&self) -> bool {
        self.items
            .iter()
            .all(|item| matches!(item.action, Action::Skip { .. }))
    }
}

/// One thing a push sends or creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanItem {
    /// What it is.
    pub kind: ItemKind,
    /// A readable name: `model layer of ruv/ruvltra:q4`, `README.md`, a manifest path.
    pub name: String,
    /// Its digest, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// Its size in bytes.
    pub size: u64,
    /// What will happen to it.
    pub action: Action,
}

/// Kinds of plan items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A content-addressed blob (layer or config).
    Blob,
    /// A manifest or tag.
    Manifest,
    /// A file in a file-based repository.
    File,
    /// A repository to create.
    Repository,
    /// A commit or create call that ties files together.
    Commit,
    /// A bundle archive.
    Archive,
}

/// What will happen to a plan item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Sent in full.
    Upload,
    /// An interrupted upload continues at `offset`.
    Resume {
        /// Bytes the registry already has.
        offset: u64,
    },
    /// Linked from another repository of the same registry without sending bytes.
    Mount {
        /// The repository that has it.
        from: String,
    },
    /// Written locally (bundle backend).
    Write,
    /// Created (a manifest, repository or commit that does not exist yet).
    Create,
    /// Replaces a different existing version.
    Replace,
    /// Already there with the right content.
    Skip {
        /// Why it is skipped.
        reason: String,
    },
}

/// Something the registry holds that this release does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaleItem {
    /// What it is.
    pub kind: ItemKind,
    /// Its name (a tag, a file path).
    pub name: String,
    /// More about it, e.g. the digest it points to.
    pub detail: String,
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PushReport {
    /// The backend's name.
    pub backend: String,
    /// Where the release went.
    pub target: String,
    /// Each item and what was done.
    pub items: Vec<ItemOutcome>,
    /// Stale items deleted (only with prune).
    pub pruned: Vec<String>,
    /// Bytes sent over the wire or written, in this command.
    pub bytes_sent: u64,
    /// How users get what was pushed, one command each (`docker model pull HOST/REPO:TAG`);
    /// empty for registries without such a command.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pull_commands: Vec<String>,
}

impl PushReport {
    /// A report whose bytes sent are the sum of its items'.
    pub fn from_items(
        backend: &str,
        target: String,
        items: Vec<ItemOutcome>,
        pruned: Vec<String>,
    ) -> Self {
        Self {
            backend: backend.to_string(),
            target,
            bytes_sent: items.iter().map(|o| o.bytes_sent).sum(),
            items,
            pruned,
            pull_commands: Vec::new(),
        }
    }
}

/// What happened to one plan item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemOutcome {
    /// The item's name, as in the plan.
    pub name: String,
    /// Its digest, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// What was done.
    pub action: Action,
    /// Bytes sent for it in this command.
    pub bytes_sent: u64,
}

impl ItemOutcome {
    /// An item left as it is: reported to `progress` as skipped, with nothing sent.
    pub fn skipped(
        progress: &dyn Progress,
        name: String,
        digest: Option<Digest>,
        reason: String,
    ) -> Self {
        progress.emit(ProgressEvent::Skipped {
            name: name.clone(),
            reason: reason.clone(),
        });
        Self {
            name,
            digest,
            action: Action::Skip { reason },
            bytes_sent: 0,
        }
    }
}

/// The result of reading a release back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadBackReport {
    /// The backend's name.
    pub backend: String,
    /// Where it was read from.
    pub target: String,
    /// One check per item.
    pub checks: Vec<Check>,
    /// Things that work but will bite someone (e.g. Ollama issue 7244).
    pub warnings: Vec<String>,
}

impl ReadBackReport {
    /// Whether every check passed.
    pub fn is_ok(&self) -> bool {
        self.checks.iter().all(|check| check.ok)
    }
}

/// One comparison of what was meant with what the registry holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Whether it matched.
    pub ok: bool,
    /// Both sides when it did not match; a short note when it did.
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(size: u64, action: Action) -> PlanItem {
        PlanItem {
            kind: ItemKind::Blob,
            name: "blob".into(),
            digest: None,
            size,
            action,
        }
    }

    #[test]
    fn bytes_to_send_counts_uploads_resumes_and_writes() {
        let skip = Action::Skip {
            reason: "there".into(),
        };
        let plan = Plan {
            backend: "test".into(),
            target: "t".into(),
            items: vec![
                item(10, Action::Upload),
                item(100, Action::Resume { offset: 40 }),
                item(1000, Action::Mount { from: "a/b".into() }),
                item(5, Action::Write),
                item(7, skip.clone()),
            ],
            stale: Vec::new(),
        };
        assert_eq!(plan.bytes_to_send(), 10 + 60 + 5);
        assert!(!plan.is_up_to_date());
        let done = Plan {
            items: vec![item(7, skip)],
            ..plan
        };
        assert!(done.is_up_to_date());
        assert_eq!(
            serde_json::to_string(&done.items[0].action).unwrap(),
            r#"{"action":"skip","reason":"there"}"#
        );
    }
}
