//! Ollama's vocabulary: model names, parameter names and types, media types, server versions
//! and the features they bring (`version`), and which prompt builder a server version uses for
//! a model (`prompt_builder`).
//!
//! Everything here follows Ollama v0.33's rules (see `docs/modelfile.md`): a value of these
//! types has been checked once and is valid afterwards.

mod builtin;
mod error;
mod media_type;
mod name;
mod parameter;
mod prompt_builder;
mod version;

pub use builtin::{
    FAMILY_PARSERS, FamilyParser, PARSERS, ParserName, RENDERERS, check_renderer, family_parser,
    required_version,
};
pub use error::{BuiltinError, NameError, NamePart, ParamError};
pub use media_type::{CONFIG_MEDIA_TYPE, LayerMediaType, MANIFEST_MEDIA_TYPE};
pub use name::{
    DEFAULT_HOST, DEFAULT_NAMESPACE, DEFAULT_TAG, ModelName, TagScheme, quant_tag, size_tag,
    variant_names,
};
pub use parameter::{
    IGNORED_PARAMETERS, ParamType, ParamValue, Parameter, Parameters, REMOVED_PARAMETERS,
};
pub use prompt_builder::{
    CAPABILITY_COMPARISON_SINCE, Capability, DRAFT_SINCE, LLAMA_SERVER_SINCE, PromptBuilder,
    PromptFacts, RENDERER_SINCE, REQUIRES_SINCE, Selection, TemplateFacts, VersionRange, select,
    select_all,
};
pub use version::OllamaVersion;

/// The candidate nearest to `input` if it is close enough to be a likely typo (case
/// differences count as near), for "did you mean" hints.
pub fn suggest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lowered = input.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&lowered, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(distance, c)| *distance <= (c.len().max(input.len()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}
