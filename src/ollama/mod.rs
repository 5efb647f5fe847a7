//! Ollama's vocabulary: model names, parameter names and types, media types.
//!
//! Everything here follows Ollama v0.33's rules (see `docs/modelfile.md`): a value of these
//! types has been checked once and is valid afterwards.

mod error;
mod media_type;
mod name;
mod parameter;

pub use error::{NameError, NamePart, ParamError};
pub use media_type::{CONFIG_MEDIA_TYPE, LayerMediaType, MANIFEST_MEDIA_TYPE};
pub use name::{
    DEFAULT_HOST, DEFAULT_NAMESPACE, DEFAULT_TAG, ModelName, TagScheme, quant_tag, size_tag,
    variant_names,
};
pub use parameter::{
    IGNORED_PARAMETERS, ParamType, ParamValue, Parameter, Parameters, REMOVED_PARAMETERS,
};

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
