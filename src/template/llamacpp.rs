//! Where llama.cpp's rendering of a Jinja chat template will differ from transformers', read
//! from the template's text.
//!
//! llama.cpp renders `tokenizer.chat_template` with its own Jinja engine and chat layer, and so
//! do LM Studio, Docker Model Runner, RamaLama and Ollama v0.30+ whenever the GGUF's Jinja
//! builds the prompt. Measured on the corpus (`../shared/reference/gguf-and-llamacpp.md`), it
//! renders what jinja2 renders for 55 of 71 templates; the differences come from a few
//! constructs this module recognises, so `template convert` and `explain` can say which
//! prompt llama.cpp users will get before anyone runs it.

pub mod conformance;
pub mod server;

use serde::Serialize;

use crate::gguf::GgufHeader;
use crate::manifest::{ChatTemplateSource, Manifest};

/// The runtimes that render a GGUF's Jinja with llama.cpp's engine.
pub const AFFECTED_RUNTIMES: &str = "llama.cpp, LM Studio, Docker Model Runner, RamaLama, and Ollama v0.30+ when the GGUF's Jinja builds the prompt";

/// A construct whose rendering differs in llama.cpp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LlamaCppDifference {
    /// The template has no branch for a system message (it ignores the role, or raises):
    /// llama.cpp then merges the system prompt into the first user turn.
    NoSystemBranch,
    /// `date_string` has a fixed default in the template: llama.cpp sets it to today.
    DefaultedDateString,
    /// `list.append`: llama.cpp allows it, transformers' sandbox refuses it.
    ListAppend,
    /// An engine construct llama.cpp's Jinja renders differently or refuses (`//`,
    /// `tojson(sort_keys=true)`, `'%s' % x`).
    EngineConstruct,
}

impl LlamaCppDifference {
    /// What differs, for people.
    pub fn describe(self) -> &'static str {
        match self {
            LlamaCppDifference::NoSystemBranch => {
                "the template has no branch for a system message, so llama.cpp merges the system prompt into the first user turn"
            }
            LlamaCppDifference::DefaultedDateString => {
                "the template defaults `date_string`, but llama.cpp sets it to today's date"
            }
            LlamaCppDifference::ListAppend => {
                "the template calls `append` on a list: llama.cpp runs it, transformers' sandbox refuses it"
            }
            LlamaCppDifference::EngineConstruct => {
                "the template uses `//`, `tojson(sort_keys=...)` or `'%s' % x`, which llama.cpp's Jinja engine refuses or renders differently"
            }
        }
    }
}

/// The differences llama.cpp's rendering of `jinja` will show, in the order of
/// [`LlamaCppDifference`].
pub fn llamacpp_differences(jinja: &str) -> Vec<LlamaCppDifference> {
    let compact: String = jinja.chars().filter(|c| !c.is_whitespace()).collect();
    let mut found = Vec::new();
    if no_system_branch(jinja) {
        found.push(LlamaCppDifference::NoSystemBranch);
    }
    // Tool-call arguments used as a mapping (`| tojson`, `.items()`) are not a difference:
    // measured with llama-server 11434 on the 31 corpus templates that do it, llama.cpp's chat
    // layer hands such templates a mapping, and the prompts equal jinja2's
    // (`tests/llamacpp_conformance.rs`).
    let defaulted = [
        "date_stringisnotdefined",
        "date_string|default",
        "setdate_string=",
    ];
    // A default taken from `strftime_now` is today's date in both engines (Llama 3.2).
    if defaulted.iter().any(|p| compact.contains(p)) && !compact.contains("strftime_now") {
        found.push(LlamaCppDifference::DefaultedDateString);
    }
    if compact.contains(".append(") {
        found.push(LlamaCppDifference::ListAppend);
    }
    if jinja_code(jinja).contains("//") || compact.contains("sort_keys") || percent_format(&compact)
    {
        found.push(LlamaCppDifference::EngineConstruct);
    }
    found
}

/// A llama.cpp difference in a chat template a manifest uses, for `check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestWarning {
    /// Where the template comes from: the manifest line that sets it (`path:line:col`), or
    /// the GGUF file in the local source folder that carries it.
    pub origin: String,
    /// What llama.cpp renders differently.
    pub difference: LlamaCppDifference,
}

impl std::fmt::Display for ManifestWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: warning: llama.cpp renders this chat template differently: {} (affects {AFFECTED_RUNTIMES})",
            self.origin,
            self.difference.describe()
        )
    }
}

/// The llama.cpp differences of every chat template `manifest` uses that can be read without
/// the network: for each variant, the `chat_template`/`chat_template_file` that applies to it
/// (variant, model, then `[defaults]`), else the template embedded in its GGUF in the
/// `[source] local` folder. Templates that cannot be read are left to `explain` and the
/// generators, which report them as errors.
pub fn manifest_warnings(manifest: &Manifest) -> Vec<ManifestWarning> {
    let shown = manifest.path.display().to_string();
    let base = manifest.base_dir();
    let mut templates: Vec<(String, String)> = Vec::new();
    for model in &manifest.models {
        for variant in &model.variants {
            let claim = [&variant.settings, &model.settings, &manifest.defaults]
                .into_iter()
                .find_map(|s| s.chat_template.as_ref());
            let found = match claim {
                Some(claim) => {
                    let at = &claim.location;
                    let text = match &claim.value {
                        ChatTemplateSource::Inline(text) => Some(text.clone()),
                        // Bounded like resolution's read: a FIFO or device here must not hang
                        // or exhaust `check`.
                        ChatTemplateSource::File(rel) => crate::text_file::read_text_inside(
                            &base,
                            rel,
                            crate::manifest::MAX_TEXT_FILE_BYTES,
                        )
                        .ok(),
                    };
                    text.map(|text| (format!("{shown}:{}:{}", at.line, at.column), text))
                }
                None => manifest.source.local.as_ref().and_then(|local| {
                    let path = base.join(local).join(&variant.file);
                    let header = GgufHeader::read_path(&path).ok()?;
                    let text = header.chat_template()?.to_owned();
                    Some((path.display().to_string(), text))
                }),
            };
            templates.extend(found);
        }
    }
    // Variants usually share a template: warn once per text, at its first use.
    let mut seen = std::collections::HashSet::new();
    templates
        .into_iter()
        .filter(|(_, text)| seen.insert(text.clone()))
        .flat_map(|(origin, text)| {
            llamacpp_differences(&text)
                .into_iter()
                .map(move |difference| ManifestWarning {
                    origin: origin.clone(),
                    difference,
                })
        })
        .collect()
}

/// Whether every mention of `system` is in a line that raises: the template has no branch
/// that writes a system message.
fn no_system_branch(jinja: &str) -> bool {
    jinja
        .lines()
        .filter(|line| line.contains("system"))
        .all(|line| line.contains("raise_exception"))
}

/// The code inside the template's `{{ }}` and `{% %}` tags without its string literals, so
/// that `//` in text or in a string (`"// default: "`, a URL) is not taken for the operator.
fn jinja_code(jinja: &str) -> String {
    let mut code = String::new();
    let mut in_tag = false;
    let mut quote: Option<char> = None;
    let mut chars = jinja.chars().peekable();
    while let Some(c) = chars.next() {
        match (in_tag, quote) {
            (false, _) => {
                if c == '{' && matches!(chars.peek(), Some('{' | '%')) {
                    chars.next();
                    in_tag = true;
                    code.push(' ');
                }
            }
            (true, Some(q)) => {
                if c == '\\' {
                    chars.next();
                } else if c == q {
                    quote = None;
                }
            }
            (true, None) => {
                if (c == '}' || c == '%') && chars.peek() == Some(&'}') {
                    chars.next();
                    in_tag = false;
                } else if c == '\'' || c == '"' {
                    quote = Some(c);
                } else {
                    code.push(c);
                }
            }
        }
    }
    code
}

/// Whether a string literal holding `%` is followed by the `%` operator (`'%s' % x`).
fn percent_format(compact: &str) -> bool {
    for quote in ['\'', '"'] {
        let mut parts = compact.split(quote);
        // Every other part is inside quotes: the one after a literal starts with `%`.
        let _ = parts.next();
        while let (Some(inside), Some(after)) = (parts.next(), parts.clone().next()) {
            if inside.contains('%') && after.starts_with('%') {
                return true;
            }
            let _ = parts.next();
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_construct_is_recognised() {
        let chatml = "{% for m in messages %}{% if m.role == 'system' %}S{% endif %}{{ m.content }}{% endfor %}";
        assert!(llamacpp_differences(chatml).is_empty());
        let gemma2 = "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for m in messages %}{{ m.content }}{% endfor %}";
        assert_eq!(
            llamacpp_differences(gemma2),
            [LlamaCppDifference::NoSystemBranch]
        );
        // llama.cpp hands templates that use arguments as a mapping a mapping.
        let args = "system{{ tool_call.arguments | tojson }}";
        assert!(llamacpp_differences(args).is_empty());
        let date = "system{% if date_string is not defined %}{% set date_string = '26 Jul 2024' %}{% endif %}";
        assert_eq!(
            llamacpp_differences(date),
            [LlamaCppDifference::DefaultedDateString]
        );
        assert_eq!(
            llamacpp_differences("system{% set _ = ns.items.append(1) %}"),
            [LlamaCppDifference::ListAppend]
        );
        for engine in [
            "system{{ n // 2 }}",
            "system{{ x | tojson(sort_keys=true) }}",
            "system{{ '%s' % x }}",
        ] {
            assert_eq!(
                llamacpp_differences(engine),
                [LlamaCppDifference::EngineConstruct],
                "{engine}"
            );
        }
        // A date format is not the `%` operator, a URL or a string is not `//`, and a default
        // date from `strftime_now` is today's in both engines.
        assert!(
            llamacpp_differences("system{{ strftime_now('%d %B %Y') }} https://x.y").is_empty()
        );
        assert!(llamacpp_differences("system{{- \", // default: \" + d }}").is_empty());
        assert!(llamacpp_differences("system{{ 'a // b' ~ x }}").is_empty());
        let today = "system{% if date_string is not defined %}{% set date_string = strftime_now('%d %b %Y') %}{% endif %}";
        assert!(llamacpp_differences(today).is_empty());
    }
}
