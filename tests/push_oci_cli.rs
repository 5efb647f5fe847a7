//! `ruvltra-export push` end to end: credentials from the environment, JSON events, a second
//! run that sends nothing, and no password anywhere in the output.

#[path = "support/registry.rs"]
mod registry;
mod support;

use std::process::Command;

use registry::{auth_registry, auth_user, unique};

/// Runs `push` with `args`; returns success, the JSON lines of stdout (empty when not
/// `--json`), and stdout+stderr.
fn push(
    args: &[&str],
    cache: &std::path::Path,
    env: &[(&str, &str)],
) -> (bool, Vec<serde_json::Value>, String) {
    let json = args.contains(&"--json");
    let gguf = support::corpus_dir().join("gguf/ggml-vocab-phi-3.gguf");
    let output = Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .arg("push")
        .arg("--gguf")
        .arg(gguf)
        .args(args)
        .env("XDG_CACHE_HOME", cache)
        .env("DOCKER_CONFIG", cache.join("no-docker"))
        .env_remove("REGISTRY_USERNAME")
        .env_remove("REGISTRY_PASSWORD")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let events = stdout
        .lines()
        .filter(|_| json)
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    (output.status.success(), events, format!("{stdout}{stderr}"))
}

#[test]
fn push_with_env_credentials_json_events_and_no_leaks() {
    let registry = auth_registry();
    let (user, password) = auth_user();
    let cache = tempfile::tempdir().unwrap();
    let name = format!("ruvltra/{}:q4", unique("cli"));
    let args = [
        "--to",
        "oci",
        "--registry",
        &registry,
        "--insecure",
        "--name",
        &name,
        "--param",
        "stop=<|end|>",
        "--json",
    ];
    let creds = [
        ("REGISTRY_USERNAME", user.as_str()),
        ("REGISTRY_PASSWORD", password.as_str()),
    ];

    let (ok, _, all) = push(&args, cache.path(), &[]);
    assert!(!ok, "no credentials: the push fails\n{all}");
    assert!(all.contains("401"), "{all}");
    assert!(
        all.contains("hint: the registry rejected the credentials")
            && all.contains("`REGISTRY_USERNAME`"),
        "#14 item 21: a refused push says what to set\n{all}"
    );
    let wrong = [
        ("REGISTRY_USERNAME", user.as_str()),
        ("REGISTRY_PASSWORD", "not-the-password-42"),
    ];
    let (ok, _, all) = push(&args, cache.path(), &wrong);
    assert!(!ok, "a wrong password: the push fails\n{all}");
    assert!(
        all.contains("hint: the registry rejected the credentials"),
        "{all}"
    );
    assert!(!all.contains("not-the-password-42"), "{all}");

    let (ok, events_first, all) = push(&args, cache.path(), &creds);
    assert!(ok, "{all}");
    assert!(
        !all.contains(&password),
        "the password never appears in output"
    );
    let kinds: Vec<&str> = events_first
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    for kind in [
        "plan",
        "transfer_started",
        "transfer_finished",
        "report",
        "verify",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let verify = events_first
        .iter()
        .find(|e| e["event"] == "verify")
        .unwrap();
    assert!(
        verify["verify"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["ok"] == true),
        "{verify}"
    );

    let (ok, events, all) = push(&args, cache.path(), &creds);
    assert!(ok, "{all}");
    let report = events.iter().find(|e| e["event"] == "report").unwrap();
    assert_eq!(report["report"]["bytes_sent"], 0, "{report}");
    assert!(
        !events.iter().any(|e| e["event"] == "hashing"),
        "the digest came from the on-disk cache"
    );
}

#[test]
fn dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let tar = dir.path().join("bundle.tar");
    let (ok, _, all) = push(
        &[
            "--to",
            "bundle",
            "--tar",
            tar.to_str().unwrap(),
            "--name",
            "ruv/x:q4",
            "--dry-run",
        ],
        dir.path(),
        &[],
    );
    assert!(ok, "{all}");
    assert!(all.contains("bundle -> "), "{all}");
    assert!(!tar.exists());
}
