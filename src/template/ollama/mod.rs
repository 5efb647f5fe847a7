//! Ollama's rules for rendering a chat request through a Modelfile's Go `TEMPLATE`.
//!
//! Ollama does more than execute the template: it merges consecutive messages of the same role,
//! chooses between two data layouts, and rewrites old-style templates. This module does the same
//! on top of the [`gotmpl`](super::gotmpl) interpreter:
//!
//! - **Messages mode** (the template mentions `.Messages`): one execution over
//!   `{System, Messages, Tools, Response: "", Think, ThinkLevel, IsThinkSet}`, where `Messages`
//!   is the [`collate`]d list and `System` every system message joined with "\n\n".
//! - **Legacy mode** (otherwise): the template runs once per completed turn with
//!   `{System, Prompt, Response}`, then once more for the last turn with everything after the
//!   first `.Response` removed from the tree, so the prompt ends where the model starts writing.
//! - A template that mentions neither `.Messages` nor `.Response` gets `{{ .Response }}`
//!   appended when parsed.
//!
//! The template is parsed with `missingkey=zero` and Ollama's functions (`json`, `currentDate`,
//! `yesterdayDate`, `toTypeScriptType`); the data is shaped like Ollama's Go structs
//! (see [`data`]), so fields print, compare and serialise as they do in Ollama. As in Ollama,
//! the last legacy turn runs as a fresh template: without those functions, without `define`d
//! templates, and with Go's default missing-key behaviour.
//!
//! ```
//! use ruvltra_export::template::chat::ChatRequest;
//! use ruvltra_export::template::ollama::{Date, OllamaTemplate, RenderOptions};
//!
//! let t = OllamaTemplate::parse("{{ range .Messages }}<|{{ .Role }}|>{{ .Content }}\n{{ end }}<|assistant|>")?;
//! let req: ChatRequest = serde_json::from_str(
//!     r#"{"messages": [{"role": "user", "content": "Hi"}, {"role": "user", "content": "there"}]}"#,
//! )?;
//! let opts = RenderOptions::with_date(Date::parse("2025-01-31")?);
//! // Consecutive user messages reach the template merged.
//! assert_eq!(t.render(&req, &opts)?, "<|user|>Hi\n\nthere\n<|assistant|>");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod collate;
mod cut;
pub mod data;
mod date;
mod error;
mod vars;

pub use collate::{Collated, collate};
pub use date::{Date, DateError};
pub use error::OllamaTemplateError;

use std::collections::BTreeSet;
use std::rc::Rc;

use super::chat::{ChatRequest, Think};
use super::gotmpl::{ExecOptions, FuncEnv, Limits, MissingKey, Template};

/// Options for one render: the date `currentDate`/`yesterdayDate` report, and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// The date the template sees as today (the verifier fixes it so both engines agree).
    pub date: Date,
    /// Execution bounds for each template run. By default, [`Limits::default`].
    pub limits: Limits,
}

impl RenderOptions {
    /// Options with a fixed date and default limits.
    pub fn with_date(date: Date) -> RenderOptions {
        RenderOptions {
            date,
            limits: Limits::default(),
        }
    }

    fn exec_options(&self, ollama_funcs: bool, missing_key: MissingKey) -> ExecOptions {
        ExecOptions {
            missing_key,
            funcs: FuncEnv {
                ollama: ollama_funcs,
                today: self.date.to_string(),
                yesterday: self.date.yesterday().to_string(),
            },
            limits: self.limits,
        }
    }
}

/// A Modelfile `TEMPLATE` parsed the way Ollama parses it.
#[derive(Debug, Clone, PartialEq)]
pub struct OllamaTemplate {
    template: Template,
    /// Every identifier the template mentions, lowercased (Ollama's `Vars`).
    vars: BTreeSet<String>,
}

impl OllamaTemplate {
    /// Parses `src` as Ollama does: Go syntax with Ollama's functions, then `{{ .Response }}`
    /// appended when the template mentions neither `.Messages` nor `.Response`.
    pub fn parse(src: &str) -> Result<OllamaTemplate, OllamaTemplateError> {
        let mut template = Template::parse_ollama(src).map_err(OllamaTemplateError::Parse)?;
        let vars = vars::identifiers(&template.tree)?;
        if !vars.contains("messages") && !vars.contains("response") {
            template.tree.root.push(vars::response_action());
        }
        Ok(OllamaTemplate { template, vars })
    }

    /// The template source as written.
    pub fn source(&self) -> &str {
        self.template.source()
    }

    /// Whether the template renders the whole conversation through `.Messages` (else Ollama
    /// renders it turn by turn through `.Prompt`/`.Response`).
    pub fn uses_messages(&self) -> bool {
        self.vars.contains("messages")
    }

    /// Whether the template reads `.Tools` (Ollama's `tools` capability).
    pub fn uses_tools(&self) -> bool {
        self.vars.contains("tools")
    }

    /// Whether the template reads `.Think`, `.ThinkLevel`, `.IsThinkSet` or a message's
    /// `.Thinking` (how a template reacts to the `think` request field).
    pub fn uses_thinking(&self) -> bool {
        ["think", "thinklevel", "isthinkset", "thinking"]
            .iter()
            .any(|v| self.vars.contains(*v))
    }

    /// Renders `req` as Ollama's chat endpoint would before tokenizing it.
    pub fn render(
        &self,
        req: &ChatRequest,
        opts: &RenderOptions,
    ) -> Result<String, OllamaTemplateError> {
        let collated = collate(&req.messages);
        let think = think_flags(req.think.as_ref());
        if self.uses_messages() {
            let data = data::messages_mode(&collated, &req.tools, &think);
            return self
                .template
                .execute(&data, &opts.exec_options(true, MissingKey::Zero))
                .map_err(OllamaTemplateError::Exec);
        }
        self.render_legacy(&collated, &think, opts)
    }

    fn render_legacy(
        &self,
        collated: &Collated,
        think: &data::ThinkFlags,
        opts: &RenderOptions,
    ) -> Result<String, OllamaTemplateError> {
        let full = opts.exec_options(true, MissingKey::Zero);
        let mut out = String::new();
        let (mut system, mut prompt, mut response) = (String::new(), String::new(), String::new());
        let run = |out: &mut String, system: &str, prompt: &str, response: &str| {
            let data = data::legacy_mode(system, prompt, response, think);
            let s = self
                .template
                .execute(&data, &full)
                .map_err(OllamaTemplateError::Exec)?;
            if out.len() + s.len() > opts.limits.max_output {
                return Err(OllamaTemplateError::OutputLimit {
                    limit: opts.limits.max_output,
                });
            }
            out.push_str(&s);
            Ok(())
        };
        for m in &collated.messages {
            match m.role.as_str() {
                "system" => {
                    if !prompt.is_empty() || !response.is_empty() {
                        run(&mut out, &system, &prompt, &response)?;
                        prompt.clear();
                        response.clear();
                    }
                    system = m.content.clone();
                }
                "user" => {
                    if !response.is_empty() {
                        run(&mut out, &system, &prompt, &response)?;
                        system.clear();
                        response.clear();
                    }
                    prompt = m.content.clone();
                }
                "assistant" => response = m.content.clone(),
                _ => {}
            }
        }
        // The last turn runs through a copy of the tree cut after the first `.Response`, and,
        // as in Ollama, as a fresh template: no extra functions, no `define`s, default
        // missing-key behaviour.
        let cut_root = cut::cut_after_response(&self.template.tree.root)?;
        let data = data::legacy_mode(&system, &prompt, &response, think);
        let last = self
            .template
            .execute_tree(
                &cut_root,
                false,
                &data,
                &opts.exec_options(false, MissingKey::Invalid),
            )
            .map_err(OllamaTemplateError::Exec)?;
        out.push_str(&last);
        Ok(out)
    }
}

/// The three values Ollama derives from the request's `think` field: on/off (any level is on),
/// the level (`true` means "medium"), and whether the client set the field at all.
fn think_flags(think: Option<&Think>) -> data::ThinkFlags {
    match think {
        None => data::ThinkFlags {
            think: false,
            level: Rc::from(""),
            is_set: false,
        },
        Some(Think::Enabled(on)) => data::ThinkFlags {
            think: *on,
            level: Rc::from(if *on { "medium" } else { "" }),
            is_set: true,
        },
        Some(Think::Level(level)) => data::ThinkFlags {
            think: true,
            level: Rc::from(level.as_str()),
            is_set: true,
        },
    }
}
