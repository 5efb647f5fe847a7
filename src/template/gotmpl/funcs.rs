//! The functions a template can call: Go's builtins, with their typing rules and error cases,
//! and Ollama's extra functions (`json`, `currentDate`, `yesterdayDate`, `toTypeScriptType`).

use super::gofmt;
use super::value::Value;

/// What the extra functions need, and whether they exist at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncEnv {
    /// Ollama's functions are defined (Ollama's own parse); `false` for plain Go templates and
    /// for the tree Ollama rebuilds without them.
    pub ollama: bool,
    /// What `currentDate` returns (`YYYY-MM-DD`).
    pub today: String,
    /// What `yesterdayDate` returns (`YYYY-MM-DD`).
    pub yesterday: String,
}

const BUILTINS: &[&str] = &[
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
    "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
];

const OLLAMA: &[&str] = &["json", "currentDate", "yesterdayDate", "toTypeScriptType"];

/// Whether `name` is a function in this environment.
pub(crate) fn exists(name: &str, env: &FuncEnv) -> bool {
    BUILTINS.contains(&name) || (env.ollama && OLLAMA.contains(&name))
}

/// Whether `name` is a function in any environment (the parser's check; which set is live is
/// decided when the template runs, as Go resolves functions at execution).
pub(crate) fn known(name: &str, ollama: bool) -> bool {
    BUILTINS.contains(&name) || (ollama && OLLAMA.contains(&name))
}

type F = Result<Value, String>;

fn want(name: &str, args: &[Value], n: usize) -> Result<(), String> {
    if args.len() != n {
        return Err(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        ));
    }
    Ok(())
}

fn want_at_least(name: &str, args: &[Value], n: usize) -> Result<(), String> {
    if args.len() < n {
        return Err(format!(
            "wrong number of args for {name}: want at least {n} got {}",
            args.len()
        ));
    }
    Ok(())
}

/// A `string` parameter: Go refuses anything else.
fn string_arg(v: &Value) -> Result<&str, String> {
    match v {
        Value::Str(s) => Ok(s),
        Value::Invalid => Err("invalid value; expected string".to_owned()),
        other => Err(format!(
            "wrong type for value; expected string; got {}",
            other.type_name()
        )),
    }
}

/// Go's `evalArgs` for `html`, `js`, `urlquery`: one string as is, else `fmt.Sprint` of the
/// operands as templates print them (so a nil operand reads `<no value>`, and counts as a
/// string for `Sprint`'s spacing).
fn eval_args(args: &[Value], limit: usize) -> String {
    if let [Value::Str(s)] = args {
        return s.to_string();
    }
    let printable: Vec<Value> = args
        .iter()
        .map(|a| match a {
            Value::Invalid | Value::Nil => Value::str("<no value>"),
            a => a.clone(),
        })
        .collect();
    gofmt::sprint(&printable, limit)
}

/// Calls function `name` with evaluated arguments (the piped value last); `limit` bounds the
/// strings the formatting functions build.
pub(crate) fn call(name: &str, args: &[Value], env: &FuncEnv, limit: usize) -> F {
    match name {
        "not" => {
            want(name, args, 1)?;
            Ok(Value::Bool(!args[0].is_true()))
        }
        "len" => {
            want(name, args, 1)?;
            match &args[0] {
                Value::Str(s) => Ok(Value::Int(s.len() as i64)),
                Value::Slice(s) => Ok(Value::Int(s.items.len() as i64)),
                Value::Map(m) => Ok(Value::Int(m.len() as i64)),
                Value::JsonMap(m) => Ok(Value::Int(m.entries.len() as i64)),
                Value::Nil => Err("len of nil pointer".to_owned()),
                Value::Invalid => Err("len of untyped nil".to_owned()),
                other => Err(format!("len of type {}", other.type_name())),
            }
        }
        "index" => {
            want_at_least(name, args, 1)?;
            index(&args[0], &args[1..])
        }
        "slice" => {
            want_at_least(name, args, 1)?;
            slice(&args[0], &args[1..])
        }
        "eq" => {
            want_at_least(name, args, 1)?;
            eq(&args[0], &args[1..]).map(Value::Bool)
        }
        "ne" => {
            want(name, args, 2)?;
            eq(&args[0], &args[1..]).map(|b| Value::Bool(!b))
        }
        "lt" => {
            want(name, args, 2)?;
            lt(&args[0], &args[1]).map(Value::Bool)
        }
        "le" => {
            want(name, args, 2)?;
            le(&args[0], &args[1]).map(Value::Bool)
        }
        "gt" => {
            want(name, args, 2)?;
            le(&args[0], &args[1]).map(|b| Value::Bool(!b))
        }
        "ge" => {
            want(name, args, 2)?;
            lt(&args[0], &args[1]).map(|b| Value::Bool(!b))
        }
        "print" => Ok(Value::str(&gofmt::sprint(args, limit))),
        "println" => Ok(Value::str(&gofmt::sprintln(args, limit))),
        "printf" => {
            want_at_least(name, args, 1)?;
            let format = string_arg(&args[0])?;
            Ok(Value::str(&gofmt::sprintf(format, &args[1..], limit)))
        }
        "html" => Ok(Value::str(&html_escape(&eval_args(args, limit)))),
        "js" => Ok(Value::str(&js_escape(&eval_args(args, limit)))),
        "urlquery" => Ok(Value::str(&query_escape(&eval_args(args, limit)))),
        "call" => {
            want_at_least(name, args, 1)?;
            match &args[0] {
                Value::Invalid | Value::Nil => Err("call of nil".to_owned()),
                other => Err(format!("non-function of type {}", other.type_name())),
            }
        }
        "json" if env.ollama => {
            want(name, args, 1)?;
            Ok(Value::str(&args[0].to_go_json().unwrap_or_default()))
        }
        "currentDate" | "yesterdayDate" if env.ollama => {
            for a in args {
                string_arg(a)?;
            }
            Ok(Value::str(if name == "currentDate" {
                &env.today
            } else {
                &env.yesterday
            }))
        }
        "toTypeScriptType" if env.ollama => {
            want(name, args, 1)?;
            // Only an `api.ToolProperty` has a TypeScript type; templates reach one only by
            // ranging over a tool's properties, which the converter never writes, so the
            // conversion is not modelled (the Go cross-check would show the difference).
            Ok(Value::str("any"))
        }
        _ => Err(format!("{name:?} is not a defined function")),
    }
}

/// A value reduced to Go's "basic kinds" for comparisons; `None` for the rest.
#[derive(PartialEq)]
enum Basic<'a> {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

fn basic(v: &Value) -> Option<Basic<'_>> {
    match v {
        Value::Bool(b) => Some(Basic::Bool(*b)),
        Value::Int(i) => Some(Basic::Int(*i)),
        Value::Float(f) => Some(Basic::Float(*f)),
        Value::Str(s) => Some(Basic::Str(s)),
        _ => None,
    }
}

fn same_kind(a: &Basic<'_>, b: &Basic<'_>) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

const BAD_COMPARISON: &str = "incompatible types for comparison";
const BAD_COMPARISON_TYPE: &str = "invalid type for comparison";

/// Go's `eq`: true when `a` equals any of `rest`; mixing kinds is an error unless one side is
/// missing.
fn eq(a: &Value, rest: &[Value]) -> Result<bool, String> {
    if rest.is_empty() {
        return Err("missing argument for comparison".to_owned());
    }
    let a = unwrap_nil(a);
    for b in rest {
        let b = unwrap_nil(b);
        let truth = match (basic(a), basic(b)) {
            (Some(x), Some(y)) => {
                if !same_kind(&x, &y) {
                    return Err(BAD_COMPARISON.to_owned());
                }
                x == y
            }
            (Some(_), None) | (None, Some(_)) => {
                if *a != Value::Invalid && *b != Value::Invalid {
                    return Err(BAD_COMPARISON.to_owned());
                }
                false
            }
            (None, None) => {
                // Go treats a missing value like any other nil: equal only to nil.
                let nil_a = *a == Value::Invalid || is_nil(a);
                let nil_b = *b == Value::Invalid || is_nil(b);
                if !nil_a && !nil_b {
                    return Err(format!(
                        "non-comparable type {}: {}",
                        b.go_string(),
                        b.type_name()
                    ));
                }
                nil_a == nil_b
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn is_nil(v: &Value) -> bool {
    match v {
        Value::Slice(s) => s.is_nil,
        Value::Nil => true,
        _ => false,
    }
}

/// Go's `indirectInterface`: a nil interface is no value at all.
fn unwrap_nil(v: &Value) -> &Value {
    if *v == Value::Nil { &Value::Invalid } else { v }
}

fn lt(a: &Value, b: &Value) -> Result<bool, String> {
    let a = basic(unwrap_nil(a)).ok_or(BAD_COMPARISON_TYPE)?;
    let b = basic(unwrap_nil(b)).ok_or(BAD_COMPARISON_TYPE)?;
    if !same_kind(&a, &b) {
        return Err(BAD_COMPARISON.to_owned());
    }
    match (a, b) {
        (Basic::Int(x), Basic::Int(y)) => Ok(x < y),
        (Basic::Float(x), Basic::Float(y)) => Ok(x < y),
        (Basic::Str(x), Basic::Str(y)) => Ok(x < y),
        _ => Err(BAD_COMPARISON_TYPE.to_owned()),
    }
}

fn le(a: &Value, b: &Value) -> Result<bool, String> {
    if lt(a, b)? {
        return Ok(true);
    }
    eq(a, std::slice::from_ref(b))
}

fn index_arg(i: &Value, cap: usize) -> Result<usize, String> {
    let x = match unwrap_nil(i) {
        Value::Int(x) => *x,
        Value::Invalid => return Err("cannot index slice/array with nil".to_owned()),
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    if x < 0 || x as usize > cap {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index(item: &Value, indexes: &[Value]) -> F {
    let mut item = unwrap_nil(item).clone();
    if item == Value::Invalid {
        return Err("index of untyped nil".to_owned());
    }
    for i in indexes {
        item = match &item {
            Value::Slice(s) => {
                let x = index_arg(i, s.items.len())?;
                s.items
                    .get(x)
                    .cloned()
                    .ok_or_else(|| format!("reflect: slice index out of range: {x}"))?
            }
            Value::Str(s) => {
                let x = index_arg(i, s.len())?;
                s.as_bytes()
                    .get(x)
                    .map(|b| Value::Int(i64::from(*b)))
                    .ok_or_else(|| "reflect: string index out of range".to_owned())?
            }
            Value::Map(_) | Value::JsonMap(_) => match unwrap_nil(i) {
                Value::Str(k) => item
                    .as_map()
                    .and_then(|m| m.get(&**k))
                    .cloned()
                    .unwrap_or(Value::Nil),
                Value::Invalid => return Err("value is nil; should be of type string".to_owned()),
                other => {
                    return Err(format!(
                        "value has type {}; should be string",
                        other.type_name()
                    ));
                }
            },
            Value::Nil => return Err("index of nil pointer".to_owned()),
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn slice(item: &Value, indexes: &[Value]) -> F {
    let item = unwrap_nil(item);
    if *item == Value::Invalid {
        return Err("slice of untyped nil".to_owned());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let len = match item {
        Value::Str(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".to_owned());
            }
            s.len()
        }
        Value::Slice(s) => s.items.len(),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let mut idx = [0, len, len];
    for (k, i) in indexes.iter().enumerate() {
        idx[k] = index_arg(i, len)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(match item {
        Value::Str(s) => {
            let bytes = s.as_bytes().get(idx[0]..idx[1]).unwrap_or_default();
            Value::str(&String::from_utf8_lossy(bytes))
        }
        Value::Slice(s) => {
            let mut out = (**s).clone();
            out.items = s.items.get(idx[0]..idx[1]).unwrap_or_default().to_vec();
            out.is_nil = false;
            Value::Slice(std::rc::Rc::new(out))
        }
        _ => Value::Invalid,
    })
}

/// Go's `template.HTMLEscapeString`.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if (c as u32) < 0x80 => out.push(c),
            c if gofmt::is_go_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
