//! `ruvltra-export push --to ollama` end to end against the stand-in for Ollama's HTTP API
//! (`tests/support/fake_ollama.rs`): `OLLAMA_HOST` from the environment, a typed create, a
//! second run that sends nothing, `--publish`, and a typed error for a bad `OLLAMA_HOST`.

#[path = "support/fake_ollama.rs"]
mod fake_ollama;
#[path = "support/fault_injection.rs"]
mod fault_injection;

use std::path::Path;
use std::process::Command;

use fake_ollama::FakeOllama;
use fault_injection::{fake_gguf, sha256_hex};

/// Runs `push --to ollama` with `args` against `host`; returns success, the JSON lines of
/// stdout and stdout+stderr.
fn push(host: &str, cache: &Path, args: &[&str]) -> (bool, Vec<serde_json::Value>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(["push", "--to", "ollama", "--json"])
        .args(args)
        .env("OLLAMA_HOST", host)
        .env("XDG_CACHE_HOME", cache)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let events = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    (output.status.success(), events, format!("{stdout}{stderr}"))
}

fn event<'a>(events: &'a [serde_json::Value], kind: &str) -> &'a serde_json::Value {
    events
        .iter()
        .find(|e| e["event"] == kind)
        .unwrap_or_else(|| panic!("no `{kind}` event in {events:?}"))
}

#[test]
fn push_to_ollama_creates_verifies_and_a_rerun_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let gguf = fake_gguf(dir.path(), "ruvltra-Q4_K_M.gguf", 200_000, 3);
    let template = dir.path().join("template");
    std::fs::write(&template, "{{ .Prompt }}").unwrap();
    let server = FakeOllama::start("0.12.0");
    let gguf_arg = gguf.to_str().unwrap();
    let template_arg = template.to_str().unwrap();
    let args = [
        "--gguf",
        gguf_arg,
        "--name",
        "ruv/ruvltra:q4_k_m",
        "--template",
        template_arg,
        "--param",
        "num_ctx=8192",
        "--param",
        "stop=<|im_end|>",
    ];

    let (ok, events, all) = push(&server.url(), dir.path(), &args);
    assert!(ok, "{all}");
    let hex = sha256_hex(&std::fs::read(&gguf).unwrap());
    assert_eq!(server.uploads_stored(&hex), 1);
    let stored = server.model("ruv/ruvltra:q4_k_m").expect("model created");
    assert_eq!(stored.template.as_deref(), Some("{{ .Prompt }}"));
    assert_eq!(stored.parameters["num_ctx"], 8192);
    assert_eq!(event(&events, "report")["report"]["bytes_sent"], 200_000);
    let verify = &event(&events, "verify")["verify"];
    assert!(
        verify["checks"]
            .as_array()
            .is_some_and(|c| !c.is_empty() && c.iter().all(|c| c["ok"] == true)),
        "{verify}"
    );

    let (ok, events, all) = push(&server.url(), dir.path(), &args);
    assert!(ok, "{all}");
    assert_eq!(event(&events, "report")["report"]["bytes_sent"], 0);
    assert_eq!(server.bytes_received(&hex), 200_000, "nothing sent twice");
    assert!(server.state.lock().unwrap().pushed.is_empty());
}

#[test]
fn publish_copies_and_pushes_from_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let gguf = fake_gguf(dir.path(), "ruvltra-Q8_0.gguf", 50_000, 4);
    let server = FakeOllama::start("0.12.0");
    let (ok, _, all) = push(
        &server.url(),
        dir.path(),
        &[
            "--gguf",
            gguf.to_str().unwrap(),
            "--name",
            "ruvltra:q8_0",
            "--publish",
            "ruv",
        ],
    );
    assert!(ok, "{all}");
    assert!(server.model("ruvltra:q8_0").is_some());
    assert_eq!(server.state.lock().unwrap().pushed, ["ruv/ruvltra:q8_0"]);
}

#[test]
fn a_bad_ollama_host_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let gguf = fake_gguf(dir.path(), "x.gguf", 1_000, 5);
    let (ok, _, all) = push(
        "ftp://127.0.0.1:1",
        dir.path(),
        &["--gguf", gguf.to_str().unwrap(), "--name", "ruv/x"],
    );
    assert!(!ok, "{all}");
    assert!(all.contains("is not a usable OLLAMA_HOST"), "{all}");
}
