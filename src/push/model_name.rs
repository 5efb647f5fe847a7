//! Ollama model names: `[host/][namespace/]model[:tag]`, validated once.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// The registry Ollama assumes when a name has no host.
pub const DEFAULT_HOST: &str = "registry.ollama.ai";
/// The namespace Ollama assumes when a name has none.
pub const DEFAULT_NAMESPACE: &str = "library";
/// The tag Ollama assumes when a name has none.
pub const DEFAULT_TAG: &str = "latest";

/// A full Ollama model name with Ollama's defaults filled in. Parts follow Ollama's rules:
/// each starts with `[A-Za-z0-9_]`, continues with `[A-Za-z0-9_.-]` (no `.` in the
/// namespace, `:` only in the host), host 1-350 characters, the others 1-80.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelName {
    host: String,
    namespace: String,
    model: String,
    tag: String,
}

/// Why a text is not a valid Ollama model name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not a valid Ollama model name: {reason} (expected `[host/][namespace/]model[:tag]`, e.g. `ruv/ruvltra:q4_k_m`)"
)]
pub struct ModelNameError {
    /// The text given.
    pub input: String,
    /// Which part is wrong and how.
    pub reason: String,
}

impl ModelName {
    /// The registry host (`registry.ollama.ai` by default).
    pub fn host(&self) -> &str {
        &self.host
    }
    /// The namespace (`library` by default).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
    /// The model.
    pub fn model(&self) -> &str {
        &self.model
    }
    /// The tag (`latest` by default).
    pub fn tag(&self) -> &str {
        &self.tag
    }
    /// `namespace/model`: the repository name in an OCI registry.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.namespace, self.model)
    }
    /// The same name with another tag (validated like any tag).
    pub fn with_tag(&self, tag: &str) -> Result<Self, ModelNameError> {
        check_part(tag, "tag", 80, false).map_err(|reason| ModelNameError {
            input: tag.to_string(),
            reason,
        })?;
        Ok(Self {
            tag: tag.to_string(),
            ..self.clone()
        })
    }
}

fn check_part(part: &str, what: &str, max: usize, dots: bool) -> Result<(), String> {
    if part.is_empty() || part.len() > max {
        return Err(format!(
            "the {what} must be 1 to {max} characters, not {}",
            part.len()
        ));
    }
    let mut chars = part.chars();
    let first = chars.next().unwrap_or('-');
    if !(first.is_ascii_alphanumeric() || first == '_') {
        return Err(format!(
            "the {what} `{part}` must start with a letter, digit or `_`"
        ));
    }
    if let Some(bad) = chars
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-' || (dots && *c == '.')))
    {
        return Err(format!("the {what} `{part}` contains `{bad}`"));
    }
    Ok(())
}

impl FromStr for ModelName {
    type Err = ModelNameError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = |reason: String| ModelNameError {
            input: input.to_string(),
            reason,
        };
        let last_slash = input.rfind('/').map_or(0, |i| i + 1);
        let (path, tag) = match input[last_slash..].rfind(':') {
            Some(i) => (&input[..last_slash + i], &input[last_slash + i + 1..]),
            None => (input, DEFAULT_TAG),
        };
        let parts: Vec<&str> = path.split('/').collect();
        let (host, namespace, model) = match parts.as_slice() {
            [model] => (DEFAULT_HOST, DEFAULT_NAMESPACE, *model),
            [namespace, model] => (DEFAULT_HOST, *namespace, *model),
            [host, namespace, model] => (*host, *namespace, *model),
            _ => {
                return Err(error(format!(
                    "{} `/`-separated parts, at most 3 allowed",
                    parts.len()
                )));
            }
        };
        if host.is_empty()
            || host.len() > 350
            || host
                .split(':')
                .any(|p| check_part(p, "host", 350, true).is_err())
        {
            return Err(error(format!("the host `{host}` is not a host[:port]")));
        }
        check_part(namespace, "namespace", 80, false).map_err(error)?;
        check_part(model, "model", 80, true).map_err(error)?;
        check_part(tag, "tag", 80, true).map_err(error)?;
        Ok(Self {
            host: host.to_string(),
            namespace: namespace.to_string(),
            model: model.to_string(),
            tag: tag.to_string(),
        })
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}:{}",
            self.host, self.namespace, self.model, self.tag
        )
    }
}

impl Serialize for ModelName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_in() {
        let name: ModelName = "ruvltra".parse().unwrap();
        assert_eq!(
            name.to_string(),
            "registry.ollama.ai/library/ruvltra:latest"
        );
        let name: ModelName = "ruv/ruvltra:q4_k_m".parse().unwrap();
        assert_eq!(
            (name.repository(), name.tag()),
            ("ruv/ruvltra".into(), "q4_k_m")
        );
        let name: ModelName = "127.0.0.1:5000/ruv/ruvltra-0.5b:Q4".parse().unwrap();
        assert_eq!(name.host(), "127.0.0.1:5000");
        assert_eq!(name.model(), "ruvltra-0.5b");
    }

    #[test]
    fn rejects_bad_names() {
        for bad in [
            "",
            "a/b/c/d",
            "-x",
            "ns.x/model",
            "model:",
            "model:-t",
            "mo del",
            "a/:t",
        ] {
            let err = bad.parse::<ModelName>().unwrap_err();
            assert_eq!(err.input, bad);
        }
    }
}
