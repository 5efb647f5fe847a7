//! `tojson` as transformers defines it: Python's `json.dumps` with its keyword arguments
//! (`ensure_ascii=False` by default, `indent`, `separators`, `sort_keys`), not Jinja2's
//! HTML-escaping filter. Tool schemas are printed this way, so every byte must match.

use std::fmt::Write;

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};

use super::pyfmt;
use super::pyobjects::{PyGenerator, is_py_none};

/// The options of `json.dumps` that transformers' `tojson` passes through.
#[derive(Debug, Clone, Default)]
pub struct JsonOptions {
    /// Escape every non-ASCII character as `\uXXXX`.
    pub ensure_ascii: bool,
    /// Pretty-print with this indent per level; `None` keeps everything on one line.
    pub indent: Option<String>,
    /// Between items and between a key and its value.
    pub separators: Option<(String, String)>,
    /// Sort object keys.
    pub sort_keys: bool,
}

/// Serialises `value` exactly as `json.dumps(value, **options)` does.
pub fn dumps(value: &Value, options: &JsonOptions) -> Result<String, Error> {
    let (item_sep, key_sep) = match &options.separators {
        Some((item, key)) => (item.as_str(), key.as_str()),
        None if options.indent.is_some() => (",", ": "),
        None => (", ", ": "),
    };
    let writer = Writer {
        options,
        item_sep,
        key_sep,
    };
    let mut out = String::new();
    writer.value(&mut out, value, 0)?;
    Ok(out)
}

struct Writer<'a> {
    options: &'a JsonOptions,
    item_sep: &'a str,
    key_sep: &'a str,
}

/// Nesting deeper than this is refused, like Python's recursion limit would.
const MAX_DEPTH: usize = 200;

impl Writer<'_> {
    fn value(&self, out: &mut String, value: &Value, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "tojson: value nested too deeply",
            ));
        }
        if value.downcast_object_ref::<PyGenerator>().is_some() {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "tojson: object of type generator is not JSON serializable",
            ));
        }
        if is_py_none(value) {
            out.push_str("null");
            return Ok(());
        }
        match value.kind() {
            ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
            ValueKind::Number => self.number(out, value),
            ValueKind::String => self.string(out, value.as_str().unwrap_or_default()),
            ValueKind::Seq | ValueKind::Iterable => {
                let items: Vec<Value> = value.try_iter()?.collect();
                self.container(out, '[', ']', &items, depth, |w, out, item| {
                    w.value(out, item, depth + 1)
                })?;
            }
            ValueKind::Map => {
                let mut entries: Vec<(String, Value)> = Vec::new();
                for key in value.try_iter()? {
                    let item = value.get_item(&key)?;
                    entries.push((self.key(&key)?, item));
                }
                if self.options.sort_keys {
                    entries.sort_by(|a, b| a.0.cmp(&b.0));
                }
                self.container(out, '{', '}', &entries, depth, |w, out, (key, item)| {
                    w.string(out, key);
                    out.push_str(w.key_sep);
                    w.value(out, item, depth + 1)
                })?;
            }
            kind => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("tojson: object of type {kind} is not JSON serializable"),
                ));
            }
        }
        Ok(())
    }

    fn container<T>(
        &self,
        out: &mut String,
        open: char,
        close: char,
        items: &[T],
        depth: usize,
        mut each: impl FnMut(&Self, &mut String, &T) -> Result<(), Error>,
    ) -> Result<(), Error> {
        out.push(open);
        if items.is_empty() {
            out.push(close);
            return Ok(());
        }
        let newline = self
            .options
            .indent
            .as_ref()
            .map(|indent| format!("\n{}", indent.repeat(depth + 1)));
        if let Some(newline) = &newline {
            out.push_str(newline);
        }
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(self.item_sep);
                if let Some(newline) = &newline {
                    out.push_str(newline);
                }
            }
            each(self, out, item)?;
        }
        if let Some(indent) = &self.options.indent {
            out.push('\n');
            out.push_str(&indent.repeat(depth));
        }
        out.push(close);
        Ok(())
    }

    /// Object keys: strings as they are; numbers, booleans and None converted the way
    /// `json.dumps` converts them.
    fn key(&self, key: &Value) -> Result<String, Error> {
        match key.kind() {
            ValueKind::String => Ok(key.as_str().unwrap_or_default().to_owned()),
            ValueKind::None => Ok("null".to_owned()),
            ValueKind::Bool => Ok(if key.is_true() { "true" } else { "false" }.to_owned()),
            ValueKind::Number => {
                let mut out = String::new();
                self.number(&mut out, key);
                Ok(out)
            }
            kind => Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("tojson: keys must be str, int, float, bool or None, not {kind}"),
            )),
        }
    }

    fn number(&self, out: &mut String, value: &Value) {
        if value.is_integer() {
            let _ = write!(out, "{value}");
        } else if let Ok(float) = f64::try_from(value.clone()) {
            out.push_str(&pyfmt::float_repr(float, "NaN", "Infinity"));
        } else {
            let _ = write!(out, "{value}");
        }
    }

    fn string(&self, out: &mut String, text: &str) {
        out.push('"');
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c if self.options.ensure_ascii && !(' '..='~').contains(&c) => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        let _ = write!(out, "\\u{unit:04x}");
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(value: serde_json::Value, options: JsonOptions) -> String {
        dumps(&Value::from_serialize(value), &options).unwrap()
    }

    #[test]
    fn default_separators_have_spaces() {
        let v = serde_json::json!({"b": [1, 2.0, null], "a": "é\n"});
        assert_eq!(
            json(v, JsonOptions::default()),
            r#"{"b": [1, 2.0, null], "a": "é\n"}"#
        );
    }

    #[test]
    fn indent_sort_and_ascii() {
        let v = serde_json::json!({"b": [], "a": {"x": "é😀"}});
        let options = JsonOptions {
            ensure_ascii: true,
            indent: Some("  ".into()),
            separators: None,
            sort_keys: true,
        };
        assert_eq!(
            json(v, options),
            "{\n  \"a\": {\n    \"x\": \"\\u00e9\\ud83d\\ude00\"\n  },\n  \"b\": []\n}"
        );
    }
}
