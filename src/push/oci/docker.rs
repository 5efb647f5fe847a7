//! Docker Model Runner's model artifact (docker/model-spec, config v0.1): an OCI manifest with
//! the config `application/vnd.docker.ai.model.config.v0.1+json` and one uncompressed layer per
//! file: the GGUF parts in order, the LoRA adapter, the projector, the Jinja chat template and
//! the license texts. `docker model pull HOST/REPO:TAG` reads it from any OCI registry.

use std::collections::BTreeMap;

use serde::Serialize;

use super::artifact::{Layer, ModelParts, OciArtifact, config_blob, oci_artifact};
use super::facts::ModelFacts;
use super::format::OciFormat;
use crate::digest::Digest;
use crate::push::error::PushError;

/// The config blob's media type.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.docker.ai.model.config.v0.1+json";

/// Layer media types.
pub mod media_type {
    /// A GGUF model file (one layer per part of a split model, in order).
    pub const GGUF: &str = "application/vnd.docker.ai.gguf.v3";
    /// A LoRA adapter GGUF.
    pub const LORA: &str = "application/vnd.docker.ai.gguf.v3.lora";
    /// A multimodal projector GGUF (the runner's name; the spec text's longer
    /// `gguf.v3.mmproj` is not what the runner reads).
    pub const MMPROJ: &str = "application/vnd.docker.ai.mmproj";
    /// A Jinja chat template, used instead of the GGUF's own.
    pub const CHAT_TEMPLATE: &str = "application/vnd.docker.ai.chat.template.jinja";
    /// A license text.
    pub const LICENSE: &str = "application/vnd.docker.ai.license";
}

/// The config as the runner's Go `ConfigFile` reads it.
#[derive(Debug, Serialize)]
pub struct DockerConfig<'a> {
    /// What the model is.
    pub config: DockerModelConfig<'a>,
    /// When it was made.
    pub descriptor: DockerDescriptor<'a>,
    /// The layers' digests (uncompressed, so equal to their blob digests).
    pub rootfs: RootFs,
}

/// `config` of [`DockerConfig`].
#[derive(Debug, Serialize)]
pub struct DockerModelConfig<'a> {
    /// Always `gguf`.
    pub format: &'static str,
    /// The quant label.
    pub quantization: &'a str,
    /// A human parameter count, `494.03 M`.
    pub parameters: String,
    /// `general.architecture`.
    pub architecture: &'a str,
    /// Bytes of the GGUF parts, as a string.
    pub size: String,
    /// The GGUF's `general.*` keys.
    pub gguf: &'a BTreeMap<String, String>,
    /// The context the model runs with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_size: Option<u64>,
}

/// `descriptor` of [`DockerConfig`].
#[derive(Debug, Serialize)]
pub struct DockerDescriptor<'a> {
    /// RFC 3339.
    pub created: &'a str,
}

/// `rootfs` of [`DockerConfig`].
#[derive(Debug, Serialize)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// One per layer, in order.
    pub diff_ids: Vec<Digest>,
}

/// A parameter count the way the runner prints it (gguf-parser's scalar): `494.03 M`.
pub fn human_parameters(count: u64) -> String {
    let n = count as f64;
    for (scale, unit) in [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")] {
        if n >= scale {
            return format!("{:.2} {unit}", n / scale);
        }
    }
    count.to_string()
}

/// The artifact of one model: repository `base` + `-docker`, tag `tag`.
pub(super) fn build(
    base: &str,
    tag: &str,
    parts: &ModelParts<'_>,
    facts: &ModelFacts,
) -> Result<OciArtifact, PushError> {
    let files = |list: &[(&crate::push::ImageBlob, String)], media_type| {
        list.iter()
            .map(move |(blob, _)| Layer::file(blob, media_type, None))
            .collect::<Vec<_>>()
    };
    let mut layers = files(&parts.weights, media_type::GGUF);
    layers.extend(files(&parts.adapters, media_type::LORA));
    layers.extend(files(&parts.projectors, media_type::MMPROJ));
    if let Some(template) = &facts.chat_template {
        layers.push(Layer::text(
            media_type::CHAT_TEMPLATE,
            "chat template",
            template.clone().into_bytes(),
            None,
        ));
    }
    for license in parts.licenses {
        layers.push(Layer::text(
            media_type::LICENSE,
            "license",
            license.clone().into_bytes(),
            None,
        ));
    }
    let size: u64 = parts.weights.iter().map(|(b, _)| b.size()).sum();
    let config = DockerConfig {
        config: DockerModelConfig {
            format: "gguf",
            quantization: &facts.quantization,
            parameters: human_parameters(facts.parameter_count),
            architecture: &facts.architecture,
            size: size.to_string(),
            gguf: &facts.gguf_general,
            context_size: facts.context_size,
        },
        descriptor: DockerDescriptor {
            created: &facts.created,
        },
        rootfs: RootFs {
            kind: "layers",
            diff_ids: layers.iter().map(|l| l.blob.digest).collect(),
        },
    };
    let config = config_blob(OciFormat::Docker, CONFIG_MEDIA_TYPE, &config)?;
    oci_artifact(
        OciFormat::Docker,
        OciFormat::Docker.repository(base),
        tag,
        None,
        config,
        layers,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_print_like_the_runner() {
        assert_eq!(human_parameters(494_032_768), "494.03 M");
        assert_eq!(human_parameters(7_241_732_096), "7.24 B");
        assert_eq!(human_parameters(268_098_176), "268.10 M");
        assert_eq!(human_parameters(999), "999");
    }
}
