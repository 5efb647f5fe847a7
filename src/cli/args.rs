//! The arguments several commands share: which family to resolve ([`ResolveArgs`]), where and
//! how to send ([`SendArgs`], [`SendOptions`]), and the library enums they name
//! ([`Registry`], [`FilesFrom`]) as clap values.

use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Args, ValueEnum};

use crate::pipeline::{FamilyRequest, FilesFrom, PushOptions, Registry};
use crate::push::oci::OciFormat;

/// `--chunk-mib` when not given.
const DEFAULT_CHUNK_MIB: u64 = 64;

impl ValueEnum for Registry {
    fn value_variants<'a>() -> &'a [Self] {
        &Registry::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self {
            Registry::Ollama => "A running Ollama server (`OLLAMA_HOST`)",
            Registry::Oci => "An OCI distribution registry (`--registry`)",
            Registry::Bundle => "An Ollama model store folder (`--dir`) or tar (`--tar`)",
            Registry::Modelscope => "ModelScope, one repository per model (`MODELSCOPE_API_TOKEN`)",
            Registry::Huggingface => "The Hub repository: the card and root files",
        };
        Some(PossibleValue::new(self.as_str()).help(help))
    }
}

impl ValueEnum for FilesFrom {
    fn value_variants<'a>() -> &'a [Self] {
        &[FilesFrom::Local, FilesFrom::Hub]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            FilesFrom::Local => PossibleValue::new("local")
                .help("The manifest's `[source] local` folder; nothing touches the network"),
            FilesFrom::Hub => PossibleValue::new("hub")
                .help("The Hub repository of `[hub]`, headers read through HTTP ranges"),
        })
    }
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
    #[arg(long, value_enum, default_value_t = FilesFrom::Local)]
    pub from: FilesFrom,
}

impl ResolveArgs {
    /// The library's request, with the frozen template date `date`.
    pub fn request(&self, date: Option<i64>) -> FamilyRequest {
        FamilyRequest {
            manifest: self.manifest.clone(),
            variants: self.variants.clone(),
            from: self.from,
            date,
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
    /// Artifact format for `--to oci` and `--oci-layout` (repeatable): `ollama` (default),
    /// `docker` (Docker Model Runner), `modelpack` (CNCF ModelPack); else the manifest's
    /// `[oci] formats`.
    #[arg(long = "format", value_name = "FORMAT")]
    pub formats: Vec<OciFormat>,
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
    #[arg(long, conflicts_with = "oci_layout")]
    pub tar: Option<PathBuf>,
    /// Write the bundle as an OCI image layout in this folder, in the `--format`s (for
    /// `skopeo copy oci:DIR:REF ...`).
    #[arg(long, value_name = "DIR", conflicts_with = "dir")]
    pub oci_layout: Option<PathBuf>,
    /// Chunk size in MiB for big uploads.
    #[arg(long, default_value_t = DEFAULT_CHUNK_MIB)]
    pub chunk_mib: u64,
    /// How to send: plan, prune, verify, parallelism and output.
    #[command(flatten)]
    pub options: SendOptions,
}

/// How to send, whatever the registry: shared by `push`, `release` and `--push` on the
/// generator commands (which send to the registries [`Registry::for_target`] names, so they
/// take these and none of [`SendArgs`]' destinations).
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
            formats: Vec::new(),
            insecure: false,
            mount_from: Vec::new(),
            dir: None,
            tar: None,
            oci_layout: None,
            chunk_mib: DEFAULT_CHUNK_MIB,
            options,
        }
    }
}

impl SendArgs {
    /// The library's push options, keeping state under `cache_dir`.
    pub fn push_options(&self, cache_dir: Option<PathBuf>) -> PushOptions {
        PushOptions {
            dry_run: self.dry_run,
            prune: self.prune,
            verify: !self.no_verify,
            parallel: self.parallel.max(1),
            chunk_size: self.chunk_mib.max(1) << 20,
            cache_dir,
            ..super::network::push_options()
        }
    }
}
