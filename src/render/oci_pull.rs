//! The pull commands for models published in an OCI registry (the manifest's `[oci]
//! registry`), one per artifact format, for the card and `llamacpp/usage.md`. They name
//! the same repositories and tags `push --to oci` writes (see [`crate::push::oci::OciFormat::repository`]).

use serde::Serialize;

use crate::manifest::Resolved;

/// The pull commands of one variant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullRow {
    /// The model key.
    pub model: String,
    /// The variant key.
    pub variant: String,
    /// One command per format, in push order.
    pub commands: Vec<String>,
}

/// One row per variant (under its first Ollama name's tag); empty when the manifest names no
/// OCI registry.
pub fn pull_rows(resolved: &Resolved) -> Vec<PullRow> {
    let Some(registry) = &resolved.targets.oci.registry else {
        return Vec::new();
    };
    resolved
        .variants()
        .filter_map(|(model, variant)| {
            let name = variant.ollama_names.first()?;
            let commands = resolved
                .targets
                .oci
                .formats
                .iter()
                .map(|format| {
                    format.pull_command(&format!(
                        "{registry}/{}:{}",
                        format.repository(&name.repository()),
                        name.tag()
                    ))
                })
                .collect();
            Some(PullRow {
                model: model.key.clone(),
                variant: variant.key.clone(),
                commands,
            })
        })
        .collect()
}
