//! Retries for backends: the HTTP layer's engine ([`crate::http::run_with_retries`]) reporting each wait
//! as a progress event, and answers sorted into [`PushError`]s. Retryable answers are the
//! layer's ([`crate::http::is_retryable_status`], honouring `Retry-After`); any other 4xx or
//! 5xx fails at once with the server's own message, made one short line by
//! [`crate::http::error_text()`].

use reqwest::blocking::Response;

use super::error::PushError;
use super::progress::{Progress, ProgressEvent};
use crate::http::{is_retryable_status, read_error_text, retry_after};

pub use crate::http::RetryPolicy;
pub use crate::http::parse_retry_after;

/// The outcome of one failed attempt of a backend's request.
pub type Failure = crate::http::Failure<PushError>;

/// Runs `op` until it succeeds, fails fatally, or the attempts run out. `op` gets the 1-based
/// attempt number, so it can reopen its body at the right offset each time.
pub fn with_retries<T>(
    policy: &RetryPolicy,
    progress: &dyn Progress,
    what: &str,
    mut op: impl FnMut(u32) -> Result<T, Failure>,
) -> Result<T, PushError> {
    crate::http::run_with_retries(
        policy,
        |retrying| {
            progress.emit(ProgressEvent::Retrying {
                what: what.to_string(),
                attempt: retrying.attempt,
                max_attempts: retrying.max_attempts,
                wait_ms: retrying.wait.as_millis().try_into().unwrap_or(u64::MAX),
                reason: retrying.reason.clone(),
            });
        },
        |attempt| op(attempt.number),
    )
    .map_err(|stopped| match stopped {
        Ok(err) => err,
        Err(gave_up) => PushError::RetriesExhausted {
            what: what.to_string(),
            attempts: gave_up.attempts,
            last: gave_up.last,
        },
    })
}

/// Sorts a response: 1xx-3xx pass through; 408, 429, 500, 502, 503 and 504 are retryable
/// (with `Retry-After`); 401/403 and every other error fail fast with the server's message.
pub fn check_response(what: &str, response: Response) -> Result<Response, Failure> {
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return Ok(response);
    }
    let url = response.url().to_string();
    let retry_after = retry_after(response.headers());
    let message = server_message(response);
    let code = status.as_u16();
    if is_retryable_status(status) {
        return Err(Failure::Retryable {
            reason: format!("{url} answered {code}: {message}"),
            retry_after,
        });
    }
    let what = what.to_string();
    Err(Failure::Fatal(if code == 401 || code == 403 {
        PushError::Unauthorized {
            what,
            url,
            status: code,
            message,
        }
    } else {
        PushError::Remote {
            what,
            url,
            status: code,
            message,
        }
    }))
}

/// Sorts a transport error: connection problems, timeouts and broken bodies are retryable,
/// everything else (a bad URL, a redirect loop) is not.
pub fn check_send_error(what: &str, url: &str, err: reqwest::Error) -> Failure {
    if err.is_connect() || err.is_timeout() || err.is_request() || err.is_body() || err.is_decode()
    {
        Failure::Retryable {
            reason: format!("{url}: {}", error_chain(&err)),
            retry_after: None,
        }
    } else {
        Failure::Fatal(PushError::Request {
            what: what.to_string(),
            url: url.to_string(),
            source: err,
        })
    }
}

/// The error and its causes on one line ("connection reset by peer" hides in the causes).
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// An error answer's message as one short line (see [`crate::http::error_text()`]), or the
/// status text when the body is empty.
pub fn server_message(response: Response) -> String {
    read_error_text(response)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::push::progress::QuietProgress;

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            initial_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        }
    }

    #[test]
    fn retries_until_success_and_bounds_attempts() {
        let mut calls = 0;
        let value = with_retries(&fast(), &QuietProgress, "x", |attempt| {
            calls += 1;
            if attempt < 3 {
                Err(Failure::Retryable {
                    reason: "503".into(),
                    retry_after: Some(Duration::from_secs(3600)),
                })
            } else {
                Ok(attempt)
            }
        })
        .unwrap();
        assert_eq!((value, calls), (3, 3));
        let err = with_retries(&fast(), &QuietProgress, "blob", |_| -> Result<(), _> {
            Err(Failure::Retryable {
                reason: "reset".into(),
                retry_after: None,
            })
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "blob: gave up after 3 attempts; last error: reset"
        );
    }

    #[test]
    fn fatal_stops_at_once() {
        let mut calls = 0;
        let err = with_retries(&fast(), &QuietProgress, "x", |_| -> Result<(), _> {
            calls += 1;
            Err(Failure::Fatal(PushError::input("bad")))
        })
        .unwrap_err();
        assert_eq!((calls, err.to_string()), (1, "bad".to_string()));
    }
}
