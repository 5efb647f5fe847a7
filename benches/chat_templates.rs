//! Benchmark: the verifier over the whole corpus. Every Jinja template of
//! `../shared/corpus/chat-templates/` (or `$RUVLTRA_CORPUS/chat-templates`) is parsed and
//! verified over the whole suite against a ChatML Go template, so both engines render every
//! conversation (71 templates x the suite, each side). Target: under 2 s in a release build.
//!
//! Run with `cargo bench --bench chat_templates`; numbers go to `docs/benchmarks.md`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ruvltra_export::template::jinja::JinjaTemplate;
use ruvltra_export::template::ollama::OllamaTemplate;
use ruvltra_export::template::suite;
use ruvltra_export::template::verify::{self, VerifyOptions};

const CHATML_GO: &str = "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n";
const RUNS: usize = 5;

fn main() {
    let corpus = std::env::var_os("RUVLTRA_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
        .join("chat-templates");
    let mut sources = Vec::new();
    for entry in
        std::fs::read_dir(&corpus).unwrap_or_else(|err| panic!("{}: {err}", corpus.display()))
    {
        let path = entry.expect("corpus entry").path();
        sources.push(std::fs::read_to_string(&path).expect("template text"));
    }
    let conversations = suite::conversations().len();
    let options = VerifyOptions {
        bos_token: "<s>".into(),
        eos_token: "</s>".into(),
        ..VerifyOptions::default()
    };
    let mut best = Duration::MAX;
    let mut compared = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        compared = 0;
        let go = OllamaTemplate::parse(CHATML_GO).expect("ChatML Go template");
        for source in &sources {
            let Ok(jinja) = JinjaTemplate::new(source) else {
                continue;
            };
            let report = verify::verify(&jinja, &go, &options).expect("valid date");
            compared += report.plain.conversations
                + report.tools.conversations
                + report.thinking.conversations;
        }
        best = best.min(started.elapsed());
    }
    println!(
        "verify corpus: {} templates x {conversations} conversations ({compared} compared on both sides): best of {RUNS}: {:.1} ms",
        sources.len(),
        best.as_secs_f64() * 1000.0
    );
}
