//! Resolution: the manifest, the selected variants and each file's facts become one
//! [`Resolved`] family. Conflicts between sources are collected and reported together.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use super::error::Location;
use super::provenance::{Conflict, Provenance, Sourced};
use super::resolve::{
    CardBenchmark, CardTarget, LOCK_VERSION, OciTarget, OllamaChat, Origin, Resolved, ResolvedChat,
    ResolvedFamily, ResolvedHub, ResolvedLicense, ResolvedMessage, ResolvedModel,
    ResolvedParameter, ResolvedValue, Targets,
};
use super::resolve_chat::{ChatCheck, ChatConverter, ChatInput, check_chat, default_template};
use super::resolve_error::ResolveError;
use super::resolve_files::FileSource;
use super::resolve_variant::VariantResolver;
use super::schema::{ChatTemplateSource, License, Manifest, ModelEntry, VariantEntry};
use crate::gguf::GgufHeader;
use crate::ollama::{ModelName, ParamValue, Parameter};
use crate::push::oci::OciFormat;

/// The largest license or chat-template file the manifest may name.
pub const MAX_TEXT_FILE_BYTES: u64 = 1 << 20;

/// Resolves the variants `selection` names (all for an empty list) against `files`.
///
/// Every disagreement between the manifest, the headers and the file names is collected and
/// returned at once as [`ResolveError::Conflicts`].
pub fn resolve(
    manifest: &Manifest,
    selection: &[String],
    files: &mut dyn FileSource,
    origin: Origin,
    converter: &mut ChatConverter,
) -> Result<Resolved, ResolveError> {
    let selected = manifest.select_variants(selection)?;
    let wanted: Vec<&str> = selected.iter().map(|(_, v)| v.file.as_str()).collect();
    files.prepare(&wanted);
    let path = manifest.path.display().to_string();
    let mut models: Vec<ResolvedModel> = Vec::new();
    let mut first_header_name: HashMap<String, String> = HashMap::new();
    let mut base_model_from_header = None;
    let mut variants = VariantResolver::new(manifest, files, converter);
    for (model, variant) in selected {
        let label = format!("{}/{}", model.key, variant.key);
        let facts = variants.files().facts(&variant.file, &label)?;
        if let Some(name) = facts.header.name() {
            first_header_name
                .entry(model.key.clone())
                .or_insert_with(|| name.to_owned());
        }
        if base_model_from_header.is_none() {
            base_model_from_header = header_base_model(&facts.header, &variant.file);
        }
        let resolved = variants.resolve(model, variant, facts)?;
        match models.iter_mut().find(|m| m.key == model.key) {
            Some(m) => m.variants.push(resolved),
            None => {
                let ollama_model =
                    manifest
                        .ollama_name(model)
                        .map_err(|source| ResolveError::Name {
                            model: model.key.clone(),
                            source,
                        })?;
                models.push(ResolvedModel {
                    key: model.key.clone(),
                    name: Sourced::new(String::new(), Provenance::BuiltInDefault),
                    description: model_description(manifest, model, &path),
                    default_variant: model.default_variant.clone(),
                    ollama_model,
                    modelscope_repo: model.modelscope_repo.clone(),
                    variants: vec![resolved],
                })
            }
        }
    }
    for model in &mut models {
        model.name = model_name(manifest, &model.key, &path, &first_header_name);
    }
    let conflicts = variants.take_conflicts();
    if !conflicts.is_empty() {
        return Err(ResolveError::Conflicts(conflicts));
    }
    check_unique_names(&models)?;
    let family = &manifest.family;
    Ok(Resolved {
        lock_version: LOCK_VERSION,
        manifest: path.clone(),
        selection: selection.to_vec(),
        fixtures: manifest.source.fixtures && matches!(origin, Origin::Local { .. }),
        origin,
        family: ResolvedFamily {
            name: family.name.clone(),
            description: family.description.clone(),
            publisher: family.publisher.clone(),
            base_model: family
                .base_model
                .clone()
                .map(|b| Sourced::new(b, manifest_at(&path, Location::default())))
                .or(base_model_from_header),
            license: license(manifest)?,
            languages: family.languages.clone(),
            tags: family.tags.clone(),
            default_model: family.default_model.clone(),
        },
        hub: ResolvedHub {
            repo: manifest.hub.repo.clone(),
            revision: manifest.hub.revision.clone(),
            commit: variants.files().commit(),
        },
        models,
        targets: targets(manifest),
    })
}

pub(super) fn manifest_at(path: &str, location: Location) -> Provenance {
    Provenance::Manifest {
        path: path.to_owned(),
        location,
        intended: false,
    }
}

pub(super) fn header_at(file: &str, key: &str) -> Provenance {
    Provenance::GgufHeader {
        file: file.to_owned(),
        key: key.to_owned(),
    }
}

fn model_name(
    manifest: &Manifest,
    key: &str,
    path: &str,
    header_names: &HashMap<String, String>,
) -> Sourced<String> {
    let Some(entry) = manifest.model(key) else {
        return Sourced::new(key.to_owned(), Provenance::BuiltInDefault);
    };
    match (&entry.name, header_names.get(key)) {
        (Some(name), _) => Sourced::new(name.clone(), manifest_at(path, entry.location)),
        (None, Some(name)) => Sourced::new(
            name.clone(),
            header_at(
                entry
                    .default_variant()
                    .map(|v| v.file.as_str())
                    .unwrap_or(key),
                "general.name",
            ),
        ),
        (None, None) => Sourced::new(key.to_owned(), Provenance::BuiltInDefault),
    }
}

fn model_description(manifest: &Manifest, model: &ModelEntry, path: &str) -> Sourced<String> {
    match &model.description {
        Some(d) => Sourced::new(d.clone(), manifest_at(path, model.location)),
        None => Sourced::new(
            manifest.family.description.clone(),
            manifest_at(path, Location::default()),
        ),
    }
}

fn header_base_model(header: &GgufHeader, file: &str) -> Option<Sourced<String>> {
    let base = header.base_models().into_iter().next()?;
    let repo = base
        .repo_url
        .as_deref()
        .and_then(|u| u.strip_prefix("https://huggingface.co/"))
        .map(str::to_owned)?;
    Some(Sourced::new(
        repo,
        header_at(file, "general.base_model.0.repo_url"),
    ))
}

/// The value reconciled, or (recording the conflict) the files' value so resolution can go
/// on and report every conflict at once.
pub(super) fn keep<T>(
    conflicts: &mut Vec<Conflict>,
    result: Result<Sourced<T>, Box<Conflict>>,
    fallback: Sourced<T>,
) -> Sourced<T> {
    match result {
        Ok(value) => value,
        Err(conflict) => {
            conflicts.push(*conflict);
            fallback
        }
    }
}

pub(super) fn resolve_chat(
    manifest: &Manifest,
    model: &ModelEntry,
    variant: &VariantEntry,
    header: &GgufHeader,
    converter: &mut ChatConverter,
) -> Result<ResolvedChat, ResolveError> {
    let path = manifest.path.display().to_string();
    let file = variant.file.as_str();
    let over = manifest
        .settings_for(model, variant)
        .into_iter()
        .rev()
        .find_map(|s| s.chat_template.as_ref());
    let mut default_reason = None;
    let jinja = match over {
        Some(claim) => {
            let text = match &claim.value {
                ChatTemplateSource::Inline(text) => text.clone(),
                ChatTemplateSource::File(rel) => {
                    read_text_file(manifest, rel).map_err(|source| ResolveError::TemplateFile {
                        path: manifest.base_dir().join(rel),
                        source,
                    })?
                }
            };
            Sourced::new(
                text,
                Provenance::Manifest {
                    path: path.clone(),
                    location: claim.location,
                    intended: claim.intended,
                },
            )
        }
        None => match header.chat_template() {
            Some(t) => Sourced::new(t.to_owned(), header_at(file, "tokenizer.chat_template")),
            None => {
                let chosen =
                    default_template(header).map_err(|reason| ResolveError::NoChatTemplate {
                        file: file.to_owned(),
                        reason,
                        model: model.key.clone(),
                    })?;
                default_reason = Some(format!("built-in `{}`: {}", chosen.name, chosen.reason));
                Sourced::new(chosen.jinja, Provenance::BuiltInDefault)
            }
        },
    };
    let tokens = header.special_tokens();
    let text = |t: &Option<crate::gguf::SpecialToken>| t.as_ref().and_then(|t| t.text.clone());
    let input = ChatInput {
        jinja: jinja.value.clone(),
        bos_token: text(&tokens.bos),
        eos_token: text(&tokens.eos),
        end_of_turn: [text(&tokens.eot), text(&tokens.eom)]
            .into_iter()
            .flatten()
            .collect(),
        add_bos_token: header.add_bos_token(),
    };
    let ollama = match converter.convert(&input) {
        Ok(out) => {
            let manifest_stop = manifest
                .settings_for(model, variant)
                .into_iter()
                .rev()
                .find_map(|s| s.stop.as_ref());
            let stop = match manifest_stop {
                Some(claim) => Sourced::from_claim(claim, &path),
                None => Sourced::new(out.stop, jinja.provenance.clone()),
            };
            OllamaChat::Converted {
                template: out.template,
                stop,
                verified: out.verified,
                mismatch: out.mismatch,
                notes: out.notes,
            }
        }
        Err(reason) => OllamaChat::Failed { reason },
    };
    let checked = check_chat(
        ChatCheck {
            manifest,
            model,
            variant,
            header,
            input: &input,
            provenance: &jinja.provenance,
        },
        ollama,
        converter,
    )?;
    Ok(ResolvedChat {
        jinja_sha256: hex::encode(Sha256::digest(jinja.value.as_bytes())),
        in_gguf: header.chat_template().is_some()
            && matches!(jinja.provenance, Provenance::GgufHeader { .. }),
        jinja,
        bos_token: input.bos_token,
        eos_token: input.eos_token,
        ollama: checked.ollama,
        default_reason,
        lost_roles: checked.lost_roles,
        fit_warnings: checked.fit_warnings,
    })
}

/// The text of a license or template file the manifest names, `relative` to the manifest's
/// folder: confined to that folder and capped at [`MAX_TEXT_FILE_BYTES`], so a manifest
/// publishes only files beside it and a device or FIFO cannot hang or exhaust the run.
pub(super) fn read_text_file(
    manifest: &Manifest,
    relative: &std::path::Path,
) -> Result<String, crate::text_file::ReadError> {
    crate::text_file::read_text_inside(&manifest.base_dir(), relative, MAX_TEXT_FILE_BYTES)
}

type Settings = (
    Vec<ResolvedParameter>,
    Option<Sourced<String>>,
    Vec<ResolvedMessage>,
);

pub(super) fn resolve_settings(
    manifest: &Manifest,
    model: &ModelEntry,
    variant: &VariantEntry,
    chat: &ResolvedChat,
    context_length: &Sourced<u64>,
    conflicts: &mut Vec<Conflict>,
) -> Settings {
    let path = manifest.path.display().to_string();
    let mut scalars: BTreeMap<Parameter, Sourced<ParamValue>> = BTreeMap::new();
    let mut messages = Vec::new();
    for settings in manifest.settings_for(model, variant) {
        for (param, claim) in &settings.parameters {
            scalars.insert(*param, Sourced::from_claim(claim, &path));
        }
        if !settings.messages.is_empty() {
            messages = settings
                .messages
                .iter()
                .map(|m| ResolvedMessage {
                    role: m.role,
                    content: m.content.clone(),
                })
                .collect();
        }
    }
    if let Some(num_ctx) = scalars.get(&Parameter::NumCtx) {
        if let ParamValue::Int(n) = num_ctx.value {
            let window = u64::try_from(n).unwrap_or(0);
            if window > context_length.value && !num_ctx.is_intended_override() {
                conflicts.push(Conflict {
                    what: format!("context window of `{}`", variant.file),
                    ours: format!("num_ctx = {n}"),
                    ours_source: num_ctx.provenance.clone(),
                    theirs: format!("a context length of {}", context_length.value),
                    theirs_source: context_length.provenance.clone(),
                    hint: " (lower `num_ctx`, or mark it `{ value = ..., intended = true }`)"
                        .into(),
                });
            }
        }
    }
    let mut parameters: Vec<ResolvedParameter> = scalars
        .into_iter()
        .map(|(parameter, value)| ResolvedParameter {
            parameter,
            value: ResolvedValue::One(value.value),
            provenance: value.provenance,
        })
        .collect();
    if let OllamaChat::Converted { stop, .. } = &chat.ollama {
        if !stop.value.is_empty() {
            parameters.push(ResolvedParameter {
                parameter: Parameter::Stop,
                value: ResolvedValue::Stop(stop.value.clone()),
                provenance: stop.provenance.clone(),
            });
        }
    }
    let system = manifest
        .system_for(model, variant)
        .map(|c| Sourced::from_claim(c, &path));
    (parameters, system, messages)
}

fn license(manifest: &Manifest) -> Result<ResolvedLicense, ResolveError> {
    Ok(match &manifest.family.license {
        License::Id(id) => ResolvedLicense {
            id: id.clone(),
            name: id.clone(),
            link: known_license_link(id).map(str::to_owned),
            text: None,
        },
        License::Custom { name, link, file } => {
            let text = match file {
                Some(rel) => Some(read_text_file(manifest, rel).map_err(|source| {
                    ResolveError::LicenseFile {
                        path: manifest.base_dir().join(rel),
                        source,
                    }
                })?),
                None => None,
            };
            ResolvedLicense {
                id: "other".into(),
                name: name.clone(),
                link: link.clone(),
                text,
            }
        }
    })
}

/// Canonical links for the Hub license ids that are common for GGUF models.
fn known_license_link(id: &str) -> Option<&'static str> {
    Some(match id {
        "apache-2.0" => "https://www.apache.org/licenses/LICENSE-2.0",
        "mit" => "https://opensource.org/licenses/MIT",
        "bsd-3-clause" => "https://opensource.org/licenses/BSD-3-Clause",
        "cc-by-4.0" => "https://creativecommons.org/licenses/by/4.0/",
        "cc-by-sa-4.0" => "https://creativecommons.org/licenses/by-sa/4.0/",
        "cc-by-nc-4.0" => "https://creativecommons.org/licenses/by-nc/4.0/",
        "gpl-3.0" => "https://www.gnu.org/licenses/gpl-3.0.html",
        "llama3.1" => "https://www.llama.com/llama3_1/license/",
        "gemma" => "https://ai.google.dev/gemma/terms",
        _ => return None,
    })
}

fn check_unique_names(models: &[ResolvedModel]) -> Result<(), ResolveError> {
    // Names compare case-insensitively, as Ollama compares them.
    let mut seen: HashMap<&ModelName, String> = HashMap::new();
    for model in models {
        for variant in &model.variants {
            let owner = format!("{}/{}", model.key, variant.key);
            for name in &variant.ollama_names {
                if let Some(first) = seen.insert(name, owner.clone()) {
                    return Err(ResolveError::DuplicateName {
                        name: name.to_string(),
                        first,
                        second: owner,
                    });
                }
            }
        }
    }
    Ok(())
}

fn targets(manifest: &Manifest) -> Targets {
    let card = &manifest.card;
    Targets {
        ollama: manifest.ollama.clone(),
        modelscope: manifest.modelscope.clone(),
        card: CardTarget {
            title: card
                .title
                .clone()
                .unwrap_or_else(|| manifest.family.name.clone()),
            summary: card
                .summary
                .clone()
                .unwrap_or_else(|| manifest.family.description.clone()),
            capabilities: card.capabilities.clone(),
            quantized_by: card.quantized_by.clone(),
            benchmarks: card
                .benchmarks
                .iter()
                .map(|b| CardBenchmark {
                    model: b.model.clone(),
                    variant: b.variant.clone(),
                    name: b.name.clone(),
                    metric: b.metric.clone(),
                    value: b.value,
                    source: b.source.clone(),
                })
                .collect(),
        },
        hub_preset: manifest.llamacpp.hub_preset,
        oci: OciTarget {
            registry: manifest.oci.registry.clone(),
            formats: OciFormat::normalize(&manifest.oci.formats),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::{GgufWriter, Value};
    use crate::manifest::resolve::ModelShape;
    use crate::manifest::resolve_files::FileFacts;

    /// Headers by file name, sized 1 KiB each.
    struct Headers(Vec<(&'static str, GgufHeader)>);

    impl FileSource for Headers {
        fn facts(&mut self, file: &str, _variant: &str) -> Result<FileFacts, ResolveError> {
            let header = self
                .0
                .iter()
                .find(|(name, _)| *name == file)
                .map(|(_, h)| h.clone())
                .unwrap_or_else(|| panic!("no test header `{file}`"));
            Ok(FileFacts {
                header,
                size: Sourced::new(1024, Provenance::BuiltInDefault),
                sha256: None,
                local_path: None,
            })
        }
    }

    fn header(keys: &[(&str, &str)]) -> GgufHeader {
        let mut w = GgufWriter::new();
        for (key, value) in keys {
            w.set(*key, Value::String((*value).to_owned()));
        }
        let mut bytes = Vec::new();
        w.write_to(&mut bytes).unwrap();
        GgufHeader::read(bytes.as_slice(), Some(bytes.len() as u64)).unwrap()
    }

    /// Resolves a one-variant manifest whose model names `adapter = "lora.gguf"` (line 8).
    fn resolve_with_adapter(adapter: GgufHeader) -> ResolveError {
        let text = r#"[family]
name = "RuvLTRA"
description = "Test."
publisher = "ruv"
license = "apache-2.0"
[hub]
repo = "ruv/ruvltra"
[models.small]
adapter = "lora.gguf"
[models.small.variants.q4_k_m]
file = "small-q4_k_m.gguf"
"#;
        let manifest = Manifest::parse(text, std::path::Path::new("ruvltra.toml")).unwrap();
        let model = header(&[("general.architecture", "qwen2")]);
        let mut files = Headers(vec![("small-q4_k_m.gguf", model), ("lora.gguf", adapter)]);
        resolve(
            &manifest,
            &[],
            &mut files,
            Origin::Local { folder: ".".into() },
            &mut ChatConverter::new(),
        )
        .unwrap_err()
    }

    /// Resolves the same manifest with `model` as the variant's file.
    fn resolve_with_adapter_as_file(model: GgufHeader) -> ResolveError {
        let text = "[family]\nname = \"R\"\ndescription = \"T.\"\npublisher = \"ruv\"\nlicense = \"apache-2.0\"\n[hub]\nrepo = \"ruv/r\"\n[models.small.variants.q4_k_m]\nfile = \"small-q4_k_m.gguf\"\n";
        let manifest = Manifest::parse(text, std::path::Path::new("ruvltra.toml")).unwrap();
        let mut files = Headers(vec![("small-q4_k_m.gguf", model)]);
        resolve(
            &manifest,
            &[],
            &mut files,
            Origin::Local { folder: ".".into() },
            &mut ChatConverter::new(),
        )
        .unwrap_err()
    }

    #[test]
    fn an_adapter_must_be_an_adapter_gguf() {
        let err = resolve_with_adapter(header(&[("general.architecture", "qwen2")]));
        assert!(matches!(err, ResolveError::NotAnAdapter { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "`ruvltra.toml`:9:11: `lora.gguf` (variant `small/q4_k_m`) is named as the adapter but its header says `general.type = model`: `adapter` must name a LoRA adapter GGUF (`general.type = adapter`), such as the one llama.cpp's `convert_lora_to_gguf.py` writes; a model file goes in a variant's `file`"
        );
        let err = resolve_with_adapter(header(&[
            ("general.architecture", "clip"),
            ("general.type", "mmproj"),
        ]));
        assert!(
            err.to_string().ends_with(
                "says `general.type = mmproj`: a multimodal projector goes in `projector = \"...\"`"
            ),
            "{err}"
        );
    }

    #[test]
    fn an_adapter_named_as_the_model_file_is_refused() {
        let lora = header(&[
            ("general.architecture", "qwen2"),
            ("general.type", "adapter"),
        ]);
        let err = resolve_with_adapter_as_file(lora);
        assert_eq!(
            err.to_string(),
            "`small-q4_k_m.gguf` (variant `small/q4_k_m`) is named as the model file but its header says `general.type = adapter`: a LoRA adapter goes in `adapter = \"...\"` next to `file`, which names its base model"
        );
    }

    #[test]
    fn an_adapter_for_another_architecture_names_both() {
        let err = resolve_with_adapter(header(&[
            ("general.architecture", "llama"),
            ("general.type", "adapter"),
        ]));
        assert_eq!(
            err.to_string(),
            "`ruvltra.toml`:9:11: the adapter `lora.gguf` is for architecture `llama`, but the model `small-q4_k_m.gguf` (variant `small/q4_k_m`) is `qwen2`: an adapter only runs on the base model it was trained from; name an adapter for `qwen2`, or move `adapter` to a model of architecture `llama`"
        );
    }

    #[test]
    fn an_adapter_without_an_architecture_is_refused() {
        let err = resolve_with_adapter(header(&[("general.type", "adapter")]));
        assert!(
            matches!(&err, ResolveError::MissingFact { file, key, hint } if file == "lora.gguf" && key == "general.architecture" && hint.contains("`ruvltra.toml`:9:11")),
            "{err:?}"
        );
    }

    #[test]
    fn kv_cache_estimate() {
        let shape = ModelShape {
            layers: Some(24),
            kv_heads: Some(2),
            head_size: Some(64),
            head_size_source: None,
        };
        // 2 x 24 x 2 x 64 x 4096 x 2 bytes = 48 MiB.
        assert_eq!(shape.kv_cache_bytes(4096), Some(50_331_648));
        let missing = ModelShape {
            layers: None,
            ..shape
        };
        assert_eq!(missing.kv_cache_bytes(4096), None);
    }
}
