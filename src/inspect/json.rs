//! The machine form of a report: one JSON object per GGUF file (see `docs/inspect-json.md`).

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value as Json, json};

use super::FileReport;
use crate::gguf::{Array, ByteOrder, GgufHeader, Severity, SpecialToken, TensorInfo, Value};

/// How many elements of an array are shown without `--full`.
pub const ARRAY_HEAD_LEN: usize = 8;

/// The JSON object for one inspected file. With `full`, arrays list every element
/// (`values`) instead of the first [`ARRAY_HEAD_LEN`] (`head`).
///
/// It is written as it is serialized, never built as a tree: a header with 600,000 tensors
/// once took 1.28 GB as a `serde_json::Value` (55 times the header).
pub fn report_json(report: &FileReport, full: bool) -> ReportJson<'_> {
    ReportJson { report, full }
}

/// One inspected file's JSON object, serialized straight from its report (see
/// [`report_json`]).
#[derive(Debug, Clone, Copy)]
pub struct ReportJson<'a> {
    report: &'a FileReport,
    full: bool,
}

impl Serialize for ReportJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let report = self.report;
        let header = &report.header;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("source", &report.source)?;
        map.serialize_entry("file", &report.file)?;
        map.serialize_entry("file_name", &report.file_name)?;
        map.serialize_entry("file_size", &report.file_size)?;
        map.serialize_entry(
            "sha256",
            &report.sha256.as_ref().map(|(digest, _)| digest.as_str()),
        )?;
        map.serialize_entry(
            "sha256_origin",
            &report.sha256.as_ref().map(|(_, origin)| origin.as_str()),
        )?;
        map.serialize_entry("commit", &report.commit)?;
        map.serialize_entry("version", &header.version())?;
        map.serialize_entry(
            "byte_order",
            match header.byte_order() {
                ByteOrder::Little => "little",
                ByteOrder::Big => "big",
            },
        )?;
        map.serialize_entry("alignment", &header.alignment())?;
        map.serialize_entry("data_offset", &header.data_offset())?;
        map.serialize_entry(
            "metadata",
            &MetadataJson {
                header,
                full: self.full,
            },
        )?;
        map.serialize_entry("tensors", &TensorsJson(header))?;
        map.serialize_entry("derived", &derived_json(report))?;
        map.serialize_entry(
            "read",
            &json!({
                "bytes_fetched": report.bytes_fetched,
                "round_trips": report.round_trips,
            }),
        )?;
        map.end()
    }
}

/// `metadata`: `{key: {"type", "value"}}` in header order.
struct MetadataJson<'a> {
    header: &'a GgufHeader,
    full: bool,
}

impl Serialize for MetadataJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let entries = self.header.metadata().entries();
        let mut map = serializer.serialize_map(Some(entries.len()))?;
        for entry in entries {
            let value = entry.value();
            map.serialize_entry(
                entry.key(),
                &TypedValue {
                    value,
                    full: self.full,
                },
            )?;
        }
        map.end()
    }
}

/// `{"type", "value"}` of one metadata value.
struct TypedValue<'a> {
    value: &'a Value,
    full: bool,
}

impl Serialize for TypedValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("type", self.value.value_type().name())?;
        match self.value {
            Value::Array(array) => map.serialize_entry(
                "value",
                &ArrayJson {
                    array,
                    full: self.full,
                },
            )?,
            value => map.serialize_entry("value", &value_json(value, self.full))?,
        }
        map.end()
    }
}

/// An array value as [`value_json`] shows it, element by element.
struct ArrayJson<'a> {
    array: &'a Array,
    full: bool,
}

impl Serialize for ArrayJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("type", self.array.element_type().name())?;
        map.serialize_entry("len", &self.array.len())?;
        map.serialize_entry(
            if self.full { "values" } else { "head" },
            &ElementsJson {
                array: self.array,
                full: self.full,
            },
        )?;
        map.end()
    }
}

/// The elements shown of an array: all with `full`, else the first [`ARRAY_HEAD_LEN`].
struct ElementsJson<'a> {
    array: &'a Array,
    full: bool,
}

impl Serialize for ElementsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let shown = if self.full {
            self.array.len()
        } else {
            self.array.len().min(ARRAY_HEAD_LEN)
        };
        let mut seq = serializer.serialize_seq(None)?;
        for element in (0..shown).filter_map(|i| self.array.get(i)) {
            match &element {
                Value::Array(array) => seq.serialize_element(&ArrayJson {
                    array,
                    full: self.full,
                })?,
                element => seq.serialize_element(&value_json(element, self.full))?,
            }
        }
        seq.end()
    }
}

/// `tensors`: `[{"name", "shape", "type", "offset"}]` in header order.
struct TensorsJson<'a>(&'a GgufHeader);

impl Serialize for TensorsJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let tensors = self.0.tensors();
        let mut seq = serializer.serialize_seq(Some(tensors.len()))?;
        for tensor in tensors {
            seq.serialize_element(&TensorJson(tensor))?;
        }
        seq.end()
    }
}

struct TensorJson<'a>(&'a TensorInfo);

impl Serialize for TensorJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let tensor = self.0;
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("name", tensor.name())?;
        map.serialize_entry("shape", tensor.shape())?;
        map.serialize_entry("type", &tensor.ggml_type().to_string())?;
        map.serialize_entry("offset", &tensor.offset())?;
        map.end()
    }
}

/// Writes a pretty-printed JSON array item by item, as `serde_json::to_string_pretty` would
/// print the whole array, so that no item is held longer than it takes to write it.
pub struct JsonArrayWriter<W: std::io::Write> {
    out: W,
    items: usize,
}

impl<W: std::io::Write> JsonArrayWriter<W> {
    /// An empty array writing to `out` (nothing is written until the first item or
    /// [`JsonArrayWriter::finish`]).
    pub fn new(out: W) -> Self {
        JsonArrayWriter { out, items: 0 }
    }

    /// Writes one item.
    pub fn push(&mut self, item: &impl Serialize) -> std::io::Result<()> {
        self.out
            .write_all(if self.items == 0 { b"[\n  " } else { b",\n  " })?;
        self.items += 1;
        let mut indented = Indented(&mut self.out);
        serde_json::to_writer_pretty(&mut indented, item).map_err(std::io::Error::other)
    }

    /// Closes the array and a final newline.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.out
            .write_all(if self.items == 0 { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()
    }
}

/// Indents every line after the first by two spaces: an item's place inside the array.
/// JSON text has newlines only between tokens, never inside strings.
struct Indented<'a, W: std::io::Write>(&'a mut W);

impl<W: std::io::Write> std::io::Write for Indented<'_, W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        for (i, line) in data.split(|b| *b == b'\n').enumerate() {
            if i > 0 {
                self.0.write_all(b"\n  ")?;
            }
            self.0.write_all(line)?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
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
