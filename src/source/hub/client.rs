//! The HTTP client for the Hub: bounded retries and timeouts, redirects followed by hand so
//! the token goes to the Hub's own origin and nowhere else, and Hub error codes mapped to
//! [`HubError`] variants.
//!
//! Two kinds of wait: metadata (model info, tree pages, header ranges) must be answered whole
//! within [`HubLimits::timeout`]; a file body may take as long as it needs while bytes keep
//! coming, and fails over only after [`HubLimits::idle_timeout`] without one. The blocking
//! `reqwest` client gives both: its client-wide `timeout` bounds each wait for the answer's
//! head and each `read` of the body (a per-read deadline, which is the idle timeout), while
//! `RequestBuilder::timeout` bounds one request from connecting to the body's last byte.

use std::ops::Range;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use reqwest::header::{AUTHORIZATION, HeaderValue, RANGE, RETRY_AFTER};
use url::Url;

use super::{HubEndpoint, HubError, HubSettings};
use crate::http::{
    BodyError, Failure, Followed, HttpSettings, RedirectError, RetryPolicy, follow_redirects,
    is_retryable_status, read_capped, retry_after,
};

/// Limits on what one client does, so that every loop, allocation and wait is bounded.
///
/// The defaults suit the public Hub; tests shorten the waits.
#[derive(Debug, Clone)]
pub struct HubLimits {
    /// The first byte range asked for when reading a header. Default: 1 MiB, which holds the
    /// whole header of most models without a large vocabulary.
    pub first_range: u64,
    /// The most bytes read to parse one header. Default: 256 MiB (the largest real
    /// vocabularies need about 20 MB).
    pub max_header_bytes: u64,
    /// The largest JSON answer read (model info, one tree page). Default: 64 MiB.
    pub max_json_bytes: u64,
    /// The most tree pages followed through `Link: rel="next"`. Default: 100.
    pub max_tree_pages: u32,
    /// The most redirects followed for one request. Default: 5.
    pub max_redirects: u32,
    /// Retries after a network failure, 429 or 5xx (so `retries + 1` attempts). Default: 2.
    pub retries: u32,
    /// The wait before the first retry, doubled before each further one. Default: 500 ms.
    pub retry_delay: Duration,
    /// Time allowed to connect. Default: 10 s.
    pub connect_timeout: Duration,
    /// Time allowed for one whole metadata request (model info, a tree page, a header range),
    /// from connecting to the body's last byte. Default: 120 s.
    pub timeout: Duration,
    /// The longest a file download waits for its answer or its next bytes. After that it
    /// fails over and asks again from the byte where it stopped (`Range`), within the
    /// download's retry budget; a download that keeps receiving bytes is never cut, however
    /// long it takes. Default: 30 s.
    pub idle_timeout: Duration,
}

impl Default for HubLimits {
    fn default() -> Self {
        HubLimits {
            first_range: 1 << 20,
            max_header_bytes: 256 << 20,
            max_json_bytes: 64 << 20,
            max_tree_pages: 100,
            max_redirects: 5,
            retries: 2,
            retry_delay: Duration::from_millis(500),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(30),
        }
    }
}

/// The crate's one client of the Hub, for one endpoint with one (optional) token: reads
/// (model info, tree listings, ranged header reads, downloads) within [`HubLimits`], and the
/// writes of the huggingface backend (repository creation, preupload, LFS, commits; see
/// [`crate::push::huggingface`]) within the [`HttpSettings`] of a push.
///
/// Blocking: the command line reads a handful of headers, one after another, so a runtime
/// would add nothing. `Debug` shows no token (see [`crate::secret::Secret`]).
#[derive(Debug, Clone)]
pub struct HubClient {
    http: Client,
    settings: HubSettings,
    limits: HubLimits,
    transfer: HttpSettings,
}

/// How long one request may keep the caller waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Metadata: the whole answer within [`HubLimits::timeout`].
    Whole,
    /// A file body: no bound on the total, but never [`HubLimits::idle_timeout`] without a
    /// byte.
    Idle,
}

/// A successful answer and the URL it finally came from (after redirects).
pub(crate) struct Answer {
    pub(crate) url: Url,
    pub(crate) response: Response,
}

impl HubClient {
    /// A client within the settings' own [`HubSettings::limits`].
    pub fn new(settings: HubSettings) -> Result<Self, HubError> {
        let limits = settings.limits.clone();
        HubClient::with_limits(settings, limits)
    }

    /// A client with explicit limits (the settings' own are not used).
    pub fn with_limits(settings: HubSettings, limits: HubLimits) -> Result<Self, HubError> {
        // Per wait, not per request (see the module doc): the idle timeout. Metadata requests
        // add their whole-request timeout in `send_with_retries`, uploads their own limits.
        let http = crate::http::build_client(limits.connect_timeout, Some(limits.idle_timeout))
            .map_err(HubError::Client)?;
        Ok(HubClient {
            http,
            settings,
            limits,
            transfer: HttpSettings::default(),
        })
    }

    /// The same client with the time limits and retries of `transfer` for writes (the HTTP
    /// connection pool is shared).
    pub fn with_transfer_settings(&self, transfer: HttpSettings) -> Self {
        HubClient {
            transfer,
            ..self.clone()
        }
    }

    /// The Hub.
    pub fn endpoint(&self) -> &HubEndpoint {
        &self.settings.endpoint
    }

    /// The HTTP client (no automatic redirects).
    pub(crate) fn http(&self) -> &Client {
        &self.http
    }

    /// The time limits and retries of writes.
    pub(crate) fn transfer(&self) -> &HttpSettings {
        &self.transfer
    }

    /// The settings this client was made with.
    pub fn settings(&self) -> &HubSettings {
        &self.settings
    }

    /// The limits this client works within.
    pub fn limits(&self) -> &HubLimits {
        &self.limits
    }

    /// A URL on the Hub: the endpoint plus an already-encoded path and query.
    pub(crate) fn url(&self, path_and_query: &str) -> Result<Url, HubError> {
        self.settings
            .endpoint
            .url(path_and_query)
            .map_err(|source| HubError::Url {
                input: format!("{}/{path_and_query}", self.settings.endpoint),
                source,
            })
    }

    /// GET `url` (optionally a byte range), following redirects (the token only to the
    /// Hub's own origin), and fail on any status that is not a success. `wait` says how long
    /// the answer may take.
    pub(crate) fn get(
        &self,
        url: Url,
        range: Option<Range<u64>>,
        wait: Wait,
    ) -> Result<Answer, HubError> {
        let followed = follow_redirects(
            &url,
            self.settings.endpoint.base_url(),
            self.limits.max_redirects,
            |hop, credentials| self.send_with_retries(hop, range.clone(), wait, credentials),
        );
        match followed {
            Ok(Followed { response, url, .. }) => {
                if !response.status().is_success() {
                    return Err(self.status_error(&url, &response));
                }
                Ok(Answer { url, response })
            }
            Err(RedirectError::Send(err)) => Err(err),
            Err(RedirectError::BadLocation { url, .. }) => Err(HubError::BadRedirect { url }),
            Err(RedirectError::TooMany { url, limit }) => {
                Err(HubError::TooManyRedirects { url, limit })
            }
        }
    }

    /// Reads a JSON answer of at most [`HubLimits::max_json_bytes`].
    pub(crate) fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: Url,
    ) -> Result<(T, Answer), HubError> {
        let mut answer = self.get(url, None, Wait::Whole)?;
        let body =
            read_capped(&mut answer.response, self.limits.max_json_bytes).map_err(|err| {
                HubError::InvalidResponse {
                    url: answer.url.to_string(),
                    reason: match &err {
                        BodyError::Read(err) => self.read_failure(err),
                        BodyError::TooLarge { .. } => err.to_string(),
                    },
                }
            })?;
        let value = serde_json::from_slice(&body).map_err(|err| HubError::InvalidResponse {
            url: answer.url.to_string(),
            reason: err.to_string(),
        })?;
        Ok((value, answer))
    }

    /// Why reading a metadata answer's body failed, naming the whole-request timeout when it
    /// was that.
    pub(crate) fn read_failure(&self, err: &std::io::Error) -> String {
        if timed_out(err) {
            format!(
                "the whole answer did not arrive within {:?}: timed out",
                self.limits.timeout
            )
        } else {
            format!("reading the body failed: {err}")
        }
    }

    /// Whether a request to `url` carries the token.
    fn sends_token(&self, url: &Url) -> bool {
        self.settings.token.is_some() && self.settings.endpoint.is_own_origin(url)
    }

    /// The `Authorization` value for the token, if there is one.
    pub(crate) fn bearer(&self) -> Result<Option<HeaderValue>, HubError> {
        let Some(token) = &self.settings.token else {
            return Ok(None);
        };
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| HubError::InvalidToken)?;
        value.set_sensitive(true);
        Ok(Some(value))
    }

    /// One GET of `url` (with the token when `credentials`), retried on network failures,
    /// 429 and passing 5xx answers per [`HubLimits::retries`]; the last attempt's answer is
    /// returned whatever its status, so it can be mapped to a typed error.
    fn send_with_retries(
        &self,
        url: &Url,
        range: Option<Range<u64>>,
        wait: Wait,
        credentials: bool,
    ) -> Result<Response, HubError> {
        let policy = RetryPolicy {
            max_attempts: self.limits.retries.saturating_add(1),
            initial_delay: self.limits.retry_delay,
            max_delay: RetryPolicy::default().max_delay,
        };
        let authorization = if credentials { self.bearer()? } else { None };
        let sent = crate::http::run_with_retries(
            &policy,
            |_| {},
            |attempt| {
                let mut request = self.http.get(url.clone());
                if wait == Wait::Whole {
                    request = request.timeout(self.limits.timeout);
                }
                if let Some(value) = &authorization {
                    request = request.header(AUTHORIZATION, value.clone());
                }
                if let Some(range) = &range {
                    request =
                        request.header(RANGE, format!("bytes={}-{}", range.start, range.end - 1));
                }
                match request.send() {
                    Ok(response) if !attempt.last && is_retryable_status(response.status()) => {
                        Err(Failure::Retryable {
                            reason: format!("{url} answered {}", response.status()),
                            retry_after: retry_after(response.headers()),
                        })
                    }
                    Ok(response) => Ok(response),
                    Err(err) if !attempt.last && (err.is_connect() || err.is_timeout()) => {
                        Err(Failure::Retryable {
                            reason: err.to_string(),
                            retry_after: None,
                        })
                    }
                    Err(source) => Err(Failure::Fatal(HubError::Network {
                        url: url.to_string(),
                        attempts: attempt.number,
                        source,
                    })),
                }
            },
        );
        sent.map_err(|stopped| {
            // The last attempt returns its answer or a fatal error, so giving up cannot
            // happen; should it, the reason is kept.
            stopped.unwrap_or_else(|gave_up| HubError::InvalidResponse {
                url: url.to_string(),
                reason: gave_up.last,
            })
        })
    }

    /// Maps an unsuccessful answer to a variant, using the Hub's `X-Error-Code` first.
    fn status_error(&self, url: &Url, response: &Response) -> HubError {
        let status = response.status().as_u16();
        let url_text = url.to_string();
        let token_sent = self.sends_token(url);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        match header("x-error-code").as_deref() {
            Some("RepoNotFound") => {
                return HubError::RepoNotFound {
                    status,
                    url: url_text,
                    token_sent,
                };
            }
            Some("GatedRepo") => {
                return HubError::Gated {
                    status,
                    url: url_text,
                    token_sent,
                };
            }
            Some("RevisionNotFound") => {
                return HubError::RevisionNotFound {
                    status,
                    url: url_text,
                };
            }
            Some("EntryNotFound") => {
                return HubError::EntryNotFound {
                    status,
                    url: url_text,
                };
            }
            _ => {}
        }
        match response.status() {
            StatusCode::UNAUTHORIZED => HubError::Unauthorized {
                status,
                url: url_text,
                token_sent,
            },
            StatusCode::FORBIDDEN => HubError::Forbidden {
                status,
                url: url_text,
                token_sent,
            },
            StatusCode::NOT_FOUND => HubError::EntryNotFound {
                status,
                url: url_text,
            },
            StatusCode::TOO_MANY_REQUESTS => HubError::RateLimited {
                url: url_text,
                retry_after: header(RETRY_AFTER.as_str()).and_then(|v| v.trim().parse().ok()),
            },
            _ => HubError::Status {
                status,
                url: url_text,
                message: header("x-error-message"),
            },
        }
    }
}

/// Whether a body read failed because a timeout ran out (the client's errors come wrapped in
/// `std::io::Error` from `Read`).
pub(crate) fn timed_out(err: &std::io::Error) -> bool {
    err.kind() == std::io::ErrorKind::TimedOut
        || err
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_timeout)
}
