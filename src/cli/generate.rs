//! `ruvltra-export ollama|llamacpp|modelscope|card|all`: resolve the manifest against the
//! GGUF files, render the chosen targets and write them atomically under `--out`; with
//! `--push`, then send them through `cli/send.rs` as `push` does, with its [`SendOptions`].

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use super::EXIT_OK;
use super::send::{
    Registry, SendArgs, SendOptions, exit_code, print_summary, push_rendered, registry_for,
};
use crate::manifest::{
    ChatConverter, HubFiles, LocalFiles, Manifest, Origin, ResolveError, Resolved, resolve,
};
use crate::render::{RenderOptions, Target, render};
use crate::source::{RepoId, RepoIdError, Revision};

/// Where the GGUF files are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FromWhere {
    /// The manifest's `[source] local` folder; nothing touches the network.
    Local,
    /// The Hub repository of `[hub]`, headers read through HTTP ranges.
    Hub,
}

/// What every command that resolves the manifest takes.
#[derive(Debug, Clone, Args)]
pub struct ResolveArgs {
    /// The shared metadata file.
    #[arg(long, value_name = "PATH", default_value = "ruvltra.toml")]
    pub manifest: PathBuf,
    /// Only these variants: `MODEL/VARIANT`, a model key, or a GGUF file name (repeatable).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<String>,
    /// Read the GGUF files from the local folder or from the Hub.
    #[arg(long, value_enum, default_value_t = FromWhere::Local)]
    pub from: FromWhere,
}

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

/// Loads the manifest and resolves the selected variants from local files or the Hub.
pub fn resolve_family(args: &ResolveArgs) -> anyhow::Result<Resolved> {
    let manifest = Manifest::load(&args.manifest)?;
    let mut converter = match source_date_epoch() {
        Some(seconds) => ChatConverter::with_date(seconds),
        None => ChatConverter::new(),
    };
    let resolved = match args.from {
        FromWhere::Local => {
            let folder =
                manifest
                    .source
                    .local
                    .clone()
                    .ok_or_else(|| ResolveError::NoLocalFolder {
                        manifest: args.manifest.display().to_string(),
                    })?;
            let mut files = LocalFiles::new(manifest.base_dir().join(&folder));
            resolve(
                &manifest,
                &args.variants,
                &mut files,
                Origin::Local {
                    folder: folder.display().to_string(),
                },
                &mut converter,
            )?
        }
        FromWhere::Hub => {
            let settings = super::inspect::hub_settings_from_env()?;
            let endpoint = settings.endpoint.as_str().to_owned();
            let client = crate::cli::network::hub_client(settings)?;
            let repo: RepoId = manifest
                .hub
                .repo
                .parse()
                .map_err(|e: RepoIdError| anyhow::anyhow!("`[hub] repo`: {}", e.reason))?;
            let revision = Revision::new(&manifest.hub.revision)
                .map_err(|e| anyhow::anyhow!("`[hub] revision`: {e}"))?;
            let mut files = HubFiles::new(&client, repo, revision)?;
            resolve(
                &manifest,
                &args.variants,
                &mut files,
                Origin::Hub { endpoint },
                &mut converter,
            )?
        }
    };
    Ok(resolved)
}

/// `SOURCE_DATE_EPOCH`, for reproducible frozen dates in converted templates.
fn source_date_epoch() -> Option<i64> {
    std::env::var("SOURCE_DATE_EPOCH").ok()?.trim().parse().ok()
}

/// Runs one generator command for `targets`; with `--push`, then sends what it wrote to
/// each target's registry ([`registry_for`]) and prints the summary table.
pub fn run(args: &GenerateArgs, targets: &[Target]) -> anyhow::Result<u8> {
    let mut registries: Vec<Registry> = targets.iter().map(|t| registry_for(*t)).collect();
    registries.sort();
    registries.dedup();
    if args.send.publish.is_some() && !registries.contains(&Registry::Ollama) {
        bail!("`--publish` is for the Ollama server: use it with `ollama --push` or `all --push`");
    }
    let resolved = resolve_family(&args.resolve)?;
    let options = RenderOptions {
        allow_unverified: args.allow_unverified,
        hub_preset: args.hub_preset,
        templates: args.templates.clone(),
    };
    let tree = render(&resolved, targets, &args.out, &options)?;
    tree.write_atomically(&args.out)
        .with_context(|| format!("nothing under `{}` was changed", args.out.display()))?;
    report(&resolved, &tree, &args.out, args.send.quiet);
    if !args.push {
        return Ok(EXIT_OK);
    }
    let hub_preset = args.hub_preset || resolved.targets.hub_preset;
    let send = SendArgs::from(args.send.clone());
    let rows = push_rendered(&resolved, &tree, &registries, hub_preset, &send)?;
    print_summary(&rows, &send);
    Ok(exit_code(&rows))
}

/// Says what was written (on stderr, so `--json` keeps stdout for JSON lines; not with
/// `--quiet`) and warns about unverified templates.
fn report(resolved: &Resolved, tree: &crate::render::OutputTree, out: &Path, quiet: bool) {
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
