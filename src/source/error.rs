//! Errors of the source stage: bad references, unreadable paths, failed Hub requests.

use std::path::PathBuf;

use super::HubError;
use crate::gguf::HeaderError;

/// Why a source could not be parsed, listed or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The text does not form a valid source.
    #[error("invalid source `{input}`: {reason}")]
    InvalidReference {
        /// The text as typed.
        input: String,
        /// What is wrong and what was expected.
        reason: String,
    },
    /// `HF_ENDPOINT` is not a usable base URL.
    #[error("invalid Hub endpoint `{input}`: {reason}")]
    InvalidEndpoint {
        /// The value as given.
        input: String,
        /// What is wrong.
        reason: String,
    },
    /// The token file exists but cannot be read.
    #[error("cannot read the token file `{}`", path.display())]
    TokenFile {
        /// The token file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A local path cannot be read.
    #[error("cannot read `{}`", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A folder or repository holds no `*.gguf` file.
    #[error("no `.gguf` files in `{location}`")]
    NoGgufFiles {
        /// The folder or `hf://` reference.
        location: String,
    },
    /// The file named in an `hf://` reference is not in the repository.
    #[error("`{path}` is not in `{reference}`{}", if available.is_empty() { String::new() } else { format!(" (it has: `{}`)", available.join("`, `")) })]
    FileNotInRepo {
        /// The repository reference, without the path.
        reference: String,
        /// The path asked for.
        path: String,
        /// The repository's `.gguf` files, closest names first (at most a few).
        available: Vec<String>,
    },
    /// A local file's GGUF header is not valid.
    #[error("`{}`: invalid GGUF header", path.display())]
    Header {
        /// The file.
        path: PathBuf,
        /// The reader's error, with the byte offset.
        #[source]
        source: HeaderError,
    },
    /// A Hub request failed.
    #[error("cannot read `{reference}` from the Hub")]
    Hub {
        /// The `hf://` reference.
        reference: String,
        /// The request's error, with the URL and status.
        #[source]
        source: HubError,
    },
    /// A Hub source was given but no client was passed in.
    #[error("`{reference}` is on the Hub, but no Hub client was set up")]
    NoHubClient {
        /// The `hf://` reference.
        reference: String,
    },
    /// A local file's name is not valid UTF-8, so a manifest (TOML text) cannot name it.
    #[error(
        "the file name of `{}` is not valid UTF-8, so a manifest cannot name it: rename the file",
        path.display()
    )]
    NonUtf8Name {
        /// The file.
        path: PathBuf,
    },
}

impl SourceError {
    /// The Hub error behind this one, if it came from a request.
    pub fn hub_error(&self) -> Option<&HubError> {
        match self {
            SourceError::Hub { source, .. } => Some(source),
            _ => None,
        }
    }
}
