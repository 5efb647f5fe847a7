//! The verifier: does an Ollama Go template render the same prompt as the Jinja template it
//! stands for? Both are rendered over the conversation suite and compared byte by byte.
//!
//! The rules, so that a "verified" means what a user of Ollama will see:
//! - A conversation is what a client sends to Ollama's chat API. The Go side renders it under
//!   Ollama's rules; the Jinja side renders Ollama's collated message list (after the
//!   same-role merge, which the Go template can never see past) with
//!   `add_generation_prompt=true`.
//! - When the model adds BOS itself (`add_bos_token`, assumed when unknown), one leading BOS
//!   token is removed from the Jinja rendering: llama.cpp adds it at tokenisation.
//! - Thinking off is `enable_thinking=false`, `thinking=false` on the Jinja side and
//!   `"think": false` on the Go side; the thinking part of the suite turns both on.
//! - A conversation the Jinja template refuses (it raises) is skipped and listed; a template
//!   that cannot render a single user turn is "not renderable".
//! - Both sides render with the same fixed date.
//! - Tool conversations may differ in JSON formatting only: Jinja prints JSON with Python's
//!   `json.dumps`, Ollama with Go's `encoding/json` in its own struct order, so there JSON
//!   objects and arrays are compared as values and everything around them byte for byte
//!   ([`json_spans`]). Such a conversation is reported as equivalent up to JSON formatting
//!   ([`Verdict::JsonEquivalent`]), never as verified.

pub mod json_spans;
mod report;

pub use report::{Mismatch, Skipped, SuiteReport, Verdict, VerifyReport, excerpt};

use super::chat::ChatRequest;
use super::jinja::{FixedDateTime, JinjaContext, JinjaError, JinjaTemplate};
use super::ollama::{self, Date, OllamaTemplate, RenderOptions};
use super::suite::{self, Conversation, SuiteKind};

/// The tokenizer facts and the date a verification renders with.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyOptions {
    /// The BOS token text (`bos_token` on the Jinja side). Empty by default.
    pub bos_token: String,
    /// The EOS token text (`eos_token` on the Jinja side). Empty by default.
    pub eos_token: String,
    /// Whether the model adds BOS at tokenisation (GGUF `tokenizer.ggml.add_bos_token`). True
    /// by default, as llama.cpp assumes when the key is missing.
    pub add_bos_token: bool,
    /// The moment both sides render as "now".
    pub now: FixedDateTime,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            bos_token: String::new(),
            eos_token: String::new(),
            add_bos_token: true,
            now: FixedDateTime::default(),
        }
    }
}

/// Why a verification could not run at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The fixed date is not a real calendar date.
    #[error("the verification date {0} is not a calendar date")]
    InvalidDate(String),
}

/// Renders both templates over the whole suite and compares them.
pub fn verify(
    jinja: &JinjaTemplate,
    go: &OllamaTemplate,
    options: &VerifyOptions,
) -> Result<VerifyReport, VerifyError> {
    verify_conversations(jinja, go, options, &suite::conversations())
}

/// Like [`verify`], over the given conversations.
pub fn verify_conversations(
    jinja: &JinjaTemplate,
    go: &OllamaTemplate,
    options: &VerifyOptions,
    conversations: &[Conversation],
) -> Result<VerifyReport, VerifyError> {
    let now = options.now;
    let date = u8::try_from(now.month)
        .ok()
        .zip(u8::try_from(now.day).ok())
        .and_then(|(month, day)| Date::new(now.year, month, day))
        .ok_or_else(|| VerifyError::InvalidDate(now.iso_date()))?;
    let go_options = RenderOptions::with_date(date);
    let mut report = VerifyReport::default();
    if let Err(err) = render_single_user(jinja, options) {
        report.not_renderable = Some(err.to_string());
        return Ok(report);
    }
    for conversation in conversations {
        let part = match conversation.kind {
            SuiteKind::Plain => &mut report.plain,
            SuiteKind::Tools => &mut report.tools,
            SuiteKind::Thinking => &mut report.thinking,
        };
        let expected = match render_jinja(jinja, &conversation.request, options) {
            Ok(expected) => expected,
            Err(err) => {
                let reason = match err {
                    JinjaError::Raised(message) => format!("the template raised: {message}"),
                    other => other.to_string(),
                };
                part.skipped.push(Skipped {
                    conversation: conversation.name.to_owned(),
                    reason,
                });
                continue;
            }
        };
        part.conversations += 1;
        let actual = go
            .render(&conversation.request, &go_options)
            .map_err(|err| err.to_string());
        let equivalence = match &actual {
            Ok(go_text) if conversation.kind == SuiteKind::Tools => {
                Some(json_spans::compare(&expected, go_text))
            }
            _ => None,
        };
        if equivalence == Some(json_spans::Equivalence::JsonFormatting) {
            part.json_equivalent.push(conversation.name.to_owned());
            continue;
        }
        if let Some(mut mismatch) = Mismatch::between(conversation.name, expected, actual) {
            if let Some(json_spans::Equivalence::Differs { jinja, go }) = equivalence {
                mismatch.offset = jinja;
                mismatch.go_offset = go;
            }
            part.mismatches.push(mismatch);
        }
    }
    for part in [&mut report.plain, &mut report.tools, &mut report.thinking] {
        part.conclude();
    }
    Ok(report)
}

/// Renders one chat request the way the verifier's Jinja side does: collated messages,
/// generation prompt on, thinking as requested, one leading BOS removed when the model adds
/// it itself.
pub fn render_jinja(
    jinja: &JinjaTemplate,
    request: &ChatRequest,
    options: &VerifyOptions,
) -> Result<String, JinjaError> {
    let collated = ollama::collate(&request.messages);
    let context = JinjaContext {
        messages: collated.messages,
        tools: request.tools.clone(),
        add_generation_prompt: true,
        bos_token: options.bos_token.clone(),
        eos_token: options.eos_token.clone(),
        thinking: Some(request.think.as_ref().is_some_and(|think| think.is_on())),
        now: options.now,
        extra: serde_json::Map::new(),
    };
    let rendered = jinja.render(&context)?;
    Ok(strip_bos(rendered, options))
}

fn strip_bos(rendered: String, options: &VerifyOptions) -> String {
    if options.add_bos_token && !options.bos_token.is_empty() {
        if let Some(rest) = rendered.strip_prefix(options.bos_token.as_str()) {
            return rest.to_owned();
        }
    }
    rendered
}

/// The renderability probe: the suite's single user turn, thinking off.
fn render_single_user(
    jinja: &JinjaTemplate,
    options: &VerifyOptions,
) -> Result<String, JinjaError> {
    let probe = suite::conversations()
        .into_iter()
        .find(|c| c.name == "single_user")
        .map(|c| c.request)
        .unwrap_or_default();
    render_jinja(jinja, &probe, options)
}
