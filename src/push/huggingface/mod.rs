//! The huggingface backend: the generated model card and root files (`README.md`,
//! `template`, `system`, `params`, `.jinja` files, `preset.ini` when asked for) into a Hub
//! model repository.
//!
//! The Hub's commit API is used the way its own clients use it: `preupload` says which files
//! go through LFS; the LFS batch API says which of those the Hub lacks and where to send them
//! (one `PUT`, or parts and a completion call when the action carries `chunk_size`), then
//! each object's `verify` action is called; one NDJSON commit ties everything together. The
//! repository is created when asked (409 means it exists).
//!
//! The card is handled with care: a README.md with the generated-section markers
//! ([`card_section`]) was written by this tool, and only that section is replaced; a README.md
//! without them belongs to the publisher, and the push becomes a pull request
//! (`?create_pr=1`) instead of an overwrite. The token goes in `Authorization` to the Hub's
//! origin only — never to the storage URLs LFS actions point at, nor across a redirect.

mod backend;
pub mod card_section;
mod client;
mod repo_paths;

/// The Hub's base URL: the same type the source side reads from, so one parsed `HF_ENDPOINT`
/// serves both.
pub use crate::source::HubEndpoint;
/// The Hub's one client and error: the same types the source side reads with (this backend
/// adds the upload calls to the client).
pub use crate::source::{HubClient, HubError, RepoId};
pub use backend::{CARD_PATH, ForeignCardPolicy, HubBackend, HubTarget};
pub use client::{CommitInfo, CommitOp, TreeEntry, TreeLfs, UploadMode};
pub use repo_paths::check_repo_paths;
