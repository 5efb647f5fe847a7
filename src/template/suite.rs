//! The conversation suite the verifier renders both templates over: named chat requests
//! that exercise what real templates do differently (system prompts, turn boundaries, long
//! histories, awkward characters), plus separately reported tool-calling and thinking
//! conversations.

use serde_json::json;

use super::chat::{ChatRequest, Message, Think, Tool, ToolCall, ToolCallFunction, ToolFunction};

/// Which part of the suite a conversation belongs to; each part is reported on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuiteKind {
    /// Plain chat, thinking off, no tools: what every template must get right.
    Plain,
    /// Tool definitions, assistant tool calls and tool results.
    Tools,
    /// Thinking on, with an assistant turn that carries reasoning.
    Thinking,
}

/// One named conversation of the suite.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    /// A short stable name used in reports (`system_user`, `tool_calls`, ...).
    pub name: &'static str,
    /// Which part of the suite it belongs to.
    pub kind: SuiteKind,
    /// The request as a client sends it to Ollama's chat API.
    pub request: ChatRequest,
}

fn msg(role: &str, content: &str) -> Message {
    Message {
        role: role.into(),
        content: content.into(),
        ..Message::default()
    }
}

fn plain(name: &'static str, messages: Vec<Message>) -> Conversation {
    Conversation {
        name,
        kind: SuiteKind::Plain,
        request: ChatRequest {
            messages,
            tools: Vec::new(),
            think: Some(Think::Enabled(false)),
        },
    }
}

/// Content that trips naive conversions: both quote kinds, backslashes, template braces,
/// embedded newlines and non-ASCII text.
const AWKWARD: &str = "She said \"hi\" and 'bye'. Path: C:\\temp\\new\\ and \\n stays literal.\n\
{{ .Content }} {% raw %} {# not a comment #} {\"json\": [1, 2]}\n\n\
Unicode: héllo wörld, naïve café, 你好, Привет, emoji 🚀✨, math ∑∞≠.";

/// The weather tool the tool-calling conversations offer.
fn weather_tool() -> Tool {
    Tool {
        kind: "function".into(),
        function: ToolFunction {
            name: "get_weather".into(),
            description: "Get the current weather for a city".into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "The city name"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}
                },
                "required": ["city"]
            }),
        },
    }
}

/// The clock tool the parallel-calls conversation offers beside the weather tool.
fn time_tool() -> Tool {
    Tool {
        kind: "function".into(),
        function: ToolFunction {
            name: "get_current_time".into(),
            description: "Get the current time in a time zone".into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "timezone": {"type": "string", "description": "An IANA time zone"},
                    "format": {"type": "string", "enum": ["12h", "24h"]}
                },
                "required": ["timezone"]
            }),
        },
    }
}

/// The id of the second call of the parallel-calls conversation.
pub const SECOND_CALL_ID: &str = "call00002";

/// A call to the clock tool, second in its turn, with its arguments in an order that is not
/// sorted (`timezone` before `format`): a template that writes them one by one in the
/// caller's order and one that sorts them render differently.
fn time_call() -> ToolCall {
    let mut arguments = serde_json::Map::new();
    arguments.insert("timezone".into(), json!("Europe/Paris"));
    arguments.insert("format".into(), json!("24h"));
    ToolCall {
        id: Some(SECOND_CALL_ID.into()),
        function: ToolCallFunction {
            index: Some(1),
            name: "get_current_time".into(),
            arguments,
        },
    }
}

/// The id of the suite's tool call and of the result that answers it: nine letters and
/// digits, the only form Mistral's templates accept (they refuse `call_1`), and an ordinary
/// id to every other template.
pub const CALL_ID: &str = "call00001";

fn weather_call() -> ToolCall {
    let mut arguments = serde_json::Map::new();
    arguments.insert("city".into(), json!("Paris"));
    arguments.insert("unit".into(), json!("celsius"));
    ToolCall {
        id: Some(CALL_ID.into()),
        function: ToolCallFunction {
            index: Some(0),
            name: "get_weather".into(),
            arguments,
        },
    }
}

/// Every conversation of the suite, plain ones first.
pub fn conversations() -> Vec<Conversation> {
    let mut long = vec![msg("system", "You are a concise assistant.")];
    for turn in 1..=19 {
        let role = if turn % 2 == 1 { "user" } else { "assistant" };
        long.push(msg(
            role,
            &format!("Message number {turn} from the {role}."),
        ));
    }
    let mut suite = vec![
        plain("single_user", vec![msg("user", "Hello!")]),
        plain(
            "system_user",
            vec![
                msg("system", "You are a helpful assistant."),
                msg("user", "What is the capital of France?"),
            ],
        ),
        plain(
            "multi_turn",
            vec![
                msg("user", "What is the capital of France?"),
                msg("assistant", "The capital of France is Paris."),
                msg("user", "And of Italy?"),
            ],
        ),
        plain(
            "system_multi_turn",
            vec![
                msg("system", "Answer in one word."),
                msg("user", "Capital of France?"),
                msg("assistant", "Paris."),
                msg("user", "Capital of Italy?"),
            ],
        ),
        plain(
            "two_system",
            vec![
                msg("system", "You are a helpful assistant."),
                msg("system", "Always answer in French."),
                msg("user", "Hello!"),
            ],
        ),
        plain("long_20_turns", long),
        plain(
            "special_characters",
            vec![
                msg("user", AWKWARD),
                msg("assistant", AWKWARD),
                msg("user", "Again: \"\\{}\" ✓"),
            ],
        ),
        plain(
            "surrounding_whitespace",
            vec![
                msg("system", "  Be brief.  "),
                msg("user", "\n  Hello, with spaces around.  \n"),
                msg("assistant", "  Hi there.\n\n"),
                msg("user", "\tTabbed\t"),
            ],
        ),
    ];
    let tool_call_turn = Message {
        tool_calls: vec![weather_call()],
        ..msg("assistant", "")
    };
    let tool_result = Message {
        tool_name: Some("get_weather".into()),
        tool_call_id: Some(CALL_ID.into()),
        ..msg("tool", "{\"temperature\": 18, \"unit\": \"celsius\"}")
    };
    let tools = |name, messages| Conversation {
        name,
        kind: SuiteKind::Tools,
        request: ChatRequest {
            messages,
            tools: vec![weather_tool()],
            think: Some(Think::Enabled(false)),
        },
    };
    suite.push(tools(
        "tools_offered",
        vec![msg("user", "What is the weather in Paris?")],
    ));
    suite.push(tools(
        "tool_call_and_result",
        vec![
            msg("system", "You can look up the weather."),
            msg("user", "What is the weather in Paris?"),
            tool_call_turn.clone(),
            tool_result.clone(),
        ],
    ));
    suite.push(tools(
        "tool_call_with_content",
        vec![
            msg("user", "What is the weather in Paris?"),
            Message {
                tool_calls: vec![weather_call()],
                ..msg("assistant", "Let me look that up.")
            },
            Message {
                tool_name: Some("get_weather".into()),
                tool_call_id: Some(CALL_ID.into()),
                ..msg("tool", "{\"temperature\": 18, \"unit\": \"celsius\"}")
            },
        ],
    ));
    suite.push(tools(
        "tool_round_trip",
        vec![
            msg("user", "What is the weather in Paris?"),
            tool_call_turn,
            tool_result,
            msg("assistant", "It is 18 °C in Paris."),
            msg("user", "Thanks!"),
        ],
    ));
    // A call without arguments: templates that write arguments one by one write nothing of
    // them, which the converted template must repeat.
    let mut no_arguments = weather_call();
    no_arguments.function.arguments.clear();
    suite.push(tools(
        "tool_call_without_arguments",
        vec![
            msg("user", "What is the weather here?"),
            Message {
                tool_calls: vec![no_arguments],
                ..msg("assistant", "")
            },
            Message {
                tool_name: Some("get_weather".into()),
                tool_call_id: Some(CALL_ID.into()),
                ..msg("tool", "{\"temperature\": 18, \"unit\": \"celsius\"}")
            },
        ],
    ));
    // Two calls to different functions in one turn, each answered: a template that numbers
    // calls (`functions.get_current_time:1`) or pairs results with calls by position shows
    // whether the conversion kept the loop index.
    suite.push(Conversation {
        name: "parallel_tool_calls",
        kind: SuiteKind::Tools,
        request: ChatRequest {
            messages: vec![
                msg("user", "What is the weather and the time in Paris?"),
                Message {
                    tool_calls: vec![weather_call(), time_call()],
                    ..msg("assistant", "")
                },
                Message {
                    tool_name: Some("get_weather".into()),
                    tool_call_id: Some(CALL_ID.into()),
                    ..msg("tool", "{\"temperature\": 18, \"unit\": \"celsius\"}")
                },
                Message {
                    tool_name: Some("get_current_time".into()),
                    tool_call_id: Some(SECOND_CALL_ID.into()),
                    ..msg("tool", "{\"time\": \"14:05\"}")
                },
            ],
            tools: vec![weather_tool(), time_tool()],
            think: Some(Think::Enabled(false)),
        },
    });
    let thinking = |name, messages| Conversation {
        name,
        kind: SuiteKind::Thinking,
        request: ChatRequest {
            messages,
            tools: Vec::new(),
            think: Some(Think::Enabled(true)),
        },
    };
    suite.push(thinking(
        "thinking_single_user",
        vec![msg("user", "What is 12 * 13?")],
    ));
    suite.push(thinking(
        "thinking_multi_turn",
        vec![
            msg("user", "What is 12 * 13?"),
            Message {
                thinking: "12 * 13 = 12 * 10 + 12 * 3 = 120 + 36 = 156.".into(),
                ..msg("assistant", "156")
            },
            msg("user", "And 14 * 15?"),
        ],
    ));
    suite
}

/// The conversations of one part of the suite.
pub fn conversations_of(kind: SuiteKind) -> Vec<Conversation> {
    conversations()
        .into_iter()
        .filter(|c| c.kind == kind)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_part_is_present() {
        let suite = conversations();
        let mut names: Vec<_> = suite.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), suite.len());
        for kind in [SuiteKind::Plain, SuiteKind::Tools, SuiteKind::Thinking] {
            assert!(!conversations_of(kind).is_empty(), "{kind:?} part is empty");
        }
    }

    #[test]
    fn long_conversation_has_twenty_messages() {
        let suite = conversations();
        let long = suite
            .iter()
            .find(|c| c.name == "long_20_turns")
            .map(|c| c.request.messages.len());
        assert_eq!(long, Some(20));
    }
}
