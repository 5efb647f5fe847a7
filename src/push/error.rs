//! The push stage's one error type. Each variant says what was being done, where (file or
//! URL), and carries the server's own message when there is one; credentials never appear.

use std::path::PathBuf;

use crate::digest::Digest;

/// Everything that can go wrong while planning, pushing or verifying.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// Reading or writing a local file failed.
    #[error("{action} `{}`", path.display())]
    Io {
        /// What was being done ("reading", "writing blob", ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The release description cannot be pushed as given (a missing GGUF, an invalid name).
    #[error("{message}")]
    Input {
        /// What is wrong and what to do.
        message: String,
    },
    /// A request could not be sent or its answer not read, and it is not worth retrying.
    #[error("{what}: request to {url} failed")]
    Request {
        /// What the request was for.
        what: String,
        /// Where it went.
        url: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The server refused the credentials (401) or the permission (403).
    #[error("{what}: {url} answered {status} (not authorized): {message}")]
    Unauthorized {
        /// What the request was for.
        what: String,
        /// Where it went.
        url: String,
        /// 401 or 403.
        status: u16,
        /// The server's own message.
        message: String,
    },
    /// The server answered with an error that retrying will not fix (a 4xx other than 429).
    #[error("{what}: {url} answered {status}: {message}")]
    Remote {
        /// What the request was for.
        what: String,
        /// Where it went.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The server's own message.
        message: String,
    },
    /// Every attempt of a retried transfer failed (5xx, 429 or a dropped connection).
    #[error("{what}: gave up after {attempts} attempts; last error: {last}")]
    RetriesExhausted {
        /// What was being transferred.
        what: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// Content did not hash to the digest it should have.
    #[error("{what}: digest mismatch\n  expected: {expected}\n  computed: {actual}")]
    DigestMismatch {
        /// Which blob or file.
        what: String,
        /// The digest it should have (boxed, like `actual`, to keep every result small).
        expected: Box<Digest>,
        /// The digest of the bytes read.
        actual: Box<Digest>,
    },
    /// The server answered something the protocol does not allow (a missing header, bad JSON).
    #[error("{what}: unexpected answer from {url}: {message}")]
    Protocol {
        /// What the request was for.
        what: String,
        /// Where it went.
        url: String,
        /// What was wrong with the answer.
        message: String,
    },
    /// A backend-specific failure, wrapped with the backend's name so new backends need no new
    /// variant here. The message is the name alone: the backend's error is the `source()`, so
    /// a printed chain shows it once.
    #[error("{backend}")]
    Backend {
        /// The backend's name.
        backend: String,
        /// Its own error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl PushError {
    /// An [`PushError::Io`] for `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// An [`PushError::Input`].
    pub fn input(message: impl Into<String>) -> Self {
        Self::Input {
            message: message.into(),
        }
    }
}

/// A digest that could not be had is a local file problem: unreadable, or changing under us.
impl From<crate::digest::DigestCacheError> for PushError {
    fn from(err: crate::digest::DigestCacheError) -> Self {
        use crate::digest::DigestCacheError;
        match err {
            DigestCacheError::Io {
                action,
                path,
                source,
            } => PushError::Io {
                action,
                path,
                source,
            },
            other => PushError::input(other.to_string()),
        }
    }
}
