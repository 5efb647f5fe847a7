//! The first stages of a release: the manifest loaded and resolved against the GGUF headers
//! of its local folder or its Hub repository.

use std::path::PathBuf;

use super::error::PipelineError;
use super::settings::Setting;
use crate::digest::{DigestCache, HashProgress};
use crate::manifest::{
    ChatConverter, HubFiles, LocalFiles, Manifest, Origin, ResolveError, Resolved, resolve,
};
use crate::source::{HubClient, HubSettings, RepoId, RepoIdError, Revision};

/// Where the GGUF files are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilesFrom {
    /// The manifest's `[source] local` folder; nothing touches the network.
    #[default]
    Local,
    /// The Hub repository of `[hub]`, headers read through HTTP ranges.
    Hub,
}

/// Which family to resolve, and how.
#[derive(Debug, Clone)]
pub struct FamilyRequest {
    /// The manifest (`ruvltra.toml`).
    pub manifest: PathBuf,
    /// Only these variants (`MODEL/VARIANT`, a model key, or a GGUF file name); all when empty.
    pub variants: Vec<String>,
    /// Where the GGUF files are read from.
    pub from: FilesFrom,
    /// Freeze the date converted templates see at these seconds since the epoch
    /// (`SOURCE_DATE_EPOCH`), for reproducible outputs.
    pub date: Option<i64>,
}

impl FamilyRequest {
    /// Every variant of the manifest at `manifest`, from its local folder.
    pub fn local(manifest: impl Into<PathBuf>) -> Self {
        Self {
            manifest: manifest.into(),
            variants: Vec::new(),
            from: FilesFrom::Local,
            date: None,
        }
    }
}

/// Loads the manifest and resolves the selected variants from local files or the Hub
/// (through `hub`, needed only then). Local files not in the digest cache are hashed in
/// parallel, reporting to `progress`.
pub fn resolve_family(
    request: &FamilyRequest,
    hub: &Setting<HubSettings>,
    digests: &DigestCache,
    progress: &dyn HashProgress,
) -> Result<Resolved, PipelineError> {
    let manifest = Manifest::load(&request.manifest)?;
    let mut converter = match request.date {
        Some(seconds) => ChatConverter::with_date(seconds),
        None => ChatConverter::new(),
    };
    let resolved = match request.from {
        FilesFrom::Local => {
            let folder =
                manifest
                    .source
                    .local
                    .clone()
                    .ok_or_else(|| ResolveError::NoLocalFolder {
                        manifest: request.manifest.display().to_string(),
                    })?;
            let mut files =
                LocalFiles::with_digests(manifest.base_dir().join(&folder), digests, progress);
            resolve(
                &manifest,
                &request.variants,
                &mut files,
                Origin::Local {
                    folder: folder.display().to_string(),
                },
                &mut converter,
            )?
        }
        FilesFrom::Hub => {
            let settings = hub.clone()?;
            let endpoint = settings.endpoint.as_str().to_owned();
            let client = HubClient::new(settings)?;
            let repo: RepoId = manifest
                .hub
                .repo
                .parse()
                .map_err(|e: RepoIdError| PipelineError::invalid("`[hub] repo`", e.reason))?;
            let revision = Revision::new(&manifest.hub.revision)
                .map_err(|e| PipelineError::invalid("`[hub] revision`", e))?;
            let mut files = HubFiles::new(&client, repo, revision)?;
            resolve(
                &manifest,
                &request.variants,
                &mut files,
                Origin::Hub { endpoint },
                &mut converter,
            )?
        }
    };
    Ok(resolved)
}
