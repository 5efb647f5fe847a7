//! The machine form of a report: one JSON object per GGUF file (see `docs/inspect-json.md`).

use serde_json::{Map, Value as Json, json};

use super::FileReport;
use crate::gguf::{Array, ByteOrder, GgufHeader, Severity, SpecialToken, Value};

/// How many elements of an array are shown without `--full`.
pub const ARRAY_HEAD_LEN: usize = 8;

/// The JSON object for one inspected file. With `full`, arrays list every element
/// (`values`) instead of the first [`ARRAY_HEAD_LEN`] (`head`).
pub fn report_json(report: &FileReport, full: bool) -> Json {
    let header = &report.header;
    let metadata: Map<String, Json> = header
        .metadata()
        .entries()
        .iter()
        .map(|entry| {
            let value = entry.value();
            (
                entry.key().to_owned(),
                json!({ "type": value.value_type().name(), "value": value_json(value, full) }),
            )
        })
        .collect();
    let tensors: Vec<Json> = header
        .tensors()
        .iter()
        .map(|tensor| {
            json!({
                "name": tensor.name(),
                "shape": tensor.shape(),
                "type": tensor.ggml_type().to_string(),
                "offset": tensor.offset(),
            })
        })
        .collect();
    json!({
        "source": report.source,
        "file": report.file,
        "file_name": report.file_name,
        "file_size": report.file_size,
        "sha256": report.sha256.as_ref().map(|(digest, _)| digest.as_str()),
        "sha256_origin": report.sha256.as_ref().map(|(_, origin)| origin.as_str()),
        "commit": report.commit,
        "version": header.version(),
        "byte_order": match header.byte_order() {
            ByteOrder::Little => "little",
            ByteOrder::Big => "big",
        },
        "alignment": header.alignment(),
        "data_offset": header.data_offset(),
        "metadata": metadata,
        "tensors": tensors,
        "derived": derived_json(report),
        "read": {
            "bytes_fetched": report.bytes_fetched,
            "round_trips": report.round_trips,
        },
    })
}

/// The entry for a source (or one of its files) that could not be inspected:
/// `{"source", "file"?, "error", "hint"?}`.
pub fn error_json(source: &str, file: Option<&str>, error: &str, hint: Option<&str>) -> Json {
    let mut object = Map::new();
    object.insert("source".to_owned(), json!(source));
    if let Some(file) = file {
        object.insert("file".to_owned(), json!(file));
    }
    object.insert("error".to_owned(), json!(error));
    if let Some(hint) = hint {
        object.insert("hint".to_owned(), json!(hint));
    }
    Json::Object(object)
}

fn derived_json(report: &FileReport) -> Json {
    let header = &report.header;
    let special = header.special_tokens();
    let token = |token: &Option<SpecialToken>| {
        token
            .as_ref()
            .map(|t| json!({ "id": t.id, "text": t.text }))
    };
    let template = header.chat_template();
    let named: Vec<&str> = header
        .named_chat_templates()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let mismatch = report.quant_mismatch.as_ref().map(|m| {
        json!({
            "severity": match m.severity() {
                Severity::Warning => "warning",
                Severity::Error => "error",
            },
            "message": m.to_string(),
        })
    });
    let histogram: Map<String, Json> = header
        .tensor_type_histogram()
        .into_iter()
        .map(|count| (count.ggml_type.to_string(), json!(count.tensors)))
        .collect();
    json!({
        "architecture": header.architecture(),
        "name": header.name(),
        "basename": header.basename(),
        "size_label": header.size_label(),
        "finetune": header.finetune(),
        "kind": header.model_kind().as_str(),
        "parameters": header.parameter_count(),
        "quant": {
            "file_type": header.file_type().map(|ft| ft.to_u32()),
            "header": header.file_type().map(|ft| ft.to_string()),
            "file_name": report.name_quant.map(|q| q.to_string()),
            "mismatch": mismatch,
        },
        "context_length": header.context_length(),
        "chat_template": {
            "present": template.is_some(),
            "bytes": template.map(str::len),
            "named": named,
        },
        "tokenizer_model": header.tokenizer_model(),
        "add_bos_token": header.add_bos_token(),
        "special_tokens": {
            "bos": token(&special.bos),
            "eos": token(&special.eos),
            "eot": token(&special.eot),
            "eom": token(&special.eom),
            "pad": token(&special.pad),
            "unk": token(&special.unk),
        },
        "tensor_count": header.tensors().len(),
        "tensor_types": histogram,
        "split": split_json(header),
    })
}

fn split_json(header: &GgufHeader) -> Json {
    header.split().map_or(Json::Null, |split| {
        json!({
            "index": split.index,
            "count": split.count,
            "tensors_total": split.tensors_total,
        })
    })
}

/// A metadata value as JSON: numbers, booleans and strings as they are (floats in their
/// shortest exact form; NaN and infinities as the strings `NaN`, `inf`, `-inf`), arrays as
/// `{"type", "len", "head"}` or, with `full`, `{"type", "len", "values"}`.
pub fn value_json(value: &Value, full: bool) -> Json {
    match value {
        Value::U8(v) => json!(v),
        Value::I8(v) => json!(v),
        Value::U16(v) => json!(v),
        Value::I16(v) => json!(v),
        Value::U32(v) => json!(v),
        Value::I32(v) => json!(v),
        Value::U64(v) => json!(v),
        Value::I64(v) => json!(v),
        Value::F32(v) => float_json(f64::from(*v), v.to_string()),
        Value::F64(v) => float_json(*v, v.to_string()),
        Value::Bool(v) => json!(v),
        Value::String(v) => json!(v),
        Value::Array(array) => array_json(array, full),
    }
}

/// `shortest` is the value's shortest decimal form in its own precision, so an `f32` 0.1
/// prints as `0.1` rather than `0.10000000149011612`.
fn float_json(value: f64, shortest: String) -> Json {
    if value.is_finite() {
        shortest
            .parse::<serde_json::Number>()
            .map(Json::Number)
            .unwrap_or_else(|_| json!(value))
    } else if value.is_nan() {
        json!("NaN")
    } else if value > 0.0 {
        json!("inf")
    } else {
        json!("-inf")
    }
}

fn array_json(array: &Array, full: bool) -> Json {
    let shown = if full {
        array.len()
    } else {
        array.len().min(ARRAY_HEAD_LEN)
    };
    let elements: Vec<Json> = (0..shown)
        .filter_map(|i| array.get(i))
        .map(|element| value_json(&element, full))
        .collect();
    let mut object = Map::new();
    object.insert("type".to_owned(), json!(array.element_type().name()));
    object.insert("len".to_owned(), json!(array.len()));
    object.insert(
        (if full { "values" } else { "head" }).to_owned(),
        Json::Array(elements),
    );
    Json::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::StringArray;

    #[test]
    fn floats_keep_their_shortest_form() {
        assert_eq!(value_json(&Value::F32(0.1), false).to_string(), "0.1");
        assert_eq!(value_json(&Value::F64(1e-6), false).to_string(), "1e-6");
        assert_eq!(value_json(&Value::F32(f32::NAN), false), json!("NaN"));
        assert_eq!(
            value_json(&Value::F64(f64::NEG_INFINITY), false),
            json!("-inf")
        );
    }

    #[test]
    fn arrays_show_a_head_unless_full() {
        let strings: StringArray = (0..20)
            .map(|i| if i % 2 == 0 { "a" } else { "b" })
            .collect();
        let value = Value::Array(Array::String(strings));
        let head = value_json(&value, false);
        assert_eq!(head["type"], "STRING");
        assert_eq!(head["len"], 20);
        assert_eq!(head["head"].as_array().unwrap().len(), ARRAY_HEAD_LEN);
        let full = value_json(&value, true);
        assert_eq!(full["values"].as_array().unwrap().len(), 20);
        assert!(full.get("head").is_none());
    }

    #[test]
    fn nested_arrays_keep_their_types() {
        let value = Value::Array(Array::Array(vec![
            Array::U8(vec![1, 2]),
            Array::Bool(vec![]),
        ]));
        let json = value_json(&value, false);
        assert_eq!(json["type"], "ARRAY");
        assert_eq!(
            json["head"][0],
            json!({ "type": "UINT8", "len": 2, "head": [1, 2] })
        );
        assert_eq!(
            json["head"][1],
            json!({ "type": "BOOL", "len": 0, "head": [] })
        );
    }
}
