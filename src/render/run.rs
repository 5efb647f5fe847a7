//! Which targets to render, with which options, and the entry point that renders them.

use std::path::{Path, PathBuf};

use super::engine::Templates;
use super::error::RenderError;
use super::output::{LOCK_FILE, OutputTree};
use crate::manifest::Resolved;

/// One output target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// Ollama Modelfiles, `tags.json`, `create.sh`.
    Ollama,
    /// llama.cpp presets, catalog entries and Markdown.
    LlamaCpp,
    /// ModelScope repository files.
    ModelScope,
    /// The Hub model card and the repository-root `template`/`system`/`params` files.
    Card,
}

impl Target {
    /// Every target, in the order `all` renders them.
    pub const ALL: [Target; 4] = [
        Target::Ollama,
        Target::LlamaCpp,
        Target::ModelScope,
        Target::Card,
    ];
}

/// Options of one run.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Write Ollama templates that did not pass verification (with a warning comment)
    /// instead of failing.
    pub allow_unverified: bool,
    /// Write the Hub-root `preset.ini` even if the manifest does not ask for it.
    pub hub_preset: bool,
    /// A folder whose files replace the embedded output templates of the same name.
    pub templates: Option<PathBuf>,
}

/// What every renderer reads.
#[derive(Debug)]
pub struct RenderContext<'a> {
    /// The resolved family.
    pub resolved: &'a Resolved,
    /// The output folder, absolute (relative FROM paths are computed from it).
    pub out_dir: PathBuf,
    /// The run's options.
    pub options: &'a RenderOptions,
    /// The output templates.
    pub templates: Templates,
    /// The existing output folder's files the card splices into (the publisher's text
    /// around the generated part).
    pub previous_card: Option<String>,
}

/// Renders `targets` for `resolved` into a tree destined for `out_dir`, plus the lock file.
///
/// `out_dir` is read only to keep the publisher's text around the card's generated part.
pub fn render(
    resolved: &Resolved,
    targets: &[Target],
    out_dir: &Path,
    options: &RenderOptions,
) -> Result<OutputTree, RenderError> {
    let out_abs = std::path::absolute(out_dir).map_err(|source| RenderError::Write {
        path: out_dir.to_owned(),
        source,
    })?;
    // The publisher's card text is kept; what cannot be read as a text file (missing, a
    // FIFO, huge) is no card.
    let previous_card = crate::text_file::read_text(
        &out_abs.join(super::card::README),
        crate::manifest::MAX_TEXT_FILE_BYTES,
    )
    .ok();
    let ctx = RenderContext {
        resolved,
        out_dir: out_abs,
        options,
        templates: Templates::new(options.templates.as_deref())?,
        previous_card,
    };
    let mut tree = OutputTree::new();
    for target in targets {
        match target {
            Target::Ollama => super::ollama::render(&ctx, &mut tree)?,
            Target::LlamaCpp => super::llamacpp::render(&ctx, &mut tree)?,
            Target::ModelScope => super::modelscope::render(&ctx, &mut tree)?,
            Target::Card => super::card::render(&ctx, &mut tree)?,
        }
    }
    tree.insert(LOCK_FILE, resolved.to_lock_json());
    Ok(tree)
}
