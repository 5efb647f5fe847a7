//! Errors about Ollama's vocabulary: parameter names and values, model names.

use super::parameter::{ParamType, Parameter};

/// A `PARAMETER` name or value Ollama would reject, ignore, or fail on at load time.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// Not a parameter Ollama knows: `ollama create` fails with `unknown parameter 'x'`.
    #[error("unknown parameter '{name}'{}", did_you_mean(*suggestion))]
    Unknown {
        /// The name as written.
        name: String,
        /// The nearest known name, for a typo.
        suggestion: Option<&'static str>,
    },
    /// Removed in Ollama v0.6.9: Ollama warns and ignores it.
    #[error("parameter '{name}' was removed in Ollama v0.6.9 and has no effect: delete it")]
    Removed {
        /// The name as written.
        name: String,
    },
    /// Ollama ignores it with a warning.
    #[error("parameter '{name}' is deprecated and ignored by Ollama: delete it")]
    Ignored {
        /// The name as written.
        name: String,
    },
    /// The value has the wrong type (Ollama would fail when the model runs).
    #[error("`{param}` takes {} {expected}, found {found}", article(*expected))]
    Type {
        /// The parameter.
        param: Parameter,
        /// The type it takes.
        expected: ParamType,
        /// What was found, quoted.
        found: String,
    },
    /// The value is of the right type but outside the accepted range.
    #[error("`{param}` must be {accepted}, found {value}")]
    Range {
        /// The parameter.
        param: Parameter,
        /// The value as written.
        value: String,
        /// The accepted range in words.
        accepted: String,
    },
}

fn article(t: ParamType) -> &'static str {
    match t {
        ParamType::Int => "an",
        _ => "a",
    }
}

pub(crate) fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// Which part of an Ollama model name an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamePart {
    /// The registry host (`registry.ollama.ai`).
    Host,
    /// The namespace (`library`, a user name).
    Namespace,
    /// The model (`ruvltra-small`).
    Model,
    /// The tag (`0.5b-q4_K_M`).
    Tag,
}

impl std::fmt::Display for NamePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NamePart::Host => "host",
            NamePart::Namespace => "namespace",
            NamePart::Model => "model",
            NamePart::Tag => "tag",
        })
    }
}

/// An Ollama model name that breaks Ollama's naming rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// More than `host/namespace/model` before the tag.
    #[error("invalid model name `{input}`: at most `host/namespace/model:tag` is allowed")]
    TooManyParts {
        /// The name as given.
        input: String,
    },
    /// A part is empty (`ruv/:x`, `a:`).
    #[error("invalid model name `{input}`: the {part} is empty")]
    Empty {
        /// The name as given.
        input: String,
        /// The empty part.
        part: NamePart,
    },
    /// A part is longer than Ollama allows.
    #[error(
        "invalid model name `{input}`: the {part} `{value}` is {len} characters long, at most {max} are allowed"
    )]
    TooLong {
        /// The name as given.
        input: String,
        /// The part.
        part: NamePart,
        /// The part's text.
        value: String,
        /// Its length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A character the part may not hold.
    #[error("invalid model name `{input}`: {reason} in the {part} `{value}` ({rule})")]
    BadChar {
        /// The name as given.
        input: String,
        /// The part.
        part: NamePart,
        /// The part's text.
        value: String,
        /// What is wrong, e.g. "`.` at position 3".
        reason: String,
        /// The rule for this part.
        rule: &'static str,
    },
    /// A quant label that cannot become a tag (`q4_K_M` is expected).
    #[error("`{quant}` is not a quantization name such as `Q4_K_M`, `Q8_0` or `F16`")]
    BadQuant {
        /// The label as given.
        quant: String,
    },
}

/// A RENDERER or PARSER name Ollama does not have: it would accept the Modelfile and then
/// silently do nothing with the name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuiltinError {
    /// Not one of Ollama v0.33's parsers.
    #[error("unknown PARSER `{name}`: Ollama would accept it and ignore it{}", did_you_mean(suggestion.as_deref()))]
    UnknownParser {
        /// The name as written.
        name: String,
        /// The nearest known name, for a typo.
        suggestion: Option<String>,
    },
    /// Not one of Ollama v0.33's renderers.
    #[error("unknown RENDERER `{name}`: Ollama would accept it and ignore it{}", did_you_mean(suggestion.as_deref()))]
    UnknownRenderer {
        /// The name as written.
        name: String,
        /// The nearest known name, for a typo.
        suggestion: Option<String>,
    },
}
