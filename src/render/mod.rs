//! Renderers: one per target ecosystem, all fed by one resolved model.
//!
//! [`render`] turns a [`Resolved`](crate::manifest::Resolved) family into an [`OutputTree`]
//! held in memory (Ollama Modelfiles and tag plan, llama.cpp presets and catalog, ModelScope
//! repository files, the Hub model card, and `metadata.lock.json`); nothing touches the disk
//! until every file has rendered, then [`OutputTree::write_atomically`] swaps the tree in.
//! Output is deterministic: the same inputs give byte-identical files. Text outputs come from
//! the minijinja templates in `templates/` ([`Templates`]); Modelfiles come from the
//! Modelfile writer so that they always parse back. Every shape is in `docs/outputs.md`.
pub mod card;
pub mod engine;
mod error;
pub mod modelscope;
pub mod oci_pull;
pub mod ollama;
pub mod output;
mod run;
pub use engine::Templates;
pub use error::RenderError;
pub use output::{LOCK_FILE, OutputTree};
pub use run::{RenderContext, RenderOptions, Target, render};
pub mod llamacpp;
