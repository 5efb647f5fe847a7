//! Retrying transfers: exponential backoff on 5xx, 429 (honouring `Retry-After`) and dropped
//! connections, with a bounded number of attempts; any other 4xx fails at once with the
//! server's own message.

use std::time::{Duration, SystemTime};

use reqwest::blocking::Response;
use reqwest::header::RETRY_AFTER;

use super::error::PushError;
use super::progress::{Progress, ProgressEvent};

/// How often and how patiently to retry. By default: 5 attempts, 500 ms doubling to at most
/// 30 s between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, including the first (at least 1).
    pub max_attempts: u32,
    /// Wait after the first failure.
    pub initial_delay: Duration,
    /// Upper bound for any wait, including a server's `Retry-After`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, after `attempt` (1-based) failed.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_delay
            .saturating_mul(factor)
            .min(self.max_delay)
    }
}

/// The outcome of one failed attempt.
#[derive(Debug)]
pub enum Failure {
    /// Worth another try (5xx, 429, a dropped connection); `retry_after` is the server's wish.
    Retryable {
        /// What went wrong, for the progress line and the final error.
        reason: String,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// Retrying cannot help.
    Fatal(PushError),
}

impl From<PushError> for Failure {
    fn from(err: PushError) -> Self {
        Self::Fatal(err)
    }
}

/// Runs `op` until it succeeds, fails fatally, or the attempts run out. `op` gets the 1-based
/// attempt number, so it can reopen its body at the right offset each time.
pub fn with_retries<T>(
    policy: &RetryPolicy,
    progress: &dyn Progress,
    what: &str,
    mut op: impl FnMut(u32) -> Result<T, Failure>,
) -> Result<T, PushError> {
    let max_attempts = policy.max_attempts.max(1);
    let mut attempt = 1;
    loop {
        match op(attempt) {
            Ok(value) => return Ok(value),
            Err(Failure::Fatal(err)) => return Err(err),
            Err(Failure::Retryable {
                reason,
                retry_after,
            }) => {
                if attempt >= max_attempts {
                    return Err(PushError::RetriesExhausted {
                        what: what.to_string(),
                        attempts: attempt,
                        last: reason,
                    });
                }
                let wait = retry_after.map_or_else(
                    || policy.backoff(attempt),
                    |after| after.min(policy.max_delay),
                );
                progress.emit(ProgressEvent::Retrying {
                    what: what.to_string(),
                    attempt,
                    max_attempts,
                    wait_ms: wait.as_millis().try_into().unwrap_or(u64::MAX),
                    reason,
                });
                std::thread::sleep(wait);
                attempt += 1;
            }
        }
    }
}

/// Sorts a response: 1xx-3xx pass through; 5xx and 429 are retryable (with `Retry-After`);
/// 401/403 and every other 4xx fail fast with the server's message.
pub fn check_response(what: &str, response: Response) -> Result<Response, Failure> {
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return Ok(response);
    }
    let url = response.url().to_string();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let message = server_message(response);
    let code = status.as_u16();
    if status.is_server_error() || code == 429 {
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

/// The first 2 KiB of an error body, trimmed, or the status text when the body is empty.
pub fn server_message(response: Response) -> String {
    use std::io::Read;
    let reason = response
        .status()
        .canonical_reason()
        .unwrap_or("")
        .to_string();
    let mut body = Vec::new();
    let _ = response.take(2048).read_to_end(&mut body);
    let text = String::from_utf8_lossy(&body).trim().to_string();
    if text.is_empty() { reason } else { text }
}

/// `Retry-After` as delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
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
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.backoff(1), Duration::from_millis(500));
        assert_eq!(policy.backoff(3), Duration::from_secs(2));
        assert_eq!(policy.backoff(40), Duration::from_secs(30));
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

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
