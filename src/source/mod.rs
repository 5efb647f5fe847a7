//! Where GGUF files come from: local paths and `hf://` references to the Hugging Face Hub.
//!
//! A [`Source`] is parsed once from what the user typed. [`Source::files`] expands it into
//! [`SourceFile`]s (a folder into its `*.gguf` files in name order, a repository into its
//! `*.gguf` files with sizes and LFS hashes), and [`SourceFile::read_header`] reads each
//! file's GGUF header: through a buffered reader for local files, through HTTP Range requests
//! for the Hub (see [`HubClient::read_header`]), so a multi-gigabyte model is never downloaded.
//!
//! The library reads no environment variables: the command line resolves [`HubSettings`]
//! (endpoint and token, a [`crate::secret::Secret`]) and passes them in.

mod digest;
mod error;
mod files;
pub mod hub;
mod reference;

pub use digest::hash_file;
pub use error::SourceError;
pub use files::{FileLocation, HeaderRead, SourceFile};
pub use hub::{HubClient, HubEndpoint, HubError, HubLimits, HubSettings};
pub use reference::{HUB_SCHEME, HubReference, RepoId, RepoIdError, RepoPath, Revision, Source};
