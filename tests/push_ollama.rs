//! The ollama backend against a local stand-in for Ollama's HTTP API
//! (`tests/support/fake_ollama.rs`): plan, push, verify, re-runs, the pre-0.5.5 Modelfile
//! form, error lines after a 200, stale tags, publishing, injected faults, and v0.33's
//! `parser`, `requires` and `info.capabilities` fields.

#[path = "support/fake_ollama.rs"]
mod fake_ollama;
#[path = "support/fault_injection.rs"]
mod fault_injection;

use std::path::Path;
use std::time::Duration;

use fake_ollama::FakeOllama;
use fault_injection::{Fault, Run, fake_gguf, push_all};
use ruvltra_export::digest::Digest;
use ruvltra_export::push::ollama_api::{OllamaBackend, OllamaHost, OllamaTarget};
use ruvltra_export::push::{Action, Backend, ItemKind, OllamaMessage, OllamaModel, Release};
use serde_json::json;

fn model(dir: &Path, name: &str, seed: u8) -> OllamaModel {
    let gguf = fake_gguf(dir, &format!("ruvltra-{seed}-Q4_K_M.gguf"), 300_000, seed);
    let mut model = OllamaModel::new(name.parse().unwrap(), gguf);
    model.template = Some("{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}<|im_start|>user\n{{ .Prompt }}<|im_end|>\n<|im_start|>assistant\n".into());
    model.system = Some("You are RuvLTRA.".into());
    model.licenses = vec!["Apache-2.0".into()];
    model
        .params
        .insert("stop".into(), json!(["<|im_end|>", "<|endoftext|>"]));
    model.params.insert("num_ctx".into(), json!(8192));
    model.params.insert("temperature".into(), json!(0.7));
    model.messages = vec![OllamaMessage {
        role: "user".into(),
        content: "Hello".into(),
    }];
    model
}

fn backend(server: &FakeOllama, publish: Option<&str>) -> OllamaBackend {
    let target = OllamaTarget {
        host: OllamaHost::parse(&server.url()).unwrap(),
        publish_namespace: publish.map(str::to_string),
        insecure: false,
    };
    OllamaBackend::new(target).unwrap()
}

fn hex_of(path: &Path) -> String {
    Digest::of_bytes(&std::fs::read(path).unwrap()).hex()
}

#[test]
fn push_creates_a_typed_model_and_a_rerun_uploads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeOllama::start("0.6.0");
    let release = Release {
        models: vec![model(dir.path(), "ruv/ruvltra:q4_k_m", 1)],
        files: Vec::new(),
    };
    let backend = backend(&server, None);
    let run = Run::new();
    let ctx = run.ctx();

    let plan = backend.plan(&release, &ctx).unwrap();
    assert_eq!(plan.items.len(), 2, "{plan:?}");
    assert_eq!(plan.items[0].action, Action::Upload);
    assert_eq!(plan.items[1].action, Action::Create);
    assert_eq!(plan.bytes_to_send(), 300_000);
    assert_eq!(server.total_blob_bytes(), 0, "a plan writes nothing");
    assert!(server.state.lock().unwrap().create_requests.is_empty());
    let report = backend.push(&plan, &release, &ctx).unwrap();
    assert_eq!(report.bytes_sent, 300_000);

    let hex = hex_of(&release.models[0].gguf[0]);
    assert_eq!(server.uploads_stored(&hex), 1);
    assert_eq!(server.bytes_received(&hex), 300_000);
    let request = server.state.lock().unwrap().create_requests[0].clone();
    assert_eq!(request["model"], json!("ruv/ruvltra:q4_k_m"));
    assert_eq!(
        request["files"]["ruvltra-1-Q4_K_M.gguf"],
        json!(format!("sha256:{hex}"))
    );
    assert_eq!(
        request["parameters"]["num_ctx"],
        json!(8192),
        "typed, not a string"
    );
    assert_eq!(
        request["parameters"]["stop"],
        json!(["<|im_end|>", "<|endoftext|>"])
    );
    assert_eq!(request["license"], json!("Apache-2.0"));
    assert_eq!(
        request["messages"],
        json!([{"role": "user", "content": "Hello"}])
    );

    let verify = backend.verify(&release, &ctx).unwrap();
    assert!(verify.is_ok(), "{verify:#?}");

    let again = backend.plan(&release, &ctx).unwrap();
    assert!(again.is_up_to_date(), "{again:#?}");
    let report = backend.push(&again, &release, &ctx).unwrap();
    assert_eq!(report.bytes_sent, 0);
    assert_eq!(
        server.total_blob_bytes(),
        300_000,
        "the re-run sent no blob bytes"
    );
    assert_eq!(
        server.state.lock().unwrap().create_requests.len(),
        1,
        "nothing to re-create"
    );
}

#[test]
fn a_pre_055_server_gets_the_modelfile_form() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeOllama::start("0.5.4");
    // The stand-in refuses the files form as an old server does.
    let refused = reqwest::blocking::Client::new()
        .post(format!("{}/api/create", server.url()))
        .json(&json!({"model": "x", "files": {}}))
        .send()
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(
        refused.json::<serde_json::Value>().unwrap()["error"],
        json!("path or Modelfile are required")
    );

    let release = Release {
        models: vec![model(dir.path(), "ruv/ruvltra:q4_k_m", 2)],
        files: Vec::new(),
    };
    let backend = backend(&server, None);
    let run = Run::new();
    let plan = backend.plan(&release, &run.ctx()).unwrap();
    assert!(
        plan.items[1].name.contains("Modelfile form, server 0.5.4"),
        "{plan:#?}"
    );
    backend.push(&plan, &release, &run.ctx()).unwrap();
    let request = server
        .state
        .lock()
        .unwrap()
        .create_requests
        .last()
        .cloned()
        .unwrap();
    let modelfile = request["modelfile"].as_str().unwrap();
    let hex = hex_of(&release.models[0].gguf[0]);
    assert!(
        modelfile.starts_with(&format!("FROM @sha256:{hex}\n")),
        "{modelfile}"
    );
    assert!(request.get("files").is_none());
    assert!(server.model("ruv/ruvltra:q4_k_m").unwrap().via_modelfile);
    let verify = backend.verify(&release, &run.ctx()).unwrap();
    assert!(verify.is_ok(), "{verify:#?}");
}

#[test]
fn an_error_line_after_200_fails_the_push_and_a_rerun_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeOllama::start("0.12.0");
    server.fail_after_200("create", "unsupported model architecture \"ruvltra\"");
    let release = Release {
        models: vec![model(dir.path(), "ruv/ruvltra:q4_k_m", 3)],
        files: Vec::new(),
    };
    let backend = backend(&server, None);
    let run = Run::new();
    let err = push_all(&backend, &release, &run).unwrap_err();
    let text = ruvltra_export::push::error_chain(&err);
    assert!(text.contains("unsupported model architecture"), "{text}");
    assert!(text.contains("after status `parsing GGUF`"), "{text}");
    assert!(server.model("ruv/ruvltra:q4_k_m").is_none());

    push_all(&backend, &release, &run).unwrap();
    let hex = hex_of(&release.models[0].gguf[0]);
    assert_eq!(
        server.uploads_stored(&hex),
        1,
        "the blob was not sent again"
    );
    assert_eq!(server.bytes_received(&hex), 300_000);
    assert!(backend.verify(&release, &run.ctx()).unwrap().is_ok());
}

#[test]
fn faults_are_survived_without_uploading_twice() {
    let faults: Vec<(&str, &str, Fault)> = vec![
        ("POST", "/api/blobs/", Fault::Status(503)),
        (
            "POST",
            "/api/blobs/",
            Fault::TooManyRequests {
                retry_after_secs: 1,
            },
        ),
        ("POST", "/api/blobs/", Fault::CutAfter(100_000)),
        ("HEAD", "/api/blobs/", Fault::Status(502)),
        ("POST", "/api/create", Fault::Status(500)),
        (
            "POST",
            "/api/create",
            Fault::Slow(Duration::from_millis(300)),
        ),
        (
            "POST",
            "/api/show",
            Fault::TooManyRequests {
                retry_after_secs: 0,
            },
        ),
    ];
    for (method, path, fault) in faults {
        let dir = tempfile::tempdir().unwrap();
        let server = FakeOllama::start("0.12.0");
        server.faults.inject(method, path, fault.clone(), 1);
        let release = Release {
            models: vec![model(dir.path(), "ruv/ruvltra:q4_k_m", 4)],
            files: Vec::new(),
        };
        let backend = backend(&server, None);
        let run = Run::new();
        push_all(&backend, &release, &run).unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        let verify = backend.verify(&release, &run.ctx()).unwrap();
        assert!(verify.is_ok(), "{fault:?}: {verify:#?}");
        assert_eq!(server.faults.fired(), 1, "{fault:?} did not fire");
        let hex = hex_of(&release.models[0].gguf[0]);
        assert_eq!(server.uploads_stored(&hex), 1, "{fault:?}");
        assert_eq!(
            server.bytes_received(&hex),
            300_000,
            "{fault:?}: the handler got the blob once"
        );
        let retried = run.recorder.count("Retrying");
        if matches!(fault, Fault::Slow(_)) {
            assert_eq!(retried, 0, "a slow answer is waited for, not retried");
        } else {
            assert_eq!(retried, 1, "{fault:?}: {:?}", run.recorder.events());
        }
    }
}

#[test]
fn stale_tags_are_listed_and_deleted_only_with_prune() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeOllama::start("0.12.0");
    let backend = backend(&server, None);
    let run = Run::new();
    let old = Release {
        models: vec![model(dir.path(), "ruv/ruvltra:q8_0", 5)],
        files: Vec::new(),
    };
    push_all(&backend, &old, &run).unwrap();
    let unrelated = Release {
        models: vec![model(dir.path(), "someone/else:latest", 5)],
        files: Vec::new(),
    };
    push_all(&backend, &unrelated, &run).unwrap();

    let current = Release {
        models: vec![model(dir.path(), "ruv/ruvltra:q4_k_m", 6)],
        files: Vec::new(),
    };
    let plan = backend.plan(&current, &run.ctx()).unwrap();
    let stale: Vec<&str> = plan.stale.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(stale, ["ruv/ruvltra:q8_0"]);
    backend.push(&plan, &current, &run.ctx()).unwrap();
    assert!(
        server.model("ruv/ruvltra:q8_0").is_some(),
        "kept without prune"
    );

    let mut ctx = run.ctx();
    ctx.options.prune = true;
    let plan = backend.plan(&current, &ctx).unwrap();
    let report = backend.push(&plan, &current, &ctx).unwrap();
    assert_eq!(report.pruned, ["ruv/ruvltra:q8_0"]);
    assert!(server.model("ruv/ruvltra:q8_0").is_none());
    assert!(server.model("someone/else").is_some());
}

#[test]
fn publishing_copies_to_the_namespace_and_pushes() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeOllama::start("0.12.0");
    let release = Release {
        models: vec![model(dir.path(), "ruvltra:q4_k_m", 7)],
        files: Vec::new(),
    };
    let backend = backend(&server, Some("ruv"));
    let run = Run::new();
    let plan = backend.plan(&release, &run.ctx()).unwrap();
    assert!(
        plan.items
            .iter()
            .any(|i| i.kind == ItemKind::Manifest && i.name == "publish ruv/ruvltra:q4_k_m")
    );
    backend.push(&plan, &release, &run.ctx()).unwrap();
    assert_eq!(server.state.lock().unwrap().pushed, ["ruv/ruvltra:q4_k_m"]);
    assert!(server.model("ruv/ruvltra:q4_k_m").is_some());

    let bad = self::backend(&server, Some("no.dots"));
    let err = bad.plan(&release, &run.ctx()).unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot publish under namespace `no.dots`"),
        "{err}"
    );

    server.fail_after_200("push", "you are not authorized to push to this namespace");
    let err = push_all(&backend, &release, &run).unwrap_err();
    assert!(
        ruvltra_export::push::error_chain(&err).contains("not authorized to push"),
        "{err}"
    );
}

#[test]
fn verify_shows_both_sides_of_a_changed_template_and_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeOllama::start("0.12.0");
    let release = Release {
        models: vec![model(dir.path(), "ruv/ruvltra:q4_k_m", 8)],
        files: Vec::new(),
    };
    let backend = backend(&server, None);
    let run = Run::new();
    push_all(&backend, &release, &run).unwrap();
    {
        let mut state = server.state.lock().unwrap();
        let stored = state.models.get_mut("ruv/ruvltra:q4_k_m").unwrap();
        stored.template = Some("{{ .Prompt }}".into());
        stored.parameters.insert("num_ctx".into(), json!("8192"));
    }
    let verify = backend.verify(&release, &run.ctx()).unwrap();
    assert!(!verify.is_ok());
    let failed: Vec<_> = verify.checks.iter().filter(|c| !c.ok).collect();
    assert_eq!(failed.len(), 2, "{failed:#?}");
    assert!(
        failed[0].detail.contains("first difference at byte 3"),
        "{}",
        failed[0].detail
    );
    assert!(
        failed[0].detail.contains("registry: \"{{ .Prompt }}\""),
        "{}",
        failed[0].detail
    );
    assert_eq!(
        failed[1].detail,
        "num_ctx: expected 8192, server has \"8192\""
    );
    let plan = backend.plan(&release, &run.ctx()).unwrap();
    assert_eq!(
        plan.items[1].action,
        Action::Replace,
        "a drifted model is re-created"
    );
}

#[test]
fn parser_requires_and_capabilities_are_sent_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeOllama::start("0.33.0");
    let mut qwen = model(dir.path(), "ruv/qwen3:q4_k_m", 10);
    qwen.template = Some("{{ range .Messages }}{{ .Content }}{{ end }}".into());
    qwen.parser = Some("qwen3".into());
    qwen.requires = Some("0.14.0".into());
    qwen.capabilities = vec!["tools".into(), "thinking".into()];
    let release = Release {
        models: vec![qwen],
        files: Vec::new(),
    };
    let backend = backend(&server, None);
    let run = Run::new();
    push_all(&backend, &release, &run).unwrap();
    let request = server.state.lock().unwrap().create_requests[0].clone();
    assert_eq!(request["parser"], json!("qwen3"));
    assert_eq!(request["requires"], json!("0.14.0"));
    assert_eq!(
        request["info"]["capabilities"],
        json!(["tools", "thinking"])
    );
    let verify = backend.verify(&release, &run.ctx()).unwrap();
    assert!(verify.is_ok(), "{verify:#?}");
    let names: Vec<&str> = verify.checks.iter().map(|c| c.name.as_str()).collect();
    for check in ["parser of", "requires of", "capabilities of"] {
        assert!(names.iter().any(|n| n.starts_with(check)), "{names:?}");
    }

    // What the server says is what verify reads: a model that lost its PARSER and a
    // capability fails, with both sides shown.
    {
        let mut state = server.state.lock().unwrap();
        let stored = state.models.get_mut("ruv/qwen3:q4_k_m").unwrap();
        stored.parser = None;
        stored.info_capabilities = vec!["tools".into()];
    }
    let verify = backend.verify(&release, &run.ctx()).unwrap();
    let failed: Vec<_> = verify.checks.iter().filter(|c| !c.ok).collect();
    assert_eq!(failed.len(), 2, "{failed:#?}");
    assert_eq!(
        failed[0].detail,
        "expected PARSER qwen3, the server's Modelfile has no PARSER"
    );
    assert!(
        failed[1].detail.contains("expected thinking"),
        "{}",
        failed[1].detail
    );
}

#[test]
fn a_server_older_than_requires_is_refused_before_create() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeOllama::start("0.13.2");
    let mut qwen = model(dir.path(), "ruv/qwen3:q4_k_m", 11);
    qwen.parser = Some("qwen3".into());
    qwen.requires = Some("0.14.0".into());
    let release = Release {
        models: vec![qwen],
        files: Vec::new(),
    };
    let backend = backend(&server, None);
    let run = Run::new();
    let err = push_all(&backend, &release, &run).unwrap_err().to_string();
    assert!(
        err.contains("needs Ollama 0.14.0 or later") && err.contains("is 0.13.2"),
        "{err}"
    );
    assert!(server.state.lock().unwrap().create_requests.is_empty());
    // The stand-in itself refuses it too, as the real server does.
    let direct = reqwest::blocking::Client::new()
        .post(format!("{}/api/create", server.url()))
        .json(&json!({"model": "x", "files": {}, "requires": "0.14.0"}))
        .send()
        .unwrap();
    assert_eq!(direct.status(), 400);
}

#[test]
fn the_stand_in_checks_digests_like_ollama() {
    let server = FakeOllama::start("0.12.0");
    let client = reqwest::blocking::Client::new();
    let good = Digest::of_bytes(b"abc");
    let url = |d: &str| format!("{}/api/blobs/{d}", server.url());
    let wrong = client
        .post(url(&good.to_string()))
        .body("abd")
        .send()
        .unwrap();
    assert_eq!(wrong.status(), 400);
    assert_eq!(
        wrong.json::<serde_json::Value>().unwrap()["error"],
        json!("digest mismatch")
    );
    assert_eq!(client.head(url("sha256:xyz")).send().unwrap().status(), 400);
    let bad = client.post(url("md5:0")).body("abc").send().unwrap();
    assert_eq!(
        bad.json::<serde_json::Value>().unwrap()["error"],
        json!("invalid digest format")
    );
    assert_eq!(
        client
            .post(url(&good.to_string()))
            .body("abc")
            .send()
            .unwrap()
            .status(),
        201
    );
    assert_eq!(
        client
            .post(url(&good.to_string()))
            .body("abc")
            .send()
            .unwrap()
            .status(),
        200
    );
    let missing = client
        .post(format!("{}/api/show", server.url()))
        .json(&json!({"model": "x"}))
        .send()
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<serde_json::Value>().unwrap()["error"],
        json!("model 'x' not found")
    );
}

#[test]
fn an_unreachable_server_is_a_clear_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let target = OllamaTarget {
        host: OllamaHost::parse(&url).unwrap(),
        ..OllamaTarget::default()
    };
    let backend = OllamaBackend::new(target).unwrap();
    let run = Run::new();
    let mut ctx = run.ctx();
    ctx.options.retry.max_attempts = 2;
    let err = backend.plan(&Release::default(), &ctx).unwrap_err();
    // A refused connection fails at once (#14 item 21): nothing listens, retrying only waits.
    let text = ruvltra_export::push::error_chain(&err);
    assert!(
        text.contains("connection refused")
            && text.contains("is Ollama running at OLLAMA_HOST?")
            && text.contains(&url),
        "{text}"
    );
}

#[test]
fn projectors_go_in_files_and_adapters_in_adapters() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeOllama::start("0.12.0");
    let mut with_parts = model(dir.path(), "ruv/ruvltra-vl:q4_k_m", 9);
    with_parts.projectors = vec![fake_gguf(dir.path(), "mmproj-f16.gguf", 5_000, 10)];
    with_parts.adapters = vec![fake_gguf(dir.path(), "lora.gguf", 4_000, 11)];
    let release = Release {
        models: vec![with_parts],
        files: Vec::new(),
    };
    let backend = backend(&server, None);
    let run = Run::new();
    push_all(&backend, &release, &run).unwrap();
    let request = server.state.lock().unwrap().create_requests[0].clone();
    let files = request["files"].as_object().unwrap();
    assert_eq!(files.len(), 2, "{request}");
    assert!(files.contains_key("mmproj-f16.gguf"));
    assert_eq!(
        request["adapters"]["lora.gguf"],
        json!(format!("sha256:{}", hex_of(&release.models[0].adapters[0])))
    );
    assert!(backend.verify(&release, &run.ctx()).unwrap().is_ok());

    let mut clash = model(dir.path(), "ruv/clash:q4", 12);
    let other = tempfile::tempdir().unwrap();
    clash.projectors = vec![fake_gguf(other.path(), "ruvltra-12-Q4_K_M.gguf", 100, 13)];
    let err = backend
        .plan(
            &Release {
                models: vec![clash],
                files: Vec::new(),
            },
            &run.ctx(),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("two GGUF files named `ruvltra-12-Q4_K_M.gguf`"),
        "{err}"
    );
}

/// The plan of a first push and the error of a failed create, as a person reads them (server
/// URL replaced).
#[test]
fn plan_and_error_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeOllama::start("0.12.0");
    let release = Release {
        models: vec![model(dir.path(), "ruv/ruvltra:q4_k_m", 1)],
        files: Vec::new(),
    };
    let backend = backend(&server, Some("ruv-public"));
    let run = Run::new();
    let plan = backend.plan(&release, &run.ctx()).unwrap();
    let json = serde_json::to_string_pretty(&plan)
        .unwrap()
        .replace(&server.url(), "[OLLAMA]");
    insta::assert_snapshot!("first_plan", json);

    server.fail_after_200("create", "unsupported model architecture \"ruvltra\"");
    let err = backend.push(&plan, &release, &run.ctx()).unwrap_err();
    let chain = ruvltra_export::push::error_chain(&err).replace(&server.url(), "[OLLAMA]");
    insta::assert_snapshot!("create_error_line", chain);
}
