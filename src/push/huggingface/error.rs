//! Errors particular to the Hub upload API; they reach callers wrapped in
//! [`PushError::Backend`](crate::push::PushError::Backend) with the backend name
//! `huggingface`.

use super::card_section::CardSectionError;

/// What can go wrong with the Hub beyond plain HTTP failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// A bad repository id.
    #[error("`{input}` is not a Hub repository id (expected `owner/name`)")]
    BadRepo {
        /// The text given.
        input: String,
    },
    /// The repository does not exist and creating it was not asked for.
    #[error(
        "the Hub repository `{repo}` does not exist on {endpoint}; create it or pass the option to create it"
    )]
    Missing {
        /// The repository.
        repo: String,
        /// The Hub.
        endpoint: String,
    },
    /// The LFS batch refused one object.
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
    /// A multipart action whose header is not what the protocol says.
    #[error("the Hub's multipart upload of {path} is malformed: {reason}")]
    BadMultipart {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The existing or generated card has broken markers.
    #[error("cannot update the generated section of README.md: {0}")]
    Card(#[from] CardSectionError),
}
