//! An Ollama model as an image: a config blob, layers with Ollama's media types in Ollama's
//! order, and the manifest that names them. Both the oci and the bundle backends (and the
//! Ollama API backend's blob uploads) send exactly these bytes.

use std::sync::Arc;

use serde::Serialize;

use super::backend::PushContext;
use super::blob_source::BlobSource;
use super::error::PushError;
use super::progress::Progress;
use super::release::{OllamaModel, Release};
use crate::digest::Digest;
use crate::digest::DigestCache;
use crate::ollama::ModelName;

/// The manifest media type Ollama writes and registries are sent.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// The config blob's media type.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.docker.container.image.v1+json";
/// Layer media types, in the order Ollama writes layers.
pub mod media_type {
    /// A GGUF model file (one layer per shard).
    pub const MODEL: &str = "application/vnd.ollama.image.model";
    /// A multimodal projector GGUF.
    pub const PROJECTOR: &str = "application/vnd.ollama.image.projector";
    /// A LoRA adapter GGUF.
    pub const ADAPTER: &str = "application/vnd.ollama.image.adapter";
    /// The Go chat template text.
    pub const TEMPLATE: &str = "application/vnd.ollama.image.template";
    /// The system prompt text.
    pub const SYSTEM: &str = "application/vnd.ollama.image.system";
    /// One license text.
    pub const LICENSE: &str = "application/vnd.ollama.image.license";
    /// Parameters as a JSON object.
    pub const PARAMS: &str = "application/vnd.ollama.image.params";
    /// Example messages as a JSON array.
    pub const MESSAGES: &str = "application/vnd.ollama.image.messages";
}

/// One blob of an image (the config or a layer) with where its bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageBlob {
    /// Its media type.
    pub media_type: &'static str,
    /// Its digest.
    pub digest: Digest,
    /// Its bytes.
    pub source: BlobSource,
    /// A readable label: `model`, `template`, `config`, a GGUF's file name.
    pub label: String,
}

impl ImageBlob {
    /// The size in bytes.
    pub fn size(&self) -> u64 {
        self.source.size()
    }

    fn from_bytes(media_type: &'static str, label: &str, bytes: Vec<u8>) -> Self {
        Self {
            media_type,
            digest: Digest::of_bytes(&bytes),
            source: BlobSource::bytes(bytes),
            label: label.to_string(),
        }
    }
}

/// A complete image, ready to be written or sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OllamaImage {
    /// The model's name.
    pub name: ModelName,
    /// The config blob.
    pub config: ImageBlob,
    /// The layers in Ollama's order.
    pub layers: Vec<ImageBlob>,
    /// The manifest bytes: compact JSON and a newline, as Ollama stores them.
    pub manifest: Arc<[u8]>,
    /// The manifest's digest.
    pub manifest_digest: Digest,
}

/// An image manifest's JSON (schema 2): Ollama's images and the OCI artifacts (which add
/// `artifactType` and layer annotations; absent fields are not written, so an Ollama manifest
/// stays byte for byte what Ollama writes).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ManifestJson<'a> {
    pub schema_version: u32,
    pub media_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<&'static str>,
    pub config: DescriptorJson<'a>,
    pub layers: Vec<DescriptorJson<'a>>,
}

/// One blob as a manifest names it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescriptorJson<'a> {
    pub media_type: &'a str,
    pub digest: Digest,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<std::collections::BTreeMap<&'static str, &'a str>>,
}

impl<'a> DescriptorJson<'a> {
    /// `blob`'s media type, digest and size, without annotations.
    pub fn of(blob: &'a ImageBlob) -> Self {
        DescriptorJson {
            media_type: blob.media_type,
            digest: blob.digest,
            size: blob.size(),
            annotations: None,
        }
    }
}

#[derive(Serialize)]
struct Config<'a> {
    model_format: &'static str,
    model_family: &'a str,
    model_families: &'a [String],
    model_type: &'a str,
    file_type: &'a str,
    architecture: &'a str,
    os: &'a str,
}

impl OllamaImage {
    /// Builds the image of every model of `release`, for a backend that pushes nothing else;
    /// `backend_does` starts the error for a release without models ("the oci backend
    /// pushes"). GGUFs other targets of the command also send are read through
    /// `ctx.reads`.
    pub fn build_all(
        release: &Release,
        ctx: &PushContext<'_>,
        backend_does: &str,
    ) -> Result<Vec<Self>, PushError> {
        if release.models.is_empty() {
            return Err(PushError::input(format!(
                "{backend_does} Ollama-format models, and this release has none"
            )));
        }
        release
            .models
            .iter()
            .map(|model| {
                let mut image = Self::build(model, ctx.digests, ctx.progress)?;
                for layer in &mut image.layers {
                    layer.source = ctx.reads.source(layer.source.clone());
                }
                Ok(image)
            })
            .collect()
    }

    /// Builds the image of `model`. GGUF files are hashed through `digests` (streamed, once
    /// per command); everything else is generated here.
    pub fn build(
        model: &OllamaModel,
        digests: &DigestCache,
        progress: &dyn Progress,
    ) -> Result<Self, PushError> {
        if model.gguf.is_empty() {
            return Err(PushError::input(format!(
                "`{}` has no GGUF file to push",
                model.name.fully_qualified()
            )));
        }
        let mut layers = Vec::new();
        let files = [
            (media_type::MODEL, &model.gguf),
            (media_type::PROJECTOR, &model.projectors),
            (media_type::ADAPTER, &model.adapters),
        ];
        for (media_type, paths) in files {
            for path in paths {
                let (digest, size) = digests.digest_file(path, progress)?;
                let label = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                layers.push(ImageBlob {
                    media_type,
                    digest,
                    source: BlobSource::file(path, size),
                    label,
                });
            }
        }
        if let Some(template) = &model.template {
            layers.push(ImageBlob::from_bytes(
                media_type::TEMPLATE,
                "template",
                template.clone().into_bytes(),
            ));
        }
        if let Some(system) = &model.system {
            layers.push(ImageBlob::from_bytes(
                media_type::SYSTEM,
                "system",
                system.clone().into_bytes(),
            ));
        }
        for license in &model.licenses {
            layers.push(ImageBlob::from_bytes(
                media_type::LICENSE,
                "license",
                license.clone().into_bytes(),
            ));
        }
        if !model.params.is_empty() {
            layers.push(ImageBlob::from_bytes(
                media_type::PARAMS,
                "params",
                params_json(&model.params)?,
            ));
        }
        if !model.messages.is_empty() {
            layers.push(ImageBlob::from_bytes(
                media_type::MESSAGES,
                "messages",
                go_json_line(&model.messages)?,
            ));
        }
        let families =
            if model.config.model_families.is_empty() && !model.config.model_family.is_empty() {
                vec![model.config.model_family.clone()]
            } else {
                model.config.model_families.clone()
            };
        let config_bytes = go_json(&Config {
            model_format: "gguf",
            model_family: &model.config.model_family,
            model_families: &families,
            model_type: &model.config.model_type,
            file_type: &model.config.file_type,
            architecture: &model.config.architecture,
            os: &model.config.os,
        })?;
        let config = ImageBlob::from_bytes(CONFIG_MEDIA_TYPE, "config", config_bytes);
        let manifest = go_json_line(&ManifestJson {
            schema_version: 2,
            media_type: MANIFEST_MEDIA_TYPE,
            artifact_type: None,
            config: DescriptorJson::of(&config),
            layers: layers.iter().map(DescriptorJson::of).collect(),
        })?;
        Ok(Self {
            name: model.name.clone(),
            config,
            layers,
            manifest_digest: Digest::of_bytes(&manifest),
            manifest: manifest.into(),
        })
    }

    /// The config and every layer, config first, each digest once (two identical license
    /// texts are one blob).
    pub fn unique_blobs(&self) -> Vec<&ImageBlob> {
        let mut seen = std::collections::HashSet::new();
        std::iter::once(&self.config)
            .chain(&self.layers)
            .filter(|blob| seen.insert(blob.digest))
            .collect()
    }
}

/// The params layer: a JSON object with keys sorted (as Go writes maps) and `stop` always an
/// array, plus a newline.
fn params_json(params: &serde_json::Map<String, serde_json::Value>) -> Result<Vec<u8>, PushError> {
    let mut sorted: Vec<(&String, &serde_json::Value)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut object = serde_json::Map::new();
    for (key, value) in sorted {
        let value = match (key.as_str(), value) {
            ("stop", serde_json::Value::String(stop)) => {
                serde_json::Value::Array(vec![stop.clone().into()])
            }
            _ => value.clone(),
        };
        object.insert(key.clone(), value);
    }
    go_json_line(&object)
}

/// Compact JSON with Go's `encoding/json` escaping of `<`, `>`, `&`, U+2028 and U+2029, so the
/// bytes (and digests) match what Ollama itself writes.
fn go_json(value: &impl Serialize) -> Result<Vec<u8>, PushError> {
    let text = serde_json::to_string(value)
        .map_err(|e| PushError::input(format!("cannot serialize image JSON: {e}")))?;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    Ok(out.into_bytes())
}

/// [`go_json`] plus the newline Go's `json.Encoder` ends each value with.
fn go_json_line(value: &impl Serialize) -> Result<Vec<u8>, PushError> {
    let mut bytes = go_json(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::push::progress::QuietProgress;
    use crate::push::release::OllamaMessage;

    fn model(dir: &std::path::Path) -> OllamaModel {
        let gguf = dir.join("m.gguf");
        std::fs::write(&gguf, b"GGUF fake").unwrap();
        let mut model = OllamaModel::new("ruv/ruvltra:q4".parse().unwrap(), gguf);
        model.template = Some("{{ .Prompt }}".into());
        model.system = Some("Be brief.".into());
        model.licenses = vec!["Apache-2.0".into()];
        model.params.insert("temperature".into(), 0.7.into());
        model.params.insert("stop".into(), "<|im_end|>".into());
        model.messages = vec![OllamaMessage {
            role: "user".into(),
            content: "hi".into(),
        }];
        model.config.model_family = "qwen2".into();
        model.config.model_type = "494.03M".into();
        model.config.file_type = "Q4_K_M".into();
        model
    }

    #[test]
    fn layers_in_ollama_order_with_go_json() {
        let dir = tempfile::tempdir().unwrap();
        let image = OllamaImage::build(
            &model(dir.path()),
            &DigestCache::in_memory(),
            &QuietProgress,
        )
        .unwrap();
        let kinds: Vec<&str> = image
            .layers
            .iter()
            .map(|l| l.media_type.rsplit('.').next().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "model", "template", "system", "license", "params", "messages"
            ]
        );
        assert_eq!(image.layers[0].digest, Digest::of_bytes(b"GGUF fake"));
        let params = image.layers[4].source.open_at(0).unwrap();
        let params = std::io::read_to_string(params).unwrap();
        assert_eq!(
            params,
            "{\"stop\":[\"\\u003c|im_end|\\u003e\"],\"temperature\":0.7}\n"
        );
        let config = std::io::read_to_string(image.config.source.open_at(0).unwrap()).unwrap();
        assert_eq!(
            config,
            r#"{"model_format":"gguf","model_family":"qwen2","model_families":["qwen2"],"model_type":"494.03M","file_type":"Q4_K_M","architecture":"amd64","os":"linux"}"#
        );
        let manifest = std::str::from_utf8(&image.manifest).unwrap();
        assert!(manifest.ends_with("]}\n"), "{manifest}");
        assert!(manifest.starts_with(r#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:"#));
        assert_eq!(image.manifest_digest, Digest::of_bytes(manifest.as_bytes()));
        assert_eq!(image.unique_blobs().len(), 7);
    }

    #[test]
    fn no_gguf_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut model = model(dir.path());
        model.gguf.clear();
        let err =
            OllamaImage::build(&model, &DigestCache::in_memory(), &QuietProgress).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`registry.ollama.ai/ruv/ruvltra:q4` has no GGUF file to push"
        );
    }
}
