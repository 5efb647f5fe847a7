//! Regenerates `docs/template-conversion-table.md`: converts every template of the shared
//! corpus and writes one row per template (verified, method, reason, llama.cpp) plus the totals.
//! The llama.cpp column comes from `tests/data/llamacpp-conformance.txt`, the verdicts the real
//! llama-server gave in `tests/llamacpp_conformance.rs` (which checks this column too).
//!
//! `cargo run --release --example conversion_table [CORPUS_DIR] [OUT.md]`
//! (defaults: `$RUVLTRA_CORPUS/chat-templates` or `../shared/corpus/chat-templates`, `docs/template-conversion-table.md`).

use std::fmt::Write;
use std::path::PathBuf;
use std::time::Instant;

use ruvltra_export::template::convert::{ConvertInput, convert};
use ruvltra_export::template::jinja::FixedDateTime;
use ruvltra_export::template::llamacpp::conformance;
use ruvltra_export::template::verify::{SuiteReport, Verdict};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("RUVLTRA_CORPUS").map(|c| PathBuf::from(c).join("chat-templates"))
        })
        .unwrap_or_else(|| PathBuf::from("../shared/corpus/chat-templates"));
    let out_path = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("docs/template-conversion-table.md"));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jinja"))
        .collect();
    paths.sort();
    let llamacpp = std::fs::read_to_string("tests/data/llamacpp-conformance.txt")?;
    let llamacpp: Vec<[&str; 3]> = llamacpp
        .lines()
        .filter_map(|l| {
            let mut cells = l.split('\t');
            Some([cells.next()?, cells.next()?, cells.next()?])
        })
        .collect();
    let llamacpp_cell = |name: &str, jinja: &str| {
        llamacpp.iter().find(|row| row[0] == name).map_or_else(
            || "not checked".to_owned(),
            |row| conformance::table_cell(row[1], row[2], jinja),
        )
    };
    let started = Instant::now();
    let mut rows = String::new();
    let (mut renderable, mut verified) = (0, 0);
    let (mut tool_total, mut tool_ok, mut tool_json, mut think_total, mut think_ok) =
        (0, 0, 0, 0, 0);
    let mut tool_order = 0usize;
    for path in &paths {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let jinja = std::fs::read_to_string(path)?;
        let input = ConvertInput {
            bos_token: "<s>",
            eos_token: "</s>",
            date: FixedDateTime::default(),
            ..ConvertInput::new(&jinja)
        };
        match convert(&input) {
            Ok(conversion) => {
                renderable += 1;
                verified += usize::from(conversion.verified);
                let report = &conversion.report;
                if jinja.contains("tools") && report.tools.conversations > 0 {
                    tool_total += 1;
                    tool_ok += usize::from(report.tools.verified);
                    tool_json += usize::from(report.tools.verdict == Verdict::JsonEquivalent);
                    tool_order += usize::from(report.tools.verdict == Verdict::ArgumentOrder);
                }
                if jinja.contains("think") && report.thinking.conversations > 0 {
                    think_total += 1;
                    think_ok += usize::from(report.thinking.verified);
                }
                let mut reason = if conversion.verified {
                    let matched = report.plain.conversations;
                    let skipped = report.plain.skipped.len();
                    if skipped > 0 {
                        format!(
                            "plain: {matched} conversations match, {skipped} refused by the template"
                        )
                    } else {
                        format!("plain: {matched} conversations match")
                    }
                } else {
                    String::new()
                };
                if report.tools.verdict == Verdict::JsonEquivalent {
                    if !reason.is_empty() {
                        reason.push_str("; ");
                    }
                    let _ = write!(
                        reason,
                        "tools: {} conversations equivalent up to JSON formatting",
                        report.tools.json_equivalent.len()
                    );
                }
                if report.tools.verdict == Verdict::ArgumentOrder {
                    if !reason.is_empty() {
                        reason.push_str("; ");
                    }
                    let _ = write!(
                        reason,
                        "tools: {} conversations equivalent, arguments written key by key (sorted in Go, the caller's order in Jinja)",
                        report.tools.conversations
                    );
                }
                for (part_name, part) in [("plain", &report.plain), ("tools", &report.tools)] {
                    if part.rests_on_one_conversation() {
                        if !reason.is_empty() {
                            reason.push_str("; ");
                        }
                        let _ = write!(
                            reason,
                            "{part_name}: the claim rests on one conversation only (the template refused {} others)",
                            part.skipped.len()
                        );
                    }
                }
                for item in &conversion.unsupported {
                    if !reason.is_empty() {
                        reason.push_str("; ");
                    }
                    let _ = write!(reason, "{} ({})", item.what, item.conversations.join(", "));
                }
                let _ = writeln!(
                    rows,
                    "| {name} | {} | {} | {} | {} | {} | {} |",
                    if conversion.verified { "yes" } else { "**no**" },
                    conversion.method,
                    verdict(&report.tools),
                    verdict(&report.thinking),
                    reason.replace('|', "\\|").replace('\n', " "),
                    llamacpp_cell(&name, &jinja)
                );
            }
            Err(err) => {
                let _ = writeln!(
                    rows,
                    "| {name} | not renderable | - | - | - | {} | {} |",
                    err.to_string().replace('|', "\\|").replace('\n', " "),
                    llamacpp_cell(&name, &jinja)
                );
            }
        }
    }
    let elapsed = started.elapsed();
    let mut doc = String::new();
    let _ = writeln!(doc, "# Template conversion, template by template\n");
    let _ = writeln!(
        doc,
        "Generated by `cargo run --release --example conversion_table` over the {} templates of \
         `../shared/corpus/chat-templates/` (BOS `<s>`, EOS `</s>`, date 2024-07-26). Do not edit by hand.\n",
        paths.len()
    );
    let _ = writeln!(
        doc,
        "- Plain suite (thinking off, no tools): **{verified} of {renderable}** renderable templates verified ({:.1}%); {} not renderable.",
        100.0 * verified as f64 / renderable.max(1) as f64,
        paths.len() - renderable
    );
    let _ = writeln!(
        doc,
        "- Tool-calling suite, templates that mention `tools`: **{} of {tool_total}** render every tool conversation the same: {tool_ok} byte for byte, {tool_json} equivalent up to JSON formatting (`json` in the tools column: JSON objects compared as values, everything else byte for byte), {tool_order} equivalent up to JSON formatting and argument order (`order`: arguments written key by key, which Go visits in sorted key order and Jinja in the caller's).",
        tool_ok + tool_json + tool_order
    );
    let _ = writeln!(
        doc,
        "- Thinking suite, templates that mention `think`: {think_ok} of {think_total} verified."
    );
    let verdicts: Vec<[String; 2]> = llamacpp
        .iter()
        .map(|row| [row[1].to_owned(), row[2].to_owned()])
        .collect();
    let _ = writeln!(doc, "{}\n", conformance::table_summary(&verdicts));
    let _ = writeln!(
        doc,
        "| template | verified (plain) | method | tools | thinking | reason | llama.cpp |"
    );
    let _ = writeln!(doc, "|---|---|---|---|---|---|---|");
    doc.push_str(&rows);
    std::fs::write(&out_path, doc)?;
    eprintln!(
        "{verified}/{renderable} verified (tools {tool_ok}+{tool_json} up to JSON+{tool_order} up to order/{tool_total}, thinking {think_ok}/{think_total}) in {:.2?}; wrote {}",
        elapsed,
        out_path.display()
    );
    Ok(())
}

/// A part's verdict in the table: `yes` (byte for byte), `json` (up to JSON formatting),
/// `order` (up to JSON formatting and argument order), `no`, or `-` when nothing was
/// compared.
fn verdict(part: &SuiteReport) -> &'static str {
    match (part.conversations, part.verdict) {
        (0, _) => "-",
        (_, Verdict::Verified) => "yes",
        (_, Verdict::JsonEquivalent) => "json",
        (_, Verdict::ArgumentOrder) => "order",
        (_, Verdict::NotVerified) => "no",
    }
}
