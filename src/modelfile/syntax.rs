//! The Modelfile grammar exactly as Ollama reads it (v0.33): commands, values, quoting,
//! comments and which characters survive. This layer yields raw commands in file order;
//! [`super::Modelfile`] gives them types.
//!
//! The rules, from Ollama's reference behaviour:
//! - `#` starts a comment only where a command could start; elsewhere it is text.
//! - A command is `[A-Za-z]+` (any case) followed by a space or tab.
//! - `PARAMETER` is followed by a name `[A-Za-z0-9_]*` and a space or tab; `MESSAGE` by a
//!   role (`system`, `user`, `assistant`, lower-case) and a space or tab.
//! - A value never ends at a space. At a CR or LF it ends only if the value so far, trimmed,
//!   "unquotes": it starts and ends with `"""` (at least 6 characters), or starts and ends
//!   with `"`, or does not start with `"`. Otherwise the line break becomes part of the value.
//!   There are no escapes.
//! - Only printable characters are kept (plus spaces, tabs, and line breaks inside a value).

use std::borrow::Cow;

use super::error::{ModelfileError, ModelfileErrorKind, Position};
use super::printable::is_print;

/// The largest Modelfile we read (licenses can be long; nothing legitimate comes near this).
pub const MAX_MODELFILE_BYTES: usize = 16 * 1024 * 1024;

/// A `MESSAGE` role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    /// `system`
    System,
    /// `user`
    User,
    /// `assistant`
    Assistant,
}

impl MessageRole {
    /// The role as written (lower-case; Ollama accepts no other spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            MessageRole::System => "system",
            MessageRole::User => "user",
            MessageRole::Assistant => "assistant",
        }
    }

    /// Reads a role the way Ollama does: exact, lower-case.
    pub fn from_exact(s: &str) -> Option<MessageRole> {
        match s {
            "system" => Some(MessageRole::System),
            "user" => Some(MessageRole::User),
            "assistant" => Some(MessageRole::Assistant),
            _ => None,
        }
    }
}

/// Which command a line holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instruction {
    /// `FROM`: a model path, directory, name or `hf.co/...` reference; may repeat.
    From,
    /// `ADAPTER`: a LoRA adapter.
    Adapter,
    /// `DRAFT`: a draft model for speculative decoding (v0.23+).
    Draft,
    /// `TEMPLATE`: the Go chat template.
    Template,
    /// `SYSTEM`: the default system prompt.
    System,
    /// `LICENSE`: one license text; repeats into a list.
    License,
    /// `RENDERER` (v0.12+).
    Renderer,
    /// `PARSER` (v0.12+).
    Parser,
    /// `REQUIRES`: the minimum Ollama version (v0.14+).
    Requires,
    /// `PARAMETER name`: the name as written (not yet checked against known names).
    Parameter(String),
    /// `MESSAGE role`.
    Message(MessageRole),
}

impl Instruction {
    /// The command keyword, upper-case, as the writer spells it.
    pub fn keyword(&self) -> &'static str {
        match self {
            Instruction::From => "FROM",
            Instruction::Adapter => "ADAPTER",
            Instruction::Draft => "DRAFT",
            Instruction::Template => "TEMPLATE",
            Instruction::System => "SYSTEM",
            Instruction::License => "LICENSE",
            Instruction::Renderer => "RENDERER",
            Instruction::Parser => "PARSER",
            Instruction::Requires => "REQUIRES",
            Instruction::Parameter(_) => "PARAMETER",
            Instruction::Message(_) => "MESSAGE",
        }
    }
}

/// One command as Ollama's parser yields it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The command.
    pub instruction: Instruction,
    /// The value, unquoted, with dropped characters removed.
    pub value: String,
    /// Where the command starts.
    pub position: Position,
}

/// Decodes a Modelfile as Ollama does: a UTF-8 or UTF-16 (LE/BE) byte order mark selects the
/// encoding and is dropped; otherwise UTF-8, with invalid bytes read as U+FFFD.
pub fn decode(input: &[u8]) -> Cow<'_, str> {
    let utf16 = |bytes: &[u8], word: fn([u8; 2]) -> u16| {
        let units = bytes.chunks(2).map(|pair| match pair {
            [a, b] => word([*a, *b]),
            _ => 0xFFFD,
        });
        Cow::Owned(
            char::decode_utf16(units)
                .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect(),
        )
    };
    match input {
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        _ => String::from_utf8_lossy(input),
    }
}

/// The value between the quotes, if the trimmed text is complete: `"""…"""` (6 or more
/// characters), `"…"`, or unquoted. `None` means the value goes on past the line break.
pub fn unquote(trimmed: &str) -> Option<&str> {
    if let Some(rest) = trimmed.strip_prefix("\"\"\"") {
        return (trimmed.len() >= 6 && trimmed.ends_with("\"\"\""))
            .then(|| &rest[..rest.len() - 3]);
    }
    if let Some(rest) = trimmed.strip_prefix('"') {
        return (trimmed.len() >= 2 && trimmed.ends_with('"')).then(|| &rest[..rest.len() - 1]);
    }
    Some(trimmed)
}

/// Trims what Go's `strings.TrimSpace` trims from a value buffer (which by then holds only
/// printable characters, spaces, tabs and line breaks).
pub(crate) fn trim_value(buf: &str) -> &str {
    buf.trim_matches([' ', '\t', '\r', '\n'])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between commands: whitespace, a comment, or a command name may follow.
    Start,
    Comment,
    Name,
    ParameterName,
    Role,
    Value,
}

/// Parses a Modelfile into commands, in file order, failing like Ollama's parser does.
pub fn parse_commands(input: &[u8]) -> Result<Vec<Command>, ModelfileError> {
    if input.len() > MAX_MODELFILE_BYTES {
        return Err(ModelfileError {
            position: Position::default(),
            kind: ModelfileErrorKind::TooLarge {
                size: input.len(),
                max: MAX_MODELFILE_BYTES,
            },
        });
    }
    let text = decode(input);
    let fail = |position, kind| Err(ModelfileError { position, kind });

    let mut commands = Vec::new();
    let mut state = State::Start;
    let mut buf = String::new();
    let mut instruction: Option<Instruction> = None;
    let mut start = Position { line: 1, column: 1 };
    let mut value_start = start;
    let mut pos = start;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let here = pos;
        match c {
            '\n' => {
                pos = Position {
                    line: pos.line + 1,
                    column: 1,
                }
            }
            '\r' if chars.peek() != Some(&'\n') => {
                pos = Position {
                    line: pos.line + 1,
                    column: 1,
                }
            }
            _ => pos.column += 1,
        }
        match state {
            State::Start => match c {
                '#' => state = State::Comment,
                ' ' | '\t' | '\r' | '\n' => {}
                _ => {
                    // A non-printable first character is dropped but still starts a name.
                    state = State::Name;
                    start = here;
                    buf.clear();
                    if is_print(c) {
                        buf.push(c);
                    }
                }
            },
            State::Comment => {
                if matches!(c, '\r' | '\n') {
                    state = State::Start;
                }
            }
            State::Name => match c {
                'a'..='z' | 'A'..='Z' => buf.push(c),
                ' ' | '\t' => {
                    state = match buf.to_ascii_lowercase().as_str() {
                        "parameter" => State::ParameterName,
                        "message" => State::Role,
                        word => {
                            let Some(found) = simple_instruction(word) else {
                                return fail(
                                    start,
                                    ModelfileErrorKind::InvalidCommand { found: buf },
                                );
                            };
                            instruction = Some(found);
                            State::Value
                        }
                    };
                    buf.clear();
                }
                _ => {
                    if !matches!(c, '\r' | '\n') {
                        buf.push(c);
                    }
                    return fail(start, ModelfileErrorKind::InvalidCommand { found: buf });
                }
            },
            State::ParameterName => match c {
                'a'..='z' | 'A'..='Z' | '0'..='9' | '_' => buf.push(c),
                ' ' | '\t' => {
                    instruction = Some(Instruction::Parameter(std::mem::take(&mut buf)));
                    state = State::Value;
                }
                _ => {
                    return fail(
                        here,
                        ModelfileErrorKind::InvalidParameterName {
                            name: buf,
                            found: c,
                        },
                    );
                }
            },
            State::Role => match c {
                'a'..='z' | 'A'..='Z' => buf.push(c),
                ' ' | '\t' => {
                    let Some(role) = MessageRole::from_exact(&buf) else {
                        return fail(start, ModelfileErrorKind::InvalidMessageRole { found: buf });
                    };
                    instruction = Some(Instruction::Message(role));
                    buf.clear();
                    state = State::Value;
                }
                _ => {
                    if !matches!(c, '\r' | '\n') {
                        buf.push(c);
                    }
                    return fail(start, ModelfileErrorKind::InvalidMessageRole { found: buf });
                }
            },
            State::Value => match c {
                ' ' | '\t' => buf.push(c),
                '\r' | '\n' => match (unquote(trim_value(&buf)), instruction.take()) {
                    (Some(value), Some(instruction)) => {
                        commands.push(Command {
                            instruction,
                            value: value.to_owned(),
                            position: start,
                        });
                        buf.clear();
                        state = State::Start;
                    }
                    (_, taken) => {
                        instruction = taken;
                        buf.push(c);
                    }
                },
                _ => {
                    if trim_value(&buf).is_empty() {
                        value_start = here;
                    }
                    if is_print(c) {
                        buf.push(c);
                    }
                }
            },
        }
    }

    match state {
        State::Start | State::Comment => {}
        State::Value => {
            let trimmed = trim_value(&buf);
            match (unquote(trimmed), instruction) {
                (Some(value), Some(instruction)) => commands.push(Command {
                    instruction,
                    value: value.to_owned(),
                    position: start,
                }),
                _ => {
                    let quote = if trimmed.starts_with("\"\"\"") {
                        "\"\"\""
                    } else {
                        "\""
                    };
                    return fail(value_start, ModelfileErrorKind::UnterminatedValue { quote });
                }
            }
        }
        State::Name | State::ParameterName | State::Role => {
            return fail(start, ModelfileErrorKind::UnexpectedEof);
        }
    }

    if !commands.iter().any(|c| c.instruction == Instruction::From) {
        return fail(Position::default(), ModelfileErrorKind::NoFrom);
    }
    Ok(commands)
}

fn simple_instruction(lowercase: &str) -> Option<Instruction> {
    Some(match lowercase {
        "from" => Instruction::From,
        "adapter" => Instruction::Adapter,
        "draft" => Instruction::Draft,
        "template" => Instruction::Template,
        "system" => Instruction::System,
        "license" => Instruction::License,
        "renderer" => Instruction::Renderer,
        "parser" => Instruction::Parser,
        "requires" => Instruction::Requires,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, String)> {
        parse_commands(text.as_bytes())
            .unwrap()
            .into_iter()
            .map(|c| {
                let name = match &c.instruction {
                    Instruction::Parameter(n) => format!("PARAMETER {n}"),
                    Instruction::Message(r) => format!("MESSAGE {}", r.as_str()),
                    i => i.keyword().to_owned(),
                };
                (name, c.value)
            })
            .collect()
    }

    fn kind(text: &str) -> ModelfileErrorKind {
        parse_commands(text.as_bytes()).unwrap_err().kind
    }

    #[test]
    fn unquote_rules() {
        assert_eq!(unquote("\"\"\"a\"\"\""), Some("a"));
        assert_eq!(unquote("\"\"\"\"\"\""), Some(""));
        assert_eq!(unquote("\"\"\"\"\""), None);
        assert_eq!(unquote("\"a\""), Some("a"));
        assert_eq!(unquote("\""), None);
        assert_eq!(unquote("a\""), Some("a\""));
        assert_eq!(unquote(""), Some(""));
    }

    #[test]
    fn commands_are_case_insensitive_and_comments_start_lines() {
        let got =
            values("# c\nfrom x\n  # also a comment\nPaRaMeTeR temperature 0.7 # not a comment\n");
        assert_eq!(
            got,
            vec![
                ("FROM".into(), "x".into()),
                ("PARAMETER temperature".into(), "0.7 # not a comment".into()),
            ]
        );
    }

    #[test]
    fn spaces_never_end_a_value() {
        assert_eq!(values("FROM  a b \t\n")[0].1, "a b");
    }

    #[test]
    fn quoted_values_span_lines_and_keep_crlf() {
        let got = values("FROM x\r\nSYSTEM \"\"\"one\r\ntwo\"\"\"\r\n");
        assert_eq!(got[1].1, "one\r\ntwo");
        let got = values("FROM x\nSYSTEM \"a\nb\" c\"\n");
        assert_eq!(got[1].1, "a\nb\" c");
    }

    #[test]
    fn triple_quote_at_line_end_closes_early() {
        // Meant as one value, read as a SYSTEM and a PARAMETER.
        let got = values("FROM x\nSYSTEM \"\"\"a\nb\"\"\"\nPARAMETER stop x\"\"\"\n");
        assert_eq!(got[1].1, "a\nb");
        assert_eq!(got[2], ("PARAMETER stop".into(), "x\"\"\"".into()));
        // The leftover line is then read as a command.
        assert!(parse_commands(b"FROM x\nSYSTEM \"\"\"a \"\"\"\nb c\"\"\"\n").is_err());
        // A `"""` inside a line is literal.
        assert_eq!(
            values("FROM x\nSYSTEM \"\"\"a \"\"\" b\nc\"\"\"\n")[1].1,
            "a \"\"\" b\nc"
        );
    }

    #[test]
    fn drops_non_printable() {
        let got = values("FROM x\nSYSTEM a\u{0}b\u{a0}c\u{200b}d\te\n");
        assert_eq!(got[1].1, "abcd\te");
        // A dropped first character still starts the command name.
        assert_eq!(values("\u{a0}FROM x\n")[0].1, "x");
    }

    #[test]
    fn errors_like_ollama() {
        let err = parse_commands(b"FROM x\nFORM y\n").unwrap_err();
        assert_eq!(err.position.line, 2);
        assert!(
            err.to_string()
                .starts_with("(line 2): command must be one of \"from\", \"license\", "),
            "{err}"
        );
        assert!(err.to_string().contains("did you mean `FROM`"), "{err}");
        assert!(matches!(
            kind("FROM\n"),
            ModelfileErrorKind::InvalidCommand { .. }
        ));
        assert!(matches!(
            kind("FROM x\nMESSAGE User hi\n"),
            ModelfileErrorKind::InvalidMessageRole { .. }
        ));
        assert!(matches!(
            kind("FROM x\nPARAMETER top-p 1\n"),
            ModelfileErrorKind::InvalidParameterName { .. }
        ));
        assert!(matches!(
            kind("FROM x\nSYSTEM \"open\n"),
            ModelfileErrorKind::UnterminatedValue { quote: "\"" }
        ));
        assert!(matches!(
            kind("FROM x\nSYSTEM \"\"\"\n"),
            ModelfileErrorKind::UnterminatedValue { quote: "\"\"\"" }
        ));
        assert_eq!(kind("SYSTEM x\n"), ModelfileErrorKind::NoFrom);
        assert_eq!(kind("FROM x\nSYSTEM"), ModelfileErrorKind::UnexpectedEof);
    }

    #[test]
    fn boms_are_accepted() {
        assert_eq!(values("\u{feff}FROM x")[0].1, "x");
        let utf16le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("FROM é\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(parse_commands(&utf16le).unwrap()[0].value, "é");
        let utf16be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("FROM é\n".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(parse_commands(&utf16be).unwrap()[0].value, "é");
    }
}
