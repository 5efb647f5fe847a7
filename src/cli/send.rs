//! Sending to registries, shared by `push`, `--push` on the generator commands, and
//! `release`: the options ([`SendArgs`]), one command's push context, plan → push → verify for
//! each backend with its output (plain lines, progress bars, `--json` events), and the summary
//! rows.
//!
//! Manifest-driven pushes render the outputs afresh on the generators' own code path, turn
//! them into [`crate::push::Release`]s with [`crate::push::from_resolved`], and send them
//! through the backends `cli/registries.rs` builds from the environment. GGUFs come from the
//! manifest's local folder or, with `--from hub`, from `cli/hub_download.rs` — only when a
//! chosen registry needs the bytes. Tokens are never printed.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::generate::{ResolveArgs, resolve_family};
use super::hub_download::gguf_paths;
use super::registries::jobs as jobs_for;
use super::{EXIT_FAILED, EXIT_OK};
use crate::manifest::Resolved;
use crate::push::from_resolved::GgufPaths;
use crate::push::{
    Action, Backend, DigestCache, JsonProgress, PlainProgress, Plan, PlannedPush, Progress,
    PushContext, PushReport, QuietProgress, Release, TerminalProgress, TransferOptions,
    VerifyReport, human_bytes, push_side_by_side,
};
use crate::render::{OutputTree, RenderOptions, Target, render};

/// The summary status of a registry whose push or verify failed (the error is printed).
pub const FAILED: &str = "failed";

/// `--chunk-mib` when not given.
const DEFAULT_CHUNK_MIB: u64 = 64;

/// Registries a push sends to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Registry {
    /// A running Ollama server (`OLLAMA_HOST`).
    Ollama,
    /// An OCI distribution registry (`--registry`).
    Oci,
    /// An Ollama model store folder (`--dir`) or tar (`--tar`).
    Bundle,
    /// ModelScope, one repository per model (`MODELSCOPE_API_TOKEN`).
    Modelscope,
    /// The Hub repository: the card and root files.
    Huggingface,
}

impl Registry {
    /// Whether the registry needs the GGUF bytes (and so a download with `--from hub`).
    fn needs_ggufs(self) -> bool {
        !matches!(self, Registry::Huggingface)
    }

    /// The outputs to render for it.
    fn render_target(self) -> Target {
        match self {
            Registry::Ollama | Registry::Oci | Registry::Bundle => Target::Ollama,
            Registry::Modelscope => Target::ModelScope,
            Registry::Huggingface => Target::Card,
        }
    }
}

/// Where and how to send, shared by `push` and `release`: the destinations only they choose
/// (an OCI registry, a bundle) and the [`SendOptions`] every push takes.
///
/// It dereferences to its [`SendOptions`], so `send.dry_run` reads the same whether the
/// options came from `push`, `release` or a generator's `--push`.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// OCI registry `host[:port]` (`--to oci`).
    #[arg(long)]
    pub registry: Option<String>,
    /// Use plain HTTP for the registry (local registries only).
    #[arg(long)]
    pub insecure: bool,
    /// Another repository of the registry to mount identical blobs from (repeatable).
    #[arg(long)]
    pub mount_from: Vec<String>,
    /// Write the bundle into this Ollama models folder (default `$OLLAMA_MODELS`).
    #[arg(long, conflicts_with = "tar")]
    pub dir: Option<PathBuf>,
    /// Write the bundle as this tar file.
    #[arg(long)]
    pub tar: Option<PathBuf>,
    /// Chunk size in MiB for big uploads.
    #[arg(long, default_value_t = DEFAULT_CHUNK_MIB)]
    pub chunk_mib: u64,
    /// How to send: plan, prune, verify, parallelism and output.
    #[command(flatten)]
    pub options: SendOptions,
}

/// How to send, whatever the registry: shared by `push`, `release` and `--push` on the
/// generator commands (which send to the registries [`registry_for`] names, so they take
/// these and none of [`SendArgs`]' destinations).
#[derive(Debug, Clone, Args)]
pub struct SendOptions {
    /// With the Ollama server: copy each model to this namespace and `/api/push` it.
    #[arg(long, value_name = "NAMESPACE")]
    pub publish: Option<String>,
    /// Print the plan and change nothing (no download, no upload, no write).
    #[arg(long)]
    pub dry_run: bool,
    /// Delete stale tags and files the plan lists.
    #[arg(long)]
    pub prune: bool,
    /// Skip reading the result back.
    #[arg(long)]
    pub no_verify: bool,
    /// Transfers at once.
    #[arg(long, default_value_t = 4)]
    pub parallel: usize,
    /// Print nothing but errors.
    #[arg(long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print JSON lines (progress events, plans, reports, the summary) on stdout.
    #[arg(long)]
    pub json: bool,
}

impl std::ops::Deref for SendArgs {
    type Target = SendOptions;

    fn deref(&self) -> &SendOptions {
        &self.options
    }
}

impl From<SendOptions> for SendArgs {
    /// What `--push` on a generator command sends with: its options, and no OCI registry or
    /// bundle (those are `push --to` destinations).
    fn from(options: SendOptions) -> Self {
        Self {
            registry: None,
            insecure: false,
            mount_from: Vec::new(),
            dir: None,
            tar: None,
            chunk_mib: DEFAULT_CHUNK_MIB,
            options,
        }
    }
}

/// The registry each generator target's `--push` sends to: Ollama outputs to the Ollama
/// server, ModelScope files to ModelScope, llama.cpp and card outputs to the Hub repository.
pub fn registry_for(target: Target) -> Registry {
    match target {
        Target::Ollama => Registry::Ollama,
        Target::ModelScope => Registry::Modelscope,
        Target::LlamaCpp | Target::Card => Registry::Huggingface,
    }
}

/// One line of the summary table.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryRow {
    /// The registry.
    pub registry: Registry,
    /// Where the release went.
    pub target: String,
    /// Plan items.
    pub items: usize,
    /// Items already there.
    pub skipped: usize,
    /// Bytes sent (planned, with `--dry-run`).
    pub bytes: u64,
    /// `ok`, [`FAILED`], `not verified`, `dry run`, or why it was not pushed.
    pub status: String,
}

/// `push --to ...` from the manifest: render afresh, push, verify.
pub fn push_from_manifest(
    resolve: &ResolveArgs,
    registries: &[Registry],
    hub_preset: bool,
    allow_unverified: bool,
    send: &SendArgs,
) -> anyhow::Result<u8> {
    let resolved = resolve_family(resolve)?;
    let tree = render_for(&resolved, registries, hub_preset, allow_unverified)?;
    let rows = push_rendered(&resolved, &tree, registries, hub_preset, send)?;
    print_summary(&rows, send);
    Ok(exit_code(&rows))
}

/// Renders what `registries` need (the generators' code path; nothing is written).
pub fn render_for(
    resolved: &Resolved,
    registries: &[Registry],
    hub_preset: bool,
    allow_unverified: bool,
) -> anyhow::Result<OutputTree> {
    let mut targets: Vec<Target> = registries.iter().map(|r| r.render_target()).collect();
    if hub_preset && registries.contains(&Registry::Huggingface) {
        targets.push(Target::LlamaCpp);
    }
    targets.sort();
    targets.dedup();
    let options = RenderOptions {
        allow_unverified,
        hub_preset,
        templates: None,
    };
    // The card keeps a publisher's text only from an output folder; a push renders from
    // nothing, and the huggingface backend splices into the repository's own card.
    let scratch = tempfile::tempdir().context("creating a scratch folder to render into")?;
    Ok(render(
        resolved,
        &targets,
        &scratch.path().join("out"),
        &options,
    )?)
}

/// Pushes rendered outputs to `registries`, printing plans and reports, and returns one
/// summary row per backend.
pub fn push_rendered(
    resolved: &Resolved,
    tree: &OutputTree,
    registries: &[Registry],
    hub_preset: bool,
    send: &SendArgs,
) -> anyhow::Result<Vec<SummaryRow>> {
    with_context(send, |ctx, cache_dir| {
        push_rendered_in(resolved, tree, registries, hub_preset, send, ctx, cache_dir)
    })
}

/// Runs `work` with one command's push context: the digest cache (on disk under the user
/// cache folder when there is one), the progress style `send` asks for, and the transfer
/// options.
pub fn with_context<R>(
    send: &SendArgs,
    work: impl FnOnce(&PushContext<'_>, Option<&Path>) -> R,
) -> R {
    let cache_dir = user_cache_dir();
    let digests = cache_dir
        .as_deref()
        .map_or_else(DigestCache::in_memory, DigestCache::with_disk);
    let progress = progress(send);
    let mut options = TransferOptions {
        parallel: send.parallel.max(1),
        chunk_size: send.chunk_mib.max(1) << 20,
        prune: send.prune,
        state_dir: cache_dir.clone(),
        ..TransferOptions::default()
    };
    super::network::apply(&mut options);
    let ctx = PushContext::new(&digests, progress.as_ref(), options);
    work(&ctx, cache_dir.as_deref())
}

fn push_rendered_in(
    resolved: &Resolved,
    tree: &OutputTree,
    registries: &[Registry],
    hub_preset: bool,
    send: &SendArgs,
    ctx: &PushContext<'_>,
    cache_dir: Option<&Path>,
) -> anyhow::Result<Vec<SummaryRow>> {
    let mut registries = registries.to_vec();
    registries.sort();
    registries.dedup();
    let ggufs = if registries.iter().any(|r| r.needs_ggufs()) {
        Some(gguf_paths(
            resolved,
            cache_dir,
            ctx.digests,
            ctx.progress,
            send,
        )?)
    } else {
        None
    };
    let mut jobs = Vec::new();
    let mut rows = Vec::new();
    for registry in registries {
        let row = |status: String| SummaryRow {
            registry,
            target: "-".into(),
            items: 0,
            skipped: 0,
            bytes: 0,
            status,
        };
        let no_paths = GgufPaths::new();
        let paths = match &ggufs {
            Some(Err(missing)) if registry.needs_ggufs() => {
                rows.push(row(format!("dry run: {missing}")));
                continue;
            }
            Some(Ok(paths)) => paths,
            _ => &no_paths,
        };
        // One registry's failure is reported and the others still go.
        match jobs_for(registry, resolved, tree, paths, hub_preset, send) {
            Ok(more) => jobs.extend(more.into_iter().map(|(backend, release)| SendJob {
                registry,
                backend,
                release,
            })),
            Err(err) => {
                super::report(&err);
                rows.push(row(FAILED.into()));
            }
        }
    }
    rows.extend(send_all(&jobs, ctx, send));
    // In registry order, whether a registry failed before or after planning.
    rows.sort_by_key(|row| row.registry);
    Ok(rows)
}

/// One registry of a command, with the release it sends.
pub struct SendJob {
    /// Which registry, for the summary.
    pub registry: Registry,
    /// Its backend.
    pub backend: Box<dyn Backend>,
    /// What it sends.
    pub release: Release,
}

/// Plans every job (printing each plan) and, unless `--dry-run`, pushes them side by side —
/// a file several registries send is read from disk once between them — then verifies each.
/// Returns one summary row per job, in order; one job's failure is reported and the others
/// still go.
pub fn send_all(jobs: &[SendJob], ctx: &PushContext<'_>, send: &SendArgs) -> Vec<SummaryRow> {
    let mut rows = Vec::new();
    let mut planned = Vec::new();
    for job in jobs {
        let mut row = SummaryRow {
            registry: job.registry,
            target: job.backend.name().to_string(),
            items: 0,
            skipped: 0,
            bytes: 0,
            status: "nothing to push".into(),
        };
        if job.release.models.is_empty() && job.release.files.is_empty() {
            rows.push(row);
            continue;
        }
        let name = job.backend.name();
        match job
            .backend
            .plan(&job.release, ctx)
            .with_context(|| format!("planning the {name} push"))
        {
            Ok(plan) => {
                print_plan(&plan, send);
                row.target.clone_from(&plan.target);
                row.items = plan.items.len();
                row.skipped = plan
                    .items
                    .iter()
                    .filter(|i| matches!(i.action, Action::Skip { .. }))
                    .count();
                row.bytes = plan.bytes_to_send();
                row.status = "dry run".into();
                planned.push((rows.len(), job, plan));
            }
            Err(err) => {
                super::report(&err);
                row.status = FAILED.into();
            }
        }
        rows.push(row);
    }
    if send.dry_run {
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
        row.status = match result.with_context(|| format!("pushing to {}", plan.target)) {
            Ok(report) => {
                print_report(&report, send);
                row.bytes = report.bytes_sent;
                if send.no_verify {
                    "not verified".into()
                } else {
                    verify(job, ctx, send)
                }
            }
            Err(err) => {
                super::report(&err);
                FAILED.into()
            }
        };
    }
    rows
}

/// Reads one job's release back; the summary status says how it went.
fn verify(job: &SendJob, ctx: &PushContext<'_>, send: &SendArgs) -> String {
    let name = job.backend.name();
    match job
        .backend
        .verify(&job.release, ctx)
        .with_context(|| format!("verifying the {name} push"))
    {
        Ok(verify) => {
            print_verify(&verify, send);
            if verify.is_ok() { "ok" } else { FAILED }.into()
        }
        Err(err) => {
            super::report(&err);
            FAILED.into()
        }
    }
}

pub(super) fn exit_code(rows: &[SummaryRow]) -> u8 {
    if rows.iter().any(|r| r.status == FAILED) {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// `$XDG_CACHE_HOME/ruvltra-export` or `~/.cache/ruvltra-export`.
pub(super) fn user_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("ruvltra-export"))
}

fn progress(send: &SendArgs) -> Box<dyn Progress> {
    if send.quiet {
        Box::new(QuietProgress)
    } else if send.json {
        Box::new(JsonProgress::new(std::io::stdout()))
    } else if std::io::stderr().is_terminal() {
        Box::new(TerminalProgress::default())
    } else {
        Box::new(PlainProgress::default())
    }
}

pub(super) fn json_line(kind: &str, value: &impl Serialize) {
    let line = serde_json::json!({ "event": kind, kind: value });
    println!("{line}");
}

fn print_plan(plan: &Plan, send: &SendArgs) {
    if send.json {
        return json_line("plan", plan);
    }
    if send.quiet && !send.dry_run {
        return;
    }
    println!("{} -> {}", plan.backend, plan.target);
    for item in &plan.items {
        let action = match &item.action {
            Action::Upload => "upload".to_string(),
            Action::Resume { offset } => format!("resume at {}", human_bytes(*offset)),
            Action::Mount { from } => format!("mount from {from}"),
            Action::Write => "write".to_string(),
            Action::Create => "create".to_string(),
            Action::Replace => "replace".to_string(),
            Action::Skip { reason } => format!("skip ({reason})"),
        };
        println!(
            "  {:<60} {:>10}  {action}",
            item.name,
            human_bytes(item.size)
        );
    }
    for stale in &plan.stale {
        let fate = if send.prune {
            "will be deleted"
        } else {
            "kept; `--prune` deletes it"
        };
        println!("  stale: {} ({}; {fate})", stale.name, stale.detail);
    }
    println!("  {} to send", human_bytes(plan.bytes_to_send()));
}

fn print_report(report: &PushReport, send: &SendArgs) {
    if send.json {
        return json_line("report", report);
    }
    if !send.quiet {
        println!(
            "pushed to {}: {} sent",
            report.target,
            human_bytes(report.bytes_sent)
        );
        for pruned in &report.pruned {
            println!("  pruned {pruned}");
        }
    }
}

fn print_verify(verify: &VerifyReport, send: &SendArgs) {
    if send.json {
        return json_line("verify", verify);
    }
    for check in verify.checks.iter().filter(|c| !c.ok) {
        eprintln!("error: {} does not match: {}", check.name, check.detail);
    }
    for warning in &verify.warnings {
        eprintln!("warning: {warning}");
    }
    if !send.quiet && verify.is_ok() {
        println!(
            "verified {}: {} checks passed",
            verify.target,
            verify.checks.len()
        );
    }
}

/// The summary table (or one `summary` JSON line).
pub(super) fn print_summary(rows: &[SummaryRow], send: &SendArgs) {
    if send.json {
        return json_line("summary", &rows);
    }
    if send.quiet {
        return;
    }
    let target_width = rows
        .iter()
        .map(|r| r.target.len())
        .max()
        .unwrap_or(6)
        .clamp(6, 70);
    println!();
    println!(
        "{:<12} {:<target_width$} {:>6} {:>8} {:>10}  STATUS",
        "REGISTRY", "TARGET", "ITEMS", "SKIPPED", "SENT"
    );
    for row in rows {
        let registry = format!("{:?}", row.registry).to_ascii_lowercase();
        println!(
            "{registry:<12} {:<target_width$} {:>6} {:>8} {:>10}  {}",
            row.target,
            row.items,
            row.skipped,
            human_bytes(row.bytes),
            row.status
        );
    }
}
