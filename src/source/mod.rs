//! Where GGUF files come from: local paths and `hf://` references to the Hugging Face Hub.
