use std::process::ExitCode;

use clap::Parser;
use ruvltra_export::cli::{Cli, run};

fn main() -> ExitCode {
    run(Cli::parse())
}
