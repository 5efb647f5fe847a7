//! Runs a parse tree over a value the way Go's `text/template` executor does: variables and
//! their scopes, pipelines with the previous result as last argument, `range` over slices,
//! maps (sorted keys) and integers, `break`/`continue`, nested templates, and `missingkey`.
//! Every step counts against a budget and the output against a cap.

use std::collections::BTreeMap;

use super::error::{GoTemplateError, Pos};
use super::funcs::{self, FuncEnv};
use super::parse::{Arg, Branch, BranchKind, Command, List, Node, Pipe};
use super::value::Value;

/// Bounds on one execution, so a bad template cannot hang or eat memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum number of nodes and commands evaluated. By default, 2,000,000.
    pub max_steps: u64,
    /// Maximum output size in bytes. By default, 8 MiB.
    pub max_output: usize,
    /// Maximum nesting of `{{ template }}` calls and `if`/`range`/`with` blocks together.
    /// By default, 150 (Go allows 100,000 template calls, but a chat template nests a few
    /// levels, and each level costs stack in this recursive executor).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: 2_000_000,
            max_output: 8 << 20,
            max_depth: 150,
        }
    }
}

/// What happens to a missing map key (Go's `missingkey` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingKey {
    /// Go's default: the missing value is invalid and prints `<no value>`.
    Invalid,
    /// `missingkey=zero`: the zero value of the map's element type (`nil` for `any`).
    Zero,
}

/// How far a walk got: on, or unwinding a `break`/`continue` to the enclosing `range`.
enum Flow {
    Normal,
    Break,
    Continue,
}

pub(crate) struct Exec<'a> {
    pub(crate) src: &'a str,
    pub(crate) root: &'a List,
    pub(crate) defines: Option<&'a BTreeMap<String, List>>,
    pub(crate) env: &'a FuncEnv,
    pub(crate) missing: MissingKey,
    pub(crate) limits: Limits,
    pub(crate) out: String,
    vars: Vec<(String, Value)>,
    steps: u64,
    depth: usize,
    at: usize,
}

type R<T> = Result<T, GoTemplateError>;

impl<'a> Exec<'a> {
    pub(crate) fn new(
        src: &'a str,
        root: &'a List,
        defines: Option<&'a BTreeMap<String, List>>,
        env: &'a FuncEnv,
        missing: MissingKey,
        limits: Limits,
    ) -> Self {
        Exec {
            src,
            root,
            defines,
            env,
            missing,
            limits,
            out: String::new(),
            vars: Vec::new(),
            steps: 0,
            depth: 0,
            at: 0,
        }
    }

    pub(crate) fn run(&mut self, data: &Value) -> R<()> {
        self.vars = vec![("$".to_owned(), data.clone())];
        let root = self.root;
        self.walk_list(data, root).map(|_| ())
    }

    pub(crate) fn err(&self, message: impl Into<String>) -> GoTemplateError {
        GoTemplateError::Exec {
            pos: Pos::at(self.src, self.at),
            message: message.into(),
        }
    }

    fn step(&mut self) -> R<()> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(GoTemplateError::StepLimit {
                pos: Pos::at(self.src, self.at),
                steps: self.limits.max_steps,
            });
        }
        Ok(())
    }

    /// One level deeper into blocks or template calls.
    fn enter(&mut self) -> R<()> {
        if self.depth >= self.limits.max_depth {
            return Err(GoTemplateError::DepthLimit {
                pos: Pos::at(self.src, self.at),
                depth: self.limits.max_depth,
            });
        }
        self.depth += 1;
        Ok(())
    }

    fn write(&mut self, s: &str) -> R<()> {
        if self.out.len() + s.len() > self.limits.max_output {
            return Err(GoTemplateError::OutputLimit {
                pos: Pos::at(self.src, self.at),
                limit: self.limits.max_output,
            });
        }
        self.out.push_str(s);
        Ok(())
    }

    fn walk_list(&mut self, dot: &Value, list: &List) -> R<Flow> {
        for node in list {
            match self.walk(dot, node)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Value, node: &Node) -> R<Flow> {
        self.step()?;
        match node {
            Node::Text(t) => self.write(t)?,
            Node::Action(pipe) => {
                self.at = pipe.offset;
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    let s = v.go_string();
                    self.write(&s)?;
                }
            }
            Node::Break(o) => {
                self.at = *o;
                return Ok(Flow::Break);
            }
            Node::Continue(o) => {
                self.at = *o;
                return Ok(Flow::Continue);
            }
            Node::Branch(b) => {
                self.enter()?;
                let mark = self.vars.len();
                let r = match b.kind {
                    BranchKind::Range => self.walk_range(dot, b),
                    _ => self.walk_if_with(dot, b),
                };
                self.vars.truncate(mark);
                self.depth -= 1;
                return r;
            }
            Node::Template { offset, name, pipe } => {
                self.at = *offset;
                self.walk_template(dot, name, pipe.as_ref())?;
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_if_with(&mut self, dot: &Value, b: &Branch) -> R<Flow> {
        self.at = b.pipe.offset;
        let v = self.eval_pipeline(dot, &b.pipe)?;
        if v.is_true() {
            if b.kind == BranchKind::With {
                self.walk_list(&v, &b.list)
            } else {
                self.walk_list(dot, &b.list)
            }
        } else if let Some(else_list) = &b.else_list {
            self.walk_list(dot, else_list)
        } else {
            Ok(Flow::Normal)
        }
    }

    fn walk_range(&mut self, dot: &Value, b: &Branch) -> R<Flow> {
        self.at = b.pipe.offset;
        let v = self.eval_pipeline(dot, &b.pipe)?;
        let mark = self.vars.len();
        let len = match &v {
            Value::Slice(s) => s.items.len(),
            Value::Map(_) | Value::JsonMap(_) => v.as_map().map_or(0, BTreeMap::len),
            Value::Int(n) => {
                if b.pipe.decl.len() > 1 {
                    return Err(self.err(format!(
                        "can't use {n} to iterate over more than one variable"
                    )));
                }
                usize::try_from(*n).unwrap_or(0)
            }
            Value::Invalid | Value::Nil => 0,
            other => {
                return Err(self.err(format!("range can't iterate over {}", other.go_string())));
            }
        };
        if len == 0 {
            if let Some(else_list) = &b.else_list {
                // As in Go, a `break` in the else branch ends this `range` (the one whose
                // else it is), while a `continue` goes on to the enclosing one.
                return match self.walk_list(dot, else_list)? {
                    Flow::Break => Ok(Flow::Normal),
                    flow => Ok(flow),
                };
            }
            return Ok(Flow::Normal);
        }
        // Map keys are visited in sorted order, as Go's `range` sorts them.
        let mut map_iter = v.as_map().map(|m| m.iter());
        for i in 0..len {
            self.step()?;
            let (index, elem) = match (&v, map_iter.as_mut()) {
                (Value::Slice(s), _) => (Value::Int(i as i64), s.items[i].clone()),
                (_, Some(it)) => match it.next() {
                    Some((k, e)) => (Value::str(k), e.clone()),
                    None => break,
                },
                _ => (Value::Int(i as i64), Value::Int(i as i64)),
            };
            let decl = &b.pipe.decl;
            if b.pipe.is_assign {
                match decl.as_slice() {
                    [one] => self.set_var(one, elem.clone())?,
                    [first, second] => {
                        self.set_var(first, index)?;
                        self.set_var(second, elem.clone())?;
                    }
                    _ => {}
                }
            } else {
                let n = self.vars.len();
                match decl.len() {
                    1 => self.vars[n - 1].1 = elem.clone(),
                    2 => {
                        self.vars[n - 1].1 = elem.clone();
                        self.vars[n - 2].1 = index;
                    }
                    _ => {}
                }
            }
            let flow = self.walk_list(&elem, &b.list);
            self.vars.truncate(mark);
            match flow? {
                Flow::Break => break,
                Flow::Continue | Flow::Normal => {}
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_template(&mut self, dot: &Value, name: &str, pipe: Option<&Pipe>) -> R<()> {
        let body = if name.is_empty() {
            Some(self.root)
        } else {
            self.defines.and_then(|d| d.get(name))
        };
        let Some(body) = body else {
            return Err(self.err(format!("template {name:?} not defined")));
        };
        let new_dot = match pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Value::Invalid,
        };
        // No dynamic scoping: the called template sees only `$`.
        self.enter()?;
        let saved = std::mem::replace(&mut self.vars, vec![("$".to_owned(), new_dot.clone())]);
        let r = self.walk_list(&new_dot, body);
        self.depth -= 1;
        self.vars = saved;
        r.map(|_| ())
    }

    fn set_var(&mut self, name: &str, v: Value) -> R<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => Err(self.err(format!("undefined variable: {name}"))),
        }
    }

    fn var_value(&self, name: &str) -> R<Value> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| self.err(format!("undefined variable: {name}")))
    }

    pub(crate) fn eval_pipeline(&mut self, dot: &Value, pipe: &Pipe) -> R<Value> {
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            // An `any` holding nothing becomes invalid between commands, as in Go.
            value = Some(if v == Value::Nil { Value::Invalid } else { v });
        }
        let value = value.unwrap_or(Value::Invalid);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone())?;
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], final_: &Option<Value>, what: &str) -> R<()> {
        if args.len() > 1 || final_.is_some() {
            return Err(self.err(format!("can't give argument to non-function {what}")));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Value, cmd: &Command, final_: Option<Value>) -> R<Value> {
        self.step()?;
        self.at = cmd.offset;
        let first = &cmd.args[0];
        match first {
            Arg::Field { idents, .. } => {
                self.eval_field_chain(dot, dot.clone(), idents, &cmd.args, final_)
            }
            Arg::Chain { node, idents, .. } => {
                if cmd.args.len() > 1 {
                    return Err(self.err("can't give argument to non-function"));
                }
                let base = self.eval_arg(dot, node)?;
                self.eval_field_chain(dot, base, idents, &cmd.args, final_)
            }
            Arg::Ident { name, .. } => self.call(dot, name, &cmd.args[1..], final_),
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &final_, "pipeline")?;
                self.eval_pipeline(dot, p)
            }
            Arg::Variable { idents, .. } => {
                let v = self.var_value(&idents[0])?;
                if idents.len() == 1 {
                    self.not_a_function(&cmd.args, &final_, &idents[0])?;
                    return Ok(v);
                }
                self.eval_field_chain(dot, v, &idents[1..], &cmd.args, final_)
            }
            Arg::Nil(_) => Err(self.err("nil is not a command")),
            other => {
                self.not_a_function(&cmd.args, &final_, "constant")?;
                self.eval_arg(dot, other)
            }
        }
    }

    /// An argument's value, as Go's `evalEmptyInterface` computes it.
    pub(crate) fn eval_arg(&mut self, dot: &Value, arg: &Arg) -> R<Value> {
        match arg {
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Ok(Value::Nil),
            Arg::Bool(b) => Ok(Value::Bool(*b)),
            Arg::Str(s) => Ok(Value::str(s)),
            Arg::Number { text, num, .. } => {
                if num.float_syntax {
                    num.float
                        .map(Value::Float)
                        .ok_or_else(|| self.err(format!("illegal number syntax: {text:?}")))
                } else {
                    num.int
                        .map(Value::Int)
                        .ok_or_else(|| self.err(format!("{text} overflows int")))
                }
            }
            Arg::Field { idents, .. } => {
                let args = [arg.clone()];
                self.eval_field_chain(dot, dot.clone(), idents, &args, None)
            }
            Arg::Variable { idents, .. } => {
                let v = self.var_value(&idents[0])?;
                if idents.len() == 1 {
                    return Ok(v);
                }
                let args = [arg.clone()];
                self.eval_field_chain(dot, v, &idents[1..], &args, None)
            }
            Arg::Chain { node, idents, .. } => {
                let base = self.eval_arg(dot, node)?;
                let args = [arg.clone()];
                self.eval_field_chain(dot, base, idents, &args, None)
            }
            Arg::Pipe(p) => self.eval_pipeline(dot, p),
            Arg::Ident { name, .. } => self.call(dot, name, &[], None),
        }
    }

    fn eval_field_chain(
        &mut self,
        _dot: &Value,
        receiver: Value,
        idents: &[String],
        args: &[Arg],
        final_: Option<Value>,
    ) -> R<Value> {
        let mut recv = receiver;
        let n = idents.len();
        for (i, name) in idents.iter().enumerate() {
            let last = i + 1 == n;
            let has_args = last && (args.len() > 1 || final_.is_some());
            recv = self.eval_field(name, recv, has_args)?;
        }
        Ok(recv)
    }

    fn eval_field(&mut self, name: &str, receiver: Value, has_args: bool) -> R<Value> {
        match receiver {
            Value::Invalid => Ok(Value::Invalid),
            Value::Nil => Err(self.err(format!("nil pointer evaluating interface {{}}.{name}"))),
            Value::Map(_) | Value::JsonMap(_) => {
                if has_args {
                    return Err(self.err(format!("{name} is not a method but has arguments")));
                }
                Ok(match receiver.as_map().and_then(|m| m.get(name)) {
                    Some(v) => v.clone(),
                    None => match self.missing {
                        MissingKey::Invalid => Value::Invalid,
                        MissingKey::Zero => Value::Nil,
                    },
                })
            }
            Value::Struct(s) => match s.field(name) {
                Some(v) => {
                    if has_args {
                        return Err(self.err(format!(
                            "{name} has arguments but cannot be invoked as function"
                        )));
                    }
                    Ok(v.clone())
                }
                None => Err(self.err(format!(
                    "can't evaluate field {name} in type {}",
                    s.type_name
                ))),
            },
            other => Err(self.err(format!(
                "can't evaluate field {name} in type {}",
                other.type_name()
            ))),
        }
    }

    fn call(&mut self, dot: &Value, name: &str, args: &[Arg], final_: Option<Value>) -> R<Value> {
        if !funcs::exists(name, self.env) {
            return Err(self.err(format!("{name:?} is not a defined function")));
        }
        // `and`/`or` evaluate lazily and return the deciding operand.
        if name == "and" || name == "or" {
            let n = args.len() + usize::from(final_.is_some());
            if n < 1 {
                return Err(self.err(format!(
                    "wrong number of args for {name}: want at least 1 got 0"
                )));
            }
            let want = name == "or";
            let mut v = Value::Invalid;
            for a in args {
                v = self.eval_arg(dot, a)?;
                if v.is_true() == want {
                    return Ok(v);
                }
            }
            if let Some(f) = final_ {
                v = f;
            }
            return Ok(v);
        }
        let mut values = Vec::with_capacity(args.len() + 1);
        for a in args {
            values.push(self.eval_arg(dot, a)?);
        }
        if let Some(f) = final_ {
            values.push(f);
        }
        let v = funcs::call(name, &values, self.env, self.limits.max_output)
            .map_err(|m| self.err(format!("error calling {name}: {m}")))?;
        // A string that could never be printed is refused as it is built, so values held in
        // variables cannot grow without bound either.
        if let Value::Str(s) = &v {
            if s.len() > self.limits.max_output {
                return Err(GoTemplateError::OutputLimit {
                    pos: Pos::at(self.src, self.at),
                    limit: self.limits.max_output,
                });
            }
        }
        Ok(v)
    }
}
