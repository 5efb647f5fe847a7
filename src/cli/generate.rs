//! `ruvltra-export ollama|llamacpp|modelscope|card|all`: resolve the manifest against the
//! GGUF files, render the chosen targets and write them atomically under `--out`; with
//! `--push`, then send them as `push` does, with its [`SendOptions`].

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

use super::args::{ResolveArgs, SendArgs, SendOptions};
use super::print::{EXIT_OK, Printer, exit_code, print_summary, progress};
use super::settings;
use crate::digest::DigestCache;
use crate::manifest::Resolved;
use crate::pipeline::{Pipeline, Registry};
use crate::render::{OutputTree, RenderOptions, Target, render};
/// Arguments of the generator commands.
///
/// The sending options only make sense with `--push`, so clap refuses them without it; on a
/// generator `--dry-run` still writes the output folder (that is the command's job) and only
/// the push is planned.
#[derive(Debug, Clone, Args)]
#[command(mut_group("SendOptions", |group| group.requires("push")))]
#[command(mut_arg("dry_run", |arg| arg.help(
    "Still write the output folder, but push nothing: print the plan and change nothing on any \
     registry (no download, no upload)"
)))]
pub struct GenerateArgs {
    /// Manifest, variants and source.
    #[command(flatten)]
    pub resolve: ResolveArgs,
    /// The output folder (written atomically; an earlier output is replaced).
    #[arg(long, value_name = "DIR", default_value = "dist")]
    pub out: PathBuf,
    /// A folder whose files replace the embedded output templates of the same name
    /// (e.g. `card/README.md`).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Write Ollama templates that did not pass verification, with a warning comment.
    #[arg(long)]
    pub allow_unverified: bool,
    /// Also write `llamacpp/preset.ini` for the Hub repository root (served to every
    /// `llama-server -hf` user of the repository).
    #[arg(long)]
    pub hub_preset: bool,
    /// Then push what was written: Ollama outputs to the Ollama server (`OLLAMA_HOST`),
    /// ModelScope files to ModelScope, llama.cpp and card outputs to the Hub repository.
    #[arg(long)]
    pub push: bool,
    /// How `--push` sends, as `push` does (each needs `--push`).
    #[command(flatten, next_help_heading = "Push options (with --push)")]
    pub send: SendOptions,
}

/// Runs one generator command for `targets`; with `--push`, then sends what it wrote to
/// each target's registry ([`Registry::for_target`]) and prints the summary table.
pub fn run(args: &GenerateArgs, targets: &[Target]) -> anyhow::Result<u8> {
    let mut registries: Vec<Registry> = targets.iter().map(|t| Registry::for_target(*t)).collect();
    registries.sort();
    registries.dedup();
    if args.send.publish.is_some() && !registries.contains(&Registry::Ollama) {
        bail!("`--publish` is for the Ollama server: use it with `ollama --push` or `all --push`");
    }
    let digests = settings::digest_cache();
    let resolved = settings::resolve(&args.resolve, &digests, progress(&args.send).as_ref())?;
    if targets.contains(&Target::Card) {
        crate::render::card::check_whole_family(&resolved)?;
    }
    let options = RenderOptions {
        allow_unverified: args.allow_unverified,
        hub_preset: args.hub_preset,
        templates: args.templates.clone(),
    };
    let tree = render(&resolved, targets, &args.out, &options)?;
    tree.write_atomically(&args.out)
        .with_context(|| format!("nothing under `{}` was changed", args.out.display()))?;
    report(&resolved, &tree, &args.out, args.send.quiet);
    for placeholder in placeholders(&resolved) {
        eprintln!("warning: {placeholder}");
    }
    if !args.push {
        return Ok(EXIT_OK);
    }
    let hub_preset = args.hub_preset || resolved.targets.hub_preset;
    let send = SendArgs::from(args.send.clone());
    push(&resolved, &tree, &registries, hub_preset, &send, &digests)
}

/// Pushes rendered outputs to `registries` with the settings from `send` and the
/// environment and the `digests` resolution filled, prints the summary and returns the exit
/// code (shared by `push` and `release`).
pub fn push(
    resolved: &Resolved,
    tree: &OutputTree,
    registries: &[Registry],
    hub_preset: bool,
    send: &SendArgs,
    digests: &DigestCache,
) -> anyhow::Result<u8> {
    let placeholders = placeholders(resolved);
    if !placeholders.is_empty() {
        let lines: Vec<String> = placeholders.iter().map(ToString::to_string).collect();
        bail!(
            "nothing was pushed: the manifest still has `init`'s placeholders; edit these lines first:\n{}",
            lines.join("\n")
        );
    }
    let registry_settings = settings::registries(send);
    let options = send.push_options(settings::cache_dir());
    let progress = progress(send);
    let pipeline = Pipeline {
        settings: &registry_settings,
        options: &options,
        digests,
        progress: progress.as_ref(),
        sink: &Printer { options: send },
    };
    let summary = pipeline.push(resolved, tree, registries, hub_preset)?;
    print_summary(&summary, send);
    Ok(exit_code(&summary))
}

/// The placeholders `init` left in the manifest `resolved` was read from (none when it cannot
/// be read again: resolution already reported on it).
fn placeholders(resolved: &Resolved) -> Vec<crate::manifest::ManifestError> {
    crate::manifest::Manifest::load(Path::new(&resolved.manifest))
        .map(|m| m.placeholders)
        .unwrap_or_default()
}

/// Says what was written (on stderr, so `--json` keeps stdout for JSON lines; not with
/// `--quiet`) and warns about unverified templates.
fn report(resolved: &Resolved, tree: &OutputTree, out: &Path, quiet: bool) {
    let count = tree.paths().count();
    let variants = resolved.variants().count();
    if !quiet {
        eprintln!(
            "wrote {count} files for {variants} variant{} under `{}`{}",
            if variants == 1 { "" } else { "s" },
            out.display(),
            if resolved.fixtures {
                " (from test fixtures: sizes and digests are not the published files')"
            } else {
                ""
            }
        );
    }
    for (model, variant) in resolved.variants() {
        if let crate::manifest::OllamaChat::Converted {
            verified: false, ..
        } = &variant.chat.ollama
        {
            eprintln!(
                "warning: `{}/{}`: its Ollama TEMPLATE is not verified (written with --allow-unverified)",
                model.key, variant.key
            );
        }
    }
}
