//! The data Ollama hands its templates, shaped like its Go types so every field prints,
//! compares and serialises as in Ollama. This is current Ollama (from its change #13525, which
//! made the API types order-preserving), whose `template.Execute` passes copies made by
//! `convertMessagesForTemplate` and `convertToolsForTemplate` rather than the API types:
//!
//! - the top level is a `map[string]any` (so a missing key is `<no value>`, not an error);
//! - `.Messages` is a `[]*templateMessage` of structs `{Role, Content, Thinking, Images,
//!   ToolCalls, ToolName, ToolCallID}` without JSON tags (a missing field is an error);
//! - a tool call is `{ID, Function{Index, Name, Arguments}}`, whose arguments are a
//!   `templateArgs` map: `range` visits them in sorted key order and they print as their JSON
//!   with sorted keys (Jinja keeps the client's order);
//! - `.Tools` is `templateTools`, printing as JSON; each tool is a `templateTool` `{Type,
//!   Items, Function{Name, Description, Parameters{Type, $defs, Items, Required,
//!   Properties}}}` without `String` methods, `Description` always written, and `Properties`
//!   a `templateProperties` map (sorted keys) of `api.ToolProperty`, whose JSON follows
//!   Ollama's field order and `omitempty` tags, dropping unknown schema keys.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::template::chat::{Message, Tool, ToolCall};
use crate::template::gotmpl::{Field, JsonMap, Ordered, Slice, Stringer, Struct, Value};

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
            "[]*template.templateMessage",
            collated.messages.iter().map(message).collect(),
            Stringer::None,
        ),
    );
    top.insert(
        "Tools".to_owned(),
        slice(
            "template.templateTools",
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

/// One message as Ollama's `convertMessagesForTemplate` copies it: a `*templateMessage`,
/// whose fields carry no JSON tags (so `json` writes them under their Go names, none omitted).
pub fn message(m: &Message) -> Value {
    structure(
        "*template.templateMessage",
        Stringer::None,
        vec![
            field("Role", "Role", false, Value::str(&m.role)),
            field("Content", "Content", false, Value::str(&m.content)),
            field("Thinking", "Thinking", false, Value::str(&m.thinking)),
            field(
                "Images",
                "Images",
                false,
                slice("[]api.ImageData", Vec::new(), Stringer::None),
            ),
            field(
                "ToolCalls",
                "ToolCalls",
                false,
                slice(
                    "[]template.templateToolCall",
                    m.tool_calls.iter().map(tool_call).collect(),
                    Stringer::None,
                ),
            ),
            field(
                "ToolName",
                "ToolName",
                false,
                Value::str(m.tool_name.as_deref().unwrap_or("")),
            ),
            field(
                "ToolCallID",
                "ToolCallID",
                false,
                Value::str(m.tool_call_id.as_deref().unwrap_or("")),
            ),
        ],
    )
}

/// A `templateToolCall`: its arguments are a `templateArgs` map, so `range` visits them in
/// sorted key order and printing or `json` writes them with sorted keys.
fn tool_call(c: &ToolCall) -> Value {
    let args = Value::JsonMap(Rc::new(JsonMap {
        type_name: "template.templateArgs",
        entries: c
            .function
            .arguments
            .iter()
            .map(|(k, v)| (k.clone(), Value::from_json(v)))
            .collect(),
        is_nil: false,
    }));
    let function = structure(
        "template.templateToolCallFunction",
        Stringer::None,
        vec![
            field(
                "Index",
                "Index",
                false,
                Value::Int(c.function.index.unwrap_or(0) as i64),
            ),
            field("Name", "Name", false, Value::str(&c.function.name)),
            field("Arguments", "Arguments", false, args),
        ],
    );
    structure(
        "template.templateToolCall",
        Stringer::None,
        vec![
            field("ID", "ID", false, Value::str(c.id.as_deref().unwrap_or(""))),
            field("Function", "Function", false, function),
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
        "template.templateToolFunctionParameters",
        Stringer::None,
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
                template_properties(p.get("properties")),
            ),
        ],
    );
    let function = structure(
        "template.templateToolFunction",
        Stringer::None,
        vec![
            field("Name", "name", false, Value::str(&t.function.name)),
            field(
                "Description",
                "description",
                false,
                Value::str(&t.function.description),
            ),
            field("Parameters", "parameters", false, parameters),
        ],
    );
    structure(
        "template.templateTool",
        Stringer::None,
        vec![
            field("Type", "type", false, Value::str(&t.kind)),
            field("Items", "items", true, Value::Nil),
            field("Function", "function", false, function),
        ],
    )
}

/// A `templateProperties` map (sorted keys, printing as JSON), nil when absent.
fn template_properties(v: Option<&serde_json::Value>) -> Value {
    let entries = match v {
        Some(serde_json::Value::Object(o)) => {
            o.iter().map(|(k, v)| (k.clone(), property(v))).collect()
        }
        _ => BTreeMap::new(),
    };
    Value::JsonMap(Rc::new(JsonMap {
        type_name: "template.templateProperties",
        is_nil: !matches!(v, Some(serde_json::Value::Object(_))),
        entries,
    }))
}

/// A nested `*api.ToolPropertiesMap`: properties in the client's order, or nil when absent.
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
