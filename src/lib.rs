//! `ruvltra-export` turns GGUF models published on the Hugging Face Hub into what the other
//! ecosystems need — Ollama Modelfiles, llama.cpp "model zoo" entries, ModelScope repository
//! files and the Hub model card — and pushes them to each registry.
//!
//! Data moves through five stages, one module folder each:
//!
//! 1. **Sources** ([`source`]): a local file or folder, or `hf://owner/repo[@rev][/file.gguf]`.
//!    Local files are read through a buffered reader; files on the Hub are read with HTTP
//!    Range requests, so a multi-gigabyte model is never downloaded to be inspected.
//! 2. **GGUF header** ([`gguf`]): a streaming reader of our own that parses the key/value
//!    metadata and tensor infos of GGUF v1-v3, in either byte order, and never touches tensor
//!    data. Bad input becomes a typed error naming the byte offset, never a panic.
//! 3. **Resolved metadata** ([`manifest`]): the publisher's small `ruvltra.toml` merged with
//!    what the headers and the Hub say, every value tagged with where it came from.
//! 4. **Renderers** ([`render`], [`template`], [`modelfile`]): one per target ecosystem; chat
//!    templates are converted from Jinja to Ollama's Go templates and verified byte by byte.
//! 5. **Backends** ([`push`]): one per registry, behind one trait, idempotent and resumable.
//!
//! [`inspect`] summarises headers for people and machines; [`cli`] is the command line's edge,
//! the only place that reads the environment and adds hints to errors.
//!
//! Below the stages sit small modules that any stage may use and that use none of them:
//! [`digest`] (the one SHA-256 digest type and streaming hashing), [`secret`] (credentials that
//! never print), [`origin`] (whether a token may follow a URL to another server) and [`http`]
//! (the one HTTP layer: clients, retries, redirects, pagination, capped bodies, error text).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

/// How the tool names itself to every server it talks to (`User-Agent`).
pub const USER_AGENT: &str = concat!("ruvltra-export/", env!("CARGO_PKG_VERSION"));

pub mod cli;
pub mod digest;
pub mod gguf;
pub mod http;
pub mod inspect;
pub mod manifest;
pub mod modelfile;
pub mod ollama;
pub mod origin;
pub mod pipeline;
pub mod push;
pub mod render;
pub mod secret;
pub mod source;
pub mod template;
