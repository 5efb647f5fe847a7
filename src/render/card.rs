//! The Hub model card (`hub/README.md`, ADR-013) and the repository-root `template`, `system`
//! and `params` files that Ollama's `hf.co/...` integration reads.
//!
//! The card's generated part sits between [`BEGIN`] and [`END`]; text a publisher writes
//! before or after it in the previous output survives regeneration. The YAML front matter is
//! always regenerated.

use serde_json::json;

use super::RenderContext;
use super::error::RenderError;
use super::llamacpp::catalog::{file_names_quant, quant_is_ambiguous};
use super::ollama::FromStyle;
use super::output::OutputTree;
use crate::manifest::{OllamaChat, ResolvedModel, ResolvedVariant};
use crate::ollama::{PromptBuilder, VersionRange};

/// The folder of the Hub repository files inside `--out`.
pub const DIR: &str = "hub";
/// The card's path inside `--out`.
pub const README: &str = "hub/README.md";
/// Opens the generated part of the card.
pub const BEGIN: &str = "<!-- ruvltra-export:begin -->";
/// Closes the generated part of the card.
pub const END: &str = "<!-- ruvltra-export:end -->";

/// Context sizes the hardware table estimates the KV cache for (capped at the model's).
pub const KV_CONTEXTS: [u64; 4] = [2048, 4096, 8192, 32768];

/// Refuses a card for a run limited with `--variant`: the Hub card is the repository's one
/// page, so it must list every variant (checked wherever a card would reach the Hub or the
/// output folder; a ModelPack README inside one artifact may describe that artifact only).
pub fn check_whole_family(resolved: &crate::manifest::Resolved) -> Result<(), RenderError> {
    if resolved.selection.is_empty() {
        Ok(())
    } else {
        Err(RenderError::PartialCard {
            selection: resolved.selection.clone(),
        })
    }
}

/// Adds the card and the root files to `tree`.
pub fn render(ctx: &RenderContext, tree: &mut OutputTree) -> Result<(), RenderError> {
    let resolved = ctx.resolved;
    let default = resolved.default_model();
    let root = default.and_then(|m| {
        m.variants
            .iter()
            .find(|v| v.key == m.default_variant)
            .or(m.variants.first())
            .map(|v| (m, v))
    });
    let mut own_modelfile = Vec::new();
    if let Some((dm, dv)) = root {
        let (template, system, params) = root_files(dv);
        if let Some(template) = &template {
            tree.insert(format!("{DIR}/template"), template.clone());
        }
        if let Some(system) = &system {
            tree.insert(format!("{DIR}/system"), system.clone());
        }
        tree.insert(format!("{DIR}/params"), params.clone());
        for (m, v) in resolved.variants() {
            if m.key == dm.key && v.key == dv.key {
                continue;
            }
            if root_files(v) != (template.clone(), system.clone(), params.clone()) {
                let path = format!("{DIR}/ollama/{}-{}.Modelfile", m.key, v.key);
                tree.insert(
                    path.clone(),
                    super::ollama::modelfile_text(ctx, m, v, FromStyle::Hub)?,
                );
                own_modelfile.push(json!({
                    "model": m.key,
                    "variant": v.key,
                    "file": v.file,
                    "modelfile": path.trim_start_matches("hub/"),
                }));
            }
        }
    }
    // Who builds each variant's prompt in current Ollama, with the TEMPLATE it is published
    // with (the Modelfile's and the root `template` file's are the same converted template).
    let prompt_builders: Vec<_> = resolved
        .variants()
        .map(|(m, v)| {
            let template = match &v.chat.ollama {
                OllamaChat::Converted { template, .. } => Some(template.as_str()),
                OllamaChat::Failed { .. } => None,
            };
            let selection = super::ollama::prompt_selection(v, template, VersionRange::CURRENT);
            json!({
                "model": m.key,
                "variant": v.key,
                "builder": selection.builder.to_string(),
                "reason": selection.reason,
                "jinja": selection.builder == PromptBuilder::GgufJinja,
            })
        })
        .collect();
    let hardware: Vec<_> = resolved
        .variants()
        .map(|(m, v)| hardware_row(m, v))
        .collect();
    let benchmarks = &resolved.targets.card.benchmarks;
    let mut tags = resolved.family.tags.clone();
    for extra in ["gguf", "llama.cpp", "ollama"] {
        if !tags.iter().any(|t| t == extra) {
            tags.push(extra.to_owned());
        }
    }
    let lost_roles: Vec<_> = resolved
        .variants()
        .filter(|(_, v)| !v.chat.lost_roles.is_empty())
        .map(|(m, v)| {
            let roles: Vec<&str> = v.chat.lost_roles.iter().map(|l| l.role.as_str()).collect();
            json!({"model": m.key, "variant": v.key, "roles": roles.join(", ")})
        })
        .collect();
    let generated = ctx.templates.render(
        "card/README.md",
        minijinja::context! {
            resolved => resolved,
            tags => tags,
            hardware => hardware,
            kv_contexts => KV_CONTEXTS,
            benchmarks => benchmarks,
            lost_roles => lost_roles,
            ambiguous => if resolved.variants().any(|(_, v)| quant_is_ambiguous(resolved, v)) {
                Some("shared")
            } else if resolved.variants().any(|(_, v)| !file_names_quant(v)) {
                Some("unnamed")
            } else {
                None
            },
            root_model => root.map(|(m, v)| json!({"model": m.key, "variant": v.key, "file": v.file, "names": v.ollama_names})),
            own_modelfile => own_modelfile,
            prompt_builders => prompt_builders,
            current_ollama => VersionRange::CURRENT.label(),
            oci_pull => super::oci_pull::pull_rows(resolved),
            begin => BEGIN,
            end => END,
        },
    )?;
    tree.insert(README, splice(&generated, ctx.previous_card.as_deref()));
    Ok(())
}

/// The root `template`, `system` and `params` contents for one variant.
fn root_files(variant: &ResolvedVariant) -> (Option<String>, Option<String>, String) {
    let template = match &variant.chat.ollama {
        OllamaChat::Converted { template, .. } => Some(template.clone()),
        OllamaChat::Failed { .. } => None,
    };
    let system = variant.system.as_ref().map(|s| s.value.clone());
    let params = serde_json::Value::Object(variant.ollama_parameters().to_json());
    // Ollama reads `params` as one compact JSON object.
    let mut text = serde_json::to_string(&params).unwrap_or_default();
    text.push('\n');
    (template, system, text)
}

/// One row of the hardware table. A variant with a projector or an adapter runs with those
/// files loaded too, so their sizes are part of every total (and named in the row).
fn hardware_row(model: &ResolvedModel, variant: &ResolvedVariant) -> serde_json::Value {
    let projector_bytes = variant
        .projector
        .as_ref()
        .map(|p| p.size_bytes.value)
        .unwrap_or(0);
    let adapter_bytes = variant
        .adapter
        .as_ref()
        .map(|a| a.size_bytes.value)
        .unwrap_or(0);
    let files_bytes = variant
        .size_bytes
        .value
        .saturating_add(projector_bytes)
        .saturating_add(adapter_bytes);
    let kv: Vec<serde_json::Value> = KV_CONTEXTS
        .iter()
        .map(|&ctx| {
            if ctx > variant.context_length.value {
                serde_json::Value::Null
            } else {
                variant
                    .shape
                    .kv_cache_bytes(ctx)
                    .map(|kv| json!({"context": ctx, "kv_bytes": kv, "total_bytes": kv.saturating_add(files_bytes)}))
                    .unwrap_or(serde_json::Value::Null)
            }
        })
        .collect();
    json!({
        "model": model.key,
        "variant": variant.key,
        "quant": variant.quant.value,
        "size_bytes": variant.size_bytes.value,
        "projector": variant.projector.as_ref().map(|p| json!({"file": p.file, "size_bytes": p.size_bytes.value})),
        "adapter": variant.adapter.as_ref().map(|a| json!({"file": a.file, "size_bytes": a.size_bytes.value})),
        "context_length": variant.context_length.value,
        "kv": kv,
        "shape": variant.shape,
    })
}

/// The new card: `generated` (front matter, then the marked part) with the publisher's text
/// from `previous` kept around the marked part.
pub fn splice(generated: &str, previous: Option<&str>) -> String {
    let Some(previous) = previous else {
        return generated.to_owned();
    };
    let (Some(begin), Some(end)) = (previous.find(BEGIN), previous.find(END)) else {
        return generated.to_owned();
    };
    if end < begin {
        return generated.to_owned();
    }
    let body_start = front_matter_end(previous);
    let before = previous.get(body_start..begin).unwrap_or_default();
    let after = previous.get(end + END.len()..).unwrap_or_default();
    let (Some(g_begin), Some(g_end)) = (generated.find(BEGIN), generated.find(END)) else {
        return generated.to_owned();
    };
    let g_front = &generated[..front_matter_end(generated)];
    let marked = &generated[g_begin..g_end + END.len()];
    format!("{g_front}{before}{marked}{after}")
}

/// Where a Markdown file's YAML front matter (`---` ... `---`) ends (0 without one).
fn front_matter_end(text: &str) -> usize {
    if !text.starts_with("---\n") {
        return 0;
    }
    match text[4..].find("\n---\n") {
        Some(i) => 4 + i + 5,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_publishers_text() {
        let generated = format!("---\nlicense: mit\n---\n{BEGIN}\nnew\n{END}\n");
        let previous =
            format!("---\nlicense: old\n---\nMy intro.\n{BEGIN}\nold\n{END}\nMy outro.\n");
        assert_eq!(
            splice(&generated, Some(&previous)),
            format!("---\nlicense: mit\n---\nMy intro.\n{BEGIN}\nnew\n{END}\nMy outro.\n")
        );
        assert_eq!(splice(&generated, Some("no markers")), generated);
        assert_eq!(splice(&generated, None), generated);
    }

    #[test]
    fn the_memory_estimate_counts_the_projector() {
        use crate::manifest::{ChatConverter, LocalFiles, Manifest, Origin, resolve};
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let manifest = Manifest::load(&root.join("tests/data/mmproj.toml")).unwrap();
        let fixtures = root.join("fixtures");
        let resolved = resolve(
            &manifest,
            &[],
            &mut LocalFiles::new(fixtures.clone()),
            Origin::Local {
                folder: "fixtures".into(),
            },
            &mut ChatConverter::new(),
        )
        .unwrap();
        let len = |file: &str| std::fs::metadata(fixtures.join(file)).unwrap().len();
        let projector = len("mmproj/ruvltra-small-0.5b-mmproj-f16.gguf");
        for (m, v) in resolved.variants() {
            let row = hardware_row(m, v);
            let files = len(&v.file) + projector;
            assert_eq!(row["projector"]["size_bytes"], projector, "{row:#}");
            let kv: Vec<&serde_json::Value> = row["kv"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|kv| !kv.is_null())
                .collect();
            assert!(!kv.is_empty(), "{row:#}");
            for kv in kv {
                let kv_bytes = kv["kv_bytes"].as_u64().unwrap();
                assert_eq!(kv["total_bytes"], kv_bytes + files, "{row:#}");
            }
        }
    }
}
