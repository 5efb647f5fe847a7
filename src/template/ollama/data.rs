//! The data Ollama hands its templates, shaped like its Go types so every field prints,
//! compares and serialises as in Ollama:
//!
//! - the top level is a `map[string]any` (so a missing key is `<no value>`, not an error);
//! - `.Messages` is a `[]*api.Message` of structs `{Role, Content, Thinking, Images,
//!   ToolCalls, ToolName, ToolCallID}` (a missing field is an error, as in Ollama);
//! - a tool call is `{ID, Function{Index, Name, Arguments}}`, whose arguments print as their
//!   JSON in the client's key order;
//! - `.Tools` is `api.Tools`, printing as JSON; each tool is `{Type, Items, Function{Name,
//!   Description, Parameters{Type, $defs, Items, Required, Properties}}}`, and JSON output
//!   follows Ollama's struct field order and `omitempty` tags, dropping unknown schema keys.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::template::chat::{Message, Tool, ToolCall};
use crate::template::gotmpl::{Field, Ordered, Slice, Stringer, Struct, Value};

use super::Collated;

/// `.Think`, `.ThinkLevel` and `.IsThinkSet`.
#[derive(Debug, Clone, PartialEq)]
pub struct ThinkFlags {
    /// Thinking requested (`true` or any level).
    pub think: bool,
    /// The level: the requested one, "medium" for `true`, "" otherwise.
    pub level: Rc<str>,
    /// The client sent a `think` field.
    pub is_set: bool,
}

fn field(name: &'static str, json_name: &'static str, omit_empty: bool, value: Value) -> Field {
    Field {
        name,
        json_name,
        omit_empty,
        value,
    }
}

fn structure(type_name: &'static str, stringer: Stringer, fields: Vec<Field>) -> Value {
    Value::Struct(Rc::new(Struct {
        type_name,
        fields,
        stringer,
    }))
}

fn slice(type_name: &'static str, items: Vec<Value>, stringer: Stringer) -> Value {
    Value::Slice(Rc::new(Slice {
        type_name,
        is_nil: items.is_empty(),
        items,
        stringer,
    }))
}

fn string_slice(items: &[serde_json::Value]) -> Value {
    slice(
        "[]string",
        items
            .iter()
            .map(|v| Value::str(v.as_str().unwrap_or_default()))
            .collect(),
        Stringer::None,
    )
}

/// The data of a messages-mode render.
pub fn messages_mode(collated: &Collated, tools: &[Tool], think: &ThinkFlags) -> Value {
    let mut top = BTreeMap::new();
    top.insert("System".to_owned(), Value::str(&collated.system));
    top.insert(
        "Messages".to_owned(),
        slice(
            "[]*api.Message",
            collated.messages.iter().map(message).collect(),
            Stringer::None,
        ),
    );
    top.insert(
        "Tools".to_owned(),
        slice(
            "api.Tools",
            tools.iter().map(tool).collect(),
            Stringer::Value,
        ),
    );
    top.insert("Response".to_owned(), Value::str(""));
    insert_think(&mut top, think);
    Value::Map(Rc::new(top))
}

/// The data of one legacy-mode turn.
pub fn legacy_mode(system: &str, prompt: &str, response: &str, think: &ThinkFlags) -> Value {
    let mut top = BTreeMap::new();
    top.insert("System".to_owned(), Value::str(system));
    top.insert("Prompt".to_owned(), Value::str(prompt));
    top.insert("Response".to_owned(), Value::str(response));
    insert_think(&mut top, think);
    Value::Map(Rc::new(top))
}

fn insert_think(top: &mut BTreeMap<String, Value>, think: &ThinkFlags) {
    top.insert("Think".to_owned(), Value::Bool(think.think));
    top.insert("ThinkLevel".to_owned(), Value::Str(think.level.clone()));
    top.insert("IsThinkSet".to_owned(), Value::Bool(think.is_set));
}

/// One `api.Message`.
pub fn message(m: &Message) -> Value {
    structure(
        "*api.Message",
        Stringer::None,
        vec![
            field("Role", "role", false, Value::str(&m.role)),
            field("Content", "content", false, Value::str(&m.content)),
            field("Thinking", "thinking", true, Value::str(&m.thinking)),
            field(
                "Images",
                "images",
                true,
                slice("[]api.ImageData", Vec::new(), Stringer::None),
            ),
            field(
                "ToolCalls",
                "tool_calls",
                true,
                slice(
                    "[]api.ToolCall",
                    m.tool_calls.iter().map(tool_call).collect(),
                    Stringer::None,
                ),
            ),
            field(
                "ToolName",
                "tool_name",
                true,
                Value::str(m.tool_name.as_deref().unwrap_or("")),
            ),
            field(
                "ToolCallID",
                "tool_call_id",
                true,
                Value::str(m.tool_call_id.as_deref().unwrap_or("")),
            ),
        ],
    )
}

fn tool_call(c: &ToolCall) -> Value {
    let args = Value::Ordered(Rc::new(Ordered {
        type_name: "api.ToolCallFunctionArguments",
        entries: c
            .function
            .arguments
            .iter()
            .map(|(k, v)| (k.clone(), Value::from_json(v)))
            .collect(),
    }));
    let function = structure(
        "api.ToolCallFunction",
        Stringer::None,
        vec![
            field(
                "Index",
                "index",
                false,
                Value::Int(c.function.index.unwrap_or(0) as i64),
            ),
            field("Name", "name", false, Value::str(&c.function.name)),
            field("Arguments", "arguments", false, args),
        ],
    );
    structure(
        "api.ToolCall",
        Stringer::None,
        vec![
            field("ID", "id", true, Value::str(c.id.as_deref().unwrap_or(""))),
            field("Function", "function", false, function),
        ],
    )
}

/// A JSON value decoded into a Go `any`, or nil when absent.
fn any(v: Option<&serde_json::Value>) -> Value {
    v.map_or(Value::Nil, Value::from_json)
}

fn tool(t: &Tool) -> Value {
    let p = &t.function.parameters;
    let parameters = structure(
        "api.ToolFunctionParameters",
        Stringer::Pointer,
        vec![
            field(
                "Type",
                "type",
                false,
                Value::str(p.get("type").and_then(|v| v.as_str()).unwrap_or("")),
            ),
            field("Defs", "$defs", true, any(p.get("$defs"))),
            field("Items", "items", true, any(p.get("items"))),
            field(
                "Required",
                "required",
                true,
                string_slice(
                    p.get("required")
                        .and_then(|v| v.as_array())
                        .map_or(&[], |a| a),
                ),
            ),
            field(
                "Properties",
                "properties",
                false,
                properties(p.get("properties")),
            ),
        ],
    );
    let function = structure(
        "api.ToolFunction",
        Stringer::Pointer,
        vec![
            field("Name", "name", false, Value::str(&t.function.name)),
            field(
                "Description",
                "description",
                true,
                Value::str(&t.function.description),
            ),
            field("Parameters", "parameters", false, parameters),
        ],
    );
    structure(
        "api.Tool",
        Stringer::Value,
        vec![
            field("Type", "type", false, Value::str(&t.kind)),
            field("Items", "items", true, Value::Nil),
            field("Function", "function", false, function),
        ],
    )
}

/// A `*api.ToolPropertiesMap`: properties in the client's order, or nil when absent.
fn properties(v: Option<&serde_json::Value>) -> Value {
    match v {
        Some(serde_json::Value::Object(o)) => Value::Ordered(Rc::new(Ordered {
            type_name: "*api.ToolPropertiesMap",
            entries: o.iter().map(|(k, v)| (k.clone(), property(v))).collect(),
        })),
        _ => Value::Nil,
    }
}

/// An `api.ToolProperty`: only the schema keys Ollama keeps, in its field order.
fn property(v: &serde_json::Value) -> Value {
    let get = |k: &str| v.get(k);
    let any_of = get("anyOf")
        .and_then(|a| a.as_array())
        .map(|a| a.iter().map(property).collect())
        .unwrap_or_default();
    // `PropertyType` marshals one type as a string and several as an array.
    let kind = match get("type") {
        Some(serde_json::Value::String(s)) => Value::str(s),
        Some(serde_json::Value::Array(a)) if a.len() == 1 => {
            Value::str(a[0].as_str().unwrap_or(""))
        }
        Some(serde_json::Value::Array(a)) => string_slice(a),
        _ => Value::Nil,
    };
    let enum_values = get("enum")
        .and_then(|a| a.as_array())
        .map(|a| a.iter().map(Value::from_json).collect())
        .unwrap_or_default();
    let nested = match get("properties") {
        Some(p @ serde_json::Value::Object(_)) => properties(Some(p)),
        _ => Value::Nil,
    };
    structure(
        "api.ToolProperty",
        Stringer::None,
        vec![
            field(
                "AnyOf",
                "anyOf",
                true,
                slice("[]api.ToolProperty", any_of, Stringer::None),
            ),
            field("Type", "type", true, kind),
            field("Items", "items", true, any(get("items"))),
            field(
                "Description",
                "description",
                true,
                Value::str(get("description").and_then(|d| d.as_str()).unwrap_or("")),
            ),
            field(
                "Enum",
                "enum",
                true,
                slice("[]interface {}", enum_values, Stringer::None),
            ),
            field("Properties", "properties", true, nested),
            field(
                "Required",
                "required",
                true,
                string_slice(
                    get("required")
                        .and_then(|v| v.as_array())
                        .map_or(&[], |a| a),
                ),
            ),
        ],
    )
}
