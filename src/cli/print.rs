//! What the command line shows: errors with their causes, push plans, reports and the
//! summary table (as text, or JSON lines with `--json`), progress, and the exit codes.

use std::io::IsTerminal;
use std::path::Path;

use serde::Serialize;

use super::args::SendOptions;
use crate::pipeline::{Missing, PipelineError, PushSummary, Registry, Sink};
use crate::push::{
    Action, JsonProgress, PlainProgress, Plan, Progress, PushReport, QuietProgress, ReadBackReport,
    TerminalProgress, human_bytes,
};
use crate::source::hub::Downloaded;

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code when a source, check or push failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code for a usage error (bad arguments).
pub const EXIT_USAGE: u8 = 2;

/// Prints an error and its causes to stderr, uv-style: the message, then one `Caused by:`
/// line per cause.
pub fn report(err: &anyhow::Error) {
    report_error(err.as_ref());
}

/// [`report`] for any error, with the library's hint for a refused credential.
fn report_error(err: &(dyn std::error::Error + 'static)) {
    let pipeline = err.downcast_ref::<PipelineError>();
    if let Some(text) = pipeline.and_then(wording) {
        eprintln!("error: {text}");
        return;
    }
    eprintln!("error: {err}");
    let mut cause = err.source();
    while let Some(err) = cause {
        eprintln!("  Caused by: {err}");
        cause = err.source();
    }
    if let Some(hint) = pipeline.and_then(PipelineError::hint) {
        eprintln!("  hint: {hint}");
    }
}

/// How the command line words a library error that a flag or a variable would mend.
fn wording(err: &PipelineError) -> Option<String> {
    Some(match err {
        PipelineError::NotConfigured { registry, missing } => match missing {
            Missing::OciRegistry => "`--to oci` needs `--registry HOST[:PORT]`".to_owned(),
            Missing::BundleDestination => {
                "`--to bundle` needs `--dir DIR` or `--tar FILE` (or `OLLAMA_MODELS` set)"
                    .to_owned()
            }
            Missing::ModelScopeToken => "`--to modelscope` needs `MODELSCOPE_API_TOKEN` (an access token from your ModelScope account settings)".to_owned(),
            Missing::ModelScopeTable => format!("`--to {registry}` needs {missing}"),
        },
        PipelineError::NotOllamaFormat { registry } => {
            format!("`--to {registry}` pushes the manifest's outputs: leave out `--gguf`")
        }
        _ => return None,
    })
}

/// The exit code of a push: failed when any registry failed.
pub fn exit_code(summary: &PushSummary) -> u8 {
    if summary.failed() {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// Transfer progress as the options ask: nothing, JSON events, bars on a terminal, else
/// plain lines.
pub fn progress(options: &SendOptions) -> Box<dyn Progress> {
    if options.quiet {
        Box::new(QuietProgress)
    } else if options.json {
        Box::new(JsonProgress::new(std::io::stdout()))
    } else if std::io::stderr().is_terminal() {
        Box::new(TerminalProgress::default())
    } else {
        Box::new(PlainProgress::default())
    }
}

/// Where hashing progress goes in commands that do not push (`explain`): a bar on a terminal,
/// nothing otherwise (stdout is the command's data).
pub fn hash_progress() -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(TerminalProgress::default())
    } else {
        Box::new(QuietProgress)
    }
}

/// Writes data to stdout; a closed pipe (`| head`) ends output quietly.
pub fn write_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => anyhow::Context::context(other, "cannot write to stdout"),
    }
}

/// Prints one JSON line `{"event": kind, kind: value}`.
pub fn json_line(kind: &str, value: &impl Serialize) {
    let line = serde_json::json!({ "event": kind, kind: value });
    println!("{line}");
}

/// The printing [`Sink`]: plans and reports on stdout, errors and warnings on stderr, or
/// JSON lines with `--json`.
pub struct Printer<'a> {
    /// The output options.
    pub options: &'a SendOptions,
}

impl Sink for Printer<'_> {
    fn plan(&self, plan: &Plan) {
        let send = self.options;
        if send.json {
            return json_line("plan", plan);
        }
        if send.quiet && !send.dry_run {
            return;
        }
        println!("{} -> {}", plan.backend, plan.target);
        for item in &plan.items {
            let action = match &item.action {
                Action::Upload => "upload".to_string(),
                Action::Resume { offset } => format!("resume at {}", human_bytes(*offset)),
                Action::Mount { from } => format!("mount from {from}"),
                Action::Write => "write".to_string(),
                Action::Create => "create".to_string(),
                Action::Replace => "replace".to_string(),
                Action::Skip { reason } => format!("skip ({reason})"),
            };
            println!(
                "  {:<60} {:>10}  {action}",
                item.name,
                human_bytes(item.size)
            );
        }
        for stale in &plan.stale {
            let fate = if send.prune {
                "will be deleted"
            } else {
                "kept; `--prune` deletes it"
            };
            println!("  stale: {} ({}; {fate})", stale.name, stale.detail);
        }
        println!("  {} to send", human_bytes(plan.bytes_to_send()));
    }

    fn pushed(&self, report: &PushReport) {
        if self.options.json {
            return json_line("report", report);
        }
        if !self.options.quiet {
            println!(
                "pushed to {}: {} sent",
                report.target,
                human_bytes(report.bytes_sent)
            );
            for pruned in &report.pruned {
                println!("  pruned {pruned}");
            }
            if !report.pull_commands.is_empty() {
                println!("  pull with:");
                for command in &report.pull_commands {
                    println!("    {command}");
                }
            }
        }
    }

    fn verified(&self, verify: &ReadBackReport) {
        if self.options.json {
            return json_line("verify", verify);
        }
        for check in verify.checks.iter().filter(|c| !c.ok) {
            eprintln!("error: {} does not match: {}", check.name, check.detail);
        }
        for warning in &verify.warnings {
            eprintln!("warning: {warning}");
        }
        if !self.options.quiet && verify.is_ok() {
            println!(
                "verified {}: {} checks passed",
                verify.target,
                verify.checks.len()
            );
        }
    }

    fn failed(&self, error: &PipelineError) {
        report_error(error);
    }

    fn downloaded(&self, file: &str, done: &Downloaded) {
        if self.options.json {
            json_line(
                "download",
                &serde_json::json!({
                    "file": file,
                    "path": done.path,
                    "size": done.size,
                    "sha256": done.sha256,
                    "bytes_fetched": done.bytes_fetched,
                    "resumed_from": done.resumed_from,
                }),
            );
        } else if !self.options.quiet && done.bytes_fetched > 0 {
            let resumed = if done.resumed_from > 0 {
                format!(", resumed at {}", human_bytes(done.resumed_from))
            } else {
                String::new()
            };
            eprintln!(
                "  {file}: downloaded {}{resumed}; sha256 {} verified",
                human_bytes(done.bytes_fetched),
                done.sha256
            );
        }
    }

    fn would_download(&self, files: &[String], cache: &Path) {
        if !self.options.json {
            println!(
                "would download {} into `{}`; the registries that need them are not planned",
                files.join(", "),
                cache.display()
            );
        }
    }
}

/// The summary table (or one `summary` JSON line).
pub fn print_summary(summary: &PushSummary, options: &SendOptions) {
    if options.json {
        return json_line("summary", summary);
    }
    if options.quiet {
        return;
    }
    let rows = &summary.rows;
    let target_width = rows
        .iter()
        .map(|r| r.target.len())
        .max()
        .unwrap_or(6)
        .clamp(6, 70);
    println!();
    println!(
        "{:<12} {:<target_width$} {:>6} {:>8} {:>10}  STATUS",
        "REGISTRY", "TARGET", "ITEMS", "SKIPPED", "SENT"
    );
    for row in rows {
        let registry: Registry = row.registry;
        println!(
            "{:<12} {:<target_width$} {:>6} {:>8} {:>10}  {}",
            registry.as_str(),
            row.target,
            row.items,
            row.skipped,
            human_bytes(row.bytes),
            row.status
        );
    }
}
