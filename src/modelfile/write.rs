//! Writes a [`Modelfile`] so that Ollama reads back exactly the same values, or refuses.
//!
//! LF line endings only; `TEMPLATE`, `SYSTEM`, `LICENSE` and `MESSAGE` always in `"""…"""`;
//! other values bare when that is exact, otherwise in `"""…"""`. Since Modelfiles have no
//! escapes, a value with a non-printable character (Ollama drops it) or, in a multi-line
//! value, a line ending in `"""` (it would close the value early) cannot be written: such a
//! value is refused with the reason. As a last guard the written text is parsed back and
//! compared.

use super::error::{Refusal, WriteError};
use super::model::Modelfile;
use super::printable::survives_in_value;
use super::syntax::trim_value;

/// How a value may be quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    /// One non-empty line (paths, names, versions): bare if exact, else `"""…"""`.
    SingleLine,
    /// Bare if exact, else `"""…"""` (may span lines).
    Plain,
    /// Always `"""…"""`.
    Triple,
}

impl Modelfile {
    /// The Modelfile text. See [`Modelfile::write_with_comments`].
    pub fn write(&self) -> Result<String, WriteError> {
        self.write_with_comments(&[])
    }

    /// The Modelfile text, opened by `#` comment lines (one per line of `comments`; a
    /// carriage return is refused because it would end the comment early).
    pub fn write_with_comments(&self, comments: &[&str]) -> Result<String, WriteError> {
        let mut out = String::new();
        for comment in comments {
            if comment.contains('\r') {
                return Err(WriteError {
                    field: "a comment".into(),
                    refusal: Refusal::CarriageReturnInComment,
                });
            }
            for line in comment.split('\n') {
                out.push_str(if line.is_empty() { "#" } else { "# " });
                out.push_str(line);
                out.push('\n');
            }
        }
        if self.from.is_empty() {
            return Err(WriteError {
                field: "FROM".into(),
                refusal: Refusal::NoFrom,
            });
        }
        let mut line = |keyword: &str, field: String, value: &str, quoting| {
            let encoded = encode(&field, value, quoting)?;
            out.push_str(keyword);
            out.push(' ');
            out.push_str(&encoded);
            out.push('\n');
            Ok::<_, WriteError>(())
        };
        for (i, from) in self.from.iter().enumerate() {
            line(
                "FROM",
                numbered("FROM", i, self.from.len()),
                from,
                Quoting::SingleLine,
            )?;
        }
        if let Some(adapter) = &self.adapter {
            line("ADAPTER", "ADAPTER".into(), adapter, Quoting::SingleLine)?;
        }
        for (i, draft) in self.draft.iter().enumerate() {
            line(
                "DRAFT",
                numbered("DRAFT", i, self.draft.len()),
                draft,
                Quoting::SingleLine,
            )?;
        }
        if let Some(template) = &self.template {
            line("TEMPLATE", "TEMPLATE".into(), template, Quoting::Triple)?;
        }
        if let Some(system) = &self.system {
            line("SYSTEM", "SYSTEM".into(), system, Quoting::Triple)?;
        }
        let mut stops = 0;
        let stop_count = self.parameters.stop().len();
        for (param, value) in self.parameters.lines() {
            let field = if param.is_repeatable() {
                stops += 1;
                numbered(&format!("PARAMETER {param}"), stops - 1, stop_count)
            } else {
                format!("PARAMETER {param}")
            };
            line(
                &format!("PARAMETER {param}"),
                field,
                &value.to_string(),
                Quoting::Plain,
            )?;
        }
        for (i, license) in self.license.iter().enumerate() {
            line(
                "LICENSE",
                numbered("LICENSE", i, self.license.len()),
                license,
                Quoting::Triple,
            )?;
        }
        for (i, message) in self.messages.iter().enumerate() {
            line(
                &format!("MESSAGE {}", message.role.as_str()),
                numbered("MESSAGE", i, self.messages.len()),
                &message.content,
                Quoting::Triple,
            )?;
        }
        for (keyword, value) in [
            ("RENDERER", &self.renderer),
            ("PARSER", &self.parser),
            ("REQUIRES", &self.requires),
        ] {
            if let Some(value) = value {
                line(keyword, keyword.into(), value, Quoting::SingleLine)?;
            }
        }

        let read_back = Modelfile::parse(out.as_bytes()).map_err(|e| WriteError {
            field: "the Modelfile".into(),
            refusal: Refusal::NotRoundTrip {
                expected: format!("{self:?}"),
                found: e.to_string(),
            },
        })?;
        if &read_back != self {
            return Err(WriteError {
                field: "the Modelfile".into(),
                refusal: Refusal::NotRoundTrip {
                    expected: format!("{self:?}"),
                    found: format!("{read_back:?}"),
                },
            });
        }
        Ok(out)
    }
}

fn numbered(name: &str, index: usize, count: usize) -> String {
    if count > 1 {
        format!("{name} #{}", index + 1)
    } else {
        name.to_owned()
    }
}

/// The value as it goes after the command, or why it cannot.
fn encode(field: &str, value: &str, quoting: Quoting) -> Result<String, WriteError> {
    let refuse = |refusal| {
        Err(WriteError {
            field: field.to_owned(),
            refusal,
        })
    };
    if let Some((offset, ch)) = value.char_indices().find(|(_, c)| !survives_in_value(*c)) {
        return refuse(Refusal::NonPrintable { ch, offset });
    }
    if quoting == Quoting::SingleLine {
        if value.is_empty() {
            return refuse(Refusal::Empty);
        }
        if let Some(offset) = value.find(['\r', '\n']) {
            return refuse(Refusal::LineBreak { offset });
        }
    }
    let bare_is_exact = !value.is_empty()
        && !value.starts_with('"')
        && !value.contains(['\r', '\n'])
        && trim_value(value) == value;
    if quoting != Quoting::Triple && bare_is_exact {
        return Ok(value.to_owned());
    }
    // At each line break the parser trims what it has read so far; if that ends with `"""`
    // the value closes there.
    let mut line = 1;
    let mut chars = value.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !matches!(c, '\r' | '\n') {
            continue;
        }
        if trim_value(&value[..i]).ends_with("\"\"\"") {
            return refuse(Refusal::TripleQuoteAtLineEnd { line });
        }
        if !(c == '\r' && chars.peek().is_some_and(|(_, next)| *next == '\n')) {
            line += 1;
        }
    }
    Ok(format!("\"\"\"{value}\"\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modelfile::{Message, MessageRole};
    use crate::ollama::{ParamValue, Parameter};

    fn base() -> Modelfile {
        Modelfile {
            from: vec!["./ruvltra-small-0.5b-q4_k_m.gguf".into()],
            ..Modelfile::default()
        }
    }

    #[test]
    fn writes_the_expected_text() {
        let mut m = base();
        m.template = Some("{{ .Prompt }}".into());
        m.system = Some("Be \"brief\".\nReally.".into());
        m.parameters
            .set(Parameter::Temperature, ParamValue::Float(0.7))
            .unwrap();
        m.parameters
            .set(Parameter::NumCtx, ParamValue::Int(4096))
            .unwrap();
        m.parameters
            .set(Parameter::Stop, ParamValue::Str("<|im_end|>".into()))
            .unwrap();
        m.parameters
            .set(Parameter::Stop, ParamValue::Str(" end ".into()))
            .unwrap();
        m.license = vec!["apache-2.0".into()];
        m.messages = vec![Message {
            role: MessageRole::User,
            content: "hi".into(),
        }];
        assert_eq!(
            m.write_with_comments(&["generated"]).unwrap(),
            "# generated\nFROM ./ruvltra-small-0.5b-q4_k_m.gguf\nTEMPLATE \"\"\"{{ .Prompt }}\"\"\"\nSYSTEM \"\"\"Be \"brief\".\nReally.\"\"\"\nPARAMETER temperature 0.7\nPARAMETER num_ctx 4096\nPARAMETER stop <|im_end|>\nPARAMETER stop \"\"\" end \"\"\"\nLICENSE \"\"\"apache-2.0\"\"\"\nMESSAGE user \"\"\"hi\"\"\"\n"
        );
    }

    #[test]
    fn refuses_what_cannot_round_trip() {
        let mut m = base();
        m.system = Some("a\"\"\"  \nb".into());
        let err = m.write().unwrap_err();
        assert_eq!(err.refusal, Refusal::TripleQuoteAtLineEnd { line: 1 });
        assert!(
            err.to_string()
                .starts_with("cannot write SYSTEM into a Modelfile: line 1 of the value ends with"),
            "{err}"
        );

        m.system = Some("bell\u{7}".into());
        assert_eq!(
            m.write().unwrap_err().refusal,
            Refusal::NonPrintable {
                ch: '\u{7}',
                offset: 4
            }
        );

        let mut m = base();
        m.from.push("a\nb".into());
        let err = m.write().unwrap_err();
        assert_eq!(err.field, "FROM #2");
        assert_eq!(err.refusal, Refusal::LineBreak { offset: 1 });

        assert_eq!(
            Modelfile::default().write().unwrap_err().refusal,
            Refusal::NoFrom
        );
        assert_eq!(
            base().write_with_comments(&["a\rb"]).unwrap_err().refusal,
            Refusal::CarriageReturnInComment
        );
    }

    #[test]
    fn single_line_triple_quotes_are_fine() {
        let mut m = base();
        m.system = Some("say \"\"\"hi\"\"\"".into());
        m.license = vec!["\"".into(), String::new(), "\"\"".into()];
        let text = m.write().unwrap();
        assert_eq!(Modelfile::parse(text.as_bytes()).unwrap(), m);
    }
}
