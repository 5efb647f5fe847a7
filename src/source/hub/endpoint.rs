//! The Hub's base URL, the one type both sides of the crate use: the source reads headers and
//! downloads files from it, the huggingface backend uploads to it.

use std::fmt;

use url::Url;

use crate::origin::same_origin;
use crate::source::SourceError;

/// The public Hub, used when `HF_ENDPOINT` is not set.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// The Hub's base URL (`HF_ENDPOINT`, default [`DEFAULT_ENDPOINT`]), without a trailing `/`.
///
/// Parsed once, valid afterwards: `http` or `https`, a host, no query or fragment (a path
/// prefix, as a mirror may have, is kept). Its origin (scheme, host, port) is the only one
/// that ever receives the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubEndpoint {
    /// The normalised base URL without a trailing `/`, for building URLs and messages.
    base: String,
    /// The same, parsed, for origin checks and joins.
    base_url: Url,
}

impl HubEndpoint {
    /// Parses an `http` or `https` base URL (surrounding whitespace ignored); a trailing `/`
    /// is dropped, as the Hub's own clients do.
    pub fn parse(input: &str) -> Result<Self, SourceError> {
        let invalid = |reason: &str| SourceError::InvalidEndpoint {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let mut url = Url::parse(input.trim()).map_err(|err| invalid(&err.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid("expected an `http://` or `https://` URL"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("the URL has no host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("the URL must not have a query or fragment"));
        }
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&path);
        Ok(HubEndpoint {
            base: url.as_str().trim_end_matches('/').to_owned(),
            base_url: url,
        })
    }

    /// The base URL without a trailing `/`.
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The base URL, parsed.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// `base` + `/` + `path_and_query`, which must already be percent-encoded (the source's
    /// read API calls, which carry queries).
    pub fn url(&self, path_and_query: &str) -> Result<Url, url::ParseError> {
        Url::parse(&format!("{}/{}", self.base, path_and_query))
    }

    /// The URL of `path` (starting with `/`) under the base; characters a path cannot hold
    /// are percent-encoded, so this cannot fail (the upload API calls, which have no query).
    pub fn join(&self, path: &str) -> Url {
        let mut url = self.base_url.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}{path}"));
        url
    }

    /// Whether `url` is on the Hub itself, and so may receive the token.
    pub fn is_own_origin(&self, url: &Url) -> bool {
        same_origin(&self.base_url, url)
    }
}

impl Default for HubEndpoint {
    fn default() -> Self {
        HubEndpoint::parse(DEFAULT_ENDPOINT).expect("a constant URL")
    }
}

impl fmt::Display for HubEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_without_trailing_slash() {
        let local = HubEndpoint::parse(" http://127.0.0.1:9/ ").unwrap();
        assert_eq!(local.as_str(), "http://127.0.0.1:9");
        assert_eq!(local.to_string(), "http://127.0.0.1:9");
        let mirror = HubEndpoint::parse("https://mirror.example/hf//").unwrap();
        assert_eq!(mirror.as_str(), "https://mirror.example/hf");
        assert_eq!(HubEndpoint::default().as_str(), DEFAULT_ENDPOINT);
    }

    #[test]
    fn both_ways_of_building_urls() {
        let mirror = HubEndpoint::parse("https://mirror.example/hf/").unwrap();
        assert_eq!(
            mirror.url("api/models/a/b?blobs=true").unwrap().as_str(),
            "https://mirror.example/hf/api/models/a/b?blobs=true"
        );
        assert_eq!(
            mirror.join("/api/repos/create").as_str(),
            "https://mirror.example/hf/api/repos/create"
        );
        let hub = HubEndpoint::default();
        assert_eq!(hub.join("/api/x").as_str(), "https://huggingface.co/api/x");
        assert_eq!(
            hub.join("/a b?#").as_str(),
            "https://huggingface.co/a%20b%3F%23"
        );
    }

    #[test]
    fn unusable_urls_are_refused_with_the_input() {
        for bad in [
            "ftp://x",
            "nonsense",
            "https://h.io/?a=1",
            "https://h.io/#top",
        ] {
            let err = HubEndpoint::parse(bad).unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn own_origin_only() {
        let endpoint = HubEndpoint::parse("http://127.0.0.1:8080").unwrap();
        assert!(endpoint.is_own_origin(&Url::parse("http://127.0.0.1:8080/x").unwrap()));
        assert!(!endpoint.is_own_origin(&Url::parse("http://localhost:8080/x").unwrap()));
        assert!(!endpoint.is_own_origin(&Url::parse("http://127.0.0.1:8081/x").unwrap()));
        assert!(!endpoint.is_own_origin(&Url::parse("https://127.0.0.1:8080/x").unwrap()));
    }
}
