//! Probing: render the Jinja template over conversations whose contents are unique markers,
//! and cut each rendering at the markers. What lies between two markers is the text the
//! template writes between two messages; collected over several conversation shapes, these
//! gaps are the template's turn structure.

use serde_json::{Value, json};

use crate::template::chat::{
    ChatRequest, Message, Think, Tool, ToolCall, ToolCallFunction, ToolFunction,
};
use crate::template::jinja::{JinjaError, JinjaTemplate};
use crate::template::verify::{self, VerifyOptions};

/// A role the probes use, or a place in the prompt that is written like a message (reasoning,
/// tool definitions, the name and arguments of a tool call).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Role {
    /// The system prompt (Ollama's `.System`).
    System,
    /// A user turn.
    User,
    /// An assistant turn.
    Assistant,
    /// The reasoning of an assistant turn (Ollama's `.Thinking`), written before its answer;
    /// not a message of its own, but a place in the prompt like one.
    Reasoning,
    /// One tool definition (Ollama's `.Tools` item), written as JSON.
    ToolDef,
    /// An assistant message that only calls tools (empty content); in the prompt it is the
    /// places [`Role::CallName`] and [`Role::CallArgs`] of each call.
    Call,
    /// An assistant message with content that also calls tools; in the prompt, its content is
    /// the place `CallContent`, followed by the places of its calls.
    CallContent,
    /// The function name of one tool call.
    CallName,
    /// The arguments of one tool call, written as JSON.
    CallArgs,
    /// The id of one tool call (Ollama's `.ID`), written after its name or its arguments.
    CallId,
    /// A `tool` message: the result of a call.
    ToolResult,
    /// The id of the call a `tool` message answers (Ollama's `.ToolCallID`), written next to
    /// its content.
    ResultId,
    /// The name of the tool a `tool` message comes from (Ollama's `.ToolName`), written next
    /// to its content.
    ResultName,
}

impl Role {
    /// The role name as messages carry it.
    pub(super) fn name(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Reasoning => "reasoning",
            Role::ToolDef => "tooldef",
            Role::Call => "call",
            Role::CallContent => "callcontent",
            Role::CallName => "callname",
            Role::CallArgs => "callargs",
            Role::CallId => "callid",
            Role::ToolResult => "tool",
            Role::ResultId => "resultid",
            Role::ResultName => "resultname",
        }
    }
}

/// Where in the conversation a gap sits: what came before it, what follows, whether what
/// follows is (or precedes) the last message, and whether the conversation has a system
/// prompt. The generated Go template can test each of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct GapKey {
    /// The role written just before the gap; `None` at the start of the prompt.
    pub prev: Option<Role>,
    /// The role written just after the gap; `None` for the end of the prompt (the
    /// generation prompt).
    pub next: Option<Role>,
    /// Whether the message after the gap is the conversation's last (for the system prompt:
    /// whether the message it is written in front of is the last).
    pub last: bool,
    /// Whether the conversation has a system prompt.
    pub system: bool,
    /// Whether thinking was requested (`"think": true`, `enable_thinking=true`).
    pub think: bool,
    /// Whether the assistant message after the gap carries reasoning (Ollama's `.Thinking`).
    pub reasoning: bool,
    /// Whether tools are offered (Ollama's `.Tools`).
    pub tools: bool,
}

/// Where the template writes the system prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placement {
    /// Before the first turn (its own turn, or inside the first user turn).
    First,
    /// Just before the last message (inside the last user turn, as Mistral does).
    BeforeLast,
    /// Seen only where the two coincide (a single turn), so either holds.
    Either,
}

/// The conversation shapes probed: with and without a system prompt, one to three user
/// turns, so first, middle and last turns are all seen.
pub(super) fn shapes() -> Vec<Vec<Role>> {
    use Role::{Assistant as A, System as S, User as U};
    vec![
        vec![U],
        vec![S, U],
        vec![U, A, U],
        vec![S, U, A, U],
        vec![U, A, U, A, U],
        vec![S, U, A, U, A, U],
    ]
}

/// The shapes probed with reasoning on assistant turns: an answered question before the last
/// user turn, with and without a system prompt (the thinking suite's history).
pub(super) fn reasoning_shapes() -> Vec<Vec<Role>> {
    use Role::{Assistant as A, System as S, User as U};
    vec![vec![U, A, U], vec![S, U, A, U]]
}

/// The shapes probed with tools offered: plain turns, and assistant turns that call two tools
/// answered by two `tool` messages, at the end and in the middle of the conversation, and a
/// call right after tool results.
pub(super) fn tool_shapes() -> Vec<Vec<Role>> {
    use Role::{Assistant as A, Call as C, System as S, ToolResult as R, User as U};
    vec![
        vec![U],
        vec![S, U],
        vec![U, A, U],
        vec![S, U, A, U],
        vec![U, C, R, R],
        vec![S, U, C, R, R],
        vec![U, C, R, R, A, U],
        vec![S, U, C, R, R, A, U],
        vec![U, C, R, R, C, R, R],
    ]
}

/// The shapes that show how an assistant turn with content and tool calls is written; a
/// template that refuses them is converted without that case.
pub(super) fn content_call_shapes() -> Vec<Vec<Role>> {
    use Role::{Assistant as A, CallContent as C, System as S, ToolResult as R, User as U};
    vec![
        vec![U, C, R, R],
        vec![S, U, C, R, R, A, U],
        vec![U, C, R, R, C, R, R],
    ]
}

/// How many tools a tool probe offers and how many calls a calling turn makes at most: two,
/// so the text between two of them is seen (templates that refuse parallel calls are probed
/// with one).
pub(super) const TOOL_COUNT: usize = 2;

/// What a tool definition is written as: the whole `{"type": "function", "function": {...}}`
/// object, or only its function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ToolForm {
    /// The whole tool (Go: `json $tool`).
    Tool,
    /// Its `function` object (Go: `json $tool.Function`).
    Function,
    /// Not written at all: the template only writes calls and results.
    Absent,
}

/// Where a template writes the tool definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ToolPlacement {
    /// Before the first message after the system prompt.
    First,
    /// Before the last message.
    BeforeLast,
    /// Before the last user message (Mistral's `message == user_messages[-1]`), which after a
    /// tool call is not the last message.
    BeforeLastUser,
}

/// The tool placements one probe agrees with: in a short conversation the first turn, the
/// last and the last user turn can be the same message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ToolPlaces {
    /// Right before the first message that is not the system prompt.
    pub first: bool,
    /// Right before the last message.
    pub last: bool,
    /// Right before the last user message.
    pub last_user: bool,
}

impl ToolPlaces {
    /// The placements both agree with.
    pub(super) fn and(self, other: ToolPlaces) -> ToolPlaces {
        ToolPlaces {
            first: self.first && other.first,
            last: self.last && other.last,
            last_user: self.last_user && other.last_user,
        }
    }

    /// The placement to write: the first turn when it fits (as before the last-turn forms
    /// were known), else the last message, else the last user message.
    pub(super) fn choose(self) -> Option<ToolPlacement> {
        if self.first {
            Some(ToolPlacement::First)
        } else if self.last {
            Some(ToolPlacement::BeforeLast)
        } else if self.last_user {
            Some(ToolPlacement::BeforeLastUser)
        } else {
            None
        }
    }
}

/// The tools a tool probe offers, with marker names, descriptions and parameters.
fn probe_tools() -> Vec<Tool> {
    (0..TOOL_COUNT)
        .map(|t| Tool {
            kind: "function".into(),
            function: ToolFunction {
                name: format!("ZqTool{t}qZ"),
                description: format!("ZqDesc{t}qZ"),
                parameters: json!({
                    "type": "object",
                    "properties": {format!("ZqProp{t}qZ"): {"type": "string", "description": format!("ZqPDesc{t}qZ")}},
                    "required": [format!("ZqProp{t}qZ")]
                }),
            },
        })
        .collect()
}

/// The name of call `k` of message `index`.
fn call_name_marker(index: usize, k: usize) -> String {
    format!("ZqCall{index}x{k}qZ")
}

/// The arguments of call `k` of message `index`: a marker key with a marker string that
/// ends in `<&` (which some templates escape or wrap), then a second marker key with `true`
/// (which Python's `str` writes `True`), so a template that writes arguments one by one shows
/// the text between two of them and whether it writes strings as they are and other values
/// as JSON, as the Go template does. The keys are in sorted order, the order Go ranges over
/// them.
fn call_arguments(index: usize, k: usize) -> serde_json::Map<String, Value> {
    let mut arguments = serde_json::Map::new();
    arguments.insert(
        format!("ZqArg{index}x{k}qZ"),
        Value::String(format!("ZqVal{index}x{k}qZ{STRING_TAIL}")),
    );
    arguments.insert(format!("ZqArh{index}x{k}qZ"), Value::Bool(true));
    arguments
}

/// The end of the probes' string argument: characters a template may escape.
const STRING_TAIL: &str = "<&";

/// How a template writes a call's arguments.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) enum ArgumentsForm {
    /// As one JSON object (Go: `json $call.Function.Arguments`).
    #[default]
    Json,
    /// One by one: each key, then `between`, then the value (raw when a string, JSON
    /// otherwise), and `separator` between two arguments.
    KeyByKey {
        /// The text between a key and its value.
        between: String,
        /// The text between one argument's value and the next argument's key.
        separator: String,
        /// The separator split into what ends an argument and what starts the next, when the
        /// gaps around the arguments show it (they end with the start and begin with the end);
        /// then each argument is written whole and no argument writes neither.
        split: Option<(String, String)>,
    },
}

/// Finds a call's arguments written one by one: both keys in the caller's order, each
/// followed by the same text and its value, the string as it is and `true` as JSON.
fn find_key_by_key(
    output: &str,
    index: usize,
    k: usize,
) -> Result<Option<(usize, usize, ArgumentsForm)>, String> {
    let what = "tool call's argument";
    let first = format!("ZqArg{index}x{k}qZ");
    let value = format!("ZqVal{index}x{k}qZ");
    let second = format!("ZqArh{index}x{k}qZ");
    let (Some(a), Some(b), Some(c)) = (
        find_once(output, &first, what)?,
        find_once(output, &value, what)?,
        find_once(output, &second, what)?,
    ) else {
        return Ok(None);
    };
    let value_end = b + value.len() + STRING_TAIL.len();
    if !(a + first.len() <= b && value_end <= c) {
        return Ok(None);
    }
    if !output[b + value.len()..].starts_with(STRING_TAIL) {
        return Err("a string argument of a tool call is not written as it is".to_owned());
    }
    let between = &output[a + first.len()..b];
    let Some(rest) = output[c + second.len()..].strip_prefix(between) else {
        return Err(
            "the text around a tool call's argument depends on the value's type".to_owned(),
        );
    };
    if !rest.starts_with("true") {
        return Err(
            "an argument of a tool call that is not a string is not written as JSON".to_owned(),
        );
    }
    let end = c + second.len() + between.len() + "true".len();
    let form = ArgumentsForm::KeyByKey {
        between: between.to_owned(),
        separator: output[value_end..c].to_owned(),
        split: None,
    };
    Ok(Some((a, end - a, form)))
}

/// The id of call `k` of message `index`: nine letters and digits, as Mistral's templates
/// require of call ids.
fn call_id_marker(index: usize, k: usize) -> String {
    format!("ZqI{index:02}x{k}qZ")
}

/// The call id a `tool` message at `index` answers; nine letters and digits like a call id.
fn result_id_marker(index: usize) -> String {
    format!("ZqR{index:02}x0qZ")
}

/// The tool name a `tool` message at `index` carries (`name` to Jinja, `.ToolName` to Ollama).
fn result_name_marker(index: usize) -> String {
    format!("ZqN{index:02}x0qZ")
}

/// Where a template writes a tool call's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CallIdPlace {
    /// Between the call's name and its arguments (Mistral's `[CALL_ID]`).
    AfterName,
    /// After its arguments (Mistral Nemo's `"id"` key).
    AfterArgs,
}

/// The marker written as the content of message `index`; `q` ends it so no marker is a
/// prefix of another.
pub(super) fn marker(index: usize) -> String {
    format!("ZqMark{index}qZ")
}

/// The marker written as the reasoning of assistant message `index`.
fn reasoning_marker(index: usize) -> String {
    format!("ZqReason{index}qZ")
}

/// One probe's rendering cut at the markers.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Observation {
    /// Each gap with its position, in output order; the last one is the prompt's end.
    pub gaps: Vec<(GapKey, String)>,
    /// Where the system prompt appeared, when the shape has one.
    pub placement: Option<Placement>,
    /// Whether an assistant turn's reasoning was written.
    pub reasoning_written: bool,
    /// How the tool definitions are written, when the probe offers tools.
    pub tool_form: Option<ToolForm>,
    /// Where the tool definitions may be said to be written (every placement this probe
    /// agrees with), when the probe offers tools.
    pub tool_placement: Option<ToolPlaces>,
    /// Whether the tool definitions come right before the system prompt (`Some(true)`) or
    /// right after it (`Some(false)`); `None` when neither is seen.
    pub tools_before_system: Option<bool>,
    /// Where the calls' ids are written; `None` when no call's id is.
    pub call_id: Option<CallIdPlace>,
    /// How the calls' arguments are written; `None` when the probe has no call.
    pub arguments_form: Option<ArgumentsForm>,
    /// The places a tool result is written as, in order: its content, and its call id and
    /// tool name where written; `None` when the probe has no result.
    pub result_places: Option<Vec<Role>>,
    /// Whether the system prompt was left out of a tool conversation that ends in something
    /// other than a user turn.
    pub system_dropped: bool,
}

/// One probe: a conversation shape, thinking on or off, and whether assistant turns carry
/// reasoning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Probe<'a> {
    /// The roles of the messages, in order.
    pub shape: &'a [Role],
    /// Whether thinking is requested.
    pub think: bool,
    /// Whether assistant messages carry reasoning (`thinking`/`reasoning_content`).
    pub reasoning: bool,
    /// Whether tools are offered.
    pub tools: bool,
    /// How many tool calls each [`Role::Call`] message makes.
    pub calls: usize,
}

/// Why a probe taught nothing.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ProbeFailure {
    /// The template refused or failed to render the shape.
    Render(JinjaError),
    /// The rendering does not contain each marker exactly once, in an order the Go template
    /// can produce.
    Shape(String),
}

/// Padding wrapped around the contents of one role's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Padding {
    /// Whose contents are padded.
    pub role: Role,
    /// Written before the content.
    pub left: &'static str,
    /// Written after the content.
    pub right: &'static str,
}

/// Renders `shape` with marker contents, those of `padding.role` padded, thinking off.
pub(super) fn render(
    jinja: &JinjaTemplate,
    shape: &[Role],
    padding: Option<Padding>,
    options: &VerifyOptions,
) -> Result<String, JinjaError> {
    let probe = Probe {
        shape,
        think: false,
        reasoning: false,
        tools: false,
        calls: 0,
    };
    render_probe(jinja, probe, padding, options)
}

/// Renders a probe with marker contents (and reasoning), those of `padding.role` padded.
fn render_probe(
    jinja: &JinjaTemplate,
    probe: Probe<'_>,
    padding: Option<Padding>,
    options: &VerifyOptions,
) -> Result<String, JinjaError> {
    let messages = probe
        .shape
        .iter()
        .enumerate()
        .map(|(index, &role)| match role {
            Role::Call | Role::CallContent => Message {
                role: "assistant".to_owned(),
                content: if role == Role::CallContent {
                    marker(index)
                } else {
                    String::new()
                },
                tool_calls: (0..probe.calls)
                    .map(|k| ToolCall {
                        id: Some(call_id_marker(index, k)),
                        function: ToolCallFunction {
                            index: Some(k),
                            name: call_name_marker(index, k),
                            arguments: call_arguments(index, k),
                        },
                    })
                    .collect(),
                ..Message::default()
            },
            _ => Message {
                role: role.name().to_owned(),
                content: match padding {
                    Some(pad) if pad.role == role => {
                        format!("{}{}{}", pad.left, marker(index), pad.right)
                    }
                    _ => marker(index),
                },
                thinking: if probe.reasoning && role == Role::Assistant {
                    reasoning_marker(index)
                } else {
                    String::new()
                },
                tool_call_id: (role == Role::ToolResult).then(|| result_id_marker(index)),
                tool_name: (role == Role::ToolResult).then(|| result_name_marker(index)),
                ..Message::default()
            },
        })
        .collect();
    let request = ChatRequest {
        messages,
        tools: if probe.tools {
            probe_tools()
        } else {
            Vec::new()
        },
        think: Some(Think::Enabled(probe.think)),
    };
    verify::render_jinja(jinja, &request, options)
}

/// Whether the template writes a `tool` message's content as a JSON string (`content |
/// tojson`, as Llama 3.1 does): a result ending in `"\` then shows escaped.
pub(super) fn results_as_json_string(
    jinja: &JinjaTemplate,
    options: &VerifyOptions,
    calls: usize,
) -> Result<bool, String> {
    use Role::{Call, ToolResult, User};
    let shape = [User, Call, ToolResult];
    let probe = Probe {
        shape: &shape,
        think: false,
        reasoning: false,
        tools: true,
        calls,
    };
    let padding = Padding {
        role: ToolResult,
        left: "",
        right: "\"\\",
    };
    let output = render_probe(jinja, probe, Some(padding), options)
        .map_err(|err| format!("the template fails on a tool result with a quote: {err}"))?;
    let result = marker(2);
    if output.contains(&format!("{result}\\\"\\\\\"")) {
        Ok(true)
    } else if output.contains(&format!("{result}\"\\")) {
        Ok(false)
    } else {
        Err("the template changes tool results in a way the probes cannot name".to_owned())
    }
}

/// Renders one probe and cuts the output into gaps.
pub(super) fn observe(
    jinja: &JinjaTemplate,
    probe: Probe<'_>,
    options: &VerifyOptions,
) -> Result<Observation, ProbeFailure> {
    let output = render_probe(jinja, probe, None, options).map_err(ProbeFailure::Render)?;
    cut(&output, probe).map_err(ProbeFailure::Shape)
}

/// Where one marker was found: byte offset, the message it belongs to, what it stands for,
/// and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Found {
    at: usize,
    index: usize,
    role: Role,
    len: usize,
}

/// Finds `marker` at most once in `output`.
fn find_once(output: &str, marker: &str, what: &str) -> Result<Option<usize>, String> {
    let mut hits = output.match_indices(marker);
    let first = hits.next().map(|(at, _)| at);
    if hits.next().is_some() {
        return Err(format!("the {what} appears more than once"));
    }
    Ok(first)
}

/// Cuts `output` at the markers of the probe's messages.
fn cut(output: &str, probe: Probe<'_>) -> Result<Observation, String> {
    let shape = probe.shape;
    let mut found = Vec::with_capacity(shape.len() * 2);
    let mut reasoning_written = false;
    let mut system_dropped = false;
    let mut arguments_form = None;
    for (index, &role) in shape.iter().enumerate() {
        if matches!(role, Role::Call | Role::CallContent) {
            if role == Role::CallContent {
                let content = marker(index);
                let what = "content of an assistant message with tool calls";
                let Some(at) = find_once(output, &content, what)? else {
                    return Err(format!("the {what} does not appear in the prompt"));
                };
                found.push(Found {
                    at,
                    index,
                    role,
                    len: content.len(),
                });
            }
            for k in 0..probe.calls {
                let name = call_name_marker(index, k);
                let Some(at) = find_once(output, &name, "tool call's name")? else {
                    return Err("the name of a tool call does not appear in the prompt".to_owned());
                };
                found.push(Found {
                    at,
                    index,
                    role: Role::CallName,
                    len: name.len(),
                });
                let arguments = Value::Object(call_arguments(index, k));
                let key = format!("ZqArg{index}x{k}qZ");
                let (at, len, form) = match find_json(output, &key, &[arguments])? {
                    Some((at, len, _)) => (at, len, ArgumentsForm::Json),
                    None => find_key_by_key(output, index, k)?.ok_or_else(|| {
                        "the arguments of a tool call are written neither as a JSON object nor key by key"
                            .to_owned()
                    })?,
                };
                if arguments_form.as_ref().is_some_and(|known| *known != form) {
                    return Err("the arguments of tool calls are written in two forms".to_owned());
                }
                arguments_form = Some(form);
                found.push(Found {
                    at,
                    index,
                    role: Role::CallArgs,
                    len,
                });
                let id = call_id_marker(index, k);
                if let Some(at) = find_once(output, &id, "tool call's id")? {
                    found.push(Found {
                        at,
                        index,
                        role: Role::CallId,
                        len: id.len(),
                    });
                }
            }
            continue;
        }
        let marker = marker(index);
        let what = format!("{} message's content", role.name());
        let Some(at) = find_once(output, &marker, &what)? else {
            // Mistral Nemo writes the system prompt inside the last message only when that is
            // a user turn: after tool results it is not written at all.
            if role == Role::System && probe.tools && shape.last() != Some(&Role::User) {
                system_dropped = true;
                continue;
            }
            return Err(format!("the {what} does not appear in the prompt"));
        };
        found.push(Found {
            at,
            index,
            role,
            len: marker.len(),
        });
        if role == Role::ToolResult {
            for (extra, text, what) in [
                (
                    Role::ResultId,
                    result_id_marker(index),
                    "tool result's call id",
                ),
                (
                    Role::ResultName,
                    result_name_marker(index),
                    "tool result's tool name",
                ),
            ] {
                if let Some(at) = find_once(output, &text, what)? {
                    found.push(Found {
                        at,
                        index,
                        role: extra,
                        len: text.len(),
                    });
                }
            }
        }
        if probe.reasoning && role == Role::Assistant {
            let marker = reasoning_marker(index);
            if let Some(at) = find_once(output, &marker, "reasoning")? {
                reasoning_written = true;
                found.push(Found {
                    at,
                    index,
                    role: Role::Reasoning,
                    len: marker.len(),
                });
            }
        }
    }
    let mut tool_form = None;
    let unseen = |t: usize| !output.contains(&format!("ZqTool{t}qZ"));
    if probe.tools && (0..TOOL_COUNT).all(unseen) {
        tool_form = Some(ToolForm::Absent);
    } else if probe.tools {
        for (t, tool) in probe_tools().iter().enumerate() {
            let whole = serde_json::to_value(tool).unwrap_or_default();
            let function = serde_json::to_value(&tool.function).unwrap_or_default();
            let name = format!("ZqTool{t}qZ");
            let Some((at, len, form)) = find_json(output, &name, &[whole, function])? else {
                return Err("the tool definitions are not written as JSON".to_owned());
            };
            let form = if form == 0 {
                ToolForm::Tool
            } else {
                ToolForm::Function
            };
            if tool_form.is_some_and(|known| known != form) {
                return Err("the tool definitions are written in two forms".to_owned());
            }
            tool_form = Some(form);
            found.push(Found {
                at,
                index: TOOL_DEF_INDEX,
                role: Role::ToolDef,
                len,
            });
        }
    }
    found.sort_unstable();
    let call_id = call_id_place(&found, shape, probe.calls)?;
    let result_places = result_places(&found)?;
    let defs_written = tool_form.is_some_and(|form| form != ToolForm::Absent);
    let (tool_placement, tools_before_system) = if defs_written {
        let (placement, before_system) = tool_placement(&found, shape)?;
        (Some(placement), before_system)
    } else {
        (None, None)
    };
    let turns: Vec<usize> = found
        .iter()
        .filter(|f| {
            matches!(
                f.role,
                Role::User
                    | Role::Assistant
                    | Role::CallContent
                    | Role::CallName
                    | Role::ToolResult
            )
        })
        .map(|f| f.index)
        .collect();
    if turns.windows(2).any(|pair| pair[0] > pair[1]) {
        return Err("the template writes turns out of order".to_owned());
    }
    let reasoning_misplaced = found.iter().enumerate().any(|(n, f)| {
        f.role == Role::Reasoning
            && found
                .get(n + 1)
                .is_none_or(|next| next.index != f.index || next.role != Role::Assistant)
    });
    if reasoning_misplaced {
        return Err("the reasoning is not written right before its answer".to_owned());
    }
    let has_system = shape.contains(&Role::System);
    let last_index = shape.len() - 1;
    let mut placement = None;
    let mut gaps = Vec::with_capacity(found.len() + 1);
    let mut cursor = 0;
    let mut prev = None;
    for (position, f) in found.iter().enumerate() {
        let last = if f.role == Role::System {
            // Tool definitions may sit on either side of the system prompt: where it goes is
            // judged among the messages.
            let before = found[position + 1..]
                .iter()
                .find(|next| next.role != Role::ToolDef)
                .map(|next| next.index);
            let among_messages = found[..position]
                .iter()
                .filter(|f| f.role != Role::ToolDef)
                .count();
            placement = Some(match among_messages {
                0 if before == Some(last_index) => Placement::Either,
                0 => Placement::First,
                _ if before == Some(last_index) => Placement::BeforeLast,
                _ => {
                    return Err(
                        "the system prompt is written in the middle of the conversation".to_owned(),
                    );
                }
            });
            before == Some(last_index)
        } else {
            f.index == last_index
        };
        let key = GapKey {
            prev,
            next: Some(f.role),
            last,
            system: has_system,
            think: probe.think,
            reasoning: probe.reasoning && matches!(f.role, Role::Assistant | Role::Reasoning),
            tools: probe.tools,
        };
        let Some(gap) = output.get(cursor..f.at) else {
            return Err("the contents of two messages overlap in the prompt".to_owned());
        };
        gaps.push((key, gap.to_owned()));
        cursor = f.at + f.len;
        prev = Some(f.role);
    }
    let end = GapKey {
        prev,
        next: None,
        last: false,
        system: has_system,
        think: probe.think,
        reasoning: false,
        tools: probe.tools,
    };
    gaps.push((end, output[cursor..].to_owned()));
    Ok(Observation {
        gaps,
        placement,
        reasoning_written,
        tool_form,
        tool_placement,
        tools_before_system,
        call_id,
        arguments_form,
        result_places,
        system_dropped,
    })
}

/// Where call ids are written: right after each call's name or each call's arguments, for
/// every call or for none.
fn call_id_place(
    found: &[Found],
    shape: &[Role],
    calls: usize,
) -> Result<Option<CallIdPlace>, String> {
    let mut call_id = None;
    let mut call_ids = 0;
    for (n, place) in found.iter().enumerate() {
        if place.role != Role::CallId {
            continue;
        }
        call_ids += 1;
        let before = n
            .checked_sub(1)
            .and_then(|m| found.get(m))
            .filter(|other| other.index == place.index)
            .map(|other| other.role);
        let here = match before {
            Some(Role::CallName) => CallIdPlace::AfterName,
            Some(Role::CallArgs) => CallIdPlace::AfterArgs,
            _ => {
                return Err(
                    "the id of a tool call is not written right after its name or its arguments"
                        .to_owned(),
                );
            }
        };
        if call_id.is_some_and(|known| known != here) {
            return Err("the ids of tool calls move within the call".to_owned());
        }
        call_id = Some(here);
    }
    let call_count = calls
        * shape
            .iter()
            .filter(|r| matches!(r, Role::Call | Role::CallContent))
            .count();
    if call_ids != 0 && call_ids != call_count {
        return Err("the ids of some tool calls are written, not of others".to_owned());
    }
    Ok(call_id)
}

/// The places each tool result is written as (content, call id, tool name), in order and
/// together; every result must be written the same way.
fn result_places(found: &[Found]) -> Result<Option<Vec<Role>>, String> {
    let is_result =
        |role: Role| matches!(role, Role::ToolResult | Role::ResultId | Role::ResultName);
    let mut known: Option<Vec<Role>> = None;
    let mut n = 0;
    while n < found.len() {
        if !is_result(found[n].role) {
            n += 1;
            continue;
        }
        let index = found[n].index;
        let mut places = Vec::new();
        while let Some(f) = found
            .get(n)
            .filter(|f| f.index == index && is_result(f.role))
        {
            places.push(f.role);
            n += 1;
        }
        let scattered = found[n..]
            .iter()
            .any(|f| f.index == index && is_result(f.role));
        if scattered || !places.contains(&Role::ToolResult) {
            return Err(
                "the call id or tool name of a tool result is not written next to its content"
                    .to_owned(),
            );
        }
        if known.as_ref().is_some_and(|k| *k != places) {
            return Err("tool results are written in different forms".to_owned());
        }
        known = Some(places);
    }
    Ok(known)
}

/// The message index tool definitions are found under: they belong to no message, and are
/// never the last one.
const TOOL_DEF_INDEX: usize = usize::MAX;

/// Where the tool definitions are written: all together, right before the first message
/// that is not the system prompt, the last message or the last user message; and, when the
/// system prompt is written there too, whether they come before it.
fn tool_placement(found: &[Found], shape: &[Role]) -> Result<(ToolPlaces, Option<bool>), String> {
    let defs: Vec<usize> = (0..found.len())
        .filter(|&n| found[n].role == Role::ToolDef)
        .collect();
    let (Some(&first), Some(&last)) = (defs.first(), defs.last()) else {
        return Err("the tool definitions do not appear in the prompt".to_owned());
    };
    if last - first + 1 != defs.len() {
        return Err("the tool definitions are not written together".to_owned());
    }
    let mut after = last + 1;
    let system_next = found.get(after).is_some_and(|f| f.role == Role::System);
    if system_next {
        after += 1;
    }
    let system_before = first > 0 && found[first - 1].role == Role::System;
    let before_system = if system_next {
        Some(true)
    } else if system_before {
        Some(false)
    } else {
        None
    };
    let next = found.get(after).map(|f| f.index);
    let first_turn = shape.iter().position(|r| *r != Role::System);
    let before_first = next.is_some() && next == first_turn;
    let before_last = next == Some(shape.len() - 1);
    let last_user = shape.iter().rposition(|r| *r == Role::User);
    let before_last_user = next.is_some() && next == last_user;
    if !(before_first || before_last || before_last_user) {
        return Err(
            "the tool definitions are not written before the first, the last or the last user turn"
                .to_owned(),
        );
    }
    let placement = ToolPlaces {
        first: before_first,
        last: before_last,
        last_user: before_last_user,
    };
    Ok((placement, before_system))
}

/// Finds the JSON value that contains the once-written `marker` and equals one of
/// `expected`: the outermost one, as a template may print a tool or only its function. Gives
/// its offset, length and which of `expected` it is.
fn find_json(
    output: &str,
    marker: &str,
    expected: &[Value],
) -> Result<Option<(usize, usize, usize)>, String> {
    let Some(at) = find_once(output, marker, "JSON marker")? else {
        return Ok(None);
    };
    let mut best = None;
    // Bounded: the marker sits at most a few levels deep in the value sought.
    for (start, _) in output[..at]
        .match_indices('{')
        .rev()
        .take(MAX_JSON_OPENINGS)
    {
        let mut stream = serde_json::Deserializer::from_str(&output[start..]).into_iter::<Value>();
        let Some(Ok(value)) = stream.next() else {
            continue;
        };
        let len = stream.byte_offset();
        if start + len <= at {
            continue;
        }
        if let Some(which) = expected.iter().position(|e| *e == value) {
            best = Some((start, len, which));
        }
    }
    Ok(best)
}

/// How many `{` before a marker are tried as the start of the JSON value around it.
const MAX_JSON_OPENINGS: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(shape: &[Role]) -> Probe<'_> {
        Probe {
            shape,
            think: false,
            reasoning: false,
            tools: false,
            calls: 0,
        }
    }

    #[test]
    fn cuts_chatml_into_gaps() {
        let shape = [Role::System, Role::User];
        let out = format!("<s>{}\n<u>{}\n<a>", marker(0), marker(1));
        let obs = cut(&out, plain(&shape)).unwrap();
        let texts: Vec<_> = obs.gaps.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["<s>", "\n<u>", "\n<a>"]);
        assert_eq!(obs.placement, Some(Placement::Either));
        assert_eq!(obs.gaps[1].0.prev, Some(Role::System));
        assert!(obs.gaps[1].0.last);
    }

    #[test]
    fn system_before_last_user_is_seen() {
        let shape = [Role::System, Role::User, Role::Assistant, Role::User];
        let out = format!(
            "[I]{}[/I]{}[I]{}\n\n{}[/I]",
            marker(1),
            marker(2),
            marker(0),
            marker(3)
        );
        let obs = cut(&out, plain(&shape)).unwrap();
        assert_eq!(obs.placement, Some(Placement::BeforeLast));
    }

    #[test]
    fn tool_json_is_the_outermost_value_equal_to_the_tool_or_its_function() {
        let tool = json!({"type": "function", "function": {"name": "ZqTool0qZ"}});
        let function = json!({"name": "ZqTool0qZ"});
        let expected = [tool, function];
        let whole = "<t>{\"type\": \"function\", \"function\": {\"name\": \"ZqTool0qZ\"}}</t>";
        assert_eq!(
            find_json(whole, "ZqTool0qZ", &expected),
            Ok(Some((3, whole.len() - 7, 0)))
        );
        let only_function = "[{\n    \"name\": \"ZqTool0qZ\"\n}]";
        assert_eq!(
            find_json(only_function, "ZqTool0qZ", &expected),
            Ok(Some((1, only_function.len() - 2, 1)))
        );
        assert_eq!(
            find_json("name: ZqTool0qZ", "ZqTool0qZ", &expected),
            Ok(None)
        );
    }

    #[test]
    fn tool_definitions_before_the_system_prompt_are_seen() {
        let shape = [Role::System, Role::User];
        let probe = Probe {
            shape: &shape,
            think: false,
            reasoning: false,
            tools: true,
            calls: 0,
        };
        let tools: Vec<String> = probe_tools()
            .iter()
            .map(|t| serde_json::to_string(t).unwrap())
            .collect();
        let out = format!(
            "<tools>{}\n{}</tools><s>{}<u>{}<a>",
            tools[0],
            tools[1],
            marker(0),
            marker(1)
        );
        let seen = cut(&out, probe).unwrap();
        assert_eq!(seen.tool_form, Some(ToolForm::Tool));
        assert_eq!(seen.tools_before_system, Some(true));
        assert_eq!(seen.placement, Some(Placement::Either));
        let texts: Vec<_> = seen.gaps.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["<tools>", "\n", "</tools><s>", "<u>", "<a>"]);
    }

    #[test]
    fn call_ids_are_places_after_the_name_and_before_the_result() {
        use Role::{Call, ToolResult, User};
        let shape = [User, Call, ToolResult];
        let probe = Probe {
            shape: &shape,
            think: false,
            reasoning: false,
            tools: false,
            calls: 1,
        };
        let out = format!(
            "[INST]{}[/INST][TOOL_CALLS]{}[CALL_ID]{}[ARGS]{{\"ZqArg1x0qZ\": \"ZqVal1x0qZ<&\", \"ZqArh1x0qZ\": true}}</s>[TOOL_RESULTS]{}[TOOL_CONTENT]{}[/TOOL_RESULTS]",
            marker(0),
            call_name_marker(1, 0),
            call_id_marker(1, 0),
            result_id_marker(2),
            marker(2)
        );
        let seen = cut(&out, probe).unwrap();
        assert_eq!(seen.call_id, Some(CallIdPlace::AfterName));
        assert_eq!(
            seen.result_places,
            Some(vec![Role::ResultId, Role::ToolResult])
        );
        let gaps: Vec<_> = seen
            .gaps
            .iter()
            .map(|(key, text)| (key.next.map(Role::name), text.as_str()))
            .collect();
        assert_eq!(
            gaps,
            [
                (Some("user"), "[INST]"),
                (Some("callname"), "[/INST][TOOL_CALLS]"),
                (Some("callid"), "[CALL_ID]"),
                (Some("callargs"), "[ARGS]"),
                (Some("resultid"), "</s>[TOOL_RESULTS]"),
                (Some("tool"), "[TOOL_CONTENT]"),
                (None, "[/TOOL_RESULTS]"),
            ]
        );
        // An id written away from its call is refused, not guessed.
        let moved = format!(
            "{}{}{}{{\"ZqArg1x0qZ\": \"ZqVal1x0qZ<&\", \"ZqArh1x0qZ\": true}}{}",
            call_id_marker(1, 0),
            marker(0),
            call_name_marker(1, 0),
            marker(2)
        );
        assert!(cut(&moved, probe).is_err());
    }

    #[test]
    fn ids_have_the_nine_characters_mistral_requires() {
        for id in [call_id_marker(6, 1), result_id_marker(6)] {
            assert_eq!(id.len(), 9, "{id}");
            assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
        }
    }

    #[test]
    fn tool_placements_are_intersected_across_probes() {
        let places = |first, last, last_user| ToolPlaces {
            first,
            last,
            last_user,
        };
        // `[U]`: all coincide; `[U, A, U]`: last and last user; `[U, C, R, R]`: first and last user.
        let single = places(true, true, true);
        let history = places(false, true, true);
        let after_call = places(true, false, true);
        assert_eq!(single.choose(), Some(ToolPlacement::First));
        assert_eq!(
            single.and(history).choose(),
            Some(ToolPlacement::BeforeLast)
        );
        assert_eq!(
            history.and(after_call).choose(),
            Some(ToolPlacement::BeforeLastUser)
        );
        assert_eq!(places(true, false, false).and(history).choose(), None);
    }

    #[test]
    fn missing_or_doubled_markers_are_refused() {
        let shape = [Role::User];
        assert!(cut("nothing", plain(&shape)).is_err());
        let twice = format!("{0}{0}", marker(0));
        assert!(cut(&twice, plain(&shape)).is_err());
    }
}
