//! The built-in chat template for a GGUF that carries none, chosen by its vocabulary.
//!
//! A family fits when every marker it needs is a control or user-defined token (or, for the
//! `[INST]` format, when the vocabulary is SentencePiece with `<s>`/`</s>`, where Llama 2 and
//! Mistral v0.1 write `[INST]` as text). The architecture only breaks ties: `llama` names
//! Llama 2, Llama 3, Mistral and DeepSeek-Coder models alike, so it cannot choose alone.

use std::collections::BTreeSet;
use std::fmt;

use super::vocabulary::Vocabulary;
use crate::template::defaults::{ALL, DefaultTemplate};

/// The family chosen, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultChoice {
    /// The built-in template.
    pub template: DefaultTemplate,
    /// Why it fits: "vocabulary has <start_of_turn>, <end_of_turn>".
    pub reason: String,
}

/// No built-in family fits the vocabulary: each family with the markers it lacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoFamilyFits {
    /// `(family, missing markers)` for every built-in family.
    pub families: Vec<(&'static str, Vec<String>)>,
}

impl fmt::Display for NoFamilyFits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no built-in chat template fits its vocabulary (")?;
        for (i, (family, missing)) in self.families.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{family} needs {}", missing.join(", "))?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for NoFamilyFits {}

/// How well one family fits: how many of its markers are tokens, and which are missing.
struct Candidate {
    template: DefaultTemplate,
    missing: Vec<String>,
    text_tags: bool,
}

/// Chooses the built-in family whose markers are all tokens of `vocabulary`; among several,
/// the one made for `architecture`, then the one with the most markers (the most specific).
pub fn choose_default(
    vocabulary: &Vocabulary<'_>,
    architecture: &str,
) -> Result<DefaultChoice, NoFamilyFits> {
    let wanted: BTreeSet<String> = ALL
        .iter()
        .flat_map(|t| t.markers.iter().map(|m| (*m).to_owned()))
        .collect();
    let found = vocabulary.find(&wanted);
    let candidates: Vec<Candidate> = ALL
        .iter()
        .map(|t| {
            let missing: Vec<String> = t
                .markers
                .iter()
                .filter(|m| {
                    found
                        .get(**m)
                        .and_then(|hits| Vocabulary::best(hits))
                        .is_none_or(|hit| !hit.is_marker_token())
                })
                .map(|m| (*m).to_owned())
                .collect();
            let text_tags =
                !missing.is_empty() && t.sentencepiece_text_tags && sentencepiece_s(vocabulary);
            Candidate {
                template: *t,
                missing,
                text_tags,
            }
        })
        .collect();
    let fitting = candidates
        .iter()
        .filter(|c| c.missing.is_empty() || c.text_tags);
    let best = fitting.max_by_key(|c| {
        (
            c.template.architectures.contains(&architecture),
            if c.text_tags {
                0
            } else {
                c.template.markers.len()
            },
            // `max_by_key` keeps the last maximum: prefer the earlier family in `ALL`.
            std::cmp::Reverse(ALL.iter().position(|t| t.name == c.template.name)),
        )
    });
    match best {
        Some(c) => Ok(DefaultChoice {
            template: c.template,
            reason: if c.text_tags {
                "SentencePiece vocabulary with <s>, </s> and no chat markers: the [INST] format of Llama 2 and Mistral v0.1, with [INST] as plain text".to_owned()
            } else {
                format!("vocabulary has {}", c.template.markers.join(", "))
            },
        }),
        None => Err(NoFamilyFits {
            families: candidates
                .into_iter()
                .map(|c| (c.template.name, c.missing))
                .collect(),
        }),
    }
}

/// A SentencePiece vocabulary whose BOS and EOS are `<s>` and `</s>` (Llama 2, Mistral v0.1).
fn sentencepiece_s(vocabulary: &Vocabulary<'_>) -> bool {
    let specials = vocabulary.special_ids();
    let text = |role: &str| {
        specials
            .iter()
            .find(|s| s.role == role)
            .and_then(|s| s.text.as_deref())
    };
    vocabulary.tokenizer_model() == Some("llama")
        && text("BOS") == Some("<s>")
        && text("EOS") == Some("</s>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::fit::tests::header;

    #[test]
    fn the_vocabulary_chooses_and_the_architecture_breaks_ties() {
        let gemma = header(
            &[
                "<pad>",
                "<eos>",
                "<bos>",
                "<start_of_turn>",
                "<end_of_turn>",
            ],
            Some(&[3, 3, 3, 3, 3]),
            2,
            1,
        );
        let choice = choose_default(&Vocabulary::from_header(&gemma).unwrap(), "llama").unwrap();
        assert_eq!(choice.template.name, "gemma");
        assert_eq!(
            choice.reason,
            "vocabulary has <start_of_turn>, <end_of_turn>"
        );

        let none = header(&["<|endoftext|>", "a"], Some(&[3, 1]), 0, 0);
        let err = choose_default(&Vocabulary::from_header(&none).unwrap(), "llama").unwrap_err();
        assert!(
            err.to_string().contains("llama3 needs <|start_header_id|>"),
            "{err}"
        );
    }
}
