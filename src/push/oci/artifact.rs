//! One manifest of one format, ready to send: its repository and tag, config blob, layers and
//! manifest bytes. Ollama's image ([`OllamaImage`]) is one kind; Docker Model Runner's and
//! ModelPack's are built from the same model ([`super::docker`], [`super::modelpack`]), with
//! the same GGUF blobs (same digests, hashed once per command).

use std::collections::HashSet;
use std::sync::Arc;

use serde::Serialize;

use super::format::OciFormat;
use super::name::{check_repository, check_tag};
use crate::digest::Digest;
use crate::push::backend::PushContext;
use crate::push::blob_source::BlobSource;
use crate::push::error::PushError;
use crate::push::ollama_image::{
    DescriptorJson, ImageBlob, MANIFEST_MEDIA_TYPE, ManifestJson, OllamaImage,
};
use crate::push::release::{OllamaModel, Release};

/// The OCI image manifest media type (Docker Model Runner and ModelPack manifests).
pub const OCI_MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// The annotation naming a layer's file (ModelPack; RamaLama names the files it pulls by it).
pub const FILEPATH_ANNOTATION: &str = "org.cncf.model.filepath";

/// One manifest of one format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciArtifact {
    /// Its format.
    pub format: OciFormat,
    /// The repository (`namespace/model`, with the format's suffix).
    pub repository: String,
    /// The tag.
    pub tag: String,
    /// The config blob.
    pub config: ImageBlob,
    /// The layers, in manifest order.
    pub layers: Vec<ImageBlob>,
    /// The manifest's media type (its `Content-Type` when sent).
    pub manifest_media_type: &'static str,
    /// The manifest bytes.
    pub manifest: Arc<[u8]>,
    /// Their digest.
    pub manifest_digest: Digest,
}

impl OciArtifact {
    /// The config and every layer, config first, each digest once.
    pub fn unique_blobs(&self) -> Vec<&ImageBlob> {
        let mut seen = HashSet::new();
        std::iter::once(&self.config)
            .chain(&self.layers)
            .filter(|blob| seen.insert(blob.digest))
            .collect()
    }

    /// `repository:tag`.
    pub fn reference(&self) -> String {
        format!("{}:{}", self.repository, self.tag)
    }

    /// Every artifact of `release` in `formats` (each model in each format, formats in
    /// [`OciFormat::ALL`] order), checked against the OCI name grammar. `backend_does` starts
    /// the error for a release without models.
    pub fn build_all(
        release: &Release,
        formats: &[OciFormat],
        ctx: &PushContext<'_>,
        backend_does: &str,
    ) -> Result<Vec<OciArtifact>, PushError> {
        let images = OllamaImage::build_all(release, ctx, backend_does)?;
        let mut artifacts = Vec::new();
        for format in OciFormat::normalize(formats) {
            for (model, image) in release.models.iter().zip(&images) {
                let artifact = match format {
                    OciFormat::Ollama => Self::ollama(image),
                    OciFormat::Docker | OciFormat::Modelpack => {
                        let facts = model.facts.as_ref().ok_or_else(|| {
                            PushError::input(format!(
                                "the `{format}` format needs what the manifest resolves (architecture, license, chat template), and `{}` was given as bare GGUF files: push it from the manifest (leave out `--gguf`) or with `--format ollama`",
                                model.name.fully_qualified()
                            ))
                        })?;
                        let base = image.name.repository();
                        let parts = ModelParts::of(model, image);
                        if format == OciFormat::Docker {
                            super::docker::build(&base, image.name.tag(), &parts, facts)?
                        } else {
                            super::modelpack::build(&base, image.name.tag(), &parts, facts)?
                        }
                    }
                };
                check_repository(
                    &artifact.repository,
                    &format!(
                        "the {format} repository of `{}`",
                        model.name.fully_qualified()
                    ),
                )?;
                check_tag(
                    &artifact.tag,
                    &format!("the tag of `{}`", model.name.fully_qualified()),
                )?;
                artifacts.push(artifact);
            }
        }
        Ok(artifacts)
    }

    /// Ollama's image as an artifact.
    pub fn ollama(image: &OllamaImage) -> OciArtifact {
        OciArtifact {
            format: OciFormat::Ollama,
            repository: image.name.repository(),
            tag: image.name.tag().to_string(),
            config: image.config.clone(),
            layers: image.layers.clone(),
            manifest_media_type: MANIFEST_MEDIA_TYPE,
            manifest: image.manifest.clone(),
            manifest_digest: image.manifest_digest,
        }
    }
}

/// The files of one model, as blobs with the digests Ollama's image already computed (so
/// every format sends the same GGUF blobs, each hashed once).
pub(super) struct ModelParts<'a> {
    /// GGUF parts, in order, with their file names.
    pub weights: Vec<(&'a ImageBlob, String)>,
    /// Projectors.
    pub projectors: Vec<(&'a ImageBlob, String)>,
    /// Adapters.
    pub adapters: Vec<(&'a ImageBlob, String)>,
    /// License texts.
    pub licenses: &'a [String],
}

impl<'a> ModelParts<'a> {
    fn of(model: &'a OllamaModel, image: &'a OllamaImage) -> Self {
        // The image's first layers are the GGUFs, projectors and adapters, in this order.
        let mut layers = image.layers.iter();
        let mut take = |paths: &'a [std::path::PathBuf]| -> Vec<(&'a ImageBlob, String)> {
            paths
                .iter()
                .zip(layers.by_ref())
                .map(|(path, blob)| {
                    let name = path.file_name().map_or_else(
                        || path.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    );
                    (blob, name)
                })
                .collect()
        };
        let weights = take(&model.gguf);
        let projectors = take(&model.projectors);
        let adapters = take(&model.adapters);
        ModelParts {
            weights,
            projectors,
            adapters,
            licenses: &model.licenses,
        }
    }
}

/// A generated blob.
pub(super) fn text_blob(media_type: &'static str, label: &str, bytes: Vec<u8>) -> ImageBlob {
    ImageBlob {
        media_type,
        digest: Digest::of_bytes(&bytes),
        source: BlobSource::bytes(bytes),
        label: label.to_string(),
    }
}

/// One layer of an OCI manifest being built: the blob and the file name to annotate it with.
pub(super) struct Layer {
    /// The blob.
    pub blob: ImageBlob,
    /// The `org.cncf.model.filepath` annotation, when the format names files.
    pub filepath: Option<String>,
}

impl Layer {
    /// A model file's blob under this format's `media_type` (the bytes and digest stay).
    pub fn file(blob: &ImageBlob, media_type: &'static str, filepath: Option<String>) -> Self {
        Layer {
            blob: ImageBlob {
                media_type,
                ..blob.clone()
            },
            filepath,
        }
    }

    /// A generated text file (chat template, license, README).
    pub fn text(
        media_type: &'static str,
        label: &str,
        bytes: Vec<u8>,
        filepath: Option<String>,
    ) -> Self {
        Layer {
            blob: text_blob(media_type, label, bytes),
            filepath,
        }
    }
}

/// An OCI image manifest artifact of `format` from its config and layers.
pub(super) fn oci_artifact(
    format: OciFormat,
    repository: String,
    tag: &str,
    artifact_type: Option<&'static str>,
    config: ImageBlob,
    layers: Vec<Layer>,
) -> Result<OciArtifact, PushError> {
    let manifest = ManifestJson {
        schema_version: 2,
        media_type: OCI_MANIFEST_MEDIA_TYPE,
        artifact_type,
        config: DescriptorJson::of(&config),
        layers: layers
            .iter()
            .map(|layer| DescriptorJson {
                annotations: layer
                    .filepath
                    .as_deref()
                    .map(|path| [(FILEPATH_ANNOTATION, path)].into_iter().collect()),
                ..DescriptorJson::of(&layer.blob)
            })
            .collect(),
    };
    let bytes = serde_json::to_vec(&manifest)
        .map_err(|e| PushError::input(format!("cannot serialize the {format} manifest: {e}")))?;
    Ok(OciArtifact {
        format,
        repository,
        tag: tag.to_string(),
        config,
        layers: layers.into_iter().map(|l| l.blob).collect(),
        manifest_media_type: OCI_MANIFEST_MEDIA_TYPE,
        manifest_digest: Digest::of_bytes(&bytes),
        manifest: bytes.into(),
    })
}

/// The config blob of `format`: `value` as JSON under `media_type`, with the format named in
/// the error.
pub(super) fn config_blob(
    format: OciFormat,
    media_type: &'static str,
    value: &impl Serialize,
) -> Result<ImageBlob, PushError> {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| PushError::input(format!("cannot serialize the {format} config: {e}")))?;
    Ok(text_blob(media_type, "config", bytes))
}
