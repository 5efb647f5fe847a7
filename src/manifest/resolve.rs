//! The resolved family: the manifest merged with what the GGUF headers and the Hub say, every
//! value tagged with its [`Provenance`]. Every output is rendered from one [`Resolved`], which
//! is also written as `metadata.lock.json` (its serde shape is documented in
//! `docs/outputs.md`).
//!
//! Values stay typed from the manifest to the renderers: parameters as [`Parameter`] and
//! [`ParamValue`], message roles as [`MessageRole`], Ollama names as [`ModelName`], the
//! `[ollama]` and `[modelscope]` settings (with their [`TagScheme`](crate::ollama::TagScheme)
//! and [`Visibility`](super::Visibility)) as the manifest states them. The lock file is their
//! serde form, so nothing is written to text to be parsed again.

use std::path::PathBuf;

use serde::Serialize;

use super::provenance::{Provenance, Sourced};
use super::schema::{ModelScopeSettings, OllamaSettings};
use crate::modelfile::MessageRole;
use crate::ollama::{ModelName, ParamValue, Parameter, Parameters};
use crate::push::oci::OciFormat;

/// Version of the `metadata.lock.json` shape; bumped when a field changes meaning.
pub const LOCK_VERSION: u32 = 1;

/// Where the GGUF files were read from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A local folder (`--from local`).
    Local {
        /// The folder, as the manifest names it (relative to the manifest).
        folder: String,
    },
    /// The Hub repository (`--from hub`).
    Hub {
        /// The endpoint's base URL.
        endpoint: String,
    },
}

/// One model family, resolved: what every renderer reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolved {
    /// [`LOCK_VERSION`].
    pub lock_version: u32,
    /// The manifest's path, as given.
    pub manifest: String,
    /// Where the GGUF files were read from.
    pub origin: Origin,
    /// The `--variant` names the run was limited to (empty: every variant of the manifest).
    pub selection: Vec<String>,
    /// Whether the files are stand-ins (test fixtures) rather than the published files, so
    /// sizes and digests are not the published ones.
    pub fixtures: bool,
    /// Facts about the family as a whole.
    pub family: ResolvedFamily,
    /// The Hub repository the files are published in.
    pub hub: ResolvedHub,
    /// The selected models, in manifest order, each with its selected variants.
    pub models: Vec<ResolvedModel>,
    /// Per-target settings.
    pub targets: Targets,
}

/// `[family]`, resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedFamily {
    /// Display name.
    pub name: String,
    /// One-paragraph description.
    pub description: String,
    /// Hub user or organisation.
    pub publisher: String,
    /// The model these derive from (a Hub repository id), from the manifest or the header.
    pub base_model: Option<Sourced<String>>,
    /// The license.
    pub license: ResolvedLicense,
    /// ISO 639-1 language codes.
    pub languages: Vec<String>,
    /// Tags for the Hub and ModelScope.
    pub tags: Vec<String>,
    /// The key of the model `:latest` and the repository-root files describe.
    pub default_model: String,
}

/// The license, as every target needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedLicense {
    /// The Hub's license id (`apache-2.0`), or `other` for a custom license.
    pub id: String,
    /// A display name (the id for Hub licenses).
    pub name: String,
    /// Where to read it.
    pub link: Option<String>,
    /// Its full text, when the manifest points at a file.
    pub text: Option<String>,
}

/// The Hub repository.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedHub {
    /// `owner/name`.
    pub repo: String,
    /// The revision the manifest names.
    pub revision: String,
    /// The commit that revision pointed to (only known with `--from hub`).
    pub commit: Option<Sourced<String>>,
}

impl ResolvedHub {
    /// The revision to pin in catalogs: the commit when known, else the named revision.
    pub fn pinned_revision(&self) -> &str {
        self.commit
            .as_ref()
            .map(|c| c.value.as_str())
            .unwrap_or(&self.revision)
    }
}

/// One model of the family.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedModel {
    /// The manifest key, e.g. `claude-code`.
    pub key: String,
    /// Display name (manifest, else the first variant's `general.name`).
    pub name: Sourced<String>,
    /// Description (manifest, else the family's).
    pub description: Sourced<String>,
    /// The key of the preferred variant.
    pub default_variant: String,
    /// The Ollama model name without a tag, e.g. `ruv/ruvltra-claude-code`.
    pub ollama_model: ModelName,
    /// The ModelScope repository name, when ModelScope output is configured.
    pub modelscope_repo: Option<String>,
    /// The selected variants, in manifest order.
    pub variants: Vec<ResolvedVariant>,
}

/// One GGUF file (or one split set) of a model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedVariant {
    /// The manifest key, e.g. `q4_k_m`.
    pub key: String,
    /// The GGUF file name in the repository (the first part of a split model).
    pub file: String,
    /// Every file of the model: `file` itself, or all parts of a split model in order.
    pub parts: Vec<String>,
    /// The first file's path on this machine (`--from local`), for FROM lines and presets.
    #[serde(skip)]
    pub local_path: Option<PathBuf>,
    /// Total size in bytes of all parts.
    pub size_bytes: Sourced<u64>,
    /// The SHA-256 of the (first) file, hex.
    pub sha256: Option<Sourced<String>>,
    /// The quant label as llama.cpp names it, e.g. `Q4_K_M`.
    pub quant: Sourced<String>,
    /// `general.architecture`, e.g. `qwen2`.
    pub architecture: Sourced<String>,
    /// Size label such as `0.5B`.
    pub size_label: Sourced<String>,
    /// Parameter count (sum of tensor elements).
    pub parameter_count: Sourced<u64>,
    /// Context length the model was trained for.
    pub context_length: Sourced<u64>,
    /// The shape facts the hardware table needs.
    pub shape: ModelShape,
    /// The chat template and its Ollama conversion.
    pub chat: ResolvedChat,
    /// The system prompt.
    pub system: Option<Sourced<String>>,
    /// Sampling parameters in Ollama's names, each with its source.
    pub parameters: Vec<ResolvedParameter>,
    /// A starting conversation (Modelfile `MESSAGE` lines).
    pub messages: Vec<ResolvedMessage>,
    /// Every Ollama name this variant is published under (`:size-quant`, `:size`, `:latest`).
    pub ollama_names: Vec<ModelName>,
    /// The multimodal projector (mmproj GGUF) the variant runs with, if any. Left out of
    /// `metadata.lock.json` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projector: Option<ResolvedProjector>,
    /// The LoRA adapter (adapter GGUF) applied on top of the model, if any. Left out of
    /// `metadata.lock.json` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<ResolvedAdapter>,
}

/// A LoRA adapter: a GGUF with `general.type = adapter` for the model's architecture, in the
/// same repository or folder as the model file. Ollama loads it as an `ADAPTER`, llama.cpp
/// with `--lora`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedAdapter {
    /// The file name in the repository (or local folder).
    pub file: String,
    /// Its path on this machine (`--from local`), for ADAPTER lines and presets.
    #[serde(skip)]
    pub local_path: Option<PathBuf>,
    /// Size in bytes.
    pub size_bytes: Sourced<u64>,
    /// The SHA-256, hex.
    pub sha256: Option<Sourced<String>>,
    /// `general.architecture`, equal to the model's.
    pub architecture: Sourced<String>,
    /// `adapter.type` as written (`lora`), when the header has it.
    pub adapter_type: Option<String>,
}

/// A multimodal projector: an mmproj GGUF (`general.type = mmproj`) in the same repository or
/// folder as the model file, loaded next to it by Ollama and llama.cpp.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedProjector {
    /// The file name in the repository (or local folder).
    pub file: String,
    /// Its path on this machine (`--from local`), for FROM lines and presets.
    #[serde(skip)]
    pub local_path: Option<PathBuf>,
    /// Size in bytes.
    pub size_bytes: Sourced<u64>,
    /// The SHA-256, hex.
    pub sha256: Option<Sourced<String>>,
    /// `general.architecture` of the projector (`clip` for llama.cpp's vision towers).
    pub architecture: Option<Sourced<String>>,
}

/// Facts from the header used to estimate memory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelShape {
    /// `{arch}.block_count`: layers.
    pub layers: Option<u64>,
    /// `{arch}.attention.head_count_kv` (or `head_count` when absent).
    pub kv_heads: Option<u64>,
    /// `{arch}.attention.key_length`, else embedding length / heads.
    pub head_size: Option<u64>,
    /// Where `head_size` came from.
    pub head_size_source: Option<String>,
}

impl ModelShape {
    /// Bytes of an f16 KV cache for `context` tokens: 2 (K and V) x layers x KV heads x head
    /// size x context x 2 bytes. `None` when the header lacks a needed fact.
    pub fn kv_cache_bytes(&self, context: u64) -> Option<u64> {
        2u64.checked_mul(self.layers?)?
            .checked_mul(self.kv_heads?)?
            .checked_mul(self.head_size?)?
            .checked_mul(context)?
            .checked_mul(2)
    }
}

/// One sampling parameter with its source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedParameter {
    /// The parameter, written as Ollama's name (`temperature`).
    #[serde(rename = "name")]
    pub parameter: Parameter,
    /// The checked value.
    pub value: ResolvedValue,
    /// Where it came from.
    pub provenance: Provenance,
}

/// A resolved parameter's value: one typed value, or the whole `stop` list. Written as the
/// bare JSON value (`0.7`, `40`, `true`, `["<|im_end|>"]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ResolvedValue {
    /// The value of a parameter other than `stop`.
    One(ParamValue),
    /// `stop`: every sequence, in order.
    Stop(Vec<String>),
}

impl ResolvedValue {
    /// The value of an integer parameter (`num_ctx`, `top_k`, ...).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            ResolvedValue::One(ParamValue::Int(n)) => Some(*n),
            _ => None,
        }
    }

    /// The value as JSON, as the lock file writes it.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            ResolvedValue::One(value) => value.to_json(),
            ResolvedValue::Stop(stops) => serde_json::Value::from(stops.clone()),
        }
    }
}

/// One message of a starting conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedMessage {
    /// Who speaks.
    pub role: MessageRole,
    /// The text.
    pub content: String,
}

/// A chat template: the Jinja the model runs with, and Ollama's Go version of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedChat {
    /// The Jinja template (from the manifest, the header, or a built-in default for the
    /// architecture when the GGUF has none).
    pub jinja: Sourced<String>,
    /// The SHA-256 of `jinja`, hex: what catalogs pin.
    pub jinja_sha256: String,
    /// Whether the GGUF header itself carries this template (if not, llama.cpp needs a
    /// `chat-template-file`, or the template embedded with `gguf embed-template`).
    pub in_gguf: bool,
    /// The BOS token's text.
    pub bos_token: Option<String>,
    /// The EOS token's text.
    pub eos_token: Option<String>,
    /// The converted Go template and its stop list, or why conversion failed.
    pub ollama: OllamaChat,
    /// For a built-in default: why the vocabulary chose it ("vocabulary has <start_of_turn>,
    /// <end_of_turn>").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_reason: Option<String>,
    /// Roles whose content the template never lets reach the model (the per-role verdict,
    /// separate from "verified").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lost_roles: Vec<crate::template::fit::LostRole>,
    /// Tags the vocabulary reads as plain text (`[INST]` in a Llama 2 vocabulary): shown by
    /// `explain`, not locked (a diagnostic, not a resolved value).
    #[serde(skip)]
    pub fit_warnings: Vec<String>,
}

/// The chat-template converter's result for Ollama.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OllamaChat {
    /// A Go template.
    Converted {
        /// The Go template text.
        template: String,
        /// Stop sequences (the manifest's `stop` when given, else the converter's).
        stop: Sourced<Vec<String>>,
        /// Whether the verifier found the Go template renders every conversation of the
        /// suite exactly as the Jinja template does.
        verified: bool,
        /// For an unverified template: the first conversation that differs, both renderings.
        mismatch: Option<String>,
        /// The converter's notes (frozen dates, stop-token warnings).
        notes: Vec<String>,
    },
    /// The converter could not produce a template.
    Failed {
        /// Why.
        reason: String,
    },
}

impl ResolvedVariant {
    /// The resolved parameters as Ollama's typed set.
    pub fn ollama_parameters(&self) -> Parameters {
        let mut params = Parameters::new();
        for p in &self.parameters {
            // The manifest loader checked every value against its parameter's range.
            let _ = match &p.value {
                ResolvedValue::One(value) => params.set(p.parameter, value.clone()).map(drop),
                ResolvedValue::Stop(stops) => params.set_stop(stops.clone()),
            };
        }
        params
    }

    /// A parameter's resolved value, if the manifest or the converter set it.
    pub fn parameter(&self, parameter: Parameter) -> Option<&ResolvedValue> {
        self.parameters
            .iter()
            .find(|p| p.parameter == parameter)
            .map(|p| &p.value)
    }
}

/// Per-target settings carried into the resolved model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Targets {
    /// `[ollama]`: naming.
    pub ollama: OllamaSettings,
    /// `[modelscope]`, when configured.
    pub modelscope: Option<ModelScopeSettings>,
    /// The Hub model card.
    pub card: CardTarget,
    /// Whether to write the Hub-root `preset.ini`.
    pub hub_preset: bool,
    /// `[oci]`; left out of `metadata.lock.json` when the manifest has none.
    #[serde(skip_serializing_if = "OciTarget::is_unset")]
    pub oci: OciTarget,
}

/// `[oci]`, resolved.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct OciTarget {
    /// The registry `host[:port]` the models are published in, when the manifest names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// The artifact formats, each once, in push order (Ollama's alone when none are named).
    pub formats: Vec<OciFormat>,
}

impl OciTarget {
    /// Whether the manifest says nothing about OCI registries (no `[oci]` settings).
    pub fn is_unset(&self) -> bool {
        self.registry.is_none() && self.formats == [OciFormat::Ollama]
    }
}

/// `[card]`, resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CardTarget {
    /// Title.
    pub title: String,
    /// Text under the title.
    pub summary: String,
    /// Capabilities, one bullet each.
    pub capabilities: Vec<String>,
    /// `quantized_by`.
    pub quantized_by: Option<String>,
    /// Benchmark results.
    pub benchmarks: Vec<CardBenchmark>,
}

/// One benchmark result for the card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CardBenchmark {
    /// Model key.
    pub model: String,
    /// Variant key, if the result is for one.
    pub variant: Option<String>,
    /// Benchmark name.
    pub name: String,
    /// Metric.
    pub metric: String,
    /// Result.
    pub value: f64,
    /// Where it comes from.
    pub source: Option<String>,
}

impl Resolved {
    /// The family's default model, when selected.
    pub fn default_model(&self) -> Option<&ResolvedModel> {
        self.models
            .iter()
            .find(|m| m.key == self.family.default_model)
    }

    /// Every selected variant with its model, in manifest order.
    pub fn variants(&self) -> impl Iterator<Item = (&ResolvedModel, &ResolvedVariant)> {
        self.models
            .iter()
            .flat_map(|m| m.variants.iter().map(move |v| (m, v)))
    }

    /// `metadata.lock.json`: pretty JSON ending in a newline.
    pub fn to_lock_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}
