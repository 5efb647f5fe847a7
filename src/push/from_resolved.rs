//! From generated outputs to what the backends send: a resolved family plus its rendered
//! [`OutputTree`] become [`Release`]s, so a push sends exactly what the generators wrote.
//!
//! - ollama, oci and bundle get one [`OllamaModel`] per Ollama name of every variant, with
//!   the template, system prompt, licenses, parameters and messages parsed back from the
//!   variant's generated Modelfile (never rebuilt on a second path that could drift).
//! - modelscope gets, per model, the generated repository files plus the GGUFs under their
//!   published `<base>-<QUANT>.gguf` names ([`ModelScopeRelease`]).
//! - huggingface gets the card and the repository-root files ([`hub_release`]).
//!
//! GGUF bytes are found through [`GgufPaths`]: the local folder's files, or the Hub downloads
//! in the cache.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::error::PushError;
use super::oci::{ModelFacts, SourceRepository, creation_seconds, gguf_general_keys, rfc3339};
use super::release::{ArtifactFile, ModelConfig, OllamaMessage, OllamaModel, Release};
use crate::gguf::GgufHeader;
use crate::manifest::{
    Origin, Resolved, ResolvedModel, ResolvedValue, ResolvedVariant, Visibility,
};
use crate::modelfile::Modelfile;
use crate::ollama::Parameter;
use crate::render::OutputTree;
use crate::source::RepoId;
use crate::template::ollama::OllamaTemplate;

/// Where each GGUF lives on this machine, keyed by its file name in the Hub repository
/// (`ResolvedVariant::parts`).
pub type GgufPaths = BTreeMap<String, PathBuf>;

/// The ModelScope repository of one model and what goes into it.
#[derive(Debug, Clone)]
pub struct ModelScopeRelease {
    /// The model's manifest key.
    pub model: String,
    /// The repository, `owner/name`.
    pub repo: RepoId,
    /// Who may see the repository if the backend creates it, from the manifest.
    pub visibility: Visibility,
    /// The generated files and the GGUFs.
    pub release: Release,
}

/// The GGUF paths of a family read from a local folder (`--from local`): every part next to
/// the variant's first file.
pub fn local_gguf_paths(resolved: &Resolved) -> Result<GgufPaths, PushError> {
    let mut paths = GgufPaths::new();
    for (model, variant) in resolved.variants() {
        let first = variant.local_path.as_ref().ok_or_else(|| {
            PushError::input(format!(
                "`{}/{}` has no local file (resolved from the Hub): download it first",
                model.key, variant.key
            ))
        })?;
        for part in &variant.parts {
            paths.insert(part.clone(), first.with_file_name(part));
        }
        let companions = [
            variant
                .projector
                .as_ref()
                .map(|p| ("projector", &p.file, &p.local_path)),
            variant
                .adapter
                .as_ref()
                .map(|a| ("adapter", &a.file, &a.local_path)),
        ];
        for (role, file, local_path) in companions.into_iter().flatten() {
            let path = local_path.clone().ok_or_else(|| {
                PushError::input(format!(
                    "`{}/{}`: the {role} `{file}` has no local file",
                    model.key, variant.key
                ))
            })?;
            paths.insert(file.clone(), path);
        }
    }
    Ok(paths)
}

/// Every repository file a variant needs: its GGUF parts, then its projector and its
/// adapter, if any.
pub fn variant_files(variant: &ResolvedVariant) -> impl Iterator<Item = &str> {
    variant
        .parts
        .iter()
        .map(String::as_str)
        .chain(variant.projector.iter().map(|p| p.file.as_str()))
        .chain(variant.adapter.iter().map(|a| a.file.as_str()))
}

/// Ollama's human parameter count (`model_type`): `494.03M`, `1.1B`, `7B`, `12K`.
pub fn ollama_model_type(parameters: u64) -> String {
    const THOUSAND: f64 = 1e3;
    const MILLION: f64 = 1e6;
    const BILLION: f64 = 1e9;
    let n = parameters as f64;
    let whole = |x: f64| x == x.floor();
    if n >= BILLION {
        let x = n / BILLION;
        if whole(x) {
            format!("{x:.0}B")
        } else {
            format!("{x:.1}B")
        }
    } else if n >= MILLION {
        let x = n / MILLION;
        if whole(x) {
            format!("{x:.0}M")
        } else {
            format!("{x:.2}M")
        }
    } else if n >= THOUSAND {
        format!("{:.0}K", n / THOUSAND)
    } else {
        parameters.to_string()
    }
}

/// One [`OllamaModel`] per Ollama name of every variant, from the variant's generated
/// Modelfile (`ollama/<model>-<variant>.Modelfile` in `tree`).
pub fn ollama_models(
    resolved: &Resolved,
    tree: &OutputTree,
    ggufs: &GgufPaths,
) -> Result<Vec<OllamaModel>, PushError> {
    let mut models = Vec::new();
    for (model, variant) in resolved.variants() {
        let modelfile = generated_modelfile(tree, model, variant)?;
        let gguf = variant_paths(ggufs, model, variant)?;
        let projector = variant
            .projector
            .as_ref()
            .map(|p| local_copy(ggufs, model, variant, &p.file))
            .transpose()?;
        let adapter = variant
            .adapter
            .as_ref()
            .map(|a| local_copy(ggufs, model, variant, &a.file))
            .transpose()?;
        let files = gguf.iter().chain(&projector).chain(&adapter);
        let facts = model_facts(resolved, tree, model, variant, &modelfile, files)?;
        for name in &variant.ollama_names {
            let mut ollama = OllamaModel::new(name.clone(), gguf[0].clone());
            ollama.gguf = gguf.clone();
            ollama.projectors = projector.iter().cloned().collect();
            ollama.adapters = adapter.iter().cloned().collect();
            ollama.template = modelfile.template.clone();
            ollama.system = modelfile.system.clone();
            ollama.licenses = modelfile.license.clone();
            ollama.params = modelfile.parameters.to_json();
            ollama.parser = modelfile.parser.clone();
            ollama.requires = modelfile.requires.clone();
            ollama.capabilities = crate::render::ollama::declared_capabilities(
                variant,
                modelfile.template.as_deref(),
            );
            ollama.messages = modelfile
                .messages
                .iter()
                .map(|m| OllamaMessage {
                    role: m.role.as_str().to_owned(),
                    content: m.content.clone(),
                })
                .collect();
            ollama.config = ModelConfig {
                model_family: variant.architecture.value.clone(),
                model_families: vec![variant.architecture.value.clone()],
                model_type: ollama_model_type(variant.parameter_count.value),
                file_type: variant.quant.value.clone(),
                ..ModelConfig::default()
            };
            ollama.facts = Some(facts.clone());
            models.push(ollama);
        }
    }
    Ok(models)
}

/// What the Docker Model Runner and ModelPack formats state about one variant: the
/// resolved facts, the `general.*` keys of its first GGUF, the capabilities its generated
/// Go template shows (what Ollama reports as `tools` and `thinking`), and the card.
fn model_facts<'a>(
    resolved: &Resolved,
    tree: &OutputTree,
    model: &ResolvedModel,
    variant: &ResolvedVariant,
    modelfile: &Modelfile,
    files: impl Iterator<Item = &'a PathBuf>,
) -> Result<ModelFacts, PushError> {
    let files: Vec<&PathBuf> = files.collect();
    let first = files.first().ok_or_else(|| {
        PushError::input(format!("`{}/{}` has no GGUF file", model.key, variant.key))
    })?;
    let header = GgufHeader::read_path(first).map_err(|e| {
        PushError::input(format!(
            "`{}/{}`: cannot read the GGUF header of `{}`: {e}",
            model.key,
            variant.key,
            first.display()
        ))
    })?;
    let template = modelfile
        .template
        .as_deref()
        .and_then(|t| OllamaTemplate::parse(t).ok());
    let source = match &resolved.origin {
        Origin::Hub { endpoint } => resolved.hub.commit.as_ref().map(|commit| SourceRepository {
            url: format!("{}/{}", endpoint.trim_end_matches('/'), resolved.hub.repo),
            revision: commit.value.clone(),
        }),
        Origin::Local { .. } => None,
    };
    Ok(ModelFacts {
        name: model.name.value.clone(),
        family: resolved.family.name.clone(),
        version: variant.key.clone(),
        description: model.description.value.clone(),
        authors: vec![resolved.family.publisher.clone()],
        license_id: resolved.family.license.id.clone(),
        source,
        created: rfc3339(creation_seconds(None, files.iter().map(|p| p.as_path()))),
        architecture: variant.architecture.value.clone(),
        parameter_count: variant.parameter_count.value,
        quantization: variant.quant.value.clone(),
        context_size: variant
            .parameter(Parameter::NumCtx)
            .and_then(ResolvedValue::as_int)
            .and_then(|n| u64::try_from(n).ok())
            .or(Some(variant.context_length.value)),
        gguf_general: gguf_general_keys(&header),
        chat_template: Some(variant.chat.jinja.value.clone()),
        tool_use: template.as_ref().is_some_and(OllamaTemplate::uses_tools),
        reasoning: template.as_ref().is_some_and(OllamaTemplate::uses_thinking),
        readme: tree
            .get(crate::render::card::README)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned()),
    })
}

/// Per model with a ModelScope repository: the generated files of `modelscope/<repo>/` and
/// the GGUFs under their published names. Empty when the manifest has no `[modelscope]`.
pub fn modelscope_releases(
    resolved: &Resolved,
    tree: &OutputTree,
    ggufs: &GgufPaths,
) -> Result<Vec<ModelScopeRelease>, PushError> {
    let Some(target) = &resolved.targets.modelscope else {
        return Ok(Vec::new());
    };
    let mut releases = Vec::new();
    for model in &resolved.models {
        let repo = crate::render::modelscope::repo_name(&resolved.family.name, model);
        let prefix = format!("{}/{repo}/", crate::render::modelscope::DIR);
        let mut files: Vec<ArtifactFile> = tree
            .files()
            .filter_map(|(path, bytes)| {
                path.strip_prefix(&prefix)
                    .map(|rest| ArtifactFile::inline(rest, bytes.to_vec()))
            })
            .collect();
        if files.is_empty() {
            return Err(PushError::input(format!(
                "no ModelScope files were generated for `{}` (expected `{prefix}*`)",
                model.key
            )));
        }
        for variant in &model.variants {
            let names = crate::render::modelscope::published_names(&repo, variant);
            let paths = variant_paths(ggufs, model, variant)?;
            for (name, path) in names.into_iter().zip(paths) {
                files.push(ArtifactFile::from_path(name, path)?);
            }
            // The projector keeps its own name (as in the generated `files.json`), once.
            if let Some(projector) = &variant.projector {
                let name = projector.file.rsplit('/').next().unwrap_or(&projector.file);
                if !files.iter().any(|f| f.repo_path == name) {
                    let path = local_copy(ggufs, model, variant, &projector.file)?;
                    files.push(ArtifactFile::from_path(name, path)?);
                }
            }
            // The adapter likewise.
            if let Some(adapter) = &variant.adapter {
                let name = adapter.file.rsplit('/').next().unwrap_or(&adapter.file);
                if !files.iter().any(|f| f.repo_path == name) {
                    let path = local_copy(ggufs, model, variant, &adapter.file)?;
                    files.push(ArtifactFile::from_path(name, path)?);
                }
            }
        }
        let repo = RepoId::new(&target.owner, &repo).map_err(|reason| {
            PushError::input(format!(
                "the ModelScope repository `{}/{repo}` of `{}` is not a repository id: {reason}",
                target.owner, model.key
            ))
        })?;
        releases.push(ModelScopeRelease {
            model: model.key.clone(),
            repo,
            visibility: target.visibility,
            release: Release {
                models: Vec::new(),
                files,
            },
        });
    }
    Ok(releases)
}

/// The Hub repository's files: everything under `hub/` (the card `README.md`, `template`,
/// `system`, `params` and the per-variant Modelfiles the card links to), plus, only when
/// `hub_preset` is set, `llamacpp/preset.ini` as the root `preset.ini` and next to it the
/// `chat-template-<sha12>.jinja` files its `chat-template-file` keys name (one per GGUF
/// without a chat template): a preset naming a file the repository lacks serves no one.
pub fn hub_release(tree: &OutputTree, hub_preset: bool) -> Release {
    let prefix = format!("{}/", crate::render::card::DIR);
    let mut files: Vec<ArtifactFile> = tree
        .files()
        .filter_map(|(path, bytes)| {
            path.strip_prefix(&prefix)
                .map(|rest| ArtifactFile::inline(rest, bytes.to_vec()))
        })
        .collect();
    if hub_preset && let Some(preset) = tree.get("llamacpp/preset.ini") {
        files.push(ArtifactFile::inline("preset.ini", preset.to_vec()));
        let llamacpp = format!("{}/", crate::render::llamacpp::DIR);
        files.extend(tree.files().filter_map(|(path, bytes)| {
            path.strip_prefix(&llamacpp)
                .filter(|name| name.ends_with(".jinja") && !name.contains('/'))
                .map(|name| ArtifactFile::inline(name, bytes.to_vec()))
        }));
    }
    Release {
        models: Vec::new(),
        files,
    }
}

fn generated_modelfile(
    tree: &OutputTree,
    model: &ResolvedModel,
    variant: &ResolvedVariant,
) -> Result<Modelfile, PushError> {
    let path = crate::render::ollama::modelfile_path(model, variant);
    let text = tree.get(&path).ok_or_else(|| {
        PushError::input(format!(
            "`{path}` was not generated: render the Ollama target before pushing it"
        ))
    })?;
    Modelfile::parse(text).map_err(|e| {
        PushError::input(format!(
            "the generated `{path}` does not parse back ({e}): this is a bug in the Ollama renderer"
        ))
    })
}

fn variant_paths(
    ggufs: &GgufPaths,
    model: &ResolvedModel,
    variant: &ResolvedVariant,
) -> Result<Vec<PathBuf>, PushError> {
    let paths: Vec<PathBuf> = variant
        .parts
        .iter()
        .map(|part| local_copy(ggufs, model, variant, part))
        .collect::<Result<_, _>>()?;
    if paths.is_empty() {
        return Err(PushError::input(format!(
            "`{}/{}` has no GGUF file",
            model.key, variant.key
        )));
    }
    Ok(paths)
}

fn local_copy(
    ggufs: &GgufPaths,
    model: &ResolvedModel,
    variant: &ResolvedVariant,
    file: &str,
) -> Result<PathBuf, PushError> {
    ggufs.get(file).cloned().ok_or_else(|| {
        PushError::input(format!(
            "`{}/{}`: no local copy of `{file}` (neither in the source folder nor downloaded)",
            model.key, variant.key
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_type_matches_ollamas_human_numbers() {
        assert_eq!(ollama_model_type(494_032_768), "494.03M");
        assert_eq!(ollama_model_type(1_100_048_384), "1.1B");
        assert_eq!(ollama_model_type(7_000_000_000), "7B");
        assert_eq!(ollama_model_type(12_000), "12K");
        assert_eq!(ollama_model_type(999), "999");
    }

    #[test]
    fn hub_release_takes_hub_files_and_the_preset_only_when_asked() {
        let mut tree = OutputTree::new();
        tree.insert("hub/README.md", "card");
        tree.insert("hub/template", "t");
        tree.insert("llamacpp/preset.ini", "[x]");
        tree.insert("llamacpp/chat-template-0123456789ab.jinja", "{{ x }}");
        tree.insert("ollama/a.Modelfile", "FROM x");
        let paths =
            |r: &Release| -> Vec<String> { r.files.iter().map(|f| f.repo_path.clone()).collect() };
        assert_eq!(paths(&hub_release(&tree, false)), ["README.md", "template"]);
        assert_eq!(
            paths(&hub_release(&tree, true)),
            [
                "README.md",
                "template",
                "preset.ini",
                "chat-template-0123456789ab.jinja"
            ]
        );
    }
}
