//! `ruvltra-export release`: the whole cross-post — generate every output, push to every
//! registry the manifest and the arguments configure, verify, print one summary table.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::args::{ResolveArgs, SendArgs};
use super::print::progress;
use super::settings;
use crate::pipeline::Registry;
use crate::render::{RenderOptions, Target, render};

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

/// `release`: generate every output under `--out`, push to every registry the manifest and
/// the arguments configure, verify, print one summary table.
pub fn run(args: &ReleaseArgs) -> anyhow::Result<u8> {
    let digests = settings::digest_cache();
    let resolved = settings::resolve(&args.resolve, &digests, progress(&args.send).as_ref())?;
    crate::render::card::check_whole_family(&resolved)?;
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
    let hub_preset = args.hub_preset || resolved.targets.hub_preset;
    super::generate::push(
        &resolved,
        &tree,
        &registries,
        hub_preset,
        &args.send,
        &digests,
    )
}
