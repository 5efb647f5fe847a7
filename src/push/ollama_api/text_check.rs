//! Verify checks that compare a text that was meant with the text a registry holds, showing
//! both sides and the first differing byte when they differ. Shared by the ollama,
//! modelscope and huggingface backends.

use crate::push::Check;

/// How much of each side a mismatch shows around the first difference.
const CONTEXT: usize = 40;

/// The byte offset where `a` and `b` first differ, `None` when equal.
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    if a == b {
        return None;
    }
    Some(
        a.iter()
            .zip(b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len())),
    )
}

fn excerpt(text: &str, at: usize) -> String {
    let mut start = at.saturating_sub(CONTEXT);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + CONTEXT).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    format!("{:?}", &text[start..end])
}

/// A check named `name` comparing `expected` with `actual`.
pub fn text_check(name: impl Into<String>, expected: &str, actual: &str) -> Check {
    match first_difference(expected.as_bytes(), actual.as_bytes()) {
        None => Check {
            name: name.into(),
            ok: true,
            detail: format!("{} bytes match", expected.len()),
        },
        Some(at) => Check {
            name: name.into(),
            ok: false,
            detail: format!(
                "first difference at byte {at}\n  expected: {}\n  registry: {}",
                excerpt(expected, at),
                excerpt(actual, at)
            ),
        },
    }
}

/// A check that passed with a note, or failed with one.
pub fn check(name: impl Into<String>, ok: bool, detail: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        ok,
        detail: detail.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_both_sides_at_the_first_difference() {
        let check = text_check(
            "template",
            "{{ .Prompt }}<|im_end|>",
            "{{ .Prompt }}<|end|>",
        );
        assert!(!check.ok);
        assert!(
            check.detail.starts_with("first difference at byte 15"),
            "{}",
            check.detail
        );
        assert!(
            check.detail.contains("registry: \"{{ .Prompt }}<|end|>\""),
            "{}",
            check.detail
        );
        assert!(text_check("x", "a", "a").ok);
        assert_eq!(first_difference(b"ab", b"abc"), Some(2));
    }
}
