//! Python's text forms of values: `str()` (what `{{ value }}` prints in Jinja2) and `repr()`
//! (how values inside lists and dicts print), and Python's float formatting.
//!
//! minijinja prints `none`/`true` and JSON-like maps; Jinja2 prints `None`/`True` and
//! `{'a': 1}`. Chat templates print whole tool-call arguments this way, so it must match.

use std::fmt::Write;

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};

use super::pyobjects::PyTuple;

/// Nesting deeper than this is refused when printing, as Python's recursion limit refuses
/// it, instead of overflowing the stack.
const MAX_DEPTH: usize = 200;

/// Writes `str(value)` as Python (and so Jinja2) would print it.
pub fn write_str(out: &mut String, value: &Value) -> Result<(), Error> {
    match value.kind() {
        ValueKind::Undefined => Ok(()),
        ValueKind::String => {
            out.push_str(value.as_str().unwrap_or_default());
            Ok(())
        }
        _ => write_repr(out, value, 0),
    }
}

/// `str(value)` as an owned string.
pub fn to_str(value: &Value) -> Result<String, Error> {
    let mut out = String::new();
    write_str(&mut out, value)?;
    Ok(out)
}

/// Writes `repr(value)`.
fn write_repr(out: &mut String, value: &Value, depth: usize) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "value nested too deeply to print",
        ));
    }
    if let Some(tuple) = value.downcast_object_ref::<PyTuple>() {
        out.push('(');
        for (i, item) in tuple.0.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_repr(out, item, depth + 1)?;
        }
        out.push_str(if tuple.0.len() == 1 { ",)" } else { ")" });
        return Ok(());
    }
    match value.kind() {
        ValueKind::Undefined => {}
        ValueKind::None => out.push_str("None"),
        ValueKind::Bool => out.push_str(if value.is_true() { "True" } else { "False" }),
        ValueKind::Number => write_number(out, value),
        ValueKind::String => write_str_repr(out, value.as_str().unwrap_or_default()),
        ValueKind::Seq | ValueKind::Iterable => {
            out.push('[');
            if let Ok(items) = value.try_iter() {
                for (i, item) in items.enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_repr(out, &item, depth + 1)?;
                }
            }
            out.push(']');
        }
        ValueKind::Map => {
            out.push('{');
            if let Ok(keys) = value.try_iter() {
                for (i, key) in keys.enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_repr(out, &key, depth + 1)?;
                    out.push_str(": ");
                    write_repr(out, &value.get_item(&key).unwrap_or_default(), depth + 1)?;
                }
            }
            out.push('}');
        }
        _ => {
            let _ = write!(out, "{value}");
        }
    }
    Ok(())
}

/// Writes a number the way Python prints it (`1`, `1.5`, `1e+16`, `nan`, `inf`).
pub fn write_number(out: &mut String, value: &Value) {
    if value.is_integer() {
        let _ = write!(out, "{value}");
    } else if let Ok(float) = f64::try_from(value.clone()) {
        out.push_str(&float_repr(float, "nan", "inf"));
    } else {
        let _ = write!(out, "{value}");
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, in fixed notation when the
/// decimal exponent is in `-4..16`, otherwise scientific with a signed, two-digit exponent.
/// `nan`/`inf` are passed in because `json.dumps` spells them `NaN`/`Infinity`.
pub fn float_repr(value: f64, nan: &str, inf: &str) -> String {
    if value.is_nan() {
        return nan.to_owned();
    }
    if value.is_infinite() {
        return if value < 0.0 {
            format!("-{inf}")
        } else {
            inf.to_owned()
        };
    }
    // Rust's `{:e}` gives the shortest round-tripping digits, e.g. `1.5e-7` or `-1e16`.
    let sci = format!("{value:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exponent) {
        let point = exponent + 1;
        if point <= 0 {
            let zeros = "0".repeat(point.unsigned_abs() as usize);
            format!("{sign}0.{zeros}{digits}")
        } else {
            let point = point as usize;
            if digits.len() <= point {
                let zeros = "0".repeat(point - digits.len());
                format!("{sign}{digits}{zeros}.0")
            } else {
                format!("{sign}{}.{}", &digits[..point], &digits[point..])
            }
        }
    } else {
        let rest = &digits[1..];
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{sign}{}{fraction}e{exp_sign}{:02}",
            &digits[..1],
            exponent.unsigned_abs()
        )
    }
}

/// Python's `repr(str)`: single quotes unless the text has a single quote and no double
/// quote; backslashes, the quote, and non-printable characters escaped.
pub fn write_str_repr(out: &mut String, text: &str) {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_printable(c) => {
                let code = u32::from(c);
                let _ = if code <= 0xff {
                    write!(out, "\\x{code:02x}")
                } else if code <= 0xffff {
                    write!(out, "\\u{code:04x}")
                } else {
                    write!(out, "\\U{code:08x}")
                };
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Python's `str.isprintable` for one character: false for controls, separators other than
/// the ASCII space, format characters and private-use code points (the common cases of the
/// Unicode categories Cc, Cf, Co, Zl, Zp and Zs).
fn is_printable(c: char) -> bool {
    let code = u32::from(c);
    !matches!(code,
        0x00..=0x1f | 0x7f..=0xa0 | 0xad
        | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x1680 | 0x180e
        | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064 | 0x2066..=0x206f
        | 0x3000 | 0xd800..=0xf8ff | 0xfeff | 0xfff9..=0xfffb
        | 0xf0000..=0x10ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python() {
        assert_eq!(float_repr(1.0, "nan", "inf"), "1.0");
        assert_eq!(float_repr(1.5, "nan", "inf"), "1.5");
        assert_eq!(float_repr(0.0001, "nan", "inf"), "0.0001");
        assert_eq!(float_repr(0.00001, "nan", "inf"), "1e-05");
        assert_eq!(float_repr(1e16, "nan", "inf"), "1e+16");
        assert_eq!(
            float_repr(123456789012345.6, "nan", "inf"),
            "123456789012345.6"
        );
        assert_eq!(float_repr(-2.5e-7, "nan", "inf"), "-2.5e-07");
        assert_eq!(float_repr(f64::INFINITY, "NaN", "Infinity"), "Infinity");
    }

    #[test]
    fn reprs_pick_python_quotes() {
        let mut out = String::new();
        let value =
            Value::from_serialize(serde_json::json!({"a": [1, true, null, "it's"], "b": "x\\y"}));
        write_repr(&mut out, &value, 0).unwrap();
        assert_eq!(out, r#"{'a': [1, True, None, "it's"], 'b': 'x\\y'}"#);
    }
}
