//! Where ModelScope is, and which repository: both parsed once, valid afterwards.

use std::fmt;

use url::Url;

use super::error::ModelScopeError;
use crate::push::http::BaseUrl;

/// The ModelScope site whose `/api/v1` the backend calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelScopeEndpoint(BaseUrl);

impl ModelScopeEndpoint {
    /// `https://www.modelscope.cn`, the default.
    pub fn default_site() -> Self {
        Self(BaseUrl::parse("https://www.modelscope.cn").expect("a constant URL"))
    }

    /// From `MODELSCOPE_DOMAIN`: a bare domain (`www.modelscope.ai`, optionally with a port),
    /// to which `https://` is prepended, as ModelScope's own client does.
    pub fn from_domain(domain: &str) -> Result<Self, ModelScopeError> {
        let domain = domain.trim().trim_end_matches('/');
        let bad = |reason: &str| ModelScopeError::BadEndpoint {
            input: domain.to_string(),
            reason: reason.to_string(),
        };
        if domain.is_empty() {
            return Err(bad("it is empty"));
        }
        if domain.contains("://") {
            return Err(bad(
                "MODELSCOPE_DOMAIN is a bare domain; `https://` is added to it",
            ));
        }
        if domain.contains(['/', '?', '#', '@']) {
            return Err(bad("a domain has no path, query or user part"));
        }
        BaseUrl::parse(&format!("https://{domain}"))
            .map(Self)
            .map_err(|reason| bad(&reason))
    }

    /// From a full base URL (`http://127.0.0.1:8080` for a local stand-in, or a mirror).
    pub fn from_url(url: &str) -> Result<Self, ModelScopeError> {
        let bad = |reason: &str| ModelScopeError::BadEndpoint {
            input: url.to_string(),
            reason: reason.to_string(),
        };
        let parsed = BaseUrl::parse(url).map_err(|reason| bad(&reason))?;
        if parsed.url().query().is_some() || parsed.url().fragment().is_some() {
            return Err(bad("a base URL has no query or fragment"));
        }
        Ok(Self(parsed))
    }

    /// The URL of `path` (starting with `/`) on this site.
    pub fn join(&self, path: &str) -> Url {
        self.0.join(path)
    }

    /// The base URL.
    pub fn url(&self) -> &Url {
        self.0.url()
    }
}

impl Default for ModelScopeEndpoint {
    fn default() -> Self {
        Self::default_site()
    }
}

impl fmt::Display for ModelScopeEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Visibility;

    #[test]
    fn domains_and_urls() {
        let site = ModelScopeEndpoint::from_domain("www.modelscope.ai").unwrap();
        assert_eq!(
            site.join("/api/v1/models").as_str(),
            "https://www.modelscope.ai/api/v1/models"
        );
        let err = ModelScopeEndpoint::from_domain("https://www.modelscope.ai").unwrap_err();
        assert!(err.to_string().contains("bare domain"), "{err}");
        let local = ModelScopeEndpoint::from_url("http://127.0.0.1:8080/").unwrap();
        assert_eq!(
            local.join("/api/v1/x").as_str(),
            "http://127.0.0.1:8080/api/v1/x"
        );
        assert!(ModelScopeEndpoint::from_url("ftp://x").is_err());
    }

    #[test]
    fn repos_and_visibility() {
        let repo: crate::source::RepoId = "ruv/ruvltra-0.5b-GGUF".parse().unwrap();
        assert_eq!((repo.owner(), repo.name()), ("ruv", "ruvltra-0.5b-GGUF"));
        assert!("ruv".parse::<crate::source::RepoId>().is_err());
        assert!("ruv/a/b".parse::<crate::source::RepoId>().is_err());
        assert_eq!("Private".parse::<Visibility>().unwrap().code(), 1);
        assert_eq!(Visibility::default().code(), 5);
    }
}
