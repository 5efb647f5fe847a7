//! The minijinja environment set up the way transformers sets up Jinja2 for
//! `apply_chat_template`: trim_blocks, lstrip_blocks, loop controls, Python methods,
//! `raise_exception`, `strftime_now`, a `json.dumps`-style `tojson`, Python's printing of
//! values, and the sandbox's range limit.

use std::fmt;

use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State, filters};

use super::budget::{self, BOUND_FILTER, BudgetLimits, EACH_FILTER, ensure_fits};
use super::generation::GENERATION_FUNCTION;
use super::markup::{self, MARKUP_ESCAPE_FILTER};
use super::pyfmt;
use super::pyjson::{self, JsonOptions};
use super::pyobjects::{PyGenerator, PyNone, PyTuple, is_py_none};
use super::strftime::FixedDateTime;

/// The hidden variable carrying the moment `strftime_now` formats, as
/// `[year, month, day, hour, minute, second]`.
pub const NOW_VARIABLE: &str = "__ruvltra_now__";

/// Jinja2's sandbox refuses `range()` with more items than this (`MAX_RANGE`).
const MAX_RANGE: i64 = 100_000;

/// Marks an error raised by the template's own `raise_exception(message)`.
#[derive(Debug)]
pub struct RaisedByTemplate(pub String);

impl fmt::Display for RaisedByTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RaisedByTemplate {}

/// Converts the render variables; a top-level `null` becomes [`PyNone`] so that, as in
/// Python, iterating `tools=None` fails instead of looping zero times.
pub fn variables_value(vars: &serde_json::Map<String, serde_json::Value>) -> Value {
    Value::from_iter(vars.iter().map(|(key, value)| {
        let value = if value.is_null() {
            Value::from_object(PyNone)
        } else {
            Value::from_serialize(value)
        };
        (key.clone(), value)
    }))
}

/// Builds the environment every chat template is rendered in; `limits` bound what one
/// rendering may build (see [`budget`]).
pub fn build(fuel: u64, recursion_limit: usize, limits: BudgetLimits) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(false);
    env.set_fuel(Some(fuel));
    env.set_recursion_limit(recursion_limit);
    env.set_unknown_method_callback(move |state, value, method, args| {
        // `dict.items()` gives tuples (they print as `('k', v)`), not lists.
        if value.kind() == ValueKind::Map && method == "items" && args.is_empty() {
            return pairs(value).map(Value::from);
        }
        if let Some(text) = value.as_str() {
            check_str_method(text, method, args, limits)?;
        }
        minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args)
    });
    // Printed text is charged too: inside a macro or a `{% set %}` block it is captured
    // into a string that no output cap sees.
    env.set_formatter(move |out, state, value| {
        let mut text = String::new();
        pyfmt::write_str(&mut text, value)?;
        budget::charge(state, text.len(), limits)?;
        out.write_str(&text)
            .map_err(|_| Error::new(ErrorKind::WriteFailure, "output refused"))
    });
    env.add_filter("tojson", tojson);
    env.add_filter("string", |value: Value| pyfmt::to_str(&value));
    env.add_filter(
        "join",
        move |state: &State, value: Value, separator: Option<Value>, kwargs: Kwargs| {
            join(state, value, separator, kwargs, limits)
        },
    );
    env.add_filter(BOUND_FILTER, move |state: &State, value: Value| {
        budget::bound(state, value, limits)
    });
    env.add_filter(
        EACH_FILTER,
        move |state: &State, value: Value, bytes: usize| budget::each(state, value, bytes, limits),
    );
    env.add_filter(
        "format",
        move |state: &State, format: Value, args: Rest<Value>| {
            ensure_fits(largest_number(&pyfmt::to_str(&format)?), limits)?;
            filters::format(state, &format, args)
        },
    );
    env.add_filter(
        "batch",
        move |state: &State, value: Value, count: usize, fill: Option<Value>| {
            ensure_fits(count.saturating_mul(budget::ITEM_BYTES), limits)?;
            filters::batch(state, value, count, fill)
        },
    );
    env.add_filter(
        "slice",
        move |state: &State, value: Value, count: usize, fill: Option<Value>| {
            ensure_fits(count.saturating_mul(budget::ITEM_BYTES), limits)?;
            filters::slice(state, value, count, fill)
        },
    );
    env.add_filter("length", length);
    env.add_filter("count", length);
    env.add_filter("dictsort", |value: &Value, kwargs: Kwargs| {
        let pairs = filters::dictsort(value, kwargs)?;
        let tuples: Vec<Value> = pairs
            .try_iter()?
            .map(|pair| {
                Value::from_object(PyTuple(
                    pair.try_iter().map(|i| i.collect()).unwrap_or_default(),
                ))
            })
            .collect();
        Ok::<_, Error>(Value::from(tuples))
    });
    // Jinja2's `map`/`select`/`reject` family returns generators.
    env.add_filter("map", |state: &State, value: Value, args: Rest<Value>| {
        generator(&value, || filters::map(state, value.clone(), args))
    });
    env.add_filter(
        "select",
        |state: &State, value: Value, test: Option<String>, args: Rest<Value>| {
            generator(&value, || {
                filters::select(state, value.clone(), test.map(Into::into), args)
            })
        },
    );
    env.add_filter(
        "reject",
        |state: &State, value: Value, test: Option<String>, args: Rest<Value>| {
            generator(&value, || {
                filters::reject(state, value.clone(), test.map(Into::into), args)
            })
        },
    );
    env.add_filter(
        "selectattr",
        |state: &State, value: Value, attr: String, test: Option<String>, args: Rest<Value>| {
            generator(&value, || {
                filters::selectattr(
                    state,
                    value.clone(),
                    attr.into(),
                    test.map(Into::into),
                    args,
                )
            })
        },
    );
    env.add_filter(
        "rejectattr",
        |state: &State, value: Value, attr: String, test: Option<String>, args: Rest<Value>| {
            generator(&value, || {
                filters::rejectattr(
                    state,
                    value.clone(),
                    attr.into(),
                    test.map(Into::into),
                    args,
                )
            })
        },
    );
    env.add_filter("items", |value: Value| -> Result<Value, Error> {
        if value.is_undefined() {
            return Ok(PyGenerator::new_value(Vec::new()));
        }
        if value.kind() != ValueKind::Map {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "items: can only get item pairs from a mapping",
            ));
        }
        Ok(PyGenerator::new_value(pairs(&value)?))
    });
    env.add_filter("round", round);
    env.add_filter("center", move |value: Value, width: Option<usize>| {
        let text = pyfmt::to_str(&value)?;
        let width = width.unwrap_or(80);
        ensure_fits(width.saturating_add(text.len()), limits)?;
        let len = text.chars().count();
        if width <= len {
            return Ok(text);
        }
        // CPython's str.center: the odd space goes left only when the width is odd too.
        let margin = width - len;
        let left = margin / 2 + (margin & width & 1);
        Ok::<_, Error>(format!(
            "{}{text}{}",
            " ".repeat(left),
            " ".repeat(margin - left)
        ))
    });
    env.add_filter("wordcount", |value: Value| {
        let text = pyfmt::to_str(&value)?;
        let mut count = 0;
        let mut in_word = false;
        for c in text.chars() {
            let word = c.is_alphanumeric() || c == '_';
            count += usize::from(word && !in_word);
            in_word = word;
        }
        Ok::<_, Error>(count)
    });
    env.add_filter("truncate", truncate);
    env.add_filter(
        "indent",
        move |value: Value, args: Rest<Value>, kwargs: Kwargs| indent(value, args, kwargs, limits),
    );
    env.add_filter(
        "replace",
        move |value: Value, old: String, new: String, count: Option<i64>| {
            let text = pyfmt::to_str(&value)?;
            let count = count.filter(|n| *n >= 0);
            ensure_fits(replaced_len(&text, &old, &new, count), limits)?;
            Ok::<_, Error>(match count {
                Some(n) => text.replacen(&old, &new, n as usize),
                None => text.replace(&old, &new),
            })
        },
    );
    env.add_filter("int", to_int);
    // Jinja2's sandbox looks up Python attributes, which dicts and strings do not have as
    // data: `{'role': 'x'}|attr('role')` is undefined there.
    env.add_filter("attr", |_value: Value, _name: String| Value::UNDEFINED);
    env.add_filter("title", |value: Value| {
        // Jinja2's `title`: words start after `-`, whitespace and opening brackets, so
        // "it's" stays "It's" (unlike Python's `str.title`).
        let mut out = String::new();
        let mut word_start = true;
        for c in pyfmt::to_str(&value)?.chars() {
            if c == '-' || c.is_whitespace() || matches!(c, '(' | '{' | '[' | '<') {
                out.push(c);
                word_start = true;
            } else if word_start {
                out.extend(c.to_uppercase());
                word_start = false;
            } else {
                out.extend(c.to_lowercase());
            }
        }
        Ok::<_, Error>(out)
    });
    env.add_test("none", |value: &Value| is_py_none(value));
    // Python: anything with `len()` and `[]` is a sequence: strings, lists, dicts, Undefined.
    env.add_test("sequence", |value: &Value| {
        value.downcast_object_ref::<PyGenerator>().is_none()
            && matches!(
                value.kind(),
                ValueKind::String | ValueKind::Seq | ValueKind::Map | ValueKind::Undefined
            )
    });
    // Python: anything `iter()` accepts; not None, numbers or booleans.
    env.add_test("iterable", |value: &Value| {
        matches!(
            value.kind(),
            ValueKind::String
                | ValueKind::Seq
                | ValueKind::Map
                | ValueKind::Iterable
                | ValueKind::Undefined
        )
    });
    env.add_function("raise_exception", raise_exception);
    env.add_function("strftime_now", strftime_now);
    env.add_function("range", range);
    env.add_function(GENERATION_FUNCTION, generation);
    env.add_filter(MARKUP_ESCAPE_FILTER, |value: Value| {
        if value.is_safe() {
            Ok::<_, Error>(value)
        } else {
            Ok(Value::from(markup::escape(&pyfmt::to_str(&value)?)))
        }
    });
    env
}

/// `tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False)`,
/// positional or keyword, as `json.dumps` takes them.
fn tojson(value: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let mut slots: [Option<Value>; 4] = Default::default();
    if args.len() > slots.len() {
        return Err(Error::new(
            ErrorKind::TooManyArguments,
            "tojson takes at most 4 arguments",
        ));
    }
    for (slot, arg) in slots.iter_mut().zip(args.iter()) {
        *slot = Some(arg.clone());
    }
    for (i, name) in ["ensure_ascii", "indent", "separators", "sort_keys"]
        .into_iter()
        .enumerate()
    {
        if let Some(value) = kwargs.get::<Option<Value>>(name)? {
            slots[i] = Some(value);
        }
    }
    kwargs.assert_all_used()?;
    let [ensure_ascii, indent, separators, sort_keys] = slots;
    let indent = match indent.filter(|v| !v.is_none()) {
        None => None,
        Some(v) if v.kind() == ValueKind::String => Some(v.as_str().unwrap_or_default().to_owned()),
        Some(v) if v.is_integer() => {
            Some(" ".repeat(v.as_i64().unwrap_or(0).clamp(0, 64) as usize))
        }
        Some(v) => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("tojson: bad indent {v}"),
            ));
        }
    };
    let separators = match separators.filter(|v| !v.is_none()) {
        None => None,
        Some(v) => {
            let parts: Vec<Value> = v.try_iter()?.collect();
            match parts.as_slice() {
                [item, key] if item.as_str().is_some() && key.as_str().is_some() => Some((
                    item.as_str().unwrap_or_default().to_owned(),
                    key.as_str().unwrap_or_default().to_owned(),
                )),
                _ => {
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        "tojson: separators must be two strings",
                    ));
                }
            }
        }
    };
    let options = JsonOptions {
        ensure_ascii: ensure_ascii.is_some_and(|v| v.is_true()),
        indent,
        separators,
        sort_keys: sort_keys.is_some_and(|v| v.is_true()),
    };
    pyjson::dumps(&value, &options).map(Value::from)
}

/// Jinja2's `join(d='', attribute=None)`: items printed with Python's `str()`.
fn join(
    state: &State,
    value: Value,
    separator: Option<Value>,
    kwargs: Kwargs,
    limits: BudgetLimits,
) -> Result<String, Error> {
    let attribute: Option<Value> = kwargs.get("attribute")?;
    let separator = kwargs.get::<Option<Value>>("d")?.or(separator);
    kwargs.assert_all_used()?;
    let separator = separator
        .map(|s| pyfmt::to_str(&s))
        .transpose()?
        .unwrap_or_default();
    let mut out = String::new();
    if value.is_undefined() {
        return Ok(out);
    }
    if let Some(text) = value.as_str() {
        // Joining a string joins its characters.
        let chars = text.chars().count();
        ensure_fits(
            text.len() + chars.saturating_sub(1).saturating_mul(separator.len()),
            limits,
        )?;
        let chars: Vec<String> = text.chars().map(String::from).collect();
        return Ok(chars.join(&separator));
    }
    for (i, item) in value.try_iter()?.enumerate() {
        // Checked as it grows: a long separator between many items builds far more than
        // either holds.
        ensure_fits(out.len().saturating_add(separator.len()), limits)?;
        if i > 0 {
            out.push_str(&separator);
        }
        let item = match &attribute {
            Some(attribute) => attribute_of(state, &item, attribute)?,
            None => item,
        };
        pyfmt::write_str(&mut out, &item)?;
    }
    Ok(out)
}

/// `attribute="a.b"` lookups as Jinja2's filters do them (dotted path, integer parts index).
fn attribute_of(_state: &State, item: &Value, attribute: &Value) -> Result<Value, Error> {
    let Some(path) = attribute.as_str() else {
        return item.get_item(attribute);
    };
    let mut current = item.clone();
    for part in path.split('.') {
        current = match part.parse::<i64>() {
            Ok(index) => current.get_item(&Value::from(index))?,
            Err(_) => current.get_attr(part)?,
        };
    }
    Ok(current)
}

/// The generator Jinja2's `map`/`select` family returns: empty for a false input (it only
/// iterates `if value`), otherwise what `items` yields.
fn generator(
    value: &Value,
    items: impl FnOnce() -> Result<Vec<Value>, Error>,
) -> Result<Value, Error> {
    if !value.is_true() {
        return Ok(PyGenerator::new_value(Vec::new()));
    }
    items().map(PyGenerator::new_value)
}

/// A mapping's `(key, value)` pairs as tuples.
fn pairs(map: &Value) -> Result<Vec<Value>, Error> {
    map.try_iter()?
        .map(|key| {
            let item = map.get_item(&key)?;
            Ok(Value::from_object(PyTuple(vec![key, item])))
        })
        .collect()
}

/// Jinja2's `round(value, precision=0, method='common')`: `common` is Python's `round`
/// (ties to even on the exact binary value), `ceil` and `floor` round away or toward.
fn round(
    value: Value,
    precision: Option<i32>,
    method: Option<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let precision = kwargs
        .get::<Option<i32>>("precision")?
        .or(precision)
        .unwrap_or(0);
    let method = kwargs
        .get::<Option<String>>("method")?
        .or(method)
        .unwrap_or_else(|| "common".to_owned());
    kwargs.assert_all_used()?;
    if !matches!(method.as_str(), "common" | "ceil" | "floor") {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "method must be common, ceil or floor",
        ));
    }
    if method == "common" && value.is_integer() {
        return Ok(value);
    }
    let x = f64::try_from(value)?;
    let scale = 10f64.powi(precision);
    let rounded = match method.as_str() {
        "ceil" => (x * scale).ceil() / scale,
        "floor" => (x * scale).floor() / scale,
        // Rust's fixed-precision formatting rounds the exact binary value half to even, as
        // Python's `round` does.
        _ if precision >= 0 => format!("{x:.prec$}", prec = precision as usize)
            .parse()
            .unwrap_or(x),
        _ => (x * scale).round_ties_even() / scale,
    };
    Ok(Value::from(rounded))
}

/// Jinja2's `truncate(length=255, killwords=False, end='...', leeway=5)`.
fn truncate(value: Value, args: Rest<Value>, kwargs: Kwargs) -> Result<String, Error> {
    let arg = |i: usize, name: &str| -> Result<Option<Value>, Error> {
        Ok(kwargs
            .get::<Option<Value>>(name)?
            .or_else(|| args.get(i).cloned())
            .filter(|v| !v.is_none()))
    };
    let count = |v: Option<Value>, default: usize| v.and_then(|v| v.as_usize()).unwrap_or(default);
    let length = count(arg(0, "length")?, 255);
    let killwords = arg(1, "killwords")?.is_some_and(|v| v.is_true());
    let end = arg(2, "end")?
        .map(|v| pyfmt::to_str(&v))
        .transpose()?
        .unwrap_or_else(|| "...".to_owned());
    let leeway = count(arg(3, "leeway")?, 5);
    kwargs.assert_all_used()?;
    let text = pyfmt::to_str(&value)?;
    let end_len = end.chars().count();
    if length < end_len {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "expected length >= len(end)",
        ));
    }
    if text.chars().count() <= length + leeway {
        return Ok(text);
    }
    let head: String = text.chars().take(length - end_len).collect();
    if killwords {
        return Ok(head + &end);
    }
    let head = match head.rsplit_once(' ') {
        Some((before, _)) => before.to_owned(),
        None => head,
    };
    Ok(head + &end)
}

/// Jinja2's `indent(width=4, first=False, blank=False)`; `width` may be the indent text.
fn indent(
    value: Value,
    args: Rest<Value>,
    kwargs: Kwargs,
    limits: BudgetLimits,
) -> Result<String, Error> {
    let arg = |i: usize, name: &str| -> Result<Option<Value>, Error> {
        Ok(kwargs
            .get::<Option<Value>>(name)?
            .or_else(|| args.get(i).cloned()))
    };
    let indention = match arg(0, "width")? {
        Some(width) if width.kind() == ValueKind::String => pyfmt::to_str(&width)?,
        Some(width) => " ".repeat(width.as_usize().unwrap_or(0).min(1024)),
        None => "    ".to_owned(),
    };
    let first = arg(1, "first")?.is_some_and(|v| v.is_true());
    let blank = arg(2, "blank")?.is_some_and(|v| v.is_true());
    kwargs.assert_all_used()?;
    // Jinja2 appends a newline, then splits with Python's `splitlines`.
    let text = pyfmt::to_str(&value)? + "\n";
    let lines = splitlines(&text);
    ensure_fits(
        text.len()
            .saturating_add((lines.len() + 1).saturating_mul(indention.len())),
        limits,
    )?;
    let mut out = if blank {
        lines.join(&format!("\n{indention}"))
    } else {
        let mut rest = lines.iter();
        let mut out = rest.next().map(|s| s.to_string()).unwrap_or_default();
        for line in rest {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&indention);
            }
            out.push_str(line);
        }
        out
    };
    if first {
        out.insert_str(0, &indention);
    }
    Ok(out)
}

/// The length of `text` with `old` replaced by `new` (at most `count` times), computed
/// without building it.
fn replaced_len(text: &str, old: &str, new: &str, count: Option<i64>) -> usize {
    let found = if old.is_empty() {
        text.chars().count() + 1
    } else {
        text.matches(old).count()
    };
    let found = count.map_or(found, |n| {
        found.min(usize::try_from(n).unwrap_or(usize::MAX))
    });
    text.len()
        .saturating_sub(found.saturating_mul(old.len()))
        .saturating_add(found.saturating_mul(new.len()))
}

/// The largest number written in a format string: a width or precision in `%...s` or
/// `{:...}` pads the result to that many characters.
fn largest_number(format: &str) -> usize {
    format
        .split(|c: char| !c.is_ascii_digit())
        .filter(|digits| !digits.is_empty())
        .map(|digits| digits.parse::<usize>().unwrap_or(usize::MAX))
        .max()
        .unwrap_or(0)
}

/// Size checks for the Python string methods (`pycompat`) that can build far more than
/// they are given: `replace`, `join` and `format`.
fn check_str_method(
    text: &str,
    method: &str,
    args: &[Value],
    limits: BudgetLimits,
) -> Result<(), Error> {
    let arg = |i: usize| args.get(i).and_then(Value::as_str).unwrap_or_default();
    match method {
        "replace" => {
            let count = args.get(2).and_then(Value::as_i64).filter(|n| *n >= 0);
            ensure_fits(replaced_len(text, arg(0), arg(1), count), limits)
        }
        "join" => {
            let items = args.first().and_then(Value::len).unwrap_or(0);
            let items_size = args
                .first()
                .map_or(0, |items| budget::measure(items, limits.value));
            ensure_fits(
                items_size.saturating_add(items.saturating_mul(text.len())),
                limits,
            )
        }
        "format" => ensure_fits(largest_number(text), limits),
        _ => Ok(()),
    }
}

/// Python's `str.splitlines()`: every line boundary Python knows, `\r\n` as one.
fn splitlines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let boundary = matches!(
            c,
            '\n' | '\r'
                | '\u{b}'
                | '\u{c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if boundary {
            lines.push(&text[start..i]);
            let mut end = i + c.len_utf8();
            if c == '\r' && chars.peek().is_some_and(|(_, next)| *next == '\n') {
                chars.next();
                end += 1;
            }
            start = end;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// Jinja2's `int(default=0, base=10)`: numbers truncate, strings parse (as a float when
/// they are not an integer), anything else gives the default.
fn to_int(value: Value, default: Option<Value>, base: Option<u32>) -> Value {
    let default = default.unwrap_or(Value::from(0));
    if value.is_integer() {
        return value;
    }
    if value.kind() == ValueKind::Bool {
        return Value::from(i64::from(value.is_true()));
    }
    if let (ValueKind::Number, Ok(float)) = (value.kind(), f64::try_from(value.clone())) {
        return if float.is_finite() {
            Value::from(float.trunc() as i64)
        } else {
            default
        };
    }
    let Some(text) = value.as_str() else {
        return default;
    };
    let text = text.trim().replace('_', "");
    if let Ok(parsed) = i64::from_str_radix(&text, base.unwrap_or(10)) {
        return Value::from(parsed);
    }
    match text.parse::<f64>() {
        Ok(float) if float.is_finite() => Value::from(float.trunc() as i64),
        _ => default,
    }
}

/// Python's `len()`: Undefined has length 0; generators, numbers and None have none.
fn length(value: &Value) -> Result<usize, Error> {
    if value.is_undefined() {
        return Ok(0);
    }
    if value.downcast_object_ref::<PyGenerator>().is_some() {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "object of type 'generator' has no len()",
        ));
    }
    value.len().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("object of type {} has no len()", value.kind()),
        )
    })
}

/// `raise_exception(message)`: stops rendering with the template's own message.
fn raise_exception(message: Option<Value>) -> Result<Value, Error> {
    let message = message
        .map(|m| pyfmt::to_str(&m))
        .transpose()?
        .unwrap_or_default();
    Err(Error::new(ErrorKind::InvalidOperation, message.clone())
        .with_source(RaisedByTemplate(message)))
}

/// `strftime_now(format)`: the fixed moment of this rendering, formatted.
fn strftime_now(state: &State, format: String) -> Result<String, Error> {
    let now = state
        .lookup(NOW_VARIABLE)
        .and_then(|v| {
            let parts: Vec<i64> = v.try_iter().ok()?.filter_map(|p| p.as_i64()).collect();
            match parts.as_slice() {
                [year, month, day, hour, minute, second] => Some(FixedDateTime {
                    year: *year as i32,
                    month: *month as u32,
                    day: *day as u32,
                    hour: *hour as u32,
                    minute: *minute as u32,
                    second: *second as u32,
                }),
                _ => None,
            }
        })
        .unwrap_or_default();
    Ok(now.strftime(&format))
}

/// Python's `range(stop)` / `range(start, stop[, step])` under the sandbox's size limit.
fn range(start: i64, stop: Option<i64>, step: Option<i64>) -> Result<Value, Error> {
    let (start, stop) = match stop {
        Some(stop) => (start, stop),
        None => (0, start),
    };
    let step = step.unwrap_or(1);
    if step == 0 {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "range() arg 3 must not be zero",
        ));
    }
    let len = if step > 0 {
        (stop.saturating_sub(start).max(0) + step - 1) / step
    } else {
        (start.saturating_sub(stop).max(0) + (-step) - 1) / (-step)
    };
    if len > MAX_RANGE {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("range too big, maximum size for range is {MAX_RANGE}"),
        ));
    }
    Ok(Value::from(
        (0..len).map(|i| start + i * step).collect::<Vec<i64>>(),
    ))
}

/// The body of a rewritten `{% generation %}` block, rendered unchanged.
fn generation(state: &State, kwargs: Kwargs) -> Result<Value, Error> {
    let caller: Value = kwargs.get("caller")?;
    kwargs.assert_all_used()?;
    caller.call(state, &[])
}
