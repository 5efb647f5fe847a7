//! The verifier's findings, serialisable for `--json` and printable for people.

use std::fmt;

use serde::Serialize;

use crate::template::llamacpp::conformance::Conformance;

/// How many bytes of each rendering are shown on either side of the first difference.
const CONTEXT_BYTES: usize = 80;

/// The verdict on one part of the suite, in one word.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every compared conversation renders the same prompt byte for byte.
    Verified,
    /// Every compared conversation renders the same prompt once JSON objects and arrays are
    /// compared as values (tools part only: Python's and Go's JSON formatting differ), and at
    /// least one needed it.
    JsonEquivalent,
    /// As [`Verdict::JsonEquivalent`] (or byte for byte), for a template that writes tool-call
    /// arguments one by one: Ollama's Go template visits them in sorted key order while Jinja
    /// keeps the caller's, so a caller whose argument keys are not sorted sees them
    /// reordered. The suite's `parallel_tool_calls` has unsorted keys and shows that as a
    /// mismatch; only when the Jinja template refuses that conversation can the rest match,
    /// and then the converter sets this verdict (the verifier never does).
    ArgumentOrder,
    /// Some conversation renders differently, or none was compared.
    #[default]
    NotVerified,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Verified => "verified",
            Verdict::JsonEquivalent => "equivalent up to JSON formatting",
            Verdict::ArgumentOrder => "equivalent up to JSON formatting and argument order",
            Verdict::NotVerified => "NOT verified",
        })
    }
}

/// The verdict on one part of the suite (plain, tools or thinking).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SuiteReport {
    /// Every compared conversation rendered the same prompt byte for byte, and at least one
    /// was compared.
    pub verified: bool,
    /// The verdict: `verified`, `json_equivalent`, `argument_order` or `not_verified`.
    pub verdict: Verdict,
    /// Conversations compared (skipped ones not counted).
    pub conversations: usize,
    /// Conversations that render the same prompt only up to JSON formatting (the formatting
    /// and key order of JSON objects and arrays); neither verified nor mismatched.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub json_equivalent: Vec<String>,
    /// Conversations the Jinja template refused, with its reason.
    pub skipped: Vec<Skipped>,
    /// Conversations whose renderings differ.
    pub mismatches: Vec<Mismatch>,
}

/// A conversation left out because the Jinja template does not render it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The suite conversation's name.
    pub conversation: String,
    /// Why: the template's own `raise_exception` message or its rendering error.
    pub reason: String,
}

/// A conversation the two templates render differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The suite conversation's name.
    pub conversation: String,
    /// Byte offset of the first difference in the Jinja rendering (the shorter length when
    /// one is a prefix).
    pub offset: usize,
    /// Byte offset of the first difference in the Go rendering: the same as `offset`, except
    /// in tool conversations, whose JSON may be formatted differently before it.
    pub go_offset: usize,
    /// The Jinja rendering (reference).
    pub jinja: String,
    /// The Go rendering; empty when it failed.
    pub go: String,
    /// Why the Go template failed to render, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub go_error: Option<String>,
}

impl Mismatch {
    /// Compares two renderings; `None` when they are identical.
    pub fn between(
        conversation: &str,
        jinja: String,
        go: Result<String, String>,
    ) -> Option<Mismatch> {
        match go {
            Ok(go) if go == jinja => None,
            Ok(go) => {
                let offset = jinja
                    .bytes()
                    .zip(go.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                Some(Mismatch {
                    conversation: conversation.to_owned(),
                    offset,
                    go_offset: offset,
                    jinja,
                    go,
                    go_error: None,
                })
            }
            Err(error) => Some(Mismatch {
                conversation: conversation.to_owned(),
                offset: 0,
                go_offset: 0,
                jinja,
                go: String::new(),
                go_error: Some(error),
            }),
        }
    }
}

/// The verifier's full report: the plain suite at the top level (the verdict that decides
/// whether a converted template is verified), tools and thinking reported separately.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The plain suite: single and multi-turn chats, system prompts, awkward characters.
    #[serde(flatten)]
    pub plain: SuiteReport,
    /// Set when the Jinja template cannot render even a single user turn; nothing was
    /// compared then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_renderable: Option<String>,
    /// Tool definitions, tool calls and tool results.
    pub tools: SuiteReport,
    /// Thinking on.
    pub thinking: SuiteReport,
    /// What llama.cpp renders, when a `llama-server` was asked (`template verify
    /// --llama-server`): the prompt most runtimes build from the same Jinja template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llamacpp: Option<Conformance>,
}

impl SuiteReport {
    /// Whether every compared conversation renders the same prompt, byte for byte or up to
    /// JSON formatting (and, for arguments written key by key, argument order).
    pub fn equivalent(&self) -> bool {
        matches!(
            self.verdict,
            Verdict::Verified | Verdict::JsonEquivalent | Verdict::ArgumentOrder
        )
    }

    /// Whether the part is claimed equivalent on a single compared conversation (the
    /// template refused the others, which do not count): such a claim says so.
    pub fn rests_on_one_conversation(&self) -> bool {
        self.equivalent() && self.conversations == 1
    }

    /// Sets `verified` and `verdict` from the conversations compared.
    pub(super) fn conclude(&mut self) {
        let matched = self.conversations > 0 && self.mismatches.is_empty();
        self.verified = matched && self.json_equivalent.is_empty();
        self.verdict = match (matched, self.json_equivalent.is_empty()) {
            (false, _) => Verdict::NotVerified,
            (true, true) => Verdict::Verified,
            (true, false) => Verdict::JsonEquivalent,
        };
    }
}

impl VerifyReport {
    /// Whether the plain suite verified (the headline verdict).
    pub fn verified(&self) -> bool {
        self.plain.verified
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_parts(f)?;
        match &self.llamacpp {
            Some(llamacpp) => write!(f, "{llamacpp}"),
            None => Ok(()),
        }
    }
}

impl VerifyReport {
    fn write_parts(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(reason) = &self.not_renderable {
            return writeln!(
                f,
                "not renderable: the Jinja template fails on a single user turn: {reason}"
            );
        }
        for (name, part) in [
            ("plain", &self.plain),
            ("tools", &self.tools),
            ("thinking", &self.thinking),
        ] {
            let matched = part.conversations - part.mismatches.len();
            writeln!(
                f,
                "{name}: {}: {matched} of {} conversations render the same prompt{}{}",
                part.verdict,
                part.conversations,
                if part.json_equivalent.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({} up to JSON formatting: {})",
                        part.json_equivalent.len(),
                        part.json_equivalent.join(", ")
                    )
                },
                if part.skipped.is_empty() {
                    String::new()
                } else {
                    format!(", {} skipped", part.skipped.len())
                }
            )?;
            if part.rests_on_one_conversation() {
                writeln!(
                    f,
                    "  this rests on one conversation only: the template refused the others"
                )?;
            }
            for skipped in &part.skipped {
                writeln!(
                    f,
                    "  skipped `{}`: {}",
                    skipped.conversation, skipped.reason
                )?;
            }
            for mismatch in &part.mismatches {
                write_mismatch(f, mismatch)?;
            }
        }
        Ok(())
    }
}

fn write_mismatch(f: &mut fmt::Formatter<'_>, mismatch: &Mismatch) -> fmt::Result {
    if let Some(error) = &mismatch.go_error {
        return writeln!(
            f,
            "  mismatch in `{}`: the Go template failed: {error}",
            mismatch.conversation
        );
    }
    writeln!(
        f,
        "  mismatch in `{}` at byte {}:",
        mismatch.conversation, mismatch.offset
    )?;
    writeln!(
        f,
        "    jinja: {}",
        excerpt(&mismatch.jinja, mismatch.offset)
    )?;
    writeln!(
        f,
        "    go:    {}",
        excerpt(&mismatch.go, mismatch.go_offset)
    )
}

/// The text around `offset`, quoted with escapes so whitespace differences are visible;
/// `⟨here⟩` marks the first differing byte.
pub fn excerpt(text: &str, offset: usize) -> String {
    let offset = floor_boundary(text, offset.min(text.len()));
    let start = floor_boundary(text, offset.saturating_sub(CONTEXT_BYTES));
    let end = floor_boundary(text, (offset + CONTEXT_BYTES).min(text.len()));
    let before = format!("{:?}", &text[start..offset]);
    let after = format!("{:?}", &text[offset..end]);
    format!(
        "{}{}⟨here⟩{}{}",
        if start > 0 { "…" } else { "" },
        before.trim_end_matches('"'),
        after.trim_start_matches('"'),
        if end < text.len() { "…" } else { "" }
    )
}

fn floor_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatch_reports_first_differing_byte() {
        let mismatch = Mismatch::between("c", "abcX".into(), Ok("abcY".into())).unwrap();
        assert_eq!(mismatch.offset, 3);
        assert!(Mismatch::between("c", "same".into(), Ok("same".into())).is_none());
        assert_eq!(excerpt("ab\ncd", 3), "\"ab\\n⟨here⟩cd\"");
    }
}
