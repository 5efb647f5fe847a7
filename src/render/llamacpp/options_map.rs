//! Ollama parameters of a variant as llama.cpp options, and the ones that have none.

use serde_json::{Map, Value, json};

use super::ParameterMapping;
use crate::manifest::ResolvedVariant;

/// `(options, unmapped)`: llama.cpp option name -> value text, in parameter order; and one
/// `{parameter, reason}` per Ollama parameter without a llama.cpp option.
pub fn mapped_parameters(
    variant: &ResolvedVariant,
    map: fn(&str) -> ParameterMapping,
) -> (Map<String, Value>, Vec<Value>) {
    let mut options = Map::new();
    let mut unmapped = Vec::new();
    for p in &variant.parameters {
        let name = p.parameter.name();
        match map(name) {
            ParameterMapping::Option(key) => {
                options.insert(
                    key.to_owned(),
                    Value::String(value_text(&p.value.to_json())),
                );
            }
            ParameterMapping::Unmappable(reason) => {
                unmapped.push(json!({"parameter": name, "reason": reason}));
            }
        }
    }
    (options, unmapped)
}

/// A JSON parameter value as option text (`0.7`, `20`, `true`).
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
