//! A Hub access token that cannot leak through formatting.

use std::fmt;

/// A Hugging Face access token (`hf_...`).
///
/// `Debug` and `Display` print `****`: a token put into an error message, a log line or a
/// `{:?}` of a client never shows. The only way to the text is [`Token::expose_secret`],
/// called where the `Authorization` header is built.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token, trimming surrounding whitespace (token files end with a newline).
    /// Returns `None` for an empty token, so an empty `HF_TOKEN=` means "no token".
    pub fn new(token: &str) -> Option<Self> {
        let token = token.trim();
        (!token.is_empty()).then(|| Token(token.to_owned()))
    }

    /// The token's text, for an `Authorization` header and nothing else.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(****)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_redacts() {
        let token = Token::new(" hf_secret\n").unwrap();
        assert_eq!(token.expose_secret(), "hf_secret");
        assert!(!format!("{token:?} {token}").contains("secret"));
    }

    #[test]
    fn empty_is_none() {
        assert!(Token::new(" \n").is_none());
    }
}
