//! Errors of Ollama-style rendering.

use crate::template::gotmpl::GoTemplateError;

/// Why an Ollama template could not be parsed or rendered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum OllamaTemplateError {
    /// The template is not valid Go template syntax (Ollama refuses it at `ollama create`).
    #[error("invalid Go template: {0}")]
    Parse(#[source] GoTemplateError),
    /// Ollama's own check after parsing: a `{{ template "name" }}` without an argument makes
    /// Ollama's variable scan fail ("undefined template specified").
    #[error(
        "Ollama rejects this template: {reason} (pass an argument, e.g. `{{{{ template \"name\" . }}}}`)"
    )]
    Rejected {
        /// Ollama's reason.
        reason: String,
    },
    /// The template failed while rendering.
    #[error("rendering failed: {0}")]
    Exec(#[source] GoTemplateError),
    /// In legacy mode, Ollama crashes when the first `.Response` sits in an `if`/`range`/`with`
    /// body that has an `else` (its tree rewrite cannot handle it); we report it instead.
    #[error(
        "Ollama cannot render this legacy template: the first `.Response` is inside a block with an `{{{{ else }}}}`, which Ollama's prompt cut does not support; move `.Response` out of that block"
    )]
    ResponseInElseBlock,
    /// All turns together exceeded the output cap.
    #[error("rendered prompt exceeds {limit} bytes")]
    OutputLimit {
        /// The cap in bytes.
        limit: usize,
    },
}
