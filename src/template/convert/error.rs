//! What can stop a conversion before there is any Go template to verify.

use crate::template::jinja::JinjaError;

/// A Jinja chat template could not be converted at all.
///
/// A template that converts but does not render the same prompts is not an error: it comes
/// back as a [`Conversion`](super::Conversion) with `verified` false and the verifier's report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// The Jinja source does not parse.
    #[error("the Jinja chat template does not parse: {0}")]
    Syntax(#[source] JinjaError),
    /// The template fails on a single user turn, so there is nothing to learn from.
    #[error(
        "the Jinja chat template cannot render a single user turn ({reason}); check that the GGUF's `tokenizer.chat_template` is a chat template"
    )]
    NotRenderable {
        /// The renderer's error.
        reason: String,
    },
    /// Rendering marker messages did not reveal a turn structure (a marker was dropped,
    /// doubled or reordered).
    #[error("cannot infer the turn structure of the chat template: {reason}")]
    NoStructure {
        /// What the probe found.
        reason: String,
    },
    /// The conversion date is not a calendar date.
    #[error("the conversion date {0} is not a calendar date")]
    InvalidDate(String),
    /// The generated Go template does not parse: a bug in the converter, reported with the
    /// template so it can be filed.
    #[error(
        "the converter wrote a Go template that does not parse ({message}); please report this with the template:\n{template}"
    )]
    Generated {
        /// The parser's message.
        message: String,
        /// The generated template.
        template: String,
    },
}
