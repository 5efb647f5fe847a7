//! llama.cpp's Jinja engine as a conformance target: the real `llama-server`, started once per
//! corpus template (`--jinja --chat-template-file`, on the tiny test model), renders the whole
//! conversation suite through `POST /apply-template`, as clients call it and with
//! transformers' context, and each prompt is compared with the reference rendering.
//!
//! The per-template verdicts (`same`, `differs: <conversations>`, `refuses`) must equal
//! `tests/data/llamacpp-conformance.txt`, so a change on either side (llama.cpp, the suite,
//! the reference engine, the corpus) fails here; they must agree with the structural
//! detection of `template::llamacpp` wherever it predicts a difference; and the llama.cpp
//! column of `docs/template-conversion-table.md` must be the one these verdicts give.
//! `RUVLTRA_BLESS=1` rewrites the expectation file and that column from what the server did.

mod support;

#[path = "support/llama_server.rs"]
mod llama_server;

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use ruvltra_export::template::llamacpp::conformance::{self, Conformance};
use ruvltra_export::template::llamacpp::llamacpp_differences;
use ruvltra_export::template::llamacpp::server::START_TIMEOUT;
use ruvltra_export::template::suite;

/// Servers started at once: two cores, and a server is idle while the next one loads.
const WORKERS: usize = 3;
const EXPECTATIONS: &str = "tests/data/llamacpp-conformance.txt";
const TABLE: &str = "docs/template-conversion-table.md";

struct Checked {
    name: String,
    jinja: String,
    verdicts: [String; 2],
    conformance: Conformance,
}

#[test]
fn every_corpus_template_against_the_real_llama_server() {
    let binary = llama_server::binary();
    let model = llama_server::tiny_model();
    let dir = support::corpus_dir().join("chat-templates");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jinja"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 70, "corpus too small: {}", paths.len());
    let conversations = suite::conversations();
    let queue = Mutex::new(paths.into_iter().collect::<VecDeque<_>>());
    let results = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                loop {
                    let Some(path) = queue.lock().unwrap().pop_front() else {
                        return;
                    };
                    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
                    let jinja = std::fs::read_to_string(&path).unwrap();
                    let work = llama_server::scratch(&format!("conformance/{name}"));
                    let conformance = conformance::check_template(
                        &binary,
                        &model,
                        &jinja,
                        &work,
                        &conversations,
                        START_TIMEOUT,
                    )
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                    results.lock().unwrap().push(Checked {
                        verdicts: conformance.verdicts(),
                        name,
                        jinja,
                        conformance,
                    });
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.name.cmp(&b.name));

    let mut actual = String::new();
    for r in &results {
        let _ = writeln!(actual, "{}\t{}\t{}", r.name, r.verdicts[0], r.verdicts[1]);
    }
    let bless = std::env::var_os("RUVLTRA_BLESS").is_some();
    let expectations = support::root().join(EXPECTATIONS);
    if bless {
        std::fs::write(&expectations, &actual).unwrap();
        rewrite_table_column(&results);
    }

    // The verdicts are the checked-in ones, line by line.
    let expected = std::fs::read_to_string(&expectations).unwrap_or_default();
    let changed: Vec<String> = diff_lines(&expected, &actual);
    if !changed.is_empty() {
        let mut detail = String::new();
        for r in &results {
            if changed
                .iter()
                .any(|line| line.contains(&format!("{}\t", r.name)))
            {
                let _ = writeln!(detail, "--- {}\n{}", r.name, r.conformance);
            }
        }
        panic!(
            "llama.cpp's verdicts changed (`-` expected, `+` now; RUVLTRA_BLESS=1 rewrites {EXPECTATIONS} and the table):\n{}\n{detail}",
            changed.join("\n")
        );
    }

    // Wherever the structure predicts a difference, llama.cpp does differ (or refuses): the
    // warnings `check`, `convert` and `explain` print are never false alarms on the corpus.
    let contradicted: Vec<String> = results
        .iter()
        .filter(|r| r.conformance.same())
        .filter_map(|r| {
            let predicted = llamacpp_differences(&r.jinja);
            (!predicted.is_empty()).then(|| format!("{}: {predicted:?}", r.name))
        })
        .collect();
    assert!(
        contradicted.is_empty(),
        "the detector predicts a difference but llama.cpp renders the reference prompt:\n{}",
        contradicted.join("\n")
    );
    // Differences the reference (`gguf-and-llamacpp.md`) states from measurement: Gemma 2's
    // system prompt, which jinja2 refuses, is merged into the first user turn; Llama 3.1's
    // defaulted `date_string` is today in llama.cpp, in every prompt.
    let verdict = |name: &str| {
        &results
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("{name} is not in the corpus"))
            .verdicts[0]
    };
    let gemma = verdict("google-gemma-2-2b-it");
    assert!(
        gemma.contains("system_user (only llama.cpp renders)"),
        "{gemma}"
    );
    let llama = verdict("meta-llama-Llama-3.1-8B-Instruct");
    assert!(llama.starts_with("differs: single_user"), "{llama}");
    assert!(results.iter().any(|r| r.conformance.same()));

    // The doc's llama.cpp column is the one these verdicts give.
    let table = std::fs::read_to_string(support::root().join(TABLE)).unwrap();
    for r in &results {
        let cell = conformance::table_cell(&r.verdicts[0], &r.verdicts[1], &r.jinja);
        let row = table
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", r.name)))
            .unwrap_or_else(|| panic!("{TABLE} has no row for {}", r.name));
        assert!(
            row.ends_with(&format!(" | {cell} |")),
            "{TABLE}: the llama.cpp cell of {} is not `{cell}` (RUVLTRA_BLESS=1 rewrites it):\n{row}",
            r.name
        );
    }
    let verdicts: Vec<[String; 2]> = results.iter().map(|r| r.verdicts.clone()).collect();
    let summary = conformance::table_summary(&verdicts);
    assert!(table.contains(&summary), "{TABLE} lacks `{summary}`");

    assert!(
        elapsed.as_secs() < 300,
        "the conformance run took {elapsed:?}, over the 5 minutes it is allowed"
    );
}

/// Lines only in `expected` (`- `) or only in `actual` (`+ `).
fn diff_lines(expected: &str, actual: &str) -> Vec<String> {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let mut out: Vec<String> = old
        .iter()
        .filter(|l| !new.contains(l))
        .map(|l| format!("- {l}"))
        .collect();
    out.extend(
        new.iter()
            .filter(|l| !old.contains(l))
            .map(|l| format!("+ {l}")),
    );
    out
}

/// Replaces the llama.cpp (last) cell of each template's row, and the summary line, in the
/// conversion table with what `results` give.
fn rewrite_table_column(results: &[Checked]) {
    let path = support::root().join(TABLE);
    let table = std::fs::read_to_string(&path).unwrap();
    let verdicts: Vec<[String; 2]> = results.iter().map(|r| r.verdicts.clone()).collect();
    let summary = conformance::table_summary(&verdicts);
    let mut out = String::new();
    for line in table.lines() {
        let row = results
            .iter()
            .find(|r| line.starts_with(&format!("| {} |", r.name)));
        let line = match row {
            Some(r) => {
                let cell = conformance::table_cell(&r.verdicts[0], &r.verdicts[1], &r.jinja);
                let (head, _) = line.trim_end_matches(" |").rsplit_once(" | ").unwrap();
                format!("{head} | {cell} |")
            }
            None if line.starts_with(conformance::SUMMARY_PREFIX) => summary.clone(),
            None => line.to_owned(),
        };
        out.push_str(&line);
        out.push('\n');
    }
    std::fs::write(&path, out).unwrap();
}

/// Runs `template verify --jinja JINJA --go GO --llama-server SERVER ARGS`.
fn verify_cli(
    jinja: &std::path::Path,
    go: &str,
    server: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let go_path = dir.path().join("template.go.tmpl");
    std::fs::write(&go_path, go).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(["template", "verify", "--jinja"])
        .arg(jinja)
        .arg("--go")
        .arg(&go_path)
        .arg("--llama-server")
        .arg(server)
        .args(args)
        .output()
        .unwrap()
}

fn corpus_template(name: &str) -> PathBuf {
    support::corpus_dir()
        .join("chat-templates")
        .join(format!("{name}.jinja"))
}

const PHI_GO: &str = "{{- range .Messages }}{{ if eq .Role \"system\" }}{{ if .Content }}<|system|>\n{{ .Content }}<|end|>\n{{ end }}\
    {{ else if eq .Role \"user\" }}<|user|>\n{{ .Content }}<|end|>\n\
    {{ else if eq .Role \"assistant\" }}<|assistant|>\n{{ .Content }}<|end|>\n{{ end }}{{ end }}<|assistant|>\n";

#[test]
fn template_verify_with_llama_server_passes_where_llama_cpp_renders_the_same() {
    let output = verify_cli(
        &corpus_template("microsoft-Phi-3.5-mini-instruct"),
        PHI_GO,
        &llama_server::binary(),
        &["--bos", "<s>", "--eos", "<|endoftext|>"],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("llama.cpp as clients call it: same ("),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(0), "{stdout}");
}

#[test]
fn template_verify_with_llama_server_fails_and_says_where_llama_cpp_differs() {
    // Gemma 2 refuses system messages; llama.cpp merges them into the first user turn.
    let go = "{{- range .Messages }}<start_of_turn>{{ if eq .Role \"assistant\" }}model{{ else }}{{ .Role }}{{ end }}\n\
              {{ .Content }}<end_of_turn>\n{{ end }}<start_of_turn>model\n";
    let output = verify_cli(
        &corpus_template("google-gemma-2-2b-it"),
        go,
        &llama_server::binary(),
        &["--bos", "<bos>", "--eos", "<eos>", "--json"],
    );
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // The Go side still verifies; only llama.cpp differs.
    assert_eq!(json["verified"], true, "{json:#}");
    let llamacpp = &json["llamacpp"];
    assert_eq!(llamacpp["verdict"], "rendered", "{llamacpp:#}");
    let differences = llamacpp["client"]["differences"].as_array().unwrap();
    let system = differences
        .iter()
        .find(|d| d["conversation"] == "system_user")
        .unwrap_or_else(|| panic!("{llamacpp:#}"));
    assert_eq!(
        system["outcome"]["kind"], "only_llama_cpp_renders",
        "{system:#}"
    );
}

#[test]
fn template_verify_with_llama_server_reports_a_refused_template() {
    let dir = tempfile::tempdir().unwrap();
    let jinja = dir.path().join("raises.jinja");
    std::fs::write(
        &jinja,
        "{{ raise_exception('this template renders nothing') }}",
    )
    .unwrap();
    let output = verify_cli(&jinja, "{{ .Prompt }}", &llama_server::binary(), &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("llama.cpp: refuses the template"),
        "{stdout}"
    );
    assert!(stdout.contains("this template renders nothing"), "{stdout}");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn template_verify_with_a_missing_llama_server_is_a_clear_error() {
    let missing = std::path::Path::new("/nonexistent/llama-server");
    let output = verify_cli(
        &corpus_template("microsoft-Phi-3.5-mini-instruct"),
        PHI_GO,
        missing,
        &[],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot run llama-server `/nonexistent/llama-server`"),
        "{stderr}"
    );
}
