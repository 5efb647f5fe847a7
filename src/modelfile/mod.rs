//! Ollama Modelfiles: a parser that follows Ollama's grammar and a writer that round-trips.
