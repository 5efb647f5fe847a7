//! The GGUF header: metadata key/values and tensor infos, read from any byte stream.
