//! The steps every backend's [`Backend::push`](super::Backend::push) shares, written once:
//! items the plan skips are reported as skipped, the others are sent side by side with
//! progress events around each transfer, then the items that tie them together (manifests,
//! create calls) are made in order, then stale items are pruned when asked. A backend
//! supplies only what sending one item means for its registry.

use super::backend::{Action, ItemOutcome, Plan, PushContext, StaleItem};
use super::error::PushError;
use super::parallel::run_parallel;
use super::progress::ProgressEvent;
use crate::digest::Digest;

/// One item a push may send: its name and digest as in the plan, what the plan says to do
/// with it (none when the plan does not list it), and what the backend needs to send it.
#[derive(Debug, Clone)]
pub struct Outgoing<T> {
    /// The item's name, as in the plan.
    pub name: String,
    /// Its digest, when it has one.
    pub digest: Option<Digest>,
    /// The plan's action for it.
    pub planned: Option<Action>,
    /// What sending it takes (a blob, a file and its path, ...).
    pub work: T,
}

impl<T> Outgoing<T> {
    /// The reason the plan skips this item, if it does.
    fn skip_reason(&self) -> Option<&str> {
        match &self.planned {
            Some(Action::Skip { reason }) => Some(reason),
            _ => None,
        }
    }

    fn outcome(&self, action: Action, bytes_sent: u64) -> ItemOutcome {
        ItemOutcome {
            name: self.name.clone(),
            digest: self.digest,
            action,
            bytes_sent,
        }
    }
}

/// Sends `items` as the plan says: each item the plan skips is reported as skipped (those
/// outcomes come first, in order); the others go through `send`, up to
/// `ctx.options.parallel` at once, which returns the action done and the bytes sent. The
/// first failure stops the push.
pub fn send_side_by_side<T: Sync>(
    items: &[Outgoing<T>],
    ctx: &PushContext<'_>,
    send: impl Fn(&Outgoing<T>) -> Result<(Action, u64), PushError> + Sync,
) -> Result<Vec<ItemOutcome>, PushError> {
    let (skipped, to_send): (Vec<&Outgoing<T>>, Vec<&Outgoing<T>>) =
        items.iter().partition(|item| item.skip_reason().is_some());
    let mut outcomes: Vec<ItemOutcome> = skipped.iter().map(|item| skip(item, ctx)).collect();
    let done = run_parallel(&to_send, ctx.options.parallel, |item| send(item))?;
    outcomes.extend(
        to_send
            .iter()
            .zip(done)
            .map(|(item, (action, sent))| item.outcome(action, sent)),
    );
    Ok(outcomes)
}

/// Makes `items` one after the other, in order (manifests after their blobs, create calls):
/// each item the plan skips is reported as skipped, the others go through `make` with the
/// planned action (`Create` when the plan does not list the item), which returns the bytes
/// sent.
pub fn make_in_order<T>(
    items: &[Outgoing<T>],
    ctx: &PushContext<'_>,
    mut make: impl FnMut(&Outgoing<T>, &Action) -> Result<u64, PushError>,
) -> Result<Vec<ItemOutcome>, PushError> {
    let mut outcomes = Vec::new();
    for item in items {
        if item.skip_reason().is_some() {
            outcomes.push(skip(item, ctx));
            continue;
        }
        let action = item.planned.clone().unwrap_or(Action::Create);
        let sent = make(item, &action)?;
        outcomes.push(item.outcome(action, sent));
    }
    Ok(outcomes)
}

/// One transfer as progress sees it: started, then finished with the bytes `send` reports.
pub fn transfer(
    ctx: &PushContext<'_>,
    backend: &str,
    name: &str,
    digest: Option<Digest>,
    size: u64,
    send: impl FnOnce() -> Result<u64, PushError>,
) -> Result<u64, PushError> {
    ctx.progress.emit(ProgressEvent::TransferStarted {
        backend: backend.to_owned(),
        name: name.to_owned(),
        digest,
        size,
        offset: 0,
    });
    let sent = send()?;
    ctx.progress.emit(ProgressEvent::TransferFinished {
        name: name.to_owned(),
        sent,
    });
    Ok(sent)
}

/// Deletes the plan's stale items through `delete` when `ctx.options.prune` is set, and
/// returns the names of those it deleted (`delete` says `false` for one already gone).
pub fn prune(
    plan: &Plan,
    ctx: &PushContext<'_>,
    mut delete: impl FnMut(&StaleItem) -> Result<bool, PushError>,
) -> Result<Vec<String>, PushError> {
    let mut pruned = Vec::new();
    if ctx.options.prune {
        for stale in &plan.stale {
            if delete(stale)? {
                pruned.push(stale.name.clone());
            }
        }
    }
    Ok(pruned)
}

fn skip<T>(item: &Outgoing<T>, ctx: &PushContext<'_>) -> ItemOutcome {
    let reason = item.skip_reason().unwrap_or_default().to_owned();
    ItemOutcome::skipped(ctx.progress, item.name.clone(), item.digest, reason)
}
