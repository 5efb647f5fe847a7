//! Ollama model names (`[host/][namespace/]model[:tag]`) and the tag scheme generated names
//! follow.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use super::error::{NameError, NamePart};

/// The registry a name without a host refers to.
pub const DEFAULT_HOST: &str = "registry.ollama.ai";
/// The namespace a name without one refers to.
pub const DEFAULT_NAMESPACE: &str = "library";
/// The tag a name without one refers to.
pub const DEFAULT_TAG: &str = "latest";

const MAX_HOST: usize = 350;
const MAX_PART: usize = 80;

/// A valid Ollama model name. Parts left out stay left out when displayed; the accessors
/// fill in Ollama's defaults. Names compare and hash case-insensitively, as Ollama compares
/// them, so two generated names that differ only in case are caught as a clash.
#[derive(Debug, Clone)]
pub struct ModelName {
    host: Option<String>,
    namespace: Option<String>,
    model: String,
    tag: Option<String>,
}

impl ModelName {
    /// Builds `namespace/model:tag` from parts, checking each.
    pub fn new(namespace: Option<&str>, model: &str, tag: Option<&str>) -> Result<Self, NameError> {
        let mut text = String::new();
        if let Some(ns) = namespace {
            text.push_str(ns);
            text.push('/');
        }
        text.push_str(model);
        if let Some(tag) = tag {
            text.push(':');
            text.push_str(tag);
        }
        let name: ModelName = text.parse()?;
        // A `/` or `:` inside a part would have been read as a separator: refuse, not reshape.
        if name.namespace.as_deref() != namespace
            || name.model != model
            || name.tag.as_deref() != tag
        {
            return Err(NameError::TooManyParts { input: text });
        }
        Ok(name)
    }

    /// The same name with another tag.
    pub fn with_tag(&self, tag: &str) -> Result<Self, NameError> {
        check_part(&self.to_string(), NamePart::Tag, tag)?;
        Ok(ModelName {
            tag: Some(tag.to_owned()),
            ..self.clone()
        })
    }

    /// The registry host (default `registry.ollama.ai`).
    pub fn host(&self) -> &str {
        self.host.as_deref().unwrap_or(DEFAULT_HOST)
    }

    /// The namespace (default `library`).
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE)
    }

    /// The model part.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The tag (default `latest`).
    pub fn tag(&self) -> &str {
        self.tag.as_deref().unwrap_or(DEFAULT_TAG)
    }

    /// `namespace/model`: the repository an OCI registry stores the model under.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.namespace(), self.model)
    }

    /// The fully qualified form, `host/namespace/model:tag`, with defaults filled in.
    pub fn fully_qualified(&self) -> String {
        format!(
            "{}/{}/{}:{}",
            self.host(),
            self.namespace(),
            self.model,
            self.tag()
        )
    }

    fn folded(&self) -> [String; 4] {
        [
            self.host().to_ascii_lowercase(),
            self.namespace().to_ascii_lowercase(),
            self.model.to_ascii_lowercase(),
            self.tag().to_ascii_lowercase(),
        ]
    }
}

impl PartialEq for ModelName {
    fn eq(&self, other: &Self) -> bool {
        self.folded() == other.folded()
    }
}

impl Eq for ModelName {}

impl Hash for ModelName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.folded().hash(state);
    }
}

/// Written as displayed (`ns/model:tag`), as the lock file records names.
impl serde::Serialize for ModelName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(host) = &self.host {
            write!(f, "{host}/")?;
        }
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}/")?;
        }
        f.write_str(&self.model)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        Ok(())
    }
}

impl FromStr for ModelName {
    type Err = NameError;

    /// Parses `[host/][namespace/]model[:tag]`. The tag is split at the last `:` after the
    /// last `/`, so a host may carry a port (`localhost:5000/ns/model`).
    fn from_str(input: &str) -> Result<Self, NameError> {
        let last_slash = input.rfind('/').map_or(0, |i| i + 1);
        let (path, tag) = match input[last_slash..].rfind(':') {
            Some(i) => (&input[..last_slash + i], Some(&input[last_slash + i + 1..])),
            None => (input, None),
        };
        let parts: Vec<&str> = path.split('/').collect();
        let (host, namespace, model) = match parts.as_slice() {
            [model] => (None, None, *model),
            [ns, model] => (None, Some(*ns), *model),
            [host, ns, model] => (Some(*host), Some(*ns), *model),
            _ => {
                return Err(NameError::TooManyParts {
                    input: input.to_owned(),
                });
            }
        };
        if let Some(host) = host {
            check_part(input, NamePart::Host, host)?;
        }
        if let Some(ns) = namespace {
            check_part(input, NamePart::Namespace, ns)?;
        }
        check_part(input, NamePart::Model, model)?;
        if let Some(tag) = tag {
            check_part(input, NamePart::Tag, tag)?;
        }
        Ok(ModelName {
            host: host.map(str::to_owned),
            namespace: namespace.map(str::to_owned),
            model: model.to_owned(),
            tag: tag.map(str::to_owned),
        })
    }
}

fn check_part(input: &str, part: NamePart, value: &str) -> Result<(), NameError> {
    let (max, rule) = match part {
        NamePart::Host => (
            MAX_HOST,
            "letters, digits, `_`, `-`, `.` and `:`, starting with a letter, digit or `_`",
        ),
        NamePart::Namespace => (
            MAX_PART,
            "letters, digits, `_` and `-`, starting with a letter, digit or `_`",
        ),
        NamePart::Model | NamePart::Tag => (
            MAX_PART,
            "letters, digits, `_`, `-` and `.`, starting with a letter, digit or `_`",
        ),
    };
    let bad = |reason: String| NameError::BadChar {
        input: input.to_owned(),
        part,
        value: value.to_owned(),
        reason,
        rule,
    };
    if value.is_empty() {
        return Err(NameError::Empty {
            input: input.to_owned(),
            part,
        });
    }
    let len = value.chars().count();
    if len > max {
        return Err(NameError::TooLong {
            input: input.to_owned(),
            part,
            value: value.to_owned(),
            len,
            max,
        });
    }
    for (i, c) in value.chars().enumerate() {
        let ok = match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' => true,
            '-' => i > 0,
            '.' => i > 0 && part != NamePart::Namespace,
            ':' => i > 0 && part == NamePart::Host,
            _ => false,
        };
        if !ok {
            return Err(bad(format!("`{c}` at position {}", i + 1)));
        }
    }
    Ok(())
}

/// How generated tags are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TagScheme {
    /// `size-quant`, e.g. `0.5b-q4_K_M` (Ollama library habit); the default.
    #[default]
    SizeQuant,
    /// `quant` only, e.g. `q4_K_M` (for repositories with one size).
    Quant,
}

impl TagScheme {
    /// The scheme's name in the manifest (`size-quant`, `quant`).
    pub fn as_str(self) -> &'static str {
        match self {
            TagScheme::SizeQuant => "size-quant",
            TagScheme::Quant => "quant",
        }
    }

    /// Every scheme, for messages and suggestions.
    pub const ALL: [TagScheme; 2] = [TagScheme::SizeQuant, TagScheme::Quant];

    /// Looks a scheme up by its manifest name.
    pub fn from_name(name: &str) -> Option<TagScheme> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The tag for one variant: `0.5b-q4_K_M` or `q4_K_M`.
    pub fn tag(self, size: &str, quant: &str) -> Result<String, NameError> {
        let quant = quant_tag(quant)?;
        Ok(match self {
            TagScheme::SizeQuant => format!("{}-{quant}", size_tag(size)?),
            TagScheme::Quant => quant,
        })
    }
}

/// Every name one variant is published under: `model:size-quant` (or `model:quant`), plus
/// `model:size` when it is the preferred quant of its size (size-quant scheme only), plus
/// `model:latest` when it is the model's default variant.
pub fn variant_names(
    model: &ModelName,
    scheme: TagScheme,
    size: &str,
    quant: &str,
    preferred: bool,
    default: bool,
) -> Result<Vec<ModelName>, NameError> {
    let mut names = vec![model.with_tag(&scheme.tag(size, quant)?)?];
    if preferred && scheme == TagScheme::SizeQuant {
        names.push(model.with_tag(&size_tag(size)?)?);
    }
    if default {
        names.push(model.with_tag(DEFAULT_TAG)?);
    }
    Ok(names)
}

/// A quantization name as Ollama's library spells it in tags: the type prefix lower-case,
/// the rest as llama.cpp names it (`Q4_K_M` -> `q4_K_M`, `q8_0` -> `q8_0`, `IQ4_XS` ->
/// `iq4_XS`), and float types as `fp16`, `bf16`, `fp32`. Accepts either case.
pub fn quant_tag(quant: &str) -> Result<String, NameError> {
    let bad = || NameError::BadQuant {
        quant: quant.to_owned(),
    };
    let upper = quant.to_ascii_uppercase();
    if upper.is_empty()
        || !upper.starts_with(|c: char| c.is_ascii_alphabetic())
        || !upper.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(bad());
    }
    Ok(match upper.as_str() {
        "F16" => "fp16".to_owned(),
        "F32" => "fp32".to_owned(),
        "BF16" => "bf16".to_owned(),
        _ => match upper.split_once('_') {
            Some((kind, rest)) => format!("{}_{rest}", kind.to_ascii_lowercase()),
            None => upper.to_ascii_lowercase(),
        },
    })
}

/// A model size as a tag part: lower-case (`0.5B` -> `0.5b`, `8x7B` -> `8x7b`).
pub fn size_tag(size: &str) -> Result<String, NameError> {
    let lower = size.to_ascii_lowercase();
    check_part(size, NamePart::Tag, &lower)?;
    Ok(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_parts_and_defaults() {
        let n: ModelName = "ruv/ruvltra-claude-code:0.5b-q4_K_M".parse().unwrap();
        assert_eq!(n.host(), "registry.ollama.ai");
        assert_eq!(n.namespace(), "ruv");
        assert_eq!(n.model(), "ruvltra-claude-code");
        assert_eq!(n.tag(), "0.5b-q4_K_M");
        assert_eq!(n.to_string(), "ruv/ruvltra-claude-code:0.5b-q4_K_M");

        let n: ModelName = "localhost:5000/ns/m.v2".parse().unwrap();
        assert_eq!(n.host(), "localhost:5000");
        assert_eq!(n.model(), "m.v2");
        assert_eq!(n.tag(), "latest");
        assert_eq!(n.fully_qualified(), "localhost:5000/ns/m.v2:latest");
        assert_eq!(n.repository(), "ns/m.v2");

        let n: ModelName = "qwen2.5".parse().unwrap();
        assert_eq!(
            n.fully_qualified(),
            "registry.ollama.ai/library/qwen2.5:latest"
        );
    }

    #[test]
    fn rejects_bad_names() {
        for bad in [
            "",
            "a/b/c/d",
            "ns/:tag",
            "model:",
            "-model",
            "my.ns/model",
            "model:ta:g",
            "mo del",
            ".model",
            "model:tag/x",
        ] {
            assert!(
                bad.parse::<ModelName>().is_err(),
                "{bad:?} should be invalid"
            );
        }
        assert!("a".repeat(80).parse::<ModelName>().is_ok());
        let err = "a".repeat(81).parse::<ModelName>().unwrap_err();
        assert!(err.to_string().contains("at most 80"), "{err}");
        assert!(
            format!("{}/m", "h".repeat(351))
                .parse::<ModelName>()
                .is_err()
        );
    }

    #[test]
    fn compares_case_insensitively() {
        let a: ModelName = "Ruv/RuvLTRA:Q4_K_M".parse().unwrap();
        let b: ModelName = "registry.ollama.ai/ruv/ruvltra:q4_k_m".parse().unwrap();
        assert_eq!(a, b);
        let set: std::collections::HashSet<_> = [a, b].into_iter().collect();
        assert_eq!(set.len(), 1);
        let c: ModelName = "ruv/ruvltra".parse().unwrap();
        let d: ModelName = "ruv/ruvltra:latest".parse().unwrap();
        assert_eq!(c, d);
    }

    #[test]
    fn new_refuses_separators_inside_parts() {
        assert!(ModelName::new(Some("ruv"), "a/b", None).is_err());
        assert!(ModelName::new(Some("ruv"), "a", Some("x:y")).is_err());
        let n = ModelName::new(Some("ruv"), "ruvltra-small", Some("0.5b-q8_0")).unwrap();
        assert_eq!(n.to_string(), "ruv/ruvltra-small:0.5b-q8_0");
        assert_eq!(
            n.with_tag("0.5b").unwrap().to_string(),
            "ruv/ruvltra-small:0.5b"
        );
    }

    #[test]
    fn tags_follow_the_library_habit() {
        assert_eq!(quant_tag("Q4_K_M").unwrap(), "q4_K_M");
        assert_eq!(quant_tag("q4_k_m").unwrap(), "q4_K_M");
        assert_eq!(quant_tag("q8_0").unwrap(), "q8_0");
        assert_eq!(quant_tag("IQ4_XS").unwrap(), "iq4_XS");
        assert_eq!(quant_tag("f16").unwrap(), "fp16");
        assert_eq!(quant_tag("BF16").unwrap(), "bf16");
        assert!(quant_tag("4bit!").is_err());
        assert_eq!(
            TagScheme::SizeQuant.tag("0.5B", "Q4_K_M").unwrap(),
            "0.5b-q4_K_M"
        );
        assert_eq!(TagScheme::Quant.tag("0.5B", "q8_0").unwrap(), "q8_0");
    }

    #[test]
    fn variant_names_add_size_and_latest() {
        let model: ModelName = "ruv/ruvltra-small".parse().unwrap();
        let shown =
            |names: Vec<ModelName>| names.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(
            shown(
                variant_names(&model, TagScheme::SizeQuant, "0.5B", "Q4_K_M", true, true).unwrap()
            ),
            [
                "ruv/ruvltra-small:0.5b-q4_K_M",
                "ruv/ruvltra-small:0.5b",
                "ruv/ruvltra-small:latest"
            ]
        );
        assert_eq!(
            shown(
                variant_names(&model, TagScheme::SizeQuant, "0.5B", "Q8_0", false, false).unwrap()
            ),
            ["ruv/ruvltra-small:0.5b-q8_0"]
        );
        assert_eq!(
            shown(variant_names(&model, TagScheme::Quant, "0.5B", "Q4_K_M", true, true).unwrap()),
            ["ruv/ruvltra-small:q4_K_M", "ruv/ruvltra-small:latest"]
        );
    }
}
