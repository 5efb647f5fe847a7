//! The prompts a template renders over the suite: what the fit check and the per-role
//! verdict read.

use crate::template::chat::ChatRequest;
use crate::template::jinja::{FixedDateTime, JinjaError, JinjaTemplate};
use crate::template::ollama::{Date, OllamaTemplate, RenderOptions};
use crate::template::suite::{self, SuiteKind};
use crate::template::verify::{VerifyOptions, render_jinja};

/// One conversation of the suite and what the template made of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendering {
    /// The suite conversation's name.
    pub conversation: &'static str,
    /// Which part of the suite it belongs to.
    pub kind: SuiteKind,
    /// The request as the client sent it (before Ollama merges same-role messages).
    pub request: ChatRequest,
    /// The prompt, or why the template refused the conversation.
    pub prompt: Result<String, String>,
}

/// Renders `jinja` over the whole suite as the verifier's Jinja side does, but keeping a
/// leading BOS: the fit check wants every marker the model will see.
pub fn jinja_prompts(
    jinja: &JinjaTemplate,
    bos_token: &str,
    eos_token: &str,
    now: FixedDateTime,
) -> Vec<Rendering> {
    let options = VerifyOptions {
        bos_token: bos_token.to_owned(),
        eos_token: eos_token.to_owned(),
        add_bos_token: false,
        now,
    };
    suite::conversations()
        .into_iter()
        .map(|c| Rendering {
            conversation: c.name,
            kind: c.kind,
            prompt: render_jinja(jinja, &c.request, &options).map_err(|e| match e {
                JinjaError::Raised(message) => format!("the template raised: {message}"),
                other => other.to_string(),
            }),
            request: c.request,
        })
        .collect()
}

/// Renders an Ollama Go template over the whole suite under Ollama's rules.
pub fn go_prompts(go: &OllamaTemplate, date: Date) -> Vec<Rendering> {
    let options = RenderOptions::with_date(date);
    suite::conversations()
        .into_iter()
        .map(|c| Rendering {
            conversation: c.name,
            kind: c.kind,
            prompt: go.render(&c.request, &options).map_err(|e| e.to_string()),
            request: c.request,
        })
        .collect()
}

/// The prompts that rendered, of the plain and thinking conversations (`tools` false) or of
/// the tool conversations (`tools` true).
pub fn texts(renderings: &[Rendering], tools: bool) -> Vec<String> {
    renderings
        .iter()
        .filter(|r| (r.kind == SuiteKind::Tools) == tools)
        .filter_map(|r| r.prompt.as_ref().ok().cloned())
        .collect()
}
