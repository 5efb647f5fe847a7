//! The manifest's types: what a publisher states about a model family that GGUF headers and
//! the Hub cannot tell. Every key is documented in `docs/manifest.md`.

use std::path::PathBuf;

use serde::Serialize;

use super::error::Location;
use crate::modelfile::MessageRole;
use crate::ollama::{ModelName, NameError, ParamValue, Parameter, Parameters, TagScheme};
use crate::push::oci::OciFormat;

/// A value stated in the manifest, with where it was written and whether it is meant to
/// override what the GGUF header or the Hub says.
///
/// Written either plainly (`context_length = 8192`) or, to mark a deliberate override,
/// as `context_length = { value = 8192, intended = true }`. A later stage compares claims
/// with the header: a difference is an error naming both sides unless `intended` is set.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim<T> {
    /// The value.
    pub value: T,
    /// Whether the publisher marked this as a deliberate override of the files' values.
    pub intended: bool,
    /// Where the value is written.
    pub location: Location,
}

/// The whole manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The file it was read from, as given (relative paths inside are relative to its folder).
    pub path: PathBuf,
    /// `[family]`: who publishes what.
    pub family: Family,
    /// `[hub]`: the Hugging Face repository holding the GGUF files.
    pub hub: HubSettings,
    /// `[source]`: where to read the GGUF files without the network.
    pub source: SourceSettings,
    /// `[defaults]`: settings for every model and variant.
    pub defaults: Settings,
    /// `[models.NAME]`, in file order.
    pub models: Vec<ModelEntry>,
    /// `[ollama]`: naming on Ollama.
    pub ollama: OllamaSettings,
    /// `[modelscope]`: where the ModelScope repositories live (absent: no ModelScope output).
    pub modelscope: Option<ModelScopeSettings>,
    /// `[card]`: what the Hub model card says beyond the facts.
    pub card: CardSettings,
    /// `[llamacpp]`: llama.cpp options.
    pub llamacpp: LlamaCppSettings,
    /// `[oci]`: which artifact formats `push --to oci` writes, and the registry the card's
    /// pull commands name.
    pub oci: OciSettings,
    /// Values `init` wrote for the publisher to replace, each with its line: `check` and
    /// every push refuse them, the generators warn.
    pub placeholders: Vec<super::ManifestError>,
}

/// `[family]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// Display name, e.g. `RuvLTRA`.
    pub name: String,
    /// One-paragraph description.
    pub description: String,
    /// Who publishes the models (Hub user or organisation, person).
    pub publisher: String,
    /// The model these are derived from (a Hub repository id).
    pub base_model: Option<String>,
    /// The license.
    pub license: License,
    /// Languages (ISO 639-1 codes).
    pub languages: Vec<String>,
    /// Free-form tags for the Hub and ModelScope.
    pub tags: Vec<String>,
    /// The model `:latest` and the repository-root files describe (a key of `models`).
    pub default_model: String,
}

/// A license: a Hub license id, or a named license with a link and/or a text file.
#[derive(Debug, Clone, PartialEq)]
pub enum License {
    /// A Hub license id such as `apache-2.0`.
    Id(String),
    /// A license the Hub does not list (`license: other` on the card).
    Custom {
        /// Its name.
        name: String,
        /// Where to read it.
        link: Option<String>,
        /// Its text, relative to the manifest.
        file: Option<PathBuf>,
    },
}

/// `[hub]`.
#[derive(Debug, Clone, PartialEq)]
pub struct HubSettings {
    /// `owner/name`.
    pub repo: String,
    /// Branch, tag or commit (default `main`).
    pub revision: String,
}

/// `[source]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceSettings {
    /// A folder holding the GGUF files, relative to the manifest (used by `--from local`).
    pub local: Option<PathBuf>,
    /// Whether the local files are test fixtures rather than the published files; outputs
    /// made from them say so, since their sizes and digests differ.
    pub fixtures: bool,
}

/// Settings that can be given for the family, a model or a variant; the narrower wins.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Settings {
    /// The default system prompt.
    pub system: Option<Claim<String>>,
    /// A chat template (Jinja) overriding the one in the GGUF header.
    pub chat_template: Option<Claim<ChatTemplateSource>>,
    /// Sampling parameters other than `stop`, in file order.
    pub parameters: Vec<(Parameter, Claim<ParamValue>)>,
    /// Stop sequences, replacing (not extending) wider settings and the detected ones.
    pub stop: Option<Claim<Vec<String>>>,
    /// A conversation the model starts with (Modelfile `MESSAGE` lines).
    pub messages: Vec<ManifestMessage>,
    /// A hand-written Ollama Go template (`ollama_template_file`, relative to the manifest)
    /// used instead of the converted one, for templates the converter cannot reproduce.
    pub ollama_template_file: Option<Claim<PathBuf>>,
}

/// Where an overriding chat template comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatTemplateSource {
    /// Written in the manifest (`chat_template`).
    Inline(String),
    /// A file relative to the manifest (`chat_template_file`).
    File(PathBuf),
}

/// One message of a starting conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestMessage {
    /// Who speaks.
    pub role: MessageRole,
    /// What is said.
    pub content: String,
}

/// `[models.NAME]`: one model of the family, with its quant variants.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelEntry {
    /// The table key, e.g. `claude-code`.
    pub key: String,
    /// Display name.
    pub name: Option<String>,
    /// Description for cards and catalogs.
    pub description: Option<String>,
    /// The preferred variant (a key of `variants`).
    pub default_variant: String,
    /// Context length, checked against the header.
    pub context_length: Option<Claim<u64>>,
    /// Size label such as `0.5b`, checked against the header's parameter count.
    pub size: Option<Claim<String>>,
    /// Settings for this model.
    pub settings: Settings,
    /// `[models.NAME.variants.VARIANT]`, in file order.
    pub variants: Vec<VariantEntry>,
    /// `[models.NAME.ollama] name`: the Ollama model part (default `basename-NAME`).
    pub ollama_name: Option<String>,
    /// `[models.NAME.modelscope] repo`: the ModelScope repository name.
    pub modelscope_repo: Option<String>,
    /// `projector`: the multimodal projector (mmproj GGUF) every variant of this model uses,
    /// unless a variant names its own.
    pub projector: Option<CompanionFile>,
    /// `adapter`: the LoRA adapter GGUF every variant of this model runs with, unless a
    /// variant names its own.
    pub adapter: Option<CompanionFile>,
    /// Where the table is.
    pub location: Location,
}

/// `[models.NAME.variants.VARIANT]`: one GGUF file.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantEntry {
    /// The table key, e.g. `q4_k_m`.
    pub key: String,
    /// The GGUF file name in the repository (or local folder).
    pub file: String,
    /// Quantization, checked against the header and the file name.
    pub quant: Option<Claim<String>>,
    /// Context length, checked against the header.
    pub context_length: Option<Claim<u64>>,
    /// Size label, checked against the header.
    pub size: Option<Claim<String>>,
    /// `projector`: this variant's multimodal projector (mmproj GGUF), in the same repository
    /// or folder as `file`; replaces the model's.
    pub projector: Option<CompanionFile>,
    /// `adapter`: this variant's LoRA adapter GGUF, in the same repository or folder as
    /// `file`; replaces the model's.
    pub adapter: Option<CompanionFile>,
    /// Settings for this variant.
    pub settings: Settings,
    /// Where the table is.
    pub location: Location,
}

/// `projector = "file.gguf"` or `adapter = "file.gguf"`: a GGUF that runs beside the model
/// file — a multimodal projector (`general.type = mmproj`) or a LoRA adapter
/// (`general.type = adapter`; one per variant, because Ollama runs at most one adapter per
/// model). The place is kept so resolution can point at the line when the file turns out not
/// to fit. It reads as its file name (`model.projector.as_deref()`).
#[derive(Debug, Clone, PartialEq)]
pub struct CompanionFile {
    /// The GGUF file name in the repository (or local folder).
    pub file: String,
    /// Where the value is written.
    pub location: Location,
}

impl std::ops::Deref for CompanionFile {
    type Target = str;

    fn deref(&self) -> &str {
        &self.file
    }
}

/// `[ollama]`: how Ollama names are spelled. Resolution carries it as is, and the lock file
/// writes it as `targets.ollama`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OllamaSettings {
    /// The namespace on ollama.com (default: the family's publisher).
    pub namespace: String,
    /// The model-name stem (default: the family name, lower-case).
    pub basename: String,
    /// How tags are spelled.
    pub tag_scheme: TagScheme,
}

/// Who may see a ModelScope repository the modelscope backend creates: `[modelscope]
/// visibility` in the manifest, kept typed through resolution and the lock file (written
/// lower-case) to the API call (as ModelScope's number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Only the owner (1).
    Private,
    /// Members of the organization (3).
    Internal,
    /// Everyone (5). The default.
    #[default]
    Public,
}

impl Visibility {
    /// Every visibility, in the order messages list them.
    pub const ALL: [Visibility; 3] = [
        Visibility::Public,
        Visibility::Internal,
        Visibility::Private,
    ];

    /// The name in the manifest and the lock file (`public`, `internal`, `private`).
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Internal => "internal",
            Visibility::Public => "public",
        }
    }

    /// Looks a visibility up by its manifest name (exact, lower-case).
    pub fn from_name(name: &str) -> Option<Visibility> {
        Self::ALL.into_iter().find(|v| v.as_str() == name)
    }

    /// The number ModelScope's API takes.
    pub fn code(self) -> u8 {
        match self {
            Visibility::Private => 1,
            Visibility::Internal => 3,
            Visibility::Public => 5,
        }
    }
}

impl std::fmt::Display for Visibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads a visibility name in any case (`Private`), for values typed by people.
impl std::str::FromStr for Visibility {
    type Err = UnknownVisibility;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::from_name(&input.to_ascii_lowercase()).ok_or_else(|| UnknownVisibility {
            input: input.to_owned(),
        })
    }
}

/// A name that is no ModelScope visibility.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a ModelScope visibility (expected `public`, `internal` or `private`)")]
pub struct UnknownVisibility {
    /// The text given.
    pub input: String,
}

/// `[modelscope]`: who owns the ModelScope repositories. Resolution carries it as is, and the
/// lock file writes it as `targets.modelscope`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelScopeSettings {
    /// The user or organisation owning the repositories.
    pub owner: String,
    /// Visibility of created repositories (default public).
    pub visibility: Visibility,
}

/// `[card]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CardSettings {
    /// Title (default: the family name).
    pub title: Option<String>,
    /// Text under the title (default: the family description).
    pub summary: Option<String>,
    /// Capabilities, one bullet each.
    pub capabilities: Vec<String>,
    /// `quantized_by` in the front matter.
    pub quantized_by: Option<String>,
    /// Benchmark results.
    pub benchmarks: Vec<Benchmark>,
}

/// `[[card.benchmarks]]`: one result.
#[derive(Debug, Clone, PartialEq)]
pub struct Benchmark {
    /// The model (a key of `models`).
    pub model: String,
    /// The variant, if the result is for one.
    pub variant: Option<String>,
    /// Benchmark name, e.g. `HumanEval`.
    pub name: String,
    /// Metric, e.g. `pass@1`.
    pub metric: String,
    /// The result.
    pub value: f64,
    /// Where the result comes from (URL or text).
    pub source: Option<String>,
}

/// `[oci]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OciSettings {
    /// `host[:port]` of the registry the models are published in: the default of
    /// `push --to oci --registry`, and the host in the card's pull commands (none without it).
    pub registry: Option<String>,
    /// The artifact formats to push (empty: Ollama's only).
    pub formats: Vec<OciFormat>,
}

/// `[llamacpp]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LlamaCppSettings {
    /// Write a `preset.ini` for the Hub repository root (served to every `-hf` user).
    pub hub_preset: bool,
}

impl Manifest {
    /// The folder relative paths in the manifest start from.
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// A model by key.
    pub fn model(&self, key: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.key == key)
    }

    /// The family's default model.
    pub fn default_model(&self) -> Option<&ModelEntry> {
        self.model(&self.family.default_model)
    }

    /// Every variant of every model, in file order.
    pub fn variants(&self) -> impl Iterator<Item = (&ModelEntry, &VariantEntry)> {
        self.models
            .iter()
            .flat_map(|m| m.variants.iter().map(move |v| (m, v)))
    }

    /// The variants a `--variant NAME` list selects (all of them for an empty list). A name
    /// is `MODEL/VARIANT` (`small/q8_0`), a model (all its variants) or a GGUF file name.
    pub fn select_variants(
        &self,
        names: &[String],
    ) -> Result<Vec<(&ModelEntry, &VariantEntry)>, UnknownVariant> {
        if names.is_empty() {
            return Ok(self.variants().collect());
        }
        let mut selected: Vec<(&ModelEntry, &VariantEntry)> = Vec::new();
        for name in names {
            let matches: Vec<_> = self
                .variants()
                .filter(|(m, v)| {
                    *name == format!("{}/{}", m.key, v.key) || *name == m.key || *name == v.file
                })
                .collect();
            if matches.is_empty() {
                let known: Vec<String> = self
                    .variants()
                    .map(|(m, v)| format!("{}/{}", m.key, v.key))
                    .collect();
                return Err(UnknownVariant {
                    name: name.clone(),
                    suggestion: crate::ollama::suggest(name, known.iter().map(String::as_str))
                        .map(str::to_owned),
                    known,
                });
            }
            for found in matches {
                if !selected
                    .iter()
                    .any(|(m, v)| m.key == found.0.key && v.key == found.1.key)
                {
                    selected.push(found);
                }
            }
        }
        Ok(selected)
    }

    /// The Ollama name of a model, without a tag: `namespace/basename-KEY` unless the model
    /// sets its own name.
    pub fn ollama_name(&self, model: &ModelEntry) -> Result<ModelName, NameError> {
        let name = model
            .ollama_name
            .clone()
            .unwrap_or_else(|| format!("{}-{}", self.ollama.basename, model.key));
        ModelName::new(Some(&self.ollama.namespace), &name, None)
    }

    /// Every Ollama name a variant is published under, given its size label and quant (from
    /// the header): `ns/model:size-quant`, plus `:size` and `:latest` for the model's default
    /// variant.
    pub fn ollama_variant_names(
        &self,
        model: &ModelEntry,
        variant: &VariantEntry,
        size: &str,
        quant: &str,
    ) -> Result<Vec<ModelName>, NameError> {
        let is_default = model.default_variant == variant.key;
        crate::ollama::variant_names(
            &self.ollama_name(model)?,
            self.ollama.tag_scheme,
            size,
            quant,
            is_default,
            is_default,
        )
    }

    /// The settings that apply to a variant, widest first: defaults, model, variant.
    pub fn settings_for<'a>(
        &'a self,
        model: &'a ModelEntry,
        variant: &'a VariantEntry,
    ) -> [&'a Settings; 3] {
        [&self.defaults, &model.settings, &variant.settings]
    }

    /// The manifest's sampling parameters for a variant: narrower settings replace wider
    /// ones, and a `stop` list replaces the wider list as a whole.
    pub fn parameters_for(&self, model: &ModelEntry, variant: &VariantEntry) -> Parameters {
        let mut params = Parameters::new();
        for settings in self.settings_for(model, variant) {
            for (param, claim) in &settings.parameters {
                // Checked when the manifest was loaded.
                let _ = params.set(*param, claim.value.clone());
            }
            if let Some(stop) = &settings.stop {
                let _ = params.set_stop(stop.value.clone());
            }
        }
        params
    }

    /// The narrowest system prompt for a variant.
    pub fn system_for<'a>(
        &'a self,
        model: &'a ModelEntry,
        variant: &'a VariantEntry,
    ) -> Option<&'a Claim<String>> {
        self.settings_for(model, variant)
            .into_iter()
            .rev()
            .find_map(|s| s.system.as_ref())
    }
}

/// A `--variant` name that matches no variant of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no variant `{name}` in the manifest{}; variants: {}", super::error::did_you_mean(suggestion.as_deref()), known.join(", "))]
pub struct UnknownVariant {
    /// The name given.
    pub name: String,
    /// The nearest known `MODEL/VARIANT`.
    pub suggestion: Option<String>,
    /// Every `MODEL/VARIANT`.
    pub known: Vec<String>,
}

impl ModelEntry {
    /// The projector a variant uses: its own, else the model's.
    pub fn projector_for<'a>(&'a self, variant: &'a VariantEntry) -> Option<&'a CompanionFile> {
        variant.projector.as_ref().or(self.projector.as_ref())
    }

    /// The adapter a variant uses: its own, else the model's.
    pub fn adapter_for<'a>(&'a self, variant: &'a VariantEntry) -> Option<&'a CompanionFile> {
        variant.adapter.as_ref().or(self.adapter.as_ref())
    }

    /// A variant by key.
    pub fn variant(&self, key: &str) -> Option<&VariantEntry> {
        self.variants.iter().find(|v| v.key == key)
    }

    /// The preferred variant.
    pub fn default_variant(&self) -> Option<&VariantEntry> {
        self.variant(&self.default_variant)
    }
}
