//! Go's `fmt.Sprint`, `fmt.Sprintln` and the common part of `fmt.Sprintf`, over template
//! values: what the `print`, `println` and `printf` builtins produce.

use super::value::{Stringer, Value, format_float_g};

/// How one argument prints under `%v` when passed to a `fmt` function (a copy, so only
/// value-receiver `String()` methods apply).
fn arg_v(v: &Value) -> String {
    match v {
        Value::Invalid | Value::Nil => "<nil>".to_owned(),
        other => other.go_string_copy(),
    }
}

/// Whether `fmt` calls a `String` method on this value when it is passed by copy.
fn has_value_stringer(v: &Value) -> bool {
    match v {
        Value::Slice(s) => s.stringer == Stringer::Value,
        Value::Struct(s) => s.stringer == Stringer::Value,
        Value::JsonMap(_) => true,
        _ => false,
    }
}

fn is_string(v: &Value) -> bool {
    matches!(v, Value::Str(_))
}

/// `fmt.Sprint(args...)`: spaces only between operands when neither side is a string.
///
/// Stops early once the result passes `limit` bytes (the caller then refuses it), so many
/// large operands cannot build an unbounded string.
pub(crate) fn sprint(args: &[Value], limit: usize) -> String {
    let mut out = String::new();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        if out.len() > limit {
            break;
        }
        let s = is_string(a);
        if i > 0 && !s && !prev_string {
            out.push(' ');
        }
        out.push_str(&arg_v(a));
        prev_string = s;
    }
    out
}

/// `fmt.Sprintln(args...)`: spaces between all operands, then a newline.
pub(crate) fn sprintln(args: &[Value], limit: usize) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if out.len() > limit {
            break;
        }
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&arg_v(a));
    }
    out.push('\n');
    out
}

#[derive(Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// `fmt.Sprintf(format, args...)` for the verbs templates use: `%v %s %d %q %t %f %e %g %x
/// %X %c %T %%`, with flags, width and precision; wrong or missing arguments print Go's
/// `%!verb(...)` markers. Stops early once the result passes `limit` bytes.
pub(crate) fn sprintf(format: &str, args: &[Value], limit: usize) -> String {
    let mut out = String::new();
    let mut next_arg = 0usize;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if out.len() > limit {
            return out;
        }
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = read_num(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.prec = Some(read_num(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next_arg) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        next_arg += 1;
        out.push_str(&format_one(verb, spec, arg));
    }
    if next_arg < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[next_arg..]
            .iter()
            .map(|a| match a {
                Value::Invalid | Value::Nil => "<nil>".to_owned(),
                a => format!("{}={}", a.type_name(), arg_v(a)),
            })
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

fn read_num(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        // Go caps widths at 1e6; staying below keeps padding allocations bounded.
        n = Some((n.unwrap_or(0) * 10 + d as usize).min(1_000_000));
        chars.next();
    }
    n
}

fn pad(body: &str, spec: Spec) -> String {
    let Some(width) = spec.width else {
        return body.to_owned();
    };
    let len = body.chars().count();
    if len >= width {
        return body.to_owned();
    }
    let fill = width - len;
    if spec.minus {
        return format!("{body}{}", " ".repeat(fill));
    }
    if spec.zero {
        // Zeros go after a sign, as Go pads numbers; other values are padded on the left.
        if let Some(rest) = body.strip_prefix(['-', '+', ' ']) {
            if rest.starts_with(|c: char| c.is_ascii_digit()) {
                return format!("{}{}{rest}", &body[..1], "0".repeat(fill));
            }
        }
        return format!("{}{body}", "0".repeat(fill));
    }
    format!("{}{body}", " ".repeat(fill))
}

/// Go's marker for a verb that does not fit the operand; the operand inside is printed with
/// `%v` under the same width and precision.
fn bad(verb: char, spec: Spec, arg: &Value) -> String {
    match arg {
        Value::Invalid | Value::Nil => format!("%!{verb}(<nil>)"),
        a => format!(
            "%!{verb}({}={})",
            a.type_name(),
            pad(&v_with_precision(a, spec), spec)
        ),
    }
}

/// `%v` of one operand, honouring a precision (strings truncate, floats round).
fn v_with_precision(arg: &Value, spec: Spec) -> String {
    match arg {
        Value::Str(s) => truncate(s, spec.prec),
        Value::Float(f) if spec.prec.is_some() => format_float(*f, 'g', spec),
        Value::Int(i) => sign(*i >= 0, i.to_string(), spec),
        a => arg_v(a),
    }
}

fn format_one(verb: char, spec: Spec, arg: &Value) -> String {
    if verb == 'T' {
        let t = match arg {
            Value::Invalid | Value::Nil => "<nil>".to_owned(),
            a => a.type_name(),
        };
        return pad(&t, spec);
    }
    format_nested(verb, spec, arg, 0)
}

/// One operand at `depth` inside a container: Go applies the verb to every element (and map
/// key), and prints a nil element as `<nil>` whatever the verb.
fn format_nested(verb: char, spec: Spec, arg: &Value, depth: usize) -> String {
    // A value-receiver `String` method (Ollama's `templateTools`, `templateArgs`) serves the string
    // verbs; other verbs see the underlying slice or struct.
    if matches!(verb, 'v' | 's' | 'x' | 'X' | 'q') && has_value_stringer(arg) {
        return format_nested(verb, spec, &Value::str(&arg.go_string_copy()), depth);
    }
    if verb != 'v' {
        match arg {
            Value::Slice(s) => {
                let parts: Vec<String> = s
                    .items
                    .iter()
                    .map(|i| format_nested(verb, spec, i, depth + 1))
                    .collect();
                return format!("[{}]", parts.join(" "));
            }
            Value::Map(m) => {
                let parts: Vec<String> = m
                    .iter()
                    .map(|(k, v)| {
                        format!(
                            "{}:{}",
                            format_nested(verb, spec, &Value::str(k), depth + 1),
                            format_nested(verb, spec, v, depth + 1)
                        )
                    })
                    .collect();
                return format!("map[{}]", parts.join(" "));
            }
            Value::Invalid | Value::Nil if depth > 0 => return pad("<nil>", spec),
            _ => {}
        }
    }
    let body = match (verb, arg) {
        ('v', _) => v_with_precision(arg, spec),
        ('s', Value::Str(s)) => truncate(s, spec.prec),
        ('s', Value::Struct(_) | Value::Ordered(_) | Value::Map(_) | Value::JsonMap(_)) => {
            arg_v(arg)
        }
        ('q', Value::Str(s)) => go_quote(s),
        ('q', Value::Int(i)) => match char::from_u32(*i as u32) {
            Some('\'') => "'\\''".to_owned(),
            Some('"') => "'\"'".to_owned(),
            Some(c) => {
                let q = go_quote(&c.to_string());
                format!("'{}'", &q[1..q.len() - 1])
            }
            None => bad(verb, spec, arg),
        },
        ('t', Value::Bool(b)) => b.to_string(),
        ('d', Value::Int(i)) => sign(*i >= 0, i.to_string(), spec),
        ('x', Value::Int(i)) => hex_int(*i, false, spec),
        ('X', Value::Int(i)) => hex_int(*i, true, spec),
        ('x', Value::Str(s)) => s.bytes().map(|b| format!("{b:02x}")).collect(),
        ('X', Value::Str(s)) => s.bytes().map(|b| format!("{b:02X}")).collect(),
        ('o', Value::Int(i)) => {
            let digits = format!("{:o}", i.unsigned_abs());
            let digits = if spec.sharp {
                format!("0{digits}")
            } else {
                digits
            };
            if *i < 0 { format!("-{digits}") } else { digits }
        }
        ('b', Value::Int(i)) => {
            let digits = format!("{:b}", i.unsigned_abs());
            if *i < 0 { format!("-{digits}") } else { digits }
        }
        ('U', Value::Int(i)) => format!("U+{:04X}", i),
        ('c', Value::Int(i)) => char::from_u32(*i as u32).unwrap_or('\u{FFFD}').to_string(),
        ('f' | 'F' | 'e' | 'E' | 'g' | 'G', Value::Float(f)) => format_float(*f, verb, spec),
        ('x', Value::Float(f)) => hex_float(*f, false),
        ('X', Value::Float(f)) => hex_float(*f, true),
        _ => return bad(verb, spec, arg),
    };
    pad(&body, spec)
}

/// `strconv.FormatFloat(f, 'x', -1, 64)`: `0x1.8p+00`.
fn hex_float(f: f64, upper: bool) -> String {
    if !f.is_finite() {
        return format_float_g(f);
    }
    let bits = f.to_bits();
    let sign = if bits >> 63 == 1 { "-" } else { "" };
    let exp_bits = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let s = if exp_bits == 0 && frac == 0 {
        "0x0p+00".to_owned()
    } else {
        let (mut mant, mut exp) = if exp_bits == 0 {
            (frac, -1022)
        } else {
            (frac | (1u64 << 52), exp_bits - 1023)
        };
        while mant < (1u64 << 52) {
            mant <<= 1;
            exp -= 1;
        }
        let digits = format!("{:013x}", mant & ((1u64 << 52) - 1));
        let digits = digits.trim_end_matches('0');
        let point = if digits.is_empty() {
            String::new()
        } else {
            format!(".{digits}")
        };
        format!(
            "0x1{point}p{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        )
    };
    let s = format!("{sign}{s}");
    if upper { s.to_uppercase() } else { s }
}

fn sign(non_negative: bool, digits: String, spec: Spec) -> String {
    if non_negative && spec.plus {
        format!("+{digits}")
    } else if non_negative && spec.space {
        format!(" {digits}")
    } else {
        digits
    }
}

fn hex_int(i: i64, upper: bool, spec: Spec) -> String {
    let mag = i.unsigned_abs();
    let mut s = if upper {
        format!("{mag:X}")
    } else {
        format!("{mag:x}")
    };
    if spec.sharp {
        s = format!("{}{s}", if upper { "0X" } else { "0x" });
    }
    if i < 0 { format!("-{s}") } else { s }
}

fn truncate(s: &str, prec: Option<usize>) -> String {
    match prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_owned(),
    }
}

fn format_float(f: f64, verb: char, spec: Spec) -> String {
    let body = match verb {
        'f' | 'F' => fixed(f, spec.prec.unwrap_or(6)),
        'e' | 'E' => {
            let s = scientific(f, spec.prec.unwrap_or(6));
            let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
            let e: i32 = e.parse().unwrap_or(0);
            let s = format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
            if verb == 'E' { s.to_uppercase() } else { s }
        }
        _ => match spec.prec {
            None => format_float_g(f),
            // %.Ng: N significant digits; rare in templates, approximated via %e/%f.
            Some(p) => {
                let p = p.max(1);
                let exp = if f == 0.0 {
                    0
                } else {
                    f.abs().log10().floor() as i32
                };
                if exp < -4 || exp >= p as i32 {
                    let s = scientific(f, p - 1);
                    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
                    let m = if m.contains('.') {
                        m.trim_end_matches('0').trim_end_matches('.')
                    } else {
                        m
                    };
                    let e: i32 = e.parse().unwrap_or(0);
                    format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
                } else {
                    let decimals = (p as i32 - 1 - exp).max(0) as usize;
                    let s = fixed(f, decimals);
                    if s.contains('.') {
                        s.trim_end_matches('0').trim_end_matches('.').to_owned()
                    } else {
                        s
                    }
                }
            }
        },
    };
    sign(f >= 0.0 || f.is_nan(), body, spec)
}

/// Decimal places past which a finite `f64` prints only zeros: its exact value has at most
/// 1074 fractional digits. Rust's formatter panics on a precision above `u16::MAX`, and Go
/// allows up to a million, so longer precisions are printed as zeros appended to this.
const EXACT_DECIMALS: usize = 1100;

/// Significant digits past which a finite `f64` prints only zeros (its exact decimal
/// expansion has at most 767).
const EXACT_DIGITS: usize = 800;

/// `f` with `decimals` digits after the point (`%.Nf`), for any `decimals`.
fn fixed(f: f64, decimals: usize) -> String {
    let mut s = format!("{f:.*}", decimals.min(EXACT_DECIMALS));
    if decimals > EXACT_DECIMALS && f.is_finite() {
        s.push_str(&"0".repeat(decimals - EXACT_DECIMALS));
    }
    s
}

/// `f` as Rust's `{:.Ne}` (mantissa with `digits` decimals, then `e` and the exponent), for
/// any `digits`.
fn scientific(f: f64, digits: usize) -> String {
    let s = format!("{f:.*e}", digits.min(EXACT_DIGITS));
    if digits <= EXACT_DIGITS || !f.is_finite() {
        return s;
    }
    match s.split_once('e') {
        Some((m, e)) => format!("{m}{}e{e}", "0".repeat(digits - EXACT_DIGITS)),
        None => s,
    }
}

/// Go's `strconv.Quote`: printable runes stay, the rest become escapes.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_go_print(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Go's `unicode.IsPrint`, approximated without the Unicode tables: control characters,
/// non-ASCII spaces, format characters, private use and noncharacters are not printable.
pub(crate) fn is_go_print(c: char) -> bool {
    let u = c as u32;
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x890..=0x891 | 0x8E2 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0xE000..=0xF8FF | 0xFDD0..=0xFDEF | 0xFFFE..=0xFFFF | 0xF0000..=0x10FFFF
        | 0xE0000..=0xE007F)
}
