//! `ruvltra-export init SOURCE`: writes the starter manifest the library makes from a folder
//! or a Hub repository of GGUF files ([`crate::manifest::starter`]) and says what it found.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::print::EXIT_OK;
use super::settings;
use crate::manifest::starter::{Role, Survey, UnreadHeader};
use crate::source::{HubClient, Source};

/// Arguments of `init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// A folder of GGUF files, or `hf://owner/repo[@revision]`.
    pub source: String,
    /// Where to write the manifest.
    #[arg(long, short, value_name = "FILE", default_value = "ruvltra.toml")]
    pub output: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
}

/// Runs `init`.
pub fn run(args: &InitArgs) -> anyhow::Result<u8> {
    if args.output.exists() && !args.force {
        anyhow::bail!(
            "`{}` already exists: pass `--force` to replace it, or `--output FILE` to write elsewhere",
            args.output.display()
        );
    }
    let source = Source::parse(&args.source)?;
    let client = match &source {
        Source::Hub(_) => Some(HubClient::new(settings::hub()?)?),
        Source::Local(_) => None,
    };
    let survey = Survey::read(&args.source, source, client.as_ref(), &mut warn_unread)?;
    let starter = survey.manifest(&args.output);
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options
        .open(&args.output)
        .with_context(|| format!("cannot create `{}`", args.output.display()))?;
    file.write_all(starter.text.as_bytes())
        .with_context(|| format!("cannot write `{}`", args.output.display()))?;
    let (projectors, adapters) = (survey.projectors(), survey.adapters());
    let applied = starter.adapters_applied;
    let mut besides = Vec::new();
    match projectors {
        0 => {}
        1 => besides.push("1 multimodal projector".to_owned()),
        n => besides.push(format!("{n} multimodal projectors")),
    }
    match applied {
        0 => {}
        1 => besides.push("1 adapter, applied to its model".to_owned()),
        n => besides.push(format!("{n} adapters, applied to their models")),
    }
    match adapters - applied {
        0 => {}
        1 => besides.push("1 adapter, left out: see the comment at the top".to_owned()),
        n => besides.push(format!(
            "{n} adapters, left out: see the comment at the top"
        )),
    }
    let paired = if besides.is_empty() {
        String::new()
    } else {
        format!(" ({})", besides.join("; "))
    };
    let files = match survey.files.len() {
        1 => "1 GGUF file".to_owned(),
        n => format!("{n} GGUF files"),
    };
    eprintln!(
        "wrote `{}`: {files}{paired}; fill in the TODOs, then run `ruvltra-export check {}`",
        args.output.display(),
        args.output.display()
    );
    Ok(EXIT_OK)
}

/// Warns about a file kept without its header.
fn warn_unread(unread: &UnreadHeader) {
    let (file, reason) = (&unread.file, &unread.reason);
    match unread.role {
        Role::Adapter(_) => eprintln!(
            "warning: cannot read the header of `{file}` ({reason}); its name says it is an adapter, so it is listed as one in a comment, not as a variant"
        ),
        _ => eprintln!(
            "warning: cannot read the header of `{file}` ({reason}); its name says it is a multimodal projector, so it is listed as one, commented out"
        ),
    }
}
