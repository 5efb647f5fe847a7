//! Where the Ollama server listens: `OLLAMA_HOST` read the way Ollama reads it.

use std::fmt;

use url::Url;

use crate::push::http::BaseUrl;

/// The base URL of an Ollama server's API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OllamaHost(BaseUrl);

/// Why an `OLLAMA_HOST` value is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not a usable OLLAMA_HOST: {reason} (expected `host[:port]` or `http[s]://host[:port]`, e.g. `http://127.0.0.1:11434`)"
)]
pub struct OllamaHostError {
    /// The text given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

impl OllamaHost {
    /// Ollama's default, `http://127.0.0.1:11434`.
    pub fn default_local() -> Self {
        Self(BaseUrl::parse("http://127.0.0.1:11434").expect("a constant URL"))
    }

    /// Parses `OLLAMA_HOST` as Ollama does: no scheme means `http` and port 11434; an explicit
    /// `http://` or `https://` without a port means 80 or 443. An empty value is the default.
    pub fn parse(input: &str) -> Result<Self, OllamaHostError> {
        let text = input.trim();
        if text.is_empty() {
            return Ok(Self::default_local());
        }
        let error = |reason: &str| OllamaHostError {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let (with_scheme, bare) = match text.split_once("://") {
            Some((scheme, _)) if scheme == "http" || scheme == "https" => (text.to_string(), false),
            Some(_) => return Err(error("the scheme must be http or https")),
            None => (format!("http://{text}"), true),
        };
        let mut url = Url::parse(&with_scheme).map_err(|e| error(&e.to_string()))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(error("there is no host"));
        }
        if bare && url.port().is_none() {
            url.set_port(Some(11434))
                .map_err(|()| error("the port cannot be set"))?;
        }
        BaseUrl::new(url).map(Self).map_err(|reason| error(&reason))
    }

    /// The URL of an API path such as `/api/version`.
    pub fn api(&self, path: &str) -> Url {
        self.0.join(path)
    }

    /// The base URL.
    pub fn url(&self) -> &Url {
        self.0.url()
    }
}

impl Default for OllamaHost {
    fn default() -> Self {
        Self::default_local()
    }
}

impl fmt::Display for OllamaHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> String {
        OllamaHost::parse(text).unwrap().to_string()
    }

    #[test]
    fn forms_ollama_accepts() {
        assert_eq!(parsed(""), "http://127.0.0.1:11434");
        assert_eq!(parsed("0.0.0.0"), "http://0.0.0.0:11434");
        assert_eq!(parsed("example.com:8080"), "http://example.com:8080");
        assert_eq!(parsed("http://example.com"), "http://example.com");
        assert_eq!(
            parsed("https://example.com/ollama/"),
            "https://example.com/ollama"
        );
        assert_eq!(
            OllamaHost::parse("https://h/p")
                .unwrap()
                .api("/api/tags")
                .as_str(),
            "https://h/p/api/tags"
        );
    }

    #[test]
    fn bad_hosts_are_errors() {
        let err = OllamaHost::parse("ftp://x").unwrap_err();
        assert!(
            err.to_string().contains("scheme must be http or https"),
            "{err}"
        );
        assert!(OllamaHost::parse("http://").is_err());
    }
}
