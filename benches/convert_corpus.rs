//! Benchmark: the converter over the whole corpus. Every Jinja template of
//! `../shared/corpus/chat-templates/` (or `$RUVLTRA_CORPUS/chat-templates`) is converted —
//! probed (thinking off and on, two dates, stripping), written as a Go template, parsed and
//! verified over the whole suite. Target: under 5 s in a release build.
//!
//! Run with `cargo bench --bench convert_corpus`; numbers go to `docs/benchmarks.md`
//! ("Template conversion").

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ruvltra_export::template::convert::{ConvertInput, convert};

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
    let mut best = Duration::MAX;
    let mut total = Duration::ZERO;
    let mut verified = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        verified = 0;
        for source in &sources {
            let input = ConvertInput {
                bos_token: "<s>",
                eos_token: "</s>",
                ..ConvertInput::new(source)
            };
            if convert(&input).is_ok_and(|c| c.verified) {
                verified += 1;
            }
        }
        let elapsed = started.elapsed();
        best = best.min(elapsed);
        total += elapsed;
    }
    println!(
        "convert corpus: {} templates, {verified} verified: best of {RUNS}: {:.1} ms, mean {:.1} ms",
        sources.len(),
        best.as_secs_f64() * 1000.0,
        total.as_secs_f64() * 1000.0 / RUNS as f64
    );
}
