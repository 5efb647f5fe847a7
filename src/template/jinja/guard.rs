//! Checks made on the parsed template before it is accepted, for what Jinja2 decides at
//! compile time and for what the step budget cannot bound.
//!
//! - Jinja2 refuses a template that names an unknown filter or test, or uses `{% do %}`
//!   (transformers does not load that extension), before rendering anything; minijinja would
//!   only fail when the line runs, or run it.
//! - Fuel counts steps, not bytes: `{% set ns.s = ns.s ~ ns.s %}` in a loop doubles a string
//!   each step and exhausts memory long before the budget ends, and so does a macro that
//!   calls itself with an argument built from a parameter twice. Such self-doubling
//!   assignments are refused up front.

use minijinja::machinery::ast::{BinOpKind, CallArg, Expr, Stmt};
use minijinja::machinery::{Token, WhitespaceConfig, parse, tokenize};
use minijinja::syntax::SyntaxConfig;

use super::error::JinjaError;

/// The largest template accepted, in bytes. The largest chat template of the corpus is
/// about 18 KB; a megabyte leaves room for any real one while keeping compilation cheap.
pub const MAX_TEMPLATE_BYTES: usize = 1 << 20;

/// The most tokens one `{{ ... }}` or `{% ... %}` tag may hold. A tag's expression cannot
/// nest deeper than its token count, and the compiler, the checks below and dropping the
/// syntax tree all recurse once per level: 50,000 chained `~` once overflowed the stack.
/// The corpus's busiest tag has under 60 tokens.
pub const MAX_TAG_TOKENS: usize = 2_000;

/// Refuses a template too large or with a tag too long to compile safely. Runs on the
/// tokens only (no recursion), before anything is parsed.
pub fn check_size(source: &str) -> Result<(), JinjaError> {
    if source.len() > MAX_TEMPLATE_BYTES {
        return Err(JinjaError::TooComplex {
            message: format!(
                "the template has {} bytes, more than the {MAX_TEMPLATE_BYTES} allowed",
                source.len()
            ),
            line: None,
        });
    }
    let whitespace = WhitespaceConfig::default();
    let mut in_tag: Option<(usize, u16)> = None;
    for token in tokenize(source, false, SyntaxConfig, whitespace) {
        // A lexing error is reported by the parser, with its own message.
        let Ok((token, span)) = token else {
            return Ok(());
        };
        match token {
            Token::VariableStart | Token::BlockStart => in_tag = Some((0, span.start_line)),
            Token::VariableEnd | Token::BlockEnd => in_tag = None,
            _ => {
                if let Some((count, line)) = in_tag.as_mut() {
                    *count += 1;
                    if *count > MAX_TAG_TOKENS {
                        return Err(JinjaError::TooComplex {
                            message: format!(
                                "a tag holds more than {MAX_TAG_TOKENS} tokens; split the expression"
                            ),
                            line: Some(usize::from(*line)),
                        });
                    }
                }
            }
        }
    }
    Ok(())
}

/// Jinja2's built-in filters, plus the ones transformers adds.
const FILTERS: &[&str] = &[
    "abs",
    "attr",
    "batch",
    "capitalize",
    "center",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "filesizeformat",
    "first",
    "float",
    "forceescape",
    "format",
    "groupby",
    "indent",
    "int",
    "items",
    "join",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "pprint",
    "random",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "slice",
    "sort",
    "string",
    "striptags",
    "sum",
    "title",
    "tojson",
    "trim",
    "truncate",
    "unique",
    "upper",
    "urlencode",
    "urlize",
    "wordcount",
    "wordwrap",
    "xmlattr",
    super::markup::MARKUP_ESCAPE_FILTER,
];

/// Jinja2's built-in tests.
const TESTS: &[&str] = &[
    "boolean",
    "callable",
    "defined",
    "divisibleby",
    "eq",
    "equalto",
    "escaped",
    "even",
    "false",
    "filter",
    "float",
    "ge",
    "greaterthan",
    "gt",
    "in",
    "integer",
    "iterable",
    "le",
    "lessthan",
    "lower",
    "lt",
    "mapping",
    "ne",
    "none",
    "number",
    "odd",
    "sameas",
    "sequence",
    "string",
    "test",
    "true",
    "undefined",
    "upper",
    "==",
    "!=",
    ">",
    ">=",
    "<",
    "<=",
];

/// Parses `source` (already rewritten) and applies the checks.
pub fn check(source: &str) -> Result<(), JinjaError> {
    let whitespace = WhitespaceConfig {
        keep_trailing_newline: false,
        lstrip_blocks: true,
        trim_blocks: true,
    };
    let ast = parse(source, "chat_template", SyntaxConfig, whitespace).map_err(|err| {
        JinjaError::Syntax {
            message: err.detail().unwrap_or("invalid syntax").to_owned(),
            line: err.line(),
        }
    })?;
    let mut guard = Guard {
        error: None,
        soft: 0,
    };
    guard.stmt(&ast);
    guard.error.map_or(Ok(()), Err)
}

struct Guard {
    error: Option<JinjaError>,
    /// Inside an `if` (statement or expression): Jinja2 defers unknown filters and tests
    /// there to rendering, so they are not refused up front.
    soft: usize,
}

/// A variable or namespace attribute an assignment writes, as `name` or `ns.attr`.
fn target_key(target: &Expr<'_>) -> Option<String> {
    match target {
        Expr::Var(var) => Some(var.id.to_owned()),
        Expr::GetAttr(attr) => match &attr.expr {
            Expr::Var(var) => Some(format!("{}.{}", var.id, attr.name)),
            _ => None,
        },
        _ => None,
    }
}

/// Filters whose result is a number or a boolean: their input does not flow into the value.
const SCALAR_FILTERS: &[&str] = &[
    "length",
    "count",
    "int",
    "float",
    "abs",
    "round",
    "wordcount",
    "bool",
];

/// How many copies of `key` (a name or `ns.attr`) can flow into the value of `expr`: reads
/// under a test, comparison or scalar filter do not count, and of two alternatives
/// (`a if c else b`, `a or b`) only the larger counts.
fn reads(expr: &Expr<'_>, key: &str) -> usize {
    if target_key(expr).as_deref() == Some(key) {
        return 1;
    }
    let args = |args: &[CallArg<'_>]| -> usize {
        args.iter()
            .map(|arg| match arg {
                CallArg::Pos(e)
                | CallArg::Kwarg(_, e)
                | CallArg::PosSplat(e)
                | CallArg::KwargSplat(e) => reads(e, key),
            })
            .sum()
    };
    match expr {
        Expr::Var(_) | Expr::Const(_) | Expr::Compare(_) | Expr::Test(_) | Expr::UnaryOp(_) => 0,
        Expr::Slice(s) => reads(&s.expr, key),
        Expr::BinOp(op) => match op.op {
            BinOpKind::ScAnd | BinOpKind::ScOr => reads(&op.left, key).max(reads(&op.right, key)),
            BinOpKind::Concat | BinOpKind::Add | BinOpKind::Mul => {
                reads(&op.left, key) + reads(&op.right, key)
            }
            _ => 0,
        },
        Expr::IfExpr(e) => {
            reads(&e.true_expr, key).max(e.false_expr.as_ref().map_or(0, |f| reads(f, key)))
        }
        Expr::Filter(filter) if SCALAR_FILTERS.contains(&filter.name) => 0,
        Expr::Filter(filter) => {
            filter.expr.as_ref().map_or(0, |e| reads(e, key)) + args(&filter.args)
        }
        Expr::GetAttr(attr) => reads(&attr.expr, key),
        Expr::GetItem(item) => reads(&item.expr, key),
        Expr::Call(call) => reads(&call.expr, key) + args(&call.args),
        Expr::List(list) => list.items.iter().map(|e| reads(e, key)).sum(),
        Expr::Map(map) => map.values.iter().map(|e| reads(e, key)).sum(),
    }
}

/// Whether `expr` puts `key` inside a list, a map or `dict(...)`: repeated, that builds
/// values nested deeper than any stack can print or free recursively.
fn nests(expr: &Expr<'_>, key: &str, inside: bool) -> bool {
    if target_key(expr).as_deref() == Some(key) {
        return inside;
    }
    let mut found = false;
    let mut check = |e: &Expr<'_>, inside: bool| found |= nests(e, key, inside);
    match expr {
        Expr::List(list) => list.items.iter().for_each(|e| check(e, true)),
        Expr::Map(map) => map.values.iter().for_each(|e| check(e, true)),
        Expr::Call(call) => {
            let builds = matches!(&call.expr, Expr::Var(v) if v.id == "dict");
            for arg in &call.args {
                let (CallArg::Pos(e)
                | CallArg::Kwarg(_, e)
                | CallArg::PosSplat(e)
                | CallArg::KwargSplat(e)) = arg;
                check(e, inside || builds);
            }
        }
        Expr::BinOp(op) => {
            check(&op.left, inside);
            check(&op.right, inside);
        }
        Expr::IfExpr(e) => {
            check(&e.true_expr, inside);
            if let Some(other) = &e.false_expr {
                check(other, inside);
            }
        }
        Expr::Filter(filter) => {
            if let Some(e) = &filter.expr {
                check(e, inside);
            }
        }
        _ => {}
    }
    found
}

/// Like [`visit_expr`], but not into conditional expressions (`a if c else b`), which Jinja2
/// compiles softly like `if` blocks.
fn visit_hard<'a>(expr: &Expr<'a>, f: &mut dyn FnMut(&Expr<'a>)) {
    let mut inside_if = Vec::new();
    visit_expr(expr, &mut |e| {
        if let Expr::IfExpr(inner) = e {
            inside_if.push(inner.span());
        }
        let span = e.span();
        let nested = inside_if.iter().any(|outer| {
            (outer.start_offset, outer.end_offset) != (span.start_offset, span.end_offset)
                && outer.start_offset <= span.start_offset
                && span.end_offset <= outer.end_offset
        });
        if !nested {
            f(e)
        }
    });
}

/// Calls `f` on `expr` and every expression inside it.
fn visit_expr<'a>(expr: &Expr<'a>, f: &mut dyn FnMut(&Expr<'a>)) {
    f(expr);
    let args = |args: &[CallArg<'a>], f: &mut dyn FnMut(&Expr<'a>)| {
        for arg in args {
            match arg {
                CallArg::Pos(e)
                | CallArg::Kwarg(_, e)
                | CallArg::PosSplat(e)
                | CallArg::KwargSplat(e) => visit_expr(e, f),
            }
        }
    };
    match expr {
        Expr::Var(_) | Expr::Const(_) => {}
        Expr::Slice(s) => {
            visit_expr(&s.expr, f);
            for part in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                visit_expr(part, f);
            }
        }
        Expr::UnaryOp(op) => visit_expr(&op.expr, f),
        Expr::BinOp(op) => {
            visit_expr(&op.left, f);
            visit_expr(&op.right, f);
        }
        Expr::Compare(cmp) => {
            visit_expr(&cmp.expr, f);
            for op in &cmp.ops {
                visit_expr(&op.expr, f);
            }
        }
        Expr::IfExpr(e) => {
            visit_expr(&e.test_expr, f);
            visit_expr(&e.true_expr, f);
            if let Some(other) = &e.false_expr {
                visit_expr(other, f);
            }
        }
        Expr::Filter(filter) => {
            if let Some(inner) = &filter.expr {
                visit_expr(inner, f);
            }
            args(&filter.args, f);
        }
        Expr::Test(test) => {
            visit_expr(&test.expr, f);
            args(&test.args, f);
        }
        Expr::GetAttr(attr) => visit_expr(&attr.expr, f),
        Expr::GetItem(item) => {
            visit_expr(&item.expr, f);
            visit_expr(&item.subscript_expr, f);
        }
        Expr::Call(call) => {
            visit_expr(&call.expr, f);
            args(&call.args, f);
        }
        Expr::List(list) => list.items.iter().for_each(|e| visit_expr(e, f)),
        Expr::Map(map) => map
            .keys
            .iter()
            .chain(&map.values)
            .for_each(|e| visit_expr(e, f)),
    }
}

impl Guard {
    fn fail(&mut self, error: JinjaError) {
        self.error.get_or_insert(error);
    }

    /// Unknown filters and tests, as Jinja2's compiler reports them.
    fn expr(&mut self, expr: &Expr<'_>) {
        if self.soft > 0 {
            return;
        }
        let mut unknown = None;
        visit_hard(expr, &mut |e| match e {
            Expr::Filter(filter) if !FILTERS.contains(&filter.name) => {
                unknown.get_or_insert((
                    format!("no filter named '{}'", filter.name),
                    filter.span().start_line,
                ));
            }
            Expr::Test(test) if !TESTS.contains(&test.name) => {
                unknown.get_or_insert((
                    format!("no test named '{}'", test.name),
                    test.span().start_line,
                ));
            }
            _ => {}
        });
        if let Some((message, line)) = unknown {
            self.fail(JinjaError::Syntax {
                message,
                line: Some(usize::from(line)),
            });
        }
    }

    fn body(&mut self, body: &[Stmt<'_>]) {
        body.iter().for_each(|stmt| self.stmt(stmt));
    }

    /// A body Jinja2 compiles in a new inner frame (loops, macros, call/set/filter/with
    /// blocks), which is never soft even inside an `if`.
    fn inner_body(&mut self, body: &[Stmt<'_>]) {
        let soft = std::mem::replace(&mut self.soft, 0);
        self.body(body);
        self.soft = soft;
    }

    fn stmt(&mut self, stmt: &Stmt<'_>) {
        match stmt {
            Stmt::Template(t) => self.body(&t.children),
            Stmt::EmitExpr(e) => self.expr(&e.expr),
            Stmt::EmitRaw(_) | Stmt::Continue(_) | Stmt::Break(_) => {}
            Stmt::ForLoop(l) => {
                self.expr(&l.iter);
                if let Some(filter) = &l.filter_expr {
                    self.expr(filter);
                }
                self.inner_body(&l.body);
                self.inner_body(&l.else_body);
            }
            Stmt::IfCond(c) => {
                self.soft += 1;
                self.expr(&c.expr);
                self.body(&c.true_body);
                self.body(&c.false_body);
                self.soft -= 1;
            }
            Stmt::WithBlock(w) => {
                w.assignments.iter().for_each(|(_, value)| self.expr(value));
                self.inner_body(&w.body);
            }
            Stmt::Set(set) => {
                self.expr(&set.expr);
                if let Some(key) = target_key(&set.target) {
                    if nests(&set.expr, &key, false) {
                        self.fail(JinjaError::Unbounded {
                            message: format!("`{key}` is put inside itself, which nests it one level deeper each time"),
                            line: Some(usize::from(set.span().start_line)),
                        });
                    }
                    if reads(&set.expr, &key) >= 2 {
                        self.fail(JinjaError::Unbounded {
                            message: format!("`{key}` is assigned a value built from itself twice, which doubles it each time"),
                            line: Some(usize::from(set.span().start_line)),
                        });
                    }
                }
            }
            Stmt::SetBlock(set) => {
                if let Some(filter) = &set.filter {
                    self.expr(filter);
                }
                self.inner_body(&set.body);
                if let Some(key) = target_key(&set.target) {
                    let count: usize = set
                        .body
                        .iter()
                        .map(|s| match s {
                            Stmt::EmitExpr(e) => reads(&e.expr, &key),
                            _ => 0,
                        })
                        .sum();
                    if count >= 2 {
                        self.fail(JinjaError::Unbounded {
                            message: format!("`{key}` is assigned a block that prints it twice, which doubles it each time"),
                            line: Some(usize::from(set.span().start_line)),
                        });
                    }
                }
            }
            Stmt::AutoEscape(a) => self.body(&a.body),
            Stmt::FilterBlock(f) => {
                self.expr(&f.filter);
                self.inner_body(&f.body);
            }
            Stmt::Macro(m) => {
                m.defaults.iter().for_each(|d| self.expr(d));
                self.inner_body(&m.body);
                self.self_doubling_macro(m.name, &m.args, &m.body);
            }
            Stmt::CallBlock(c) => {
                self.expr(&c.call.expr);
                for arg in &c.call.args {
                    match arg {
                        CallArg::Pos(e)
                        | CallArg::Kwarg(_, e)
                        | CallArg::PosSplat(e)
                        | CallArg::KwargSplat(e) => self.expr(e),
                    }
                }
                self.inner_body(&c.macro_decl.body);
            }
            Stmt::Do(d) => self.fail(JinjaError::Syntax {
                message: "encountered unknown tag 'do'".into(),
                line: Some(usize::from(d.span().start_line)),
            }),
            _ => {}
        }
    }

    /// A macro calling itself with an argument that reads one of its parameters twice.
    fn self_doubling_macro(&mut self, name: &str, params: &[Expr<'_>], body: &[Stmt<'_>]) {
        let params: Vec<String> = params.iter().filter_map(target_key).collect();
        let mut found = None;
        let mut check = |expr: &Expr<'_>| {
            visit_expr(expr, &mut |e| {
                if let Expr::Call(call) = e {
                    if matches!(&call.expr, Expr::Var(v) if v.id == name) {
                        for arg in &call.args {
                            let (CallArg::Pos(arg) | CallArg::Kwarg(_, arg)) = arg else {
                                continue;
                            };
                            if params.iter().any(|p| reads(arg, p) >= 2) {
                                found.get_or_insert(call.span().start_line);
                            }
                        }
                    }
                }
            })
        };
        for_each_expr(body, &mut check);
        if let Some(line) = found {
            self.fail(JinjaError::Unbounded {
                message: format!("macro `{name}` calls itself with a parameter used twice, which doubles it at every level"),
                line: Some(usize::from(line)),
            });
        }
    }
}

/// Calls `f` on every top-level expression of the statements (and nested bodies).
fn for_each_expr<'a>(body: &[Stmt<'a>], f: &mut dyn FnMut(&Expr<'a>)) {
    for stmt in body {
        match stmt {
            Stmt::EmitExpr(e) => f(&e.expr),
            Stmt::Set(s) => f(&s.expr),
            Stmt::ForLoop(l) => {
                f(&l.iter);
                for_each_expr(&l.body, f);
                for_each_expr(&l.else_body, f);
            }
            Stmt::IfCond(c) => {
                f(&c.expr);
                for_each_expr(&c.true_body, f);
                for_each_expr(&c.false_body, f);
            }
            Stmt::WithBlock(w) => {
                w.assignments.iter().for_each(|(_, value)| f(value));
                for_each_expr(&w.body, f);
            }
            Stmt::SetBlock(s) => for_each_expr(&s.body, f),
            Stmt::FilterBlock(b) => for_each_expr(&b.body, f),
            Stmt::AutoEscape(a) => for_each_expr(&a.body, f),
            _ => {}
        }
    }
}
