//! The one seam between resolution and the chat-template converter (`template::convert`):
//! the Jinja template and special tokens go in, a Go template, stop list and the verifier's
//! verdict come out.

use std::collections::HashMap;

use crate::template::convert::{ConvertInput, convert};
use crate::template::jinja::FixedDateTime;
use crate::template::verify::{VerifyReport, excerpt};

/// What the converter needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChatInput {
    /// The Jinja chat template.
    pub jinja: String,
    /// BOS token text.
    pub bos_token: Option<String>,
    /// EOS token text.
    pub eos_token: Option<String>,
    /// Other end-of-turn token texts (EOT, EOM).
    pub end_of_turn: Vec<String>,
    /// `tokenizer.ggml.add_bos_token`.
    pub add_bos_token: Option<bool>,
}

/// What the converter answered.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatOutput {
    /// The Go template.
    pub template: String,
    /// Stop sequences.
    pub stop: Vec<String>,
    /// Whether the verifier found both templates render the suite identically.
    pub verified: bool,
    /// The first differing conversation with both renderings, when unverified.
    pub mismatch: Option<String>,
    /// Notes (frozen dates, stop-token warnings, unsupported constructs).
    pub notes: Vec<String>,
}

/// Converts each distinct template once: a family's variants usually share one.
#[derive(Debug, Default)]
pub struct ChatConverter {
    cache: HashMap<ChatInput, Result<ChatOutput, String>>,
    date: FixedDateTime,
}

impl ChatConverter {
    /// A converter whose frozen dates are the converter's fixed default date.
    pub fn new() -> Self {
        Self::default()
    }

    /// A converter that freezes dates at `unix_seconds` (the CLI passes `SOURCE_DATE_EPOCH`).
    pub fn with_date(unix_seconds: i64) -> Self {
        ChatConverter {
            cache: HashMap::new(),
            date: FixedDateTime::from_unix_seconds(unix_seconds),
        }
    }

    /// The conversion of `input`, computed on first use.
    pub fn convert(&mut self, input: &ChatInput) -> Result<ChatOutput, String> {
        if let Some(done) = self.cache.get(input) {
            return done.clone();
        }
        let result = convert_with_template_converter(input, self.date);
        self.cache.insert(input.clone(), result.clone());
        result
    }
}

/// The built-in Jinja template for an architecture, with its name, for GGUFs that ship none.
pub fn default_template(architecture: &str) -> Option<(String, String)> {
    crate::template::defaults::for_architecture(architecture)
        .map(|t| (t.name.to_owned(), t.jinja.to_owned()))
}

/// The adapter over `template::convert::convert`.
fn convert_with_template_converter(
    input: &ChatInput,
    date: FixedDateTime,
) -> Result<ChatOutput, String> {
    let conversion = convert(&ConvertInput {
        jinja: &input.jinja,
        bos_token: input.bos_token.as_deref().unwrap_or_default(),
        eos_token: input.eos_token.as_deref().unwrap_or_default(),
        end_of_turn: &input.end_of_turn,
        add_bos_token: input.add_bos_token,
        date,
    })
    .map_err(|e| e.to_string())?;
    let mut notes = conversion.notes;
    notes.extend(
        conversion
            .unsupported
            .iter()
            .map(|u| format!("unsupported: {} ({})", u.what, u.conversations.join(", "))),
    );
    let mismatch = (!conversion.verified).then(|| first_mismatch(&conversion.report));
    Ok(ChatOutput {
        template: conversion.template,
        stop: conversion.stop,
        verified: conversion.verified,
        mismatch,
        notes,
    })
}

/// The first differing conversation of the plain suite, both renderings around the first
/// differing byte; the whole report when the template could not be rendered at all.
fn first_mismatch(report: &VerifyReport) -> String {
    let Some(m) = report.plain.mismatches.first() else {
        return report.to_string().trim_end().to_owned();
    };
    let more = report.plain.mismatches.len() - 1;
    let others = if more == 0 {
        String::new()
    } else {
        format!(
            " ({more} more conversation{} differ)",
            if more == 1 { "" } else { "s" }
        )
    };
    match &m.go_error {
        Some(error) => format!(
            "`{}`: the Go template failed: {error}{others}",
            m.conversation
        ),
        None => format!(
            "`{}` at byte {}{others}:\n  jinja: {}\n  go:    {}",
            m.conversation,
            m.offset,
            excerpt(&m.jinja, m.offset),
            excerpt(&m.go, m.offset)
        ),
    }
}
