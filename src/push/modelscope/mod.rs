//! The modelscope backend: a release's files into a ModelScope model repository.
//!
//! The repository is created when missing (with the visibility and license given), then the
//! GGUFs and every file over 1 MiB go through LFS — one batch call per 64 objects says which
//! blobs the server lacks, and only those are `PUT` (streamed, with `Content-Length`) — and
//! one commit per 256 files ties the LFS files and the small generated files (sent inline,
//! base64) together. Every answer is an envelope `{Code, Data, Message, RequestId, Success}`
//! and is checked, since a failure can arrive inside an HTTP 200. The token
//! (`MODELSCOPE_API_TOKEN`, taken as a value) goes as the cookie `m_session_id`, only to the
//! endpoint's origin. `verify` lists the repository and compares each file's size and
//! sha256; the plan lists files the repository has that the release does not.

mod backend;
mod client;
mod endpoint;
mod error;

pub use crate::manifest::Visibility;
/// ModelScope repositories are named like the Hub's: the crate's one repository-id type.
pub use crate::source::RepoId;
pub use backend::{LFS_THRESHOLD, ModelScopeBackend, ModelScopeTarget, is_lfs};
pub use client::{CommitAction, MAX_BATCH, MAX_COMMIT, ModelScopeClient, RemoteFile};
pub use endpoint::ModelScopeEndpoint;
pub use error::ModelScopeError;
