//! Why a preset could not be built or written.

use thiserror::Error;

/// Why a preset could not be built or written: the value, and what would go wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PresetError {
    /// A key `llama-server` does not accept; the server would refuse to start.
    #[error("option '{key}' is not recognized by llama-server{}", did_you_mean(*suggestion))]
    UnknownOption {
        /// The key as given.
        key: String,
        /// The closest known key, if any.
        suggestion: Option<&'static str>,
    },
    /// A key that a section sets through its typed fields (model source, chat template).
    #[error(
        "option '{key}' names the model source or chat template: set it through the section's \
         `source` or `chat_template_file` instead"
    )]
    SourceOption {
        /// The key as given.
        key: String,
    },
    /// An Ollama parameter no llama.cpp option carries; the generator reports it.
    #[error("Ollama parameter `{name}` has no llama.cpp preset option: {reason}")]
    Unmappable {
        /// The Ollama parameter name.
        name: String,
        /// Why, and what to do instead.
        reason: &'static str,
    },
    /// A key the router removes or replaces for every model (host, port, API key, ...).
    #[error(
        "option '{key}' is set by the llama-server router for each model, so a preset cannot set it"
    )]
    RouterOption {
        /// The key as given.
        key: String,
    },
    /// A value that llama.cpp would read back differently, so it cannot be written.
    #[error("{what} `{value}` cannot be written to a preset file: {reason}")]
    UnwritableValue {
        /// What the value is (`value of 'temp'`, `section name`, `comment`, ...).
        what: String,
        /// The value as given (with control characters escaped).
        value: String,
        /// What llama.cpp would do with it.
        reason: &'static str,
    },
    /// A section name llama.cpp would rename when it reads the file.
    #[error(
        "section name `{name}` would be renamed to `{becomes}` by llama-server (it upper-cases \
         the tag after the last `-` or `.`): use `{becomes}` or a name without `:`"
    )]
    RenamedSection {
        /// The name as given.
        name: String,
        /// The name llama.cpp would use.
        becomes: String,
    },
    /// Not a Hub repository id.
    #[error(
        "`{repo}` is not a Hub repository id: expected `owner/name` of letters, digits, `-`, `_` and `.`"
    )]
    InvalidRepo {
        /// The id as given.
        repo: String,
    },
    /// Not a quant label llama.cpp can match in file names.
    #[error("`{quant}` is not a quant label: expected letters, digits and `_` (like `Q4_K_M`)")]
    InvalidQuant {
        /// The label as given.
        quant: String,
    },
    /// Two sections with one name: llama.cpp would keep only the last.
    #[error("section `[{name}]` appears twice: llama-server would keep only the last one")]
    DuplicateSection {
        /// The repeated name.
        name: String,
    },
}

pub(super) fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean '{s}'?)"))
        .unwrap_or_default()
}
