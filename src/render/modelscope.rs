//! ModelScope outputs: per model one repository's files — `configuration.json`, `README.md`
//! with the front matter ModelScope reads, and `files.json` mapping each published GGUF name
//! (`<base>-<QUANT>.gguf`, so `ollama run modelscope.cn/owner/repo:QUANT` resolves) to its
//! source file, size and SHA-256.

use serde_json::json;

use super::RenderContext;
use super::error::RenderError;
use super::ollama::pretty;
use super::output::OutputTree;
use crate::manifest::{ResolvedModel, ResolvedVariant};

/// The folder of the ModelScope outputs inside `--out`.
pub const DIR: &str = "modelscope";

/// The repository name of a model: the manifest's, else `<Family>-<key>-GGUF`.
pub fn repo_name(family: &str, model: &ResolvedModel) -> String {
    model
        .modelscope_repo
        .clone()
        .unwrap_or_else(|| format!("{family}-{}-GGUF", model.key))
}

/// The published file names of a variant: `<base>-<QUANT>.gguf`, or with split parts
/// `<base>-<QUANT>-00001-of-00002.gguf`, where base is the repository name without `-GGUF`.
pub fn published_names(repo: &str, variant: &ResolvedVariant) -> Vec<String> {
    let base = repo
        .strip_suffix("-GGUF")
        .or_else(|| repo.strip_suffix("-gguf"))
        .unwrap_or(repo);
    let quant = &variant.quant.value;
    if variant.parts.len() <= 1 {
        return vec![format!("{base}-{quant}.gguf")];
    }
    let count = variant.parts.len();
    (1..=count)
        .map(|n| format!("{base}-{quant}-{n:05}-of-{count:05}.gguf"))
        .collect()
}

/// Adds every ModelScope output to `tree` (nothing when the manifest has no `[modelscope]`).
pub fn render(ctx: &RenderContext, tree: &mut OutputTree) -> Result<(), RenderError> {
    let resolved = ctx.resolved;
    let Some(target) = &resolved.targets.modelscope else {
        return Ok(());
    };
    for model in &resolved.models {
        let repo = repo_name(&resolved.family.name, model);
        let folder = format!("{DIR}/{repo}");
        let mut files = Vec::new();
        let mut quants: Vec<String> = Vec::new();
        for variant in &model.variants {
            let names = published_names(&repo, variant);
            for (name, source) in names.iter().zip(&variant.parts) {
                let first = source == &variant.file;
                files.push(json!({
                    "path": name,
                    "source": source,
                    "variant": variant.key,
                    "quant": variant.quant.value,
                    // Size and digest are known per variant for the first part; a split
                    // model's total is on its first part.
                    "size": if first { Some(variant.size_bytes.value) } else { None },
                    "sha256": if first { variant.sha256.as_ref().map(|s| s.value.clone()) } else { None },
                }));
            }
            // The projector keeps its own name; variants sharing one list it once.
            if let Some(projector) = &variant.projector
                && !files.iter().any(|f| f["source"] == projector.file.as_str())
            {
                let name = projector.file.rsplit('/').next().unwrap_or(&projector.file);
                files.push(json!({
                    "path": name,
                    "source": projector.file,
                    "variant": variant.key,
                    "projector": true,
                    "size": projector.size_bytes.value,
                    "sha256": projector.sha256.as_ref().map(|s| s.value.clone()),
                }));
            }
            // The adapter too: its own name, listed once.
            if let Some(adapter) = &variant.adapter
                && !files.iter().any(|f| f["source"] == adapter.file.as_str())
            {
                let name = adapter.file.rsplit('/').next().unwrap_or(&adapter.file);
                files.push(json!({
                    "path": name,
                    "source": adapter.file,
                    "variant": variant.key,
                    "adapter": true,
                    "size": adapter.size_bytes.value,
                    "sha256": adapter.sha256.as_ref().map(|s| s.value.clone()),
                }));
            }
            if !quants.contains(&variant.quant.value) {
                quants.push(variant.quant.value.clone());
            }
        }
        let configuration = json!({
            "framework": "pytorch",
            "task": "text-generation",
        });
        tree.insert(
            format!("{folder}/configuration.json"),
            pretty(&configuration),
        );
        tree.insert(
            format!("{folder}/files.json"),
            pretty(&json!({
                "repo": format!("{}/{repo}", target.owner),
                "fixtures": resolved.fixtures,
                "files": files,
            })),
        );
        let mut tags: Vec<String> = resolved.family.tags.clone();
        tags.push("GGUF".into());
        tags.extend(quants.iter().cloned());
        let readme = ctx.templates.render(
            "modelscope/README.md",
            minijinja::context! {
                resolved => resolved,
                model => model,
                repo => format!("{}/{repo}", target.owner),
                tags => tags,
                quants => quants,
                files => files,
                license_id => resolved.family.license.id,
            },
        )?;
        tree.insert(format!("{folder}/README.md"), readme);
    }
    Ok(())
}
