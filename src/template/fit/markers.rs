//! Finding the markers a rendered prompt contains.
//!
//! Templates build markers by concatenation (`'<|' + role + '|>'`), so markers are looked for
//! in what the template rendered, never in its source text.

use std::collections::BTreeSet;

/// The longest marker body looked for between `<|` and `|>`: real ones are short
/// (`<|start_header_id|>`, `<｜tool▁calls▁begin｜>`).
const MAX_MARKER_CHARS: usize = 64;

/// Tags some vocabularies hold as tokens and others read as plain text (Mistral v0.1's
/// `[INST]` is text, Mistral v3's a control token): a warning when they are not tokens.
pub const SOFT_TAGS: &[&str] = &[
    "[INST]",
    "[/INST]",
    "[SYSTEM_PROMPT]",
    "[/SYSTEM_PROMPT]",
    "[AVAILABLE_TOOLS]",
    "[/AVAILABLE_TOOLS]",
    "[TOOL_CALLS]",
    "[TOOL_RESULTS]",
    "[/TOOL_RESULTS]",
    "<tool_call>",
    "</tool_call>",
    "<think>",
    "</think>",
];

/// Every `<|...|>` and `<｜...｜>` marker in `text`, added to `out`.
pub fn bar_markers(text: &str, out: &mut BTreeSet<String>) {
    for (open, close) in [("<|", "|>"), ("<｜", "｜>")] {
        let mut rest = text;
        // `split_once` and `split_at_checked` keep every cut on a character boundary.
        while let Some((_, after)) = rest.split_once(open) {
            let found = marker_body(after, close)
                .and_then(|len| after.split_at_checked(len))
                .and_then(|(body, tail)| Some((body, tail.strip_prefix(close)?)));
            match found {
                Some((body, tail)) => {
                    out.insert(format!("{open}{body}{close}"));
                    rest = tail;
                }
                None => rest = after,
            }
        }
    }
}

/// The byte length of a marker body at the start of `text` that ends with `close`: no
/// whitespace, no bracket or bar inside, at most [`MAX_MARKER_CHARS`] characters.
fn marker_body(text: &str, close: &str) -> Option<usize> {
    for (count, (at, c)) in text.char_indices().enumerate() {
        if count > MAX_MARKER_CHARS {
            return None;
        }
        if text.get(at..).is_some_and(|rest| rest.starts_with(close)) {
            return (at > 0).then_some(at);
        }
        if c.is_whitespace() || matches!(c, '<' | '>' | '|' | '｜') {
            return None;
        }
    }
    None
}

/// Whether `text` as a whole looks like a marker (`<|eot_id|>`, `<｜end▁of▁sentence｜>`).
pub fn is_bar_marker(text: &str) -> bool {
    let mut found = BTreeSet::new();
    bar_markers(text, &mut found);
    found.len() == 1 && found.contains(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markers(text: &str) -> Vec<String> {
        let mut out = BTreeSet::new();
        bar_markers(text, &mut out);
        out.into_iter().collect()
    }

    #[test]
    fn finds_ascii_and_fullwidth_markers() {
        assert_eq!(
            markers("<|im_start|>user\nhi<|im_end|>\n<｜User｜>x<｜end▁of▁sentence｜>"),
            [
                "<|im_end|>",
                "<|im_start|>",
                "<｜User｜>",
                "<｜end▁of▁sentence｜>"
            ]
        );
    }

    #[test]
    fn ignores_text_that_only_resembles_a_marker() {
        assert!(markers("a <| b |> c, x || y, <||>, {{ .Content }}").is_empty());
        assert!(markers(&format!("<|{}|>", "x".repeat(100))).is_empty());
    }

    #[test]
    fn whole_markers() {
        assert!(is_bar_marker("<|eot_id|>"));
        assert!(!is_bar_marker("<|eot_id|>\n"));
        assert!(!is_bar_marker("[INST]"));
    }
}
