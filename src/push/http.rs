//! The HTTP pieces backends share on top of the crate's HTTP layer ([`crate::http`]): a
//! client built there, base URLs of registry APIs, redirects refused on API calls and
//! followed by hand (with the crate's origin check) on downloads.

use std::fmt;
use std::time::Duration;

use reqwest::Method;
use reqwest::blocking::{Client, Response};
use reqwest::header::{AUTHORIZATION, COOKIE, HeaderMap, HeaderValue, PROXY_AUTHORIZATION};
use url::Url;

use super::error::PushError;
use super::retry::{Failure, check_send_error};
use crate::http::{HttpSettings, RedirectError, follow_redirects};

/// Redirect hops followed by [`get_following_redirects`] before giving up.
pub const MAX_REDIRECTS: usize = 10;

/// An HTTP client for registries with the default [`HttpSettings`] (see [`client_with`]).
pub fn client() -> Result<Client, PushError> {
    client_with(&HttpSettings::default())
}

/// An HTTP client for registries, built by [`crate::http::build_client`]: redirects are never
/// followed automatically (so headers are under our control on every hop), connecting is
/// bounded by `settings`, and whole-request time limits are set per request with
/// [`HttpSettings::transfer_timeout`].
pub fn client_with(settings: &HttpSettings) -> Result<Client, PushError> {
    crate::http::build_client(settings.connect_timeout, None).map_err(|source| PushError::Request {
        what: "building the HTTP client".into(),
        url: String::new(),
        source,
    })
}

/// A whole-request time limit for sending or receiving `bytes` with the default settings
/// (see [`HttpSettings::transfer_timeout`]).
pub fn transfer_timeout(bytes: u64) -> Duration {
    HttpSettings::default().transfer_timeout(bytes)
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
/// `authorization` only to URLs of the first request's origin, within the default time limit.
/// Returns the final response and whether any redirect was followed.
pub fn get_following_redirects(
    client: &Client,
    method: Method,
    url: &Url,
    headers: &HeaderMap,
    authorization: Option<&HeaderValue>,
    what: &str,
) -> Result<(Response, bool), Failure> {
    get_following_redirects_within(
        client,
        (method, url, headers),
        authorization,
        what,
        HttpSettings::default().timeout,
    )
}

/// [`get_following_redirects`] with each hop bounded by `timeout`. Credentials among
/// `headers` (`Authorization`, `Cookie`) are dropped like `authorization` on a hop to another
/// origin.
pub fn get_following_redirects_within(
    client: &Client,
    (method, url, headers): (Method, &Url, &HeaderMap),
    authorization: Option<&HeaderValue>,
    what: &str,
    timeout: Duration,
) -> Result<(Response, bool), Failure> {
    let followed = follow_redirects(url, url, MAX_REDIRECTS as u32, |hop, credentials| {
        let mut hop_headers = headers.clone();
        if credentials {
            if let Some(value) = authorization {
                hop_headers.insert(AUTHORIZATION, value.clone());
            }
        } else {
            for name in [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION] {
                hop_headers.remove(name);
            }
        }
        client
            .request(method.clone(), hop.clone())
            .headers(hop_headers)
            .timeout(timeout)
            .send()
            .map_err(|err| check_send_error(what, hop.as_str(), err))
    });
    match followed {
        Ok(followed) => Ok((followed.response, followed.redirected)),
        Err(RedirectError::Send(failure)) => Err(failure),
        Err(RedirectError::BadLocation { url, status }) => {
            Err(Failure::Fatal(PushError::Protocol {
                what: what.to_string(),
                url,
                message: format!("{status} without a usable `Location` header"),
            }))
        }
        Err(RedirectError::TooMany { url, limit }) => Err(Failure::Fatal(PushError::Protocol {
            what: what.to_string(),
            url,
            message: format!("more than {limit} redirects"),
        })),
    }
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
}
