//! Ollama's built-in RENDERER and PARSER names (v0.33), and which PARSER a chat template's
//! family gets.
//!
//! A PARSER reads a model's output in its own format (thinking blocks, tool calls in XML or
//! special tokens) where Ollama's template-derived parser expects JSON after a tag. Ollama
//! accepts any name and silently does nothing with an unknown one, so every name written
//! here is checked against [`PARSERS`] and an unknown one is an error.
//!
//! A PARSER is written only when the template is recognisably the family the parser was
//! written for: [`FAMILY_PARSERS`] lists each family with the template text that identifies
//! it. Each row is tested on the corpus template of its family (`tests/ollama_parsers.rs`);
//! families without a corpus template (OLMo 3, for `olmo3`) have no row.

use super::OllamaVersion;
use super::error::BuiltinError;
use super::prompt_builder::{DRAFT_SINCE, RENDERER_SINCE, REQUIRES_SINCE};

/// Built-in RENDERER names (v0.33).
pub const RENDERERS: &[&str] = &[
    "qwen3-coder",
    "qwen3-vl-instruct",
    "qwen3-vl-thinking",
    "qwen3.5",
    "qwen3.8",
    "ornith",
    "cogito",
    "deepseek3.1",
    "olmo3",
    "olmo3.1",
    "olmo3-think",
    "olmo3-32b-think",
    "nemotron-3-nano",
    "nemotron-3.5-nano",
    "gemma4",
    "gemma4-small",
    "gemma4-large",
    "functiongemma",
    "glm-4.7",
    "glm-ocr",
    "lfm2",
    "lfm2-thinking",
    "laguna",
    "poolside-v1",
    "cohere",
    "glimmer",
];

/// Built-in PARSER names (v0.33).
pub const PARSERS: &[&str] = &[
    "qwen3",
    "qwen3-thinking",
    "qwen3.5",
    "ornith",
    "qwen3-coder",
    "qwen3-vl-instruct",
    "qwen3-vl-thinking",
    "ministral",
    "passthrough",
    "harmony",
    "cogito",
    "deepseek3",
    "olmo3",
    "olmo3-think",
    "nemotron-3-nano",
    "nemotron-3.5-nano",
    "functiongemma",
    "glm-4.7",
    "gemma4",
    "gemma4-no-thinking",
    "glm-ocr",
    "lfm2",
    "lfm2-thinking",
    "laguna",
    "poolside-v1",
    "cohere",
    "glimmer",
];

/// A PARSER name Ollama knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ParserName(&'static str);

impl ParserName {
    /// Checks `name` against [`PARSERS`]: an unknown name is an error, since Ollama would
    /// accept it and then ignore it.
    pub fn parse(name: &str) -> Result<ParserName, BuiltinError> {
        PARSERS
            .iter()
            .find(|known| **known == name)
            .map(|known| ParserName(known))
            .ok_or_else(|| BuiltinError::UnknownParser {
                name: name.to_owned(),
                suggestion: super::suggest(name, PARSERS.iter().copied()).map(str::to_owned),
            })
    }

    /// The name as Ollama spells it.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

/// Checks a RENDERER name against [`RENDERERS`].
pub fn check_renderer(name: &str) -> Result<&'static str, BuiltinError> {
    RENDERERS
        .iter()
        .find(|known| **known == name)
        .copied()
        .ok_or_else(|| BuiltinError::UnknownRenderer {
            name: name.to_owned(),
            suggestion: super::suggest(name, RENDERERS.iter().copied()).map(str::to_owned),
        })
}

/// One row of [`FAMILY_PARSERS`]: a template family, how its Jinja template is recognised,
/// and its parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FamilyParser {
    /// The family, for people.
    pub family: &'static str,
    /// Texts the Jinja template must all contain (its special tokens and variables).
    pub contains: &'static [&'static str],
    /// Texts it must not contain (what tells it from a neighbouring family).
    pub lacks: &'static [&'static str],
    /// The PARSER name (one of [`PARSERS`]; a unit test checks).
    pub parser: &'static str,
}

/// The families whose output a built-in parser reads, most specific first: the first row
/// whose texts a template contains (and whose exclusions it lacks) names its parser.
pub const FAMILY_PARSERS: &[FamilyParser] = &[
    FamilyParser {
        family: "harmony format (gpt-oss, llm-jp 4.1 thinking)",
        contains: &["<|start|>", "<|channel|>", "<|message|>"],
        lacks: &[],
        parser: "harmony",
    },
    FamilyParser {
        family: "GLM-4.7",
        contains: &["[gMASK]", "<arg_key>", "clear_thinking"],
        lacks: &[],
        parser: "glm-4.7",
    },
    FamilyParser {
        family: "DeepSeek V3.1",
        contains: &[
            "<｜tool▁calls▁begin｜>",
            "<｜Assistant｜>",
            "thinking is defined",
        ],
        lacks: &[],
        parser: "deepseek3",
    },
    FamilyParser {
        family: "Nemotron 3 Nano",
        contains: &["<function=", "<parameter=", "truncate_history_thinking"],
        lacks: &[],
        parser: "nemotron-3-nano",
    },
    FamilyParser {
        family: "Qwen 3.5",
        contains: &["<function=", "<parameter=", "<think>", "<|vision_start|>"],
        lacks: &[],
        parser: "qwen3.5",
    },
    FamilyParser {
        family: "Qwen3-Coder",
        contains: &["<|im_start|>", "<tool_call>", "<function=", "<parameter="],
        lacks: &["<think>"],
        parser: "qwen3-coder",
    },
    FamilyParser {
        family: "LFM2 with reasoning",
        contains: &["<|im_start|>", "<|tool_call_start|>", "<think>"],
        lacks: &[],
        parser: "lfm2-thinking",
    },
    FamilyParser {
        family: "LFM2",
        contains: &["<|im_start|>", "<|tool_list_start|>"],
        lacks: &["<think>"],
        parser: "lfm2",
    },
    FamilyParser {
        family: "Gemma 4",
        contains: &["<|turn>", "<|\"|>"],
        lacks: &[],
        parser: "gemma4",
    },
    FamilyParser {
        family: "Qwen3 (thinking switch)",
        contains: &[
            "<|im_start|>",
            "<tool_call>",
            "<tool_response>",
            "<think>",
            "enable_thinking",
            "multi_step_tool",
        ],
        lacks: &["<function="],
        parser: "qwen3",
    },
    FamilyParser {
        family: "Qwen3 thinking-only (QwQ, Qwen3 Thinking-2507)",
        contains: &[
            "<|im_start|>",
            "<tool_call>",
            "<tool_response>",
            "You may call one or more functions",
            "assistant\\n<think>\\n",
        ],
        lacks: &["<function=", "multi_step_tool"],
        parser: "qwen3-thinking",
    },
];

/// The `REQUIRES` version a Modelfile needs, if any: RENDERER and PARSER need v0.12.0, DRAFT
/// v0.23.1. Never below v0.14.0, where REQUIRES itself arrived: an older server refuses the
/// instruction whatever its value, so a lower number would promise what it cannot keep.
pub fn required_version(renderer_or_parser: bool, draft: bool) -> Option<OllamaVersion> {
    let needs = [
        renderer_or_parser.then_some(RENDERER_SINCE),
        draft.then_some(DRAFT_SINCE),
    ];
    needs
        .into_iter()
        .flatten()
        .max()
        .map(|version| version.max(REQUIRES_SINCE))
}

/// The family row that recognises `jinja`, if any.
pub fn family_parser(jinja: &str) -> Option<&'static FamilyParser> {
    FAMILY_PARSERS.iter().find(|row| {
        row.contains.iter().all(|text| jinja.contains(text))
            && !row.lacks.iter().any(|text| jinja.contains(text))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_name_is_a_known_parser() {
        for row in FAMILY_PARSERS {
            assert_eq!(
                ParserName::parse(row.parser).map(ParserName::as_str),
                Ok(row.parser)
            );
        }
    }

    #[test]
    fn unknown_names_are_errors_with_a_suggestion() {
        let err = ParserName::parse("qwen3_coder").unwrap_err();
        assert!(err.to_string().contains("`qwen3-coder`"), "{err}");
        assert!(ParserName::parse("").is_err());
        assert!(check_renderer("gemma4").is_ok());
        assert!(
            check_renderer("harmony").is_err(),
            "a parser, not a renderer"
        );
    }

    #[test]
    fn requires_follows_the_features_used() {
        assert_eq!(required_version(false, false), None);
        assert_eq!(
            required_version(true, false),
            Some(OllamaVersion::new(0, 14, 0))
        );
        assert_eq!(
            required_version(false, true),
            Some(OllamaVersion::new(0, 23, 1))
        );
        assert_eq!(
            required_version(true, true),
            Some(OllamaVersion::new(0, 23, 1))
        );
    }

    #[test]
    fn plain_templates_get_no_parser() {
        let chatml = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}";
        assert_eq!(family_parser(chatml), None);
    }
}
