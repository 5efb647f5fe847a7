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
//! [`pipeline`] runs the stages in order — resolve a family, render, fetch the GGUFs, push
//! through each registry's backend, verify — and returns a typed summary; it prints nothing
//! and reads no environment variable. [`manifest::starter`] writes a starter manifest from a
//! folder or a Hub repository of GGUFs. [`inspect`] summarises headers for people and
//! machines; [`cli`] is the command line's edge: its arguments, the one file that reads the
//! environment, and the printers.
//!
//! A release through the library alone: the checked-in `ruvltra.toml` resolved over the
//! GGUF fixtures, rendered, and pushed as an Ollama model store into a folder.
//!
//! ```
//! use ruvltra_export::digest::DigestCache;
//! use ruvltra_export::pipeline::{
//!     FamilyRequest, Pipeline, PushOptions, Registry, RegistrySettings, Status, render_for,
//! };
//! use ruvltra_export::push::bundle::BundleTarget;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = tempfile::tempdir()?;
//! let settings = RegistrySettings {
//!     bundle: Some(BundleTarget::Dir(store.path().to_owned())),
//!     ..RegistrySettings::default()
//! };
//! let options = PushOptions::default();
//! // In memory here; `DigestCache::open(Some(dir))` keeps digests between runs.
//! let digests = DigestCache::open(options.cache_dir.as_deref());
//! let pipeline = Pipeline::new(&settings, &options, &digests);
//!
//! let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/ruvltra.toml");
//! let resolved = pipeline.resolve(&FamilyRequest::local(manifest))?;
//! let registries = [Registry::Bundle];
//! let outputs = render_for(&resolved, &registries, false, false)?;
//! let summary = pipeline.push(&resolved, &outputs, &registries, false)?;
//!
//! let row = &summary.rows[0];
//! assert_eq!((row.registry, &row.status), (Registry::Bundle, &Status::Ok));
//! assert!(!summary.failed() && row.items > 0 && row.bytes > 0);
//! // Ollama's layout: a manifest per model name and tag, and the blobs they point to.
//! assert!(store.path().join("manifests/registry.ollama.ai/ruv").is_dir());
//!
//! // A second push of the same release finds everything there and sends nothing.
//! let again = pipeline.push(&resolved, &outputs, &registries, false)?;
//! assert_eq!((again.rows[0].bytes, again.rows[0].skipped), (0, again.rows[0].items));
//! # Ok(())
//! # }
//! ```
//!
//! Below the stages sit small modules that any stage may use and that use none of them:
//! [`digest`] (the one SHA-256 digest type and streaming hashing), [`secret`] (credentials that
//! never print), [`origin`] (whether a token may follow a URL to another server), [`http`]
//! (the one HTTP layer: clients, retries, redirects, pagination, capped bodies, error text)
//! and [`text_file`] (small files the user names, read in bounded time and memory).
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
pub mod text_file;
