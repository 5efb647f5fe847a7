//! `ruvltra-export template convert`: turn a GGUF's Jinja chat template (or a `.jinja` file)
//! into an Ollama Go template and stop list, and show the verifier's verdict.

use std::path::Path;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::json;

use crate::cli::print::write_stdout;
use crate::cli::print::{EXIT_FAILED, EXIT_OK};
use crate::cli::settings;
use crate::gguf::GgufHeader;
use crate::manifest::MAX_TEXT_FILE_BYTES;
use crate::source::{HubClient, Source};
use crate::template::convert::{Conversion, ConvertInput, convert};
use crate::template::fit::{self, Fit, Roles, Vocabulary};
use crate::template::jinja::JinjaTemplate;
use crate::template::llamacpp::{AFFECTED_RUNTIMES, llamacpp_differences};
use crate::text_file::read_text;

/// `template convert` arguments.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// A GGUF file, a folder of GGUF files, an `hf://owner/repo[@revision][/file.gguf]`
    /// reference, or a `.jinja` file
    #[arg(value_name = "SOURCE|FILE.jinja")]
    pub input: String,
    /// The BOS token text (default: the GGUF's; empty for a `.jinja` file)
    #[arg(long, value_name = "TOKEN")]
    pub bos: Option<String>,
    /// The EOS token text (default: the GGUF's; empty for a `.jinja` file)
    #[arg(long, value_name = "TOKEN")]
    pub eos: Option<String>,
    /// Whether the model adds BOS itself (default: the GGUF's `add_bos_token`, else true)
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub add_bos: Option<bool>,
    /// Convert the named template `tokenizer.chat_template.NAME` (e.g. `tool_use`) instead of
    /// the default one
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

/// What was converted: the Jinja text, the tokenizer facts, and where the template came from.
struct Loaded {
    jinja: String,
    bos: String,
    eos: String,
    end_of_turn: Vec<String>,
    add_bos: Option<bool>,
    /// `gguf`, `file`, `named:<name>` or `default:<family>`.
    origin: String,
    /// Named templates the GGUF also offers.
    named: Vec<String>,
    /// The GGUF header, whose vocabulary the template must fit (none for a `.jinja` file).
    header: Option<GgufHeader>,
    /// Why the vocabulary chose a built-in default.
    default_reason: Option<String>,
}

/// The template's fit to the GGUF's vocabulary and its per-role verdict.
struct Checked {
    fit: Option<Fit>,
    roles: Roles,
}

/// Runs `template convert`; exit code 0 when the template verified, 1 when not.
pub fn run(args: ConvertArgs) -> Result<u8> {
    let loaded = load(&args)?;
    let input = ConvertInput {
        jinja: &loaded.jinja,
        bos_token: args.bos.as_deref().unwrap_or(&loaded.bos),
        eos_token: args.eos.as_deref().unwrap_or(&loaded.eos),
        end_of_turn: &loaded.end_of_turn,
        add_bos_token: args.add_bos.or(loaded.add_bos),
        date: settings::now()?,
    };
    let conversion = convert(&input)
        .with_context(|| format!("cannot convert the chat template of `{}`", args.input))?;
    let checked = check(&input, &conversion, &loaded)?;
    if let Some(fit) = checked.fit.as_ref().filter(|f| !f.fits()) {
        bail!(
            "the chat template ({}) does not fit the vocabulary of `{}`: {}; give the model's own template (a `.jinja` file) or embed it with `ruvltra-export gguf embed-template`",
            loaded.origin,
            args.input,
            fit.missing()
        );
    }
    if args.json {
        write_stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&to_json(&conversion, &loaded, &checked))?
        ))?;
    } else {
        write_stdout(&to_text(&conversion, &loaded, &checked))?;
    }
    Ok(if conversion.verified {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

fn load(args: &ConvertArgs) -> Result<Loaded> {
    let path = Path::new(&args.input);
    let is_jinja = path.extension().is_some_and(|e| e == "jinja" || e == "j2");
    if is_jinja {
        if args.name.is_some() {
            bail!(
                "`--name` picks a named template inside a GGUF; `{}` is a Jinja file",
                args.input
            );
        }
        return Ok(Loaded {
            jinja: read_text(path, MAX_TEXT_FILE_BYTES)
                .with_context(|| format!("cannot read `{}`", path.display()))?,
            bos: String::new(),
            eos: String::new(),
            end_of_turn: Vec::new(),
            add_bos: None,
            origin: "file".to_owned(),
            named: Vec::new(),
            header: None,
            default_reason: None,
        });
    }
    let header = read_first_header(&args.input)?;
    let tokens = header.special_tokens();
    let text = |t: Option<crate::gguf::SpecialToken>| t.and_then(|t| t.text).unwrap_or_default();
    let named: Vec<(String, String)> = header
        .named_chat_templates()
        .into_iter()
        .map(|(n, t)| (n.to_owned(), t.to_owned()))
        .collect();
    let mut default_reason = None;
    let (jinja, origin) = match (&args.name, header.chat_template()) {
        (Some(name), _) => match named.iter().find(|(n, _)| n == name) {
            Some((_, jinja)) => (jinja.clone(), format!("named:{name}")),
            None => bail!(
                "`{}` has no chat template named `{name}`; it has: {}",
                args.input,
                list(named.iter().map(|(n, _)| n.as_str()))
            ),
        },
        (None, Some(jinja)) => (jinja.to_owned(), "gguf".to_owned()),
        (None, None) => match crate::manifest::default_template(&header) {
            Ok(default) => {
                default_reason = Some(default.reason);
                (default.jinja, format!("default:{}", default.name))
            }
            Err(reason) => bail!(
                "`{}` has no `tokenizer.chat_template` and {reason}; convert the model's own template (a `.jinja` file) instead, or embed it with `ruvltra-export gguf embed-template`",
                args.input
            ),
        },
    };
    Ok(Loaded {
        jinja,
        bos: text(tokens.bos),
        eos: text(tokens.eos),
        end_of_turn: [tokens.eot, tokens.eom]
            .into_iter()
            .map(text)
            .filter(|t| !t.is_empty())
            .collect(),
        add_bos: header.add_bos_token(),
        origin,
        named: named.into_iter().map(|(n, _)| n).collect(),
        header: Some(header),
        default_reason,
    })
}

/// Renders the template over the suite for the fit check (with a GGUF at hand) and the
/// per-role verdict.
fn check(input: &ConvertInput<'_>, conversion: &Conversion, loaded: &Loaded) -> Result<Checked> {
    let jinja = JinjaTemplate::new(input.jinja).context("the chat template does not parse")?;
    let renderings = fit::jinja_prompts(&jinja, input.bos_token, input.eos_token, input.date);
    let fit = loaded
        .header
        .as_ref()
        .and_then(Vocabulary::from_header)
        .map(|v| fit::check_renderings(&renderings, &conversion.stop, &v));
    Ok(Checked {
        fit,
        roles: Roles::from_renderings(&renderings),
    })
}

fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

/// The header of the source's first GGUF file: every file of a model (quantisations,
/// shards) carries the same tokenizer and template.
fn read_first_header(input: &str) -> Result<GgufHeader> {
    let source = Source::parse(input).with_context(|| format!("`{input}` is not a source"))?;
    let hub = match source {
        Source::Hub(_) => Some(HubClient::new(settings::hub()?)?),
        _ => None,
    };
    let files = source.files(hub.as_ref())?;
    let Some(file) = files.first() else {
        bail!("`{input}` holds no GGUF file");
    };
    Ok(file.read_header(hub.as_ref())?.header)
}

fn to_json(conversion: &Conversion, loaded: &Loaded, checked: &Checked) -> serde_json::Value {
    let report = &conversion.report;
    json!({
        "template": conversion.template,
        "stop": conversion.stop,
        "verified": conversion.verified,
        "conversations": report.plain.conversations,
        "mismatches": report.plain.mismatches,
        "skipped": report.plain.skipped,
        "unsupported": conversion.unsupported,
        "method": conversion.method,
        "origin": loaded.origin,
        "notes": conversion.notes,
        "llamacpp_differences": llamacpp_differences(&loaded.jinja),
        "named_templates": loaded.named,
        "tools": report.tools,
        "tool_call_tag": conversion.tool_call_tag,
        "thinking": report.thinking,
        "default_reason": loaded.default_reason,
        "fit": checked.fit,
        "roles": checked.roles,
    })
}

fn to_text(conversion: &Conversion, loaded: &Loaded, checked: &Checked) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Ollama template ({}, {}, from {})",
        if conversion.verified {
            "verified"
        } else {
            "NOT verified"
        },
        conversion.method,
        loaded.origin
    );
    let _ = writeln!(out, "{}\n", conversion.template);
    let _ = writeln!(out, "# stop");
    for stop in &conversion.stop {
        let _ = writeln!(out, "{stop:?}");
    }
    if let Some(tag) = &conversion.tool_call_tag {
        let _ = writeln!(
            out,
            "\n# tool calls: Ollama reads a call after {tag:?} in the model's output"
        );
    }
    if let Some(reason) = &loaded.default_reason {
        let _ = writeln!(out, "\n# built-in template chosen because the {reason}");
    }
    if let Some(fit) = &checked.fit {
        let _ = writeln!(
            out,
            "\n# fits the vocabulary: {}",
            if fit.markers.is_empty() {
                "no markers to check".to_owned()
            } else {
                format!("{} each one token", fit.markers.join(", "))
            }
        );
        for warning in &fit.warnings {
            let _ = writeln!(out, "- warning: {warning}");
        }
    }
    let lost = checked.roles.lost();
    if !lost.is_empty() {
        let _ = writeln!(out, "\n# roles the template drops");
        for role in &lost {
            let _ = writeln!(out, "- {role}");
        }
    }
    if !conversion.notes.is_empty() {
        let _ = writeln!(out, "\n# notes");
        for note in &conversion.notes {
            let _ = writeln!(out, "- {note}");
        }
    }
    let differences = llamacpp_differences(&loaded.jinja);
    if !differences.is_empty() {
        let _ = writeln!(
            out,
            "\n# llama.cpp renders this template differently ({AFFECTED_RUNTIMES})"
        );
        for difference in differences {
            let _ = writeln!(out, "- {}", difference.describe());
        }
    }
    if !conversion.unsupported.is_empty() {
        let _ = writeln!(out, "\n# not reproduced");
        for item in &conversion.unsupported {
            let _ = writeln!(out, "- {} ({})", item.what, item.conversations.join(", "));
        }
    }
    if !loaded.named.is_empty() {
        let _ = writeln!(
            out,
            "\n# named templates (convert with `--name`): {}",
            list(loaded.named.iter().map(String::as_str))
        );
    }
    let _ = write!(out, "\n# verification\n{}", conversion.report);
    out
}
