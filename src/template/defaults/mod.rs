//! Architecture default chat templates, for GGUFs that carry none (many quantisations
//! published without `tokenizer.chat_template`).
//!
//! Each is a Jinja template written for this project from its family's published prompt
//! format (`templates/chat/*.jinja`), so it goes through the same converter and verifier as
//! a template read from a GGUF: the Go template is derived, never hand-copied.
//!
//!
//! Which one a GGUF gets is decided by its vocabulary (`template::fit::choose_default`):
//! each family lists the markers its prompts need as single tokens, and the architecture only
//! breaks ties.
//!
//! ```
//! use ruvltra_export::template::defaults::ALL;
//!
//! let chatml = ALL.iter().find(|t| t.name == "chatml").unwrap();
//! assert_eq!(chatml.markers, ["<|im_start|>", "<|im_end|>"]);
//! ```

/// A default chat template: its name (for reports) and its Jinja source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultTemplate {
    /// The format's name: `chatml`, `llama3`, `gemma`, `phi3`, `mistral`, `command-r`.
    pub name: &'static str,
    /// The Jinja source, rendered with transformers' variables (`messages`, `bos_token`, ...).
    pub jinja: &'static str,
    /// The markers the format needs, each one control or user-defined token of the
    /// vocabulary: a vocabulary without them cannot run this format.
    pub markers: &'static [&'static str],
    /// Whether the format also fits a SentencePiece vocabulary whose BOS and EOS are `<s>` and
    /// `</s>` without the markers: Llama 2 and Mistral v0.1 write `[INST]` as plain text.
    pub sentencepiece_text_tags: bool,
    /// The `general.architecture` values of the models that use it: ties are broken in
    /// their favour.
    pub architectures: &'static [&'static str],
}

/// ChatML (`<|im_start|>role\n...<|im_end|>`), the Qwen 2/2.5/3 format.
const CHATML: DefaultTemplate = DefaultTemplate {
    name: "chatml",
    jinja: include_str!("../../../templates/chat/chatml.jinja"),
    markers: &["<|im_start|>", "<|im_end|>"],
    sentencepiece_text_tags: false,
    architectures: &["qwen2", "qwen2moe", "qwen3", "qwen3moe"],
};

/// Llama 3 (`<|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>`), content trimmed.
const LLAMA3: DefaultTemplate = DefaultTemplate {
    name: "llama3",
    jinja: include_str!("../../../templates/chat/llama3.jinja"),
    markers: &["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
    sentencepiece_text_tags: false,
    architectures: &["llama"],
};

/// Gemma 2/3 (`<start_of_turn>user|model\n...<end_of_turn>`): no system role, so the system
/// prompt opens the first user turn.
const GEMMA: DefaultTemplate = DefaultTemplate {
    name: "gemma",
    jinja: include_str!("../../../templates/chat/gemma.jinja"),
    markers: &["<start_of_turn>", "<end_of_turn>"],
    sentencepiece_text_tags: false,
    architectures: &["gemma", "gemma2", "gemma3"],
};

/// Phi-3 (`<|user|>\n...<|end|>`; `<|system|>` for system prompts, which Phi-3's and
/// Phi-3.5's vocabularies hold).
const PHI3: DefaultTemplate = DefaultTemplate {
    name: "phi3",
    jinja: include_str!("../../../templates/chat/phi3.jinja"),
    markers: &["<|system|>", "<|user|>", "<|assistant|>", "<|end|>"],
    sentencepiece_text_tags: false,
    architectures: &["phi3"],
};

/// Mistral instruct (`[INST] ...[/INST]`, answers end with EOS), the system prompt in the
/// last user turn.
const MISTRAL: DefaultTemplate = DefaultTemplate {
    name: "mistral",
    jinja: include_str!("../../../templates/chat/mistral.jinja"),
    markers: &["[INST]", "[/INST]"],
    sentencepiece_text_tags: true,
    architectures: &["mistral", "mistral3", "llama"],
};

/// Command-R (`<|START_OF_TURN_TOKEN|><|USER_TOKEN|>...<|END_OF_TURN_TOKEN|>`).
const COMMAND_R: DefaultTemplate = DefaultTemplate {
    name: "command-r",
    jinja: include_str!("../../../templates/chat/command-r.jinja"),
    markers: &[
        "<|START_OF_TURN_TOKEN|>",
        "<|END_OF_TURN_TOKEN|>",
        "<|SYSTEM_TOKEN|>",
        "<|USER_TOKEN|>",
        "<|CHATBOT_TOKEN|>",
    ],
    sentencepiece_text_tags: false,
    architectures: &["command-r", "cohere2"],
};

/// Every default template, for listings and tests.
pub const ALL: [DefaultTemplate; 6] = [CHATML, LLAMA3, GEMMA, PHI3, MISTRAL, COMMAND_R];
