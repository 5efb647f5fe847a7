//! Summaries of GGUF headers for people (text) and machines (JSON).
