//! `ruvltra-export inspect SOURCE... [--json] [--full] [--hash]`: summarise GGUF headers from
//! local files, folders and the Hub.
//!
//! Stdout carries data only (the summaries, or one JSON array); warnings, errors and hints go
//! to stderr. A source that fails does not stop the others: in JSON it becomes
//! `{"source", "error", "hint"}` in the array.

use std::io::Write;

use clap::Args;

use super::print::{EXIT_FAILED, EXIT_OK};
use crate::gguf::Severity;
use crate::inspect::{self, FileReport, InspectOptions};
use crate::source::{HubClient, HubError, HubSettings, Source, SourceError, SourceFile};

/// Arguments of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// GGUF files, folders (their `*.gguf` files), or `hf://owner/repo[@revision][/file.gguf]`
    /// (percent-encode a revision with `/`: `@refs%2Fpr%2F1`).
    #[arg(required = true, value_name = "SOURCE", value_parser = parse_source)]
    pub sources: Vec<Source>,
    /// Print a JSON array, one object per GGUF file (shape: `docs/inspect-json.md`).
    #[arg(long)]
    pub json: bool,
    /// With `--json`: list every element of array values instead of the first few.
    #[arg(long, requires = "json")]
    pub full: bool,
    /// Compute the SHA-256 of local files (reads each file once; Hub files use their LFS hash).
    #[arg(long)]
    pub hash: bool,
}

fn parse_source(input: &str) -> Result<Source, String> {
    Source::parse(input).map_err(|err| err.to_string())
}

/// One source's or file's failure, ready for text or JSON.
#[derive(Clone)]
struct Failure {
    source: String,
    file: Option<String>,
    /// The error and then each cause.
    chain: Vec<String>,
    hint: Option<String>,
}

/// Runs `inspect` and returns the exit code: 0 when every source was read, 1 when one failed
/// (or a file's name contradicts its header).
pub fn run(args: InspectArgs) -> anyhow::Result<u8> {
    let needs_hub = args.sources.iter().any(|s| matches!(s, Source::Hub(_)));
    let hub = needs_hub.then(hub_client);
    let options = InspectOptions {
        hash_local: args.hash,
    };
    let mut stdout = std::io::stdout().lock();
    // JSON items are written as they come, so only one file's report is held at a time.
    let mut json_items = args
        .json
        .then(|| inspect::JsonArrayWriter::new(std::io::BufWriter::new(std::io::stdout())));
    let mut failed = false;
    let mut first = true;
    for source in &args.sources {
        let client = match (&hub, source) {
            (Some(Ok(client)), Source::Hub(_)) => Some(client),
            (Some(Err(setup)), Source::Hub(_)) => {
                failed = true;
                let failure = Failure {
                    source: source.to_string(),
                    ..setup.clone()
                };
                emit_failure(&failure, &mut json_items);
                continue;
            }
            _ => None,
        };
        let settings = client.map(HubClient::settings);
        let files = match source.files(client) {
            Ok(files) => files,
            Err(err) => {
                failed = true;
                emit_failure(&failure(source, None, &err, settings), &mut json_items);
                continue;
            }
        };
        for file in &files {
            match inspect::inspect_file(file, client, options) {
                Ok(report) => {
                    failed |= warn(&report);
                    if let Some(items) = &mut json_items {
                        if items
                            .push(&inspect::report_json(&report, args.full))
                            .is_err()
                        {
                            // A closed pipe (`| head`): nobody reads the rest.
                            return Ok(if failed { EXIT_FAILED } else { EXIT_OK });
                        }
                    } else {
                        let separator = if first { "" } else { "\n" };
                        first = false;
                        if write!(stdout, "{separator}{}", inspect::render_text(&report)).is_err() {
                            // A closed pipe (`| head`): nobody reads the rest.
                            return Ok(if failed { EXIT_FAILED } else { EXIT_OK });
                        }
                    }
                }
                Err(err) => {
                    failed = true;
                    emit_failure(
                        &failure(source, Some(file), &err, settings),
                        &mut json_items,
                    );
                }
            }
        }
    }
    if let Some(items) = json_items {
        // A closed pipe is not an error worth reporting.
        let _ = items.finish();
    }
    Ok(if failed { EXIT_FAILED } else { EXIT_OK })
}

/// The Hub client from the environment, or why there is none (every Hub source then fails
/// with that reason).
fn hub_client() -> Result<HubClient, Failure> {
    let setup_failure = |chain: Vec<String>, hint: Option<&str>| Failure {
        source: String::new(),
        file: None,
        chain: [vec!["cannot use the Hub".to_owned()], chain].concat(),
        hint: hint.map(str::to_owned),
    };
    let settings = super::settings::hub().map_err(|err| {
        let hint = match &err {
            SourceError::InvalidEndpoint { .. } => Some(
                "set `HF_ENDPOINT` to an `https://` URL, or unset it to use https://huggingface.co",
            ),
            SourceError::TokenFile { .. } => {
                Some("make the token file readable, or set `HF_TOKEN` instead")
            }
            _ => None,
        };
        setup_failure(chain(&err), hint)
    })?;
    HubClient::new(settings).map_err(|err| setup_failure(chain(&err), None))
}

/// Prints quant disagreements to stderr; returns whether one is an error.
fn warn(report: &FileReport) -> bool {
    let Some(mismatch) = &report.quant_mismatch else {
        return false;
    };
    let (label, is_error) = match mismatch.severity() {
        Severity::Warning => ("warning", false),
        Severity::Error => ("error", true),
    };
    eprintln!("{label}: `{}`: {mismatch}", report.file);
    is_error
}

fn emit_failure(
    failure: &Failure,
    items: &mut Option<inspect::JsonArrayWriter<std::io::BufWriter<std::io::Stdout>>>,
) {
    if let Some(items) = items {
        // A closed pipe is not an error worth reporting; stderr still says what failed.
        let _ = items.push(&inspect::error_json(
            &failure.source,
            failure.file.as_deref(),
            &failure.chain.join(": "),
            failure.hint.as_deref(),
        ));
    }
    // Every error names its file or source itself.
    let mut chain = failure.chain.iter();
    if let Some(first) = chain.next() {
        eprintln!("error: {first}");
    }
    for cause in chain {
        eprintln!("  Caused by: {cause}");
    }
    if let Some(hint) = &failure.hint {
        eprintln!("\nhint: {hint}");
    }
}

fn failure(
    source: &Source,
    file: Option<&SourceFile>,
    err: &SourceError,
    settings: Option<&HubSettings>,
) -> Failure {
    Failure {
        source: source.to_string(),
        file: file.map(SourceFile::name),
        chain: chain(err),
        hint: hint(source, err, settings),
    }
}

/// An error's message, then each cause's.
fn chain(err: &dyn std::error::Error) -> Vec<String> {
    let mut messages = vec![err.to_string()];
    let mut cause = err.source();
    while let Some(next) = cause {
        messages.push(next.to_string());
        cause = next.source();
    }
    messages
}

/// The next step for an error, if there is an obvious one.
fn hint(source: &Source, err: &SourceError, settings: Option<&HubSettings>) -> Option<String> {
    let repo = match source {
        Source::Hub(reference) => reference.repo.to_string(),
        Source::Local(_) => String::new(),
    };
    let endpoint = settings.map_or_else(
        || crate::source::hub::DEFAULT_ENDPOINT.to_owned(),
        |s| s.endpoint.to_string(),
    );
    let token_from = settings
        .and_then(|s| s.token_source.clone())
        .unwrap_or_else(|| "the environment".to_owned());
    match err {
        SourceError::Hub { source, .. } => Some(match source {
            HubError::RepoNotFound { token_sent: false, .. }
            | HubError::Unauthorized { token_sent: false, .. } => format!(
                "check the name `{repo}`; if the repository is private, set `HF_TOKEN` to a token that can read it"
            ),
            HubError::RepoNotFound { token_sent: true, .. } => format!(
                "check the name `{repo}`, and that the token from `{token_from}` can read it"
            ),
            HubError::Unauthorized { token_sent: true, .. } => format!(
                "the token from `{token_from}` was rejected: create a new one at {endpoint}/settings/tokens"
            ),
            HubError::Gated { token_sent: false, .. } => format!(
                "accept the repository's conditions at {endpoint}/{repo}, then set `HF_TOKEN`"
            ),
            HubError::Gated { token_sent: true, .. } => format!(
                "accept the repository's conditions at {endpoint}/{repo} with the account of the token from `{token_from}`"
            ),
            HubError::Forbidden { .. } => format!(
                "the token from `{token_from}` may not read `{repo}`: use a token with read access"
            ),
            HubError::RevisionNotFound { .. } => "check the revision after `@`; one that contains `/` must be percent-encoded, e.g. `@refs%2Fpr%2F1`".to_owned(),
            HubError::EntryNotFound { .. } => format!(
                "list the repository's GGUF files with `ruvltra-export inspect hf://{repo}`"
            ),
            HubError::RateLimited { .. } => {
                "wait a minute and try again; a token (`HF_TOKEN`) raises the limit".to_owned()
            }
            HubError::RangeIgnored { .. } => format!(
                "something between here and `{endpoint}` (a proxy or mirror) drops `Range` headers; check `HF_ENDPOINT` and proxy settings"
            ),
            HubError::Network { .. } => format!(
                "check the network connection and proxy settings, and that `{endpoint}` (`HF_ENDPOINT`) is right"
            ),
            _ => return None,
        }),
        SourceError::FileNotInRepo { reference, .. } => Some(format!(
            "list the repository's GGUF files with `ruvltra-export inspect {reference}`"
        )),
        _ => None,
    }
}
