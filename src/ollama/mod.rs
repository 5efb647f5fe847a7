//! Ollama's vocabulary: model names, parameter names and types, media types.
