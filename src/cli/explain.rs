//! `ruvltra-export explain`: every resolved value and where it came from.

use std::fmt::Write as _;

use clap::Args;

use super::args::ResolveArgs;
use super::print::{EXIT_OK, hash_progress};
use super::settings;
use crate::manifest::{OllamaChat, Provenance, Resolved};
use crate::ollama::VersionRange;
use crate::render::ollama::{prompt_selection, variant_parser};
use crate::template::llamacpp::{AFFECTED_RUNTIMES, llamacpp_differences};

/// Arguments of `explain`.
#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// Manifest, variants and source.
    #[command(flatten)]
    pub resolve: ResolveArgs,
    /// Print the resolved family as JSON (the `metadata.lock.json` shape).
    #[arg(long)]
    pub json: bool,
}

/// Runs `explain`.
pub fn run(args: &ExplainArgs) -> anyhow::Result<u8> {
    let resolved = settings::resolve(
        &args.resolve,
        &settings::digest_cache(),
        hash_progress().as_ref(),
    )?;
    if args.json {
        print!("{}", resolved.to_lock_json());
    } else {
        print!("{}", provenance_table(&resolved));
    }
    Ok(EXIT_OK)
}

/// The provenance table: per variant, one line per value with its source.
pub fn provenance_table(resolved: &Resolved) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}), from {}{}",
        resolved.family.name,
        resolved.hub.repo,
        match &resolved.origin {
            crate::manifest::Origin::Local { folder } => format!("local folder `{folder}`"),
            crate::manifest::Origin::Hub { endpoint } => format!("the Hub at {endpoint}"),
        },
        if resolved.fixtures {
            " (test fixtures)"
        } else {
            ""
        }
    );
    if let Some(base) = &resolved.family.base_model {
        let _ = writeln!(out, "  base model  {}  <- {}", base.value, base.provenance);
    }
    if let Some(commit) = &resolved.hub.commit {
        let _ = writeln!(
            out,
            "  commit      {}  <- {}",
            commit.value, commit.provenance
        );
    }
    for model in &resolved.models {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{} ({})  <- {}",
            model.key, model.name.value, model.name.provenance
        );
        for v in &model.variants {
            let _ = writeln!(out, "  {}/{}  {}", model.key, v.key, v.file);
            let mut rows: Vec<(String, String, &Provenance)> = vec![
                ("quant".into(), v.quant.value.clone(), &v.quant.provenance),
                (
                    "architecture".into(),
                    v.architecture.value.clone(),
                    &v.architecture.provenance,
                ),
                (
                    "size label".into(),
                    v.size_label.value.clone(),
                    &v.size_label.provenance,
                ),
                (
                    "parameters".into(),
                    v.parameter_count.value.to_string(),
                    &v.parameter_count.provenance,
                ),
                (
                    "context length".into(),
                    v.context_length.value.to_string(),
                    &v.context_length.provenance,
                ),
                (
                    "file size".into(),
                    v.size_bytes.value.to_string(),
                    &v.size_bytes.provenance,
                ),
            ];
            if let Some(sha) = &v.sha256 {
                rows.push(("sha256".into(), sha.value.clone(), &sha.provenance));
            }
            if let Some(projector) = &v.projector {
                rows.push((
                    "projector size".into(),
                    projector.size_bytes.value.to_string(),
                    &projector.size_bytes.provenance,
                ));
                if let Some(sha) = &projector.sha256 {
                    rows.push((
                        "projector sha256".into(),
                        sha.value.clone(),
                        &sha.provenance,
                    ));
                }
            }
            if let Some(adapter) = &v.adapter {
                rows.push((
                    "adapter architecture".into(),
                    adapter.architecture.value.clone(),
                    &adapter.architecture.provenance,
                ));
                rows.push((
                    "adapter size".into(),
                    adapter.size_bytes.value.to_string(),
                    &adapter.size_bytes.provenance,
                ));
                if let Some(sha) = &adapter.sha256 {
                    rows.push(("adapter sha256".into(), sha.value.clone(), &sha.provenance));
                }
            }
            rows.push((
                "chat template".into(),
                format!("sha256 {}", &v.chat.jinja_sha256[..16]),
                &v.chat.jinja.provenance,
            ));
            if let Some(system) = &v.system {
                rows.push(("system".into(), one_line(&system.value), &system.provenance));
            }
            for p in &v.parameters {
                rows.push((
                    format!("param {}", p.parameter),
                    p.value.to_json().to_string(),
                    &p.provenance,
                ));
            }
            for (field, value, source) in rows {
                let _ = writeln!(out, "    {field:<20} {value:<24} <- {source}");
            }
            let verdict = match &v.chat.ollama {
                OllamaChat::Converted { verified: true, .. } => "converted, verified".to_owned(),
                OllamaChat::Converted {
                    verified: false, ..
                } => "converted, NOT verified".to_owned(),
                OllamaChat::Failed { reason } => format!("not converted: {reason}"),
            };
            let _ = writeln!(out, "    {:<20} {verdict}", "ollama template");
            if let Some(reason) = &v.chat.default_reason {
                let _ = writeln!(out, "    {:<20} {reason}", "template choice");
            }
            let roles = if v.chat.lost_roles.is_empty() {
                "system, user, assistant and tool content reach the prompt".to_owned()
            } else {
                v.chat
                    .lost_roles
                    .iter()
                    .map(|l| format!("{} messages {}", l.role, l.verdict))
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let _ = writeln!(out, "    {:<20} {roles}", "roles");
            for warning in &v.chat.fit_warnings {
                let _ = writeln!(out, "    {:<20} {warning}", "vocabulary");
            }
            let template = match &v.chat.ollama {
                OllamaChat::Converted { template, .. } => Some(template.as_str()),
                OllamaChat::Failed { .. } => None,
            };
            // Newest versions first: the first line is what current Ollama does.
            for range in VersionRange::ALL.iter().rev() {
                let selection = prompt_selection(v, template, *range);
                let _ = writeln!(
                    out,
                    "    {:<20} {}: {}, because {}",
                    "ollama prompt",
                    range.label(),
                    selection.builder,
                    selection.reason
                );
            }
            for difference in llamacpp_differences(&v.chat.jinja.value) {
                let _ = writeln!(
                    out,
                    "    {:<20} differs: {} (affects {AFFECTED_RUNTIMES})",
                    "llama.cpp prompt",
                    difference.describe()
                );
            }
            if let Some(row) = variant_parser(v) {
                let _ = writeln!(
                    out,
                    "    {:<20} {} (the chat template is {}'s)",
                    "ollama parser", row.parser, row.family
                );
            }
            let _ = writeln!(
                out,
                "    {:<20} {}",
                "ollama names",
                v.ollama_names
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    out
}

fn one_line(text: &str) -> String {
    let flat = text.replace('\n', "\\n");
    if flat.chars().count() > 40 {
        format!("{}...", flat.chars().take(40).collect::<String>())
    } else {
        flat
    }
}
