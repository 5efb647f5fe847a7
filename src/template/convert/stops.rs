//! Stop tokens: what ends the model's turn. The template's own end-of-turn markers (the
//! special tokens it writes right after an assistant message), then the GGUF's EOS and
//! end-of-turn tokens. A bare word such as `User:` only when nothing else marks the end.

use super::probe::Role;
use super::structure::{Piece, Structure};

/// The stop list and any warning about it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Stops {
    /// Stop strings, most specific first, without duplicates.
    pub stop: Vec<String>,
    /// Set when the list falls back to plain text that may occur in normal output.
    pub warning: Option<String>,
}

/// The special tokens the template writes after an assistant message, then `eos` and
/// `end_of_turn`.
pub(super) fn infer(structure: &Structure, eos: &str, end_of_turn: &[String]) -> Stops {
    let after_assistant: Vec<String> = structure
        .gaps
        .iter()
        .filter(|(key, _)| key.prev == Some(Role::Assistant) && key.next.is_some())
        .map(|(_, pieces)| text_of(pieces))
        .collect();
    let mut stops = Stops::default();
    for text in &after_assistant {
        for token in special_tokens(text) {
            push(&mut stops.stop, token);
        }
    }
    push(&mut stops.stop, eos);
    for token in end_of_turn {
        push(&mut stops.stop, token);
    }
    if stops.stop.is_empty() {
        let word = after_assistant
            .iter()
            .flat_map(|text| text.lines())
            .map(str::trim)
            .find(|line| !line.is_empty());
        match word {
            Some(word) => {
                stops.warning = Some(format!(
                    "the template marks turns with plain text only: stopping at `{word}`, which may also occur in normal output"
                ));
                stops.stop.push(word.to_owned());
            }
            None => {
                stops.warning = Some(
                    "the template marks no end of turn and the GGUF names no EOS token: the model may not stop"
                        .to_owned(),
                );
            }
        }
    }
    stops
}

fn push(list: &mut Vec<String>, token: &str) {
    if !token.is_empty() && !list.iter().any(|t| t == token) {
        list.push(token.to_owned());
    }
}

fn text_of(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .filter_map(|piece| match piece {
            Piece::Text(text) => Some(text.as_str()),
            Piece::CurrentDate => None,
        })
        .collect()
}

/// Substrings that look like special tokens: `<...>` without whitespace inside (`<|im_end|>`,
/// `</s>`, `<end_of_turn>`, `<｜end▁of▁sentence｜>`) and `[...]` of capitals (`[INST]`).
fn special_tokens(text: &str) -> Vec<&str> {
    const MAX_TOKEN: usize = 64;
    let mut found = Vec::new();
    for (start, open) in text.char_indices() {
        let close = match open {
            '<' => '>',
            '[' => ']',
            _ => continue,
        };
        let rest = &text[start + 1..];
        let Some(end) = rest.find(close) else {
            continue;
        };
        let inner = &rest[..end];
        let plausible = match open {
            '<' => {
                !inner.is_empty()
                    && inner.len() <= MAX_TOKEN
                    && !inner.contains(|c: char| c.is_whitespace() || c == '<')
            }
            _ => {
                inner.len() >= 2
                    && inner.len() <= MAX_TOKEN
                    && inner
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c == '_' || c == '/')
            }
        };
        if plausible {
            found.push(&text[start..start + 1 + end + 1]);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_special_tokens_not_words() {
        assert_eq!(
            special_tokens("<|im_end|>\n<|im_start|>user\n"),
            ["<|im_end|>", "<|im_start|>"]
        );
        assert_eq!(special_tokens("</s>[INST] a < b [x]"), ["</s>", "[INST]"]);
        assert!(special_tokens("\n\nUser: ").is_empty());
    }
}
