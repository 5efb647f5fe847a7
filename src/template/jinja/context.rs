//! The variables a chat template is rendered with, in the shape transformers passes them.

use serde_json::{Map, Value, json};

use super::strftime::FixedDateTime;
use crate::template::chat::{Message, Tool};

/// Everything one rendering of a Jinja chat template depends on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JinjaContext {
    /// The conversation, oldest first (converted to transformers' message shape).
    pub messages: Vec<Message>,
    /// Tools offered; rendered as `tools=None` when empty, as transformers does.
    pub tools: Vec<Tool>,
    /// Whether to open the assistant's turn at the end.
    pub add_generation_prompt: bool,
    /// The tokenizer's BOS token text.
    pub bos_token: String,
    /// The tokenizer's EOS token text.
    pub eos_token: String,
    /// Thinking on/off: sets both `enable_thinking` and `thinking`; `None` sets neither.
    pub thinking: Option<bool>,
    /// The moment `strftime_now` formats.
    pub now: FixedDateTime,
    /// Further variables (e.g. `date_string`, `reasoning_effort`), added last.
    pub extra: Map<String, Value>,
}

impl JinjaContext {
    /// The template variables, exactly as passed to `render` (the Python cross-check
    /// renders the same map): `messages`, `tools`, `documents`, `add_generation_prompt`,
    /// `bos_token`, `eos_token`, then `enable_thinking`/`thinking` and the extras.
    pub fn variables(&self) -> Map<String, Value> {
        let mut vars = Map::new();
        let messages = self.messages.iter().map(message_value).collect();
        vars.insert("messages".into(), Value::Array(messages));
        let tools = if self.tools.is_empty() {
            Value::Null
        } else {
            serde_json::to_value(&self.tools).unwrap_or(Value::Null)
        };
        vars.insert("tools".into(), tools);
        vars.insert("documents".into(), Value::Null);
        vars.insert(
            "add_generation_prompt".into(),
            Value::Bool(self.add_generation_prompt),
        );
        vars.insert("bos_token".into(), Value::String(self.bos_token.clone()));
        vars.insert("eos_token".into(), Value::String(self.eos_token.clone()));
        if let Some(thinking) = self.thinking {
            vars.insert("enable_thinking".into(), Value::Bool(thinking));
            vars.insert("thinking".into(), Value::Bool(thinking));
        }
        for (key, value) in &self.extra {
            vars.insert(key.clone(), value.clone());
        }
        vars
    }
}

/// One message in transformers' shape: `role`, `content`, then, when present, the reasoning
/// (as both `reasoning_content` and `thinking`, the two names templates read), `tool_calls`
/// as `{"id", "type": "function", "function": {"name", "arguments"}}`, and for tool results
/// `name` and `tool_call_id`.
pub fn message_value(message: &Message) -> Value {
    let mut out = Map::new();
    out.insert("role".into(), Value::String(message.role.clone()));
    out.insert("content".into(), Value::String(message.content.clone()));
    if !message.thinking.is_empty() {
        out.insert(
            "reasoning_content".into(),
            Value::String(message.thinking.clone()),
        );
        out.insert("thinking".into(), Value::String(message.thinking.clone()));
    }
    if !message.tool_calls.is_empty() {
        let calls = message
            .tool_calls
            .iter()
            .map(|call| {
                let mut value = Map::new();
                if let Some(id) = &call.id {
                    value.insert("id".into(), Value::String(id.clone()));
                }
                value.insert("type".into(), json!("function"));
                value.insert(
                    "function".into(),
                    json!({"name": call.function.name, "arguments": call.function.arguments}),
                );
                Value::Object(value)
            })
            .collect();
        out.insert("tool_calls".into(), Value::Array(calls));
    }
    if let Some(name) = &message.tool_name {
        out.insert("name".into(), Value::String(name.clone()));
    }
    if let Some(id) = &message.tool_call_id {
        out.insert("tool_call_id".into(), Value::String(id.clone()));
    }
    Value::Object(out)
}
