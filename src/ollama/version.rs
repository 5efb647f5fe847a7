//! Ollama server versions: what `GET /api/version` reports, and the versions at which the
//! server's behaviour changes (the `/api/create` files form here; the prompt builder's ranges in
//! `prompt_builder`).

use std::fmt;

use serde::Serialize;

/// An Ollama server version (`GET /api/version`), `major.minor.patch`; pre-release suffixes
/// (`-rc2`) are ignored, as the rule only changes at releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct OllamaVersion {
    /// The major version.
    pub major: u32,
    /// The minor version.
    pub minor: u32,
    /// The patch version.
    pub patch: u32,
}

impl OllamaVersion {
    /// A version from its parts.
    pub const fn new(major: u32, minor: u32, patch: u32) -> OllamaVersion {
        OllamaVersion {
            major,
            minor,
            patch,
        }
    }

    /// Parses `0.30.11`, `v0.33.0-rc2` or `0.12` (a missing patch is 0); `None` otherwise.
    pub fn parse(text: &str) -> Option<OllamaVersion> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        let core = text.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let mut number = || -> Option<u32> {
            match parts.next() {
                Some(part) => part.parse().ok(),
                None => Some(0),
            }
        };
        let version = OllamaVersion::new(number()?, number()?, number()?);
        parts.next().is_none().then_some(version)
    }
}

impl fmt::Display for OllamaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl OllamaVersion {
    /// What development builds report; they are treated as current.
    pub const DEVELOPMENT: OllamaVersion = OllamaVersion::new(0, 0, 0);

    /// The first version whose `/api/create` takes the files form.
    pub const FILES_FORM: OllamaVersion = OllamaVersion::new(0, 5, 5);

    /// Whether this is a development build (`0.0.0`), which has every feature.
    pub fn is_development(self) -> bool {
        self == OllamaVersion::DEVELOPMENT
    }

    /// Whether `/api/create` takes `files`.
    pub fn supports_files_form(self) -> bool {
        self >= OllamaVersion::FILES_FORM || self.is_development()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_releases_and_candidates() {
        assert_eq!(
            OllamaVersion::parse("0.5.4"),
            Some(OllamaVersion::new(0, 5, 4))
        );
        assert_eq!(
            OllamaVersion::parse("v0.12.3-rc1"),
            Some(OllamaVersion::new(0, 12, 3))
        );
        assert_eq!(OllamaVersion::parse("dev"), None);
    }

    #[test]
    fn files_form_from_0_5_5_and_in_development_builds() {
        assert!(!OllamaVersion::new(0, 5, 4).supports_files_form());
        assert!(OllamaVersion::new(0, 5, 5).supports_files_form());
        assert!(OllamaVersion::DEVELOPMENT.supports_files_form());
    }
}
