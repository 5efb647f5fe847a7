//! Which characters survive Ollama's Modelfile parser.
//!
//! Ollama keeps a character only if Go's `strconv.IsPrint` accepts it: letters, marks,
//! numbers, punctuation, symbols, and the ASCII space. Tab, CR and LF also survive inside a
//! value. Everything else (control characters, NBSP and other spaces, zero-width and format
//! characters, private-use and unassigned code points) is dropped silently.
//!
//! The tables are Unicode 16 (from `unicode-general-category`); Go ships its own Unicode
//! version, so a character assigned in a very recent Unicode version may be printable here
//! and dropped by an Ollama built with older tables.

use unicode_general_category::{GeneralCategory as G, get_general_category};

/// Whether Go's `strconv.IsPrint` accepts `c`.
pub fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !matches!(
        get_general_category(c),
        G::Control
            | G::Format
            | G::Surrogate
            | G::PrivateUse
            | G::Unassigned
            | G::SpaceSeparator
            | G::LineSeparator
            | G::ParagraphSeparator
    )
}

/// Whether `c` survives inside a Modelfile value: printable, or tab, CR or LF.
pub fn survives_in_value(c: char) -> bool {
    matches!(c, '\t' | '\r' | '\n') || is_print(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_go_is_print() {
        for c in [
            'a', 'Z', '0', '"', '#', ' ', 'é', '中', '😀', '\u{0301}', '€',
        ] {
            assert!(is_print(c), "{c:?}");
        }
        for c in [
            '\0',
            '\u{7}',
            '\t',
            '\n',
            '\r',
            '\u{7f}',
            '\u{85}',
            '\u{a0}',
            '\u{ad}',
            '\u{200b}',
            '\u{200d}',
            '\u{2028}',
            '\u{3000}',
            '\u{feff}',
            '\u{e000}',
            '\u{10ffff}',
        ] {
            assert!(!is_print(c), "{c:?}");
        }
    }
}
