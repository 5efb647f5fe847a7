//! What a push sends: the description of one release that the generators fill in and every
//! backend reads. Ollama-style registries (ollama, oci, bundle) take [`OllamaModel`]s;
//! file-based registries (modelscope, huggingface) take [`ArtifactFile`]s.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use super::blob_source::BlobSource;
use super::error::PushError;
use super::oci::ModelFacts;
use super::progress::Progress;
use crate::digest::Digest;
use crate::digest::DigestCache;
use crate::ollama::ModelName;

/// Everything one release publishes. Backends use the parts they understand and say so in
/// their plan when a part they need is missing.
#[derive(Debug, Clone, Default)]
pub struct Release {
    /// Ollama-format models, one per name/tag (quantization variants of one model share the
    /// repository and differ by tag).
    pub models: Vec<OllamaModel>,
    /// Files for file-based registries (GGUFs, generated card, template files).
    pub files: Vec<ArtifactFile>,
}

impl Release {
    /// Every file on disk the release sends: GGUFs, projectors and adapters of its models,
    /// then its files that are not generated.
    pub fn local_files(&self) -> impl Iterator<Item = &Path> {
        let models = self.models.iter().flat_map(|m| {
            m.gguf
                .iter()
                .chain(&m.projectors)
                .chain(&m.adapters)
                .map(PathBuf::as_path)
        });
        models.chain(self.files.iter().filter_map(ArtifactFile::local_path))
    }
}

/// One model in Ollama's format: the pieces Ollama's `create` would turn into layers.
#[derive(Debug, Clone)]
pub struct OllamaModel {
    /// Where it goes: `[host/][namespace/]model[:tag]`.
    pub name: ModelName,
    /// The GGUF file(s): one, or the shards of a split model, in order.
    pub gguf: Vec<PathBuf>,
    /// Multimodal projector GGUFs (`mmproj`).
    pub projectors: Vec<PathBuf>,
    /// LoRA adapter GGUFs.
    pub adapters: Vec<PathBuf>,
    /// The Go chat template text (Ollama's `TEMPLATE`).
    pub template: Option<String>,
    /// The system prompt (Ollama's `SYSTEM`).
    pub system: Option<String>,
    /// License texts, one layer each.
    pub licenses: Vec<String>,
    /// Parameters (`PARAMETER` lines) as typed JSON: numbers, booleans, `stop` as a string or
    /// an array (always written as an array).
    pub params: serde_json::Map<String, serde_json::Value>,
    /// Example conversation (`MESSAGE` lines).
    pub messages: Vec<OllamaMessage>,
    /// The built-in output parser (`PARSER`), for a recognised template family.
    pub parser: Option<String>,
    /// The minimum Ollama version (`REQUIRES`), when a feature needs one.
    pub requires: Option<String>,
    /// Capabilities declared at create time (`info.capabilities`: `tools`, `thinking`,
    /// `vision`), as detected from the templates and files.
    pub capabilities: Vec<String>,
    /// Fields of the image config blob.
    pub config: ModelConfig,
    /// What the Docker Model Runner and ModelPack formats state beyond the files (from the
    /// manifest); `None` for bare GGUF files, which only Ollama's format can carry.
    pub facts: Option<ModelFacts>,
}

impl OllamaModel {
    /// A model made of one GGUF and nothing else; fill in the other fields as needed.
    pub fn new(name: ModelName, gguf: impl Into<PathBuf>) -> Self {
        Self {
            name,
            gguf: vec![gguf.into()],
            projectors: Vec::new(),
            adapters: Vec::new(),
            template: None,
            system: None,
            licenses: Vec::new(),
            params: serde_json::Map::new(),
            messages: Vec::new(),
            parser: None,
            requires: None,
            capabilities: Vec::new(),
            config: ModelConfig::default(),
            facts: None,
        }
    }
}

/// One `MESSAGE` of a model's example conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OllamaMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

/// The image config fields Ollama reads (`model_family`, `model_type`, `file_type`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelConfig {
    /// The architecture family from the GGUF (`general.architecture`, e.g. `qwen2`).
    pub model_family: String,
    /// All families (usually just `model_family`).
    pub model_families: Vec<String>,
    /// A human parameter count, e.g. `494.03M`.
    pub model_type: String,
    /// The quantization name, e.g. `Q4_K_M`.
    pub file_type: String,
    /// `architecture` in the config; Ollama writes the creating machine's, `amd64` by default.
    pub architecture: String,
    /// `os` in the config; `linux` by default.
    pub os: String,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            model_family: String::new(),
            model_families: Vec::new(),
            model_type: String::new(),
            file_type: String::new(),
            architecture: "amd64".into(),
            os: "linux".into(),
        }
    }
}

/// Where a file's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileBytes {
    /// A file on disk (streamed).
    Path(PathBuf),
    /// Generated bytes (a card, a template file).
    Inline(Arc<[u8]>),
}

/// One file for a file-based registry, at `repo_path` in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactFile {
    /// The path in the repository, `/`-separated, relative (`README.md`, `q4/model.gguf`).
    pub repo_path: String,
    /// The bytes.
    pub source: FileBytes,
    /// Size in bytes.
    pub size: u64,
    /// The sha256, when already known (inline files always; files on disk once hashed).
    pub sha256: Option<Digest>,
}

impl ArtifactFile {
    /// A file on disk; its size is read now, its digest when first needed.
    pub fn from_path(
        repo_path: impl Into<String>,
        path: impl Into<PathBuf>,
    ) -> Result<Self, PushError> {
        let path = path.into();
        let size = std::fs::metadata(&path)
            .map_err(|e| PushError::io("reading metadata of", &path, e))?
            .len();
        Ok(Self {
            repo_path: repo_path.into(),
            source: FileBytes::Path(path),
            size,
            sha256: None,
        })
    }

    /// Generated bytes; the digest is computed at once.
    pub fn inline(repo_path: impl Into<String>, bytes: impl Into<Arc<[u8]>>) -> Self {
        let bytes = bytes.into();
        Self {
            repo_path: repo_path.into(),
            size: bytes.len() as u64,
            sha256: Some(Digest::of_bytes(&bytes)),
            source: FileBytes::Inline(bytes),
        }
    }

    /// The file's digest, through the command's digest cache when it has to be computed.
    pub fn digest(
        &self,
        cache: &DigestCache,
        progress: &dyn Progress,
    ) -> Result<Digest, PushError> {
        if let Some(digest) = self.sha256 {
            return Ok(digest);
        }
        match &self.source {
            FileBytes::Path(path) => Ok(cache.digest_file(path, progress)?.0),
            FileBytes::Inline(bytes) => Ok(Digest::of_bytes(bytes)),
        }
    }

    /// The bytes as a [`BlobSource`] (reopenable at any offset).
    pub fn blob_source(&self) -> BlobSource {
        match &self.source {
            FileBytes::Path(path) => BlobSource::file(path, self.size),
            FileBytes::Inline(bytes) => BlobSource::Bytes(bytes.clone()),
        }
    }

    /// The local path, for files on disk.
    pub fn local_path(&self) -> Option<&Path> {
        match &self.source {
            FileBytes::Path(path) => Some(path),
            FileBytes::Inline(_) => None,
        }
    }
}
