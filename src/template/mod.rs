//! Chat templates: Jinja (as transformers runs it), Go templates (as Ollama runs them), the
//! verifier that compares the two, and the converter from one to the other.

pub mod chat;
pub mod convert;
pub mod defaults;
pub mod fit;
pub mod gotmpl;
pub mod jinja;
pub mod llamacpp;
pub mod ollama;
pub mod suite;
pub mod verify;
