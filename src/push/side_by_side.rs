//! Pushing to several registries at once, each local file read from disk once between them.
//!
//! A command with several targets (`push --to oci --to bundle`, `release`) plans every target
//! first, then carries the plans out side by side, one thread per target. Files that more
//! than one plan sends are announced to the command's [`SharedReads`](super::SharedReads), so
//! a 5 GB GGUF going to three registries is read once, not three times.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::backend::{Action, Backend, Plan, PushContext, PushReport};
use super::error::PushError;
use super::progress::{Progress, ProgressEvent};
use super::release::Release;

/// One target of a multi-target push: the backend, what it sends, and the plan made for it.
#[derive(Clone, Copy)]
pub struct PlannedPush<'a> {
    /// The registry.
    pub backend: &'a dyn Backend,
    /// What it sends.
    pub release: &'a Release,
    /// The plan [`Backend::plan`] made for `release`.
    pub plan: &'a Plan,
}

/// A target's push that failed, and what it had sent by then: a summary must not show the
/// plan's bytes as sent when the push stopped half-way.
#[derive(Debug)]
pub struct FailedPush {
    /// Why it failed.
    pub error: PushError,
    /// Bytes of the transfers that finished before the failure (what the registry took);
    /// 0 when none did.
    pub bytes_sent: u64,
}

/// Carries out every plan at once and returns each target's result in order. One target's
/// failure does not stop the others. With several targets, item names in progress events
/// start with the backend's name (`oci: ...`), so two targets sending the same file show as
/// two transfers.
pub fn push_side_by_side(
    pushes: &[PlannedPush<'_>],
    ctx: &PushContext<'_>,
) -> Vec<Result<PushReport, FailedPush>> {
    share_files(pushes, ctx);
    let several = pushes.len() > 1;
    let labels = labels(pushes);
    std::thread::scope(|scope| {
        let running: Vec<_> = pushes
            .iter()
            .zip(&labels)
            .map(|(p, label)| {
                scope.spawn(move || {
                    let tagged = Tagged {
                        label,
                        inner: ctx.progress,
                    };
                    let counted = Counted {
                        inner: if several { &tagged } else { ctx.progress },
                        sent: AtomicU64::new(0),
                    };
                    let own = PushContext {
                        digests: ctx.digests,
                        progress: &counted,
                        options: ctx.options.clone(),
                        reads: ctx.reads.clone(),
                    };
                    p.backend
                        .push(p.plan, p.release, &own)
                        .map_err(|error| FailedPush {
                            error,
                            bytes_sent: counted.sent.load(Ordering::Relaxed),
                        })
                })
            })
            .collect();
        running
            .into_iter()
            .map(|thread| {
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Each push's name in progress events: its backend's name, numbered when two pushes share
/// one (`bundle 1`, `bundle 2`).
fn labels(pushes: &[PlannedPush<'_>]) -> Vec<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for push in pushes {
        *counts.entry(push.backend.name()).or_default() += 1;
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    pushes
        .iter()
        .map(|push| {
            let name = push.backend.name();
            if counts.get(name).is_some_and(|&n| n > 1) {
                let n = seen.entry(name).or_default();
                *n += 1;
                format!("{name} {n}")
            } else {
                name.to_string()
            }
        })
        .collect()
}

/// Announces to `ctx.reads` every local file whose bytes more than one plan sends in full.
/// Digests come from the plans' own hashing; nothing is read here.
fn share_files(pushes: &[PlannedPush<'_>], ctx: &PushContext<'_>) {
    let mut readers: HashMap<PathBuf, (u64, usize)> = HashMap::new();
    for push in pushes {
        let sending: HashSet<_> = push
            .plan
            .items
            .iter()
            .filter(|item| matches!(item.action, Action::Upload | Action::Write))
            .filter_map(|item| item.digest)
            .collect();
        let mut counted: HashSet<&Path> = HashSet::new();
        for path in push.release.local_files() {
            if let Some((digest, size)) = ctx.digests.known(path)
                && sending.contains(&digest)
                && counted.insert(path)
            {
                readers.entry(path.to_path_buf()).or_insert((size, 0)).1 += 1;
            }
        }
    }
    for (path, (size, count)) in readers {
        ctx.reads.share(&path, size, count);
    }
}

/// One target's progress, counting the bytes of its finished transfers: a push that fails
/// returns no report, and this count is what it sent.
struct Counted<'a> {
    inner: &'a dyn Progress,
    sent: AtomicU64,
}

impl Progress for Counted<'_> {
    fn emit(&self, event: ProgressEvent) {
        if let ProgressEvent::TransferFinished { sent, .. } = &event {
            self.sent.fetch_add(*sent, Ordering::Relaxed);
        }
        self.inner.emit(event);
    }
}

/// One target's progress among several: item names get the target's label in front.
struct Tagged<'a> {
    label: &'a str,
    inner: &'a dyn Progress,
}

impl Progress for Tagged<'_> {
    fn emit(&self, mut event: ProgressEvent) {
        match &mut event {
            ProgressEvent::TransferStarted { name, .. }
            | ProgressEvent::TransferProgress { name, .. }
            | ProgressEvent::TransferFinished { name, .. }
            | ProgressEvent::Skipped { name, .. } => *name = format!("{}: {name}", self.label),
            ProgressEvent::Retrying { what, .. } => *what = format!("{}: {what}", self.label),
            _ => {}
        }
        self.inner.emit(event);
    }
}
