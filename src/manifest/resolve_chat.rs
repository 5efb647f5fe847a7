//! The one seam between resolution and the chat-template converter (`template::convert`):
//! the Jinja template and special tokens go in, a Go template, stop list and the verifier's
//! verdict come out.

use std::collections::HashMap;

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
}

impl ChatConverter {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The conversion of `input`, computed on first use.
    pub fn convert(&mut self, input: &ChatInput) -> Result<ChatOutput, String> {
        if let Some(done) = self.cache.get(input) {
            return done.clone();
        }
        let result = convert_with_template_converter(input);
        self.cache.insert(input.clone(), result.clone());
        result
    }
}

/// The built-in Jinja template for an architecture, with its name, for GGUFs that ship none.
pub fn default_template(architecture: &str) -> Option<(String, String)> {
    let _ = architecture;
    None
}

/// The adapter over `template::convert::convert`.
fn convert_with_template_converter(input: &ChatInput) -> Result<ChatOutput, String> {
    let _ = input;
    Err("the chat-template converter is not available in this build".into())
}
