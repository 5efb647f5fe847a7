//! The converter: from a GGUF's Jinja chat template to an Ollama Go template and its stop
//! list, verified conversation by conversation.
//!
//! It works from what the template does, not from a table of known templates. The Jinja
//! template is rendered over conversations of several shapes whose contents are unique
//! markers (`probe.rs`); the text between markers is the template's turn structure: what it
//! writes before the first turn (BOS, a default system prompt, a date header), between each
//! pair of roles, around the system prompt (its own turn, or inside the first or the last
//! user turn), and at the end (the generation prompt), and whether it trims content
//! (`structure.rs`, `transform.rs`). A Go template in Ollama's `.Messages` mode is written from that
//! structure (`emit.rs`), then the verifier renders both over the whole conversation suite;
//! only a template that renders every plain conversation byte for byte is `verified`.
//!
//! ```
//! use ruvltra_export::template::convert::{ConvertInput, convert};
//!
//! let jinja = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}\
//!              {% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
//! let conversion = convert(&ConvertInput::new(jinja))?;
//! assert!(conversion.verified);
//! assert_eq!(conversion.stop, ["<|im_end|>", "<|im_start|>"]);
//! # Ok::<(), ruvltra_export::template::convert::ConvertError>(())
//! ```

mod emit;
mod error;
mod probe;
mod stops;
mod structure;
mod transform;

pub use error::ConvertError;

use serde::Serialize;

use super::jinja::{FixedDateTime, JinjaTemplate};
use super::ollama::OllamaTemplate;
use super::verify::{self, SuiteReport, Verdict, VerifyError, VerifyOptions, VerifyReport};

/// What a conversion needs: the template and the tokenizer facts from the GGUF.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertInput<'a> {
    /// The Jinja chat template (`tokenizer.chat_template`).
    pub jinja: &'a str,
    /// The BOS token text. Empty by default.
    pub bos_token: &'a str,
    /// The EOS token text. Empty by default.
    pub eos_token: &'a str,
    /// Further end-of-turn tokens (the GGUF's EOT/EOM token texts), added to the stop list.
    pub end_of_turn: &'a [String],
    /// `tokenizer.ggml.add_bos_token`; `None` when the GGUF does not say (then llama.cpp
    /// adds BOS, and so does the verifier).
    pub add_bos_token: Option<bool>,
    /// "Now" for the conversion: dates Ollama cannot produce are frozen at this moment, and
    /// both sides of the verification render with it. The caller takes it from
    /// `SOURCE_DATE_EPOCH` when set so output is reproducible.
    pub date: FixedDateTime,
}

impl<'a> ConvertInput<'a> {
    /// An input with no BOS/EOS tokens, BOS added by the model, and the default fixed date.
    pub fn new(jinja: &'a str) -> ConvertInput<'a> {
        ConvertInput {
            jinja,
            bos_token: "",
            eos_token: "",
            end_of_turn: &[],
            add_bos_token: None,
            date: FixedDateTime::default(),
        }
    }
}

/// How the Go template was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Method {
    /// From the turn structure seen by rendering marker conversations.
    Probed,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::Probed => "probed",
        })
    }
}

/// Something the Go template does not reproduce, and the suite conversations it affects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unsupported {
    /// What the Jinja template does that the Go template cannot (or does not yet).
    pub what: String,
    /// The suite conversations that render differently because of it.
    pub conversations: Vec<String>,
}

/// The result of a conversion.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    /// The Ollama Go template (a Modelfile `TEMPLATE`).
    pub template: String,
    /// Stop strings (Modelfile `PARAMETER stop`).
    pub stop: Vec<String>,
    /// Whether the template renders every plain conversation of the suite exactly as the
    /// Jinja template does. Only then may a generator emit it without `--allow-unverified`.
    pub verified: bool,
    /// The verifier's full report (plain, tools and thinking parts).
    pub report: VerifyReport,
    /// What is not reproduced, with the conversations it affects.
    pub unsupported: Vec<Unsupported>,
    /// How the template was obtained.
    pub method: Method,
    /// Facts worth telling the user: frozen dates, stop-token warnings.
    pub notes: Vec<String>,
    /// The text Ollama's tool parser will wait for in the model's output before it reads a
    /// tool call (read from the converted template, e.g. `<tool_call>\n`); `{` when the calls
    /// carry no tag (then any JSON object is taken for a call); `None` when tools are not
    /// converted.
    pub tool_call_tag: Option<String>,
}

/// Converts a Jinja chat template into an Ollama Go template and verifies it.
pub fn convert(input: &ConvertInput<'_>) -> Result<Conversion, ConvertError> {
    let jinja = JinjaTemplate::new(input.jinja).map_err(ConvertError::Syntax)?;
    let options = VerifyOptions {
        bos_token: input.bos_token.to_owned(),
        eos_token: input.eos_token.to_owned(),
        add_bos_token: input.add_bos_token.unwrap_or(true),
        now: input.date,
    };
    let structure = structure::infer(&jinja, &options)?;
    let template = emit::go_template(&structure);
    let go = OllamaTemplate::parse(&template).map_err(|err| ConvertError::Generated {
        message: err.to_string(),
        template: template.clone(),
    })?;
    let mut report = verify::verify(&jinja, &go, &options)
        .map_err(|VerifyError::InvalidDate(date)| ConvertError::InvalidDate(date))?;
    if let Some(reason) = &report.not_renderable {
        return Err(ConvertError::NotRenderable {
            reason: reason.clone(),
        });
    }
    let stops = stops::infer(&structure, input.eos_token, input.end_of_turn);
    let mut notes = structure.notes.clone();
    if input.jinja.contains("date_string") {
        notes.push(
            "the template reads `date_string`; transformers passes none, so its default is kept as written"
                .to_owned(),
        );
    }
    notes.extend(stops.warning);
    let key_by_key = structure.tools.is_some()
        && matches!(structure.arguments, probe::ArgumentsForm::KeyByKey { .. });
    if key_by_key && report.tools.equivalent() {
        report.tools.verdict = Verdict::ArgumentOrder;
        report.tools.verified = false;
        notes.push(
            "tools: equivalent up to JSON formatting and argument order: the template writes a call's arguments one by one, which Ollama's Go template does in sorted key order while Jinja keeps the caller's order (values other than strings are written as Go's compact JSON); Ollama's template-based tool parser reads calls as JSON, so calls the model writes this way come back as content unless the Modelfile names a PARSER for the format"
                .to_owned(),
        );
    }
    if report.tools.verdict == Verdict::JsonEquivalent {
        notes.push(format!(
            "tools: equivalent up to JSON formatting ({}): Ollama prints tools and arguments as compact JSON in its own key order, the text around them is the same",
            report.tools.json_equivalent.join(", ")
        ));
    }
    for (name, part) in [
        ("plain", &report.plain),
        ("tools", &report.tools),
        ("thinking", &report.thinking),
    ] {
        if part.rests_on_one_conversation() {
            notes.push(format!(
                "{name}: the claim rests on one conversation only; the template refused the others ({})",
                part.skipped
                    .iter()
                    .map(|s| s.conversation.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let unsupported = unsupported(input.jinja, &structure, &report);
    let tool_call_tag = structure.tools.map(|_| {
        emit::model_written_prefix(&structure).map_or_else(|| "{".to_owned(), |(tag, _)| tag)
    });
    Ok(Conversion {
        template,
        stop: stops.stop,
        verified: report.verified(),
        report,
        unsupported,
        method: Method::Probed,
        notes,
        tool_call_tag,
    })
}

/// Converts each named template (`tokenizer.chat_template.<name>`) with the same tokenizer
/// facts as `base`, in the order given.
pub fn convert_named<'a>(
    named: &'a [(String, String)],
    base: &ConvertInput<'_>,
) -> Vec<(&'a str, Result<Conversion, ConvertError>)> {
    named
        .iter()
        .map(|(name, jinja)| {
            let input = ConvertInput {
                jinja,
                ..base.clone()
            };
            (name.as_str(), convert(&input))
        })
        .collect()
}

fn names(part: &SuiteReport) -> Vec<String> {
    part.mismatches
        .iter()
        .map(|m| m.conversation.clone())
        .collect()
}

/// Explains each part of the suite that does not match.
fn unsupported(
    source: &str,
    structure: &structure::Structure,
    report: &VerifyReport,
) -> Vec<Unsupported> {
    let problems = &structure.problems;
    let mut out = Vec::new();
    let plain = names(&report.plain);
    if !plain.is_empty() {
        for problem in problems {
            out.push(Unsupported {
                what: problem.clone(),
                conversations: plain.clone(),
            });
        }
        if problems.is_empty() {
            out.push(Unsupported {
                what: "the prompt depends on the content or length of the conversation in a way the probes did not reveal".to_owned(),
                conversations: plain,
            });
        }
    }
    let tools = names(&report.tools);
    if !tools.is_empty() {
        let what = match &structure.tool_problem {
            Some(problem) if structure.tools.is_none() => {
                format!("tool definitions, calls and results are not converted: {problem}")
            }
            Some(problem) => format!("tools: {problem}"),
            None => "tools: the prompt depends on the tools in a way the probes did not reveal"
                .to_owned(),
        };
        out.push(Unsupported {
            what,
            conversations: tools,
        });
    }
    let thinking = names(&report.thinking);
    if !thinking.is_empty() {
        let what = if source.contains("</think>") {
            "thinking on: the template rewrites reasoning around `</think>` in a way the probes did not reveal"
        } else {
            "thinking on: the prompt changes with thinking in a way the probes did not reveal"
        };
        out.push(Unsupported {
            what: what.to_owned(),
            conversations: thinking,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids_and_tool_names_of_results_are_written_where_the_template_writes_them() {
        let jinja = r#"{%- if tools %}<tools>{% for t in tools %}{{ t | tojson }}{% endfor %}</tools>{% endif %}
{%- for m in messages %}
{%- if m.role == 'tool' %}<result id="{{ m.tool_call_id }}" name="{{ m.name }}">{{ m.content }}</result>
{%- elif m.tool_calls %}<a>{% for c in m.tool_calls %}<call>{"name": "{{ c.function.name }}", "arguments": {{ c.function.arguments | tojson }}, "id": "{{ c.id }}"}</call>{% endfor %}</a>
{%- else %}<{{ m.role }}>{{ m.content }}</{{ m.role }}>{% endif %}
{%- endfor %}{% if add_generation_prompt %}<a>{% endif %}"#;
        let conversion = convert(&ConvertInput::new(jinja)).unwrap();
        assert!(conversion.verified, "{:?}", conversion.report.plain);
        assert!(
            conversion.report.tools.equivalent(),
            "{:?}\n{}",
            conversion.report.tools,
            conversion.template
        );
        for field in ["$call.ID", "$m.ToolCallID", "$m.ToolName"] {
            assert!(
                conversion.template.contains(field),
                "{field}:\n{}",
                conversion.template
            );
        }
        assert_eq!(conversion.tool_call_tag.as_deref(), Some("<call>"));
    }

    /// A GLM-like template that writes each argument as `<k>key</k><v>value</v>`.
    fn key_by_key(value: &str) -> String {
        format!(
            r#"{{%- if tools %}}<tools>{{% for t in tools %}}{{{{ t | tojson }}}}{{% endfor %}}</tools>{{% endif %}}
{{%- for m in messages %}}
{{%- if m.role == 'tool' %}}<result>{{{{ m.content }}}}</result>
{{%- elif m.tool_calls %}}<a>{{{{ m.content }}}}{{% for c in m.tool_calls %}}<call>{{{{ c.function.name }}}}{{% for k, v in c.function.arguments.items() %}}<k>{{{{ k }}}}</k><v>{{{{ {value} }}}}</v>{{% endfor %}}</call>{{% endfor %}}</a>
{{%- else %}}<{{{{ m.role }}}}>{{{{ m.content }}}}</{{{{ m.role }}}}>{{% endif %}}
{{%- endfor %}}{{% if add_generation_prompt %}}<a>{{% endif %}}"#
        )
    }

    #[test]
    fn arguments_written_key_by_key_are_ranged_in_sorted_order() {
        let jinja = key_by_key("v | tojson if v is not string else v");
        let conversion = convert(&ConvertInput::new(&jinja)).unwrap();
        // The suite's `parallel_tool_calls` passes unsorted argument keys, which Go's sorted
        // range reorders: the difference is visible, so no equivalence is claimed.
        assert_eq!(
            conversion.report.tools.verdict,
            Verdict::NotVerified,
            "{:?}\n{}",
            conversion.report.tools,
            conversion.template
        );
        assert!(!conversion.report.tools.verified);
        let go = OllamaTemplate::parse(&conversion.template).unwrap();
        let request: crate::template::chat::ChatRequest = serde_json::from_value(serde_json::json!({
            "messages": [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "", "tool_calls": [{"function": {
                    "name": "f", "arguments": {"zone": "<b>", "count": 2, "all": {"y": [true, null]}}
                }}]},
                {"role": "tool", "content": "ok"}
            ]
        }))
        .unwrap();
        let rendered = go
            .render(
                &request,
                &crate::template::ollama::RenderOptions::with_date(
                    crate::template::ollama::Date::new(2024, 7, 26).unwrap(),
                ),
            )
            .unwrap();
        // Sorted keys, strings as they are, everything else as Go's JSON.
        assert!(
            rendered.contains(
                "<call>f<k>all</k><v>{\"y\":[true,null]}</v><k>count</k><v>2</v><k>zone</k><v><b></v></call>"
            ),
            "{rendered}"
        );
    }

    #[test]
    fn arguments_written_with_python_str_are_not_converted() {
        // `True`, not `true`: Go cannot write Python's `str` of a value.
        let conversion = convert(&ConvertInput::new(&key_by_key("v | string"))).unwrap();
        assert!(!conversion.report.tools.equivalent());
        assert!(
            conversion
                .unsupported
                .iter()
                .any(|u| u.what.contains("not a string is not written as JSON")),
            "{:?}",
            conversion.unsupported
        );
    }
}
