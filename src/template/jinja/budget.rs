//! A memory budget for one rendering: fuel bounds steps, not bytes, and one step can build
//! a string of gigabytes (`'x'|center(3000000000)`) or double one (`s|replace('x', 'xx')` in
//! a loop). Every value the template builds is measured and charged to a per-rendering
//! budget, and no single built value may pass the output cap (nothing larger can be part of
//! a prompt).
//!
//! minijinja has no hook on its operators, so the source is rewritten before compiling, by
//! byte offsets from the syntax tree (no newline is added, so line numbers stay):
//! - every value-building expression (`~`, `+`, `*`, filters, calls, list and map literals)
//!   becomes `((expr)|__ruvltra_bound)`, which measures the value and charges it;
//! - a `{% set x %}` block and a `{% filter %}` block pass their captured text through the
//!   same filter;
//! - a loop whose body holds literal text charges that text for every item up front:
//!   `{% for x in ((items)|__ruvltra_each(N)) %}` (literal text printed into a macro's or a
//!   block's capture would otherwise grow without any value being built).
//!
//! Printed values are charged by the environment's formatter. Filters that can build far
//! more than they are given (`center`, `indent`, `replace`, `join`, `format`, `batch`,
//! `slice`) check the size first with [`ensure_fits`], so nothing is allocated past the cap.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use minijinja::machinery::ast::{BinOpKind, CallArg, Expr, Stmt};
use minijinja::machinery::{WhitespaceConfig, parse};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Object, Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

/// The filter that measures and charges a built value.
pub const BOUND_FILTER: &str = "__ruvltra_bound";

/// The filter that charges a loop body's literal text once per item.
pub const EACH_FILTER: &str = "__ruvltra_each";

/// The name of the per-rendering budget among minijinja's temporaries.
const BUDGET_TEMP: &str = "__ruvltra_budget";

/// Bytes charged per list item or map entry on top of its contents (a `Value` and its
/// share of the container).
pub const ITEM_BYTES: usize = 16;

/// Marks an error raised because a rendering built too much.
#[derive(Debug)]
pub struct OverBudget(pub String);

impl std::fmt::Display for OverBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OverBudget {}

/// The limits the budget enforces, fixed when the environment is built.
#[derive(Debug, Clone, Copy)]
pub struct BudgetLimits {
    /// Bytes one rendering may build in all (strings, lists, printed values).
    pub total: usize,
    /// Bytes one built value may have.
    pub value: usize,
}

/// What one rendering has built so far.
#[derive(Debug)]
struct Budget {
    used: AtomicUsize,
}

impl Object for Budget {}

fn over(message: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.clone()).with_source(OverBudget(message))
}

/// Refuses to build a value of `bytes` bytes when it would pass the single-value cap. For
/// filters to call before they allocate.
pub fn ensure_fits(bytes: usize, limits: BudgetLimits) -> Result<(), Error> {
    if bytes > limits.value {
        return Err(over(format!(
            "a value of {bytes} bytes would pass the {} bytes one value may have",
            limits.value
        )));
    }
    Ok(())
}

/// Charges `bytes` to this rendering's budget.
pub fn charge(state: &State, bytes: usize, limits: BudgetLimits) -> Result<(), Error> {
    let budget: Arc<Budget> = state.get_or_set_temp_object(BUDGET_TEMP, || Budget {
        used: AtomicUsize::new(0),
    });
    let used = budget
        .used
        .fetch_add(bytes, Ordering::Relaxed)
        .saturating_add(bytes);
    if used > limits.total {
        return Err(over(format!(
            "the template built more than {} bytes in one rendering",
            limits.total
        )));
    }
    Ok(())
}

/// The bytes `value` holds, counted up to `stop` (the walk ends there, so a huge lazy
/// sequence or a value that contains itself costs no more than the limit).
pub fn measure(value: &Value, stop: usize) -> usize {
    let mut total = 0usize;
    let mut pending = vec![value.clone()];
    while let Some(value) = pending.pop() {
        if total > stop {
            break;
        }
        match value.kind() {
            ValueKind::String => total += value.as_str().map_or(0, str::len),
            ValueKind::Bytes => total += value.as_bytes().map_or(0, <[u8]>::len),
            // A generator can be walked only once: it is charged by its length, if known,
            // not walked.
            ValueKind::Iterable => {
                total = total.saturating_add(value.len().unwrap_or(1).saturating_mul(ITEM_BYTES))
            }
            ValueKind::Seq => {
                let Ok(items) = value.try_iter() else {
                    continue;
                };
                for item in items {
                    total = total.saturating_add(ITEM_BYTES);
                    if total > stop {
                        break;
                    }
                    pending.push(item);
                }
            }
            ValueKind::Map => {
                let Ok(keys) = value.try_iter() else {
                    continue;
                };
                for key in keys {
                    total = total.saturating_add(ITEM_BYTES);
                    if total > stop {
                        break;
                    }
                    if let Ok(item) = value.get_item(&key) {
                        pending.push(item);
                    }
                    pending.push(key);
                }
            }
            _ => total += 8,
        }
    }
    total
}

/// `value|__ruvltra_bound`: measures a built value, refuses it past the single-value cap,
/// charges it and passes it on unchanged.
pub fn bound(state: &State, value: Value, limits: BudgetLimits) -> Result<Value, Error> {
    let size = measure(&value, limits.value);
    ensure_fits(size, limits)?;
    charge(state, size, limits)?;
    Ok(value)
}

/// `items|__ruvltra_each(bytes)`: charges `bytes` per item and passes the items on.
pub fn each(
    state: &State,
    items: Value,
    bytes: usize,
    limits: BudgetLimits,
) -> Result<Value, Error> {
    // A generator of unknown length cannot be counted without being used up; the values
    // it yields were built, and charged, by the expressions that made them.
    let count = items.len().unwrap_or(1);
    charge(state, count.saturating_mul(bytes), limits)?;
    Ok(items)
}

/// One piece of text inserted at a byte offset. At one offset, closing text comes before
/// opening text; openings go outermost first and closings innermost first.
struct Insertion {
    offset: usize,
    closing: bool,
    order: usize,
    text: String,
}

/// Rewrites `source` (already accepted by the guard) so that what it builds is charged.
/// A source that does not parse is returned unchanged: the compiler reports it.
pub fn rewrite(source: &str) -> String {
    let whitespace = WhitespaceConfig {
        keep_trailing_newline: false,
        lstrip_blocks: true,
        trim_blocks: true,
    };
    let Ok(ast) = parse(source, "chat_template", SyntaxConfig, whitespace) else {
        return source.to_owned();
    };
    let mut rewriter = Rewriter { edits: Vec::new() };
    rewriter.stmt(&ast);
    let mut edits = rewriter.edits;
    edits.sort_by(|a, b| {
        a.offset
            .cmp(&b.offset)
            .then(b.closing.cmp(&a.closing))
            .then(if a.closing {
                b.order.cmp(&a.order)
            } else {
                a.order.cmp(&b.order)
            })
    });
    let mut out = String::with_capacity(source.len() + edits.len() * 20);
    let mut at = 0;
    for edit in edits {
        let Some(piece) = source.get(at..edit.offset) else {
            // Offsets come from the parser and are on character boundaries; anything else
            // means the tree and the text disagree, and the text is kept as it is.
            return source.to_owned();
        };
        out.push_str(piece);
        out.push_str(&edit.text);
        at = edit.offset;
    }
    out.push_str(source.get(at..).unwrap_or_default());
    out
}

struct Rewriter {
    edits: Vec<Insertion>,
}

/// Where an expression's text starts. The parser starts a filter's span at its name and a
/// call's, attribute's or subscript's at its `(`, `.` or `[`, so the leftmost operand's start
/// is taken.
fn start_of(expr: &Expr<'_>) -> usize {
    let own = expr.span().start_offset as usize;
    let leftmost = match expr {
        Expr::Filter(filter) => filter.expr.as_ref(),
        Expr::Test(test) => Some(&test.expr),
        Expr::Call(call) => Some(&call.expr),
        Expr::GetAttr(attr) => Some(&attr.expr),
        Expr::GetItem(item) => Some(&item.expr),
        Expr::Slice(slice) => Some(&slice.expr),
        Expr::BinOp(op) => Some(&op.left),
        Expr::Compare(cmp) => Some(&cmp.expr),
        Expr::IfExpr(e) => Some(&e.true_expr),
        _ => None,
    };
    leftmost.map_or(own, |inner| own.min(start_of(inner)))
}

fn end_of(expr: &Expr<'_>) -> usize {
    expr.span().end_offset as usize
}

/// Literal text a loop body prints per item: its own text and that of blocks inside it,
/// not that of nested loops (they charge their own) or macro definitions (a call's result
/// is charged).
fn body_text(body: &[Stmt<'_>]) -> usize {
    body.iter()
        .map(|stmt| match stmt {
            Stmt::EmitRaw(raw) => raw.raw.len(),
            Stmt::IfCond(c) => body_text(&c.true_body) + body_text(&c.false_body),
            Stmt::WithBlock(w) => body_text(&w.body),
            Stmt::SetBlock(s) => body_text(&s.body),
            Stmt::FilterBlock(f) => body_text(&f.body),
            Stmt::AutoEscape(a) => body_text(&a.body),
            Stmt::CallBlock(c) => body_text(&c.macro_decl.body),
            _ => 0,
        })
        .sum()
}

impl Rewriter {
    /// `((expr)suffix)`: the outer parentheses keep a postfix after it (`[0]`, `.attr`)
    /// applying to the filtered value.
    fn wrap(&mut self, start: usize, end: usize, suffix: String) {
        let order = self.edits.len();
        self.edits.push(Insertion {
            offset: start,
            closing: false,
            order,
            text: "((".to_owned(),
        });
        self.edits.push(Insertion {
            offset: end,
            closing: true,
            order,
            text: format!("){suffix})"),
        });
    }

    fn append(&mut self, offset: usize, text: String) {
        let order = self.edits.len();
        self.edits.push(Insertion {
            offset,
            closing: true,
            order,
            text,
        });
    }

    fn args(&mut self, args: &[CallArg<'_>]) {
        for arg in args {
            let (CallArg::Pos(e)
            | CallArg::Kwarg(_, e)
            | CallArg::PosSplat(e)
            | CallArg::KwargSplat(e)) = arg;
            self.expr(e);
        }
    }

    /// Wraps every value-building expression in `expr`, outermost first.
    fn expr(&mut self, expr: &Expr<'_>) {
        let builds = match expr {
            Expr::BinOp(op) => matches!(op.op, BinOpKind::Concat | BinOpKind::Add | BinOpKind::Mul),
            Expr::Filter(filter) => filter.expr.is_some(),
            Expr::Call(_) | Expr::List(_) | Expr::Map(_) => true,
            _ => false,
        };
        if builds {
            self.wrap(start_of(expr), end_of(expr), format!("|{BOUND_FILTER}"));
        }
        match expr {
            Expr::Var(_) | Expr::Const(_) => {}
            Expr::Slice(s) => {
                self.expr(&s.expr);
                for part in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.expr(part);
                }
            }
            Expr::UnaryOp(op) => self.expr(&op.expr),
            Expr::BinOp(op) => {
                self.expr(&op.left);
                self.expr(&op.right);
            }
            Expr::Compare(cmp) => {
                self.expr(&cmp.expr);
                for op in &cmp.ops {
                    self.expr(&op.expr);
                }
            }
            Expr::IfExpr(e) => {
                self.expr(&e.test_expr);
                self.expr(&e.true_expr);
                if let Some(other) = &e.false_expr {
                    self.expr(other);
                }
            }
            Expr::Filter(filter) => {
                if let Some(inner) = &filter.expr {
                    self.expr(inner);
                }
                self.args(&filter.args);
            }
            Expr::Test(test) => {
                self.expr(&test.expr);
                self.args(&test.args);
            }
            Expr::GetAttr(attr) => self.expr(&attr.expr),
            Expr::GetItem(item) => {
                self.expr(&item.expr);
                self.expr(&item.subscript_expr);
            }
            Expr::Call(call) => {
                self.expr(&call.expr);
                self.args(&call.args);
            }
            Expr::List(list) => list.items.iter().for_each(|e| self.expr(e)),
            Expr::Map(map) => map
                .keys
                .iter()
                .chain(&map.values)
                .for_each(|e| self.expr(e)),
        }
    }

    fn body(&mut self, body: &[Stmt<'_>]) {
        body.iter().for_each(|stmt| self.stmt(stmt));
    }

    fn stmt(&mut self, stmt: &Stmt<'_>) {
        match stmt {
            Stmt::Template(t) => self.body(&t.children),
            Stmt::EmitExpr(e) => self.expr(&e.expr),
            Stmt::ForLoop(l) => {
                let text = body_text(&l.body);
                if text > 0 {
                    self.wrap(
                        start_of(&l.iter),
                        end_of(&l.iter),
                        format!("|{EACH_FILTER}({text})"),
                    );
                }
                self.expr(&l.iter);
                if let Some(filter) = &l.filter_expr {
                    self.expr(filter);
                }
                self.body(&l.body);
                self.body(&l.else_body);
            }
            Stmt::IfCond(c) => {
                self.expr(&c.expr);
                self.body(&c.true_body);
                self.body(&c.false_body);
            }
            Stmt::WithBlock(w) => {
                w.assignments.iter().for_each(|(_, value)| self.expr(value));
                self.body(&w.body);
            }
            Stmt::Set(set) => self.expr(&set.expr),
            Stmt::SetBlock(set) => {
                let end = set.filter.as_ref().unwrap_or(&set.target);
                self.append(end_of(end), format!("|{BOUND_FILTER}"));
                if let Some(filter) = &set.filter {
                    self.filter_args(filter);
                }
                self.body(&set.body);
            }
            Stmt::AutoEscape(a) => self.body(&a.body),
            Stmt::FilterBlock(f) => {
                self.append(end_of(&f.filter), format!("|{BOUND_FILTER}"));
                self.filter_args(&f.filter);
                self.body(&f.body);
            }
            Stmt::Macro(m) => {
                m.defaults.iter().for_each(|d| self.expr(d));
                self.body(&m.body);
            }
            Stmt::CallBlock(c) => {
                self.args(&c.call.args);
                self.body(&c.macro_decl.body);
            }
            _ => {}
        }
    }

    /// The arguments of a block's filter chain (`{% filter f(a)|g %}`); the chain itself has
    /// no operand to wrap.
    fn filter_args(&mut self, filter: &Expr<'_>) {
        if let Expr::Filter(f) = filter {
            if let Some(inner) = &f.expr {
                self.filter_args(inner);
            }
            self.args(&f.args);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_builders_and_keeps_lines() {
        assert_eq!(
            rewrite("{{ a ~ b|upper }}"),
            "{{ ((a ~ ((b|upper)|__ruvltra_bound))|__ruvltra_bound) }}"
        );
        assert_eq!(
            rewrite("{{ (a ~ b)|f(1) }}"),
            "{{ (((((a ~ b)|__ruvltra_bound))|f(1))|__ruvltra_bound) }}"
        );
        assert_eq!(
            rewrite("{% for m in messages %}x\n{{ m }}{% endfor %}"),
            "{% for m in ((messages)|__ruvltra_each(2)) %}x\n{{ m }}{% endfor %}"
        );
        assert_eq!(
            rewrite("{% set ns.s %}{{ 1 }}{% endset %}"),
            "{% set ns.s|__ruvltra_bound %}{{ 1 }}{% endset %}"
        );
        assert_eq!(rewrite("{{ x }}\n{{ y }}"), "{{ x }}\n{{ y }}");
        assert_eq!(
            rewrite("{{ s.replace('a', 'b')[0] }}"),
            "{{ ((s.replace('a', 'b'))|__ruvltra_bound)[0] }}"
        );
    }
}
