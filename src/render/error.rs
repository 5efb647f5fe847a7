//! Why rendering or writing the outputs failed.

use std::path::PathBuf;

/// Rendering or writing the outputs failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The chat template converted for Ollama did not pass the verifier.
    #[error(
        "`{variant}`: the chat template converted for Ollama is not verified; the first differing conversation:\n{mismatch}\n(fix the template, or pass `--allow-unverified` to write it with a warning comment)"
    )]
    Unverified {
        /// `MODEL/VARIANT`.
        variant: String,
        /// Both renderings of the first differing conversation.
        mismatch: String,
    },
    /// The chat template could not be converted for Ollama at all.
    #[error("`{variant}`: no Ollama chat template: {reason}")]
    NoOllamaTemplate {
        /// `MODEL/VARIANT`.
        variant: String,
        /// The converter's reason.
        reason: String,
    },
    /// A Modelfile could not be written so that it reads back the same.
    #[error("`{variant}`: cannot write its Modelfile")]
    Modelfile {
        /// `MODEL/VARIANT`.
        variant: String,
        /// The writer's refusal.
        #[source]
        source: crate::modelfile::WriteError,
    },
    /// An output template failed to render.
    #[error("output template `{template}` failed: {message}")]
    Template {
        /// The template's name, e.g. `card/README.md`.
        template: String,
        /// minijinja's message with line.
        message: String,
    },
    /// An override template could not be read.
    #[error("cannot read the override template `{}`", path.display())]
    Override {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: crate::text_file::ReadError,
    },
    /// A llama.cpp preset could not be built.
    #[error("`{variant}`: cannot build its llama.cpp preset section: {message}")]
    Preset {
        /// `MODEL/VARIANT` (or `preset.ini`).
        variant: String,
        /// The preset model's message.
        message: String,
    },
    /// The Hub-root preset must cover every variant, but the run was limited with `--variant`.
    #[error(
        "the Hub-root `preset.ini` is served to every user of the repository and must cover every variant, but this run is limited to {}: drop `--variant` or `--hub-preset`",
        selection.join(", ")
    )]
    PartialHubPreset {
        /// The `--variant` names.
        selection: Vec<String>,
    },
    /// The Hub repository card must list every variant, but the run was limited with
    /// `--variant`: a one-variant card would replace the repository's card.
    #[error(
        "the Hub model card (`hub/README.md`) describes every variant of the repository, but this run is limited to {}: a card from it would replace the repository's card with one that lists only those; drop `--variant`, or render only `ollama`, `llamacpp` or `modelscope`",
        selection.join(", ")
    )]
    PartialCard {
        /// The `--variant` names.
        selection: Vec<String>,
    },
    /// A local GGUF path is needed but unknown (`--from local` expected).
    #[error("`{variant}`: no local path for its GGUF file")]
    NoLocalPath {
        /// `MODEL/VARIANT`.
        variant: String,
    },
    /// The output folder holds something this tool did not write.
    #[error(
        "`{}` exists and has no `metadata.lock.json`, so it was not written by ruvltra-export: choose another `--out` or remove it",
        path.display()
    )]
    ForeignOutput {
        /// The output folder.
        path: PathBuf,
    },
    /// Writing the output tree failed; nothing was replaced.
    #[error("cannot write the outputs under `{}`", path.display())]
    Write {
        /// The file or folder being written.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
