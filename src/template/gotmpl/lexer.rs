//! Splits template source into text and action tokens, with Go's rules for `{{-`/`-}}` trim
//! markers, comments, quoted strings and numbers.

use super::error::{GoTemplateError, Pos};

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// Plain text between actions (already trimmed by neighbouring trim markers).
    Text(String),
    /// `{{` (with or without a trim marker).
    LeftDelim,
    /// `}}` (with or without a trim marker).
    RightDelim,
    /// `{{/* ... */}}`: dropped by the parser.
    Comment,
    /// `:=`
    Declare,
    /// `=`
    Assign,
    /// `|`
    Pipe,
    /// `(`
    LeftParen,
    /// `)`
    RightParen,
    /// `,`
    Comma,
    /// `.` on its own.
    Dot,
    /// `.Name` (one link of a field chain).
    Field(String),
    /// `$` or `$name`.
    Variable(String),
    /// A function name or keyword.
    Ident(String),
    /// `true` or `false`.
    Bool(bool),
    /// A number literal, as written.
    Number(String),
    /// A character constant such as `'a'`, as written.
    Char(String),
    /// A quoted or raw string, already unquoted.
    Str(String),
    /// Whitespace inside an action (it separates arguments).
    Space,
    /// A printable ASCII character Go lexes but no rule accepts (such as `@`).
    OtherChar(char),
    /// The end of the input.
    Eof,
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) offset: usize,
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Tokenizes the whole source up front; the templates are small and this keeps the parser simple.
pub(crate) fn lex(src: &str) -> Result<Vec<Token>, GoTemplateError> {
    let mut lx = Lexer {
        src,
        pos: 0,
        out: Vec::new(),
        paren_depth: 0,
    };
    lx.run()?;
    Ok(lx.out)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    out: Vec<Token>,
    paren_depth: usize,
}

impl Lexer<'_> {
    fn err(&self, offset: usize, message: impl Into<String>) -> GoTemplateError {
        GoTemplateError::Syntax {
            pos: Pos::at(self.src, offset),
            message: message.into(),
        }
    }

    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn emit(&mut self, tok: Tok, offset: usize) {
        self.out.push(Token { tok, offset });
    }

    fn run(&mut self) -> Result<(), GoTemplateError> {
        loop {
            let start = self.pos;
            let Some(x) = self.rest().find(LEFT) else {
                if self.pos < self.src.len() {
                    self.emit(Tok::Text(self.rest().to_owned()), start);
                }
                self.emit(Tok::Eof, self.src.len());
                return Ok(());
            };
            let delim_at = self.pos + x;
            let after = self.src.get(delim_at + LEFT.len()..).unwrap_or("");
            let trim_left = has_left_trim(after);
            let mut text = self.src.get(self.pos..delim_at).unwrap_or("");
            if trim_left {
                text = text.trim_end_matches(is_space);
            }
            if !text.is_empty() {
                self.emit(Tok::Text(text.to_owned()), start);
            }
            self.pos = delim_at + LEFT.len() + if trim_left { 2 } else { 0 };
            self.inside_action(delim_at)?;
        }
    }

    /// Lexes from just after `{{` to just after the matching `}}`.
    fn inside_action(&mut self, delim_at: usize) -> Result<(), GoTemplateError> {
        // A comment must follow the delimiter directly (after the trim marker, if any).
        if self.rest().starts_with("/*") {
            let Some(end) = self.rest().find("*/") else {
                return Err(self.err(delim_at, "unclosed comment"));
            };
            self.pos += end + 2;
            let trim = self.at_right_delim();
            match trim {
                Some(trim) => {
                    self.pos += if trim { 2 } else { 0 } + RIGHT.len();
                    self.emit(Tok::Comment, delim_at);
                    if trim {
                        self.skip_leading_space();
                    }
                    return Ok(());
                }
                None => return Err(self.err(delim_at, "comment ends before closing delimiter")),
            }
        }
        self.emit(Tok::LeftDelim, delim_at);
        self.paren_depth = 0;
        loop {
            if let Some(trim) = self.at_right_delim() {
                if self.paren_depth > 0 {
                    return Err(self.err(self.pos, "unclosed left paren"));
                }
                let at = self.pos;
                self.pos += if trim { 2 } else { 0 } + RIGHT.len();
                self.emit(Tok::RightDelim, at);
                if trim {
                    self.skip_leading_space();
                }
                return Ok(());
            }
            let at = self.pos;
            let Some(c) = self.peek() else {
                return Err(self.err(delim_at, "unclosed action"));
            };
            match c {
                c if is_space(c) => self.space(),
                '=' => {
                    self.pos += 1;
                    self.emit(Tok::Assign, at);
                }
                ':' => {
                    if !self.rest().starts_with(":=") {
                        return Err(self.err(at, "expected :="));
                    }
                    self.pos += 2;
                    self.emit(Tok::Declare, at);
                }
                '|' => {
                    self.pos += 1;
                    self.emit(Tok::Pipe, at);
                }
                '"' => self.quote()?,
                '`' => self.raw_quote()?,
                '$' => self.field_or_variable(true)?,
                '\'' => self.char_const()?,
                '.' => {
                    let next = self.src.get(self.pos + 1..).and_then(|s| s.chars().next());
                    if next.is_some_and(|c| c.is_ascii_digit()) {
                        self.number()?;
                    } else {
                        self.field_or_variable(false)?;
                    }
                }
                '+' | '-' | '0'..='9' => self.number()?,
                c if is_alnum(c) => self.identifier()?,
                '(' => {
                    self.pos += 1;
                    self.paren_depth += 1;
                    self.emit(Tok::LeftParen, at);
                }
                ')' => {
                    self.pos += 1;
                    if self.paren_depth == 0 {
                        return Err(self.err(at, "unexpected right paren"));
                    }
                    self.paren_depth -= 1;
                    self.emit(Tok::RightParen, at);
                }
                ',' => {
                    self.pos += 1;
                    self.emit(Tok::Comma, at);
                }
                c if c.is_ascii() && !c.is_ascii_control() => {
                    self.pos += 1;
                    self.emit(Tok::OtherChar(c), at);
                }
                c => {
                    return Err(self.err(at, format!("unrecognized character in action: {c:?}")));
                }
            }
        }
    }

    /// `Some(trim)` when the input is at `}}` (`trim` false) or ` -}}` (`trim` true).
    fn at_right_delim(&self) -> Option<bool> {
        let rest = self.rest();
        if has_right_trim(rest) && rest.get(2..).is_some_and(|r| r.starts_with(RIGHT)) {
            return Some(true);
        }
        rest.starts_with(RIGHT).then_some(false)
    }

    fn skip_leading_space(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start_matches(is_space).len();
    }

    fn space(&mut self) {
        let at = self.pos;
        let rest = self.rest();
        let n = rest.len() - rest.trim_start_matches(is_space).len();
        let mut end = self.pos + n;
        // A ` -}}` after the spaces: its space belongs to the delimiter.
        let last = end - 1;
        let tail = self.src.get(last..).unwrap_or("");
        if has_right_trim(tail) && tail.get(2..).is_some_and(|r| r.starts_with(RIGHT)) {
            end = last;
            if n == 1 {
                self.pos = end;
                return;
            }
        }
        self.pos = end;
        self.emit(Tok::Space, at);
    }

    fn at_terminator(&self) -> bool {
        let Some(c) = self.peek() else { return true };
        if is_space(c) || matches!(c, '.' | ',' | '|' | ':' | ')' | '(') {
            return true;
        }
        self.rest().starts_with(RIGHT)
    }

    fn field_or_variable(&mut self, variable: bool) -> Result<(), GoTemplateError> {
        let at = self.pos;
        self.pos += 1;
        if self.at_terminator() {
            let tok = if variable {
                Tok::Variable("$".to_owned())
            } else {
                Tok::Dot
            };
            self.emit(tok, at);
            return Ok(());
        }
        let rest = self.rest();
        let n = rest.len() - rest.trim_start_matches(is_alnum).len();
        self.pos += n;
        if !self.at_terminator() {
            let c = self.peek().unwrap_or(' ');
            return Err(self.err(self.pos, format!("bad character {c:?}")));
        }
        let name = self.src.get(at + 1..self.pos).unwrap_or("").to_owned();
        let tok = if variable {
            Tok::Variable(format!("${name}"))
        } else {
            Tok::Field(name)
        };
        self.emit(tok, at);
        Ok(())
    }

    fn identifier(&mut self) -> Result<(), GoTemplateError> {
        let at = self.pos;
        let rest = self.rest();
        let n = rest.len() - rest.trim_start_matches(is_alnum).len();
        self.pos += n;
        if !self.at_terminator() {
            let c = self.peek().unwrap_or(' ');
            return Err(self.err(self.pos, format!("bad character {c:?}")));
        }
        let word = self.src.get(at..self.pos).unwrap_or("");
        let tok = match word {
            "true" => Tok::Bool(true),
            "false" => Tok::Bool(false),
            _ => Tok::Ident(word.to_owned()),
        };
        self.emit(tok, at);
        Ok(())
    }

    fn number(&mut self) -> Result<(), GoTemplateError> {
        let at = self.pos;
        let rest = self.rest();
        // Go scans sign, digits, '.', exponent and base prefixes, then insists on a terminator.
        let mut end = 0;
        let bytes = rest.as_bytes();
        if matches!(bytes.first(), Some(b'+' | b'-')) {
            end += 1;
        }
        let mut prev = 0u8;
        while let Some(&b) = bytes.get(end) {
            let ok = b.is_ascii_alphanumeric()
                || b == b'_'
                || b == b'.'
                || ((b == b'+' || b == b'-') && matches!(prev, b'e' | b'E' | b'p' | b'P'));
            if !ok {
                break;
            }
            prev = b;
            end += 1;
        }
        self.pos += end;
        let text = self.src.get(at..self.pos).unwrap_or("").to_owned();
        if super::value::parse_number(&text).is_none() || !self.at_terminator() {
            return Err(self.err(at, format!("bad number syntax: {text:?}")));
        }
        self.emit(Tok::Number(text), at);
        Ok(())
    }

    fn char_const(&mut self) -> Result<(), GoTemplateError> {
        let at = self.pos;
        let mut chars = self.rest().char_indices().skip(1);
        loop {
            match chars.next() {
                Some((_, '\\')) => {
                    if chars.next().is_none_or(|(_, c)| c == '\n') {
                        return Err(self.err(at, "unterminated character constant"));
                    }
                }
                Some((i, '\'')) => {
                    self.pos += i + 1;
                    break;
                }
                Some((_, '\n')) | None => {
                    return Err(self.err(at, "unterminated character constant"));
                }
                Some(_) => {}
            }
        }
        let text = self.src.get(at..self.pos).unwrap_or("").to_owned();
        self.emit(Tok::Char(text), at);
        Ok(())
    }

    fn quote(&mut self) -> Result<(), GoTemplateError> {
        let at = self.pos;
        let mut chars = self.rest().char_indices().skip(1);
        loop {
            match chars.next() {
                Some((_, '\\')) => {
                    if chars.next().is_none_or(|(_, c)| c == '\n') {
                        return Err(self.err(at, "unterminated quoted string"));
                    }
                }
                Some((i, '"')) => {
                    self.pos += i + 1;
                    break;
                }
                Some((_, '\n')) | None => return Err(self.err(at, "unterminated quoted string")),
                Some(_) => {}
            }
        }
        let text = self.src.get(at..self.pos).unwrap_or("");
        let value = unquote(text).ok_or_else(|| self.err(at, format!("invalid syntax: {text}")))?;
        self.emit(Tok::Str(value), at);
        Ok(())
    }

    fn raw_quote(&mut self) -> Result<(), GoTemplateError> {
        let at = self.pos;
        let Some(end) = self.src.get(at + 1..).and_then(|s| s.find('`')) else {
            return Err(self.err(at, "unterminated raw quoted string"));
        };
        let body = self.src.get(at + 1..at + 1 + end).unwrap_or("");
        // Go's strconv.Unquote drops carriage returns from raw strings.
        let value: String = body.chars().filter(|&c| c != '\r').collect();
        self.pos = at + end + 2;
        self.emit(Tok::Str(value), at);
        Ok(())
    }
}

fn has_left_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

/// Go's `strconv.Unquote` for a double-quoted string; `None` when it is not valid Go.
pub(crate) fn unquote(text: &str) -> Option<String> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    unescape(inner, '"')
}

/// Go's `strconv.UnquoteChar` loop over the body of a quoted literal.
pub(crate) fn unescape(inner: &str, quote: char) -> Option<String> {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == quote && quote == '\'' {
            return None;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        match e {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '\'' | '"' => {
                if e != quote {
                    return None;
                }
                out.push(e);
            }
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut v: u32 = 0;
                for _ in 0..n {
                    v = v * 16 + chars.next()?.to_digit(16)?;
                }
                if e == 'x' {
                    // A \x byte: valid only when it forms UTF-8 on its own (ASCII).
                    if v >= 0x80 {
                        return None;
                    }
                    out.push(char::from_u32(v)?);
                } else {
                    out.push(char::from_u32(v)?);
                }
            }
            '0'..='7' => {
                let mut v = e.to_digit(8)?;
                for _ in 0..2 {
                    v = v * 8 + chars.next()?.to_digit(8)?;
                }
                if v >= 0x80 {
                    return None;
                }
                out.push(char::from_u32(v)?);
            }
            _ => return None,
        }
    }
    Some(out)
}
