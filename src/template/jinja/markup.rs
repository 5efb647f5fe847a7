//! Jinja2's `Markup` arithmetic: `"<b>"|safe + text` is a `Markup`, and adding a plain string
//! to a `Markup` HTML-escapes the plain string first (`"` becomes `&#34;`). Some templates
//! build their tool lists this way (functionary v3.1). minijinja's `+` has no such rule, so
//! `{{ ... }}` expressions that add strings to a `|safe` operand are rewritten before parsing:
//! every other operand of that sum is passed through a filter that escapes as `markupsafe`
//! does. Only flat sums (`a + b + c` with no other operator at the top level) are rewritten.

use std::borrow::Cow;

use minijinja::machinery::{Span, Token, WhitespaceConfig, tokenize};
use minijinja::syntax::SyntaxConfig;

/// The filter the rewritten operands go through.
pub const MARKUP_ESCAPE_FILTER: &str = "__markup_escape";

/// Rewrites sums with a `|safe` operand; other text is left as it is.
pub fn rewrite(source: &str) -> Cow<'_, str> {
    if !source.contains("safe") {
        return Cow::Borrowed(source);
    }
    let whitespace = WhitespaceConfig {
        keep_trailing_newline: false,
        lstrip_blocks: true,
        trim_blocks: true,
    };
    // Tokenising errors are reported by the parser later, with their position.
    let Ok(tokens) =
        tokenize(source, false, SyntaxConfig, whitespace).collect::<Result<Vec<_>, _>>()
    else {
        return Cow::Borrowed(source);
    };
    let mut edits = Vec::new();
    let mut start = None;
    for (i, (token, _)) in tokens.iter().enumerate() {
        match token {
            Token::VariableStart => start = Some(i + 1),
            Token::VariableEnd => {
                if let Some(first) = start.take() {
                    edit_sum(&tokens[first..i], source, &mut edits);
                }
            }
            _ => {}
        }
    }
    if edits.is_empty() {
        return Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len() + edits.len() * 24);
    let mut copied = 0;
    for (from, to, replacement) in edits {
        out.push_str(&source[copied..from]);
        out.push_str(&replacement);
        copied = to;
    }
    out.push_str(&source[copied..]);
    Cow::Owned(out)
}

/// Splits a flat sum into its operands and records the escaping of the plain ones.
fn edit_sum(expr: &[(Token<'_>, Span)], source: &str, edits: &mut Vec<(usize, usize, String)>) {
    let mut depth = 0usize;
    let mut operands = Vec::new();
    let mut first = 0;
    for (i, (token, _)) in expr.iter().enumerate() {
        match token {
            Token::ParenOpen | Token::BracketOpen | Token::BraceOpen => depth += 1,
            Token::ParenClose | Token::BracketClose | Token::BraceClose => {
                depth = depth.saturating_sub(1)
            }
            Token::Plus if depth == 0 => {
                operands.push(&expr[first..i]);
                first = i + 1;
            }
            Token::Ident("if" | "else" | "and" | "or" | "not" | "in" | "is") if depth == 0 => {
                return;
            }
            Token::Minus
            | Token::Mul
            | Token::Div
            | Token::FloorDiv
            | Token::Pow
            | Token::Mod
            | Token::Tilde
            | Token::Eq
            | Token::Ne
            | Token::Gt
            | Token::Gte
            | Token::Lt
            | Token::Lte
                if depth == 0 =>
            {
                return;
            }
            _ => {}
        }
    }
    operands.push(&expr[first..]);
    if operands.len() < 2 || !operands.iter().any(|op| is_safe(op)) {
        return;
    }
    for operand in operands {
        if is_safe(operand) {
            continue;
        }
        let (Some((_, head)), Some((_, tail))) = (operand.first(), operand.last()) else {
            continue;
        };
        let (from, to) = (head.start_offset as usize, tail.end_offset as usize);
        if let Some(text) = source.get(from..to) {
            edits.push((from, to, format!("({text})|{MARKUP_ESCAPE_FILTER}")));
        }
    }
}

/// Whether an operand ends in `|safe` (or `|safe()`).
fn is_safe(operand: &[(Token<'_>, Span)]) -> bool {
    let tokens: Vec<&Token<'_>> = operand.iter().map(|(t, _)| t).collect();
    matches!(
        tokens.as_slice(),
        [.., Token::Pipe, Token::Ident("safe")]
            | [
                ..,
                Token::Pipe,
                Token::Ident("safe"),
                Token::ParenOpen,
                Token::ParenClose
            ]
    )
}

/// `markupsafe.escape(str(value))`; values already marked safe pass unchanged.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_plain_operands_of_a_safe_sum() {
        assert_eq!(
            rewrite("{{ \"a'\"|safe + t.name + 'b'|safe + t | tojson() }}{{ x + y }}"),
            "{{ \"a'\"|safe + (t.name)|__markup_escape + 'b'|safe + (t | tojson())|__markup_escape }}{{ x + y }}"
        );
        assert_eq!(rewrite("{{ 'a'|safe ~ x }}"), "{{ 'a'|safe ~ x }}");
        assert_eq!(escape("<\"'&>"), "&lt;&#34;&#39;&amp;&gt;");
    }
}
