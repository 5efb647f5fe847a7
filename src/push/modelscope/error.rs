//! Errors particular to ModelScope; they reach callers wrapped in
//! [`PushError::Backend`](crate::push::PushError::Backend) with the backend name `modelscope`.

/// What can go wrong with ModelScope beyond plain HTTP failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelScopeError {
    /// The answer's envelope says the call failed (possibly inside an HTTP 200).
    #[error(
        "{what}: {url} answered HTTP {status} with Code {code}, Success {success}: {message} (request id {request_id})"
    )]
    Envelope {
        /// What the call was for.
        what: String,
        /// Where it went.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The envelope's `Code`.
        code: i64,
        /// The envelope's `Success`.
        success: bool,
        /// The envelope's `Message`.
        message: String,
        /// The envelope's `RequestId`, for a support request.
        request_id: String,
    },
    /// The answer is not an envelope at all.
    #[error(
        "{what}: {url} answered HTTP {status} without the `{{Code, Success}}` envelope: {body}"
    )]
    NotAnEnvelope {
        /// What the call was for.
        what: String,
        /// Where it went.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// A bad `MODELSCOPE_DOMAIN` or endpoint URL.
    #[error("`{input}` is not a usable ModelScope endpoint: {reason}")]
    BadEndpoint {
        /// The text given.
        input: String,
        /// Why not.
        reason: String,
    },
    /// The repository does not exist and creating it was not allowed.
    #[error(
        "the ModelScope repository `{repo}` does not exist on {endpoint}; create it there or allow the backend to create it"
    )]
    Missing {
        /// The repository.
        repo: String,
        /// The site.
        endpoint: String,
    },
}
