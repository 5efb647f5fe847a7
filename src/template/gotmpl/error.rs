//! The one error type of the Go template engine: where in the template, and what went wrong.

use std::fmt;

/// A position in the template source: 1-based line and column (in characters) plus the byte
/// offset, so an error can point at the exact spot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Byte offset from the start of the template.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub col: usize,
}

impl Pos {
    /// The position of byte `offset` in `src`.
    pub fn at(src: &str, offset: usize) -> Pos {
        let offset = offset.min(src.len());
        let before = src.get(..offset).unwrap_or(src);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Pos { offset, line, col }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// Why a Go template could not be parsed or executed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GoTemplateError {
    /// The source is not a valid template (the same cases Go's `text/template/parse` rejects).
    #[error("template:{pos}: {message}")]
    Syntax {
        /// Where the problem was found.
        pos: Pos,
        /// What is wrong, in Go's words where Go has them.
        message: String,
    },
    /// The template parsed but failed while running (bad field, wrong argument type, ...).
    #[error("template:{pos}: executing: {message}")]
    Exec {
        /// The action that failed.
        pos: Pos,
        /// What went wrong.
        message: String,
    },
    /// The template ran past the execution budget: a runaway loop or recursion.
    #[error(
        "template:{pos}: executing: stopped after {steps} steps (a runaway loop or recursion?); raise the step limit if the template is genuinely that large"
    )]
    StepLimit {
        /// The action being run when the budget ran out.
        pos: Pos,
        /// The budget that was exhausted.
        steps: u64,
    },
    /// Template calls and blocks nested deeper than the limit (a runaway recursion).
    #[error(
        "template:{pos}: executing: exceeded maximum nesting depth ({depth}) of template calls and blocks (a runaway recursion?)"
    )]
    DepthLimit {
        /// The `template` action that went one level too deep.
        pos: Pos,
        /// The depth limit.
        depth: usize,
    },
    /// The output grew past the cap.
    #[error(
        "template:{pos}: executing: output exceeds {limit} bytes (a runaway template?); raise the output limit if this is expected"
    )]
    OutputLimit {
        /// The action whose output crossed the cap.
        pos: Pos,
        /// The cap in bytes.
        limit: usize,
    },
}

impl GoTemplateError {
    /// Where in the template the error happened.
    pub fn pos(&self) -> Pos {
        match self {
            GoTemplateError::Syntax { pos, .. }
            | GoTemplateError::Exec { pos, .. }
            | GoTemplateError::StepLimit { pos, .. }
            | GoTemplateError::DepthLimit { pos, .. }
            | GoTemplateError::OutputLimit { pos, .. } => *pos,
        }
    }
}
