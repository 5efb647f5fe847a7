//! `ruvltra-export push`: sends a model to a running Ollama server, OCI registries and Ollama
//! bundles.
//!
//! Inputs for now are a GGUF path plus optional template, system and license files and
//! parameters; the generators will fill the same [`Release`] from `ruvltra.toml`. This file
//! is the edge: it reads the environment (credentials, cache directory), picks the progress
//! style, and prints plans and reports.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use crate::ollama::ModelName;
use crate::push::bundle::{BundleBackend, BundleTarget};
use crate::push::oci::{Credentials, OciBackend, OciConfig, credentials_from_docker_config};
use crate::push::ollama_api::{OllamaBackend, OllamaHost, OllamaTarget};
use crate::push::{
    Action, Backend, DigestCache, JsonProgress, OllamaModel, PlainProgress, Plan, Progress,
    PushContext, PushReport, QuietProgress, Release, Secret, TerminalProgress, TransferOptions,
    VerifyReport, human_bytes,
};

use super::{EXIT_FAILED, EXIT_OK};

/// Registries `push` can send to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PushTarget {
    /// A running Ollama server's HTTP API (`OLLAMA_HOST`, by default `http://127.0.0.1:11434`).
    Ollama,
    /// An OCI distribution registry (`--registry`).
    Oci,
    /// An Ollama model store folder (`--dir`) or tar (`--tar`).
    Bundle,
}

/// Arguments of `push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Where to push; repeat for several targets (each file is hashed once for all).
    #[arg(long = "to", value_enum, required = true)]
    pub to: Vec<PushTarget>,
    /// The GGUF file(s) of the model (shards in order).
    #[arg(long, required = true)]
    pub gguf: Vec<PathBuf>,
    /// The model name, `[host/][namespace/]model[:tag]`.
    #[arg(long)]
    pub name: String,
    /// A file with the Go chat template.
    #[arg(long)]
    pub template: Option<PathBuf>,
    /// A file with the system prompt.
    #[arg(long)]
    pub system: Option<PathBuf>,
    /// A license file (repeatable; one layer each).
    #[arg(long)]
    pub license: Vec<PathBuf>,
    /// A parameter `name=value` (repeatable; values are JSON when they parse, `stop` repeats).
    #[arg(long = "param")]
    pub params: Vec<String>,
    /// `model_family` for the image config (e.g. `qwen2`).
    #[arg(long, default_value = "")]
    pub family: String,
    /// `model_type` for the image config (e.g. `494.03M`).
    #[arg(long, default_value = "")]
    pub model_type: String,
    /// `file_type` for the image config (e.g. `Q4_K_M`).
    #[arg(long, default_value = "")]
    pub file_type: String,
    /// OCI registry `host[:port]`.
    #[arg(long)]
    pub registry: Option<String>,
    /// Use plain HTTP for the registry, and let the Ollama server `/api/push` over plain HTTP
    /// with `--publish` (local registries only).
    #[arg(long)]
    pub insecure: bool,
    /// With `--to ollama`: after creating the model, copy it to `NAMESPACE/model:tag` and
    /// push it from the server (`/api/copy` + `/api/push`; ollama.com needs the server's key).
    #[arg(long, value_name = "NAMESPACE")]
    pub publish: Option<String>,
    /// Another repository of the registry to mount identical blobs from (repeatable).
    #[arg(long)]
    pub mount_from: Vec<String>,
    /// Write the bundle into this Ollama models folder (default `$OLLAMA_MODELS`).
    #[arg(long, conflicts_with = "tar")]
    pub dir: Option<PathBuf>,
    /// Write the bundle as this tar file.
    #[arg(long)]
    pub tar: Option<PathBuf>,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Delete stale tags the plan lists.
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
    /// Print JSON lines (progress events, plans, reports) on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `push`.
pub fn run(args: PushArgs) -> anyhow::Result<u8> {
    let release = release(&args)?;
    let backends = backends(&args)?;
    let cache_dir = user_cache_dir();
    let digests = cache_dir
        .as_deref()
        .map_or_else(DigestCache::in_memory, DigestCache::with_disk);
    let progress: Box<dyn Progress> = if args.quiet {
        Box::new(QuietProgress)
    } else if args.json {
        Box::new(JsonProgress::new(std::io::stdout()))
    } else if std::io::stderr().is_terminal() {
        Box::new(TerminalProgress::default())
    } else {
        Box::new(PlainProgress::default())
    };
    let ctx = PushContext {
        digests: &digests,
        progress: progress.as_ref(),
        options: TransferOptions {
            parallel: args.parallel.max(1),
            chunk_size: args.chunk_mib.max(1) << 20,
            prune: args.prune,
            state_dir: cache_dir.clone(),
            ..TransferOptions::default()
        },
    };
    let mut code = EXIT_OK;
    for backend in &backends {
        let name = backend.name().to_string();
        let plan = backend
            .plan(&release, &ctx)
            .with_context(|| format!("planning the {name} push"))?;
        print_plan(&plan, &args);
        if args.dry_run {
            continue;
        }
        let report = backend
            .push(&plan, &release, &ctx)
            .with_context(|| format!("pushing to {}", plan.target))?;
        print_report(&report, &args);
        if !args.no_verify {
            let verify = backend
                .verify(&release, &ctx)
                .with_context(|| format!("verifying {}", plan.target))?;
            print_verify(&verify, &args);
            if !verify.is_ok() {
                code = EXIT_FAILED;
            }
        }
    }
    Ok(code)
}

fn release(args: &PushArgs) -> anyhow::Result<Release> {
    let name: ModelName = args.name.parse()?;
    let mut model = OllamaModel::new(name, args.gguf[0].clone());
    model.gguf = args.gguf.clone();
    model.template = args.template.as_deref().map(read_text).transpose()?;
    model.system = args.system.as_deref().map(read_text).transpose()?;
    model.licenses = args
        .license
        .iter()
        .map(|p| read_text(p))
        .collect::<anyhow::Result<_>>()?;
    for param in &args.params {
        let Some((key, value)) = param.split_once('=') else {
            bail!("`--param {param}` is not `name=value`, e.g. `--param num_ctx=4096`");
        };
        let value = serde_json::from_str(value)
            .unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
        if key == "stop" {
            let entry = model
                .params
                .entry("stop")
                .or_insert_with(|| serde_json::json!([]));
            if let Some(list) = entry.as_array_mut() {
                match value {
                    serde_json::Value::Array(items) => list.extend(items),
                    other => list.push(other),
                }
            }
        } else {
            model.params.insert(key.to_string(), value);
        }
    }
    model.config.model_family = args.family.clone();
    model.config.model_type = args.model_type.clone();
    model.config.file_type = args.file_type.clone();
    Ok(Release {
        models: vec![model],
        files: Vec::new(),
    })
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))
}

fn backends(args: &PushArgs) -> anyhow::Result<Vec<Box<dyn Backend>>> {
    if args.publish.is_some() && !args.to.contains(&PushTarget::Ollama) {
        bail!("`--publish` is for `--to ollama`");
    }
    let mut backends: Vec<Box<dyn Backend>> = Vec::new();
    for target in &args.to {
        match target {
            PushTarget::Ollama => {
                let host = std::env::var("OLLAMA_HOST").unwrap_or_default();
                let target = OllamaTarget {
                    host: OllamaHost::parse(&host)?,
                    publish_namespace: args.publish.clone(),
                    insecure: args.insecure,
                };
                backends.push(Box::new(OllamaBackend::new(target)?));
            }
            PushTarget::Oci => {
                let Some(registry) = &args.registry else {
                    bail!("`--to oci` needs `--registry HOST[:PORT]`");
                };
                backends.push(Box::new(OciBackend::new(OciConfig {
                    registry: registry.clone(),
                    insecure: args.insecure,
                    credentials: registry_credentials(registry),
                    mount_from: args.mount_from.clone(),
                })));
            }
            PushTarget::Bundle => {
                let target = match (&args.tar, &args.dir) {
                    (Some(tar), _) => BundleTarget::Tar(tar.clone()),
                    (None, Some(dir)) => BundleTarget::Dir(dir.clone()),
                    (None, None) => match std::env::var_os("OLLAMA_MODELS") {
                        Some(dir) => BundleTarget::Dir(dir.into()),
                        None => bail!(
                            "`--to bundle` needs `--dir DIR` or `--tar FILE` (or `OLLAMA_MODELS` set)"
                        ),
                    },
                };
                backends.push(Box::new(BundleBackend::new(target)));
            }
        }
    }
    Ok(backends)
}

/// Credentials for `registry`: `REGISTRY_USERNAME`/`REGISTRY_PASSWORD` if both are set, else
/// the `auths` entry of `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
pub fn registry_credentials(registry: &str) -> Option<Credentials> {
    if let (Ok(username), Ok(password)) = (
        std::env::var("REGISTRY_USERNAME"),
        std::env::var("REGISTRY_PASSWORD"),
    ) {
        return Some(Credentials {
            username,
            password: Secret::new(password),
        });
    }
    let config_dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker")))?;
    let text = std::fs::read_to_string(config_dir.join("config.json")).ok()?;
    credentials_from_docker_config(&text, registry)
}

/// `$XDG_CACHE_HOME/ruvltra-export` or `~/.cache/ruvltra-export`.
fn user_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(base.join("ruvltra-export"))
}

fn json_line(kind: &str, value: &impl serde::Serialize) {
    let line = serde_json::json!({ "event": kind, kind: value });
    println!("{line}");
}

fn print_plan(plan: &Plan, args: &PushArgs) {
    if args.json {
        return json_line("plan", plan);
    }
    if args.quiet && !args.dry_run {
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
        let fate = if args.prune {
            "will be deleted"
        } else {
            "kept; `--prune` deletes it"
        };
        println!("  stale: {} ({}; {fate})", stale.name, stale.detail);
    }
    println!("  {} to send", human_bytes(plan.bytes_to_send()));
}

fn print_report(report: &PushReport, args: &PushArgs) {
    if args.json {
        return json_line("report", report);
    }
    if !args.quiet {
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

fn print_verify(verify: &VerifyReport, args: &PushArgs) {
    if args.json {
        return json_line("verify", verify);
    }
    for check in verify.checks.iter().filter(|c| !c.ok) {
        eprintln!("error: {} does not match: {}", check.name, check.detail);
    }
    if !args.quiet && verify.is_ok() {
        println!(
            "verified {}: {} checks passed",
            verify.target,
            verify.checks.len()
        );
    }
}
