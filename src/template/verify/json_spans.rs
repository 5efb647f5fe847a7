//! Comparing two renderings whose JSON may be formatted differently.
//!
//! Jinja templates print tool definitions and call arguments with Python's `json.dumps`
//! (`", "`/`": "` separators, the caller's key order); Ollama's `json` and its tool types print
//! compact Go JSON in Go struct order. The texts cannot agree byte for byte, but they can agree
//! on everything else. So the two renderings are walked side by side: wherever both continue
//! with a JSON object, array or string at the same point, the two values are parsed and
//! compared as values (object keys in any order, numbers as numbers, strings unescaped);
//! every other byte must be equal.

use serde_json::Value;

/// How two renderings compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Equivalence {
    /// Byte for byte the same.
    Identical,
    /// The same once each JSON object, array or string is compared as a value; at least one of
    /// them is formatted differently.
    JsonFormatting,
    /// Different; the byte offsets in the Jinja and the Go rendering where they part.
    Differs {
        /// Offset in the Jinja rendering.
        jinja: usize,
        /// Offset in the Go rendering.
        go: usize,
    },
}

/// Compares `jinja` with `go`, JSON spans as values.
pub fn compare(jinja: &str, go: &str) -> Equivalence {
    if jinja == go {
        return Equivalence::Identical;
    }
    let (mut i, mut j) = (0, 0);
    let mut reformatted = false;
    while i < jinja.len() || j < go.len() {
        let (a, b) = (&jinja[i..], &go[j..]);
        if let Some((len_a, len_b, same_text)) = json_span(a, b) {
            reformatted |= !same_text;
            i += len_a;
            j += len_b;
            continue;
        }
        match (a.chars().next(), b.chars().next()) {
            (Some(x), Some(y)) if x == y => {
                i += x.len_utf8();
                j += y.len_utf8();
            }
            _ => return Equivalence::Differs { jinja: i, go: j },
        }
    }
    if reformatted {
        Equivalence::JsonFormatting
    } else {
        Equivalence::Identical
    }
}

/// When both texts start with the same JSON value (an object, an array or a string), the
/// lengths of the two spans and whether their texts are identical.
fn json_span(a: &str, b: &str) -> Option<(usize, usize, bool)> {
    let open = a.as_bytes().first()?;
    if !matches!(open, b'{' | b'[' | b'"') || b.as_bytes().first() != Some(open) {
        return None;
    }
    let (value_a, len_a) = leading_value(a)?;
    let (value_b, len_b) = leading_value(b)?;
    (value_a == value_b).then(|| (len_a, len_b, a[..len_a] == b[..len_b]))
}

/// The JSON value at the start of `text` and its length, when `text` starts with one.
fn leading_value(text: &str) -> Option<(Value, usize)> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let value = stream.next()?.ok()?;
    Some((value, stream.byte_offset()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_formatting_and_key_order_are_equivalent() {
        let jinja = "<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"f\", \"required\": [\"a\"]}}\n</tools>";
        let go = "<tools>\n{\"function\":{\"required\":[\"a\"],\"name\":\"f\"},\"type\":\"function\"}\n</tools>";
        assert_eq!(compare(jinja, go), Equivalence::JsonFormatting);
        assert_eq!(compare(jinja, jinja), Equivalence::Identical);
    }

    #[test]
    fn text_outside_json_and_json_values_must_agree() {
        let jinja = "<t>{\"a\": 1}</t>";
        assert_eq!(
            compare(jinja, "<t>{\"a\":1}</T>"),
            Equivalence::Differs { jinja: 13, go: 12 }
        );
        assert_eq!(
            compare(jinja, "<t>{\"a\":2}</t>"),
            Equivalence::Differs { jinja: 8, go: 8 }
        );
        assert_eq!(
            compare(jinja, "<t>{\"a\":1}"),
            Equivalence::Differs { jinja: 11, go: 10 }
        );
        // Strings are compared unescaped: Go escapes `<` as `\u003c`, Python does not.
        assert_eq!(
            compare("{\"d\": \"<b>\"}", "{\"d\":\"\\u003cb\\u003e\"}"),
            Equivalence::JsonFormatting
        );
    }

    #[test]
    fn braces_that_are_not_json_are_compared_as_text() {
        assert_eq!(
            compare("{x} {\"a\": 1}", "{x} {\"a\":1}"),
            Equivalence::JsonFormatting
        );
        assert_eq!(
            compare("{x}", "{y}"),
            Equivalence::Differs { jinja: 1, go: 1 }
        );
    }
}
