//! Generating every output (Ollama, llama.cpp, ModelScope, card, lock file) for a family of
//! 10 variants (5 models x 2 quants) whose headers are local: the fixtures copied under new
//! names. Prints the time of each stage over several runs; numbers go to docs/benchmarks.md
//! under "Generation". Run: `cargo bench --bench generate`.

use std::path::Path;
use std::time::{Duration, Instant};

use ruvltra_export::manifest::{ChatConverter, LocalFiles, Manifest, Origin, resolve};
use ruvltra_export::render::{RenderOptions, Target, render};

const RUNS: usize = 20;

fn family(dir: &Path) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    std::fs::create_dir_all(dir.join("models")).unwrap();
    let mut toml = String::from(
        "[family]\nname = \"Bench\"\ndescription = \"Ten variants.\"\npublisher = \"ruv\"\nlicense = \"apache-2.0\"\ndefault_model = \"m0\"\n\n[hub]\nrepo = \"ruv/bench\"\n\n[source]\nlocal = \"models\"\n\n[defaults.parameters]\ntemperature = 0.7\nnum_ctx = 4096\n\n",
    );
    for m in 0..5 {
        toml.push_str(&format!("[models.m{m}]\ndefault_variant = \"q4_k_m\"\n\n"));
        for (quant, source) in [
            ("q4_k_m", "ruvltra-small-0.5b-q4_k_m.gguf"),
            ("q8_0", "ruvltra-small-0.5b-q8_0.gguf"),
        ] {
            let file = format!("bench-m{m}-0.5b-{quant}.gguf");
            std::fs::copy(fixtures.join(source), dir.join("models").join(&file)).unwrap();
            toml.push_str(&format!(
                "[models.m{m}.variants.{quant}]\nfile = \"{file}\"\n\n"
            ));
        }
    }
    std::fs::write(dir.join("ruvltra.toml"), toml).unwrap();
}

fn report(name: &str, times: &mut [Duration]) {
    times.sort();
    println!(
        "{name:<40} fastest {:>8.2} ms   median {:>8.2} ms",
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3
    );
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    family(dir.path());
    let manifest = Manifest::load(&dir.path().join("ruvltra.toml")).unwrap();
    let (mut resolve_t, mut render_t, mut write_t, mut total_t) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let start = Instant::now();
        // A fresh converter each run: the template is converted and verified every time.
        let mut converter = ChatConverter::new();
        let mut files = LocalFiles::new(dir.path().join("models"));
        let resolved = resolve(
            &manifest,
            &[],
            &mut files,
            Origin::Local {
                folder: "models".into(),
            },
            &mut converter,
        )
        .unwrap();
        let resolved_at = Instant::now();
        let out = dir.path().join("dist");
        let tree = render(&resolved, &Target::ALL, &out, &RenderOptions::default()).unwrap();
        let rendered_at = Instant::now();
        tree.write_atomically(&out).unwrap();
        let written_at = Instant::now();
        assert_eq!(resolved.variants().count(), 10);
        resolve_t.push(resolved_at - start);
        render_t.push(rendered_at - resolved_at);
        write_t.push(written_at - rendered_at);
        total_t.push(written_at - start);
    }
    println!("10 variants, {RUNS} runs");
    report("resolve (headers, sha256, convert+verify)", &mut resolve_t);
    report("render (every target)", &mut render_t);
    report("write atomically", &mut write_t);
    report("total", &mut total_t);
}
