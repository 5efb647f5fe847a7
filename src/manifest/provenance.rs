//! Where a resolved value came from, so that `explain` can show it and conflicts can name
//! both sides.

use std::fmt;

use serde::Serialize;

use super::error::Location;
use super::schema::Claim;

/// The source of one resolved value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Provenance {
    /// Written in the manifest.
    Manifest {
        /// The manifest file, as named.
        path: String,
        /// Where in it.
        location: Location,
        /// Whether it was marked as a deliberate override.
        intended: bool,
    },
    /// Read from a GGUF header.
    GgufHeader {
        /// The GGUF file name.
        file: String,
        /// The metadata key, e.g. `qwen2.context_length`.
        key: String,
    },
    /// Answered by the Hub's API.
    HubApi {
        /// The URL asked.
        url: String,
        /// The field, e.g. `siblings[].lfs.sha256`.
        field: String,
    },
    /// Measured from a local file (its size, its SHA-256).
    LocalFile {
        /// The file's path, as resolved from the manifest.
        path: String,
        /// What was measured, e.g. `size` or `sha256`.
        what: String,
    },
    /// Read from a file name (`ruvltra-small-0.5b-q8_0.gguf` says `Q8_0`).
    FileName {
        /// The file name.
        file: String,
    },
    /// The tool's own default.
    BuiltInDefault,
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Provenance::Manifest {
                path,
                location,
                intended,
            } => {
                // Line 0: the manifest states it, but its place was not kept.
                if location.line == 0 {
                    write!(f, "`{path}`")?;
                } else {
                    write!(f, "`{path}`:{}:{}", location.line, location.column)?;
                }
                if *intended {
                    f.write_str(" (intended override)")?;
                }
                Ok(())
            }
            Provenance::GgufHeader { file, key } => write!(f, "GGUF header of `{file}` (`{key}`)"),
            Provenance::HubApi { url, field } => write!(f, "Hub API {url} (`{field}`)"),
            Provenance::LocalFile { path, what } => write!(f, "{what} of the local file `{path}`"),
            Provenance::FileName { file } => write!(f, "file name `{file}`"),
            Provenance::BuiltInDefault => f.write_str("built-in default"),
        }
    }
}

/// A resolved value and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub provenance: Provenance,
}

impl<T> Sourced<T> {
    /// Pairs a value with its source.
    pub fn new(value: T, provenance: Provenance) -> Self {
        Sourced { value, provenance }
    }

    /// A value from the manifest.
    pub fn from_claim(claim: &Claim<T>, manifest_path: &str) -> Self
    where
        T: Clone,
    {
        Sourced {
            value: claim.value.clone(),
            provenance: Provenance::Manifest {
                path: manifest_path.to_owned(),
                location: claim.location,
                intended: claim.intended,
            },
        }
    }

    /// Transforms the value, keeping its source.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Sourced<U> {
        Sourced {
            value: f(self.value),
            provenance: self.provenance,
        }
    }

    /// Whether this value is a manifest value marked as a deliberate override.
    pub fn is_intended_override(&self) -> bool {
        matches!(self.provenance, Provenance::Manifest { intended: true, .. })
    }
}

/// Two sources disagree about one fact and neither is marked as an intended override.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {ours_source} says {ours}, but {theirs_source} says {theirs}{hint}")]
pub struct Conflict {
    /// The fact, e.g. "context length of `ruvltra-medium-1.1b-q8_0.gguf`".
    pub what: String,
    /// The preferred source's value.
    pub ours: String,
    /// Where it came from.
    pub ours_source: Provenance,
    /// The other source's value.
    pub theirs: String,
    /// Where that came from.
    pub theirs_source: Provenance,
    /// What to do, when the preferred side is the manifest.
    pub hint: String,
}

/// Picks between a preferred value (usually the manifest's) and the files' value.
///
/// Equal values: the preferred one (its source is the more specific). Different values: the
/// preferred one if it is an intended override, else a [`Conflict`] naming both sides.
pub fn reconcile<T: PartialEq + fmt::Display>(
    what: &str,
    preferred: Option<Sourced<T>>,
    found: Sourced<T>,
) -> Result<Sourced<T>, Box<Conflict>> {
    match preferred {
        None => Ok(found),
        Some(p) if p.value == found.value || p.is_intended_override() => Ok(p),
        Some(p) => Err(Box::new(Conflict {
            what: what.to_owned(),
            ours: p.value.to_string(),
            theirs: found.value.to_string(),
            hint: if matches!(p.provenance, Provenance::Manifest { .. }) {
                " (fix one of them, or mark the manifest value as `{ value = ..., intended = true }`)"
                    .to_owned()
            } else {
                String::new()
            },
            ours_source: p.provenance,
            theirs_source: found.provenance,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(value: u64) -> Sourced<u64> {
        Sourced::new(
            value,
            Provenance::GgufHeader {
                file: "m.gguf".into(),
                key: "qwen2.context_length".into(),
            },
        )
    }

    fn manifest(value: u64, intended: bool) -> Sourced<u64> {
        Sourced::from_claim(
            &Claim {
                value,
                intended,
                location: Location {
                    line: 12,
                    column: 18,
                },
            },
            "ruvltra.toml",
        )
    }

    #[test]
    fn conflicts_name_both_sides_unless_intended() {
        let err =
            reconcile("context length", Some(manifest(8192, false)), header(4096)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "context length: `ruvltra.toml`:12:18 says 8192, but GGUF header of `m.gguf` (`qwen2.context_length`) says 4096 (fix one of them, or mark the manifest value as `{ value = ..., intended = true }`)"
        );
        let ok = reconcile("context length", Some(manifest(8192, true)), header(4096)).unwrap();
        assert_eq!(ok.value, 8192);
        assert!(ok.is_intended_override());
        assert_eq!(reconcile("c", None, header(4096)).unwrap(), header(4096));
        assert_eq!(
            reconcile("c", Some(manifest(4096, false)), header(4096))
                .unwrap()
                .value,
            4096
        );
    }

    #[test]
    fn serializes_with_a_source_tag() {
        let json = serde_json::to_string(&header(1)).unwrap();
        assert_eq!(
            json,
            r#"{"value":1,"provenance":{"source":"gguf_header","file":"m.gguf","key":"qwen2.context_length"}}"#
        );
    }
}
