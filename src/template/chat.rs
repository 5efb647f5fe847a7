//! A conversation as a client sends it to Ollama's chat API (`POST /api/chat`): the one input
//! both template engines render, so the verifier can compare them on equal terms.

use serde::{Deserialize, Serialize};

/// One chat request: the messages, the tools offered, and whether thinking was asked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The messages, oldest first, exactly as the client sent them (not yet merged).
    pub messages: Vec<Message>,
    /// Tool definitions offered to the model; empty when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    /// The request's `think` field; `None` when the client did not set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub think: Option<Think>,
}

/// One message of a conversation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user`, `assistant` or `tool`.
    pub role: String,
    /// The text of the message (may be empty, e.g. an assistant turn that only calls tools).
    #[serde(default)]
    pub content: String,
    /// The model's reasoning for an assistant turn (`reasoning_content` on the Jinja side).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub thinking: String,
    /// Tool calls made by an assistant turn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For a `tool` message: the name of the tool whose result this is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_name: Option<String>,
    /// For a `tool` message: the id of the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

/// One tool call of an assistant message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The call's id, when the client gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What is called, with which arguments.
    pub function: ToolCallFunction,
}

/// The function part of a tool call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCallFunction {
    /// Position of the call in the message, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The function's name.
    pub name: String,
    /// The arguments as a JSON object, key order kept.
    #[serde(default)]
    pub arguments: serde_json::Map<String, serde_json::Value>,
}

/// A tool definition (`{"type":"function","function":{...}}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// Always `function` today.
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    /// The function offered.
    pub function: ToolFunction,
}

fn function_type() -> String {
    "function".to_owned()
}

/// The function part of a tool definition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolFunction {
    /// The function's name.
    pub name: String,
    /// What it does.
    #[serde(default)]
    pub description: String,
    /// Its parameters as a JSON Schema object, key order kept.
    #[serde(default)]
    pub parameters: serde_json::Value,
}

/// The request's `think` field: on/off, or a level (`"low"`, `"medium"`, `"high"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Think {
    /// `"think": true` or `false`.
    Enabled(bool),
    /// `"think": "high"` and the like.
    Level(String),
}

impl Think {
    /// Whether thinking is on: `true`, or any level.
    pub fn is_on(&self) -> bool {
        match self {
            Think::Enabled(on) => *on,
            Think::Level(_) => true,
        }
    }
}
