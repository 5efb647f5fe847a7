//! Bounded retries: exponential backoff that honours a server's `Retry-After` (up to a cap),
//! a fixed number of attempts, and one rule for which answers are worth another try.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

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

    /// The wait after `attempt` failed: the server's `retry_after` when it sent one (capped
    /// at [`RetryPolicy::max_delay`]), else the backoff.
    pub fn wait(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        retry_after.map_or_else(|| self.backoff(attempt), |after| after.min(self.max_delay))
    }
}

/// The outcome of one failed attempt.
#[derive(Debug)]
pub enum Failure<E> {
    /// Worth another try (5xx, 429, a dropped connection); `retry_after` is the server's wish.
    Retryable {
        /// What went wrong, for the progress line and the final error.
        reason: String,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// Retrying cannot help.
    Fatal(E),
}

impl<E> From<E> for Failure<E> {
    fn from(err: E) -> Self {
        Self::Fatal(err)
    }
}

/// Which attempt an operation is making.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// 1-based.
    pub number: u32,
    /// Whether no further attempt follows a retryable failure of this one (a caller that
    /// wants the last answer itself, not "gave up", returns it instead of failing).
    pub last: bool,
}

/// Every attempt failed in a retryable way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GaveUp {
    /// Attempts made.
    pub attempts: u32,
    /// The last failure.
    pub last: String,
}

/// A wait before the next attempt, for progress reporting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retrying {
    /// The attempt that failed (1-based).
    pub attempt: u32,
    /// Attempts in all.
    pub max_attempts: u32,
    /// How long until the next one.
    pub wait: Duration,
    /// Why the attempt failed.
    pub reason: String,
}

/// Runs `op` until it succeeds, fails fatally (`Err(Ok(err))`) or the attempts run out
/// (`Err(Err(GaveUp))`), sleeping per `policy` between attempts and telling `on_retry` first.
pub fn run_with_retries<T, E>(
    policy: &RetryPolicy,
    mut on_retry: impl FnMut(&Retrying),
    mut op: impl FnMut(Attempt) -> Result<T, Failure<E>>,
) -> Result<T, Result<E, GaveUp>> {
    let max_attempts = policy.max_attempts.max(1);
    let mut number = 1;
    loop {
        let attempt = Attempt {
            number,
            last: number >= max_attempts,
        };
        match op(attempt) {
            Ok(value) => return Ok(value),
            Err(Failure::Fatal(err)) => return Err(Ok(err)),
            Err(Failure::Retryable {
                reason,
                retry_after,
            }) => {
                if attempt.last {
                    return Err(Err(GaveUp {
                        attempts: number,
                        last: reason,
                    }));
                }
                let wait = policy.wait(number, retry_after);
                on_retry(&Retrying {
                    attempt: number,
                    max_attempts,
                    wait,
                    reason,
                });
                std::thread::sleep(wait);
                number += 1;
            }
        }
    }
}

/// Answers worth another try: rate limiting (429), a request timeout (408) and the server
/// failures that pass (500, 502, 503, 504). `501 Not Implemented` and the other 5xx say the
/// server cannot do this at all, so asking again only delays the error.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// The server's `Retry-After`, if it sent a usable one.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
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
        assert_eq!(
            policy.wait(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn last_attempt_is_announced_and_bounded() {
        let mut seen = Vec::new();
        let result: Result<(), _> = run_with_retries(
            &fast(),
            |_| {},
            |attempt| {
                seen.push(attempt);
                Err(Failure::<()>::Retryable {
                    reason: "503".into(),
                    retry_after: None,
                })
            },
        );
        assert_eq!(
            result.unwrap_err().unwrap_err(),
            GaveUp {
                attempts: 3,
                last: "503".into()
            }
        );
        assert_eq!(
            seen.iter().map(|a| (a.number, a.last)).collect::<Vec<_>>(),
            [(1, false), (2, false), (3, true)]
        );
    }

    #[test]
    fn statuses_worth_retrying() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(
                is_retryable_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
        for code in [400, 401, 404, 501, 505] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(code).unwrap()),
                "{code}"
            );
        }
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
