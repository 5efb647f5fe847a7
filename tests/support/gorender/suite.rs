//! The conversations both engines render: what a client sends to Ollama's chat API.

use ruvltra_export::template::chat::ChatRequest;
use serde_json::json;

/// Named chat requests: plain conversations first, then tools and thinking.
pub fn conversations() -> Vec<(&'static str, ChatRequest)> {
    let mut long = vec![json!({"role": "system", "content": "You are terse."})];
    for i in 0..10 {
        long.push(json!({"role": "user", "content": format!("Question {i}?")}));
        long.push(json!({"role": "assistant", "content": format!("Answer {i}.")}));
    }
    long.push(json!({"role": "user", "content": "Last question?"}));

    let tools = json!([
        {"type": "function", "function": {
            "name": "get_weather",
            "description": "Get the weather <today> & tomorrow",
            "parameters": {
                "type": "object",
                "required": ["city"],
                "properties": {
                    "city": {"type": "string", "description": "City name, e.g. \"Paris\""},
                    "unit": {"type": ["string", "null"], "enum": ["celsius", "fahrenheit"], "default": "celsius"},
                    "days": {"type": "integer", "description": "How many days"}
                }
            }
        }},
        {"type": "function", "function": {
            "name": "search",
            "parameters": {
                "type": "object",
                "$defs": {"z": {"type": "string"}, "a": {"type": "number"}},
                "properties": {
                    "query": {"type": "string"},
                    "filters": {"type": "object", "properties": {"site": {"type": "string"}, "after": {"type": "string"}}, "required": ["site"]},
                    "tags": {"type": "array", "items": {"type": "string", "minLength": 1}}
                }
            }
        }}
    ]);

    let raw = vec![
        (
            "single user turn",
            json!({"messages": [{"role": "user", "content": "Hello!"}]}),
        ),
        (
            "system and user",
            json!({"messages": [
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": "What is 2+2?"}
            ]}),
        ),
        (
            "multi-turn",
            json!({"messages": [
                {"role": "system", "content": "Be kind."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello! How can I help?"},
                {"role": "user", "content": "Tell me a joke."},
                {"role": "assistant", "content": "Why did the chicken cross the road?"},
                {"role": "user", "content": "Why?"}
            ]}),
        ),
        (
            "two system messages",
            json!({"messages": [
                {"role": "system", "content": "First rule."},
                {"role": "system", "content": "Second rule."},
                {"role": "user", "content": "Go."}
            ]}),
        ),
        (
            "system message mid-conversation",
            json!({"messages": [
                {"role": "system", "content": "Start."},
                {"role": "user", "content": "One"},
                {"role": "assistant", "content": "Two"},
                {"role": "system", "content": "Changed rules."},
                {"role": "user", "content": "Three"}
            ]}),
        ),
        (
            "consecutive same-role messages",
            json!({"messages": [
                {"role": "user", "content": "part one"},
                {"role": "USER", "content": "part two"},
                {"role": "assistant", "content": "a1"},
                {"role": "assistant", "content": "a2"},
                {"role": "user", "content": "and?"}
            ]}),
        ),
        ("twenty turns", json!({"messages": long})),
        (
            "tricky content",
            json!({"messages": [
                {"role": "system", "content": "  Leading and trailing spaces  "},
                {"role": "user", "content": "He said \"hi\" and 'bye'\\n C:\\path\\to {{ .System }} {% raw %} <b>&amp;</b>\n\nnew\r\nlines\t tab"},
                {"role": "assistant", "content": "héllo wörld 世界 🎉 \u{2028} \u{0} end"},
                {"role": "user", "content": "\n\n  \n"}
            ]}),
        ),
        (
            "assistant prefill last",
            json!({"messages": [
                {"role": "user", "content": "Write a haiku."},
                {"role": "assistant", "content": "Autumn moonlight—"}
            ]}),
        ),
        ("no messages", json!({"messages": []})),
        (
            "tools with calls and results",
            json!({"tools": tools, "messages": [
                {"role": "system", "content": "Use tools when needed."},
                {"role": "user", "content": "Weather in Paris and news?"},
                {"role": "assistant", "content": "", "tool_calls": [
                    {"id": "call_1", "function": {"index": 0, "name": "get_weather", "arguments": {"city": "Paris", "days": 3, "unit": "celsius"}}},
                    {"function": {"index": 1, "name": "search", "arguments": {"query": "news <today> & \"more\"", "filters": {"site": "example.com", "after": "2024"}, "tags": ["a", "b"], "limit": 1e21, "ratio": 0.000001, "neg": -2.5, "none": null, "ok": true}}}
                ]},
                {"role": "tool", "content": "{\"temp\": 21}", "tool_name": "get_weather", "tool_call_id": "call_1"},
                {"role": "tool", "content": "No news.", "tool_name": "search"}
            ]}),
        ),
        (
            "tools offered, not called",
            json!({"tools": tools, "messages": [{"role": "user", "content": "Just chat."}]}),
        ),
        (
            "thinking on",
            json!({"think": true, "messages": [
                {"role": "user", "content": "What is 17*23?"},
                {"role": "assistant", "content": "391", "thinking": "17*23 = 17*20 + 17*3 = 340 + 51"},
                {"role": "user", "content": "And 18*23?"}
            ]}),
        ),
        (
            "thinking off",
            json!({"think": false, "messages": [{"role": "user", "content": "Quick answer: capital of France?"}]}),
        ),
        (
            "thinking level high",
            json!({"think": "high", "messages": [
                {"role": "system", "content": "Reason carefully."},
                {"role": "user", "content": "Prove it."}
            ]}),
        ),
    ];
    raw.into_iter()
        .map(|(name, v)| (name, serde_json::from_value(v).expect("valid chat request")))
        .collect()
}
