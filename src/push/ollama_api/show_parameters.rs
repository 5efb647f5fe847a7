//! `/api/show` prints parameters as text — one `name value` line each, values in Go's `%#v`
//! (strings quoted), one line per array item, in no fixed order. This reads that text back
//! into comparable values so `verify` can check what Ollama stored against what was meant.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// A parameter value as compared: numbers by value (8192 and 8192.0 match), strings exactly.
#[derive(Debug, Clone, PartialEq)]
pub enum ShownValue {
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Text(String),
}

impl std::fmt::Display for ShownValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// Parameters by name, each a list (only `stop` has more than one item).
pub type ParamSet = BTreeMap<String, Vec<ShownValue>>;

fn from_json(value: &Value) -> ShownValue {
    match value {
        Value::Number(n) => ShownValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::Bool(b) => ShownValue::Bool(*b),
        Value::String(s) => ShownValue::Text(s.clone()),
        other => ShownValue::Text(other.to_string()),
    }
}

/// The parameters that were meant, from the typed JSON of the release.
pub fn expected(params: &Map<String, Value>) -> ParamSet {
    params
        .iter()
        .map(|(name, value)| {
            let values = match value {
                Value::Array(items) => items.iter().map(from_json).collect(),
                single => vec![from_json(single)],
            };
            (name.clone(), values)
        })
        .collect()
}

/// The parameters `/api/show` reports. A quoted value is unquoted (Go's quoting agrees with
/// JSON's for printable text); an unquoted one is a number or a boolean.
pub fn parse_show(text: &str) -> ParamSet {
    let mut set = ParamSet::new();
    for line in text.lines() {
        let line = line.trim();
        let Some((name, raw)) = line.split_once(char::is_whitespace) else {
            continue;
        };
        let raw = raw.trim();
        let value = if raw.starts_with('"') {
            serde_json::from_str::<String>(raw)
                .map(ShownValue::Text)
                .unwrap_or_else(|_| ShownValue::Text(raw.trim_matches('"').to_string()))
        } else if let Ok(b) = raw.parse::<bool>() {
            ShownValue::Bool(b)
        } else if let Ok(n) = raw.parse::<f64>() {
            ShownValue::Number(n)
        } else {
            ShownValue::Text(raw.to_string())
        };
        set.entry(name.to_string()).or_default().push(value);
    }
    set
}

/// The differences between two parameter sets, one line per parameter, both sides shown.
pub fn differences(expected: &ParamSet, actual: &ParamSet) -> Vec<String> {
    let render = |values: Option<&Vec<ShownValue>>| match values {
        None => "(absent)".to_string(),
        Some(values) => values
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    };
    let mut names: Vec<&String> = expected.keys().chain(actual.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|name| expected.get(*name) != actual.get(*name))
        .map(|name| {
            format!(
                "{name}: expected {}, server has {}",
                render(expected.get(name)),
                render(actual.get(name))
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn show_text_matches_typed_json() {
        let params =
            json!({"stop": ["<|im_end|>", "<|endoftext|>"], "num_ctx": 8192, "temperature": 0.7});
        let text = "num_ctx                        8192\nstop                           \"<|im_end|>\"\nstop                           \"<|endoftext|>\"\ntemperature                    0.7";
        let expected = expected(params.as_object().unwrap());
        assert!(differences(&expected, &parse_show(text)).is_empty());
    }

    #[test]
    fn a_string_number_is_a_difference() {
        let expected = expected(json!({"num_ctx": 4096}).as_object().unwrap());
        let actual = parse_show("num_ctx \"4096\"");
        assert_eq!(
            differences(&expected, &actual),
            vec!["num_ctx: expected 4096, server has \"4096\"".to_string()]
        );
    }
}
