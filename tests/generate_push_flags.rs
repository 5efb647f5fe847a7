//! The sending options of `--push` on the generator commands (`ruvltra-export ollama --push
//! --dry-run|--json|--quiet ...`), end to end through the binary against the stand-in Ollama
//! server: a dry run still writes the output folder but sends nothing, `--json` keeps stdout
//! pure JSON lines, `--quiet` prints nothing, and the options are refused without `--push`.

#[path = "support/fake_ollama.rs"]
mod fake_ollama;
#[path = "support/fault_injection.rs"]
mod fault_injection;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// One small variant keeps every push to a single GGUF.
const VARIANT: &str = "medium/q8_0";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the binary on the checked-in manifest with a private cache and no ambient tokens or
/// hosts, plus `env`.
fn run(args: &[&str], cache: &Path, env: &[(&str, &str)]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(args)
        .current_dir(support::root())
        .env("XDG_CACHE_HOME", cache)
        .env("HF_HOME", cache.join("hf-home"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("HF_TOKEN")
        .env_remove("HUGGING_FACE_HUB_TOKEN")
        .env_remove("HF_ENDPOINT")
        .env_remove("OLLAMA_HOST")
        .env_remove("OLLAMA_MODELS")
        .env_remove("MODELSCOPE_API_TOKEN")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// `ollama --manifest ruvltra.toml --variant medium/q8_0 --out <out> --push` plus `extra`,
/// against `server`.
fn ollama_push(server: &fake_ollama::FakeOllama, cache: &Path, out: &Path, extra: &[&str]) -> Run {
    let manifest = support::root().join("ruvltra.toml");
    let mut args = vec![
        "ollama",
        "--manifest",
        manifest.to_str().unwrap(),
        "--variant",
        VARIANT,
        "--out",
        out.to_str().unwrap(),
        "--push",
    ];
    args.extend_from_slice(extra);
    let url = server.url();
    run(&args, cache, &[("OLLAMA_HOST", url.as_str())])
}

/// Every Ollama name the generator wrote into `tags.json`.
fn ollama_names(out: &Path) -> Vec<String> {
    let tags: Value =
        serde_json::from_slice(&std::fs::read(out.join("ollama/tags.json")).unwrap()).unwrap();
    let mut names = Vec::new();
    for model in tags["models"].as_array().unwrap() {
        for variant in model["variants"].as_array().unwrap() {
            for name in variant["names"].as_array().unwrap() {
                names.push(name.as_str().unwrap().to_owned());
            }
        }
    }
    names
}

fn out_dir(cache: &Path) -> PathBuf {
    cache.join("dist")
}

#[test]
fn dry_run_writes_the_output_folder_and_sends_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let out = out_dir(cache.path());
    let server = fake_ollama::FakeOllama::start("0.12.0");
    let r = ollama_push(&server, cache.path(), &out, &["--dry-run"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    let names = ollama_names(&out);
    assert!(!names.is_empty(), "the generator wrote no names");
    assert!(r.stderr.contains("wrote "), "{}", r.stderr);
    {
        let state = server.state.lock().unwrap();
        assert!(state.blobs.is_empty(), "blobs arrived: {:?}", state.blobs);
        assert!(
            state.create_requests.is_empty(),
            "create was called: {:?}",
            state.create_requests
        );
        assert!(state.models.is_empty());
        assert!(state.pushed.is_empty());
    }
    assert_eq!(server.total_blob_bytes(), 0);
    // The plan: the backend and where it goes, the GGUF to upload, every model to create.
    assert!(r.stdout.contains("ollama -> "), "{}", r.stdout);
    assert!(r.stdout.contains("upload"), "{}", r.stdout);
    for name in &names {
        assert!(r.stdout.contains(name.as_str()), "{name}:\n{}", r.stdout);
    }
    assert!(r.stdout.contains("to send"), "{}", r.stdout);
    // Then the summary table, as after `release`.
    assert!(r.stdout.contains("REGISTRY"), "{}", r.stdout);
    assert!(r.stdout.contains("dry run"), "{}", r.stdout);

    // The same command without `--dry-run` does reach the server.
    let r = ollama_push(&server, cache.path(), &out, &[]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(!server.state.lock().unwrap().create_requests.is_empty());
    for name in &names {
        assert!(server.model(name).is_some(), "{name} was not created");
    }
}

#[test]
fn json_prints_only_json_lines_with_plan_report_verify_and_summary() {
    let cache = tempfile::tempdir().unwrap();
    let out = out_dir(cache.path());
    let server = fake_ollama::FakeOllama::start("0.12.0");
    let r = ollama_push(&server, cache.path(), &out, &["--json"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    let events: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| {
            e["event"]
                .as_str()
                .unwrap_or_else(|| panic!("no `event`: {e}"))
        })
        .collect();
    for kind in ["plan", "report", "verify", "summary"] {
        assert!(kinds.contains(&kind), "no {kind} event: {kinds:?}");
    }
    assert_eq!(kinds.last(), Some(&"summary"), "{kinds:?}");
    let plan = events.iter().find(|e| e["event"] == "plan").unwrap();
    assert_eq!(plan["plan"]["backend"], "ollama", "{plan}");
    let rows = events.last().unwrap()["summary"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["registry"], "ollama", "{rows:?}");
    assert_eq!(rows[0]["status"], "ok", "{rows:?}");
    // The generator's own line stays on stderr.
    assert!(r.stderr.contains("wrote "), "{}", r.stderr);
    for name in ollama_names(&out) {
        assert!(server.model(&name).is_some(), "{name} was not created");
    }
}

#[test]
fn quiet_prints_nothing_and_still_pushes() {
    let cache = tempfile::tempdir().unwrap();
    let out = out_dir(cache.path());
    let server = fake_ollama::FakeOllama::start("0.12.0");
    let r = ollama_push(&server, cache.path(), &out, &["--quiet"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "", "stdout with --quiet");
    assert_eq!(r.stderr, "", "stderr with --quiet and no error");
    let names = ollama_names(&out);
    assert!(!names.is_empty());
    for name in names {
        assert!(server.model(&name).is_some(), "{name} was not created");
    }
}

#[test]
fn push_errors_still_print_with_quiet() {
    let cache = tempfile::tempdir().unwrap();
    let out = out_dir(cache.path());
    let server = fake_ollama::FakeOllama::start("0.12.0");
    server.fail_after_200("create", "the disk is full");
    let r = ollama_push(&server, cache.path(), &out, &["--quiet"]);
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "", "stdout with --quiet");
    assert!(r.stderr.contains("the disk is full"), "{}", r.stderr);
}

#[test]
fn sending_options_need_push() {
    let cache = tempfile::tempdir().unwrap();
    let out = out_dir(cache.path());
    for (command, option) in [
        ("ollama", &["--dry-run"][..]),
        ("card", &["--json"][..]),
        ("llamacpp", &["--quiet"][..]),
        ("modelscope", &["--no-verify"][..]),
        ("all", &["--parallel", "2"][..]),
    ] {
        let mut args = vec![command, "--out", out.to_str().unwrap()];
        args.extend_from_slice(option);
        let r = run(&args, cache.path(), &[]);
        assert_eq!(r.code, Some(2), "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("required arguments were not provided")
                && r.stderr.contains("--push"),
            "{args:?}: {}",
            r.stderr
        );
    }
    assert!(!out.exists(), "a refused command wrote its output");
}

#[test]
fn push_only_destinations_are_not_generator_options() {
    let cache = tempfile::tempdir().unwrap();
    for option in [
        &["--dir", "x"][..],
        &["--tar", "x.tar"],
        &["--registry", "h"],
    ] {
        let mut args = vec!["ollama", "--push"];
        args.extend_from_slice(option);
        let r = run(&args, cache.path(), &[]);
        assert_eq!(r.code, Some(2), "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("unexpected argument"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn publish_is_refused_where_nothing_goes_to_ollama() {
    let cache = tempfile::tempdir().unwrap();
    let out = out_dir(cache.path());
    let r = run(
        &[
            "card",
            "--out",
            out.to_str().unwrap(),
            "--push",
            "--publish",
            "ns",
        ],
        cache.path(),
        &[],
    );
    assert_eq!(r.code, Some(1), "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("`--publish`"), "{}", r.stderr);
    assert!(!out.exists(), "the refused command wrote its output");
}
