//! A release as a library: source → GGUF header → resolved metadata → rendered outputs →
//! pushed to registries, with no command line involved.
//!
//! 1. [`resolve_family`] loads the manifest and resolves it against the GGUF headers of its
//!    local folder or its Hub repository ([`FamilyRequest`]).
//! 2. [`render_for`] renders what the chosen [`Registry`]s need (or call
//!    [`crate::render::render`] to write an output folder).
//! 3. [`Pipeline::push`] fetches the GGUFs when the family came from the Hub, builds each
//!    registry's backend from [`RegistrySettings`], plans, pushes and verifies, and returns a
//!    [`PushSummary`]: one [`SummaryRow`] per target with a [`Status`].
//!
//! Nothing here prints or reads the environment. What happens is told to a [`Sink`] and
//! transfer progress to a [`Progress`]; the command line passes printers, a library user
//! may pass [`SilentSink`] and [`QuietProgress`] (what
//! [`Pipeline::new`] uses).

mod backends;
mod download;
mod error;
mod family;
mod registry;
mod report;
mod send;
mod settings;
mod sink;

use crate::digest::DigestCache;
use crate::manifest::Resolved;
use crate::push::from_resolved::GgufPaths;
use crate::push::{Progress, PushContext, QuietProgress};
use crate::render::{OutputTree, RenderOptions, Target, render};

pub use backends::{Job, backend, jobs};
pub use download::{Ggufs, fetch_ggufs};
pub use error::{Cause, DownloadError, Missing, PipelineError};
pub use family::{FamilyRequest, FilesFrom, resolve_family};
pub use registry::Registry;
pub use report::{PushSummary, Status, SummaryRow};
pub use send::{send_all, with_push_context};
pub use settings::{PushOptions, RegistrySettings, Setting, SettingError};
pub use sink::{SilentSink, Sink};

/// Renders what `registries` need, into memory (nothing is written): Ollama outputs for the
/// Ollama-format registries, ModelScope files, the card (and with `hub_preset` the llama.cpp
/// outputs) for the Hub.
pub fn render_for(
    resolved: &Resolved,
    registries: &[Registry],
    hub_preset: bool,
    allow_unverified: bool,
) -> Result<OutputTree, PipelineError> {
    if registries.contains(&Registry::Huggingface) {
        crate::render::card::check_whole_family(resolved)?;
    }
    let mut targets: Vec<Target> = registries.iter().map(|r| r.render_target()).collect();
    if hub_preset && registries.contains(&Registry::Huggingface) {
        targets.push(Target::LlamaCpp);
    }
    // ModelPack artifacts carry the card as their README.
    if registries.contains(&Registry::Oci) {
        targets.push(Target::Card);
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
    let scratch = tempfile::tempdir().map_err(PipelineError::Scratch)?;
    Ok(render(
        resolved,
        &targets,
        &scratch.path().join("out"),
        &options,
    )?)
}

/// One push: where the registries are, how to send, and where to report.
#[derive(Clone, Copy)]
pub struct Pipeline<'a> {
    /// The registries' settings.
    pub settings: &'a RegistrySettings,
    /// How to send.
    pub options: &'a PushOptions,
    /// The command's one digest cache, for resolution and every push (usually
    /// [`DigestCache::open`] on [`PushOptions::cache_dir`]): a local file is hashed once.
    pub digests: &'a DigestCache,
    /// Where transfer progress goes.
    pub progress: &'a dyn Progress,
    /// Where plans, reports and errors go.
    pub sink: &'a dyn Sink,
}

impl<'a> Pipeline<'a> {
    /// A pipeline that reports nothing; the summary says how it went.
    pub fn new(
        settings: &'a RegistrySettings,
        options: &'a PushOptions,
        digests: &'a DigestCache,
    ) -> Self {
        Self {
            settings,
            options,
            digests,
            progress: &QuietProgress,
            sink: &SilentSink,
        }
    }

    /// Resolves a family, reading from the Hub with [`RegistrySettings::hub`] when asked to.
    pub fn resolve(&self, request: &FamilyRequest) -> Result<Resolved, PipelineError> {
        resolve_family(request, &self.settings.hub, self.digests, self.progress)
    }

    /// Pushes rendered outputs to `registries` (each once, in registry order): the GGUFs are
    /// fetched first when a registry needs them, then every job is planned, pushed and
    /// verified. A registry that cannot be set up is reported to the sink and marked failed;
    /// the others still go.
    pub fn push(
        &self,
        resolved: &Resolved,
        tree: &OutputTree,
        registries: &[Registry],
        hub_preset: bool,
    ) -> Result<PushSummary, PipelineError> {
        with_push_context(self.options, self.digests, self.progress, |ctx| {
            self.push_in(resolved, tree, registries, hub_preset, ctx)
        })
    }

    /// Plans, pushes and verifies `jobs` made by hand (say, one model built from a GGUF).
    pub fn push_jobs(&self, jobs: &[Job]) -> PushSummary {
        with_push_context(self.options, self.digests, self.progress, |ctx| {
            PushSummary {
                rows: send_all(jobs, ctx, self.options, self.sink),
            }
        })
    }

    fn push_in(
        &self,
        resolved: &Resolved,
        tree: &OutputTree,
        registries: &[Registry],
        hub_preset: bool,
        ctx: &PushContext<'_>,
    ) -> Result<PushSummary, PipelineError> {
        let mut registries = registries.to_vec();
        registries.sort();
        registries.dedup();
        let ggufs = if registries.iter().any(|r| r.needs_ggufs()) {
            fetch_ggufs(
                resolved,
                self.settings,
                self.options,
                ctx.digests,
                ctx.progress,
                self.sink,
            )?
        } else {
            Ggufs::Ready(GgufPaths::new())
        };
        let no_paths = GgufPaths::new();
        let mut jobs = Vec::new();
        let mut rows = Vec::new();
        for registry in registries {
            let paths = match &ggufs {
                Ggufs::NotDownloaded(missing) if registry.needs_ggufs() => {
                    let status = Status::WouldDownload(missing.clone());
                    rows.push(SummaryRow::unplanned(registry, status));
                    continue;
                }
                Ggufs::Ready(paths) => paths,
                Ggufs::NotDownloaded(_) => &no_paths,
            };
            match backends::jobs(registry, resolved, tree, paths, hub_preset, self.settings) {
                Ok(more) => jobs.extend(more),
                Err(err) => {
                    self.sink.failed(&err);
                    rows.push(SummaryRow::unplanned(registry, Status::Failed));
                }
            }
        }
        rows.extend(send_all(&jobs, ctx, self.options, self.sink));
        // In registry order, whether a registry failed before or after planning.
        rows.sort_by_key(|row| row.registry);
        Ok(PushSummary { rows })
    }
}
