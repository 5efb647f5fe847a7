//! The one seam between resolution and the chat-template side (`template::convert`,
//! `template::fit`): the Jinja template and special tokens go in; a Go template, stop list,
//! the verifier's verdict, the template's fit to the vocabulary and the per-role verdict come
//! out. Which built-in template a GGUF without one gets is decided here, by its vocabulary.

use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

use super::provenance::{Provenance, Sourced};
use super::resolve::{OllamaChat, ResolvedMessage};
use super::resolve_error::ResolveError;
use super::schema::{Manifest, ModelEntry, Settings, VariantEntry};
use crate::gguf::GgufHeader;
use crate::template::convert::{ConvertInput, convert};
use crate::template::fit::{self, LostRole, Role, Roles, Vocabulary};
use crate::template::jinja::{FixedDateTime, JinjaTemplate};
use crate::template::ollama::{Date, OllamaTemplate};
use crate::template::verify::{VerifyOptions, VerifyReport, excerpt, verify};

/// What the converter needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChatInput {
    /// The Jinja chat template.
    pub jinja: String,
    /// BOS token text.
    pub bos_token: Option<String>,
    /// EOS token text.
    pub eos_token: Option<String>,
    /// Other end-of-turn token texts (EOT, EOM).
    pub end_of_turn: Vec<String>,
    /// `tokenizer.ggml.add_bos_token`.
    pub add_bos_token: Option<bool>,
}

/// What the converter answered.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatOutput {
    /// The Go template.
    pub template: String,
    /// Stop sequences.
    pub stop: Vec<String>,
    /// Whether the verifier found both templates render the suite identically.
    pub verified: bool,
    /// The first differing conversation with both renderings, when unverified.
    pub mismatch: Option<String>,
    /// Notes (frozen dates, stop-token warnings, unsupported constructs).
    pub notes: Vec<String>,
}

/// What the suite's prompts say about a template, whatever the vocabulary: the prompts
/// themselves (for the fit check) and the per-role verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatAnalysis {
    /// The suite's renderings.
    pub renderings: Vec<fit::Rendering>,
    /// Which roles reach the prompt.
    pub roles: Roles,
}

/// Converts and analyses each distinct template once: a family's variants usually share one.
#[derive(Debug, Default)]
pub struct ChatConverter {
    cache: HashMap<ChatInput, Result<ChatOutput, String>>,
    analyses: HashMap<ChatInput, Rc<ChatAnalysis>>,
    date: FixedDateTime,
}

impl ChatConverter {
    /// A converter whose frozen dates are the converter's fixed default date.
    pub fn new() -> Self {
        Self::default()
    }

    /// A converter that freezes dates at `unix_seconds` (the CLI passes `SOURCE_DATE_EPOCH`).
    pub fn with_date(unix_seconds: i64) -> Self {
        ChatConverter {
            date: FixedDateTime::from_unix_seconds(unix_seconds),
            ..ChatConverter::default()
        }
    }

    /// The conversion of `input`, computed on first use.
    pub fn convert(&mut self, input: &ChatInput) -> Result<ChatOutput, String> {
        if let Some(done) = self.cache.get(input) {
            return done.clone();
        }
        let result = convert_with_template_converter(input, self.date);
        self.cache.insert(input.clone(), result.clone());
        result
    }

    /// The prompts of `input`'s Jinja over the suite and its per-role verdict, computed on
    /// first use (a template that does not parse has no prompts: conversion reports why).
    pub fn analyse(&mut self, input: &ChatInput) -> Rc<ChatAnalysis> {
        if let Some(done) = self.analyses.get(input) {
            return done.clone();
        }
        let renderings = match JinjaTemplate::new(&input.jinja) {
            Ok(jinja) => fit::jinja_prompts(
                &jinja,
                input.bos_token.as_deref().unwrap_or_default(),
                input.eos_token.as_deref().unwrap_or_default(),
                self.date,
            ),
            Err(_) => Vec::new(),
        };
        let analysis = Rc::new(ChatAnalysis {
            roles: Roles::from_renderings(&renderings),
            renderings,
        });
        self.analyses.insert(input.clone(), analysis.clone());
        analysis
    }

    /// The date the converter renders with, as Ollama's date.
    fn go_date(&self) -> Date {
        Date::new(
            self.date.year,
            u8::try_from(self.date.month).unwrap_or(1),
            u8::try_from(self.date.day).unwrap_or(1),
        )
        .unwrap_or_else(|| Date::new(2024, 7, 26).unwrap_or_else(Date::today_utc))
    }
}

/// The built-in Jinja template for a GGUF that ships none, chosen by its vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenDefault {
    /// The family (`gemma`, `chatml`, ...).
    pub name: String,
    /// Its Jinja source.
    pub jinja: String,
    /// Why: "vocabulary has <start_of_turn>, <end_of_turn>".
    pub reason: String,
}

/// The built-in template whose markers the header's vocabulary holds (the architecture only
/// breaks ties), or why none applies.
pub fn default_template(header: &GgufHeader) -> Result<ChosenDefault, String> {
    let Some(vocabulary) = Vocabulary::from_header(header) else {
        return Err("its header has no vocabulary (`tokenizer.ggml.tokens`) to choose a built-in template by".to_owned());
    };
    let architecture = header.architecture().unwrap_or_default();
    fit::choose_default(&vocabulary, architecture)
        .map(|choice| ChosenDefault {
            name: choice.template.name.to_owned(),
            jinja: choice.template.jinja.to_owned(),
            reason: choice.reason,
        })
        .map_err(|e| e.to_string())
}

/// The adapter over `template::convert::convert`.
fn convert_with_template_converter(
    input: &ChatInput,
    date: FixedDateTime,
) -> Result<ChatOutput, String> {
    let conversion = convert(&ConvertInput {
        jinja: &input.jinja,
        bos_token: input.bos_token.as_deref().unwrap_or_default(),
        eos_token: input.eos_token.as_deref().unwrap_or_default(),
        end_of_turn: &input.end_of_turn,
        add_bos_token: input.add_bos_token,
        date,
    })
    .map_err(|e| e.to_string())?;
    let mut notes = conversion.notes;
    notes.extend(
        conversion
            .unsupported
            .iter()
            .map(|u| format!("unsupported: {} ({})", u.what, u.conversations.join(", "))),
    );
    let mismatch = (!conversion.verified).then(|| first_mismatch(&conversion.report));
    Ok(ChatOutput {
        template: conversion.template,
        stop: conversion.stop,
        verified: conversion.verified,
        mismatch,
        notes,
    })
}

/// The first differing conversation of the plain suite, both renderings around the first
/// differing byte; the whole report when the template could not be rendered at all.
fn first_mismatch(report: &VerifyReport) -> String {
    let Some(m) = report.plain.mismatches.first() else {
        return report.to_string().trim_end().to_owned();
    };
    let more = report.plain.mismatches.len() - 1;
    let others = if more == 0 {
        String::new()
    } else {
        format!(
            " ({more} more conversation{} differ)",
            if more == 1 { "" } else { "s" }
        )
    };
    match &m.go_error {
        Some(error) => format!(
            "`{}`: the Go template failed: {error}{others}",
            m.conversation
        ),
        None => format!(
            "`{}` at byte {}{others}:\n  jinja: {}\n  go:    {}",
            m.conversation,
            m.offset,
            excerpt(&m.jinja, m.offset),
            excerpt(&m.go, m.offset)
        ),
    }
}

/// What the fit check needs to know about one variant's chat template.
#[derive(Debug, Clone, Copy)]
pub struct ChatCheck<'a> {
    /// The manifest (for `ollama_template_file` and `stop`).
    pub manifest: &'a Manifest,
    /// The model entry.
    pub model: &'a ModelEntry,
    /// The variant entry.
    pub variant: &'a VariantEntry,
    /// The variant's header: its vocabulary.
    pub header: &'a GgufHeader,
    /// The converter's input (the Jinja and the special tokens' texts).
    pub input: &'a ChatInput,
    /// Where the Jinja came from.
    pub provenance: &'a Provenance,
}

/// A chat template after the fit check: the Ollama template (a hand-written one when the
/// manifest gives `ollama_template_file`), the roles it drops and the fit warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedChat {
    /// The Ollama template and stop list.
    pub ollama: OllamaChat,
    /// Roles whose content never reaches the model.
    pub lost_roles: Vec<LostRole>,
    /// Tags the vocabulary reads as plain text.
    pub fit_warnings: Vec<String>,
}

/// Checks a variant's chat template against its vocabulary and applies the manifest's
/// hand-written Ollama template, if any.
///
/// Errors: a template whose prompts or stops break the fit rules (`template::fit`), or an
/// `ollama_template_file` that cannot be read or parsed.
pub fn check_chat(
    check: ChatCheck<'_>,
    ollama: OllamaChat,
    converter: &mut ChatConverter,
) -> Result<CheckedChat, ResolveError> {
    let label = format!("{}/{}", check.model.key, check.variant.key);
    let file = check.variant.file.as_str();
    let analysis = converter.analyse(check.input);
    let hand_written = narrowest(check, |s| s.ollama_template_file.as_ref());
    let (ollama, go_renderings) = match hand_written {
        Some(claim) => {
            let (chat, renderings) = hand_written_chat(check, &claim.value, ollama, converter)?;
            (chat, Some(renderings))
        }
        None => (ollama, None),
    };
    let mut warnings = Vec::new();
    if let Some(vocabulary) = Vocabulary::from_header(check.header) {
        let stops = match &ollama {
            OllamaChat::Converted { stop, .. } => stop.value.clone(),
            OllamaChat::Failed { .. } => Vec::new(),
        };
        let misfit =
            |source_name: String, hint: &str, fit: &fit::Fit| ResolveError::TemplateMisfit {
                variant: label.clone(),
                file: file.to_owned(),
                source_name,
                missing: fit.missing(),
                hint: hint.to_owned(),
            };
        let jinja_fit = fit::check_renderings(&analysis.renderings, &stops, &vocabulary);
        if !jinja_fit.fits() {
            let (source_name, hint) = jinja_source(check.provenance, &check.model.key);
            return Err(misfit(source_name, &hint, &jinja_fit));
        }
        warnings.extend(jinja_fit.warnings);
        if let (Some(renderings), Some(claim)) = (&go_renderings, hand_written) {
            let go_fit = fit::check_renderings(renderings, &stops, &vocabulary);
            if !go_fit.fits() {
                return Err(misfit(
                    format!("`ollama_template_file` `{}`", claim.value.display()),
                    "write the markers exactly as the model's vocabulary has them",
                    &go_fit,
                ));
            }
            for warning in go_fit.warnings {
                if !warnings.contains(&warning) {
                    warnings.push(warning);
                }
            }
        }
    }
    let lost_roles = match &go_renderings {
        Some(renderings) => Roles::from_renderings(renderings).lost(),
        None => analysis.roles.lost(),
    };
    Ok(CheckedChat {
        ollama,
        lost_roles,
        fit_warnings: warnings,
    })
}

/// The narrowest manifest setting (variant, then model, then defaults) `pick` finds.
fn narrowest<'a, T>(
    check: ChatCheck<'a>,
    pick: impl Fn(&'a Settings) -> Option<&'a T>,
) -> Option<&'a T> {
    check
        .manifest
        .settings_for(check.model, check.variant)
        .into_iter()
        .rev()
        .find_map(pick)
}

/// How to name the Jinja's source in an error, and what to do about a misfit.
fn jinja_source(provenance: &Provenance, model: &str) -> (String, String) {
    match provenance {
        Provenance::Manifest { .. } => (
            "from the manifest".to_owned(),
            "give this model's own template in `chat_template` or `chat_template_file`".to_owned(),
        ),
        Provenance::GgufHeader { .. } => (
            "`tokenizer.chat_template` of the GGUF".to_owned(),
            format!(
                "the GGUF carries another model's template: set `chat_template_file` for model `{model}` in the manifest to this model's template, or embed it with `ruvltra-export gguf embed-template`"
            ),
        ),
        _ => (
            "the built-in default".to_owned(),
            format!("set `chat_template_file` for model `{model}` in the manifest"),
        ),
    }
}

/// The manifest's hand-written Go template: parsed, rendered over the suite, and compared
/// with the Jinja template (the verdict decides whether it may be published without
/// `--allow-unverified`).
fn hand_written_chat(
    check: ChatCheck<'_>,
    relative: &Path,
    converted: OllamaChat,
    converter: &mut ChatConverter,
) -> Result<(OllamaChat, Vec<fit::Rendering>), ResolveError> {
    let full = check.manifest.base_dir().join(relative);
    let bad = |reason: String| ResolveError::OllamaTemplateFile {
        path: full.clone(),
        reason,
    };
    let text = super::resolve_build::read_text_file(check.manifest, relative)
        .map_err(|e| bad(e.to_string()))?;
    let go = OllamaTemplate::parse(&text).map_err(|e| bad(format!("not a Go template: {e}")))?;
    let renderings = fit::go_prompts(&go, converter.go_date());
    let path = check.manifest.path.display().to_string();
    let manifest_stop = narrowest(check, |s| s.stop.as_ref());
    let stop = match (manifest_stop, &converted) {
        (Some(claim), _) => Sourced::from_claim(claim, &path),
        (None, OllamaChat::Converted { stop, .. }) => stop.clone(),
        (None, OllamaChat::Failed { .. }) => {
            let mut stops: Vec<String> = Vec::new();
            let input = check.input;
            for token in input.eos_token.iter().chain(&input.end_of_turn) {
                if !token.is_empty() && !stops.contains(token) {
                    stops.push(token.clone());
                }
            }
            Sourced::new(stops, check.provenance.clone())
        }
    };
    let options = VerifyOptions {
        bos_token: check.input.bos_token.clone().unwrap_or_default(),
        eos_token: check.input.eos_token.clone().unwrap_or_default(),
        add_bos_token: check.input.add_bos_token.unwrap_or(true),
        now: converter.date,
    };
    let (verified, mismatch) = match JinjaTemplate::new(&check.input.jinja) {
        Ok(jinja) => match verify(&jinja, &go, &options) {
            Ok(report) => (
                report.verified(),
                (!report.verified()).then(|| first_mismatch(&report)),
            ),
            Err(e) => (false, Some(e.to_string())),
        },
        Err(e) => (
            false,
            Some(format!("the Jinja template does not parse: {e}")),
        ),
    };
    let notes = vec![format!(
        "hand-written Go template from `ollama_template_file` `{}`: {} the Jinja template over the suite",
        full.display(),
        if verified {
            "renders exactly as"
        } else {
            "does NOT render as"
        }
    )];
    Ok((
        OllamaChat::Converted {
            template: text,
            stop,
            verified,
            mismatch,
            notes,
        },
        renderings,
    ))
}

/// Refuses content the manifest gives for a role the template drops: a system prompt or a
/// starting `MESSAGE` that would never reach the model.
pub fn check_roles(
    label: &str,
    lost: &[LostRole],
    system: Option<&Sourced<String>>,
    messages: &[ResolvedMessage],
) -> Result<(), ResolveError> {
    let lost_role = |role: Role| lost.iter().find(|l| l.role == role);
    let system_given = system.is_some_and(|s| !s.value.trim().is_empty());
    if let (true, Some(l)) = (system_given, lost_role(Role::System)) {
        return Err(ResolveError::DroppedRole {
            variant: label.to_owned(),
            what: "a system prompt (`system`)".to_owned(),
            role: "system".to_owned(),
            verdict: l.verdict.to_string(),
            hint: "remove `system` for this model (Ollama's SYSTEM, the Hub's `system` file and the card would advertise a prompt the model never sees), or set `chat_template_file` to a template that keeps system messages".to_owned(),
        });
    }
    for message in messages {
        if message.content.trim().is_empty() {
            continue;
        }
        let role = message.role.as_str();
        if let Some(l) = Role::parse(role).and_then(lost_role) {
            return Err(ResolveError::DroppedRole {
                variant: label.to_owned(),
                what: format!("a {role} MESSAGE (`messages`)"),
                role: role.to_owned(),
                verdict: l.verdict.to_string(),
                hint: format!(
                    "remove the {role} message from `messages`, or set `chat_template_file` to a template that keeps {role} messages"
                ),
            });
        }
    }
    Ok(())
}
