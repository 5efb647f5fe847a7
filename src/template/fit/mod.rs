//! Template–vocabulary fit: does a chat template's prompt speak the model's vocabulary?
//!
//! The verifier (`template::verify`) certifies that two renderings of one template agree; it
//! cannot see that the template belongs to another model. This module checks the prompts a
//! template renders over the suite against the GGUF header's vocabulary:
//!
//! - every `<|...|>` and `<｜...｜>` marker, and every marker a built-in family needs
//!   (`<start_of_turn>`), must be ONE token of `tokenizer.ggml.tokens`, a control or
//!   user-defined one where the header has `tokenizer.ggml.token_type`: split into pieces it
//!   is text to the model, which then never sees a turn boundary;
//! - the BOS/EOS/EOT/EOM ids of the header must be tokens of the vocabulary;
//! - a stop string that looks like a marker must be one token too, or generation never stops
//!   on it;
//! - tags that are plain text in some vocabularies (`[INST]`, `<tool_call>`, `<think>`) give
//!   a warning when they are not tokens.
//!
//! The same prompts also give the per-role verdict ([`roles`]): whether what a user writes in
//! each role reaches the prompt at all. And for a GGUF without a template, [`choose_default`]
//! picks the built-in family by the vocabulary.
//!
//! ```
//! use ruvltra_export::template::fit::markers::bar_markers;
//!
//! let mut found = std::collections::BTreeSet::new();
//! bar_markers("<|im_start|>user\nHi<|im_end|>", &mut found);
//! assert_eq!(found.len(), 2);
//! ```

mod choose;
pub mod markers;
mod prompts;
pub mod roles;
mod vocabulary;

pub use choose::{DefaultChoice, NoFamilyFits, choose_default};
pub use prompts::{Rendering, go_prompts, jinja_prompts, texts};
pub use roles::{LostRole, Role, RoleVerdict, Roles};
pub use vocabulary::{SpecialId, TokenHit, TokenKind, Vocabulary};

use std::collections::BTreeSet;
use std::fmt;

use crate::gguf::GgufHeader;
use crate::template::defaults;
use crate::template::ollama::{Date, OllamaTemplate};

/// Why a marker does not fit the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Misfit {
    /// The marker text, or the special token role (`EOS`).
    pub marker: String,
    /// Where it was found: `prompt`, `stop` or `header`.
    pub found_in: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for Misfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.found_in {
            "header" => write!(f, "{}", self.problem),
            "stop" => write!(f, "stop `{}`: {}", self.marker, self.problem),
            _ => write!(f, "`{}` {}", self.marker, self.problem),
        }
    }
}

/// The verdict of a fit check.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Fit {
    /// The markers checked and found to be single tokens.
    pub markers: Vec<String>,
    /// The hard failures: markers that are not single tokens, broken special ids.
    pub misfits: Vec<Misfit>,
    /// Tags that are plain text in this vocabulary, for the publisher to judge.
    pub warnings: Vec<String>,
}

impl Fit {
    /// Whether the template fits the vocabulary (no hard failure).
    pub fn fits(&self) -> bool {
        self.misfits.is_empty()
    }

    /// The markers that failed, for error messages: "`<|eot_id|>`, `<|start_header_id|>`".
    pub fn missing(&self) -> String {
        self.misfits
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Checks an Ollama Go template's prompts over the suite, and `stops`, against the vocabulary
/// of `header` (`push --gguf --template`); `None` when the header has no vocabulary.
pub fn check_go(go: &OllamaTemplate, stops: &[String], header: &GgufHeader) -> Option<Fit> {
    let vocabulary = Vocabulary::from_header(header)?;
    let date = Date::new(2024, 7, 26).unwrap_or_else(Date::today_utc);
    Some(check_renderings(&go_prompts(go, date), stops, &vocabulary))
}

/// [`check`] over a template's renderings of the suite: markers of the plain and thinking
/// conversations and the stops are held to the hard rule; markers that only the tool
/// conversations show (`<|tool|>` from `'<|' + role + '|>'`) give a warning, since a template
/// that misrenders tool results still serves plain chat.
pub fn check_renderings(
    renderings: &[Rendering],
    stops: &[String],
    vocabulary: &Vocabulary<'_>,
) -> Fit {
    let mut fit = check(&texts(renderings, false), stops, vocabulary);
    let tools = check(&texts(renderings, true), &[], vocabulary);
    for misfit in tools.misfits {
        let known = fit.markers.contains(&misfit.marker)
            || fit.misfits.iter().any(|m| m.marker == misfit.marker);
        if !known {
            fit.warnings.push(format!(
                "{misfit} (in tool conversations only): tool calls and results would be read as text"
            ));
        }
    }
    for warning in tools.warnings {
        if !fit.warnings.contains(&warning) {
            fit.warnings.push(warning);
        }
    }
    fit
}

/// Every marker a built-in family needs: wherever they occur they must be tokens.
fn family_markers() -> BTreeSet<&'static str> {
    defaults::ALL
        .iter()
        .filter(|t| !t.sentencepiece_text_tags)
        .flat_map(|t| t.markers.iter().copied())
        .collect()
}

/// Checks the prompts a template rendered and its stop strings against `vocabulary`.
pub fn check(prompts: &[String], stops: &[String], vocabulary: &Vocabulary<'_>) -> Fit {
    let mut hard: BTreeSet<String> = BTreeSet::new();
    let mut soft: BTreeSet<String> = BTreeSet::new();
    let family = family_markers();
    let specials = vocabulary.special_ids();
    for prompt in prompts {
        markers::bar_markers(prompt, &mut hard);
        for marker in &family {
            if prompt.contains(marker) {
                hard.insert((*marker).to_owned());
            }
        }
        for tag in markers::SOFT_TAGS {
            if prompt.contains(tag) {
                soft.insert((*tag).to_owned());
            }
        }
        for special in &specials {
            if let Some(text) = special.text.as_deref().filter(|t| !t.is_empty()) {
                if prompt.contains(text) {
                    hard.insert(text.to_owned());
                }
            }
        }
    }
    let stop_markers: BTreeSet<String> = stops
        .iter()
        .filter(|s| markers::is_bar_marker(s) || family.contains(s.as_str()))
        .cloned()
        .collect();
    let wanted: BTreeSet<String> = hard
        .iter()
        .chain(&soft)
        .chain(&stop_markers)
        .cloned()
        .collect();
    let found = vocabulary.find(&wanted);
    let mut fit = Fit::default();
    for special in &specials {
        if special.text.is_none() {
            fit.misfits.push(Misfit {
                marker: special.role.to_owned(),
                found_in: "header",
                problem: format!(
                    "the header's {} id {} is not a token of the vocabulary ({} tokens)",
                    special.role,
                    special.id,
                    vocabulary.len()
                ),
            });
        }
    }
    for (set, found_in) in [(&hard, "prompt"), (&stop_markers, "stop")] {
        for marker in set {
            match problem(marker, found.get(marker).map(Vec::as_slice)) {
                Some(problem) => fit.misfits.push(Misfit {
                    marker: marker.clone(),
                    found_in,
                    problem,
                }),
                None if found_in == "prompt" => fit.markers.push(marker.clone()),
                None => {}
            }
        }
    }
    for tag in soft.difference(&hard) {
        if let Some(problem) = problem(tag, found.get(tag).map(Vec::as_slice)) {
            fit.warnings.push(format!(
                "`{tag}` {problem}: the model reads it as plain text"
            ));
        }
    }
    fit
}

/// What is wrong with `marker` given the vocabulary entries with its text, if anything.
fn problem(marker: &str, hits: Option<&[TokenHit]>) -> Option<String> {
    let best = hits.and_then(Vocabulary::best);
    match best {
        None => Some("is not a token of the vocabulary".to_owned()),
        Some(hit) if hit.is_marker_token() => None,
        Some(hit) => Some(format!(
            "is token {} but a {} one, not control or user-defined",
            hit.id,
            hit.kind.map(TokenKind::as_str).unwrap_or("plain")
        )),
    }
    .filter(|_| !marker.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::{Array, GgufHeader, GgufWriter, StringArray, Value};

    pub(crate) fn header(tokens: &[&str], types: Option<&[i32]>, bos: u32, eos: u32) -> GgufHeader {
        let mut w = GgufWriter::new();
        w.set("general.architecture", Value::String("llama".into()));
        w.set("tokenizer.ggml.model", Value::String("gpt2".into()));
        let list: StringArray = tokens.iter().copied().collect();
        w.set("tokenizer.ggml.tokens", Value::Array(Array::String(list)));
        if let Some(types) = types {
            w.set(
                "tokenizer.ggml.token_type",
                Value::Array(Array::I32(types.to_vec())),
            );
        }
        w.set("tokenizer.ggml.bos_token_id", Value::U32(bos));
        w.set("tokenizer.ggml.eos_token_id", Value::U32(eos));
        let mut bytes = Vec::new();
        w.write_to(&mut bytes).unwrap();
        GgufHeader::read(bytes.as_slice(), None).unwrap()
    }

    #[test]
    fn chatml_markers_fit_a_chatml_vocabulary_and_not_a_llama2_one() {
        let prompts = vec!["<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n".to_owned()];
        let qwen = header(
            &["a", "<|endoftext|>", "<|im_start|>", "<|im_end|>"],
            Some(&[1, 3, 3, 3]),
            1,
            3,
        );
        let fit = check(&prompts, &[], &Vocabulary::from_header(&qwen).unwrap());
        assert!(fit.fits(), "{fit:?}");
        assert_eq!(fit.markers, ["<|im_end|>", "<|im_start|>"]);

        let llama2 = header(&["<unk>", "<s>", "</s>"], Some(&[2, 3, 3]), 1, 2);
        let fit = check(&prompts, &[], &Vocabulary::from_header(&llama2).unwrap());
        assert!(!fit.fits());
        assert!(
            fit.missing().contains("`<|im_start|>` is not a token"),
            "{}",
            fit.missing()
        );
    }

    #[test]
    fn a_normal_token_is_not_a_marker_and_a_plain_tag_warns() {
        let vocab = header(&["<|im_start|>", "x"], Some(&[1, 1]), 1, 1);
        let prompts = vec!["<|im_start|>[INST] x".to_owned()];
        let fit = check(&prompts, &[], &Vocabulary::from_header(&vocab).unwrap());
        assert!(
            fit.missing().contains("token 0 but a normal one"),
            "{fit:?}"
        );
        assert_eq!(fit.warnings.len(), 1);
        assert!(fit.warnings[0].contains("[INST]"));
    }

    #[test]
    fn marker_stops_must_be_tokens_and_header_ids_in_range() {
        let vocab = header(&["a", "b"], None, 0, 9);
        let stops = vec!["<|eot_id|>".to_owned(), "\n\n".to_owned()];
        let fit = check(&[], &stops, &Vocabulary::from_header(&vocab).unwrap());
        let missing = fit.missing();
        assert!(missing.contains("stop `<|eot_id|>`"), "{missing}");
        assert!(missing.contains("EOS id 9 is not a token"), "{missing}");
        assert!(!missing.contains("\n\n"));
    }
}
