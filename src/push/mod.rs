//! Backends: one per registry, behind one trait ([`Backend`]).
//!
//! A release ([`Release`]: Ollama-format models and plain files) goes to each registry in
//! three steps — plan, push, verify — with the pieces every backend shares living here:
//!
//! - **Digest cache** ([`DigestCache`], from [`crate::digest`], shared with resolution): each
//!   local file is hashed once into a [`Digest`](crate::digest::Digest) with a fixed 1 MiB
//!   buffer, and again only when its size, modification time, inode or change time changes.
//! - **Blob sources** ([`BlobSource`]): bytes are streamed from disk and reopened at any
//!   offset for retries and resumed uploads; a GGUF is never held in memory.
//! - **Shared reads** ([`SharedReads`]): targets of one command that send the same file push
//!   side by side and read it from disk once between them.
//! - **Retries** ([`RetryPolicy`], [`with_retries`]): exponential backoff on 5xx, 429 (with
//!   `Retry-After`) and dropped connections; other 4xx fail fast with the server's message.
//! - **HTTP** ([`http`]): redirects are followed by hand so `Authorization` never reaches
//!   another origin; tokens live in [`Secret`](crate::secret::Secret), which never prints.
//! - **Progress** ([`Progress`]): bars, plain lines, JSON events, or nothing.
//! - **The push skeleton** ([`skeleton`]): skip what the plan skips, send the rest side by
//!   side with progress around each transfer, make manifests or create calls in order, prune;
//!   a backend supplies only what sending one item means for its registry.
//! - **Images** ([`OllamaImage`]): the config blob, layers and manifest of an Ollama model,
//!   the exact bytes the oci and bundle backends send.
//!
//! Backends: [`oci`] (any OCI distribution registry) and [`bundle`] (an Ollama model store
//! as a folder or a deterministic tar).

mod backend;
mod blob_source;
pub mod bundle;
mod error;
pub mod from_gguf;
pub mod from_resolved;
pub mod http;
pub mod huggingface;
pub mod lfs;
pub mod modelscope;
pub mod oci;
pub mod ollama_api;
mod ollama_image;
mod parallel;
mod progress;
mod release;
mod retry;
mod shared_read;
mod side_by_side;
pub mod skeleton;
pub(crate) mod upload_body;

pub use crate::digest::DigestCache;
pub use backend::{
    Action, Backend, Check, ItemKind, ItemOutcome, Plan, PlanItem, PushContext, PushReport,
    ReadBackReport, StaleItem, TransferOptions,
};
pub use blob_source::BlobSource;
pub use error::PushError;
pub use ollama_image::{
    CONFIG_MEDIA_TYPE, ImageBlob, MANIFEST_MEDIA_TYPE, OllamaImage, media_type,
};
pub use parallel::run_parallel;
pub use progress::{
    JsonProgress, PlainProgress, Progress, ProgressEvent, ProgressReader, QuietProgress,
    TerminalProgress, human_bytes,
};
pub use release::{ArtifactFile, FileBytes, ModelConfig, OllamaMessage, OllamaModel, Release};
pub use retry::{
    Failure, RetryPolicy, check_response, check_send_error, error_chain, parse_retry_after,
    server_message, with_retries,
};
pub use shared_read::{SharedFile, SharedReads};
pub use side_by_side::{FailedPush, PlannedPush, push_side_by_side};
