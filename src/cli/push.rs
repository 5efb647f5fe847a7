//! `ruvltra-export push`: sends the manifest's outputs (or one model) to a running Ollama
//! server, OCI registries, Ollama bundles, ModelScope and the Hub.
//!
//! Without `--gguf` the outputs are rendered from the manifest and pushed to any registry
//! (see [`crate::pipeline`]).
//! With `--gguf`, one model is built from a GGUF path plus optional template, system and
//! license files and parameters, for the Ollama-image registries.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;

use super::args::{ResolveArgs, SendArgs};
use super::print::{Printer, exit_code, print_summary, progress};
use super::settings;
use crate::pipeline::{Job, Pipeline, Registry, RegistrySettings, backend, render_for};
use crate::push::Release;
use crate::push::from_gguf::GgufModelSpec;

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
    /// A parameter `name=value`, checked like a Modelfile's `PARAMETER` (repeatable; `stop`
    /// repeats or takes a JSON array).
    #[arg(long = "param")]
    pub params: Vec<String>,
    /// `model_family` for the image config (e.g. `qwen2`); by default the GGUF's architecture.
    #[arg(long)]
    pub family: Option<String>,
    /// `model_type` for the image config (e.g. `494.03M`); by default from the GGUF's tensors.
    #[arg(long)]
    pub model_type: Option<String>,
    /// `file_type` for the image config (e.g. `Q4_K_M`); by default the GGUF's file type.
    #[arg(long)]
    pub file_type: Option<String>,
    /// Where and how to send (registry, bundle destination, plan and output options).
    #[command(flatten)]
    pub send: SendArgs,
}

/// Runs `push`.
pub fn run(args: PushArgs) -> anyhow::Result<u8> {
    if args.gguf.is_empty() {
        let digests = settings::digest_cache();
        let resolved = settings::resolve(&args.resolve, &digests, progress(&args.send).as_ref())?;
        let tree = render_for(&resolved, &args.to, args.hub_preset, args.allow_unverified)?;
        return super::generate::push(
            &resolved,
            &tree,
            &args.to,
            args.hub_preset,
            &args.send,
            &digests,
        );
    }
    let release = release(&args)?;
    let registry_settings = settings::registries(&args.send);
    let jobs = jobs(&args, &release, &registry_settings)?;
    let options = args.send.push_options(settings::cache_dir());
    let progress = progress(&args.send);
    let digests = settings::digest_cache();
    let pipeline = Pipeline {
        settings: &registry_settings,
        options: &options,
        digests: &digests,
        progress: progress.as_ref(),
        sink: &Printer {
            options: &args.send,
        },
    };
    let summary = pipeline.push_jobs(&jobs);
    print_summary(&summary, &args.send);
    Ok(exit_code(&summary))
}

/// The one model `--gguf` describes, built and checked by the library; its warnings go to
/// stderr before anything is sent.
fn release(args: &PushArgs) -> anyhow::Result<Release> {
    let Some(name) = &args.name else {
        bail!("`--gguf` needs `--name [host/][namespace/]model[:tag]`");
    };
    let spec = GgufModelSpec {
        name: name.parse()?,
        gguf: args.gguf.clone(),
        template: args.template.clone(),
        system: args.system.clone(),
        licenses: args.license.clone(),
        params: args.params.clone(),
        family: args.family.clone(),
        model_type: args.model_type.clone(),
        file_type: args.file_type.clone(),
    };
    let model = spec.build()?;
    for warning in &model.warnings {
        eprintln!("warning: {warning}");
    }
    Ok(model.release)
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
