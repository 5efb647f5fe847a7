//! Ollama outputs: a Modelfile per variant (written with the project's Modelfile writer, so
//! each one parses back to exactly the values meant), the tag plan `ollama/tags.json` and a
//! script of `ollama create` commands.

use serde_json::json;

use super::RenderContext;
use super::error::RenderError;
use crate::manifest::{OllamaChat, Origin, Resolved, ResolvedModel, ResolvedVariant};
use crate::modelfile::{Message, Modelfile};
use crate::ollama::{
    FamilyParser, PromptBuilder, PromptFacts, Selection, VersionRange, family_parser,
    required_version, select,
};
use crate::render::output::{OutputTree, relative_path};

/// The folder of the Ollama outputs inside `--out`.
pub const DIR: &str = "ollama";

/// The Modelfile's path inside the output tree.
pub fn modelfile_path(model: &ResolvedModel, variant: &ResolvedVariant) -> String {
    format!("{DIR}/{}", modelfile_name(model, variant))
}

fn modelfile_name(model: &ResolvedModel, variant: &ResolvedVariant) -> String {
    format!("{}-{}.Modelfile", model.key, variant.key)
}

/// Adds every Ollama output to `tree`.
pub fn render(ctx: &RenderContext, tree: &mut OutputTree) -> Result<(), RenderError> {
    let resolved = ctx.resolved;
    let mut plan = Vec::new();
    let mut commands = Vec::new();
    for model in &resolved.models {
        let mut variants = Vec::new();
        for variant in &model.variants {
            let text = modelfile_text(ctx, model, variant, FromStyle::Origin)?;
            tree.insert(modelfile_path(model, variant), text);
            let names = &variant.ollama_names;
            variants.push(json!({
                "variant": variant.key,
                "file": variant.file,
                "quant": variant.quant.value,
                "size": variant.size_label.value,
                "modelfile": modelfile_name(model, variant),
                "names": names,
                "default": variant.key == model.default_variant,
            }));
            if let Some((first, rest)) = names.split_first() {
                commands.push(json!({
                    "name": first,
                    "modelfile": modelfile_name(model, variant),
                    "aliases": rest,
                }));
            }
        }
        plan.push(json!({
            "model": model.key,
            "name": model.ollama_model,
            "variants": variants,
        }));
    }
    let tags = json!({
        "fixtures": resolved.fixtures,
        "models": plan,
    });
    tree.insert(format!("{DIR}/tags.json"), pretty(&tags));
    let script = ctx.templates.render(
        "ollama/create.sh",
        minijinja::context! {
            fixtures => resolved.fixtures,
            manifest => resolved.manifest,
            commands => commands,
        },
    )?;
    tree.insert(format!("{DIR}/create.sh"), script);
    Ok(())
}

/// Pretty JSON ending in a newline.
pub fn pretty(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// Where a Modelfile's FROM lines point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FromStyle {
    /// As the run's origin says: paths relative to `ollama/` for local files, `hf.co/...`
    /// references for the Hub.
    Origin,
    /// Always `hf.co/owner/repo:<file>` (Modelfiles published in the Hub repository).
    Hub,
}

/// The Modelfile a variant is meant to have, as values (before writing).
pub fn modelfile(
    ctx: &RenderContext,
    model: &ResolvedModel,
    variant: &ResolvedVariant,
    style: FromStyle,
) -> Result<Modelfile, RenderError> {
    let resolved = ctx.resolved;
    let label = format!("{}/{}", model.key, variant.key);
    let template = match &variant.chat.ollama {
        OllamaChat::Converted {
            template,
            verified,
            mismatch,
            ..
        } => {
            if !verified && !ctx.options.allow_unverified {
                return Err(RenderError::Unverified {
                    variant: label,
                    mismatch: mismatch.clone().unwrap_or_else(|| "(no details)".into()),
                });
            }
            template.clone()
        }
        OllamaChat::Failed { reason } => {
            return Err(RenderError::NoOllamaTemplate {
                variant: label,
                reason: reason.clone(),
            });
        }
    };
    let from = from_lines(ctx, resolved, variant, &label, style)?;
    let adapter = adapter_line(ctx, variant, &label, style)?;
    let parser = variant_parser(variant).map(|row| row.parser.to_owned());
    let requires = required_version(parser.is_some(), false).map(|v| v.to_string());
    Ok(Modelfile {
        parser,
        requires,
        from,
        adapter,
        template: Some(template),
        system: variant.system.as_ref().map(|s| s.value.clone()),
        parameters: variant.ollama_parameters(),
        license: vec![license_text(resolved)],
        messages: variant
            .messages
            .iter()
            .map(|m| Message {
                role: m.role,
                content: m.content.clone(),
            })
            .collect(),
        ..Modelfile::default()
    })
}

fn from_lines(
    ctx: &RenderContext,
    resolved: &Resolved,
    variant: &ResolvedVariant,
    label: &str,
    style: FromStyle,
) -> Result<Vec<String>, RenderError> {
    match (&resolved.origin, style) {
        // An `hf.co/owner/repo:<tag>` reference names one model file; Ollama documents no way
        // to name a projector file in it, so the projector gets a comment, not a FROM.
        (Origin::Hub { .. }, _) | (_, FromStyle::Hub) => Ok(variant
            .parts
            .iter()
            .map(|part| format!("hf.co/{}:{part}", resolved.hub.repo))
            .collect()),
        (Origin::Local { .. }, FromStyle::Origin) => {
            let first = variant
                .local_path
                .as_ref()
                .ok_or_else(|| RenderError::NoLocalPath {
                    variant: label.to_owned(),
                })?;
            let folder = ctx.out_dir.join(DIR);
            let mut paths: Vec<std::path::PathBuf> = variant
                .parts
                .iter()
                .map(|part| first.with_file_name(part))
                .collect();
            // Ollama takes the projector as one more FROM after the model's files.
            if let Some(projector) = &variant.projector {
                let path =
                    projector
                        .local_path
                        .clone()
                        .ok_or_else(|| RenderError::NoLocalPath {
                            variant: label.to_owned(),
                        })?;
                paths.push(path);
            }
            paths
                .into_iter()
                .map(|path| {
                    relative_path(&folder, &path)
                        .map_err(|source| RenderError::Write { path, source })
                })
                .collect()
        }
    }
}

/// The `ADAPTER` value: the adapter's path relative to `ollama/`, like the FROM lines. An
/// `hf.co` reference names a model, not an adapter file, so Modelfiles that point at the Hub
/// get none (and a comment saying so).
fn adapter_line(
    ctx: &RenderContext,
    variant: &ResolvedVariant,
    label: &str,
    style: FromStyle,
) -> Result<Option<String>, RenderError> {
    let Some(adapter) = &variant.adapter else {
        return Ok(None);
    };
    if from_hub(ctx.resolved, style) {
        return Ok(None);
    }
    let path = adapter
        .local_path
        .clone()
        .ok_or_else(|| RenderError::NoLocalPath {
            variant: label.to_owned(),
        })?;
    relative_path(&ctx.out_dir.join(DIR), &path)
        .map(Some)
        .map_err(|source| RenderError::Write { path, source })
}

/// Whether a Modelfile's FROM lines are `hf.co/...` references.
fn from_hub(resolved: &Resolved, style: FromStyle) -> bool {
    matches!(
        (&resolved.origin, style),
        (Origin::Hub { .. }, _) | (_, FromStyle::Hub)
    )
}

/// The PARSER for a variant: the built-in parser of its chat template's family, if the
/// template is recognisably one (see [`crate::ollama::FAMILY_PARSERS`]).
pub fn variant_parser(variant: &ResolvedVariant) -> Option<&'static FamilyParser> {
    family_parser(&variant.chat.jinja.value)
}

/// Who builds a variant's prompt in Ollama versions `range`, given the Go TEMPLATE it is
/// published with (if any) and the Jinja template its GGUF carries (only a template in the
/// GGUF header is visible to Ollama).
pub fn prompt_selection(
    variant: &ResolvedVariant,
    template: Option<&str>,
    range: VersionRange,
) -> Selection {
    let facts = PromptFacts {
        go_template: template,
        renderer: None,
        parser: variant_parser(variant).map(|row| row.parser),
        gguf_jinja: variant
            .chat
            .in_gguf
            .then_some(variant.chat.jinja.value.as_str()),
    };
    select(&facts, range)
}

/// The capabilities to declare when creating a variant (`info.capabilities`): what the
/// prompt builder current Ollama picks declares (tools, thinking), and `vision` when the
/// variant has a projector.
pub fn declared_capabilities(variant: &ResolvedVariant, template: Option<&str>) -> Vec<String> {
    let selection = prompt_selection(variant, template, VersionRange::CURRENT);
    let facts = match selection.builder {
        PromptBuilder::GoTemplate => selection.go,
        PromptBuilder::GgufJinja => selection.jinja,
        PromptBuilder::Renderer(_) | PromptBuilder::Raw => None,
    };
    let mut names: Vec<String> = facts
        .iter()
        .flat_map(|f| f.capabilities.iter().map(|c| c.as_str().to_owned()))
        .collect();
    if variant.projector.is_some() {
        names.push("vision".into());
    }
    names
}

/// One line for people: who builds the prompt in current Ollama and why, and what that means
/// when it is not the TEMPLATE.
pub fn prompt_builder_note(selection: &Selection) -> String {
    let mut note = format!(
        "Prompt builder in current Ollama ({}): {}, because {}.",
        selection.range.label(),
        selection.builder,
        selection.reason
    );
    if selection.builder == PromptBuilder::GgufJinja {
        note.push_str(" The TEMPLATE below serves older servers only; current ones build the prompt as llama.cpp does.");
    }
    note
}

/// The LICENSE text: the license's own text when the manifest has it, else its name and link.
pub fn license_text(resolved: &Resolved) -> String {
    let license = &resolved.family.license;
    match (&license.text, &license.link) {
        (Some(text), _) => text.clone(),
        (None, Some(link)) => format!("{}\n{link}", license.name),
        (None, None) => license.name.clone(),
    }
}

/// The Modelfile text of a variant, with its explanatory comments.
pub fn modelfile_text(
    ctx: &RenderContext,
    model: &ResolvedModel,
    variant: &ResolvedVariant,
    style: FromStyle,
) -> Result<String, RenderError> {
    let resolved = ctx.resolved;
    let modelfile = modelfile(ctx, model, variant, style)?;
    let names = variant
        .ollama_names
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let mut comments = vec![
        format!(
            "Generated by ruvltra-export from `{}`: edit the manifest, not this file.",
            resolved.manifest
        ),
        format!(
            "{} {} ({}, {}). Publish as: {names}",
            model.name.value, variant.size_label.value, variant.quant.value, variant.file
        ),
    ];
    comments.push(prompt_builder_note(&prompt_selection(
        variant,
        modelfile.template.as_deref(),
        VersionRange::CURRENT,
    )));
    if resolved.fixtures {
        comments.push(
            "Made from local test fixtures: sizes and digests are not the published files'.".into(),
        );
    }
    if let OllamaChat::Converted {
        verified: false, ..
    } = &variant.chat.ollama
    {
        comments.push(
            "WARNING: this TEMPLATE did not pass verification against the model's Jinja chat template (written with --allow-unverified)."
                .into(),
        );
    }
    if let Some(projector) = &variant.projector
        && from_hub(resolved, style)
    {
        comments.push(format!(
            "The multimodal projector `{}` (in {}) has no FROM line: Ollama documents no way to name a projector in an hf.co reference. For image input, download both files and generate with --from local.",
            projector.file, resolved.hub.repo
        ));
    }
    if let Some(adapter) = &variant.adapter
        && from_hub(resolved, style)
    {
        comments.push(format!(
            "The LoRA adapter `{}` (in {}) has no ADAPTER line: an hf.co reference names a model, not an adapter file. Download both files and generate with --from local, or add `ADAPTER ./{}` by hand next to the downloaded file.",
            adapter.file,
            resolved.hub.repo,
            adapter.file.rsplit('/').next().unwrap_or(&adapter.file)
        ));
    }
    let refs: Vec<&str> = comments.iter().map(String::as_str).collect();
    modelfile
        .write_with_comments(&refs)
        .map_err(|source| RenderError::Modelfile {
            variant: format!("{}/{}", model.key, variant.key),
            source,
        })
}
