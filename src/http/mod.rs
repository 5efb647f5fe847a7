//! The crate's one HTTP layer, used by the Hub source, every backend and the OCI client.
//!
//! Each concern lives in one file, so a fix reaches every server the tool talks to:
//!
//! - [`client`]: the one place that builds `reqwest` clients (rustls, the crate's
//!   [`USER_AGENT`](crate::USER_AGENT), no automatic redirects) and the time limits and retry
//!   counts every client works within ([`HttpSettings`]).
//! - [`retry`](mod@retry): bounded retries with exponential backoff that honour `Retry-After`, and which
//!   answers are worth another try.
//! - [`redirect`]: redirects followed by hand, so `Authorization` and cookies stay on the
//!   origin they were meant for ([`crate::origin`]).
//! - [`link`]: `Link: <...>; rel="next"` pagination.
//! - [`body`]: every body read with a size cap.
//! - [`error_text`](mod@error_text): the one place where an error body becomes error text: one short line,
//!   HTML reduced to its title, credential-looking text never copied.

pub mod body;
pub mod client;
pub mod error_text;
pub mod link;
pub mod redirect;
pub mod retry;

pub use body::{BodyError, read_capped};
pub use client::{HttpSettings, build_client, build_local_client};
pub use error_text::{error_text, read_error_text};
pub use link::next_link;
pub use redirect::{Followed, RedirectError, follow_redirects};
pub use retry::{
    Attempt, Failure, GaveUp, RetryPolicy, Retrying, is_retryable_status, parse_retry_after,
    retry_after, run_with_retries,
};
