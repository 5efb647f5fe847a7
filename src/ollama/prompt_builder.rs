//! Who builds a model's prompt in Ollama: a built-in RENDERER, the Modelfile's Go TEMPLATE,
//! or the GGUF's own Jinja chat template rendered by llama-server's Jinja engine.
//!
//! Since v0.30 Ollama runs GGUF models on an upstream llama-server and chooses per model at
//! load time (it logs `msg="template selection" ... selected=go_template` or
//! `selected=gguf_chat_template`). The rule, as measured with a real v0.33.0-rc2 server and
//! read from its source (`../shared/reference/ollama.md`, "Which prompt builder a model
//! gets"):
//! - a RENDERER (v0.12+) wins when set;
//! - before v0.30 the Go TEMPLATE is used (no TEMPLATE: the template `ollama create`
//!   autodetected, else raw prompting); the GGUF's Jinja is never read;
//! - from v0.30 a model without a Go TEMPLATE gets the GGUF's Jinja through llama-server;
//! - from v0.30.11 the GGUF's Jinja also wins over a Go TEMPLATE that declares fewer
//!   capabilities, unless both declare tools and only the Go template handles tool
//!   round-trips (calls and results); with equal capabilities the Go template wins.
//!
//! The rule is a pure function of the facts ([`PromptFacts`]): whatever wrote the Go template
//! (the converter, or a hand-written file), the same facts give the same answer.
//! `OLLAMA_GO_TEMPLATE` on the server forces the choice either way; the rule describes a
//! server without it.

use std::collections::BTreeSet;
use std::fmt;

use super::OllamaVersion;

use serde::Serialize;

/// The first version that reads RENDERER and PARSER.
pub const RENDERER_SINCE: OllamaVersion = OllamaVersion::new(0, 12, 0);
/// The first version that reads REQUIRES (older servers refuse the Modelfile).
pub const REQUIRES_SINCE: OllamaVersion = OllamaVersion::new(0, 14, 0);
/// The first version that reads DRAFT.
pub const DRAFT_SINCE: OllamaVersion = OllamaVersion::new(0, 23, 1);
/// The first version that runs GGUF models on llama-server and falls back to the GGUF's
/// Jinja template when the model has no Go TEMPLATE.
pub const LLAMA_SERVER_SINCE: OllamaVersion = OllamaVersion::new(0, 30, 0);
/// The first version that prefers the GGUF's Jinja over a Go TEMPLATE with fewer
/// capabilities.
pub const CAPABILITY_COMPARISON_SINCE: OllamaVersion = OllamaVersion::new(0, 30, 11);

/// A span of Ollama versions over which the rule does not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionRange {
    /// Before v0.30: Ollama's own runner; only the Go template (or a RENDERER) builds prompts.
    BeforeLlamaServer,
    /// v0.30.0 to v0.30.10: llama-server; the GGUF's Jinja only when there is no TEMPLATE.
    LlamaServer,
    /// v0.30.11 and later: the GGUF's Jinja also wins over a TEMPLATE with fewer
    /// capabilities.
    CapabilityComparison,
}

impl VersionRange {
    /// Every range, oldest first.
    pub const ALL: [VersionRange; 3] = [
        VersionRange::BeforeLlamaServer,
        VersionRange::LlamaServer,
        VersionRange::CapabilityComparison,
    ];

    /// The range a version falls in.
    pub fn of(version: OllamaVersion) -> VersionRange {
        if version >= CAPABILITY_COMPARISON_SINCE {
            VersionRange::CapabilityComparison
        } else if version >= LLAMA_SERVER_SINCE {
            VersionRange::LlamaServer
        } else {
            VersionRange::BeforeLlamaServer
        }
    }

    /// The range current Ollama releases are in.
    pub const CURRENT: VersionRange = VersionRange::CapabilityComparison;

    /// The versions, for people: `before v0.30`, `v0.30.0 to v0.30.10`, `v0.30.11+`.
    pub fn label(self) -> &'static str {
        match self {
            VersionRange::BeforeLlamaServer => "before v0.30",
            VersionRange::LlamaServer => "v0.30.0 to v0.30.10",
            VersionRange::CapabilityComparison => "v0.30.11+",
        }
    }
}

/// A model capability that decides between prompt builders (`/api/show`'s `capabilities`
/// has more: `completion`, `insert`, `vision`, which both builders share).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Tool definitions and calls.
    Tools,
    /// Reasoning output (`thinking`).
    Thinking,
}

impl Capability {
    /// Ollama's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Tools => "tools",
            Capability::Thinking => "thinking",
        }
    }
}

/// What a template declares, as Ollama reads it from the template text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TemplateFacts {
    /// The capabilities Ollama derives from it.
    pub capabilities: BTreeSet<Capability>,
    /// Whether it writes tool calls and tool results (a whole round-trip), not only the
    /// definitions.
    pub tool_round_trip: bool,
}

impl TemplateFacts {
    /// A Go TEMPLATE's facts: `tools` when it reads `.Tools`, `thinking` when it writes a
    /// message's `.Thinking`; a round-trip when it writes `.ToolCalls` and tool results
    /// (a `"tool"` role branch, `.ToolCallID` or `.ToolName`).
    pub fn of_go(template: &str) -> TemplateFacts {
        let mut capabilities = BTreeSet::new();
        if template.contains(".Tools") {
            capabilities.insert(Capability::Tools);
        }
        if template.contains(".Thinking") {
            capabilities.insert(Capability::Thinking);
        }
        let results = template.contains("\"tool\"")
            || template.contains(".ToolCallID")
            || template.contains(".ToolName");
        TemplateFacts {
            capabilities,
            tool_round_trip: template.contains(".ToolCalls") && results,
        }
    }

    /// A Jinja `tokenizer.chat_template`'s facts, by Ollama's text rule: `tools` when it
    /// contains "tools" or "tool_call"; `thinking` when it contains `<think>` and `</think>`
    /// or splits content on `</think>`; a round-trip when it reads `tool_calls` and writes
    /// tool results (a `tool` or `ipython` role, or a tool response tag).
    pub fn of_jinja(jinja: &str) -> TemplateFacts {
        let mut capabilities = BTreeSet::new();
        if jinja.contains("tools") || jinja.contains("tool_call") {
            capabilities.insert(Capability::Tools);
        }
        let splits = jinja.contains("split('</think>')") || jinja.contains("split(\"</think>\")");
        if (jinja.contains("<think>") && jinja.contains("</think>")) || splits {
            capabilities.insert(Capability::Thinking);
        }
        let results = [
            "'tool'",
            "\"tool\"",
            "ipython",
            "tool_response",
            "tool_result",
        ]
        .iter()
        .any(|needle| jinja.contains(needle));
        TemplateFacts {
            capabilities,
            tool_round_trip: jinja.contains("tool_calls") && results,
        }
    }
}

/// The facts the selection depends on, from the Modelfile and the GGUF.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PromptFacts<'a> {
    /// The Modelfile's TEMPLATE (converted or hand-written), if any.
    pub go_template: Option<&'a str>,
    /// The Modelfile's RENDERER, if any.
    pub renderer: Option<&'a str>,
    /// The Modelfile's PARSER, if any (it reads output; it never builds the prompt).
    pub parser: Option<&'a str>,
    /// The GGUF's own `tokenizer.chat_template`, if the file carries one (a template the
    /// manifest supplies outside the GGUF is invisible to Ollama).
    pub gguf_jinja: Option<&'a str>,
}

/// Who builds the prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum PromptBuilder {
    /// A built-in Go renderer, by name.
    Renderer(String),
    /// The Modelfile's Go TEMPLATE (`selected=go_template`).
    GoTemplate,
    /// The GGUF's Jinja template through llama-server's Jinja engine
    /// (`selected=gguf_chat_template`): llama.cpp's rendering, not ours.
    GgufJinja,
    /// Raw prompting (`{{ .Prompt }}`), or before v0.30 whatever built-in template
    /// `ollama create` found near the GGUF's template: gibberish for a chat model.
    Raw,
}

impl fmt::Display for PromptBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PromptBuilder::Renderer(name) => write!(f, "the built-in renderer `{name}`"),
            PromptBuilder::GoTemplate => f.write_str("the Modelfile's Go TEMPLATE"),
            PromptBuilder::GgufJinja => {
                f.write_str("the GGUF's Jinja template, rendered by llama.cpp's Jinja engine")
            }
            PromptBuilder::Raw => f.write_str("raw prompting (no chat template)"),
        }
    }
}

/// The outcome for one version range: the builder, why, and what each side declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Selection {
    /// The versions this holds for.
    pub range: VersionRange,
    /// Who builds the prompt.
    pub builder: PromptBuilder,
    /// Why, in one sentence.
    pub reason: String,
    /// The Go TEMPLATE's facts, if there is one.
    pub go: Option<TemplateFacts>,
    /// The GGUF Jinja's facts, if the GGUF carries one.
    pub jinja: Option<TemplateFacts>,
}

/// Who builds the prompt for a model with `facts` on Ollama versions in `range`.
pub fn select(facts: &PromptFacts<'_>, range: VersionRange) -> Selection {
    let go = facts.go_template.map(TemplateFacts::of_go);
    let jinja = facts.gguf_jinja.map(TemplateFacts::of_jinja);
    let (builder, reason) = decide(facts, range, go.as_ref(), jinja.as_ref());
    Selection {
        range,
        builder,
        reason,
        go,
        jinja,
    }
}

/// The selection for every version range, oldest first.
pub fn select_all(facts: &PromptFacts<'_>) -> Vec<Selection> {
    VersionRange::ALL
        .iter()
        .map(|range| select(facts, *range))
        .collect()
}

fn names(capabilities: &BTreeSet<Capability>) -> String {
    if capabilities.is_empty() {
        return "none".into();
    }
    let names: Vec<&str> = capabilities.iter().map(|c| c.as_str()).collect();
    names.join(", ")
}

fn decide(
    facts: &PromptFacts<'_>,
    range: VersionRange,
    go: Option<&TemplateFacts>,
    jinja: Option<&TemplateFacts>,
) -> (PromptBuilder, String) {
    if let Some(renderer) = facts.renderer {
        return (
            PromptBuilder::Renderer(renderer.to_owned()),
            "a RENDERER is set, and it always wins".into(),
        );
    }
    match (go, jinja, range) {
        (Some(_), _, VersionRange::BeforeLlamaServer | VersionRange::LlamaServer) => (
            PromptBuilder::GoTemplate,
            "the Modelfile has a TEMPLATE, and these versions use it whenever there is one".into(),
        ),
        (None, _, VersionRange::BeforeLlamaServer) => (
            PromptBuilder::Raw,
            "no TEMPLATE: these versions never read the GGUF's Jinja, and use a built-in template `ollama create` finds near it, else none".into(),
        ),
        (None, Some(_), _) => (
            PromptBuilder::GgufJinja,
            "no TEMPLATE: llama-server renders the GGUF's own Jinja template".into(),
        ),
        (None, None, _) => (
            PromptBuilder::Raw,
            "neither a TEMPLATE nor a Jinja template in the GGUF".into(),
        ),
        (Some(_), None, VersionRange::CapabilityComparison) => (
            PromptBuilder::GoTemplate,
            "the GGUF carries no Jinja template to compare with, so the TEMPLATE is used".into(),
        ),
        (Some(go), Some(jinja), VersionRange::CapabilityComparison) => {
            let extra: BTreeSet<Capability> = jinja
                .capabilities
                .difference(&go.capabilities)
                .copied()
                .collect();
            let both_tools = go.capabilities.contains(&Capability::Tools)
                && jinja.capabilities.contains(&Capability::Tools);
            let sides = format!(
                "the TEMPLATE declares {} and the GGUF's Jinja {}",
                names(&go.capabilities),
                names(&jinja.capabilities)
            );
            if extra.is_empty() {
                (
                    PromptBuilder::GoTemplate,
                    format!("{sides}; the Jinja declares nothing more, so the TEMPLATE wins"),
                )
            } else if both_tools && go.tool_round_trip && !jinja.tool_round_trip {
                (
                    PromptBuilder::GoTemplate,
                    format!(
                        "{sides}; both declare tools and only the TEMPLATE handles tool calls and results, so the TEMPLATE is kept"
                    ),
                )
            } else {
                (
                    PromptBuilder::GgufJinja,
                    format!(
                        "{sides}; the Jinja declares more ({}), so it wins and the TEMPLATE is ignored",
                        names(&extra)
                    ),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QWEN_JINJA: &str = "{% if tools %}{{ tools | tojson }}{% endif %}{% for m in messages %}{% if m.tool_calls %}<tool_call>{% endif %}{% if m.role == 'tool' %}<tool_response>{% endif %}{% endfor %}";
    const PLAIN_JINJA: &str = "{% for m in messages %}<|im_start|>{{ m.role }}{% endfor %}";
    const THINK_JINJA: &str =
        "{% for m in messages %}{{ m.content.split('</think>')[-1] }}{% endfor %}";
    const GO_TOOLS: &str = "{{ if .Tools }}{{ json .Tools }}{{ end }}{{ range .Messages }}{{ if .ToolCalls }}x{{ else if eq .Role \"tool\" }}r{{ end }}{{ end }}";
    const GO_TOOL_DEFS_ONLY: &str =
        "{{ if .Tools }}{{ json .Tools }}{{ end }}{{ range .Messages }}{{ .Content }}{{ end }}";
    const GO_PLAIN: &str = "{{ range .Messages }}{{ .Content }}{{ end }}";

    fn builder(facts: PromptFacts<'_>, range: VersionRange) -> PromptBuilder {
        select(&facts, range).builder
    }

    #[test]
    fn versions_parse_and_fall_in_ranges() {
        let v = |s| OllamaVersion::parse(s).unwrap();
        assert_eq!(v("v0.33.0-rc2"), OllamaVersion::new(0, 33, 0));
        assert_eq!(v("0.12"), OllamaVersion::new(0, 12, 0));
        assert!(OllamaVersion::parse("0.x.1").is_none());
        assert!(OllamaVersion::parse("0.1.2.3").is_none());
        assert_eq!(
            VersionRange::of(v("0.29.9")),
            VersionRange::BeforeLlamaServer
        );
        assert_eq!(VersionRange::of(v("0.30.0")), VersionRange::LlamaServer);
        assert_eq!(VersionRange::of(v("0.30.10")), VersionRange::LlamaServer);
        assert_eq!(
            VersionRange::of(v("0.30.11")),
            VersionRange::CapabilityComparison
        );
        assert_eq!(VersionRange::of(v("0.33.0")), VersionRange::CURRENT);
    }

    #[test]
    fn capabilities_follow_ollamas_text_rules() {
        let jinja = TemplateFacts::of_jinja(QWEN_JINJA);
        assert_eq!(
            jinja.capabilities,
            BTreeSet::from([Capability::Tools]),
            "tools only"
        );
        assert!(jinja.tool_round_trip);
        assert!(TemplateFacts::of_jinja(PLAIN_JINJA).capabilities.is_empty());
        assert_eq!(
            TemplateFacts::of_jinja(THINK_JINJA).capabilities,
            BTreeSet::from([Capability::Thinking])
        );
        assert_eq!(
            TemplateFacts::of_jinja("<think>\n</think>").capabilities,
            BTreeSet::from([Capability::Thinking])
        );
        // `tool_call` alone is enough for tools, but not a round-trip.
        let call_only = TemplateFacts::of_jinja("{{ m.tool_call }}");
        assert!(call_only.capabilities.contains(&Capability::Tools));
        assert!(!call_only.tool_round_trip);
        let go = TemplateFacts::of_go(GO_TOOLS);
        assert_eq!(go.capabilities, BTreeSet::from([Capability::Tools]));
        assert!(go.tool_round_trip);
        assert!(!TemplateFacts::of_go(GO_TOOL_DEFS_ONLY).tool_round_trip);
        assert_eq!(
            TemplateFacts::of_go("{{ .Thinking }}").capabilities,
            BTreeSet::from([Capability::Thinking])
        );
    }

    #[test]
    fn a_renderer_wins_everywhere() {
        let facts = PromptFacts {
            go_template: Some(GO_PLAIN),
            renderer: Some("qwen3-coder"),
            parser: Some("qwen3-coder"),
            gguf_jinja: Some(QWEN_JINJA),
        };
        for range in VersionRange::ALL {
            assert_eq!(
                builder(facts, range),
                PromptBuilder::Renderer("qwen3-coder".into())
            );
        }
    }

    #[test]
    fn before_v0_30_the_jinja_is_never_read() {
        let range = VersionRange::BeforeLlamaServer;
        let with_go = PromptFacts {
            go_template: Some(GO_PLAIN),
            gguf_jinja: Some(QWEN_JINJA),
            ..PromptFacts::default()
        };
        assert_eq!(builder(with_go, range), PromptBuilder::GoTemplate);
        let from_only = PromptFacts {
            gguf_jinja: Some(QWEN_JINJA),
            ..PromptFacts::default()
        };
        assert_eq!(builder(from_only, range), PromptBuilder::Raw);
    }

    #[test]
    fn from_v0_30_a_modelfile_with_from_only_gets_the_jinja() {
        let from_only = PromptFacts {
            gguf_jinja: Some(QWEN_JINJA),
            ..PromptFacts::default()
        };
        for range in [
            VersionRange::LlamaServer,
            VersionRange::CapabilityComparison,
        ] {
            assert_eq!(builder(from_only, range), PromptBuilder::GgufJinja);
            assert_eq!(
                builder(PromptFacts::default(), range),
                PromptBuilder::Raw,
                "nothing at all"
            );
        }
    }

    #[test]
    fn v0_30_0_to_10_keep_any_template() {
        let facts = PromptFacts {
            go_template: Some(GO_PLAIN),
            gguf_jinja: Some(QWEN_JINJA),
            ..PromptFacts::default()
        };
        assert_eq!(
            builder(facts, VersionRange::LlamaServer),
            PromptBuilder::GoTemplate
        );
    }

    #[test]
    fn from_v0_30_11_a_template_with_fewer_capabilities_loses() {
        let range = VersionRange::CapabilityComparison;
        // Measured: Qwen3-Coder's Jinja (tools) and a converted TEMPLATE without tools.
        let plain_go = PromptFacts {
            go_template: Some(GO_PLAIN),
            gguf_jinja: Some(QWEN_JINJA),
            ..PromptFacts::default()
        };
        let selection = select(&plain_go, range);
        assert_eq!(selection.builder, PromptBuilder::GgufJinja);
        assert!(selection.reason.contains("(tools)"), "{}", selection.reason);
        // Thinking the TEMPLATE lacks is enough too.
        let thinking = PromptFacts {
            go_template: Some(GO_TOOLS),
            gguf_jinja: Some("{{ tools }}<think></think>{{ m.tool_calls }}'tool'"),
            ..PromptFacts::default()
        };
        assert_eq!(builder(thinking, range), PromptBuilder::GgufJinja);
    }

    #[test]
    fn from_v0_30_11_equal_or_more_capabilities_keep_the_template() {
        let range = VersionRange::CapabilityComparison;
        // Measured: Qwen 2.5's Jinja (tools) and a converted TEMPLATE that handles tools.
        let tools = PromptFacts {
            go_template: Some(GO_TOOLS),
            gguf_jinja: Some(QWEN_JINJA),
            ..PromptFacts::default()
        };
        assert_eq!(builder(tools, range), PromptBuilder::GoTemplate);
        let plain = PromptFacts {
            go_template: Some(GO_PLAIN),
            gguf_jinja: Some(PLAIN_JINJA),
            ..PromptFacts::default()
        };
        assert_eq!(builder(plain, range), PromptBuilder::GoTemplate);
        let more = PromptFacts {
            go_template: Some(GO_TOOLS),
            gguf_jinja: Some(PLAIN_JINJA),
            ..PromptFacts::default()
        };
        assert_eq!(builder(more, range), PromptBuilder::GoTemplate);
        let no_jinja = PromptFacts {
            go_template: Some(GO_PLAIN),
            ..PromptFacts::default()
        };
        assert_eq!(builder(no_jinja, range), PromptBuilder::GoTemplate);
    }

    #[test]
    fn from_v0_30_11_only_the_template_handling_round_trips_keeps_it() {
        let range = VersionRange::CapabilityComparison;
        // Both declare tools; the Jinja adds thinking but writes no tool results.
        let jinja = "{{ tools }}<think></think>";
        let round_trip = PromptFacts {
            go_template: Some(GO_TOOLS),
            gguf_jinja: Some(jinja),
            ..PromptFacts::default()
        };
        assert_eq!(builder(round_trip, range), PromptBuilder::GoTemplate);
        // A TEMPLATE that only lists the definitions does not earn the exception.
        let defs_only = PromptFacts {
            go_template: Some(GO_TOOL_DEFS_ONLY),
            gguf_jinja: Some(jinja),
            ..PromptFacts::default()
        };
        assert_eq!(builder(defs_only, range), PromptBuilder::GgufJinja);
    }

    #[test]
    fn the_parser_never_builds_the_prompt() {
        let facts = PromptFacts {
            parser: Some("qwen3"),
            gguf_jinja: Some(QWEN_JINJA),
            ..PromptFacts::default()
        };
        assert_eq!(
            builder(facts, VersionRange::CURRENT),
            PromptBuilder::GgufJinja
        );
        assert_eq!(select_all(&facts).len(), 3);
    }
}
