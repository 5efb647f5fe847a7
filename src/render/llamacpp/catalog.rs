//! The machine-readable catalog entry of one variant (`llamacpp/catalog/MODEL-VARIANT.json`,
//! shape in `docs/outputs.md`), and the recommended commands it and the usage page share.

use serde_json::{Value, json};

use super::map_ollama_parameter;
use super::options_map::mapped_parameters;
use crate::manifest::{Resolved, ResolvedModel, ResolvedVariant};

/// The `llama-cli`/`llama-server` commands for a variant: `-hf repo:QUANT` when the quant
/// names one file of the repository, else `-hf repo -hff FILE`.
pub fn commands(resolved: &Resolved, variant: &ResolvedVariant, ambiguous: bool) -> Vec<String> {
    let repo = &resolved.hub.repo;
    let source = if ambiguous || !file_names_quant(variant) {
        format!("-hf {repo} -hff {}", variant.file)
    } else {
        format!("-hf {repo}:{}", variant.quant.value)
    };
    let template = if variant.chat.in_gguf {
        String::new()
    } else {
        format!(
            " --jinja --chat-template-file {}",
            jinja_file_name_for(variant)
        )
    };
    // `-hf` fetches the model only: the adapter is passed as a downloaded file.
    let lora = variant
        .adapter
        .as_ref()
        .map(|a| format!(" --lora {}", adapter_file_name(&a.file)))
        .unwrap_or_default();
    vec![
        format!("llama-cli {source}{template}{lora}"),
        format!("llama-server {source}{template}{lora}"),
    ]
}

/// The adapter's file name without its folder: where `--lora` finds it after a download.
pub fn adapter_file_name(file: &str) -> &str {
    file.rsplit('/').next().unwrap_or(file)
}

/// The `.jinja` file shipped for a GGUF without a chat template (named by the template's
/// hash, so variants sharing a template share the file).
pub fn jinja_file_name_for(variant: &ResolvedVariant) -> String {
    format!(
        "chat-template-{}.jinja",
        &variant.chat.jinja_sha256[..12.min(variant.chat.jinja_sha256.len())]
    )
}

/// Whether the variant's file name contains its quant (case-insensitively), which is how
/// `-hf repo:QUANT` finds a file: a quant forced in the manifest onto a file named otherwise
/// needs `-hff FILE`.
pub fn file_names_quant(variant: &ResolvedVariant) -> bool {
    variant
        .file
        .to_ascii_lowercase()
        .contains(&variant.quant.value.to_ascii_lowercase())
}

/// Whether more than one selected file shares this variant's quant (so `-hf repo:QUANT`
/// would be ambiguous).
pub fn quant_is_ambiguous(resolved: &Resolved, variant: &ResolvedVariant) -> bool {
    resolved
        .variants()
        .filter(|(_, v)| v.quant.value.eq_ignore_ascii_case(&variant.quant.value))
        .count()
        > 1
}

/// One catalog entry.
pub fn entry(resolved: &Resolved, model: &ResolvedModel, variant: &ResolvedVariant) -> Value {
    let ambiguous = quant_is_ambiguous(resolved, variant);
    let (options, unmapped) = mapped_parameters(variant, map_ollama_parameter);
    let mut entry = json!({
        "id": format!("{}/{}", model.key, variant.key),
        "name": format!("{} {} {}", model.name.value, variant.size_label.value, variant.quant.value),
        "repo": resolved.hub.repo,
        "revision": resolved.hub.pinned_revision(),
        "file": variant.file,
        "files": variant.parts,
        "quant": variant.quant.value,
        "size_bytes": variant.size_bytes.value,
        "sha256": variant.sha256.as_ref().map(|s| &s.value),
        "architecture": variant.architecture.value,
        "parameters": variant.parameter_count.value,
        "size_label": variant.size_label.value,
        "context_length": variant.context_length.value,
        "license": resolved.family.license.id,
        "chat_template": {
            "sha256": variant.chat.jinja_sha256,
            "in_gguf": variant.chat.in_gguf,
            "file": if variant.chat.in_gguf { None } else { Some(jinja_file_name_for(variant)) },
        },
        "options": options,
        "unmapped": unmapped,
        "ambiguous_quant": ambiguous,
        "commands": commands(resolved, variant, ambiguous),
        "fixtures": resolved.fixtures,
    });
    // Only variants with a projector carry the key, so other entries keep their shape.
    if let (Some(projector), Some(object)) = (&variant.projector, entry.as_object_mut()) {
        object.insert(
            "projector".into(),
            json!({
                "file": projector.file,
                "size_bytes": projector.size_bytes.value,
                "sha256": projector.sha256.as_ref().map(|s| &s.value),
            }),
        );
    }
    if let (Some(adapter), Some(object)) = (&variant.adapter, entry.as_object_mut()) {
        object.insert(
            "adapter".into(),
            json!({
                "file": adapter.file,
                "type": adapter.adapter_type,
                "size_bytes": adapter.size_bytes.value,
                "sha256": adapter.sha256.as_ref().map(|s| &s.value),
            }),
        );
    }
    entry
}
