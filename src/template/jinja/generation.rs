//! `{% generation %}...{% endgeneration %}`: transformers' tag marking assistant text for
//! training masks. For rendering it is a call block whose body prints unchanged (its own
//! scope included), and minijinja has no custom tags, so the source is rewritten before
//! parsing: `{% generation %}` becomes `{% call __generation() %}` and `{% endgeneration %}`
//! becomes `{% endcall %}`, keeping whitespace-control markers and line numbers.

/// The global the rewritten call blocks invoke; it returns what its `caller` renders.
pub const GENERATION_FUNCTION: &str = "__generation";

/// Rewrites every `generation`/`endgeneration` block tag; other text is left as it is.
pub fn rewrite(source: &str) -> std::borrow::Cow<'_, str> {
    if !source.contains("generation") {
        return std::borrow::Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len() + 64);
    let mut rest = source;
    while let Some(start) = rest.find("{%") {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        // The closing `%}` is searched after the opening `{%`: in `{%}` they overlap.
        match tag
            .get(2..)
            .and_then(|inner| inner.find("%}"))
            .map(|end| end + 2)
        {
            Some(end) => {
                let inner = &tag[2..end];
                let (open, body, close) = split_markers(inner);
                match body.trim() {
                    "generation" => {
                        out.push_str(&format!(
                            "{{%{open} call {GENERATION_FUNCTION}() {close}%}}"
                        ));
                    }
                    "endgeneration" => out.push_str(&format!("{{%{open} endcall {close}%}}")),
                    _ => out.push_str(&tag[..end + 2]),
                }
                rest = &tag[end + 2..];
            }
            None => {
                out.push_str(tag);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Splits `-`/`+` whitespace markers off both ends of a tag's inside.
fn split_markers(inner: &str) -> (&str, &str, &str) {
    let open = if inner.starts_with(['-', '+']) {
        &inner[..1]
    } else {
        ""
    };
    let inner = &inner[open.len()..];
    let close = if inner.ends_with(['-', '+']) {
        &inner[inner.len() - 1..]
    } else {
        ""
    };
    (open, &inner[..inner.len() - close.len()], close)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_tags_and_keeps_markers() {
        let source = "{%- generation -%}x{% endgeneration %}{% if a %}{% endif %}";
        assert_eq!(
            rewrite(source),
            "{%- call __generation() -%}x{% endcall %}{% if a %}{% endif %}"
        );
    }

    #[test]
    fn overlapping_delimiters_are_left_alone() {
        assert_eq!(rewrite("generation {%}"), "generation {%}");
        assert_eq!(
            rewrite("{%}{% generation %}x{% endgeneration %}"),
            "{%}{% generation %}x{% endcall %}"
        );
    }
}
