//! `ruvltra-export push --to ollama` end to end against the stand-in for Ollama's HTTP API
//! (`tests/support/fake_ollama.rs`): `OLLAMA_HOST` from the environment, a typed create, a
//! second run that sends nothing, `--publish`, and a typed error for a bad `OLLAMA_HOST`;
//! `push --gguf` checks its parameters, warns about a missing template and fills the image
//! config from the header (#14 item 14); a failed push's summary shows what was sent (item 23).

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

/// #14 item 23: a push that fails half-way shows in its summary what was sent before the
/// failure, not the planned bytes.
#[test]
fn a_failed_push_shows_the_bytes_sent_not_the_planned_ones() {
    let dir = tempfile::tempdir().unwrap();
    let first = fake_gguf(dir.path(), "split-00001-of-00002.gguf", 150_000, 6);
    let second = fake_gguf(dir.path(), "split-00002-of-00002.gguf", 60_000, 7);
    let second_hex = sha256_hex(&std::fs::read(&second).unwrap());
    let args = [
        "--gguf",
        first.to_str().unwrap(),
        "--gguf",
        second.to_str().unwrap(),
        "--name",
        "ruv/split:q4",
    ];

    let server = FakeOllama::start("0.12.0");
    let blob_path = format!("/api/blobs/sha256:{second_hex}");
    server
        .faults
        .inject("POST", &blob_path, fault_injection::Fault::Status(400), 1);
    let (ok, events, all) = push(&server.url(), dir.path(), &args);
    assert!(!ok, "{all}");
    assert_eq!(server.faults.fired(), 1, "{all}");
    let planned: u64 = event(&events, "plan")["plan"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["size"].as_u64())
        .sum();
    assert_eq!(planned, 210_000, "both shards were planned");
    let row = &event(&events, "summary")["summary"][0];
    assert_eq!(row["status"], "failed", "{row}");
    assert_eq!(row["bytes"], 150_000, "only the first shard went: {all}");

    // The table a user reads says the same.
    let server = FakeOllama::start("0.12.0");
    server
        .faults
        .inject("POST", &blob_path, fault_injection::Fault::Status(400), 1);
    let output = Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(["push", "--to", "ollama"])
        .args(args)
        .env("OLLAMA_HOST", server.url())
        .env("XDG_CACHE_HOME", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let line = stdout
        .lines()
        .find(|l| l.starts_with("ollama ") && l.ends_with("failed"))
        .unwrap_or_else(|| panic!("no failed row: {stdout}"));
    let sent = ruvltra_export::push::human_bytes(150_000);
    let planned = ruvltra_export::push::human_bytes(210_000);
    assert!(line.contains(&sent) && !line.contains(&planned), "{line}");
}

/// #14 item 14: `--param` goes through the same checks as a manifest's `[parameters]`: a
/// misspelt name, a value of the wrong type and one out of range are refused, with the
/// parameter named, before anything is sent.
#[test]
fn gguf_params_are_checked_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let gguf = fake_gguf(dir.path(), "x-Q4_K_M.gguf", 10_000, 8);
    let server = FakeOllama::start("0.12.0");
    for (param, says) in [
        ("temprature=0.5", "did you mean `temperature`?"),
        ("num_ctx=abc", "`num_ctx` takes an int, found `abc`"),
        (
            "top_p=7",
            "`top_p` must be a number between 0 and 1, found 7",
        ),
    ] {
        let (ok, _, all) = push(
            &server.url(),
            dir.path(),
            &[
                "--gguf",
                gguf.to_str().unwrap(),
                "--name",
                "ruv/x",
                "--param",
                "num_ctx=4096",
                "--param",
                param,
            ],
        );
        assert!(!ok, "{param}: {all}");
        assert!(all.contains(&format!("`--param {param}`")), "{all}");
        assert!(all.contains(says), "{param}: {all}");
    }
    let state = server.state.lock().unwrap();
    assert!(state.blobs.is_empty() && state.create_requests.is_empty());
}

/// #14 item 14: without `--template`, a GGUF with no chat template of its own is pushed with a
/// warning that the model gets no template; one with a template gets no such warning.
#[test]
fn gguf_without_any_template_is_pushed_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeOllama::start("0.12.0");
    let bare = support_root().join("fixtures/no-template/ruvltra-small-0.5b-q4_k_m.gguf");
    let (ok, _, all) = push(
        &server.url(),
        dir.path(),
        &["--gguf", bare.to_str().unwrap(), "--name", "ruv/bare"],
    );
    assert!(ok, "{all}");
    assert!(
        all.contains("warning: no `--template`, and `")
            && all.contains("carries no chat template: the model gets no template"),
        "{all}"
    );
    let with = support_root().join("fixtures/ruvltra-small-0.5b-q4_k_m.gguf");
    let (ok, _, all) = push(
        &server.url(),
        dir.path(),
        &["--gguf", with.to_str().unwrap(), "--name", "ruv/with"],
    );
    assert!(ok, "{all}");
    assert!(!all.contains("carries no chat template"), "{all}");
}

/// #14 item 14: the image config's family, model type and file type default to the GGUF
/// header's values (as a manifest push writes them), not to empty strings; flags still win.
#[test]
fn gguf_config_defaults_to_the_header() {
    let gguf = support_root().join("fixtures/ruvltra-small-0.5b-q4_k_m.gguf");
    let header = ruvltra_export::gguf::GgufHeader::read_path(&gguf).unwrap();
    let family = header.architecture().unwrap().to_owned();
    let model_type =
        ruvltra_export::push::from_resolved::ollama_model_type(header.parameter_count());
    let config = |extra: &[&str]| -> serde_json::Value {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let output = Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
            .args(["push", "--to", "bundle", "--dir", store.to_str().unwrap()])
            .args(["--gguf", gguf.to_str().unwrap(), "--name", "ruv/small:q4"])
            .args(extra)
            .env("XDG_CACHE_HOME", dir.path())
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(store.join("manifests/registry.ollama.ai/ruv/small/q4")).unwrap(),
        )
        .unwrap();
        let digest = manifest["config"]["digest"]
            .as_str()
            .unwrap()
            .replace(':', "-");
        serde_json::from_slice(&std::fs::read(store.join("blobs").join(digest)).unwrap()).unwrap()
    };
    let config_of_header = config(&[]);
    assert_eq!(config_of_header["model_family"], family.as_str());
    assert_eq!(config_of_header["model_families"][0], family.as_str());
    assert_eq!(config_of_header["file_type"], "Q4_K_M");
    assert_eq!(config_of_header["model_type"], model_type.as_str());
    assert!(!model_type.is_empty() && model_type != "0");
    let given = config(&["--family", "llama", "--file-type", "Q8_0"]);
    assert_eq!(given["model_family"], "llama");
    assert_eq!(given["file_type"], "Q8_0");
}

fn support_root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// #14 item 21: a publish ollama.com refuses (the server's key is not on the account) says
/// where to add the key.
#[test]
fn a_refused_publish_says_where_the_key_goes() {
    let dir = tempfile::tempdir().unwrap();
    let gguf = fake_gguf(dir.path(), "ruvltra-Q8_0.gguf", 20_000, 9);
    let server = FakeOllama::start("0.12.0");
    server.fail_after_200(
        "push",
        "you are not authorized to push to this namespace, create the model under a namespace you own",
    );
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
    assert!(!ok, "{all}");
    assert!(
        all.contains("hint: the Ollama server publishes with its own key")
            && all.contains("https://ollama.com/settings/keys"),
        "{all}"
    );
}
