//! The bundle backend: an Ollama model store written to a folder or a deterministic tar.
