//! The ollama backend: a running Ollama server's HTTP API (`OLLAMA_HOST`).
//!
//! A push goes the way `ollama create` itself goes, so the server builds the model exactly as
//! it would from a Modelfile:
//!
//! 1. each GGUF is offered with `HEAD /api/blobs/sha256:<hex>` and streamed with `POST` only
//!    when the server lacks it (a retry asks again first, so nothing is stored twice);
//! 2. `POST /api/create` names the blobs and carries the template, system prompt, typed
//!    parameters (JSON numbers, booleans, arrays), licenses and messages — or, for servers
//!    older than 0.5.5 (`/api/version`), the same as a Modelfile with `FROM @sha256:<hex>`;
//!    every NDJSON line of the answer is checked for `error`, which can follow a 200;
//! 3. optionally `/api/copy` to a namespace and `/api/push` to publish it.
//!
//! [`OllamaBackend::verify`](crate::push::Backend::verify) reads each model back with
//! `/api/show` and compares template, system, license, parameters and messages with what was
//! generated. The plan lists models of the same repository under other tags (stale tags);
//! they are deleted only with prune.

mod backend;
mod client;
mod create;
mod error;
mod host;
mod ndjson;
mod show_parameters;
pub(crate) mod text_check;

pub use backend::{OllamaBackend, OllamaTarget, display_name};
pub use client::{OllamaClient, ShowResponse, TagEntry};
pub use create::{ModelBlob, check_file_name, files_request, modelfile_request};
pub use error::OllamaApiError;
pub use host::{OllamaHost, OllamaHostError};
pub use show_parameters::{ParamSet, ShownValue};
