//! Plan, push and verify: every job of a command planned first (each plan to the sink), then
//! pushed side by side — a file several registries send is read from disk once between them
//! — then read back. One job's failure goes to the sink and the others still go.

use super::backends::Job;
use super::error::PipelineError;
use super::report::{Status, SummaryRow};
use super::settings::PushOptions;
use super::sink::Sink;
use crate::push::{
    Action, DigestCache, PlannedPush, Progress, PushContext, TransferOptions, push_side_by_side,
};

/// Runs `work` with one push's context: the command's digest cache, the progress sink and
/// the transfer settings.
pub fn with_push_context<R>(
    options: &PushOptions,
    digests: &DigestCache,
    progress: &dyn Progress,
    work: impl FnOnce(&PushContext<'_>) -> R,
) -> R {
    let transfer = TransferOptions {
        parallel: options.parallel.max(1),
        chunk_size: options.chunk_size.max(1),
        prune: options.prune,
        state_dir: options.cache_dir.clone(),
        retry: options.retry,
        timeout: options.timeout,
    };
    work(&PushContext::new(digests, progress, transfer))
}

/// Plans every job and, unless `options.dry_run`, pushes and verifies them. Returns one
/// summary row per job, in order.
pub fn send_all(
    jobs: &[Job],
    ctx: &PushContext<'_>,
    options: &PushOptions,
    sink: &dyn Sink,
) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    let mut planned = Vec::new();
    for job in jobs {
        let mut row = SummaryRow {
            registry: job.registry,
            target: job.backend.name().to_string(),
            items: 0,
            skipped: 0,
            bytes: 0,
            status: Status::NothingToPush,
        };
        if job.release.models.is_empty() && job.release.files.is_empty() {
            rows.push(row);
            continue;
        }
        match job.backend.plan(&job.release, ctx) {
            Ok(plan) => {
                sink.plan(&plan);
                row.target.clone_from(&plan.target);
                row.items = plan.items.len();
                row.skipped = plan
                    .items
                    .iter()
                    .filter(|i| matches!(i.action, Action::Skip { .. }))
                    .count();
                row.bytes = plan.bytes_to_send();
                row.status = Status::DryRun;
                planned.push((rows.len(), job, plan));
            }
            Err(source) => {
                sink.failed(&PipelineError::Plan {
                    registry: job.registry,
                    backend: job.backend.name().to_owned(),
                    source,
                });
                row.status = Status::Failed;
            }
        }
        rows.push(row);
    }
    if options.dry_run {
        return rows;
    }
    let pushes: Vec<PlannedPush<'_>> = planned
        .iter()
        .map(|(_, job, plan)| PlannedPush {
            backend: job.backend.as_ref(),
            release: &job.release,
            plan,
        })
        .collect();
    let results = push_side_by_side(&pushes, ctx);
    for ((index, job, plan), result) in planned.iter().zip(results) {
        let row = &mut rows[*index];
        row.status = match result {
            Ok(report) => {
                sink.pushed(&report);
                row.bytes = report.bytes_sent;
                if options.verify {
                    verify(job, ctx, sink)
                } else {
                    Status::NotVerified
                }
            }
            Err(failed) => {
                // What went before the failure, not what the plan meant to send.
                row.bytes = failed.bytes_sent;
                sink.failed(&PipelineError::Send {
                    registry: job.registry,
                    target: plan.target.clone(),
                    source: failed.error,
                });
                Status::Failed
            }
        };
    }
    rows
}

/// Reads one job's release back.
fn verify(job: &Job, ctx: &PushContext<'_>, sink: &dyn Sink) -> Status {
    match job.backend.verify(&job.release, ctx) {
        Ok(report) => {
            sink.verified(&report);
            if report.is_ok() {
                Status::Ok
            } else {
                Status::Failed
            }
        }
        Err(source) => {
            sink.failed(&PipelineError::Verify {
                registry: job.registry,
                backend: job.backend.name().to_owned(),
                source,
            });
            Status::Failed
        }
    }
}
