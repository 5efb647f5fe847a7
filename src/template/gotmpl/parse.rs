//! The parse tree and the parser, with the checks Go's `text/template/parse` makes at parse
//! time (undefined variables and functions, `break` outside `range`, misplaced `else`/`end`).

use std::collections::BTreeMap;

use super::error::{GoTemplateError, Pos};
use super::lexer::{Tok, Token, lex};
use super::value::{Number, parse_number};

/// A list of nodes: the body of a template or of a branch.
pub(crate) type List = Vec<Node>;

/// A node of the parse tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// Literal text.
    Text(String),
    /// `{{ pipeline }}`
    Action(Pipe),
    /// `{{ if }}`, `{{ range }}`, `{{ with }}`.
    Branch(Box<Branch>),
    /// `{{ template "name" pipeline }}`; `pipe` is `None` without an argument.
    Template {
        /// Where the action starts.
        offset: usize,
        /// The template called.
        name: String,
        /// Its argument.
        pipe: Option<Pipe>,
    },
    /// `{{ break }}`
    Break(usize),
    /// `{{ continue }}`
    Continue(usize),
}

/// Which control structure a branch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BranchKind {
    If,
    Range,
    With,
}

/// An `if`, `range` or `with` with its pipeline, body and optional `else` body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Branch {
    pub(crate) kind: BranchKind,
    pub(crate) pipe: Pipe,
    pub(crate) list: List,
    pub(crate) else_list: Option<List>,
}

/// A pipeline: optional variable declaration or assignment, then commands joined by `|`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pipe {
    pub(crate) offset: usize,
    /// `$x = ...` rather than `$x := ...`.
    pub(crate) is_assign: bool,
    /// The variables declared or assigned (names include the `$`).
    pub(crate) decl: Vec<String>,
    pub(crate) cmds: Vec<Command>,
}

/// One command of a pipeline: a function or value and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Command {
    pub(crate) offset: usize,
    pub(crate) args: Vec<Arg>,
}

/// An operand.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    /// `.A.B`
    Field { offset: usize, idents: Vec<String> },
    /// `$x.A.B` (`idents[0]` is the variable name).
    Variable { offset: usize, idents: Vec<String> },
    /// `(pipe).A.B` and other fields applied to a non-field term.
    Chain {
        offset: usize,
        node: Box<Arg>,
        idents: Vec<String>,
    },
    /// A function name.
    Ident { offset: usize, name: String },
    /// `.`
    Dot(usize),
    /// `nil`
    Nil(usize),
    /// `true`, `false`
    Bool(bool),
    /// A number or character constant.
    Number {
        offset: usize,
        text: String,
        num: Number,
    },
    /// A string constant.
    Str(String),
    /// `( pipeline )`
    Pipe(Pipe),
}

impl Arg {
    /// The byte offset of the operand, for error positions.
    pub(crate) fn offset(&self) -> usize {
        match self {
            Arg::Field { offset, .. }
            | Arg::Variable { offset, .. }
            | Arg::Chain { offset, .. }
            | Arg::Ident { offset, .. }
            | Arg::Dot(offset)
            | Arg::Nil(offset)
            | Arg::Number { offset, .. } => *offset,
            Arg::Pipe(p) => p.offset,
            Arg::Bool(_) | Arg::Str(_) => 0,
        }
    }
}

/// A parsed template: its main body and every `define`d or `block` template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tree {
    pub(crate) root: List,
    pub(crate) defines: BTreeMap<String, List>,
}

/// Parses `src`. `is_func` says which function names exist (Go rejects unknown ones at parse
/// time).
pub(crate) fn parse(src: &str, is_func: &dyn Fn(&str) -> bool) -> Result<Tree, GoTemplateError> {
    let tokens = lex(src)?;
    let mut p = Parser {
        src,
        tokens,
        pos: 0,
        vars: vec!["$".to_owned()],
        range_depth: 0,
        is_func,
        defines: BTreeMap::new(),
        depth: 0,
    };
    let root = p.top_list()?;
    Ok(Tree {
        root,
        defines: p.defines,
    })
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    vars: Vec<String>,
    range_depth: usize,
    is_func: &'a dyn Fn(&str) -> bool,
    defines: BTreeMap<String, List>,
    depth: usize,
}

/// How deeply `if`/`range`/`with` and parentheses may nest (real chat templates use < 10).
const MAX_NESTING: usize = 100;

/// What ended a list inside a control structure.
enum ListEnd {
    End,
    /// `{{else}}`, or `{{else if}}`/`{{else with}}` with the keyword still unread.
    Else(usize, Option<BranchKind>),
}

impl Parser<'_> {
    fn err(&self, offset: usize, message: impl Into<String>) -> GoTemplateError {
        GoTemplateError::Syntax {
            pos: Pos::at(self.src, offset),
            message: message.into(),
        }
    }

    /// Counts one level of nesting; deep nesting is refused so the recursive parser and
    /// executor cannot overflow the stack.
    fn enter(&mut self, offset: usize) -> Result<(), GoTemplateError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.err(offset, format!("nesting deeper than {MAX_NESTING} levels")));
        }
        Ok(())
    }

    fn peek(&self) -> &Token {
        // The lexer always ends with Eof, and `next` never moves past it.
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[self.pos.min(last)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    /// The next token other than space.
    fn next_non_space(&mut self) -> Token {
        loop {
            let t = self.next();
            if t.tok != Tok::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Token {
        let save = self.pos;
        let t = self.next_non_space();
        self.pos = save;
        t
    }

    fn describe(tok: &Tok) -> String {
        match tok {
            Tok::Text(t) => format!("text {t:?}"),
            Tok::LeftDelim => "\"{{\"".to_owned(),
            Tok::RightDelim => "\"}}\"".to_owned(),
            Tok::Comment => "comment".to_owned(),
            Tok::Declare => "\":=\"".to_owned(),
            Tok::Assign => "\"=\"".to_owned(),
            Tok::Pipe => "\"|\"".to_owned(),
            Tok::LeftParen => "\"(\"".to_owned(),
            Tok::RightParen => "\")\"".to_owned(),
            Tok::Comma => "\",\"".to_owned(),
            Tok::Dot => "\".\"".to_owned(),
            Tok::Field(f) => format!("field \".{f}\""),
            Tok::Variable(v) => format!("variable {v:?}"),
            Tok::Ident(i) => format!("{i:?}"),
            Tok::Bool(b) => format!("{b}"),
            Tok::Number(n) | Tok::Char(n) => format!("number {n:?}"),
            Tok::Str(s) => format!("string {s:?}"),
            Tok::Space => "space".to_owned(),
            Tok::OtherChar(c) => format!("{c:?}"),
            Tok::Eof => "EOF".to_owned(),
        }
    }

    fn unexpected(&self, t: &Token, context: &str) -> GoTemplateError {
        self.err(
            t.offset,
            format!("unexpected {} in {context}", Self::describe(&t.tok)),
        )
    }

    fn top_list(&mut self) -> Result<List, GoTemplateError> {
        let mut list = Vec::new();
        loop {
            let t = self.peek().clone();
            match t.tok {
                Tok::Eof => return Ok(list),
                Tok::LeftDelim => {
                    let save = self.pos;
                    self.next();
                    let kw = self.next_non_space();
                    if kw.tok == Tok::Ident("define".to_owned()) {
                        self.define(kw.offset)?;
                        continue;
                    }
                    self.pos = save;
                    match self.text_or_action()? {
                        Some(Err(end)) => {
                            let (offset, what) = match end {
                                ListEnd::End => (t.offset, "{{end}}"),
                                ListEnd::Else(o, _) => (o, "{{else}}"),
                            };
                            return Err(self.err(offset, format!("unexpected {what}")));
                        }
                        Some(Ok(node)) => list.push(node),
                        None => {}
                    }
                }
                _ => {
                    if let Some(Ok(node)) = self.text_or_action()? {
                        list.push(node);
                    }
                }
            }
        }
    }

    /// `{{ define "name" }} ... {{ end }}` (the `define` keyword already read).
    fn define(&mut self, offset: usize) -> Result<(), GoTemplateError> {
        let name_tok = self.next_non_space();
        let Tok::Str(name) = name_tok.tok else {
            return Err(self.unexpected(&name_tok, "define clause"));
        };
        let close = self.next_non_space();
        if close.tok != Tok::RightDelim {
            return Err(self.unexpected(&close, "define clause"));
        }
        // A define body starts with a fresh variable scope, like a separate template in Go.
        let saved = std::mem::replace(&mut self.vars, vec!["$".to_owned()]);
        let (body, end) = self.item_list("define")?;
        self.vars = saved;
        if let ListEnd::Else(o, _) = end {
            return Err(self.err(o, "unexpected {{else}}"));
        }
        self.add_define(offset, name, body)
    }

    fn add_define(
        &mut self,
        offset: usize,
        name: String,
        body: List,
    ) -> Result<(), GoTemplateError> {
        if let Some(old) = self.defines.get(&name) {
            if !is_empty_tree(old) && !is_empty_tree(&body) {
                return Err(self.err(
                    offset,
                    format!("template: multiple definition of template {name:?}"),
                ));
            }
            if is_empty_tree(&body) {
                return Ok(());
            }
        }
        self.defines.insert(name, body);
        Ok(())
    }

    /// Parses nodes until `{{end}}` or `{{else}}`.
    fn item_list(&mut self, context: &str) -> Result<(List, ListEnd), GoTemplateError> {
        let mut list = Vec::new();
        loop {
            let t = self.peek().clone();
            if t.tok == Tok::Eof {
                return Err(self.err(t.offset, format!("unexpected EOF in {context}")));
            }
            if t.tok == Tok::LeftDelim {
                let save = self.pos;
                self.next();
                let kw = self.next_non_space();
                if kw.tok == Tok::Ident("define".to_owned()) {
                    return Err(self.err(kw.offset, "unexpected \"define\" in command"));
                }
                self.pos = save;
            }
            match self.text_or_action()? {
                Some(Ok(node)) => list.push(node),
                Some(Err(end)) => return Ok((list, end)),
                None => {}
            }
        }
    }

    /// One text or action; `Some(Err(end))` for `{{end}}`/`{{else}}`, `None` for a comment.
    fn text_or_action(&mut self) -> Result<Option<Result<Node, ListEnd>>, GoTemplateError> {
        let t = self.next();
        match t.tok {
            Tok::Text(s) => Ok(Some(Ok(Node::Text(s)))),
            Tok::Comment => Ok(None),
            Tok::LeftDelim => self.action(t.offset),
            _ => Err(self.unexpected(&t, "input")),
        }
    }

    fn action(&mut self, offset: usize) -> Result<Option<Result<Node, ListEnd>>, GoTemplateError> {
        let t = self.peek_non_space();
        if let Tok::Ident(kw) = &t.tok {
            let kw = kw.clone();
            match kw.as_str() {
                "block" => {
                    self.next_non_space();
                    return self.block(offset).map(|n| Some(Ok(n)));
                }
                "break" | "continue" => {
                    self.next_non_space();
                    let close = self.next_non_space();
                    if close.tok != Tok::RightDelim {
                        return Err(self.unexpected(&close, &format!("{{{{{kw}}}}}")));
                    }
                    if self.range_depth == 0 {
                        return Err(
                            self.err(t.offset, format!("{{{{{kw}}}}} outside {{{{range}}}}"))
                        );
                    }
                    let node = if kw == "break" {
                        Node::Break(t.offset)
                    } else {
                        Node::Continue(t.offset)
                    };
                    return Ok(Some(Ok(node)));
                }
                "else" => {
                    self.next_non_space();
                    // `{{else if ...}}`/`{{else with ...}}` leave the keyword for the branch.
                    let after = self.peek_non_space();
                    let chained = match &after.tok {
                        Tok::RightDelim => {
                            self.next_non_space();
                            None
                        }
                        Tok::Ident(k) if k == "if" => Some(BranchKind::If),
                        Tok::Ident(k) if k == "with" => Some(BranchKind::With),
                        _ => return Err(self.unexpected(&after, "else")),
                    };
                    return Ok(Some(Err(ListEnd::Else(t.offset, chained))));
                }
                "end" => {
                    self.next_non_space();
                    let close = self.next_non_space();
                    if close.tok != Tok::RightDelim {
                        return Err(self.unexpected(&close, "end"));
                    }
                    return Ok(Some(Err(ListEnd::End)));
                }
                "if" | "range" | "with" => {
                    self.next_non_space();
                    let kind = match kw.as_str() {
                        "if" => BranchKind::If,
                        "range" => BranchKind::Range,
                        _ => BranchKind::With,
                    };
                    return self.branch(kind, t.offset).map(|n| Some(Ok(n)));
                }
                "template" => {
                    self.next_non_space();
                    return self.template_call(t.offset).map(|n| Some(Ok(n)));
                }
                _ => {}
            }
        }
        let pipe = self.pipeline("command", Tok::RightDelim)?;
        Ok(Some(Ok(Node::Action(pipe))))
    }

    fn template_call(&mut self, offset: usize) -> Result<Node, GoTemplateError> {
        let name_tok = self.next_non_space();
        let Tok::Str(name) = name_tok.tok else {
            return Err(self.unexpected(&name_tok, "template clause"));
        };
        let pipe = if self.peek_non_space().tok == Tok::RightDelim {
            self.next_non_space();
            None
        } else {
            Some(self.pipeline("template", Tok::RightDelim)?)
        };
        Ok(Node::Template { offset, name, pipe })
    }

    fn block(&mut self, offset: usize) -> Result<Node, GoTemplateError> {
        let name_tok = self.next_non_space();
        let Tok::Str(name) = name_tok.tok else {
            return Err(self.unexpected(&name_tok, "block clause"));
        };
        let pipe = self.pipeline("block", Tok::RightDelim)?;
        let saved = std::mem::replace(&mut self.vars, vec!["$".to_owned()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let (body, end) = self.item_list("block")?;
        self.vars = saved;
        self.range_depth = saved_range;
        if let ListEnd::Else(o, _) = end {
            return Err(self.err(o, "unexpected {{else}}"));
        }
        self.add_define(offset, name.clone(), body)?;
        Ok(Node::Template {
            offset,
            name,
            pipe: Some(pipe),
        })
    }

    fn branch(&mut self, kind: BranchKind, offset: usize) -> Result<Node, GoTemplateError> {
        let context = match kind {
            BranchKind::If => "if",
            BranchKind::Range => "range",
            BranchKind::With => "with",
        };
        self.enter(offset)?;
        let vars_mark = self.vars.len();
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if kind == BranchKind::Range {
            self.range_depth += 1;
        }
        let (list, end) = self.item_list(context)?;
        if kind == BranchKind::Range {
            self.range_depth -= 1;
        }
        let else_list = match end {
            ListEnd::End => None,
            ListEnd::Else(else_offset, chained) => match chained {
                Some(inner) if inner == kind && kind != BranchKind::Range => {
                    let kw = self.next_non_space();
                    let node = self.branch(inner, kw.offset)?;
                    Some(vec![node])
                }
                Some(_) => {
                    let kw = self.peek_non_space();
                    return Err(self.err(
                        else_offset,
                        format!("unexpected {} in input", Self::describe(&kw.tok)),
                    ));
                }
                None => {
                    let (else_list, end) = self.item_list(context)?;
                    if let ListEnd::Else(o, _) = end {
                        return Err(self.err(o, "expected end; found {{else}}"));
                    }
                    Some(else_list)
                }
            },
        };
        self.vars.truncate(vars_mark);
        self.depth -= 1;
        Ok(Node::Branch(Box::new(Branch {
            kind,
            pipe,
            list,
            else_list,
        })))
    }

    /// A pipeline up to `end` (a `}}` or `)`), with Go's declaration rules.
    fn pipeline(&mut self, context: &str, end: Tok) -> Result<Pipe, GoTemplateError> {
        let start = self.peek_non_space();
        let mut pipe = Pipe {
            offset: start.offset,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        // Declarations: `$x :=`, `$x =`, and in range `$i, $e :=`.
        if let Tok::Variable(_) = start.tok {
            let save = self.pos;
            if self.try_decl(&mut pipe, context)? {
                // declared
            } else {
                self.pos = save;
            }
        }
        loop {
            let t = self.peek_non_space();
            if t.tok == end {
                self.next_non_space();
                check_pipeline(self, &pipe, context, t.offset)?;
                return Ok(pipe);
            }
            match t.tok {
                Tok::Bool(_)
                | Tok::Char(_)
                | Tok::Dot
                | Tok::Field(_)
                | Tok::Ident(_)
                | Tok::Number(_)
                | Tok::Str(_)
                | Tok::Variable(_)
                | Tok::LeftParen => {
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return Err(self.unexpected(&t, context)),
            }
        }
    }

    fn try_decl(&mut self, pipe: &mut Pipe, context: &str) -> Result<bool, GoTemplateError> {
        let v = self.next_non_space();
        let Tok::Variable(name) = v.tok.clone() else {
            return Ok(false);
        };
        let after = self.peek_non_space();
        match after.tok {
            Tok::Declare | Tok::Assign => {
                self.next_non_space();
                pipe.is_assign = after.tok == Tok::Assign;
                pipe.decl.push(name.clone());
                self.vars.push(name);
                Ok(true)
            }
            Tok::Comma if context == "range" => {
                self.next_non_space();
                let v2 = self.next_non_space();
                let Tok::Variable(name2) = v2.tok.clone() else {
                    return Err(self.err(v2.offset, "range can only initialize variables"));
                };
                let op = self.next_non_space();
                if op.tok != Tok::Declare && op.tok != Tok::Assign {
                    return Err(self.err(op.offset, "range can only initialize variables"));
                }
                pipe.is_assign = op.tok == Tok::Assign;
                pipe.decl.push(name.clone());
                pipe.decl.push(name2.clone());
                self.vars.push(name);
                self.vars.push(name2);
                Ok(true)
            }
            Tok::Comma => {
                Err(self.err(after.offset, format!("too many declarations in {context}")))
            }
            _ => Ok(false),
        }
    }

    fn command(&mut self) -> Result<Command, GoTemplateError> {
        let start = self.peek_non_space();
        let mut cmd = Command {
            offset: start.offset,
            args: Vec::new(),
        };
        loop {
            // Skip spaces: they separate operands.
            while self.peek().tok == Tok::Space {
                self.next();
            }
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let t = self.peek().clone();
            match t.tok {
                Tok::Space => {
                    self.next();
                    continue;
                }
                Tok::RightDelim | Tok::RightParen => break,
                Tok::Pipe => {
                    self.next();
                    break;
                }
                _ => {
                    return Err(self.err(
                        t.offset,
                        format!("unexpected {} in operand", Self::describe(&t.tok)),
                    ));
                }
            }
        }
        if cmd.args.is_empty() {
            return Err(self.err(cmd.offset, "empty command"));
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> Result<Option<Arg>, GoTemplateError> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if let Tok::Field(_) = self.peek().tok {
            let offset = node.offset();
            let mut idents = Vec::new();
            while let Tok::Field(f) = &self.peek().tok {
                idents.push(f.clone());
                self.next();
            }
            return Ok(Some(match node {
                Arg::Field {
                    offset,
                    idents: mut first,
                } => {
                    first.extend(idents);
                    Arg::Field {
                        offset,
                        idents: first,
                    }
                }
                Arg::Variable {
                    offset,
                    idents: mut first,
                } => {
                    first.extend(idents);
                    Arg::Variable {
                        offset,
                        idents: first,
                    }
                }
                Arg::Bool(_) | Arg::Str(_) | Arg::Number { .. } | Arg::Nil(_) | Arg::Dot(_) => {
                    return Err(self.err(offset, "unexpected . after term"));
                }
                other => Arg::Chain {
                    offset,
                    node: Box::new(other),
                    idents,
                },
            }));
        }
        Ok(Some(node))
    }

    fn term(&mut self) -> Result<Option<Arg>, GoTemplateError> {
        let save = self.pos;
        let t = self.next();
        Ok(Some(match t.tok {
            Tok::Ident(name) => {
                if name == "nil" {
                    Arg::Nil(t.offset)
                } else {
                    if !(self.is_func)(&name) {
                        return Err(self.err(t.offset, format!("function {name:?} not defined")));
                    }
                    Arg::Ident {
                        offset: t.offset,
                        name,
                    }
                }
            }
            Tok::Dot => Arg::Dot(t.offset),
            Tok::Variable(name) => {
                if !self.vars.contains(&name) {
                    return Err(self.err(t.offset, format!("undefined variable {name:?}")));
                }
                Arg::Variable {
                    offset: t.offset,
                    idents: vec![name],
                }
            }
            Tok::Field(f) => Arg::Field {
                offset: t.offset,
                idents: vec![f],
            },
            Tok::Bool(b) => Arg::Bool(b),
            Tok::Char(text) | Tok::Number(text) => {
                let num = parse_number(&text).ok_or_else(|| {
                    self.err(t.offset, format!("illegal number syntax: {text:?}"))
                })?;
                Arg::Number {
                    offset: t.offset,
                    text,
                    num,
                }
            }
            Tok::Str(s) => Arg::Str(s),
            Tok::LeftParen => {
                self.enter(t.offset)?;
                let pipe = self.pipeline("parenthesized pipeline", Tok::RightParen)?;
                self.depth -= 1;
                Arg::Pipe(pipe)
            }
            _ => {
                self.pos = save;
                return Ok(None);
            }
        }))
    }
}

/// Go's `checkPipeline`: no empty pipelines, and later stages must be callable.
fn check_pipeline(
    p: &Parser<'_>,
    pipe: &Pipe,
    context: &str,
    offset: usize,
) -> Result<(), GoTemplateError> {
    if pipe.cmds.is_empty() {
        return Err(p.err(offset, format!("missing value for {context}")));
    }
    for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
        if let Some(Arg::Bool(_) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number { .. } | Arg::Str(_)) =
            c.args.first()
        {
            return Err(p.err(
                c.offset,
                format!("non executable command in pipeline stage {}", i + 1),
            ));
        }
    }
    Ok(())
}

/// Go's `IsEmptyTree`: only whitespace text (and nothing else) counts as empty.
fn is_empty_tree(list: &List) -> bool {
    list.iter()
        .all(|n| matches!(n, Node::Text(t) if t.trim_matches([' ', '\t', '\r', '\n']).is_empty()))
}
