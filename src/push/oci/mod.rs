//! The oci backend: Ollama-format models pushed to any OCI distribution registry.
