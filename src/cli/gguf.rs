//! `ruvltra-export gguf ...`: operations on GGUF files themselves.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::gguf::embed_template;
use crate::manifest::MAX_TEXT_FILE_BYTES;
use crate::text_file::read_text;

use super::print::EXIT_OK;

/// Arguments of `gguf`.
#[derive(Debug, Args)]
pub struct GgufArgs {
    /// The operation.
    #[command(subcommand)]
    pub command: GgufCommand,
}

/// The `gguf` subcommands.
#[derive(Debug, Subcommand)]
pub enum GgufCommand {
    /// Copy a GGUF with `tokenizer.chat_template` added or replaced (tensor data unchanged).
    ///
    /// llama.cpp serves a GGUF without a chat template with a ChatML fallback, which garbles
    /// most non-Qwen models; embedding the template fixes it for every consumer.
    EmbedTemplate(EmbedTemplateArgs),
}

/// Arguments of `gguf embed-template`.
#[derive(Debug, Args)]
pub struct EmbedTemplateArgs {
    /// The GGUF file to copy.
    pub file: PathBuf,
    /// The Jinja chat template to embed.
    #[arg(long, value_name = "T.jinja")]
    pub template: PathBuf,
    /// Where to write the copy (may be FILE itself: it is replaced atomically).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Runs a `gguf` subcommand.
pub fn run(args: GgufArgs) -> anyhow::Result<u8> {
    match args.command {
        GgufCommand::EmbedTemplate(args) => embed(args),
    }
}

fn embed(args: EmbedTemplateArgs) -> anyhow::Result<u8> {
    let template = read_text(&args.template, MAX_TEXT_FILE_BYTES)
        .with_context(|| format!("cannot read the template `{}`", args.template.display()))?;
    let report = embed_template(&args.file, &args.out, &template)?;
    let verb = if report.replaced { "replaced" } else { "added" };
    eprintln!(
        "{verb} the chat template ({} bytes) in `{}`: {} bytes, tensor data now at byte {} (was {})",
        template.len(),
        args.out.display(),
        report.len,
        report.data_offset,
        report.source_data_offset
    );
    // stdout carries data only: the new file's hash in `sha256sum` format.
    println!("{}  {}", report.sha256, args.out.display());
    Ok(EXIT_OK)
}
