//! `--from hub` against the local stand-in for the Hub (`support/fake_hub.rs`): sizes,
//! digests and the commit come from the Hub API, headers from HTTP ranges, and every output
//! points at the Hub instead of local files.

#[path = "support/fake_hub.rs"]
mod fake_hub;
mod support;

use std::path::Path;
use std::process::{Command, Output};

use fake_hub::{Access, COMMIT, FakeHub};
use serde_json::Value;

const FILES: [&str; 5] = [
    "ruvltra-claude-code-0.5b-q4_k_m.gguf",
    "ruvltra-small-0.5b-q4_k_m.gguf",
    "ruvltra-small-0.5b-q8_0.gguf",
    "ruvltra-medium-1.1b-q4_k_m.gguf",
    "ruvltra-medium-1.1b-q8_0.gguf",
];

fn hub_with_fixtures(files: &[&str]) -> FakeHub {
    let hub = FakeHub::start("hf_test_token_never_printed");
    hub.add_repo("ruv/ruvltra", Access::Public);
    for file in files {
        let bytes = std::fs::read(support::root().join("fixtures").join(file)).unwrap();
        hub.add_file("ruv/ruvltra", file, bytes);
    }
    hub
}

fn run(dir: &Path, hub: &FakeHub, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(args)
        .current_dir(dir)
        .env("HF_ENDPOINT", &hub.endpoint)
        .env("HF_TOKEN_PATH", dir.join("no-token"))
        .env_remove("HF_TOKEN")
        .env_remove("HUGGING_FACE_HUB_TOKEN")
        .env_remove("HUGGINGFACE_API_KEY")
        .output()
        .unwrap()
}

fn manifest_only() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::root().join("ruvltra.toml"),
        dir.path().join("ruvltra.toml"),
    )
    .unwrap();
    dir
}

#[test]
fn outputs_from_the_hub_point_at_the_hub_and_pin_the_commit() {
    let hub = hub_with_fixtures(&FILES);
    let dir = manifest_only();
    let out = run(dir.path(), &hub, &["all", "--from", "hub"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("fixtures"),
        "Hub files are the published ones"
    );
    let dist = dir.path().join("dist");

    let modelfile = std::fs::read(dist.join("ollama/small-q8_0.Modelfile")).unwrap();
    let parsed = ruvltra_export::modelfile::Modelfile::parse(&modelfile).unwrap();
    assert_eq!(
        parsed.from,
        ["hf.co/ruv/ruvltra:ruvltra-small-0.5b-q8_0.gguf"]
    );

    let catalog: Value = serde_json::from_slice(
        &std::fs::read(dist.join("llamacpp/catalog/small-q8_0.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(catalog["revision"], COMMIT);
    assert_eq!(catalog["fixtures"], false);
    let local =
        std::fs::read(support::root().join("fixtures/ruvltra-small-0.5b-q8_0.gguf")).unwrap();
    use sha2::Digest;
    assert_eq!(catalog["sha256"], hex::encode(sha2::Sha256::digest(&local)));
    assert_eq!(catalog["size_bytes"], local.len() as u64);

    let preset = std::fs::read_to_string(dist.join("llamacpp/presets.ini")).unwrap();
    assert!(
        preset.contains(
            "[small-q8_0]\nhf-repo = ruv/ruvltra\nhf-file = ruvltra-small-0.5b-q8_0.gguf\n"
        ),
        "{preset}"
    );
    assert!(!preset.contains("model = "), "{preset}");

    let lock: Value =
        serde_json::from_slice(&std::fs::read(dist.join("metadata.lock.json")).unwrap()).unwrap();
    assert_eq!(lock["origin"]["kind"], "hub");
    assert_eq!(lock["hub"]["commit"]["value"], COMMIT);
    let sha = &lock["models"][1]["variants"][1]["sha256"]["provenance"];
    assert_eq!(sha["source"], "hub_api");
    assert_eq!(sha["field"], "siblings[].lfs.sha256");
}

#[test]
fn a_file_missing_from_the_repository_is_named_with_a_suggestion() {
    let hub = hub_with_fixtures(&FILES[..2]);
    let dir = manifest_only();
    let out = run(
        dir.path(),
        &hub,
        &["explain", "--from", "hub", "--variant", "small/q8_0"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`ruvltra-small-0.5b-q8_0.gguf` (variant `small/q8_0`) is not in `ruv/ruvltra` at `main` (did you mean `ruvltra-small-0.5b-q4_k_m.gguf`?)"),
        "{err}"
    );
}

#[test]
fn init_reads_a_hub_repository() {
    let hub = hub_with_fixtures(&FILES);
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &hub, &["init", "hf://ruv/ruvltra"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("ruvltra.toml")).unwrap();
    assert!(text.contains("repo = \"ruv/ruvltra\""), "{text}");
    assert!(text.contains("publisher = \"ruv\""), "{text}");
    assert!(
        !text.contains("[source]"),
        "a Hub source has no local folder: {text}"
    );
    let manifest = ruvltra_export::manifest::Manifest::load(&dir.path().join("ruvltra.toml"))
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(manifest.variants().count(), 5);
    let explain = run(dir.path(), &hub, &["explain", "--from", "hub"]);
    assert!(
        explain.status.success(),
        "{}",
        String::from_utf8_lossy(&explain.stderr)
    );
}
