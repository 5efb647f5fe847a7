//! Errors particular to Ollama's API; they reach callers wrapped in
//! [`PushError::Backend`](crate::push::PushError::Backend) with the backend name `ollama`.

/// What can go wrong talking to an Ollama server beyond plain HTTP failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OllamaApiError {
    /// Nothing listens at the server's address (the connection was refused).
    #[error(
        "cannot reach the Ollama server at {host}: connection refused; is Ollama running at OLLAMA_HOST? (start it with `ollama serve`, or set OLLAMA_HOST to where it listens)"
    )]
    Unreachable {
        /// The server's base URL.
        host: String,
    },
    /// A streamed answer carried an `{"error"}` line (possibly after a 200 and other lines).
    #[error("{operation} `{model}` failed on {url}: {message} (after status `{last_status}`)")]
    ErrorLine {
        /// `create`, `push`, ...
        operation: &'static str,
        /// The model name.
        model: String,
        /// The endpoint.
        url: String,
        /// The server's message.
        message: String,
        /// The last status line before the error (`-` if none).
        last_status: String,
    },
    /// A streamed answer ended without `success`.
    #[error("{operation} `{model}` on {url} ended without `success` (last status `{last_status}`)")]
    NoSuccess {
        /// `create`, `push`, ...
        operation: &'static str,
        /// The model name.
        model: String,
        /// The endpoint.
        url: String,
        /// The last status line.
        last_status: String,
    },
    /// A streamed line was not JSON or too long.
    #[error("{operation} on {url}: line {line} of the answer is not an NDJSON object: {reason}")]
    BadLine {
        /// `create`, `push`, ...
        operation: &'static str,
        /// The endpoint.
        url: String,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        reason: String,
    },
    /// A file name cannot be used as a `files` key (Ollama forbids `..` and absolute paths).
    #[error("`{name}` cannot be sent as an Ollama `files` entry: {reason}")]
    BadFileName {
        /// The name.
        name: String,
        /// Why not.
        reason: String,
    },
    /// A value cannot be written into the older Modelfile form without changing it.
    #[error(
        "the {what} of `{model}` cannot be written into a Modelfile for this pre-0.5.5 server: {reason} (upgrade Ollama to 0.5.5 or later)"
    )]
    NotRepresentable {
        /// TEMPLATE, SYSTEM, ...
        what: &'static str,
        /// The model name.
        model: String,
        /// Why not.
        reason: String,
    },
}
