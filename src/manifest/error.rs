//! Errors in a manifest: each with the file, line and column, and what to do about it.

use std::fmt;
use std::path::PathBuf;

use crate::ollama::{NameError, ParamError};

/// A line and column (1-based; columns count characters) in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize)]
pub struct Location {
    /// Line number.
    pub line: usize,
    /// Column, in characters.
    pub column: usize,
}

/// One problem in a manifest. Displays as `path:line:col: message`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}:{}:{}: {kind}", location.line, location.column)]
pub struct ManifestError {
    /// The manifest, as the user named it.
    pub path: String,
    /// Where in it.
    pub location: Location,
    /// What is wrong.
    pub kind: ManifestErrorKind,
}

/// What is wrong in a manifest.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestErrorKind {
    /// Not valid TOML.
    #[error("invalid TOML: {message}")]
    Syntax {
        /// The TOML parser's message.
        message: String,
    },
    /// A key the schema does not have.
    #[error("unknown key `{key}` in {table}{}", did_you_mean(suggestion.as_deref()))]
    UnknownKey {
        /// The key as written.
        key: String,
        /// The table it is in, e.g. `[models.small]`.
        table: String,
        /// The nearest allowed key.
        suggestion: Option<String>,
    },
    /// A required key is missing.
    #[error("missing key `{key}` in {table}{}", if hint.is_empty() { String::new() } else { format!(": {hint}") })]
    Missing {
        /// The key.
        key: String,
        /// The table it belongs in.
        table: String,
        /// What to write, e.g. an example.
        hint: String,
    },
    /// A value of the wrong TOML type.
    #[error("`{key}` must be {expected}, found {found}")]
    WrongType {
        /// The dotted key.
        key: String,
        /// What the schema wants, e.g. "a string".
        expected: String,
        /// The TOML type found.
        found: &'static str,
    },
    /// A value of the right type that is not acceptable.
    #[error("`{key}`: {message}")]
    Invalid {
        /// The dotted key.
        key: String,
        /// Why, and what is accepted.
        message: String,
    },
    /// A sampling parameter that Ollama does not know, or with a wrong type or range.
    #[error("`{key}`: {error}")]
    Parameter {
        /// The dotted key.
        key: String,
        /// The problem.
        error: ParamError,
    },
    /// A generated Ollama model name breaks Ollama's rules.
    #[error("`{key}`: {error}")]
    Name {
        /// The dotted key that leads to the name.
        key: String,
        /// The problem.
        error: NameError,
    },
    /// A name that refers to a model or variant the manifest does not define.
    #[error("`{key}` names {what} `{value}`, which is not defined{}; defined: {}", did_you_mean(suggestion.as_deref()), defined.join(", "))]
    UnknownReference {
        /// The dotted key.
        key: String,
        /// "a model", "a variant of `small`".
        what: String,
        /// The name given.
        value: String,
        /// The nearest defined name.
        suggestion: Option<String>,
        /// Every defined name.
        defined: Vec<String>,
    },
    /// A value `init` wrote for the publisher to replace (`TODO`, `YOUR-HUB-USER`): `check`
    /// and every push refuse it, the generators only warn.
    #[error("`{key}` is still the placeholder `{value}` that `init` wrote: {hint}")]
    Placeholder {
        /// The dotted key.
        key: String,
        /// The value as written.
        value: String,
        /// What to write instead.
        hint: String,
    },
    /// Two entries that must differ are the same.
    #[error("`{key}`: `{value}` is already used by `{first}`")]
    Duplicate {
        /// The dotted key.
        key: String,
        /// The repeated value.
        value: String,
        /// Where it was first used (a dotted key).
        first: String,
    },
}

pub(crate) fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// Every problem found in a manifest, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestErrors(pub Vec<ManifestError>);

impl fmt::Display for ManifestErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ManifestErrors {}

/// Reading or checking a manifest failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read: missing, not a regular file, too large or not UTF-8.
    #[error("cannot read the manifest `{}`", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: crate::text_file::ReadError,
    },
    /// The file has errors (all of them are listed).
    #[error("{}", summary(.0))]
    Invalid(ManifestErrors),
}

fn summary(errors: &ManifestErrors) -> String {
    let n = errors.0.len();
    format!(
        "{n} error{} in the manifest:\n{errors}",
        if n == 1 { "" } else { "s" }
    )
}
