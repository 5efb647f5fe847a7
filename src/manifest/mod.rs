//! The publisher's shared metadata file (`ruvltra.toml`) and the provenance every resolved
//! value carries.
//!
//! The manifest states only what GGUF files and the Hub cannot tell: names, description,
//! license, the models in the repository and their variants, default sampling parameters and
//! system prompt, and per-target settings. [`Manifest::load`] reads it and reports every
//! unknown key, wrong type and missing field at once, each as `path:line:col: message` with a
//! "did you mean" for near misses. Values that GGUF headers also state (context length,
//! quant, size, chat template, parameters) are [`Claim`]s that a later stage checks with
//! [`reconcile`]: a difference is an error naming both sides unless the manifest marks the
//! value as intended (`{ value = ..., intended = true }`). Every key is in `docs/manifest.md`.
//! [`resolve`] checks the manifest against the GGUF headers; [`starter`] goes the other way and
//! writes a starter manifest from a folder or a Hub repository of GGUFs (what `init` does),
//! pairing projectors by the same width rule resolution enforces.
//!
//! ```
//! use std::path::Path;
//! use ruvltra_export::manifest::Manifest;
//!
//! let text = r#"
//! [family]
//! name = "RuvLTRA"
//! description = "Small models for coding agents."
//! publisher = "ruv"
//! license = "apache-2.0"
//!
//! [hub]
//! repo = "ruv/ruvltra"
//!
//! [models.small.variants.q4_k_m]
//! file = "ruvltra-small-0.5b-q4_k_m.gguf"
//! "#;
//! let manifest = Manifest::parse(text, Path::new("ruvltra.toml")).unwrap();
//! let small = manifest.default_model().unwrap();
//! assert_eq!(manifest.ollama_name(small).unwrap().to_string(), "ruv/ruvltra-small");
//!
//! let typo = text.replace("publisher", "publsher");
//! let errors = Manifest::parse(&typo, Path::new("ruvltra.toml")).unwrap_err();
//! let shown: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
//! assert_eq!(
//!     shown,
//!     [
//!         "ruvltra.toml:2:1: missing key `publisher` in `[family]`: the Hub user or organisation",
//!         "ruvltra.toml:5:1: unknown key `publsher` in `[family]` (did you mean `publisher`?)",
//!     ]
//! );
//! ```

mod error;
mod hub_license;
mod load;
mod provenance;
mod reader;
mod resolve;
mod resolve_build;
mod resolve_chat;
mod resolve_error;
mod resolve_files;
mod resolve_variant;
mod schema;
pub mod starter;

pub use error::{LoadError, Location, ManifestError, ManifestErrorKind, ManifestErrors};
pub use load::MAX_MANIFEST_BYTES;
pub use provenance::{Conflict, Provenance, Sourced, reconcile};
pub use resolve::{
    CardBenchmark, CardTarget, LOCK_VERSION, ModelShape, OciTarget, OllamaChat, Origin, Resolved,
    ResolvedAdapter, ResolvedChat, ResolvedFamily, ResolvedHub, ResolvedLicense, ResolvedMessage,
    ResolvedModel, ResolvedParameter, ResolvedProjector, ResolvedValue, ResolvedVariant, Targets,
};
pub use resolve_build::{MAX_TEXT_FILE_BYTES, resolve};
pub use resolve_chat::{
    ChatAnalysis, ChatCheck, ChatConverter, ChatInput, ChatOutput, CheckedChat, ChosenDefault,
    check_chat, check_roles, default_template,
};
pub use resolve_error::ResolveError;
pub use resolve_files::{FileFacts, FileSource, HubFiles, LocalFiles};
pub use schema::{
    Benchmark, CardSettings, ChatTemplateSource, Claim, CompanionFile, Family, HubSettings,
    License, LlamaCppSettings, Manifest, ManifestMessage, ModelEntry, ModelScopeSettings,
    OciSettings, OllamaSettings, Settings, SourceSettings, UnknownVariant, UnknownVisibility,
    VariantEntry, Visibility,
};
