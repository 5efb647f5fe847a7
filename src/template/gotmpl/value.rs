//! The values a template sees, modelled on how Go's reflection sees Ollama's data: typed Go
//! values (bool, int, float64, string, slices, `map[string]any`, structs), so printing,
//! truthiness, comparisons and JSON come out exactly as Go's would.

use std::collections::BTreeMap;
use std::rc::Rc;

/// One value inside the template engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Go's invalid `reflect.Value`: what a missing map key turns into; prints `<no value>`.
    Invalid,
    /// A nil interface or nil pointer (JSON `null`, an absent optional pointer).
    Nil,
    /// A Go `bool`.
    Bool(bool),
    /// A Go `int`.
    Int(i64),
    /// A Go `float64` (every JSON number decoded into `any`).
    Float(f64),
    /// A Go `string`.
    Str(Rc<str>),
    /// A Go slice.
    Slice(Rc<Slice>),
    /// A Go `map[string]any`: ranged and printed in sorted key order.
    Map(Rc<BTreeMap<String, Value>>),
    /// A Go struct (or a pointer to one; the engine dereferences like Go does).
    Struct(Rc<Struct>),
    /// An ordered map type of Ollama's (tool-call arguments, tool properties): a struct to the
    /// template engine, a JSON object in insertion order to `json` and printing.
    Ordered(Rc<Ordered>),
    /// A named map type of Ollama's with a `String()` printing its JSON (the template copies
    /// of tool-call arguments and tool properties): ranged, indexed and marshalled like a
    /// `map[string]any` (sorted keys), printed as its JSON wherever `fmt` prints it.
    JsonMap(Rc<JsonMap>),
}

/// A Go slice and its element type.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    /// The Go type, for error messages and `%T`-like output.
    pub type_name: &'static str,
    /// The elements.
    pub items: Vec<Value>,
    /// A nil slice (JSON `null`) rather than an empty one (`[]`).
    pub is_nil: bool,
    /// The slice type's `String()` method, which prints its JSON (Ollama's `api.Tools`).
    pub stringer: Stringer,
}

/// Which `String() string` method a Go type has. Ollama's types print their JSON through it;
/// whether Go calls it depends on the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stringer {
    /// No `String` method: printed field by field.
    None,
    /// `func (T) String()`: used wherever the value is printed.
    Value,
    /// `func (*T) String()`: used when an action prints the field itself (Go can take its
    /// address), not when a copy is passed to `print`, `printf` or nested in another value.
    Pointer,
}

/// A Go struct value.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    /// The Go type, such as `api.Message`.
    pub type_name: &'static str,
    /// Exported fields in declaration order.
    pub fields: Vec<Field>,
    /// The type's `String()` method, which prints its JSON.
    pub stringer: Stringer,
}

/// One exported struct field with its `json:"..."` tag.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The Go field name (`Role`).
    pub name: &'static str,
    /// The JSON key (`role`).
    pub json_name: &'static str,
    /// `omitempty` in the tag.
    pub omit_empty: bool,
    /// The value.
    pub value: Value,
}

/// An insertion-ordered string-keyed map type.
#[derive(Debug, Clone, PartialEq)]
pub struct Ordered {
    /// The Go type.
    pub type_name: &'static str,
    /// The entries in insertion order.
    pub entries: Vec<(String, Value)>,
}

/// A named `map[string]T` type with a value-receiver `String()` that prints its JSON, or
/// `{}` when the map is nil.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonMap {
    /// The Go type.
    pub type_name: &'static str,
    /// The entries; Go visits and marshals them in sorted key order.
    pub entries: BTreeMap<String, Value>,
    /// A nil map (JSON `null`) rather than an empty one (`{}`).
    pub is_nil: bool,
}

impl Struct {
    /// The field called `name`, if the struct has one.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| &f.value)
    }
}

impl Value {
    /// A Go string.
    pub fn str(s: &str) -> Value {
        Value::Str(Rc::from(s))
    }

    /// A Go `[]T` of the given type.
    pub fn slice(type_name: &'static str, items: Vec<Value>) -> Value {
        Value::Slice(Rc::new(Slice {
            type_name,
            items,
            is_nil: false,
            stringer: Stringer::None,
        }))
    }

    /// The entries of a map value (plain or named), which Go ranges and indexes alike.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) => Some(m),
            Value::JsonMap(m) => Some(&m.entries),
            _ => None,
        }
    }

    /// The Go type name, as error messages print it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Invalid => "<invalid>".to_owned(),
            Value::Nil => "<nil>".to_owned(),
            Value::Bool(_) => "bool".to_owned(),
            Value::Int(_) => "int".to_owned(),
            Value::Float(_) => "float64".to_owned(),
            Value::Str(_) => "string".to_owned(),
            Value::Slice(s) => s.type_name.to_owned(),
            Value::Map(_) => "map[string]interface {}".to_owned(),
            Value::Struct(s) => s.type_name.to_owned(),
            Value::Ordered(o) => o.type_name.to_owned(),
            Value::JsonMap(m) => m.type_name.to_owned(),
        }
    }

    /// Go's `isTrue`: the truth of a value for `if`, `with`, `and`, `or`, `not`.
    pub fn is_true(&self) -> bool {
        match self {
            Value::Invalid | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Slice(s) => !s.items.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::JsonMap(m) => !m.entries.is_empty(),
            Value::Struct(_) | Value::Ordered(_) => true,
        }
    }

    /// Go's `encoding/json` emptiness, for `omitempty`.
    fn is_json_empty(&self) -> bool {
        match self {
            Value::Invalid | Value::Nil => true,
            Value::Bool(b) => !*b,
            Value::Int(i) => *i == 0,
            Value::Float(f) => *f == 0.0,
            Value::Str(s) => s.is_empty(),
            Value::Slice(s) => s.items.is_empty(),
            Value::Map(m) => m.is_empty(),
            Value::JsonMap(m) => m.entries.is_empty(),
            Value::Struct(_) | Value::Ordered(_) => false,
        }
    }

    /// A JSON value decoded the way Go's `json.Unmarshal` into `any` decodes it: objects become
    /// `map[string]any`, numbers `float64`.
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::str(s),
            serde_json::Value::Array(a) => {
                Value::slice("[]interface {}", a.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(o) => Value::Map(Rc::new(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            )),
        }
    }

    /// How a template action prints the value (`fmt.Fprint` of an addressable value, so
    /// pointer-receiver `String` methods apply).
    pub fn go_string(&self) -> String {
        let mut out = String::new();
        write_v(&mut out, self, 0, true);
        out
    }

    /// `fmt.Sprint(v)` of a copy, as `print` and `printf` see their operands: only
    /// value-receiver `String` methods apply.
    pub(crate) fn go_string_copy(&self) -> String {
        let mut out = String::new();
        write_v(&mut out, self, 0, false);
        out
    }

    /// `json.Marshal(v)`, with Go's HTML escaping and number formats; `None` where Go's
    /// `Marshal` fails (NaN or infinite floats), which Ollama's `json` turns into "".
    pub fn to_go_json(&self) -> Option<String> {
        let mut out = String::new();
        write_json(&mut out, self).then_some(out)
    }
}

/// Whether `fmt` calls the type's `String` method here: nested values and copies are not
/// addressable.
fn uses_stringer(stringer: Stringer, depth: usize, addressable: bool) -> bool {
    match stringer {
        Stringer::None => false,
        Stringer::Value => true,
        Stringer::Pointer => depth == 0 && addressable,
    }
}

fn write_v(out: &mut String, v: &Value, depth: usize, addressable: bool) {
    match v {
        Value::Invalid => out.push_str(if depth == 0 {
            "<no value>"
        } else {
            "<invalid reflect.Value>"
        }),
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&format_float_g(*f)),
        Value::Str(s) => out.push_str(s),
        Value::Slice(s) => {
            if uses_stringer(s.stringer, depth, addressable) {
                out.push_str(&v.to_go_json().unwrap_or_default());
                return;
            }
            out.push('[');
            for (i, item) in s.items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(out, item, depth + 1, addressable);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_v(out, item, depth + 1, addressable);
            }
            out.push(']');
        }
        Value::Struct(s) => {
            if uses_stringer(s.stringer, depth, addressable) {
                out.push_str(&v.to_go_json().unwrap_or_default());
                return;
            }
            out.push('{');
            for (i, f) in s.fields.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(out, &f.value, depth + 1, addressable);
            }
            out.push('}');
        }
        Value::Ordered(_) => out.push_str(&v.to_go_json().unwrap_or_default()),
        // `String()` marshals the map and writes "{}" for a nil one.
        Value::JsonMap(m) if m.is_nil => out.push_str("{}"),
        Value::JsonMap(_) => out.push_str(&v.to_go_json().unwrap_or_default()),
    }
}

/// Splits a finite float into its shortest round-trip decimal digits and exponent, so that
/// `value = 0.d1d2d3... * 10^exp` (Go's `decimal` convention: `dp` is `exp`).
fn shortest_digits(f: f64) -> (String, i32) {
    // Rust's `{:e}` prints the shortest representation that round-trips, like Go's -1 precision.
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (digits.to_owned(), exp + 1)
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`, which `fmt`'s `%v` uses for float64.
pub(crate) fn format_float_g(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let (digits, dp) = shortest_digits(f);
    let sign = if f < 0.0 { "-" } else { "" };
    let exp = dp - 1;
    // Shortest %g (what %v uses) switches to exponent form outside [-4, 6), as Go does.
    let eprec = 6;
    if exp < -4 || exp >= eprec {
        format!("{sign}{}", exp_form(&digits, exp))
    } else {
        format!("{sign}{}", fixed_form(&digits, dp))
    }
}

fn exp_form(digits: &str, exp: i32) -> String {
    let mut s = String::new();
    s.push_str(&digits[..1]);
    if digits.len() > 1 {
        s.push('.');
        s.push_str(&digits[1..]);
    }
    s.push('e');
    s.push(if exp < 0 { '-' } else { '+' });
    let e = exp.abs();
    if e < 10 {
        s.push('0');
    }
    s.push_str(&e.to_string());
    s
}

fn fixed_form(digits: &str, dp: i32) -> String {
    if dp <= 0 {
        format!("0.{}{}", "0".repeat((-dp) as usize), digits)
    } else if dp as usize >= digits.len() {
        format!("{}{}", digits, "0".repeat(dp as usize - digits.len()))
    } else {
        format!("{}.{}", &digits[..dp as usize], &digits[dp as usize..])
    }
}

/// `encoding/json`'s float64 format: fixed notation, or exponent form below 1e-6 and from 1e21.
fn format_float_json(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let (digits, dp) = shortest_digits(f);
        let s = exp_form(&digits, dp - 1);
        // Go trims a leading zero from a negative two-digit exponent (e-07 -> e-7).
        let s = s.replace("e-0", "e-");
        let s = s.replace("e+0", "e+");
        return format!("{}{}", if f < 0.0 { "-" } else { "" }, s);
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let (digits, dp) = shortest_digits(f);
    format!(
        "{}{}",
        if f < 0.0 { "-" } else { "" },
        fixed_form(&digits, dp)
    )
}

/// Writes `s` as Go's `json.Marshal` writes a string (HTML-safe escaping).
pub(crate) fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_json(out: &mut String, v: &Value) -> bool {
    match v {
        Value::Invalid | Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => {
            if !f.is_finite() {
                return false;
            }
            out.push_str(&format_float_json(*f));
        }
        Value::Str(s) => write_json_string(out, s),
        Value::Slice(s) => {
            if s.is_nil {
                out.push_str("null");
                return true;
            }
            out.push('[');
            for (i, item) in s.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !write_json(out, item) {
                    return false;
                }
            }
            out.push(']');
        }
        Value::JsonMap(m) if m.is_nil => out.push_str("null"),
        Value::Map(_) | Value::JsonMap(_) => {
            let m = v.as_map().map(|m| m.iter()).into_iter().flatten();
            out.push('{');
            for (i, (k, item)) in m.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, k);
                out.push(':');
                if !write_json(out, item) {
                    return false;
                }
            }
            out.push('}');
        }
        Value::Ordered(o) => {
            out.push('{');
            for (i, (k, item)) in o.entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, k);
                out.push(':');
                if !write_json(out, item) {
                    return false;
                }
            }
            out.push('}');
        }
        Value::Struct(s) => {
            out.push('{');
            let mut first = true;
            for f in &s.fields {
                if f.omit_empty && f.value.is_json_empty() {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                write_json_string(out, f.json_name);
                out.push(':');
                if !write_json(out, &f.value) {
                    return false;
                }
            }
            out.push('}');
        }
    }
    true
}

/// A number literal in a template, with every Go type it can stand for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Number {
    /// Its value as an `int`, when it is an integer that fits.
    pub(crate) int: Option<i64>,
    /// Its value as a `float64`.
    pub(crate) float: Option<f64>,
    /// Go's `idealConstant` picks `float64` for a literal written with `.`, `e` or `p`.
    pub(crate) float_syntax: bool,
}

/// Parses a Go number literal (decimal, hex, octal, binary, floats, `_` separators) or a
/// character constant; `None` when Go would reject it.
pub(crate) fn parse_number(text: &str) -> Option<Number> {
    if text.starts_with('\'') {
        let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
        let s = super::lexer::unescape(inner, '\'')?;
        let mut cs = s.chars();
        let c = cs.next()?;
        if cs.next().is_some() {
            return None;
        }
        let i = c as i64;
        return Some(Number {
            int: Some(i),
            float: Some(i as f64),
            float_syntax: false,
        });
    }
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let clean: String = body.chars().filter(|&c| c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    let radix_int = |digits: &str, radix: u32| -> Option<i64> {
        if digits.is_empty() {
            return None;
        }
        let v = i64::from_str_radix(digits, radix).ok()?;
        Some(if neg { -v } else { v })
    };
    let int = if let Some(h) = lower.strip_prefix("0x") {
        if h.contains(['.', 'p']) {
            return None;
        }
        Some(radix_int(h, 16)?)
    } else if let Some(b) = lower.strip_prefix("0b") {
        Some(radix_int(b, 2)?)
    } else if let Some(o) = lower.strip_prefix("0o") {
        Some(radix_int(o, 8)?)
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit())
    {
        Some(radix_int(&lower[1..], 8)?)
    } else if lower.bytes().all(|b| b.is_ascii_digit()) {
        radix_int(&lower, 10)
    } else {
        None
    };
    if let Some(i) = int {
        return Some(Number {
            int: Some(i),
            float: Some(i as f64),
            float_syntax: false,
        });
    }
    if lower.starts_with("0x") || lower.starts_with("0b") || lower.starts_with("0o") {
        return None;
    }
    if !lower
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
        || lower.contains("inf")
    {
        return None;
    }
    let f: f64 = lower.parse().ok()?;
    let f = if neg { -f } else { f };
    let int = (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64);
    Some(Number {
        int,
        float: Some(f),
        float_syntax: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go() {
        assert_eq!(format_float_g(1.5), "1.5");
        assert_eq!(format_float_g(1e6), "1e+06");
        assert_eq!(format_float_g(123456.0), "123456");
        assert_eq!(format_float_g(0.0001), "0.0001");
        assert_eq!(format_float_g(0.00001), "1e-05");
        assert_eq!(format_float_g(100.0), "100");
        assert_eq!(format_float_json(1e21), "1e+21");
        assert_eq!(format_float_json(1e20), "100000000000000000000");
        assert_eq!(format_float_json(1e-7), "1e-7");
        assert_eq!(format_float_json(0.1), "0.1");
        assert_eq!(format_float_json(42.0), "42");
    }

    #[test]
    fn numbers_parse_like_go() {
        assert_eq!(parse_number("0x1F").and_then(|n| n.int), Some(31));
        assert_eq!(parse_number("1_000").and_then(|n| n.int), Some(1000));
        assert!(parse_number("1.0").is_some_and(|n| n.float_syntax));
        assert!(parse_number("1e3").is_some_and(|n| n.float_syntax && n.int == Some(1000)));
        assert!(parse_number("08").is_none());
        assert!(parse_number("1x").is_none());
    }
}
