//! What resolution learns about one GGUF file: its header, size and digest, from a local
//! folder or from the Hub.

use std::path::{Path, PathBuf};

use super::provenance::{Provenance, Sourced};
use super::resolve_error::ResolveError;
use crate::digest::{DigestCache, HashProgress};
use crate::gguf::GgufHeader;
use crate::source::hub::ModelInfo;
use crate::source::{HubClient, RepoId, RepoPath, Revision};

/// One file's facts.
#[derive(Debug)]
pub struct FileFacts {
    /// The parsed header.
    pub header: GgufHeader,
    /// The file's size.
    pub size: Sourced<u64>,
    /// The file's SHA-256, hex.
    pub sha256: Option<Sourced<String>>,
    /// Its path on this machine, for local files.
    pub local_path: Option<PathBuf>,
}

/// Where resolution reads files from.
pub trait FileSource {
    /// The facts of one file; `variant` (`MODEL/VARIANT`) is for messages.
    fn facts(&mut self, file: &str, variant: &str) -> Result<FileFacts, ResolveError>;

    /// Called once before the first [`FileSource::facts`] with the files resolution will ask
    /// for, so a source can fetch or hash them together (local files are hashed in parallel).
    /// Failures are left for `facts` to report, with the variant's name.
    fn prepare(&mut self, _files: &[&str]) {}

    /// The commit the repository's revision points to, when the source knows it.
    fn commit(&self) -> Option<Sourced<String>> {
        None
    }
}

/// Files in a local folder. Sizes come from the file system; digests from a [`DigestCache`]
/// (the one pushes use, so an unchanged file is hashed once across commands and stages), and
/// files not cached are hashed in parallel, reporting progress.
pub struct LocalFiles<'a> {
    folder: PathBuf,
    shared: Option<&'a DigestCache>,
    own: DigestCache,
    progress: &'a dyn HashProgress,
}

impl LocalFiles<'static> {
    /// Files under `folder`, hashed with a cache of this resolution's own, silently.
    pub fn new(folder: PathBuf) -> Self {
        LocalFiles {
            folder,
            shared: None,
            own: DigestCache::in_memory(),
            progress: &(),
        }
    }
}

impl<'a> LocalFiles<'a> {
    /// Files under `folder`, with digests from (and into) `digests`; hashing reports to
    /// `progress`.
    pub fn with_digests(
        folder: PathBuf,
        digests: &'a DigestCache,
        progress: &'a dyn HashProgress,
    ) -> Self {
        LocalFiles {
            folder,
            shared: Some(digests),
            own: DigestCache::in_memory(),
            progress,
        }
    }

    fn digests(&self) -> &DigestCache {
        self.shared.unwrap_or(&self.own)
    }
}

impl std::fmt::Debug for LocalFiles<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalFiles")
            .field("folder", &self.folder)
            .field("digests", self.digests())
            .finish_non_exhaustive()
    }
}

impl FileSource for LocalFiles<'_> {
    fn prepare(&mut self, files: &[&str]) {
        let mut paths: Vec<PathBuf> = files.iter().map(|file| self.folder.join(file)).collect();
        paths.sort();
        paths.dedup();
        // Errors surface from `facts`, which names the variant.
        let _ = self.digests().digest_files(&paths, self.progress);
    }

    fn facts(&mut self, file: &str, variant: &str) -> Result<FileFacts, ResolveError> {
        let path = self.folder.join(file);
        let metadata = std::fs::metadata(&path).map_err(|source| ResolveError::MissingFile {
            path: path.clone(),
            variant: variant.to_owned(),
            source,
        })?;
        let header = GgufHeader::read_path(&path).map_err(|source| ResolveError::Header {
            variant: variant.to_owned(),
            source: Box::new(source),
        })?;
        let shown = display(&path);
        let (sha256, _) = self
            .digests()
            .digest_file(&path, self.progress)
            .map_err(|source| ResolveError::Hash {
                path: path.clone(),
                source: Box::new(source),
            })?;
        Ok(FileFacts {
            header,
            size: Sourced::new(
                metadata.len(),
                Provenance::LocalFile {
                    path: shown.clone(),
                    what: "size".into(),
                },
            ),
            sha256: Some(Sourced::new(
                sha256.as_str().to_owned(),
                Provenance::LocalFile {
                    path: shown,
                    what: "sha256".into(),
                },
            )),
            local_path: Some(path),
        })
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Files in a Hub repository: sizes and LFS digests from one model-info request, headers
/// through HTTP Range requests (nothing is downloaded whole).
#[derive(Debug)]
pub struct HubFiles<'a> {
    client: &'a HubClient,
    repo: RepoId,
    revision: Revision,
    info: ModelInfo,
    info_url: String,
}

impl<'a> HubFiles<'a> {
    /// Lists the repository once.
    pub fn new(
        client: &'a HubClient,
        repo: RepoId,
        revision: Revision,
    ) -> Result<Self, ResolveError> {
        let info = client
            .model_info(&repo, &revision)
            .map_err(|source| ResolveError::Hub {
                what: format!("the file list of `{repo}`"),
                source: Box::new(source),
            })?;
        let info_url = format!(
            "{}/api/models/{repo}/revision/{}",
            client.settings().endpoint.as_str().trim_end_matches('/'),
            revision.encoded()
        );
        Ok(HubFiles {
            client,
            repo,
            revision,
            info,
            info_url,
        })
    }
}

impl FileSource for HubFiles<'_> {
    fn facts(&mut self, file: &str, variant: &str) -> Result<FileFacts, ResolveError> {
        let Some(listed) = self.info.files.iter().find(|f| f.path == file) else {
            return Err(ResolveError::NotOnHub {
                file: file.to_owned(),
                variant: variant.to_owned(),
                repo: self.repo.to_string(),
                revision: self.revision.to_string(),
                suggestion: crate::ollama::suggest(
                    file,
                    self.info.files.iter().map(|f| f.path.as_str()),
                )
                .map(str::to_owned),
            });
        };
        let path = RepoPath::new(file).map_err(|reason| ResolveError::NotOnHub {
            file: format!("{file} ({reason})"),
            variant: variant.to_owned(),
            repo: self.repo.to_string(),
            revision: self.revision.to_string(),
            suggestion: None,
        })?;
        let remote = self
            .client
            .read_header(&self.repo, &self.revision, &path)
            .map_err(|source| ResolveError::Hub {
                what: format!("the header of `{file}`"),
                source: Box::new(source),
            })?;
        let hub = |field: &str| Provenance::HubApi {
            url: self.info_url.clone(),
            field: field.to_owned(),
        };
        let size = match listed.size {
            Some(size) => Sourced::new(size, hub("siblings[].size")),
            None => Sourced::new(
                remote.file_size,
                Provenance::HubApi {
                    url: file.to_owned(),
                    field: "Content-Range".into(),
                },
            ),
        };
        Ok(FileFacts {
            header: remote.header,
            size,
            sha256: listed
                .sha256
                .as_ref()
                .map(|d| Sourced::new(d.as_str().to_owned(), hub("siblings[].lfs.sha256"))),
            local_path: None,
        })
    }

    fn commit(&self) -> Option<Sourced<String>> {
        self.info.commit.clone().map(|c| {
            Sourced::new(
                c,
                Provenance::HubApi {
                    url: self.info_url.clone(),
                    field: "sha".into(),
                },
            )
        })
    }
}
