//! `ruvltra-export push`: sends the manifest's outputs (or one model) to a running Ollama
//! server, OCI registries, Ollama bundles, ModelScope and the Hub.
//!
//! Without `--gguf` the outputs are rendered from the manifest and pushed to any registry
//! (see [`crate::pipeline`]).
//! With `--gguf`, one model is built from a GGUF path plus optional template, system and
//! license files and parameters, for the Ollama-image registries.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use super::args::{ResolveArgs, SendArgs};
use super::print::{Printer, exit_code, print_summary, progress};
use super::settings;
use crate::ollama::ModelName;
use crate::pipeline::{Job, Pipeline, Registry, RegistrySettings, backend, render_for};
use crate::push::{OllamaModel, Release};

/// Arguments of `push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Where to push; repeat for several targets (each file is hashed once for all).
    #[arg(long = "to", value_enum, required = true)]
    pub to: Vec<Registry>,
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
    /// Where and how to send (registry, bundle destination, plan and output options).
    #[command(flatten)]
    pub send: SendArgs,
}

/// Runs `push`.
pub fn run(args: PushArgs) -> anyhow::Result<u8> {
    if args.gguf.is_empty() {
        let resolved = settings::resolve(&args.resolve, progress(&args.send).as_ref())?;
        let tree = render_for(&resolved, &args.to, args.hub_preset, args.allow_unverified)?;
        return super::generate::push(&resolved, &tree, &args.to, args.hub_preset, &args.send);
    }
    let release = release(&args)?;
    let registry_settings = settings::registries(&args.send);
    let jobs = jobs(&args, &release, &registry_settings)?;
    let options = args.send.push_options(settings::cache_dir());
    let progress = progress(&args.send);
    let pipeline = Pipeline {
        settings: &registry_settings,
        options: &options,
        progress: progress.as_ref(),
        sink: &Printer {
            options: &args.send,
        },
    };
    let summary = pipeline.push_jobs(&jobs);
    print_summary(&summary, &args.send);
    Ok(exit_code(&summary))
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
    check_fit(args, &model)?;
    model.config.model_family = args.family.clone();
    model.config.model_type = args.model_type.clone();
    model.config.file_type = args.file_type.clone();
    Ok(Release {
        models: vec![model],
        files: Vec::new(),
    })
}

/// Refuses a `--template` or marker-like `stop` that does not fit the GGUF's vocabulary.
fn check_fit(args: &PushArgs, model: &OllamaModel) -> anyhow::Result<()> {
    let stops: Vec<String> = model
        .params
        .get("stop")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let go = match (&model.template, &args.template) {
        (Some(text), Some(path)) => crate::template::ollama::OllamaTemplate::parse(text)
            .with_context(|| {
                format!(
                    "`--template {}` is not an Ollama Go template",
                    path.display()
                )
            })?,
        _ => crate::template::ollama::OllamaTemplate::parse("")?,
    };
    let gguf = &args.gguf[0];
    let header = match crate::gguf::GgufHeader::read_path(gguf) {
        Ok(header) => header,
        Err(e) => {
            eprintln!(
                "warning: the template's fit to the vocabulary is not checked: cannot read the header of `{}`: {e}",
                gguf.display()
            );
            return Ok(());
        }
    };
    if let Some(fit) = crate::template::fit::check_go(&go, &stops, &header) {
        if !fit.fits() {
            bail!(
                "the template and stops do not fit the vocabulary of `{}`: {}; write the markers exactly as the model's vocabulary has them",
                gguf.display(),
                fit.missing()
            );
        }
        for warning in &fit.warnings {
            eprintln!("warning: {warning}");
        }
    }
    Ok(())
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))
}

/// One job per `--to` registry, each sending `release`.
fn jobs(
    args: &PushArgs,
    release: &Release,
    settings: &RegistrySettings,
) -> anyhow::Result<Vec<Job>> {
    if args.send.publish.is_some() && !args.to.contains(&Registry::Ollama) {
        bail!("`--publish` is for `--to ollama`");
    }
    let mut targets = args.to.clone();
    targets.sort();
    targets.dedup();
    targets
        .into_iter()
        .map(|registry| {
            Ok(Job {
                registry,
                backend: backend(registry, settings)?,
                release: release.clone(),
            })
        })
        .collect()
}
