//! llama.cpp's rendering of a Jinja chat template, asked from a real `llama-server`, compared
//! with the reference rendering (transformers' semantics, this crate's Jinja engine).
//!
//! Every conversation of the suite goes to `POST /apply-template` twice:
//! - [`Shape::Client`]: the request OpenAI-style clients send (tool-call arguments as a JSON
//!   string, `tools` only when there are some, thinking as `chat_template_kwargs`), so the
//!   verdict is what users of llama.cpp get;
//! - [`Shape::Transformers`]: the same messages with transformers' context forced through
//!   `chat_template_kwargs` (`tools` None, `add_generation_prompt` set, the reference's
//!   thinking variables), which separates what llama.cpp's chat layer changes from what its
//!   Jinja engine renders differently.
//!
//! The reference renders the conversation as sent (no Ollama same-role merge) with the BOS and
//! EOS texts the server reports, today's date (llama.cpp formats `strftime_now` and sets
//! `date_string` from the real clock), and one leading BOS removed, as llama.cpp removes it
//! from the prompt when the model adds BOS itself (the tiny model does).

use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use super::server::{
    LlamaServer, START_TIMEOUT, ServerError, ServerTokens, Started, write_tiny_model,
};
use super::{LlamaCppDifference, llamacpp_differences};
use crate::template::chat::ChatRequest;
use crate::template::jinja::{
    FixedDateTime, JinjaContext, JinjaError, JinjaTemplate, message_value,
};
use crate::template::suite::{self, Conversation};

/// The two request shapes each conversation is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// What clients send.
    Client,
    /// The same messages with transformers' context forced.
    Transformers,
}

/// How one conversation came out where llama.cpp and the reference disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Outcome {
    /// Both rendered, to different prompts.
    Differs {
        /// The reference prompt.
        reference: String,
        /// llama.cpp's prompt.
        llamacpp: String,
    },
    /// The reference rendered, llama.cpp answered with an error.
    LlamaCppFails {
        /// llama-server's error message.
        message: String,
    },
    /// llama.cpp rendered what the reference refuses (the template raised or failed there).
    OnlyLlamaCppRenders {
        /// Why the reference failed.
        reference_error: String,
    },
}

impl Outcome {
    /// The short tag used in verdicts: empty for different text.
    fn tag(&self) -> &'static str {
        match self {
            Outcome::Differs { .. } => "",
            Outcome::LlamaCppFails { .. } => " (llama.cpp fails)",
            Outcome::OnlyLlamaCppRenders { .. } => " (only llama.cpp renders)",
        }
    }
}

/// One conversation that came out differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The suite's name for the conversation.
    pub conversation: String,
    /// What happened.
    pub outcome: Outcome,
}

/// The comparison of one request shape over the suite.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ShapeReport {
    /// Conversations compared (including those both sides refuse).
    pub conversations: usize,
    /// The ones that came out differently, in suite order.
    pub differences: Vec<Difference>,
}

impl ShapeReport {
    /// `same`, or `differs: ` and the conversations (with what failed where).
    pub fn verdict(&self) -> String {
        if self.differences.is_empty() {
            return "same".into();
        }
        let list: Vec<String> = self
            .differences
            .iter()
            .map(|d| format!("{}{}", d.conversation, d.outcome.tag()))
            .collect();
        format!("differs: {}", list.join(", "))
    }
}

/// What llama.cpp did with one template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Conformance {
    /// llama-server would not start with the template.
    Refuses {
        /// The end of its output, which says why.
        log: String,
    },
    /// It started; both request shapes were compared.
    Rendered {
        /// As clients call it.
        client: ShapeReport,
        /// With transformers' context.
        transformers: ShapeReport,
    },
}

impl Conformance {
    /// Whether llama.cpp builds the reference prompt for every conversation as clients call
    /// it.
    pub fn same(&self) -> bool {
        matches!(self, Conformance::Rendered { client, .. } if client.differences.is_empty())
    }

    /// The verdict of each shape: `refuses` for both when the server would not start.
    pub fn verdicts(&self) -> [String; 2] {
        match self {
            Conformance::Refuses { .. } => ["refuses".into(), "refuses".into()],
            Conformance::Rendered {
                client,
                transformers,
            } => [client.verdict(), transformers.verdict()],
        }
    }
}

impl fmt::Display for Conformance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conformance::Refuses { log } => writeln!(
                f,
                "llama.cpp: refuses the template (llama-server would not start with it):\n{log}"
            ),
            Conformance::Rendered {
                client,
                transformers,
            } => {
                writeln!(
                    f,
                    "llama.cpp as clients call it: {} ({} conversations)",
                    client.verdict(),
                    client.conversations
                )?;
                writeln!(
                    f,
                    "llama.cpp with transformers' context: {}",
                    transformers.verdict()
                )?;
                if let Some(first) = client.differences.first() {
                    write!(f, "  first difference, {}: ", first.conversation)?;
                    match &first.outcome {
                        Outcome::Differs {
                            reference,
                            llamacpp,
                        } => {
                            let at = common_prefix(reference, llamacpp);
                            writeln!(
                                f,
                                "at byte {at}\n    reference: {:?}\n    llama.cpp: {:?}",
                                excerpt(reference, at),
                                excerpt(llamacpp, at)
                            )?;
                        }
                        Outcome::LlamaCppFails { message } => {
                            writeln!(f, "llama.cpp answered: {message}")?;
                        }
                        Outcome::OnlyLlamaCppRenders { reference_error } => {
                            writeln!(f, "the reference fails: {reference_error}")?;
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

/// Byte length of the common prefix, at a character boundary.
fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i)
}

/// Up to 60 characters from byte `at` (a character boundary of `text`, or its end).
fn excerpt(text: &str, at: usize) -> String {
    text.get(at..)
        .unwrap_or_default()
        .chars()
        .take(60)
        .collect()
}

/// The `/apply-template` body for `request` in `shape`.
pub fn request_body(request: &ChatRequest, shape: Shape, reference: &JinjaContext) -> Json {
    let messages: Vec<Json> = request
        .messages
        .iter()
        .map(|m| {
            let mut value = message_value(m);
            if shape == Shape::Client {
                stringify_arguments(&mut value);
            }
            value
        })
        .collect();
    let mut body = Map::new();
    body.insert("messages".into(), Json::Array(messages));
    if !request.tools.is_empty() {
        body.insert("tools".into(), json!(request.tools));
    }
    let mut kwargs = Map::new();
    match shape {
        Shape::Client => {
            if let Some(think) = &request.think {
                kwargs.insert("enable_thinking".into(), Json::Bool(think.is_on()));
            }
        }
        Shape::Transformers => {
            body.insert("add_generation_prompt".into(), Json::Bool(true));
            for (key, value) in reference.variables() {
                let passed_otherwise =
                    matches!(key.as_str(), "messages" | "bos_token" | "eos_token")
                        || (key == "tools" && !value.is_null());
                if !passed_otherwise {
                    kwargs.insert(key, value);
                }
            }
        }
    }
    body.insert("chat_template_kwargs".into(), Json::Object(kwargs));
    Json::Object(body)
}

/// Tool-call arguments as the JSON string OpenAI-style clients send.
fn stringify_arguments(message: &mut Json) {
    let calls = message
        .get_mut("tool_calls")
        .and_then(Json::as_array_mut)
        .into_iter()
        .flatten();
    for call in calls {
        if let Some(arguments) = call.pointer_mut("/function/arguments") {
            *arguments = Json::String(arguments.to_string());
        }
    }
}

/// The reference context for `request`: the messages as sent, the generation prompt on,
/// `tokens` and `now`.
pub fn reference_context(
    request: &ChatRequest,
    tokens: &ServerTokens,
    now: FixedDateTime,
) -> JinjaContext {
    JinjaContext {
        messages: request.messages.clone(),
        tools: request.tools.clone(),
        add_generation_prompt: true,
        bos_token: tokens.bos.clone(),
        eos_token: tokens.eos.clone(),
        thinking: request.think.as_ref().map(|think| think.is_on()),
        now,
        extra: Map::new(),
    }
}

/// Compares a running server's rendering of `jinja` (the template it was started with) with
/// the reference over `conversations`.
pub fn compare(
    server: &LlamaServer,
    jinja: &str,
    conversations: &[Conversation],
    now: FixedDateTime,
) -> Result<Conformance, ServerError> {
    let tokens = server.tokens()?;
    let template = JinjaTemplate::new(jinja);
    let mut client = ShapeReport::default();
    let mut transformers = ShapeReport::default();
    for conversation in conversations {
        let context = reference_context(&conversation.request, &tokens, now);
        let reference =
            match &template {
                Ok(template) => template.render(&context).map(|text| {
                    match text.strip_prefix(tokens.bos.as_str()) {
                        Some(rest) if !tokens.bos.is_empty() => rest.to_owned(),
                        _ => text,
                    }
                }),
                Err(err) => Err(err.clone()),
            };
        for (shape, report) in [
            (Shape::Client, &mut client),
            (Shape::Transformers, &mut transformers),
        ] {
            let body = request_body(&conversation.request, shape, &context);
            let llamacpp = server.apply_template(&body)?;
            report.conversations += 1;
            if let Some(outcome) = outcome(&reference, llamacpp) {
                report.differences.push(Difference {
                    conversation: conversation.name.to_owned(),
                    outcome,
                });
            }
        }
    }
    Ok(Conformance::Rendered {
        client,
        transformers,
    })
}

fn outcome(
    reference: &Result<String, JinjaError>,
    llamacpp: Result<String, String>,
) -> Option<Outcome> {
    match (reference, llamacpp) {
        (Ok(reference), Ok(llamacpp)) if *reference == llamacpp => None,
        (Ok(reference), Ok(llamacpp)) => Some(Outcome::Differs {
            reference: reference.clone(),
            llamacpp,
        }),
        (Ok(_), Err(message)) => Some(Outcome::LlamaCppFails { message }),
        (Err(err), Ok(_)) => Some(Outcome::OnlyLlamaCppRenders {
            reference_error: err.to_string(),
        }),
        // Both refuse: the same answer.
        (Err(_), Err(_)) => None,
    }
}

/// Starts `binary` on `model` with `jinja` (written to `work/template.jinja`), compares it
/// over `conversations` and stops it. A server that would not start is
/// [`Conformance::Refuses`].
pub fn check_template(
    binary: &Path,
    model: &Path,
    jinja: &str,
    work: &Path,
    conversations: &[Conversation],
    timeout: Duration,
) -> Result<Conformance, ServerError> {
    let template = work.join("template.jinja");
    std::fs::write(&template, jinja).map_err(|source| ServerError::Io {
        what: format!("cannot write `{}`", template.display()),
        source,
    })?;
    match LlamaServer::start(binary, model, &template, work, timeout)? {
        Started::Refused(log) => Ok(Conformance::Refuses { log }),
        Started::Ready(server) => compare(&server, jinja, conversations, today()),
    }
}

/// What `template verify --llama-server BINARY` runs: [`check_template`] over the whole
/// suite in a temporary folder, on a tiny model whose BOS and EOS texts are `bos` and `eos`
/// (`<s>`/`</s>` when empty), so the template sees the same tokens as in the other checks.
pub fn check_binary(
    binary: &Path,
    jinja: &str,
    bos: &str,
    eos: &str,
) -> Result<Conformance, ServerError> {
    let work = tempfile::tempdir().map_err(|source| ServerError::Io {
        what: "cannot create a temporary folder for llama-server".into(),
        source,
    })?;
    let model = work.path().join("tiny.gguf");
    write_tiny_model(&model, bos, eos)?;
    check_template(
        binary,
        &model,
        jinja,
        work.path(),
        &suite::conversations(),
        START_TIMEOUT,
    )
}

/// Now, as llama.cpp's `strftime_now` and `date_string` see it (UTC).
pub fn today() -> FixedDateTime {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    FixedDateTime::from_unix_seconds(seconds)
}

/// The llama.cpp cell of `docs/template-conversion-table.md` for a template, from its two
/// verdicts ([`Conformance::verdicts`]) and its structural [`llamacpp_differences`]: `same`,
/// `refuses`, or what differs and why.
pub fn table_cell(client: &str, transformers: &str, jinja: &str) -> String {
    if client == "refuses" {
        return "**refuses**: llama-server does not start with it (the template fails on llama.cpp's own test conversation)".into();
    }
    if client == "same" {
        return "same".into();
    }
    let mut cell = format!("**{client}**");
    if transformers == "same" {
        cell.push_str("; same with transformers' context, so llama.cpp's chat layer (`tools` undefined, `add_generation_prompt` unset, arguments as a string) causes it");
    } else if transformers != client {
        cell.push_str(&format!("; with transformers' context: {transformers}"));
    }
    let why: Vec<&str> = llamacpp_differences(jinja)
        .into_iter()
        .map(LlamaCppDifference::describe)
        .collect();
    if !why.is_empty() {
        cell.push_str(&format!("; why: {}", why.join("; ")));
    }
    cell.replace('|', "\\|")
}

/// How the summary line about llama.cpp in `docs/template-conversion-table.md` starts.
pub const SUMMARY_PREFIX: &str = "- llama.cpp";

/// The summary line of the table for every template's two verdicts: how many llama.cpp
/// renders the same as clients call it, how many differ, how many it refuses.
pub fn table_summary(verdicts: &[[String; 2]]) -> String {
    let count = |f: &dyn Fn(&str) -> bool| verdicts.iter().filter(|v| f(&v[0])).count();
    format!(
        "{SUMMARY_PREFIX} (`llama-server` build 11434, `/apply-template` as clients call it, the `llama.cpp` column): **{} of {}** render the same prompt; {} differ; {} refused at start-up.",
        count(&|v| v == "same"),
        verdicts.len(),
        count(&|v| v.starts_with("differs")),
        count(&|v| v == "refuses"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(name: &str) -> Conversation {
        suite::conversations()
            .into_iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no {name} in the suite"))
    }

    fn tokens() -> ServerTokens {
        ServerTokens {
            bos: "<s>".into(),
            eos: "</s>".into(),
        }
    }

    #[test]
    fn clients_send_arguments_as_a_string_and_only_enable_thinking() {
        let request = conversation("tool_call_and_result").request;
        let context = reference_context(&request, &tokens(), FixedDateTime::default());
        let body = request_body(&request, Shape::Client, &context);
        let call = &body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m.get("tool_calls").is_some())
            .unwrap()["tool_calls"][0];
        let arguments = call["function"]["arguments"].as_str().unwrap();
        assert_eq!(
            serde_json::from_str::<Json>(arguments).unwrap(),
            json!({"city": "Paris", "unit": "celsius"})
        );
        assert!(body["tools"].is_array());
        assert_eq!(
            body["chat_template_kwargs"],
            json!({"enable_thinking": false})
        );
        assert!(body.get("add_generation_prompt").is_none());
    }

    #[test]
    fn transformers_context_is_forced_through_the_template_kwargs() {
        let request = conversation("system_user").request;
        let context = reference_context(&request, &tokens(), FixedDateTime::default());
        let body = request_body(&request, Shape::Transformers, &context);
        assert_eq!(body["add_generation_prompt"], true);
        assert!(body.get("tools").is_none());
        let kwargs = &body["chat_template_kwargs"];
        assert_eq!(kwargs["tools"], Json::Null);
        assert_eq!(kwargs["add_generation_prompt"], true);
        assert_eq!(kwargs["enable_thinking"], false);
        assert_eq!(kwargs["thinking"], false);
        // Messages and tokens travel the usual way.
        assert!(kwargs.get("messages").is_none() && kwargs.get("bos_token").is_none());
        // With tools, they go in the body, not as a keyword.
        let request = conversation("tools_offered").request;
        let context = reference_context(&request, &tokens(), FixedDateTime::default());
        let body = request_body(&request, Shape::Transformers, &context);
        assert!(body["tools"].is_array());
        assert!(body["chat_template_kwargs"].get("tools").is_none());
        // Arguments stay a mapping, as transformers passes them.
        let request = conversation("tool_call_and_result").request;
        let body = request_body(&request, Shape::Transformers, &context);
        let text = body["messages"].to_string();
        assert!(text.contains(r#""arguments":{"city":"Paris""#), "{text}");
    }

    #[test]
    fn outcomes_verdicts_and_table_cells() {
        let refused: Result<String, JinjaError> = Err(JinjaError::Raised("no".into()));
        assert_eq!(outcome(&refused, Err("raised".into())), None);
        assert_eq!(outcome(&Ok("a".into()), Ok("a".into())), None);
        let report = ShapeReport {
            conversations: 3,
            differences: vec![
                Difference {
                    conversation: "system_user".into(),
                    outcome: outcome(&refused, Ok("x".into())).unwrap(),
                },
                Difference {
                    conversation: "tools_offered".into(),
                    outcome: outcome(&Ok("x".into()), Err("bad".into())).unwrap(),
                },
                Difference {
                    conversation: "single_user".into(),
                    outcome: outcome(&Ok("x".into()), Ok("y".into())).unwrap(),
                },
            ],
        };
        let verdict = report.verdict();
        assert_eq!(
            verdict,
            "differs: system_user (only llama.cpp renders), tools_offered (llama.cpp fails), single_user"
        );
        assert_eq!(ShapeReport::default().verdict(), "same");
        assert_eq!(table_cell("same", "same", ""), "same");
        assert!(table_cell("refuses", "refuses", "").starts_with("**refuses**"));
        let gemma = "{{ raise_exception('system not supported') if m.role == 'system' }}";
        let cell = table_cell(&verdict, "same", gemma);
        assert!(
            cell.starts_with(&format!("**{verdict}**; same with transformers' context")),
            "{cell}"
        );
        assert!(
            cell.contains(LlamaCppDifference::NoSystemBranch.describe()),
            "{cell}"
        );
        let cell = table_cell(&verdict, "differs: single_user", "system");
        assert!(
            cell.ends_with("; with transformers' context: differs: single_user"),
            "{cell}"
        );
        let verdicts = [
            ["same".to_owned(), "same".to_owned()],
            [verdict.clone(), "same".to_owned()],
            ["refuses".to_owned(), "refuses".to_owned()],
        ];
        assert!(
            table_summary(&verdicts)
                .contains("**1 of 3** render the same prompt; 1 differ; 1 refused")
        );
    }

    #[test]
    fn the_first_difference_is_shown_at_a_character_boundary() {
        assert_eq!(common_prefix("héllo", "hélLo"), "hél".len());
        assert_eq!(common_prefix("ab", "abc"), 2);
        assert_eq!(excerpt("héllo", 1), "éllo");
        assert_eq!(excerpt("ab", 5), "");
    }
}
