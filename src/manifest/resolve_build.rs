//! Resolution: the manifest, the selected variants and each file's facts become one
//! [`Resolved`] family. Conflicts between sources are collected and reported together.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use super::error::Location;
use super::provenance::{Conflict, Provenance, Sourced, reconcile};
use super::resolve::{
    CardBenchmark, CardTarget, LOCK_VERSION, ModelShape, OciTarget, OllamaChat, Origin, Resolved,
    ResolvedAdapter, ResolvedChat, ResolvedFamily, ResolvedHub, ResolvedLicense, ResolvedMessage,
    ResolvedModel, ResolvedParameter, ResolvedProjector, ResolvedValue, ResolvedVariant, Targets,
};
use super::resolve_chat::{
    ChatCheck, ChatConverter, ChatInput, check_chat, check_roles, default_template,
};
use super::resolve_error::ResolveError;
use super::resolve_files::{FileFacts, FileSource};
use super::schema::{
    ChatTemplateSource, CompanionFile, License, Manifest, ModelEntry, VariantEntry,
};
use super::starter::Width;
use crate::gguf::{GgufHeader, ModelKind, Quant, QuantMismatch, SplitName, check_quant};
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
    let mut conflicts = Vec::new();
    let mut models: Vec<ResolvedModel> = Vec::new();
    let mut first_header_name: HashMap<String, String> = HashMap::new();
    let mut base_model_from_header = None;
    // Variants usually share one projector: read and hash it once.
    let mut projectors: HashMap<String, (ResolvedProjector, Option<Width>)> = HashMap::new();
    let mut adapters: HashMap<String, ResolvedAdapter> = HashMap::new();
    for (model, variant) in selected {
        let label = format!("{}/{}", model.key, variant.key);
        let facts = files.facts(&variant.file, &label)?;
        if let Some(name) = facts.header.name() {
            first_header_name
                .entry(model.key.clone())
                .or_insert_with(|| name.to_owned());
        }
        if base_model_from_header.is_none() {
            base_model_from_header = header_base_model(&facts.header, &variant.file);
        }
        let resolved = resolve_variant(
            manifest,
            model,
            variant,
            facts,
            files,
            converter,
            &mut conflicts,
            &mut projectors,
            &mut adapters,
        )?;
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
            commit: files.commit(),
        },
        models,
        targets: targets(manifest),
    })
}

fn manifest_at(path: &str, location: Location) -> Provenance {
    Provenance::Manifest {
        path: path.to_owned(),
        location,
        intended: false,
    }
}

fn header_at(file: &str, key: &str) -> Provenance {
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

#[allow(clippy::too_many_arguments)]
fn resolve_variant(
    manifest: &Manifest,
    model: &ModelEntry,
    variant: &VariantEntry,
    facts: FileFacts,
    files: &mut dyn FileSource,
    converter: &mut ChatConverter,
    conflicts: &mut Vec<Conflict>,
    projectors: &mut HashMap<String, (ResolvedProjector, Option<Width>)>,
    adapters: &mut HashMap<String, ResolvedAdapter>,
) -> Result<ResolvedVariant, ResolveError> {
    let path = manifest.path.display().to_string();
    let label = format!("{}/{}", model.key, variant.key);
    let file = variant.file.as_str();
    let header = &facts.header;
    if header.model_kind() == ModelKind::Mmproj {
        return Err(ResolveError::WrongKind {
            file: file.to_owned(),
            variant: label,
            role: "the model file".into(),
            found: "mmproj".into(),
            hint: "a projector goes in `projector = \"...\"` next to `file`, which names the language model".into(),
        });
    }
    if header.model_kind() == ModelKind::Adapter {
        return Err(ResolveError::WrongKind {
            file: file.to_owned(),
            variant: label,
            role: "the model file".into(),
            found: "adapter".into(),
            hint: "a LoRA adapter goes in `adapter = \"...\"` next to `file`, which names its base model".into(),
        });
    }
    let projector = match model.projector_for(variant) {
        Some(entry) => {
            let (found, width) = match projectors.get(&entry.file) {
                Some(known) => known.clone(),
                None => {
                    let found = resolve_projector(&entry.file, &label, files)?;
                    projectors.insert(entry.file.clone(), found.clone());
                    found
                }
            };
            // llama.cpp refuses the pair at load time; `init` never writes it.
            let model_width = Width::of_model(header);
            if Width::refuses(width.as_ref(), model_width.as_ref())
                && let (Some(projector_width), Some(model_width)) = (&width, &model_width)
            {
                return Err(ResolveError::ProjectorWidth {
                    at: format!("{path}:{}:{}", entry.location.line, entry.location.column),
                    projector: entry.file.clone(),
                    projector_width: format!("{} = {}", projector_width.key, projector_width.value),
                    model: format!("`{file}` (variant `{label}`)"),
                    model_width: format!("{} = {}", model_width.key, model_width.value),
                });
            }
            Some(found)
        }
        None => None,
    };

    let parts = split_parts(file, header);
    let mut size_bytes = facts.size.clone();
    for part in parts.iter().skip(1) {
        let more = files.facts(part, &label)?;
        size_bytes.value = size_bytes.value.saturating_add(more.size.value);
    }

    let architecture = header
        .architecture()
        .map(|a| Sourced::new(a.to_owned(), header_at(file, "general.architecture")))
        .ok_or_else(|| ResolveError::MissingFact {
            file: file.to_owned(),
            key: "general.architecture".into(),
            hint: String::new(),
        })?;
    let arch = architecture.value.clone();
    let adapter = match model.adapter_for(variant) {
        Some(entry) => {
            let found = match adapters.get(&entry.file) {
                Some(known) => known.clone(),
                None => {
                    let found = resolve_adapter(entry, &path, &label, files)?;
                    adapters.insert(entry.file.clone(), found.clone());
                    found
                }
            };
            if found.architecture.value != arch {
                return Err(ResolveError::AdapterArchitecture {
                    at: manifest_at(&path, entry.location).to_string(),
                    adapter: entry.file.clone(),
                    adapter_arch: found.architecture.value,
                    model: format!("`{file}` (variant `{label}`)"),
                    model_arch: arch,
                });
            }
            Some(found)
        }
        None => None,
    };

    let quant = resolve_quant(&path, variant, header, conflicts)?;

    let header_size = header
        .size_label()
        .map(|s| Sourced::new(s.to_owned(), header_at(file, "general.size_label")))
        .unwrap_or_else(|| {
            Sourced::new(
                size_label_from_count(header.parameter_count()),
                header_at(file, "tensor dimensions (parameter count)"),
            )
        });
    let claim = variant.size.as_ref().or(model.size.as_ref());
    let size_label = keep(
        conflicts,
        reconcile(
            &format!("size label of `{file}`"),
            claim.map(|c| Sourced::from_claim(c, &path).map(|s| s.to_ascii_uppercase())),
            header_size.clone().map(|s| s.to_ascii_uppercase()),
        ),
        header_size.clone().map(|s| s.to_ascii_uppercase()),
    );
    // Keep the header's spelling when both agree.
    let size_label = if size_label.value == header_size.value.to_ascii_uppercase() {
        Sourced::new(header_size.value, size_label.provenance)
    } else {
        size_label
    };

    let context_key = format!("{arch}.context_length");
    let claim = variant
        .context_length
        .as_ref()
        .or(model.context_length.as_ref())
        .map(|c| Sourced::from_claim(c, &path));
    let context_length = match header.context_length() {
        Some(found) => keep(
            conflicts,
            reconcile(
                &format!("context length of `{file}`"),
                claim,
                Sourced::new(found, header_at(file, &context_key)),
            ),
            Sourced::new(found, header_at(file, &context_key)),
        ),
        None => claim.ok_or_else(|| ResolveError::MissingFact {
            file: file.to_owned(),
            key: context_key.clone(),
            hint: format!(": add `context_length = N` to `[models.{}]`", model.key),
        })?,
    };

    let shape = shape(header, &arch);
    let chat = resolve_chat(manifest, model, variant, header, converter)?;
    let (parameters, system, messages) =
        resolve_settings(manifest, model, variant, &chat, &context_length, conflicts);
    check_roles(&label, &chat.lost_roles, system.as_ref(), &messages)?;

    let ollama_names = manifest
        .ollama_variant_names(model, variant, &size_label.value, &quant.value)
        .map_err(|source| ResolveError::Name {
            model: model.key.clone(),
            source,
        })?;

    Ok(ResolvedVariant {
        key: variant.key.clone(),
        file: file.to_owned(),
        parts,
        local_path: facts.local_path,
        size_bytes,
        sha256: facts.sha256,
        quant,
        architecture,
        size_label,
        parameter_count: Sourced::new(
            header.parameter_count(),
            header_at(file, "tensor dimensions"),
        ),
        context_length,
        shape,
        chat,
        system,
        parameters,
        messages,
        ollama_names,
        projector,
        adapter,
    })
}

/// Reads an adapter's header and checks that it is an adapter GGUF with an architecture.
fn resolve_adapter(
    entry: &CompanionFile,
    manifest: &str,
    label: &str,
    files: &mut dyn FileSource,
) -> Result<ResolvedAdapter, ResolveError> {
    let file = entry.file.as_str();
    let facts = files.facts(file, label)?;
    let at = || manifest_at(manifest, entry.location).to_string();
    let kind = facts.header.model_kind();
    let found = (kind != ModelKind::Adapter).then(|| kind.as_str().to_owned());
    if let Some(found) = found {
        return Err(ResolveError::NotAnAdapter {
            at: at(),
            file: file.to_owned(),
            variant: label.to_owned(),
            hint: match found.as_str() {
                "mmproj" => "a multimodal projector goes in `projector = \"...\"`".into(),
                _ => "`adapter` must name a LoRA adapter GGUF (`general.type = adapter`), such as the one llama.cpp's `convert_lora_to_gguf.py` writes; a model file goes in a variant's `file`".into(),
            },
            found,
        });
    }
    let architecture = match facts.header.architecture() {
        Some(a) => Sourced::new(a.to_owned(), header_at(file, "general.architecture")),
        None => {
            return Err(ResolveError::MissingFact {
                file: file.to_owned(),
                key: "general.architecture".into(),
                hint: format!(
                    " ({}: `adapter`): without it the adapter cannot be matched to its base model; regenerate it with llama.cpp's `convert_lora_to_gguf.py`",
                    at()
                ),
            });
        }
    };
    let adapter_type = facts
        .header
        .get("adapter.type")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    Ok(ResolvedAdapter {
        file: file.to_owned(),
        local_path: facts.local_path,
        size_bytes: facts.size,
        sha256: facts.sha256,
        architecture,
        adapter_type,
    })
}

/// Reads a projector's header and checks that it is an mmproj GGUF; also returns its
/// projection width, which must equal the model's.
fn resolve_projector(
    file: &str,
    label: &str,
    files: &mut dyn FileSource,
) -> Result<(ResolvedProjector, Option<Width>), ResolveError> {
    let facts = files.facts(file, label)?;
    let kind = facts.header.model_kind();
    let found = (kind != ModelKind::Mmproj).then(|| kind.as_str().to_owned());
    if let Some(found) = found {
        return Err(ResolveError::WrongKind {
            file: file.to_owned(),
            variant: label.to_owned(),
            role: "the projector".into(),
            found,
            hint: "`projector` must name an mmproj GGUF (`general.type = mmproj`), such as the `mmproj-*.gguf` llama.cpp's converter writes".into(),
        });
    }
    let architecture = facts
        .header
        .architecture()
        .map(|a| Sourced::new(a.to_owned(), header_at(file, "general.architecture")));
    let width = Width::of_projector(&facts.header);
    let projector = ResolvedProjector {
        file: file.to_owned(),
        local_path: facts.local_path,
        size_bytes: facts.size,
        sha256: facts.sha256,
        architecture,
    };
    Ok((projector, width))
}

/// The value reconciled, or (recording the conflict) the files' value so resolution can go
/// on and report every conflict at once.
fn keep<T>(
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

fn split_parts(file: &str, header: &GgufHeader) -> Vec<String> {
    match (header.split(), SplitName::parse(file)) {
        (Some(split), Some(name)) if split.count > 1 && name.number == 1 => {
            (1..=name.count).map(|n| name.part_file_name(n)).collect()
        }
        _ => vec![file.to_owned()],
    }
}

fn resolve_quant(
    path: &str,
    variant: &VariantEntry,
    header: &GgufHeader,
    conflicts: &mut Vec<Conflict>,
) -> Result<Sourced<String>, ResolveError> {
    let file = variant.file.as_str();
    let claim = variant
        .quant
        .as_ref()
        .map(|c| Sourced::from_claim(c, path).map(|q| q.to_ascii_uppercase()));
    let from_name = Quant::from_file_name(file);
    let from_header = header
        .file_type()
        .and_then(|ft| ft.name())
        .map(|n| Sourced::new(n.to_owned(), header_at(file, "general.file_type")));
    let claim_intended = claim.as_ref().is_some_and(Sourced::is_intended_override);
    if let (Some(name), Some(found)) = (from_name, &from_header) {
        if let Some(QuantMismatch::Contradiction { .. }) = check_quant(name, header.file_type()) {
            if !claim_intended {
                conflicts.push(Conflict {
                    what: format!("quant of `{file}`"),
                    ours: name.to_string(),
                    ours_source: Provenance::FileName {
                        file: file.to_owned(),
                    },
                    theirs: found.value.clone(),
                    theirs_source: found.provenance.clone(),
                    hint: " (rename the file, or state `quant = { value = ..., intended = true }` for the variant)"
                        .into(),
                });
            }
        }
    }
    let found = match (from_header, from_name) {
        (Some(found), _) => found,
        (None, Some(name)) => Sourced::new(
            name.to_string(),
            Provenance::FileName {
                file: file.to_owned(),
            },
        ),
        (None, None) => {
            return claim.ok_or_else(|| ResolveError::MissingFact {
                file: file.to_owned(),
                key: "general.file_type".into(),
                hint: format!(
                    " (nor the file name): add `quant = \"Q4_K_M\"` to `[models.*.variants.{}]`",
                    variant.key
                ),
            });
        }
    };
    Ok(keep(
        conflicts,
        reconcile(&format!("quant of `{file}`"), claim, found.clone()),
        found,
    ))
}

/// `general.size_label` style from a parameter count: `494M` -> `0.5B`, `7.6B` -> `8B`.
fn size_label_from_count(count: u64) -> String {
    let n = count as f64;
    if n >= 1e9 {
        let b = n / 1e9;
        if b >= 10.0 {
            format!("{:.0}B", b)
        } else {
            format!("{:.1}B", b).replace(".0B", "B")
        }
    } else if n >= 1e6 {
        format!("{:.0}M", n / 1e6)
    } else {
        format!("{:.0}K", n / 1e3)
    }
}

fn shape(header: &GgufHeader, arch: &str) -> ModelShape {
    let heads = header.head_count();
    let (head_size, head_size_source) = match header.key_length() {
        Some(k) => (Some(k), Some(format!("{arch}.attention.key_length"))),
        None => match (header.embedding_length(), heads) {
            (Some(e), Some(h)) if h > 0 => (
                Some(e / h),
                Some(format!(
                    "{arch}.embedding_length / {arch}.attention.head_count"
                )),
            ),
            _ => (None, None),
        },
    };
    ModelShape {
        layers: header.block_count(),
        kv_heads: header.head_count_kv().or(heads),
        head_size,
        head_size_source,
    }
}

fn resolve_chat(
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

fn resolve_settings(
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
    fn size_labels_from_counts() {
        assert_eq!(size_label_from_count(494_032_768), "494M");
        assert_eq!(size_label_from_count(1_100_000_000), "1.1B");
        assert_eq!(size_label_from_count(7_000_000_000), "7B");
        assert_eq!(size_label_from_count(70_600_000_000), "71B");
        assert_eq!(size_label_from_count(421_632), "422K");
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
