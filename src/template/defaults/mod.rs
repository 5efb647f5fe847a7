//! Architecture default chat templates, for GGUFs that carry none (many quantisations
//! published without `tokenizer.chat_template`).
//!
//! Each is a Jinja template written for this project from its family's published prompt
//! format (`templates/chat/*.jinja`), so it goes through the same converter and verifier as
//! a template read from a GGUF: the Go template is derived, never hand-copied.
//!
//! ```
//! use ruvltra_export::template::defaults::for_architecture;
//!
//! let default = for_architecture("qwen2").unwrap();
//! assert_eq!(default.name, "chatml");
//! assert!(for_architecture("unknown-arch").is_none());
//! ```

/// A default chat template: its name (for reports) and its Jinja source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultTemplate {
    /// The format's name: `chatml`, `llama3`, `gemma`, `phi3`, `mistral`, `command-r`.
    pub name: &'static str,
    /// The Jinja source, rendered with transformers' variables (`messages`, `bos_token`, ...).
    pub jinja: &'static str,
}

/// ChatML (`<|im_start|>role\n...<|im_end|>`), the Qwen 2/2.5/3 format.
const CHATML: DefaultTemplate = DefaultTemplate {
    name: "chatml",
    jinja: include_str!("../../../templates/chat/chatml.jinja"),
};

/// Llama 3 (`<|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>`), content trimmed.
const LLAMA3: DefaultTemplate = DefaultTemplate {
    name: "llama3",
    jinja: include_str!("../../../templates/chat/llama3.jinja"),
};

/// Gemma 2/3 (`<start_of_turn>user|model\n...<end_of_turn>`): no system role, so the system
/// prompt opens the first user turn.
const GEMMA: DefaultTemplate = DefaultTemplate {
    name: "gemma",
    jinja: include_str!("../../../templates/chat/gemma.jinja"),
};

/// Phi-3 (`<|user|>\n...<|end|>`).
const PHI3: DefaultTemplate = DefaultTemplate {
    name: "phi3",
    jinja: include_str!("../../../templates/chat/phi3.jinja"),
};

/// Mistral instruct (`[INST] ...[/INST]`, answers end with EOS), the system prompt in the
/// last user turn.
const MISTRAL: DefaultTemplate = DefaultTemplate {
    name: "mistral",
    jinja: include_str!("../../../templates/chat/mistral.jinja"),
};

/// Command-R (`<|START_OF_TURN_TOKEN|><|USER_TOKEN|>...<|END_OF_TURN_TOKEN|>`).
const COMMAND_R: DefaultTemplate = DefaultTemplate {
    name: "command-r",
    jinja: include_str!("../../../templates/chat/command-r.jinja"),
};

/// Every default template, for listings and tests.
pub const ALL: [DefaultTemplate; 6] = [CHATML, LLAMA3, GEMMA, PHI3, MISTRAL, COMMAND_R];

/// The default chat template for a GGUF's `general.architecture`, when the family is known.
///
/// `llama` maps to Llama 3, the format of nearly every current `llama`-architecture chat
/// model; older Llama 2 or Mistral models converted as `llama` need their own template.
pub fn for_architecture(arch: &str) -> Option<DefaultTemplate> {
    Some(match arch {
        "qwen2" | "qwen2moe" | "qwen3" | "qwen3moe" => CHATML,
        "llama" => LLAMA3,
        "gemma2" | "gemma3" => GEMMA,
        "phi3" => PHI3,
        "mistral" | "mistral3" => MISTRAL,
        "command-r" | "cohere2" => COMMAND_R,
        _ => return None,
    })
}
