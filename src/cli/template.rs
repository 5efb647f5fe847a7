//! `ruvltra-export template`: check that a Go template renders the same prompts as a Jinja
//! chat template (`verify`), and render one conversation with either (`render`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

mod convert;

use super::print::{EXIT_FAILED, EXIT_OK, write_stdout};
use super::settings;
use crate::manifest::MAX_TEXT_FILE_BYTES;
use crate::template::chat::{ChatRequest, Message};
use crate::template::jinja::{FixedDateTime, JinjaTemplate};
use crate::template::llamacpp::conformance::{Conformance, check_binary};
use crate::template::ollama::{Date, OllamaTemplate, RenderOptions};
use crate::template::verify::{self, VerifyOptions};
use crate::text_file::read_text;

/// `template` subcommands.
#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Render the conversation suite with a Jinja chat template and an Ollama Go template and
    /// compare the prompts byte by byte
    Verify(VerifyArgs),
    /// Render one conversation with a Jinja or an Ollama Go template, as the verifier does
    Render(RenderArgs),
    /// Convert a GGUF's Jinja chat template (or a `.jinja` file) into an Ollama Go template
    /// and stop list, verified over the conversation suite
    Convert(convert::ConvertArgs),
}

/// Tokenizer facts both commands render with.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The BOS token text (`bos_token` in the Jinja template)
    #[arg(long, value_name = "TOKEN", default_value = "")]
    pub bos: String,
    /// The EOS token text (`eos_token` in the Jinja template)
    #[arg(long, value_name = "TOKEN", default_value = "")]
    pub eos: String,
    /// Whether the model adds BOS itself; then one leading BOS is removed from the Jinja
    /// rendering
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub add_bos: bool,
}

/// `template verify` arguments.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The Jinja chat template (as in a GGUF's `tokenizer.chat_template`)
    #[arg(long, value_name = "FILE")]
    pub jinja: PathBuf,
    /// The Ollama Go template (a Modelfile `TEMPLATE`)
    #[arg(long, value_name = "FILE")]
    pub go: PathBuf,
    /// BOS/EOS tokens and whether the model adds BOS.
    #[command(flatten)]
    pub tokens: TokenArgs,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
    /// Also render the suite with llama.cpp: start this llama-server binary on 127.0.0.1 with
    /// the Jinja template and compare its `/apply-template` prompts with the reference
    #[arg(long, value_name = "PATH")]
    pub llama_server: Option<PathBuf>,
}

/// `template render` arguments.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("engine").required(true).args(["jinja", "go"])))]
pub struct RenderArgs {
    /// Render with this Jinja chat template
    #[arg(long, value_name = "FILE")]
    pub jinja: Option<PathBuf>,
    /// Render with this Ollama Go template
    #[arg(long, value_name = "FILE")]
    pub go: Option<PathBuf>,
    /// The conversation: a chat request (`{"messages": [...], "tools": [...], "think": ...}`)
    /// or a bare array of messages
    #[arg(long, value_name = "FILE.json")]
    pub messages: PathBuf,
    /// BOS/EOS tokens and whether the model adds BOS.
    #[command(flatten)]
    pub tokens: TokenArgs,
}

/// Runs a `template` subcommand and returns the exit code.
pub fn run(command: TemplateCommand) -> Result<u8> {
    match command {
        TemplateCommand::Verify(args) => run_verify(args),
        TemplateCommand::Render(args) => run_render(args),
        TemplateCommand::Convert(args) => convert::run(args),
    }
}

fn run_verify(args: VerifyArgs) -> Result<u8> {
    let jinja = load_jinja(&args.jinja)?;
    let go = load_go(&args.go)?;
    let options = verify_options(&args.tokens)?;
    let mut report = verify::verify(&jinja, &go, &options)?;
    if let Some(binary) = &args.llama_server {
        let (bos, eos) = (&args.tokens.bos, &args.tokens.eos);
        report.llamacpp = Some(check_binary(binary, &read(&args.jinja)?, bos, eos)?);
    }
    if args.json {
        write_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else {
        write_stdout(&report.to_string())?;
    }
    let llamacpp_same = report.llamacpp.as_ref().is_none_or(Conformance::same);
    Ok(if report.verified() && llamacpp_same {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

fn run_render(args: RenderArgs) -> Result<u8> {
    let request = load_request(&args.messages)?;
    let options = verify_options(&args.tokens)?;
    let rendered = match (&args.jinja, &args.go) {
        (Some(path), _) => verify::render_jinja(&load_jinja(path)?, &request, &options)
            .with_context(|| format!("rendering `{}` failed", path.display()))?,
        (None, Some(path)) => load_go(path)?
            .render(&request, &RenderOptions::with_date(go_date(options.now)?))
            .with_context(|| format!("rendering `{}` failed", path.display()))?,
        (None, None) => bail!("pass `--jinja FILE` or `--go FILE`"),
    };
    write_stdout(&rendered)?;
    Ok(EXIT_OK)
}

fn read(path: &Path) -> Result<String> {
    read_text(path, MAX_TEXT_FILE_BYTES)
        .with_context(|| format!("cannot read `{}`", path.display()))
}

fn load_jinja(path: &Path) -> Result<JinjaTemplate> {
    JinjaTemplate::new(&read(path)?)
        .with_context(|| format!("`{}` is not a usable Jinja template", path.display()))
}

fn load_go(path: &Path) -> Result<OllamaTemplate> {
    OllamaTemplate::parse(&read(path)?)
        .with_context(|| format!("`{}` is not a usable Ollama Go template", path.display()))
}

/// A chat request, or a bare array of messages.
fn load_request(path: &Path) -> Result<ChatRequest> {
    let text = read(path)?;
    let parsed = if text.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<Message>>(&text).map(|messages| ChatRequest {
            messages,
            ..ChatRequest::default()
        })
    } else {
        serde_json::from_str::<ChatRequest>(&text)
    };
    parsed.with_context(|| {
        format!(
            "`{}` is not a chat request: expected {{\"messages\": [{{\"role\": ..., \"content\": ...}}]}} or a bare array of messages",
            path.display()
        )
    })
}

fn verify_options(tokens: &TokenArgs) -> Result<VerifyOptions> {
    Ok(VerifyOptions {
        bos_token: tokens.bos.clone(),
        eos_token: tokens.eos.clone(),
        add_bos_token: tokens.add_bos,
        now: settings::now()?,
    })
}

fn go_date(now: FixedDateTime) -> Result<Date> {
    let parts = u8::try_from(now.month).ok().zip(u8::try_from(now.day).ok());
    parts
        .and_then(|(month, day)| Date::new(now.year, month, day))
        .with_context(|| format!("{} is not a calendar date", now.iso_date()))
}
