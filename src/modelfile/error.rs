//! Errors and warnings about Modelfiles: what Ollama's parser would reject, what it would
//! silently get wrong, and values the writer refuses because they cannot round-trip.

use std::fmt;

use crate::ollama::ParamError;

/// The command names Ollama accepts, in the order its error message lists them.
pub const COMMAND_NAMES: [&str; 11] = [
    "from",
    "license",
    "template",
    "system",
    "adapter",
    "draft",
    "renderer",
    "parser",
    "parameter",
    "message",
    "requires",
];

/// A line and column (both 1-based, columns counted in characters) in a Modelfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    /// Line number; CR, LF and CRLF each end a line.
    pub line: usize,
    /// Column in characters.
    pub column: usize,
}

/// A Modelfile Ollama would reject, or whose values we refuse because Ollama would only fail
/// on them when the model runs. Displays as Ollama does: `(line N): message`, or just the
/// message when it concerns no line (`no FROM line`).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelfileError {
    /// Where the offending command or character is (line 0: the whole file).
    pub position: Position,
    /// What is wrong.
    pub kind: ModelfileErrorKind,
}

impl fmt::Display for ModelfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.position.line > 0 {
            write!(f, "(line {}): ", self.position.line)?;
        }
        write!(f, "{}", self.kind)
    }
}

// The kind's message already includes any inner error, so there is no separate source.
impl std::error::Error for ModelfileError {}

/// What is wrong with a Modelfile.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelfileErrorKind {
    /// A line starts with something that is not a known command followed by a space or tab.
    #[error(
        "command must be one of \"from\", \"license\", \"template\", \"system\", \"adapter\", \"draft\", \"renderer\", \"parser\", \"parameter\", \"message\", or \"requires\" (found `{found}`{})",
        crate::ollama::suggest(found, COMMAND_NAMES).map(|s| format!("; did you mean `{}`?", s.to_ascii_uppercase())).unwrap_or_default()
    )]
    InvalidCommand {
        /// The command word as written, up to the offending character.
        found: String,
    },
    /// A parameter name with a character outside `[A-Za-z0-9_]` (Ollama: `unexpected EOF`).
    #[error(
        "unexpected EOF: invalid character {found:?} in parameter name `{name}` (a name is letters, digits and `_`, then a space)"
    )]
    InvalidParameterName {
        /// The name up to the offending character.
        name: String,
        /// The offending character.
        found: char,
    },
    /// A `MESSAGE` role other than `system`, `user` or `assistant` (lower-case).
    #[error("message role must be one of \"system\", \"user\", or \"assistant\" (found `{found}`)")]
    InvalidMessageRole {
        /// The role as written.
        found: String,
    },
    /// A quoted value that never closes swallows the rest of the file.
    #[error(
        "unexpected EOF: the quoted value that starts here never closes (it ends at the first line whose trimmed end is the closing `{quote}`; there are no escapes)"
    )]
    UnterminatedValue {
        /// The opening quote, `"` or `"""`.
        quote: &'static str,
    },
    /// The file ends in the middle of a command.
    #[error("unexpected EOF: the command has no value")]
    UnexpectedEof,
    /// No `FROM` line at all.
    #[error("no FROM line")]
    NoFrom,
    /// The file is larger than any Modelfile we read.
    #[error("the Modelfile is {size} bytes; at most {max} are read")]
    TooLarge {
        /// The size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A `PARAMETER` Ollama does not know, or a value of the wrong type or range.
    #[error("{error}{}", if *comment_in_value { " (`#` starts a comment only at the beginning of a line, so here it is part of the value)" } else { "" })]
    Parameter {
        /// The parameter problem.
        error: ParamError,
        /// Whether the value contains a `#`, which people mistake for a trailing comment.
        comment_in_value: bool,
    },
    /// A command that needs a value has an empty one.
    #[error("`{command}` needs a value")]
    EmptyValue {
        /// The command, upper-case.
        command: &'static str,
    },
    /// `REQUIRES` is not a semantic version.
    #[error("requires must be a valid semver (e.g. 0.14.0), found `{found}`")]
    InvalidRequires {
        /// The value as written.
        found: String,
    },
}

/// Something Ollama accepts but that probably does not do what was meant.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelfileWarning {
    /// Where.
    pub position: Position,
    /// What.
    pub message: String,
}

impl fmt::Display for ModelfileWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(line {}): {}", self.position.line, self.message)
    }
}

/// A value the writer refuses, because Ollama's parser would read back something else.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot write {field} into a Modelfile: {refusal}")]
pub struct WriteError {
    /// Which value, e.g. `SYSTEM`, `PARAMETER stop #2`, `LICENSE #1`.
    pub field: String,
    /// Why.
    pub refusal: Refusal,
}

/// Why a value cannot be written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// A Modelfile needs at least one `FROM`.
    #[error("there is no FROM value")]
    NoFrom,
    /// A path, name or adapter that is empty.
    #[error("the value is empty")]
    Empty,
    /// A path, name, role or parameter name that cannot hold a line break.
    #[error("the value contains a line break at byte {offset}")]
    LineBreak {
        /// Byte offset in the value.
        offset: usize,
    },
    /// A character Ollama drops silently.
    #[error("{} at byte {offset} is not printable, and Ollama's parser drops it silently", describe(*ch))]
    NonPrintable {
        /// The character.
        ch: char,
        /// Byte offset in the value.
        offset: usize,
    },
    /// A line ending in `"""` closes a triple-quoted value early, and no other quoting
    /// holds a multi-line value (there are no escapes).
    #[error(
        "line {line} of the value ends with `\"\"\"` (ignoring trailing spaces), which would close the quoted value early: Modelfiles have no escapes, so change the text"
    )]
    TripleQuoteAtLineEnd {
        /// 1-based line within the value.
        line: usize,
    },
    /// A comment line holding a CR would end early and turn the rest into a command.
    #[error("a comment cannot contain a carriage return")]
    CarriageReturnInComment,
    /// The written text did not parse back to the same values (a bug in the writer: report
    /// it with the value).
    #[error("the written Modelfile reads back differently: expected {expected:?}, read {found:?}")]
    NotRoundTrip {
        /// What was meant.
        expected: String,
        /// What the parser read.
        found: String,
    },
}

fn describe(c: char) -> String {
    format!("U+{:04X} ({c:?})", u32::from(c))
}
