//! What can go wrong talking to the Hub, reading or writing, one variant per situation a
//! caller acts on.

use crate::gguf::HeaderError;

/// A failed Hub request, with the URL (never the token) and the HTTP status where there is one.
///
/// Library messages stay neutral; the command line adds the next step (set `HF_TOKEN`, check
/// the name) by matching on the variant.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// The repository does not exist, or is private and the request was not allowed to see it
    /// (the Hub answers 401 or 404 with `X-Error-Code: RepoNotFound` for both).
    #[error("repository not found (HTTP {status}) at {url}")]
    RepoNotFound {
        /// The HTTP status.
        status: u16,
        /// The URL asked for.
        url: String,
        /// Whether a token was sent: without one, a private repository looks like this too.
        token_sent: bool,
    },
    /// The repository is gated: its conditions must be accepted on the Hub first.
    #[error("the repository is gated (HTTP {status}) at {url}")]
    Gated {
        /// The HTTP status.
        status: u16,
        /// The URL asked for.
        url: String,
        /// Whether a token was sent.
        token_sent: bool,
    },
    /// The revision (branch, tag, commit or ref) does not exist.
    #[error("revision not found (HTTP {status}) at {url}")]
    RevisionNotFound {
        /// The HTTP status.
        status: u16,
        /// The URL asked for.
        url: String,
    },
    /// The file does not exist at that revision.
    #[error("file not found (HTTP {status}) at {url}")]
    EntryNotFound {
        /// The HTTP status.
        status: u16,
        /// The URL asked for.
        url: String,
    },
    /// 401 without a more specific error code: a token is needed or was rejected.
    #[error("unauthorized (HTTP {status}) at {url}")]
    Unauthorized {
        /// The HTTP status.
        status: u16,
        /// The URL asked for.
        url: String,
        /// Whether a token was sent.
        token_sent: bool,
    },
    /// 403 without a more specific error code: the token may not read this.
    #[error("forbidden (HTTP {status}) at {url}")]
    Forbidden {
        /// The HTTP status.
        status: u16,
        /// The URL asked for.
        url: String,
        /// Whether a token was sent.
        token_sent: bool,
    },
    /// 429: too many requests, still refused after the retries.
    #[error("rate limited (HTTP 429) at {url}{}", retry_after.map(|s| format!(", retry after {s} s")).unwrap_or_default())]
    RateLimited {
        /// The URL asked for.
        url: String,
        /// Seconds from `Retry-After`, when the server sent it.
        retry_after: Option<u64>,
    },
    /// Any other unsuccessful status.
    #[error("unexpected HTTP {status} at {url}{}", message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        /// The HTTP status.
        status: u16,
        /// The URL asked for.
        url: String,
        /// The Hub's `X-Error-Message`, when present.
        message: Option<String>,
    },
    /// The request never got an answer (DNS, connect, TLS, timeout), after the retries.
    #[error("request to {url} failed after {attempts} attempt(s)")]
    Network {
        /// The URL asked for.
        url: String,
        /// How many times it was tried.
        attempts: u32,
        /// The last transport error.
        #[source]
        source: reqwest::Error,
    },
    /// A Range request was answered with the whole file (`200` instead of `206`): the server
    /// or a proxy in between ignores ranges, and reading on would download the whole model.
    #[error(
        "the server ignored the byte range (HTTP {status} instead of 206) at {url}; not downloading the whole file"
    )]
    RangeIgnored {
        /// The status received.
        status: u16,
        /// The URL asked for.
        url: String,
    },
    /// A range answer whose `Content-Range` is missing, malformed or not the range asked for,
    /// or whose body has the wrong length.
    #[error("bad range answer at {url}: {reason}")]
    BadRange {
        /// The URL asked for.
        url: String,
        /// What was wrong, with what was expected and what came.
        reason: String,
    },
    /// More redirects than allowed.
    #[error("more than {limit} redirects, last at {url}")]
    TooManyRedirects {
        /// The last URL redirected to.
        url: String,
        /// The redirect limit.
        limit: u32,
    },
    /// A redirect without a usable `Location`.
    #[error("redirect without a valid `Location` at {url}")]
    BadRedirect {
        /// The URL that redirected.
        url: String,
    },
    /// A JSON answer that does not have the expected shape, or is too large.
    #[error("unexpected answer from {url}: {reason}")]
    InvalidResponse {
        /// The URL asked for.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The GGUF header read from the file's first bytes is not valid.
    #[error("invalid GGUF header in {url}")]
    Header {
        /// The file's URL.
        url: String,
        /// The reader's error (with the byte offset).
        #[source]
        source: HeaderError,
    },
    /// The header is larger than the limit for reading over the network.
    #[error("the GGUF header at {url} needs more than {limit} bytes; not reading further")]
    HeaderTooLarge {
        /// The file's URL.
        url: String,
        /// The configured limit in bytes.
        limit: u64,
    },
    /// The URL could not be built (an endpoint that cannot take a path).
    #[error("cannot build a URL from `{input}`")]
    Url {
        /// The text that did not parse.
        input: String,
        /// The parser's error.
        #[source]
        source: url::ParseError,
    },
    /// The token has characters an HTTP header cannot carry (a stray control character from
    /// copying it); the message does not repeat the token.
    #[error("the token contains characters that cannot go into an HTTP header")]
    InvalidToken,
    /// A download into the local cache could not be written or read back.
    #[error("cannot {action} `{path}` (the download cache)")]
    CacheIo {
        /// What was being done (`write`, `open`, ...).
        action: &'static str,
        /// The cache file.
        path: std::path::PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A downloaded file's SHA-256 is not the one the Hub lists for it; the partial download
    /// was deleted, so the next try starts over.
    #[error(
        "the download of {url} has sha256 {actual}, but the Hub lists {expected}; the cached copy was deleted, run the command again"
    )]
    DigestMismatch {
        /// The file's URL.
        url: String,
        /// The Hub's LFS sha256.
        expected: String,
        /// What the downloaded bytes hash to.
        actual: String,
    },
    /// A download kept failing without making progress.
    #[error(
        "the download of {url} stopped at byte {offset} of {size} after {attempts} tries: {reason}"
    )]
    DownloadStalled {
        /// The file's URL.
        url: String,
        /// Bytes in the cache so far (kept; the next run resumes there).
        offset: u64,
        /// The file's size.
        size: u64,
        /// Tries without progress.
        attempts: u32,
        /// The last failure.
        reason: String,
    },
    /// The HTTP client could not be set up (TLS initialisation).
    #[error("cannot set up the HTTP client")]
    Client(#[source] reqwest::Error),
    /// The repository does not exist and creating it was not asked for (a push).
    #[error(
        "the Hub repository `{repo}` does not exist on {endpoint}; create it or pass the option to create it"
    )]
    Missing {
        /// The repository.
        repo: String,
        /// The Hub.
        endpoint: String,
    },
    /// The LFS batch refused one object (a push).
    #[error("the Hub's LFS batch refused {path} ({oid}): {code} {message}")]
    LfsObject {
        /// The file.
        path: String,
        /// Its sha256.
        oid: String,
        /// The object's error code.
        code: i64,
        /// The object's error message.
        message: String,
    },
    /// A multipart action whose header is not what the protocol says (a push).
    #[error("the Hub's multipart upload of {path} is malformed: {reason}")]
    BadMultipart {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The existing or generated card has broken markers (a push).
    #[error("cannot update the generated section of README.md: {0}")]
    Card(String),
}

impl HubError {
    /// The HTTP status, for variants that have one.
    pub fn status(&self) -> Option<u16> {
        match self {
            HubError::RepoNotFound { status, .. }
            | HubError::Gated { status, .. }
            | HubError::RevisionNotFound { status, .. }
            | HubError::EntryNotFound { status, .. }
            | HubError::Unauthorized { status, .. }
            | HubError::Forbidden { status, .. }
            | HubError::Status { status, .. }
            | HubError::RangeIgnored { status, .. } => Some(*status),
            HubError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }
}
