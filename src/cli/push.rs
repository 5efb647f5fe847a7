//! `ruvltra-export push`: sends the manifest's outputs (or one model) to a running Ollama
//! server, OCI registries, Ollama bundles, ModelScope and the Hub.
//!
//! Without `--gguf` the outputs are rendered from the manifest and pushed to any registry
//! (see [`super::release`], which also holds the shared sending, printing and progress code).
//! With `--gguf`, one model is built from a GGUF path plus optional template, system and
//! license files and parameters, for the Ollama-image registries.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use crate::ollama::ModelName;
use crate::push::bundle::{BundleBackend, BundleTarget};
use crate::push::oci::{Credentials, OciBackend, OciConfig, credentials_from_docker_config};
use crate::push::ollama_api::{OllamaBackend, OllamaHost, OllamaTarget};
use crate::push::{Backend, OllamaModel, Release, Secret};

use super::generate::ResolveArgs;
use super::send::{Registry, SendArgs};
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
    /// ModelScope, one repository per model; from the manifest.
    Modelscope,
    /// The Hub repository's card and root files; from the manifest.
    Huggingface,
}

/// Arguments of `push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Where to push; repeat for several targets (each file is hashed once for all).
    #[arg(long = "to", value_enum, required = true)]
    pub to: Vec<PushTarget>,
    /// Manifest, variants and source: without `--gguf`, the outputs are rendered from the
    /// manifest and pushed.
    #[command(flatten)]
    pub resolve: ResolveArgs,
    /// Also publish `llamacpp/preset.ini` as the Hub repository's root `preset.ini`.
    #[arg(long)]
    pub hub_preset: bool,
    /// Push Ollama templates that did not pass verification (the Modelfile says so).
    #[arg(long)]
    pub allow_unverified: bool,
    /// The GGUF file(s) of one model (shards in order), instead of the manifest.
    #[arg(long, requires = "name")]
    pub gguf: Vec<PathBuf>,
    /// The model name with `--gguf`, `[host/][namespace/]model[:tag]`.
    #[arg(long)]
    pub name: Option<String>,
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
    if args.gguf.is_empty() {
        return from_manifest(&args);
    }
    let release = release(&args)?;
    let backends = backends(&args)?;
    let send = send_args(&args);
    let rows = super::send::with_context(&send, |ctx, _| {
        backends
            .iter()
            .map(|(registry, backend)| {
                super::send::send_one(*registry, backend.as_ref(), &release, ctx, &send)
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    Ok(if rows.iter().any(|r| r.status == super::send::FAILED) {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}

/// The manifest-driven push (see [`super::release`]).
fn from_manifest(args: &PushArgs) -> anyhow::Result<u8> {
    let registries: Vec<Registry> = args.to.iter().map(|t| registry(*t)).collect();
    super::send::push_from_manifest(
        &args.resolve,
        &registries,
        args.hub_preset,
        args.allow_unverified,
        &send_args(args),
    )
}

fn registry(target: PushTarget) -> Registry {
    match target {
        PushTarget::Oci => Registry::Oci,
        PushTarget::Bundle => Registry::Bundle,
        PushTarget::Ollama => Registry::Ollama,
        PushTarget::Modelscope => Registry::Modelscope,
        PushTarget::Huggingface => Registry::Huggingface,
    }
}

/// The sending options, shared with `release`.
fn send_args(args: &PushArgs) -> SendArgs {
    SendArgs {
        registry: args.registry.clone(),
        insecure: args.insecure,
        mount_from: args.mount_from.clone(),
        dir: args.dir.clone(),
        tar: args.tar.clone(),
        publish: args.publish.clone(),
        dry_run: args.dry_run,
        prune: args.prune,
        no_verify: args.no_verify,
        parallel: args.parallel,
        chunk_mib: args.chunk_mib,
        quiet: args.quiet,
        json: args.json,
    }
}

fn release(args: &PushArgs) -> anyhow::Result<Release> {
    let Some(name) = &args.name else {
        bail!("`--gguf` needs `--name [host/][namespace/]model[:tag]`");
    };
    let name: ModelName = name.parse()?;
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

fn backends(args: &PushArgs) -> anyhow::Result<Vec<(Registry, Box<dyn Backend>)>> {
    if args.publish.is_some() && !args.to.contains(&PushTarget::Ollama) {
        bail!("`--publish` is for `--to ollama`");
    }
    let mut backends: Vec<(Registry, Box<dyn Backend>)> = Vec::new();
    for target in &args.to {
        let backend: Box<dyn Backend> = match target {
            PushTarget::Ollama => {
                let host = std::env::var("OLLAMA_HOST").unwrap_or_default();
                Box::new(OllamaBackend::new(OllamaTarget {
                    host: OllamaHost::parse(&host)?,
                    publish_namespace: args.publish.clone(),
                    insecure: args.insecure,
                })?)
            }
            PushTarget::Oci => {
                let Some(registry) = &args.registry else {
                    bail!("`--to oci` needs `--registry HOST[:PORT]`");
                };
                Box::new(OciBackend::new(OciConfig {
                    registry: registry.clone(),
                    insecure: args.insecure,
                    credentials: registry_credentials(registry),
                    mount_from: args.mount_from.clone(),
                }))
            }
            PushTarget::Modelscope | PushTarget::Huggingface => {
                let name = format!("{target:?}").to_ascii_lowercase();
                bail!("`--to {name}` pushes the manifest's outputs: leave out `--gguf`");
            }
            PushTarget::Bundle => {
                let bundle = match (&args.tar, &args.dir) {
                    (Some(tar), _) => BundleTarget::Tar(tar.clone()),
                    (None, Some(dir)) => BundleTarget::Dir(dir.clone()),
                    (None, None) => match std::env::var_os("OLLAMA_MODELS") {
                        Some(dir) => BundleTarget::Dir(dir.into()),
                        None => bail!(
                            "`--to bundle` needs `--dir DIR` or `--tar FILE` (or `OLLAMA_MODELS` set)"
                        ),
                    },
                };
                Box::new(BundleBackend::new(bundle))
            }
        };
        backends.push((registry(*target), backend));
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
