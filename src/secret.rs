//! Tokens and passwords in a type that cannot leak by formatting. The Hub source client and
//! every backend hold their credentials in it, so it lives below every stage.

use std::fmt;

/// A credential (token or password). `Debug` and `Display` print `****`, so a secret that
/// ends up in a log line, an error or a `{:?}` dump of a config reveals nothing; the value
/// is only reachable through [`Secret::expose`], at the one place that builds a header.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// Wraps a credential read from the environment or a token file, trimming surrounding
    /// whitespace (token files end with a newline). Returns `None` for an empty value, so an
    /// empty `HF_TOKEN=` means "no token".
    pub fn non_empty(value: &str) -> Option<Self> {
        let value = value.trim();
        (!value.is_empty()).then(|| Self(value.to_owned()))
    }

    /// The credential itself, for building an `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_redacts() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret}"), "****");
        assert_eq!(format!("{secret:?}"), "Secret(****)");
        assert!(!format!("{:?}", Some(&secret)).contains("hunter2"));
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn non_empty_trims() {
        let token = Secret::non_empty(" hf_secret\n").unwrap();
        assert_eq!(token.expose(), "hf_secret");
        assert!(!format!("{token:?} {token}").contains("secret"));
        assert!(Secret::non_empty(" \n").is_none());
    }
}
