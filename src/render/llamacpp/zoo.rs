//! Every llama.cpp output of a family: the router preset `presets.ini`, a catalog entry per
//! variant, the "supported models" lines and usage page, `.jinja` files for GGUFs without a
//! chat template and, only when asked, the Hub-root `preset.ini`.

use std::path::Path;

use serde_json::json;

use super::catalog::{self, jinja_file_name_for, quant_is_ambiguous};
use super::options_map::mapped_parameters;
use super::{ModelSource, Preset, PresetSection, SectionName, map_ollama_parameter};
use crate::manifest::{Origin, Resolved, ResolvedModel, ResolvedVariant};
use crate::render::RenderContext;
use crate::render::error::RenderError;
use crate::render::ollama::pretty;
use crate::render::output::OutputTree;

/// The folder of the llama.cpp outputs inside `--out`.
pub const DIR: &str = "llamacpp";

/// Adds every llama.cpp output to `tree`.
pub fn render(ctx: &RenderContext, tree: &mut OutputTree) -> Result<(), RenderError> {
    let resolved = ctx.resolved;
    let local = matches!(resolved.origin, Origin::Local { .. });
    let mut entries = Vec::new();
    for (model, variant) in resolved.variants() {
        tree.insert(
            format!("{DIR}/catalog/{}-{}.json", model.key, variant.key),
            pretty(&catalog::entry(resolved, model, variant)),
        );
        if !variant.chat.in_gguf {
            tree.insert(
                format!("{DIR}/{}", jinja_file_name_for(variant)),
                variant.chat.jinja.value.clone(),
            );
        }
        let ambiguous = quant_is_ambiguous(resolved, variant);
        entries.push(json!({
            "name": format!("{} {}", model.name.value, variant.size_label.value),
            "file": variant.file,
            "quant": variant.quant.value,
            "commands": catalog::commands(resolved, variant, ambiguous),
            "chat_template_file": (!variant.chat.in_gguf).then(|| jinja_file_name_for(variant)),
            "adapter": variant.adapter.as_ref().map(|a| a.file.clone()),
            "adapter_file_name": variant.adapter.as_ref().map(|a| catalog::adapter_file_name(&a.file)),
        }));
    }
    tree.insert(
        format!("{DIR}/presets.ini"),
        preset(
            resolved,
            local.then(|| ctx.out_dir.join(DIR)).as_deref(),
            "presets.ini",
        )?
        .to_ini()
        .map_err(|e| RenderError::Preset {
            variant: "presets.ini".into(),
            message: e.to_string(),
        })?,
    );
    if ctx.options.hub_preset || resolved.targets.hub_preset {
        if !resolved.selection.is_empty() {
            return Err(RenderError::PartialHubPreset {
                selection: resolved.selection.clone(),
            });
        }
        tree.insert(
            format!("{DIR}/preset.ini"),
            preset(resolved, None, "preset.ini")?
                .to_ini()
                .map_err(|e| RenderError::Preset {
                    variant: "preset.ini".into(),
                    message: e.to_string(),
                })?,
        );
    }
    let mut ambiguous: Vec<String> = resolved
        .variants()
        .filter(|(_, v)| quant_is_ambiguous(resolved, v))
        .map(|(_, v)| v.quant.value.clone())
        .collect();
    ambiguous.dedup();
    ambiguous.sort();
    ambiguous.dedup();
    tree.insert(
        format!("{DIR}/supported-models.md"),
        ctx.templates.render(
            "llamacpp/supported-models.md",
            minijinja::context! { resolved => resolved },
        )?,
    );
    tree.insert(
        format!("{DIR}/usage.md"),
        ctx.templates.render(
            "llamacpp/usage.md",
            minijinja::context! {
                resolved => resolved,
                entries => entries,
                ambiguous => ambiguous,
                oci_pull => crate::render::oci_pull::pull_rows(resolved),
            },
        )?,
    );
    Ok(())
}

/// The section name of a variant: `model-key:variant-key` would collide with llama.cpp's
/// `owner/repo:QUANT` override syntax, so names are `MODEL-VARIANT`.
pub fn section_name(model: &ResolvedModel, variant: &ResolvedVariant) -> String {
    format!("{}-{}", model.key, variant.key)
}

/// The absolute path of a projector or adapter (`what`) as llama-server takes it: UTF-8 only.
fn absolute_utf8(path: &Path, what: &str, label: &str) -> Result<String, RenderError> {
    std::path::absolute(path)
        .map_err(|source| RenderError::Write {
            path: path.to_owned(),
            source,
        })?
        .to_str()
        .map(str::to_owned)
        .ok_or_else(|| RenderError::Preset {
            variant: label.to_owned(),
            message: format!(
                "the {what} path `{}` is not UTF-8, which llama-server needs",
                path.display()
            ),
        })
}

/// The Hub download URL of a projector at the pinned revision: `hf-repo`/`hf-file` name only
/// the model, so llama-server fetches the projector through `mmproj-url`.
pub fn projector_url(resolved: &Resolved, file: &str) -> String {
    format!(
        "https://huggingface.co/{}/resolve/{}/{file}",
        resolved.hub.repo,
        resolved.hub.pinned_revision()
    )
}

/// A router preset over every selected variant. A local preset (given `jinja_dir`, the
/// folder it and its `.jinja` files are written to) uses this machine's files, every path
/// absolute since llama-server resolves a relative one against its working directory;
/// otherwise `hf-repo` + `hf-file`, which is never ambiguous, and `.jinja` files named
/// relative to the preset.
fn preset(
    resolved: &Resolved,
    jinja_dir: Option<&Path>,
    what: &str,
) -> Result<Preset, RenderError> {
    let local = jinja_dir.is_some();
    let err = |variant: String| {
        move |e: super::PresetError| RenderError::Preset {
            variant,
            message: e.to_string(),
        }
    };
    let mut comments = vec![
        format!(
            "Generated by ruvltra-export from `{}`: llama-server --models-preset {what}",
            resolved.manifest
        ),
        format!(
            "Models of {} ({}).",
            resolved.family.name, resolved.hub.repo
        ),
    ];
    if resolved.fixtures && local {
        comments.push("Made from local test fixtures, not the published files.".into());
    }
    let mut sections = Vec::new();
    // One comment per unmappable parameter, naming the variants that set it.
    let mut not_carried: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut adapters_not_carried: Vec<String> = Vec::new();
    for (model, variant) in resolved.variants() {
        let label = format!("{}/{}", model.key, variant.key);
        let source = match (&variant.local_path, local) {
            (Some(path), true) => {
                let abs = std::path::absolute(path).map_err(|source| RenderError::Write {
                    path: path.clone(),
                    source,
                })?;
                ModelSource::local(&abs).map_err(err(label.clone()))?
            }
            (None, true) => return Err(RenderError::NoLocalPath { variant: label }),
            (_, false) => ModelSource::hf_file(&resolved.hub.repo, &variant.file)
                .map_err(err(label.clone()))?,
        };
        let name = SectionName::new(section_name(model, variant)).map_err(err(label.clone()))?;
        let mut section = PresetSection::new(name, source);
        if !variant.chat.in_gguf {
            let file = jinja_file_name_for(variant);
            let path = jinja_dir.map_or_else(|| Path::new(&file).to_owned(), |d| d.join(&file));
            section = section
                .with_chat_template_file(&path)
                .map_err(err(label.clone()))?;
        }
        if let Some(projector) = &variant.projector {
            let value = match (&projector.local_path, local) {
                (Some(path), true) => absolute_utf8(path, "projector", &label)?,
                (None, true) => return Err(RenderError::NoLocalPath { variant: label }),
                (_, false) => projector_url(resolved, &projector.file),
            };
            let key = if local { "mmproj" } else { "mmproj-url" };
            section
                .options
                .set(key, value)
                .map_err(err(label.clone()))?;
        }
        // llama-server has no option to fetch an adapter by URL, so only local presets carry
        // `lora`; Hub presets say how to add it.
        if let Some(adapter) = &variant.adapter {
            match (&adapter.local_path, local) {
                (Some(path), true) => {
                    let value = absolute_utf8(path, "adapter", &label)?;
                    section
                        .options
                        .set("lora", value)
                        .map_err(err(label.clone()))?;
                }
                (None, true) => return Err(RenderError::NoLocalPath { variant: label }),
                (_, false) => adapters_not_carried.push(format!(
                    "[{}] runs with the LoRA adapter `{}`, which llama-server cannot fetch from the Hub: download it and add `lora = /path/to/{}` to the section (or pass `--lora`)",
                    section.name.as_str(),
                    adapter.file,
                    adapter.file.rsplit('/').next().unwrap_or(&adapter.file)
                )),
            }
        }
        let (options, unmapped) = mapped_parameters(variant, map_ollama_parameter);
        for (key, value) in options {
            let text = super::options_map::value_text(&value);
            section
                .options
                .set(&key, text)
                .map_err(err(label.clone()))?;
        }
        for u in unmapped {
            let param = u["parameter"].as_str().unwrap_or_default().to_owned();
            let reason = u["reason"].as_str().unwrap_or_default().to_owned();
            match not_carried.iter_mut().find(|(p, _, _)| *p == param) {
                Some((_, _, labels)) => labels.push(label.clone()),
                None => not_carried.push((param, reason, vec![label.clone()])),
            }
        }
        sections.push(section);
    }
    let total = resolved.variants().count();
    for (param, reason, labels) in not_carried {
        let which = if labels.len() == total {
            "every variant".to_owned()
        } else {
            labels.join(", ")
        };
        comments.push(format!("`{param}` ({which}) is not carried over: {reason}"));
    }
    comments.extend(adapters_not_carried);
    // llama.cpp fetches only the Hub-root preset from a repository, and a relative
    // `chat-template-file` is read from the server's working directory.
    let mut jinja_files: Vec<String> = resolved
        .variants()
        .filter(|(_, v)| !v.chat.in_gguf)
        .map(|(_, v)| jinja_file_name_for(v))
        .collect();
    jinja_files.sort();
    jinja_files.dedup();
    if what == "preset.ini" && !jinja_files.is_empty() {
        comments.push(format!(
            "`chat-template-file` names a `.jinja` file pushed next to this preset at the repository root; llama-server reads it from its working directory, so download it there first (`hf download {} {} --local-dir .`)",
            resolved.hub.repo,
            jinja_files.join(" ")
        ));
    }
    Ok(Preset {
        comments,
        defaults: Default::default(),
        sections,
    })
}
