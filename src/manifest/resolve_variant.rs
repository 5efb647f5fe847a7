//! Resolution of one variant: its file's header, its parts, its projector and adapter, and the
//! facts (quant, size label, context length, shape) reconciled with the manifest's claims.

use std::collections::HashMap;

use super::provenance::{Conflict, Provenance, Sourced, reconcile};
use super::resolve::{ModelShape, ResolvedAdapter, ResolvedProjector, ResolvedVariant};
use super::resolve_build::{header_at, keep, manifest_at, resolve_chat, resolve_settings};
use super::resolve_chat::{ChatConverter, check_roles};
use super::resolve_error::ResolveError;
use super::resolve_files::{FileFacts, FileSource};
use super::schema::{CompanionFile, Manifest, ModelEntry, VariantEntry};
use super::starter::Width;
use crate::gguf::{GgufHeader, ModelKind, Quant, QuantMismatch, SplitName, check_quant};

/// What resolving the variants of one manifest shares: where files come from, the chat
/// converter, the conflicts found so far (reported together at the end), and the projectors
/// and adapters already read (variants usually share one: read and hash it once).
pub(super) struct VariantResolver<'a> {
    manifest: &'a Manifest,
    /// The manifest's path, for provenance and messages.
    path: String,
    files: &'a mut dyn FileSource,
    converter: &'a mut ChatConverter,
    conflicts: Vec<Conflict>,
    projectors: HashMap<String, (ResolvedProjector, Option<Width>)>,
    adapters: HashMap<String, ResolvedAdapter>,
}

impl<'a> VariantResolver<'a> {
    /// A resolver for `manifest`'s variants, reading files from `files`.
    pub(super) fn new(
        manifest: &'a Manifest,
        files: &'a mut dyn FileSource,
        converter: &'a mut ChatConverter,
    ) -> Self {
        VariantResolver {
            manifest,
            path: manifest.path.display().to_string(),
            files,
            converter,
            conflicts: Vec::new(),
            projectors: HashMap::new(),
            adapters: HashMap::new(),
        }
    }

    /// The file source, for facts resolution needs outside a variant.
    pub(super) fn files(&mut self) -> &mut dyn FileSource {
        self.files
    }

    /// The conflicts collected so far, leaving none.
    pub(super) fn take_conflicts(&mut self) -> Vec<Conflict> {
        std::mem::take(&mut self.conflicts)
    }

    /// Resolves `variant` of `model` from its first file's `facts`.
    pub(super) fn resolve(
        &mut self,
        model: &ModelEntry,
        variant: &VariantEntry,
        facts: FileFacts,
    ) -> Result<ResolvedVariant, ResolveError> {
        let label = format!("{}/{}", model.key, variant.key);
        let file = variant.file.as_str();
        let header = &facts.header;
        check_model_kind(header, file, &label)?;
        let projector = self.projector(model, variant, header, &label)?;

        let parts = split_parts(file, header);
        let mut size_bytes = facts.size.clone();
        for part in parts.iter().skip(1) {
            let more = self.files.facts(part, &label)?;
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
        let adapter = self.adapter(model, variant, &arch, &label)?;
        let quant = resolve_quant(&self.path, variant, header, &mut self.conflicts)?;
        let size_label = self.size_label(model, variant, header);
        let context_length = self.context_length(model, variant, header, &arch)?;

        let shape = shape(header, &arch);
        let chat = resolve_chat(self.manifest, model, variant, header, self.converter)?;
        let (parameters, system, messages) = resolve_settings(
            self.manifest,
            model,
            variant,
            &chat,
            &context_length,
            &mut self.conflicts,
        );
        check_roles(&label, &chat.lost_roles, system.as_ref(), &messages)?;

        let ollama_names = self
            .manifest
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

    /// The variant's projector, checked against the model's width (llama.cpp refuses the pair
    /// at load time; `init` never writes it).
    fn projector(
        &mut self,
        model: &ModelEntry,
        variant: &VariantEntry,
        header: &GgufHeader,
        label: &str,
    ) -> Result<Option<ResolvedProjector>, ResolveError> {
        let Some(entry) = model.projector_for(variant) else {
            return Ok(None);
        };
        let (found, width) = match self.projectors.get(&entry.file) {
            Some(known) => known.clone(),
            None => {
                let found = resolve_projector(&entry.file, label, self.files)?;
                self.projectors.insert(entry.file.clone(), found.clone());
                found
            }
        };
        let model_width = Width::of_model(header);
        if Width::refuses(width.as_ref(), model_width.as_ref())
            && let (Some(projector_width), Some(model_width)) = (&width, &model_width)
        {
            return Err(ResolveError::ProjectorWidth {
                at: format!(
                    "{}:{}:{}",
                    self.path, entry.location.line, entry.location.column
                ),
                projector: entry.file.clone(),
                projector_width: format!("{} = {}", projector_width.key, projector_width.value),
                model: format!("`{}` (variant `{label}`)", variant.file),
                model_width: format!("{} = {}", model_width.key, model_width.value),
            });
        }
        Ok(Some(found))
    }

    /// The variant's LoRA adapter, which must be for the model's architecture `arch`.
    fn adapter(
        &mut self,
        model: &ModelEntry,
        variant: &VariantEntry,
        arch: &str,
        label: &str,
    ) -> Result<Option<ResolvedAdapter>, ResolveError> {
        let Some(entry) = model.adapter_for(variant) else {
            return Ok(None);
        };
        let found = match self.adapters.get(&entry.file) {
            Some(known) => known.clone(),
            None => {
                let found = resolve_adapter(entry, &self.path, label, self.files)?;
                self.adapters.insert(entry.file.clone(), found.clone());
                found
            }
        };
        if found.architecture.value != arch {
            return Err(ResolveError::AdapterArchitecture {
                at: manifest_at(&self.path, entry.location).to_string(),
                adapter: entry.file.clone(),
                adapter_arch: found.architecture.value,
                model: format!("`{}` (variant `{label}`)", variant.file),
                model_arch: arch.to_owned(),
            });
        }
        Ok(Some(found))
    }

    /// The size label: the manifest's claim reconciled with the header's (or one computed from
    /// the parameter count), in the header's spelling when both agree.
    fn size_label(
        &mut self,
        model: &ModelEntry,
        variant: &VariantEntry,
        header: &GgufHeader,
    ) -> Sourced<String> {
        let file = variant.file.as_str();
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
            &mut self.conflicts,
            reconcile(
                &format!("size label of `{file}`"),
                claim.map(|c| Sourced::from_claim(c, &self.path).map(|s| s.to_ascii_uppercase())),
                header_size.clone().map(|s| s.to_ascii_uppercase()),
            ),
            header_size.clone().map(|s| s.to_ascii_uppercase()),
        );
        // Keep the header's spelling when both agree.
        if size_label.value == header_size.value.to_ascii_uppercase() {
            Sourced::new(header_size.value, size_label.provenance)
        } else {
            size_label
        }
    }

    /// The context length: the header's, reconciled with a claim; a claim alone when the
    /// header has none.
    fn context_length(
        &mut self,
        model: &ModelEntry,
        variant: &VariantEntry,
        header: &GgufHeader,
        arch: &str,
    ) -> Result<Sourced<u64>, ResolveError> {
        let file = variant.file.as_str();
        let context_key = format!("{arch}.context_length");
        let claim = variant
            .context_length
            .as_ref()
            .or(model.context_length.as_ref())
            .map(|c| Sourced::from_claim(c, &self.path));
        Ok(match header.context_length() {
            Some(found) => keep(
                &mut self.conflicts,
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
        })
    }
}

/// A projector or adapter named as a variant's model file is a mistake with a known fix.
fn check_model_kind(header: &GgufHeader, file: &str, label: &str) -> Result<(), ResolveError> {
    if header.model_kind() == ModelKind::Mmproj {
        return Err(ResolveError::WrongKind {
            file: file.to_owned(),
            variant: label.to_owned(),
            role: "the model file".into(),
            found: "mmproj".into(),
            hint: "a projector goes in `projector = \"...\"` next to `file`, which names the language model".into(),
        });
    }
    if header.model_kind() == ModelKind::Adapter {
        return Err(ResolveError::WrongKind {
            file: file.to_owned(),
            variant: label.to_owned(),
            role: "the model file".into(),
            found: "adapter".into(),
            hint: "a LoRA adapter goes in `adapter = \"...\"` next to `file`, which names its base model".into(),
        });
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_labels_from_counts() {
        assert_eq!(size_label_from_count(494_032_768), "494M");
        assert_eq!(size_label_from_count(1_100_000_000), "1.1B");
        assert_eq!(size_label_from_count(7_000_000_000), "7B");
        assert_eq!(size_label_from_count(70_600_000_000), "71B");
        assert_eq!(size_label_from_count(421_632), "422K");
    }
}
