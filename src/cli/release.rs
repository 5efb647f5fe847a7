//! Manifest-driven pushes: `push --to ...` without `--gguf`, `--push` on each generator
//! command, and `release` (generate, push to every registry, verify, one summary table).
//!
//! The outputs are rendered afresh from the manifest on the generators' own code path, turned
//! into [`Release`]s by [`crate::push::from_resolved`], and sent through the backends. GGUFs
//! come from the manifest's local folder or, with `--from hub`, are downloaded (resumably,
//! verified against the Hub's sha256) into `$XDG_CACHE_HOME/ruvltra-export/blobs` — only when
//! a chosen registry needs the bytes.
//!
//! Environment: `OLLAMA_HOST`; `MODELSCOPE_API_TOKEN` and `MODELSCOPE_DOMAIN` (or
//! `MODELSCOPE_ENDPOINT`, a full URL for mirrors and local test servers); the Hub's
//! `HF_ENDPOINT` and token variables; `REGISTRY_USERNAME`/`REGISTRY_PASSWORD` or
//! `~/.docker/config.json` for OCI registries. Tokens are never printed.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::generate::{ResolveArgs, resolve_family};
use super::{EXIT_FAILED, EXIT_OK};
use crate::manifest::{Origin, Resolved};
use crate::push::bundle::{BundleBackend, BundleTarget};
use crate::push::from_resolved::{
    GgufPaths, hub_release, local_gguf_paths, modelscope_releases, ollama_models,
};
use crate::push::huggingface::{HubBackend, HubEndpoint, HubRepoId, HubTarget};
use crate::push::modelscope::{ModelScopeBackend, ModelScopeEndpoint, ModelScopeTarget};
use crate::push::oci::{OciBackend, OciConfig};
use crate::push::ollama_api::{OllamaBackend, OllamaHost, OllamaTarget};
use crate::push::{
    Action, Backend, Digest, DigestCache, JsonProgress, PlainProgress, Plan, Progress, PushContext,
    PushReport, QuietProgress, Release, Secret, TerminalProgress, TransferOptions, VerifyReport,
    human_bytes, run_parallel,
};
use crate::render::{OutputTree, RenderOptions, Target, render};
use crate::source::hub::Downloaded;
use crate::source::{RepoId, RepoPath, Revision};

/// The summary status of a registry whose push or verify failed (the error is printed).
pub const FAILED: &str = "failed";

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

/// Where and how to send, shared by `push`, `--push` and `release`.
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
    /// Chunk size in MiB for big uploads.
    #[arg(long, default_value_t = 64)]
    pub chunk_mib: u64,
    /// Print nothing but errors.
    #[arg(long, conflicts_with = "json")]
    pub quiet: bool,
    /// Print JSON lines (progress events, plans, reports, the summary) on stdout.
    #[arg(long)]
    pub json: bool,
}

impl Default for SendArgs {
    /// What `--push` on a generator command uses: push, verify, plain output.
    fn default() -> Self {
        Self {
            registry: None,
            insecure: false,
            mount_from: Vec::new(),
            dir: None,
            tar: None,
            publish: None,
            dry_run: false,
            prune: false,
            no_verify: false,
            parallel: 4,
            chunk_mib: 64,
            quiet: false,
            json: false,
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

/// Arguments of `release`.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// Manifest, variants and source.
    #[command(flatten)]
    pub resolve: ResolveArgs,
    /// The output folder the generated files are written to first.
    #[arg(long, value_name = "DIR", default_value = "dist")]
    pub out: PathBuf,
    /// Also publish `llamacpp/preset.ini` as the Hub repository's root `preset.ini`.
    #[arg(long)]
    pub hub_preset: bool,
    /// Write Ollama templates that did not pass verification, with a warning comment.
    #[arg(long)]
    pub allow_unverified: bool,
    /// Leave a registry out (repeatable).
    #[arg(long, value_enum)]
    pub skip: Vec<Registry>,
    /// Where and how to send.
    #[command(flatten)]
    pub send: SendArgs,
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
    send: &SendArgs,
) -> anyhow::Result<u8> {
    let resolved = resolve_family(resolve)?;
    let tree = render_for(&resolved, registries, hub_preset, false)?;
    let rows = push_rendered(&resolved, &tree, registries, hub_preset, send)?;
    Ok(exit_code(&rows))
}

/// `release`: generate every output under `--out`, push to every registry the manifest and
/// the arguments configure, verify, print one summary table.
pub fn run(args: &ReleaseArgs) -> anyhow::Result<u8> {
    let resolved = resolve_family(&args.resolve)?;
    let options = RenderOptions {
        allow_unverified: args.allow_unverified,
        hub_preset: args.hub_preset,
        templates: None,
    };
    let tree = render(&resolved, &Target::ALL, &args.out, &options)?;
    if !args.send.dry_run {
        tree.write_atomically(&args.out)
            .with_context(|| format!("nothing under `{}` was changed", args.out.display()))?;
    }
    let mut registries = vec![Registry::Ollama];
    if args.send.registry.is_some() {
        registries.push(Registry::Oci);
    }
    if args.send.dir.is_some() || args.send.tar.is_some() {
        registries.push(Registry::Bundle);
    }
    if resolved.targets.modelscope.is_some() {
        registries.push(Registry::Modelscope);
    }
    registries.push(Registry::Huggingface);
    registries.retain(|r| !args.skip.contains(r));
    let rows = push_rendered(
        &resolved,
        &tree,
        &registries,
        args.hub_preset || resolved.targets.hub_preset,
        &args.send,
    )?;
    print_summary(&rows, &args.send);
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
    let ctx = PushContext {
        digests: &digests,
        progress: progress.as_ref(),
        options: TransferOptions {
            parallel: send.parallel.max(1),
            chunk_size: send.chunk_mib.max(1) << 20,
            prune: send.prune,
            state_dir: cache_dir.clone(),
            ..TransferOptions::default()
        },
    };
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
    let mut rows = Vec::new();
    for registry in registries {
        let row = |target: String, status: String| SummaryRow {
            registry,
            target,
            items: 0,
            skipped: 0,
            bytes: 0,
            status,
        };
        let no_paths = GgufPaths::new();
        let paths = match &ggufs {
            Some(Err(missing)) if registry.needs_ggufs() => {
                rows.push(row("-".into(), format!("dry run: {missing}")));
                continue;
            }
            Some(Ok(paths)) => paths,
            _ => &no_paths,
        };
        // One registry's failure is reported and the others still go.
        let jobs = match jobs(registry, resolved, tree, paths, hub_preset, send) {
            Ok(jobs) => jobs,
            Err(err) => {
                super::report(&err);
                rows.push(row("-".into(), FAILED.into()));
                continue;
            }
        };
        for (backend, release) in jobs {
            if release.models.is_empty() && release.files.is_empty() {
                rows.push(row(backend.name().to_string(), "nothing to push".into()));
                continue;
            }
            match send_one(registry, backend.as_ref(), &release, ctx, send) {
                Ok(done) => rows.push(done),
                Err(err) => {
                    super::report(&err);
                    rows.push(row(backend.name().to_string(), FAILED.into()));
                }
            }
        }
    }
    Ok(rows)
}

/// Plan, push and verify one backend, printing each step as `send` asks; the summary row
/// says how it went.
pub fn send_one(
    registry: Registry,
    backend: &dyn Backend,
    release: &Release,
    ctx: &PushContext<'_>,
    send: &SendArgs,
) -> anyhow::Result<SummaryRow> {
    let name = backend.name().to_string();
    let plan = backend
        .plan(release, ctx)
        .with_context(|| format!("planning the {name} push"))?;
    print_plan(&plan, send);
    let skipped = plan
        .items
        .iter()
        .filter(|i| matches!(i.action, Action::Skip { .. }))
        .count();
    let mut row = SummaryRow {
        registry,
        target: plan.target.clone(),
        items: plan.items.len(),
        skipped,
        bytes: plan.bytes_to_send(),
        status: "dry run".into(),
    };
    if send.dry_run {
        return Ok(row);
    }
    let report = backend
        .push(&plan, release, ctx)
        .with_context(|| format!("pushing to {}", plan.target))?;
    print_report(&report, send);
    row.bytes = report.bytes_sent;
    row.status = "not verified".into();
    if !send.no_verify {
        let verify = backend
            .verify(release, ctx)
            .with_context(|| format!("verifying {}", plan.target))?;
        print_verify(&verify, send);
        row.status = if verify.is_ok() { "ok" } else { FAILED }.into();
    }
    Ok(row)
}

/// The backends and releases of one registry.
fn jobs(
    registry: Registry,
    resolved: &Resolved,
    tree: &OutputTree,
    ggufs: &GgufPaths,
    hub_preset: bool,
    send: &SendArgs,
) -> anyhow::Result<Vec<(Box<dyn Backend>, Release)>> {
    let ollama_release = || -> anyhow::Result<Release> {
        Ok(Release {
            models: ollama_models(resolved, tree, ggufs)?,
            files: Vec::new(),
        })
    };
    Ok(match registry {
        Registry::Ollama => {
            let host = match std::env::var("OLLAMA_HOST") {
                Ok(value) if !value.trim().is_empty() => {
                    OllamaHost::parse(&value).with_context(|| format!("`OLLAMA_HOST={value}`"))?
                }
                _ => OllamaHost::default_local(),
            };
            let backend = OllamaBackend::new(OllamaTarget {
                host,
                ..OllamaTarget::default()
            })?;
            vec![(Box::new(backend) as Box<dyn Backend>, ollama_release()?)]
        }
        Registry::Oci => {
            let Some(registry) = &send.registry else {
                bail!("`--to oci` needs `--registry HOST[:PORT]`");
            };
            let backend = OciBackend::new(OciConfig {
                registry: registry.clone(),
                insecure: send.insecure,
                credentials: super::push::registry_credentials(registry),
                mount_from: send.mount_from.clone(),
            });
            vec![(Box::new(backend) as Box<dyn Backend>, ollama_release()?)]
        }
        Registry::Bundle => {
            let target = match (&send.tar, &send.dir) {
                (Some(tar), _) => BundleTarget::Tar(tar.clone()),
                (None, Some(dir)) => BundleTarget::Dir(dir.clone()),
                (None, None) => match std::env::var_os("OLLAMA_MODELS") {
                    Some(dir) => BundleTarget::Dir(dir.into()),
                    None => bail!(
                        "`--to bundle` needs `--dir DIR` or `--tar FILE` (or `OLLAMA_MODELS` set)"
                    ),
                },
            };
            vec![(
                Box::new(BundleBackend::new(target)) as Box<dyn Backend>,
                ollama_release()?,
            )]
        }
        Registry::Modelscope => {
            let releases = modelscope_releases(resolved, tree, ggufs)?;
            if releases.is_empty() {
                bail!(
                    "`--to modelscope` needs a `[modelscope]` table (owner, visibility) in the manifest"
                );
            }
            let token = match std::env::var("MODELSCOPE_API_TOKEN") {
                Ok(token) if !token.trim().is_empty() => Secret::new(token.trim()),
                _ => bail!(
                    "`--to modelscope` needs `MODELSCOPE_API_TOKEN` (an access token from your ModelScope account settings)"
                ),
            };
            let endpoint = modelscope_endpoint()?;
            let mut jobs: Vec<(Box<dyn Backend>, Release)> = Vec::new();
            for ms in releases {
                let mut target = ModelScopeTarget::new(
                    ms.repo
                        .parse()
                        .with_context(|| format!("the ModelScope repository `{}`", ms.repo))?,
                    token.clone(),
                );
                target.endpoint = endpoint.clone();
                target.visibility = ms.visibility.parse().with_context(|| {
                    format!("`[modelscope] visibility = \"{}\"`", ms.visibility)
                })?;
                target.license = resolved.family.license.name.clone();
                jobs.push((Box::new(ModelScopeBackend::new(target)?), ms.release));
            }
            jobs
        }
        Registry::Huggingface => {
            let settings = super::inspect::hub_settings_from_env()?;
            let repo: HubRepoId = resolved
                .hub
                .repo
                .parse()
                .with_context(|| format!("`[hub] repo = \"{}\"`", resolved.hub.repo))?;
            let mut target = HubTarget::new(repo, settings.token.clone());
            target.endpoint = HubEndpoint::parse(settings.endpoint.as_str())?;
            target.revision = resolved.hub.revision.clone();
            let backend = HubBackend::new(target)?;
            vec![(
                Box::new(backend) as Box<dyn Backend>,
                hub_release(tree, hub_preset),
            )]
        }
    })
}

/// `MODELSCOPE_ENDPOINT` (a full URL) or `MODELSCOPE_DOMAIN` (a bare domain), else the
/// public site.
fn modelscope_endpoint() -> anyhow::Result<ModelScopeEndpoint> {
    if let Ok(url) = std::env::var("MODELSCOPE_ENDPOINT")
        && !url.trim().is_empty()
    {
        return ModelScopeEndpoint::from_url(&url)
            .with_context(|| format!("`MODELSCOPE_ENDPOINT={url}`"));
    }
    if let Ok(domain) = std::env::var("MODELSCOPE_DOMAIN")
        && !domain.trim().is_empty()
    {
        return ModelScopeEndpoint::from_domain(&domain)
            .with_context(|| format!("`MODELSCOPE_DOMAIN={domain}`"));
    }
    Ok(ModelScopeEndpoint::default_site())
}

/// Local copies of every GGUF: the manifest's folder, or downloads into the cache. With
/// `--dry-run` nothing is downloaded: files not cached yet make the inner `Err` (what would
/// be downloaded), and the registries that need them are not planned.
fn gguf_paths(
    resolved: &Resolved,
    cache_dir: Option<&Path>,
    digests: &DigestCache,
    progress: &dyn Progress,
    send: &SendArgs,
) -> anyhow::Result<Result<GgufPaths, String>> {
    if let Origin::Local { .. } = resolved.origin {
        return Ok(Ok(local_gguf_paths(resolved)?));
    }
    let Some(cache_dir) = cache_dir else {
        bail!("no cache folder for downloads: set `XDG_CACHE_HOME` or `HOME`");
    };
    let blobs = cache_dir.join("blobs");
    let settings = super::inspect::hub_settings_from_env()?;
    let client = crate::source::HubClient::new(settings)?;
    let repo: RepoId = resolved
        .hub
        .repo
        .parse()
        .map_err(|e: String| anyhow::anyhow!("`[hub] repo`: {e}"))?;
    let revision = Revision::new(resolved.hub.pinned_revision())
        .map_err(|e| anyhow::anyhow!("`[hub] revision`: {e}"))?;
    let info = client
        .model_info(&repo, &revision)
        .with_context(|| format!("listing the files of `{repo}` on the Hub"))?;
    let mut wanted: Vec<(String, Digest, u64)> = Vec::new();
    let mut aliases: Vec<(String, Digest)> = Vec::new();
    for (_, variant) in resolved.variants() {
        for part in &variant.parts {
            let listed = info.files.iter().find(|f| &f.path == part);
            let (Some(sha256), Some(size)) =
                (listed.and_then(|f| f.sha256), listed.and_then(|f| f.size))
            else {
                bail!(
                    "the Hub lists no LFS sha256 and size for `{part}` in `{repo}`: it cannot be downloaded and verified"
                );
            };
            aliases.push((part.clone(), sha256));
            // One download per content: two names for the same bytes share a cache file.
            if !wanted.iter().any(|(_, s, _)| *s == sha256) {
                wanted.push((part.clone(), sha256, size));
            }
        }
    }
    let mut paths = GgufPaths::new();
    let mut missing = Vec::new();
    if send.dry_run {
        for (part, sha256, size) in &wanted {
            let cached = blobs.join(sha256.as_str());
            if std::fs::metadata(&cached).is_ok_and(|m| m.len() == *size) {
                paths.insert(sha256.hex(), cached);
            } else {
                missing.push(format!("{part} ({})", human_bytes(*size)));
            }
        }
    } else {
        // Side by side (`--parallel`); each download reports its own result.
        let results = run_parallel(&wanted, send.parallel.max(1), |(part, sha256, size)| {
            if !send.quiet && !send.json {
                eprintln!("fetching {part} ({})", human_bytes(*size));
            }
            let done = RepoPath::new(part)
                .map_err(|e| anyhow::anyhow!("`{part}`: {e}"))
                .and_then(|path| {
                    Ok(client.download(&repo, &revision, &path, sha256, *size, &blobs)?)
                })
                .with_context(|| format!("downloading `{part}` from `{repo}`"));
            Ok(done)
        })?;
        for ((part, sha256, _), done) in wanted.iter().zip(results) {
            let done = done?;
            report_download(part, &done, send);
            if done.bytes_fetched > 0 {
                // Hashed while it streamed in: not read again for the push.
                digests.remember(&done.path, done.sha256)?;
            } else {
                // From an earlier command: checked again (through the digest cache, so an
                // unchanged file is not re-read) before anything is pushed from it.
                let (actual, _) = digests.digest_file(&done.path, progress)?;
                if actual != *sha256 {
                    bail!(
                        "the cached `{}` for `{part}` has sha256 {actual}, but the Hub lists {sha256}: delete it and run the command again",
                        done.path.display()
                    );
                }
            }
            paths.insert(sha256.hex(), done.path);
        }
    }
    // Keyed by content so far; every name of the release gets its content's file.
    let by_digest = std::mem::take(&mut paths);
    for (part, sha256) in aliases {
        if let Some(path) = by_digest.get(&sha256.hex()) {
            paths.insert(part, path.clone());
        }
    }
    if !missing.is_empty() && !send.json {
        println!(
            "would download {} into `{}`; the registries that need them are not planned",
            missing.join(", "),
            blobs.display()
        );
    }
    if missing.is_empty() {
        Ok(Ok(paths))
    } else {
        Ok(Err(format!("would download {}", missing.join(", "))))
    }
}

fn report_download(part: &str, done: &Downloaded, send: &SendArgs) {
    if send.json {
        json_line(
            "download",
            &serde_json::json!({
                "file": part,
                "path": done.path,
                "size": done.size,
                "sha256": done.sha256,
                "bytes_fetched": done.bytes_fetched,
                "resumed_from": done.resumed_from,
            }),
        );
    } else if !send.quiet && done.bytes_fetched > 0 {
        let resumed = if done.resumed_from > 0 {
            format!(", resumed at {}", human_bytes(done.resumed_from))
        } else {
            String::new()
        };
        eprintln!(
            "  {part}: downloaded {}{resumed}; sha256 {} verified",
            human_bytes(done.bytes_fetched),
            done.sha256
        );
    }
}

fn exit_code(rows: &[SummaryRow]) -> u8 {
    if rows.iter().any(|r| r.status == FAILED) {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// `$XDG_CACHE_HOME/ruvltra-export` or `~/.cache/ruvltra-export`.
fn user_cache_dir() -> Option<PathBuf> {
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

fn json_line(kind: &str, value: &impl Serialize) {
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
fn print_summary(rows: &[SummaryRow], send: &SendArgs) {
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
