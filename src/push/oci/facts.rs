//! What the Docker Model Runner and ModelPack artifacts state about a model beside its files:
//! facts from the GGUF header and the manifest that Ollama's image does not carry. The
//! manifest-driven push fills them in ([`crate::push::from_resolved`]); a push of bare GGUF
//! files (`push --gguf`) has none and can only write Ollama's format.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::gguf::{GgufHeader, Value};
use crate::template::jinja::FixedDateTime;

/// Facts about one model for the formats with a model config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelFacts {
    /// The model's display name (ModelPack `descriptor.name`).
    pub name: String,
    /// The family's display name (ModelPack `descriptor.family`).
    pub family: String,
    /// The published variant (ModelPack `descriptor.version`), e.g. `q4_k_m`.
    pub version: String,
    /// One paragraph about the model.
    pub description: String,
    /// Who publishes it.
    pub authors: Vec<String>,
    /// The Hub license id (`apache-2.0`), mapped to SPDX for ModelPack.
    pub license_id: String,
    /// The Hub repository and commit the GGUFs were downloaded from (`--from hub` only).
    pub source: Option<SourceRepository>,
    /// When the artifact was made, RFC 3339 (fixed per input so a second push is a no-op).
    pub created: String,
    /// `general.architecture`, e.g. `qwen2`.
    pub architecture: String,
    /// Parameter count.
    pub parameter_count: u64,
    /// The quant label, e.g. `Q4_K_M`.
    pub quantization: String,
    /// The context the model runs with: the variant's `num_ctx`, else the trained length.
    pub context_size: Option<u64>,
    /// The GGUF's `general.*` keys with scalar values, as strings.
    pub gguf_general: BTreeMap<String, String>,
    /// The Jinja chat template the model runs with (the GGUF's own, or the chosen one).
    pub chat_template: Option<String>,
    /// Whether the chat template takes tool definitions (Ollama's `tools` capability).
    pub tool_use: bool,
    /// Whether the chat template reacts to thinking (Ollama's `thinking` capability).
    pub reasoning: bool,
    /// The model card, for ModelPack's README layer.
    pub readme: Option<String>,
}

/// A Hub repository at one commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRepository {
    /// The repository's URL, e.g. `https://huggingface.co/ruv/ruvltra`.
    pub url: String,
    /// The commit.
    pub revision: String,
}

/// The `general.*` keys of a GGUF header with scalar values, as strings (Docker Model
/// Runner's `config.gguf` map). Arrays such as `general.tags` are left out.
pub fn gguf_general_keys(header: &GgufHeader) -> BTreeMap<String, String> {
    header
        .metadata()
        .entries()
        .iter()
        .filter(|e| e.key().starts_with("general."))
        .filter_map(|e| {
            let value = match e.value() {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Array(_) => return None,
                other => other
                    .as_u64()
                    .map(|n| n.to_string())
                    .or_else(|| other.as_i64().map(|n| n.to_string()))
                    .or_else(|| other.as_f64().map(|n| n.to_string()))?,
            };
            Some((e.key().to_string(), value))
        })
        .collect()
}

/// RFC 3339 for `seconds` after the Unix epoch, in UTC.
pub fn rfc3339(seconds: i64) -> String {
    let t = FixedDateTime::from_unix_seconds(seconds);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// The creation time of an artifact made from `files`: `SOURCE_DATE_EPOCH` when given, else
/// the newest modification time among the files, so pushing the same files twice makes the
/// same config (and the second push sends nothing).
pub fn creation_seconds<'a>(
    source_date_epoch: Option<i64>,
    files: impl IntoIterator<Item = &'a Path>,
) -> i64 {
    if let Some(seconds) = source_date_epoch {
        return seconds;
    }
    files
        .into_iter()
        .filter_map(|p| std::fs::metadata(p).ok()?.modified().ok())
        .filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn creation_time_prefers_source_date_epoch() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("m.gguf");
        std::fs::write(&file, b"x").unwrap();
        assert_eq!(creation_seconds(Some(42), [file.as_path()]), 42);
        let from_file = creation_seconds(None, [file.as_path()]);
        assert!(from_file > 1_600_000_000, "{from_file}");
        assert_eq!(creation_seconds(None, [file.as_path()]), from_file);
    }
}
