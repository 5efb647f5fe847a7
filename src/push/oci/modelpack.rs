//! The CNCF ModelPack v1 artifact (modelpack/model-spec v0.0.7): an OCI manifest with
//! `artifactType` `application/vnd.cncf.model.manifest.v1+json`, the config
//! `application/vnd.cncf.model.config.v1+json` (validated in the tests against the spec's JSON
//! schema), and one raw layer per file, each named by `org.cncf.model.filepath`: the GGUFs
//! (parts, projector, adapter) as weights, the chat template as weight config, README and
//! LICENSE as docs. RamaLama (`ramalama pull oci://`), modctl and Docker Model Runner read it.

use serde::Serialize;

use super::artifact::{Layer, ModelParts, OciArtifact, config_blob, oci_artifact};
use super::facts::ModelFacts;
use super::format::OciFormat;
use super::spdx::spdx_for_hub_license;
use crate::digest::Digest;
use crate::push::error::PushError;
use crate::push::from_resolved::ollama_model_type;

/// The manifest's `artifactType`.
pub const ARTIFACT_TYPE: &str = "application/vnd.cncf.model.manifest.v1+json";
/// The config blob's media type.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.model.config.v1+json";

/// Layer media types (`raw`: one unarchived, uncompressed file).
pub mod media_type {
    /// Model weights (a GGUF).
    pub const WEIGHT: &str = "application/vnd.cncf.model.weight.v1.raw";
    /// Files that configure the weights (the chat template).
    pub const WEIGHT_CONFIG: &str = "application/vnd.cncf.model.weight.config.v1.raw";
    /// Documentation (README, LICENSE).
    pub const DOC: &str = "application/vnd.cncf.model.doc.v1.raw";
}

/// The file name the chat template layer carries.
pub const CHAT_TEMPLATE_FILE: &str = "chat_template.jinja";

/// The config (`additionalProperties` is false everywhere in the schema: no other field).
#[derive(Debug, Serialize)]
pub struct ModelPackConfig<'a> {
    /// Who, what and where from.
    pub descriptor: Descriptor<'a>,
    /// What the model is and does.
    pub config: Config<'a>,
    /// The layers' digests.
    pub modelfs: ModelFs,
}

/// `descriptor` of [`ModelPackConfig`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor<'a> {
    /// RFC 3339.
    pub created_at: &'a str,
    /// Who publishes the model.
    pub authors: &'a [String],
    /// The family's name.
    pub family: &'a str,
    /// The model's name.
    pub name: &'a str,
    /// The Hub repository (`--from hub` only).
    #[serde(rename = "sourceURL", skip_serializing_if = "Option::is_none")]
    pub source_url: Option<&'a str>,
    /// The published variant.
    pub version: &'a str,
    /// The Hub commit (`--from hub` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<&'a str>,
    /// SPDX ids.
    pub licenses: Vec<&'static str>,
    /// One paragraph.
    pub description: &'a str,
}

/// `config` of [`ModelPackConfig`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Config<'a> {
    /// `general.architecture`.
    pub architecture: &'a str,
    /// Always `gguf`.
    pub format: &'static str,
    /// A human parameter count, `494.03M`.
    pub param_size: String,
    /// The number format of the weights, when the quant says (`int4`, `fp16`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<String>,
    /// The quant label.
    pub quantization: &'a str,
    /// What the model takes and does.
    pub capabilities: Capabilities,
}

/// `capabilities` of [`Config`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    /// `text`, plus `image` with a projector.
    pub input_types: Vec<&'static str>,
    /// `text`.
    pub output_types: Vec<&'static str>,
    /// Whether the chat template reacts to thinking.
    pub reasoning: bool,
    /// Whether the chat template takes tools.
    pub tool_usage: bool,
}

/// `modelfs` of [`ModelPackConfig`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelFs {
    /// Always `layers`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// One per layer, in order.
    pub diff_ids: Vec<Digest>,
}

/// The weights' number format from a llama.cpp quant label: `F16` is `fp16`, `BF16` `bf16`,
/// `Q4_K_M` and `IQ4_XS` `int4`; `None` for labels that say nothing certain.
pub fn precision(quant: &str) -> Option<String> {
    let upper = quant.to_ascii_uppercase();
    match upper.as_str() {
        "F32" => return Some("fp32".into()),
        "F16" => return Some("fp16".into()),
        "BF16" => return Some("bf16".into()),
        _ => {}
    }
    let rest = upper
        .strip_prefix("IQ")
        .or_else(|| upper.strip_prefix("TQ"))
        .or_else(|| upper.strip_prefix('Q'))?;
    let bits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let next = rest.chars().find(|c| !c.is_ascii_digit());
    (!bits.is_empty() && matches!(next, None | Some('_'))).then(|| format!("int{bits}"))
}

/// The SPDX id ModelPack needs for `facts.license_id`, or the error that refuses the push.
pub fn spdx_license(facts: &ModelFacts) -> Result<&'static str, PushError> {
    spdx_for_hub_license(&facts.license_id).ok_or_else(|| {
        PushError::input(format!(
            "the license `{}` has no SPDX identifier, and a ModelPack artifact lists its licenses as SPDX ids: publish a license with one (e.g. `apache-2.0`, `mit`) or leave `modelpack` out of the OCI formats",
            facts.license_id
        ))
    })
}

/// The artifact of one model: repository `base` + `-modelpack`, tag `tag`.
pub(super) fn build(
    base: &str,
    tag: &str,
    parts: &ModelParts<'_>,
    facts: &ModelFacts,
) -> Result<OciArtifact, PushError> {
    let license = spdx_license(facts)?;
    let mut layers: Vec<Layer> = parts
        .weights
        .iter()
        .chain(&parts.projectors)
        .chain(&parts.adapters)
        .map(|(blob, name)| Layer::file(blob, media_type::WEIGHT, Some(name.clone())))
        .collect();
    let mut text = |media_type, label: &str, path: &str, bytes: Vec<u8>| {
        layers.push(Layer::text(
            media_type,
            label,
            bytes,
            Some(path.to_string()),
        ));
    };
    if let Some(template) = &facts.chat_template {
        text(
            media_type::WEIGHT_CONFIG,
            "chat template",
            CHAT_TEMPLATE_FILE,
            template.clone().into_bytes(),
        );
    }
    if let Some(readme) = &facts.readme {
        text(
            media_type::DOC,
            "README",
            "README.md",
            readme.clone().into_bytes(),
        );
    }
    if !parts.licenses.is_empty() {
        text(
            media_type::DOC,
            "LICENSE",
            "LICENSE",
            parts.licenses.join("\n\n").into_bytes(),
        );
    }
    let mut input_types = vec!["text"];
    if !parts.projectors.is_empty() {
        input_types.push("image");
    }
    let config = ModelPackConfig {
        descriptor: Descriptor {
            created_at: &facts.created,
            authors: &facts.authors,
            family: &facts.family,
            name: &facts.name,
            source_url: facts.source.as_ref().map(|s| s.url.as_str()),
            version: &facts.version,
            revision: facts.source.as_ref().map(|s| s.revision.as_str()),
            licenses: vec![license],
            description: &facts.description,
        },
        config: Config {
            architecture: &facts.architecture,
            format: "gguf",
            param_size: ollama_model_type(facts.parameter_count),
            precision: precision(&facts.quantization),
            quantization: &facts.quantization,
            capabilities: Capabilities {
                input_types,
                output_types: vec!["text"],
                reasoning: facts.reasoning,
                tool_usage: facts.tool_use,
            },
        },
        modelfs: ModelFs {
            kind: "layers",
            diff_ids: layers.iter().map(|l| l.blob.digest).collect(),
        },
    };
    let config = config_blob(OciFormat::Modelpack, CONFIG_MEDIA_TYPE, &config)?;
    oci_artifact(
        OciFormat::Modelpack,
        OciFormat::Modelpack.repository(base),
        tag,
        Some(ARTIFACT_TYPE),
        config,
        layers,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_from_quant_labels() {
        let cases = [
            ("Q4_K_M", Some("int4")),
            ("q8_0", Some("int8")),
            ("IQ4_XS", Some("int4")),
            ("TQ1_0", Some("int1")),
            ("F16", Some("fp16")),
            ("BF16", Some("bf16")),
            ("MXFP4", None),
            ("Q", None),
        ];
        for (quant, want) in cases {
            assert_eq!(precision(quant).as_deref(), want, "{quant}");
        }
    }
}
