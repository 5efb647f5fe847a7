//! The registries a release goes to, and what each needs from the earlier stages.

use serde::Serialize;

use crate::render::Target;

/// A registry a release is pushed to, one backend kind each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Registry {
    /// A running Ollama server.
    Ollama,
    /// An OCI distribution registry.
    Oci,
    /// An Ollama model store folder or tar.
    Bundle,
    /// ModelScope, one repository per model.
    Modelscope,
    /// The Hub repository: the card and root files.
    Huggingface,
}

impl Registry {
    /// Every registry, in summary order.
    pub const ALL: [Registry; 5] = [
        Registry::Ollama,
        Registry::Oci,
        Registry::Bundle,
        Registry::Modelscope,
        Registry::Huggingface,
    ];

    /// The lower-case name (`ollama`, `oci`, ...), as the summary and `--to` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Registry::Ollama => "ollama",
            Registry::Oci => "oci",
            Registry::Bundle => "bundle",
            Registry::Modelscope => "modelscope",
            Registry::Huggingface => "huggingface",
        }
    }

    /// Whether the registry needs the GGUF bytes (and so a download when the family was
    /// resolved from the Hub).
    pub fn needs_ggufs(self) -> bool {
        !matches!(self, Registry::Huggingface)
    }

    /// The outputs to render for it.
    pub fn render_target(self) -> Target {
        match self {
            Registry::Ollama | Registry::Oci | Registry::Bundle => Target::Ollama,
            Registry::Modelscope => Target::ModelScope,
            Registry::Huggingface => Target::Card,
        }
    }

    /// The registry a generator target's outputs are pushed to: Ollama outputs to the Ollama
    /// server, ModelScope files to ModelScope, llama.cpp and card outputs to the Hub
    /// repository.
    pub fn for_target(target: Target) -> Registry {
        match target {
            Target::Ollama => Registry::Ollama,
            Target::ModelScope => Registry::Modelscope,
            Target::LlamaCpp | Target::Card => Registry::Huggingface,
        }
    }
}

impl std::fmt::Display for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
