//! The HTTP pieces every backend shares: one client without automatic redirects, redirects
//! followed by hand with the crate's origin check ([`same_origin`]) so `Authorization` never
//! reaches another scheme, host or port, and time limits that grow with the body instead of
//! cutting a big upload short.

use std::fmt;
use std::time::Duration;

use reqwest::Method;
use reqwest::blocking::{Client, Response};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, LOCATION};
use url::Url;

use super::error::PushError;
use super::retry::{Failure, check_send_error};
use crate::origin::same_origin;

/// Redirect hops followed by [`get_following_redirects`] before giving up.
pub const MAX_REDIRECTS: usize = 10;

/// An HTTP client for registries: redirects are never followed automatically (so headers are
/// under our control on every hop), connecting is bounded, and whole-request time limits are
/// set per request with [`transfer_timeout`].
pub fn client() -> Result<Client, PushError> {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(30))
        .timeout(None)
        .user_agent(crate::USER_AGENT)
        .build()
        .map_err(|source| PushError::Request {
            what: "building the HTTP client".into(),
            url: String::new(),
            source,
        })
}

/// A whole-request time limit for sending or receiving `bytes`: two minutes plus the time the
/// bytes take at 256 KiB/s, so a stalled server is given up on but a slow link is not.
pub fn transfer_timeout(bytes: u64) -> Duration {
    Duration::from_secs(120 + bytes / (256 * 1024))
}

/// The base URL of a registry's HTTP API: `http` or `https`, with a host, and a path without
/// a trailing `/`, so API paths join onto it the same way for every backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(Url);

impl BaseUrl {
    /// Checks `url` and drops a trailing `/` from its path; the error says what is wrong.
    pub fn new(mut url: Url) -> Result<Self, String> {
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err("an http(s) URL with a host is expected".into());
        }
        let path = url.path().trim_end_matches('/').to_string();
        url.set_path(&path);
        Ok(Self(url))
    }

    /// Parses `text` (surrounding whitespace ignored) and checks it as [`BaseUrl::new`] does.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::new(Url::parse(text.trim()).map_err(|e| e.to_string())?)
    }

    /// The URL of `path` (starting with `/`) under this base.
    pub fn join(&self, path: &str) -> Url {
        let mut url = self.0.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}{path}"));
        url
    }

    /// The base URL.
    pub fn url(&self) -> &Url {
        &self.0
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str().trim_end_matches('/'))
    }
}

/// Fails on a redirect. The API calls backends send themselves (uploads, creates, commits) are
/// never redirected by the registries' contracts; following one by hand could send the body
/// somewhere unintended, so it is a protocol error.
pub fn refuse_redirect(what: &str, response: Response) -> Result<Response, Failure> {
    if response.status().is_redirection() {
        return Err(Failure::Fatal(PushError::Protocol {
            what: what.to_string(),
            url: response.url().to_string(),
            message: format!("unexpected redirect ({})", response.status()),
        }));
    }
    Ok(response)
}

/// Sends a GET or HEAD and follows up to [`MAX_REDIRECTS`] redirects by hand, sending
/// `authorization` only to URLs of the first request's origin. Returns the final response and
/// whether any redirect was followed.
pub fn get_following_redirects(
    client: &Client,
    method: Method,
    url: &Url,
    headers: &HeaderMap,
    authorization: Option<&HeaderValue>,
    what: &str,
) -> Result<(Response, bool), Failure> {
    let origin = url.clone();
    let mut current = url.clone();
    for hop in 0..=MAX_REDIRECTS {
        let mut request = client
            .request(method.clone(), current.clone())
            .headers(headers.clone())
            .timeout(transfer_timeout(0));
        if let Some(value) = authorization
            && same_origin(&origin, &current)
        {
            request = request.header(AUTHORIZATION, value.clone());
        }
        let response = request
            .send()
            .map_err(|err| check_send_error(what, current.as_str(), err))?;
        if !response.status().is_redirection()
            || response.status() == reqwest::StatusCode::NOT_MODIFIED
        {
            return Ok((response, hop > 0));
        }
        let next = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|location| current.join(location).ok())
            .ok_or_else(|| {
                Failure::Fatal(PushError::Protocol {
                    what: what.to_string(),
                    url: current.to_string(),
                    message: format!("{} without a usable `Location` header", response.status()),
                })
            })?;
        current = next;
    }
    Err(Failure::Fatal(PushError::Protocol {
        what: what.to_string(),
        url: url.to_string(),
        message: format!("more than {MAX_REDIRECTS} redirects"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_join_without_doubled_slashes() {
        let base = BaseUrl::parse(" https://h.io/api/ ").unwrap();
        assert_eq!(base.to_string(), "https://h.io/api");
        assert_eq!(base.join("/v1/x").as_str(), "https://h.io/api/v1/x");
        assert_eq!(
            BaseUrl::parse("http://h.io/").unwrap().join("/x").as_str(),
            "http://h.io/x"
        );
        assert!(BaseUrl::parse("ftp://h.io").is_err());
        assert!(BaseUrl::parse("nonsense").is_err());
    }

    #[test]
    fn timeouts_grow_with_size() {
        assert_eq!(transfer_timeout(0), Duration::from_secs(120));
        assert_eq!(transfer_timeout(1 << 30), Duration::from_secs(120 + 4096));
    }
}
