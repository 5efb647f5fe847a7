//! Expanding a [`Source`] into files and reading each file's header.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use super::{HubClient, HubReference, RepoId, RepoPath, Revision, Source, SourceError};
use crate::digest::Digest;
use crate::gguf::GgufHeader;

/// How many similar names a "file not in repository" error suggests.
const SUGGESTIONS: usize = 5;

/// Read buffer for local headers: large enough that a 10 MB vocabulary is a few dozen reads.
const LOCAL_BUFFER: usize = 256 << 10;

/// Where one GGUF file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileLocation {
    /// A file on this machine.
    Local(PathBuf),
    /// A file in a Hub repository at a revision.
    Hub {
        /// The repository.
        repo: RepoId,
        /// The revision.
        revision: Revision,
        /// The file's path in the repository.
        path: RepoPath,
    },
}

/// One GGUF file of a source, with what is known about it before its header is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The source as the user gave it (a folder, a repository), for messages.
    pub source: String,
    /// Where the file is.
    pub location: FileLocation,
    /// The file's size in bytes, when known without reading it.
    pub size: Option<u64>,
    /// The file's SHA-256 when known without reading it (the Hub's LFS oid).
    pub sha256: Option<Digest>,
    /// The commit the Hub resolved the revision to.
    pub commit: Option<String>,
}

/// A header and how it was read.
#[derive(Debug)]
pub struct HeaderRead {
    /// The parsed header.
    pub header: GgufHeader,
    /// The whole file's size.
    pub file_size: u64,
    /// Bytes fetched over the network (`None` for local files, which are read in place).
    pub bytes_fetched: Option<u64>,
    /// HTTP range requests made (0 for local files).
    pub round_trips: u32,
}

impl Source {
    /// The GGUF files this source stands for.
    ///
    /// A local file is taken as it is (whatever its extension: the user named it); a folder
    /// gives its `*.gguf` files (not recursively) in name order; a repository gives its
    /// `*.gguf` files in path order, or the one file the reference names. A Hub source needs
    /// `hub`.
    pub fn files(&self, hub: Option<&HubClient>) -> Result<Vec<SourceFile>, SourceError> {
        match self {
            Source::Local(path) => local_files(path),
            Source::Hub(reference) => {
                let hub = hub.ok_or_else(|| SourceError::NoHubClient {
                    reference: reference.to_string(),
                })?;
                hub_files(reference, hub)
            }
        }
    }
}

impl SourceFile {
    /// The file's full name: its path, or `hf://owner/repo[@rev]/path`.
    pub fn name(&self) -> String {
        match &self.location {
            FileLocation::Local(path) => path.display().to_string(),
            FileLocation::Hub {
                repo,
                revision,
                path,
            } => HubReference {
                repo: repo.clone(),
                revision: revision.clone(),
                path: Some(path.clone()),
            }
            .to_string(),
        }
    }

    /// The last component of the file's path, from which the quant label is read.
    pub fn file_name(&self) -> String {
        match &self.location {
            FileLocation::Local(path) => path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
            FileLocation::Hub { path, .. } => path.file_name().to_owned(),
        }
    }

    /// The name a manifest's `file` gives this file: its path in a Hub repository, its file
    /// name in a local folder. A local name that is not valid UTF-8 is an error: written
    /// with replacement characters it would name no file.
    pub fn manifest_name(&self) -> Result<String, SourceError> {
        match &self.location {
            FileLocation::Hub { path, .. } => Ok(path.as_str().to_owned()),
            FileLocation::Local(path) => path
                .file_name()
                .and_then(|name| name.to_str())
                .map(str::to_owned)
                .ok_or_else(|| SourceError::NonUtf8Name { path: path.clone() }),
        }
    }

    /// The path alone (local path, or the path inside the repository), for sorting.
    fn location_path(&self) -> String {
        match &self.location {
            FileLocation::Local(path) => path.display().to_string(),
            FileLocation::Hub { path, .. } => path.as_str().to_owned(),
        }
    }

    /// Reads the file's GGUF header: locally through a buffered reader, from the Hub through
    /// Range requests (a Hub file needs `hub`).
    pub fn read_header(&self, hub: Option<&HubClient>) -> Result<HeaderRead, SourceError> {
        match &self.location {
            FileLocation::Local(path) => read_local_header(path),
            FileLocation::Hub {
                repo,
                revision,
                path,
            } => {
                let hub = hub.ok_or_else(|| SourceError::NoHubClient {
                    reference: self.name(),
                })?;
                let remote =
                    hub.read_header(repo, revision, path)
                        .map_err(|source| SourceError::Hub {
                            reference: self.name(),
                            source,
                        })?;
                Ok(HeaderRead {
                    header: remote.header,
                    file_size: remote.file_size,
                    bytes_fetched: Some(remote.bytes_fetched),
                    round_trips: remote.round_trips,
                })
            }
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> SourceError + '_ {
    move |source| SourceError::Io {
        path: path.to_owned(),
        source,
    }
}

fn local_file(source: &Path, path: PathBuf, size: u64) -> SourceFile {
    SourceFile {
        source: source.display().to_string(),
        location: FileLocation::Local(path),
        size: Some(size),
        sha256: None,
        commit: None,
    }
}

fn local_files(path: &Path) -> Result<Vec<SourceFile>, SourceError> {
    let metadata = std::fs::metadata(path).map_err(io_error(path))?;
    if !metadata.is_dir() {
        return Ok(vec![local_file(path, path.to_owned(), metadata.len())]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io_error(path))? {
        let entry = entry.map_err(io_error(path))?;
        let file = entry.path();
        let is_gguf = file
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("gguf"));
        if !is_gguf {
            continue;
        }
        // Follows symlinks, as a model folder often links into a download cache.
        let metadata = std::fs::metadata(&file).map_err(io_error(&file))?;
        if metadata.is_file() {
            files.push(local_file(path, file, metadata.len()));
        }
    }
    if files.is_empty() {
        return Err(SourceError::NoGgufFiles {
            location: path.display().to_string(),
        });
    }
    files.sort_by_key(SourceFile::location_path);
    Ok(files)
}

fn hub_files(reference: &HubReference, hub: &HubClient) -> Result<Vec<SourceFile>, SourceError> {
    let hub_error = |source| SourceError::Hub {
        reference: reference.to_string(),
        source,
    };
    let info = hub
        .model_info(&reference.repo, &reference.revision)
        .map_err(hub_error)?;
    let repo_reference = HubReference {
        path: None,
        ..reference.clone()
    };
    let mut ggufs: Vec<SourceFile> = info
        .files
        .iter()
        .filter_map(|file| {
            let path = RepoPath::new(&file.path).ok()?;
            Some(SourceFile {
                source: reference.to_string(),
                location: FileLocation::Hub {
                    repo: reference.repo.clone(),
                    revision: reference.revision.clone(),
                    path,
                },
                size: file.size,
                sha256: file.sha256,
                commit: info.commit.clone(),
            })
        })
        .collect();
    ggufs.sort_by_key(SourceFile::location_path);
    match &reference.path {
        Some(wanted) => {
            let found = ggufs.iter().position(
                |file| matches!(&file.location, FileLocation::Hub { path, .. } if path == wanted),
            );
            match found {
                Some(index) => Ok(vec![ggufs.swap_remove(index)]),
                None => {
                    let mut available: Vec<String> =
                        ggufs.iter().map(SourceFile::location_path).collect();
                    available.sort_by(|a, b| {
                        let distance = |name: &str| strsim::levenshtein(name, wanted.as_str());
                        distance(a).cmp(&distance(b))
                    });
                    available.truncate(SUGGESTIONS);
                    Err(SourceError::FileNotInRepo {
                        reference: repo_reference.to_string(),
                        path: wanted.to_string(),
                        available,
                    })
                }
            }
        }
        None if ggufs.is_empty() => Err(SourceError::NoGgufFiles {
            location: repo_reference.to_string(),
        }),
        None => Ok(ggufs),
    }
}

fn read_local_header(path: &Path) -> Result<HeaderRead, SourceError> {
    crate::gguf::refuse_non_regular(path).map_err(io_error(path))?;
    let file = File::open(path).map_err(io_error(path))?;
    let file_size = file.metadata().map_err(io_error(path))?.len();
    let header = GgufHeader::read(
        BufReader::with_capacity(LOCAL_BUFFER, file),
        Some(file_size),
    )
    .map_err(|source| SourceError::Header {
        path: path.to_owned(),
        source,
    })?;
    Ok(HeaderRead {
        header,
        file_size,
        bytes_fetched: None,
        round_trips: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_lists_gguf_files_sorted() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.gguf", "a.GGUF", "c.txt"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        std::fs::create_dir(dir.path().join("d.gguf")).unwrap();
        let files = Source::Local(dir.path().to_owned()).files(None).unwrap();
        let names: Vec<String> = files.iter().map(SourceFile::file_name).collect();
        assert_eq!(names, ["a.GGUF", "b.gguf"]);
    }

    #[test]
    fn empty_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Source::Local(dir.path().to_owned())
            .files(None)
            .unwrap_err();
        assert!(matches!(err, SourceError::NoGgufFiles { .. }), "{err}");
    }

    #[test]
    fn missing_path_names_it() {
        let err = Source::Local("/nonexistent/x.gguf".into())
            .files(None)
            .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/x.gguf"), "{err}");
    }

    #[test]
    fn hub_source_without_client() {
        let source = Source::parse("hf://ruv/ruvltra").unwrap();
        assert!(matches!(
            source.files(None),
            Err(SourceError::NoHubClient { .. })
        ));
    }
}
