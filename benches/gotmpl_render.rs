//! Rendering speed of the Go template engine under Ollama's rules: every hand-written template
//! in `templates/go/` over the whole conversation suite (`tests/support/gorender/suite.rs`).
//! Numbers go to `docs/benchmarks.md` ("Go templates").

use criterion::{Criterion, criterion_group, criterion_main};
use ruvltra_export::template::ollama::{Date, OllamaTemplate, RenderOptions};

#[path = "../tests/support/gorender/suite.rs"]
mod suite;

fn templates() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/go");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("templates/go")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "gotmpl"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("read"))
        .collect()
}

fn bench(c: &mut Criterion) {
    let sources = templates();
    let requests: Vec<_> = suite::conversations().into_iter().map(|(_, r)| r).collect();
    let opts = RenderOptions::with_date(Date::parse("2026-02-28").expect("date"));
    let parsed: Vec<OllamaTemplate> = sources
        .iter()
        .map(|s| OllamaTemplate::parse(s).expect("parses"))
        .collect();

    c.bench_function("go templates: parse all", |b| {
        b.iter(|| {
            for s in &sources {
                std::hint::black_box(OllamaTemplate::parse(s).expect("parses"));
            }
        })
    });
    c.bench_function("go templates: render all templates x suite", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for t in &parsed {
                for r in &requests {
                    bytes += t.render(r, &opts).expect("renders").len();
                }
            }
            std::hint::black_box(bytes)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
