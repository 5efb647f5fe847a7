//! The command line's edge: argument definitions, the environment, and turning library errors
//! into messages with next steps. Every command is one file here that calls into the library
//! (a release runs in [`crate::pipeline`]); `args.rs` holds the arguments commands share,
//! `settings.rs` is the one place that reads the environment, and `print.rs` shows errors,
//! plans, reports and summaries. Modules here import `args`, `settings` and `print`, never
//! each other's commands, except that `push` and `release` send through `generate::push`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod args;
pub mod check;
pub mod explain;
pub mod generate;
pub mod gguf;
pub mod init;
pub mod inspect;
pub mod network;
pub mod print;
pub mod push;
pub mod release;
pub mod settings;
pub mod template;

pub use print::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

/// `ruvltra-export`: cross-post GGUF models from the Hugging Face Hub to Ollama, llama.cpp
/// and ModelScope.
#[derive(Debug, Parser)]
#[command(name = "ruvltra-export", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Time limits and retries of every request.
    #[command(flatten)]
    pub network: network::NetworkArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented starter manifest from a folder or Hub repository of GGUF files.
    Init(init::InitArgs),
    /// Show every resolved value and where it came from.
    Explain(explain::ExplainArgs),
    /// Write every output: Ollama, llama.cpp, ModelScope and the Hub card.
    All(generate::GenerateArgs),
    /// Write Ollama Modelfiles, `tags.json` and a `create.sh` for every variant.
    Ollama(generate::GenerateArgs),
    /// Write llama.cpp presets, catalog entries and usage Markdown.
    Llamacpp(generate::GenerateArgs),
    /// Write the ModelScope repository files of every model.
    Modelscope(generate::GenerateArgs),
    /// Write the Hub model card and the repository-root Ollama files.
    Card(generate::GenerateArgs),
    /// Push the manifest's outputs (or one `--gguf` model) to Ollama, OCI registries, Ollama
    /// bundles, ModelScope and the Hub.
    Push(Box<push::PushArgs>),
    /// Generate every output, push it to every configured registry, verify, summarise.
    Release(Box<release::ReleaseArgs>),
    /// Summarise GGUF headers from local files, folders or `hf://` repositories.
    Inspect(inspect::InspectArgs),
    /// Validate a Modelfile, a llama.cpp preset file or a manifest; prints `path:line:col: message` per problem.
    Check(check::CheckArgs),
    /// Convert, verify and render chat templates (Jinja and Ollama Go).
    #[command(subcommand)]
    Template(template::TemplateCommand),
    /// Operations on GGUF files (embed a chat template).
    Gguf(gguf::GgufArgs),
}

/// Runs one parsed command line and returns the process exit code.
///
/// Errors are printed here, once, with their chain of causes and any hint.
pub fn run(cli: Cli) -> ExitCode {
    network::set(cli.network);
    let result: anyhow::Result<u8> = match cli.command {
        Command::Template(command) => template::run(command),
        Command::Push(args) => push::run(*args),
        Command::Release(args) => release::run(&args),
        Command::Inspect(args) => inspect::run(args),
        Command::Check(args) => check::run(&args),
        Command::Ollama(args) => generate::run(&args, &[crate::render::Target::Ollama]),
        Command::Llamacpp(args) => generate::run(&args, &[crate::render::Target::LlamaCpp]),
        Command::Modelscope(args) => generate::run(&args, &[crate::render::Target::ModelScope]),
        Command::Card(args) => generate::run(&args, &[crate::render::Target::Card]),
        Command::All(args) => generate::run(&args, &crate::render::Target::ALL),
        Command::Explain(args) => explain::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Gguf(args) => gguf::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            print::report(&err);
            ExitCode::from(print::EXIT_FAILED)
        }
    }
}
