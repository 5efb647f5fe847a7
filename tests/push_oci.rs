//! The oci backend against a real registry (Debian's `docker-registry`, the CNCF distribution
//! registry, started by `scripts/setup/40-registry.sh` on 127.0.0.1), read back by a second,
//! independent client (`skopeo`), with faults injected by a local proxy.

#[path = "support/registry.rs"]
mod registry;
mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use registry::{
    Fault, FaultProxy, Recorder, Rule, auth_registry, auth_user, oci_backend, open_registry,
    transfer_options, unique,
};
use ruvltra_export::push::oci::{Credentials, OciBackend};
use ruvltra_export::push::{
    Action, Backend, DigestCache, OllamaImage, OllamaModel, Plan, PushContext, PushError,
    QuietProgress, Release,
};
use ruvltra_export::secret::Secret;

fn gguf(name: &str) -> PathBuf {
    let path = support::corpus_dir().join("gguf").join(name);
    assert!(path.is_file(), "corpus file {} is missing", path.display());
    path
}

fn model(repository: &str, tag: &str, gguf_name: &str) -> OllamaModel {
    let mut model = OllamaModel::new(
        format!("{repository}:{tag}").parse().unwrap(),
        gguf(gguf_name),
    );
    model.template =
        Some("{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}".into());
    model.system = Some("You are RuvLTRA.".into());
    model.licenses = vec!["Apache-2.0".into()];
    model.params.insert("stop".into(), "<|im_end|>".into());
    model.params.insert("num_ctx".into(), 4096.into());
    model.config.model_family = "qwen2".into();
    model.config.model_type = "494.03M".into();
    model.config.file_type = "Q4_K_M".into();
    model
}

fn release(models: Vec<OllamaModel>) -> Release {
    Release {
        models,
        files: Vec::new(),
    }
}

fn total_blob_bytes(release: &Release) -> u64 {
    let cache = DigestCache::in_memory();
    release
        .models
        .iter()
        .flat_map(|m| {
            let image = OllamaImage::build(m, &cache, &QuietProgress).unwrap();
            image
                .unique_blobs()
                .iter()
                .map(|b| b.size())
                .collect::<Vec<_>>()
        })
        .sum()
}

fn skopeo_raw(registry: &str, reference: &str, creds: Option<&(String, String)>) -> Vec<u8> {
    let mut command = Command::new("skopeo");
    command.args(["inspect", "--raw", "--tls-verify=false"]);
    if let Some((user, password)) = creds {
        command.arg(format!("--creds={user}:{password}"));
    }
    let output = command
        .arg(format!("docker://{registry}/{reference}"))
        .output()
        .expect("skopeo is installed by scripts/setup/40-registry.sh");
    assert!(
        output.status.success(),
        "skopeo failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn push_all(backend: &OciBackend, release: &Release, ctx: &PushContext<'_>) -> (Plan, u64) {
    let plan = backend.plan(release, ctx).unwrap();
    let report = backend.push(&plan, release, ctx).unwrap();
    (plan, report.bytes_sent)
}

#[test]
fn push_verify_repush_and_read_back_with_skopeo() {
    let registry = open_registry();
    let repository = format!("ruvltra/{}", unique("open"));
    let release = release(vec![model(&repository, "q4_k_m", "ggml-vocab-phi-3.gguf")]);
    let backend = oci_backend(&registry, None, Vec::new());
    let digests = DigestCache::in_memory();
    let ctx = PushContext::new(&digests, &QuietProgress, transfer_options(64 << 20));
    let plan = backend.plan(&release, &ctx).unwrap();
    assert!(
        plan.items
            .iter()
            .all(|i| matches!(i.action, Action::Upload | Action::Create)),
        "{plan:#?}"
    );
    assert_eq!(
        plan.items.len(),
        7,
        "config, 5 layers and the manifest: {plan:#?}"
    );
    let report = backend.push(&plan, &release, &ctx).unwrap();
    let image = OllamaImage::build(&release.models[0], &digests, &QuietProgress).unwrap();
    assert_eq!(
        report.bytes_sent,
        total_blob_bytes(&release) + image.manifest.len() as u64
    );

    let verify = backend.verify(&release, &ctx).unwrap();
    assert!(verify.is_ok(), "{verify:#?}");
    assert!(
        verify.warnings.iter().any(|w| w.contains("7244")),
        "a plain registry serves blobs with 200: {verify:#?}"
    );
    let raw = skopeo_raw(&registry, &format!("{repository}:q4_k_m"), None);
    assert_eq!(
        raw,
        image.manifest.to_vec(),
        "skopeo reads back the exact manifest bytes"
    );

    let again = backend.plan(&release, &ctx).unwrap();
    assert!(again.is_up_to_date(), "{again:#?}");
    let report = backend.push(&again, &release, &ctx).unwrap();
    assert_eq!(report.bytes_sent, 0);
    assert_eq!(
        digests.bytes_hashed(),
        std::fs::metadata(gguf("ggml-vocab-phi-3.gguf"))
            .unwrap()
            .len()
    );
}

#[test]
fn authenticated_registry_needs_the_right_password() {
    let registry = auth_registry();
    let (user, password) = auth_user();
    let repository = format!("ruvltra/{}", unique("auth"));
    let release = release(vec![model(&repository, "q4", "ggml-vocab-phi-3.gguf")]);
    let digests = DigestCache::in_memory();
    let ctx = PushContext::new(&digests, &QuietProgress, transfer_options(64 << 20));

    let err = oci_backend(&registry, None, Vec::new())
        .plan(&release, &ctx)
        .unwrap_err();
    assert!(matches!(err, PushError::Unauthorized { .. }), "{err}");
    let wrong = Credentials {
        username: user.clone(),
        password: Secret::new("wrong-password"),
    };
    let err = oci_backend(&registry, Some(wrong), Vec::new())
        .plan(&release, &ctx)
        .unwrap_err();
    assert!(
        matches!(err, PushError::Unauthorized { status: 401, .. }),
        "{err}"
    );
    assert!(!err.to_string().contains("wrong-password"), "{err}");

    let right = Credentials {
        username: user.clone(),
        password: Secret::new(password.clone()),
    };
    let backend = oci_backend(&registry, Some(right), Vec::new());
    push_all(&backend, &release, &ctx);
    assert!(backend.verify(&release, &ctx).unwrap().is_ok());
    let image = OllamaImage::build(&release.models[0], &digests, &QuietProgress).unwrap();
    assert_eq!(
        skopeo_raw(
            &registry,
            &format!("{repository}:q4"),
            Some(&(user, password))
        ),
        image.manifest.to_vec()
    );
    assert!(backend.plan(&release, &ctx).unwrap().is_up_to_date());
}

#[test]
fn chunked_upload_survives_a_cut_connection_without_sending_twice() {
    let proxy = FaultProxy::start(&open_registry());
    proxy.add(Rule {
        method: "PATCH",
        path_contains: "/blobs/uploads/",
        skip: 2,
        times: 1,
        fault: Fault::Cut,
    });
    let repository = format!("ruvltra/{}", unique("cut"));
    let release = release(vec![model(&repository, "q4", "ggml-vocab-qwen2.gguf")]);
    let backend = oci_backend(&proxy.addr(), None, Vec::new());
    let digests = DigestCache::in_memory();
    let recorder = Recorder::default();
    let ctx = PushContext::new(&digests, &recorder, transfer_options(1 << 20));
    let (_, sent) = push_all(&backend, &release, &ctx);
    assert!(
        proxy.log().iter().any(|l| l.ends_with("-> cut")),
        "{:#?}",
        proxy.log()
    );
    assert_eq!(recorder.retries().len(), 1, "{:#?}", recorder.retries());
    let image = OllamaImage::build(&release.models[0], &digests, &QuietProgress).unwrap();
    let expected = total_blob_bytes(&release) + image.manifest.len() as u64;
    assert_eq!(
        proxy.uploaded(),
        expected,
        "every byte reached the registry exactly once"
    );
    assert_eq!(sent, expected);
    assert!(backend.verify(&release, &ctx).unwrap().is_ok());
}

#[test]
fn interrupted_push_resumes_in_the_next_command() {
    let proxy = FaultProxy::start(&open_registry());
    proxy.add(Rule {
        method: "PATCH",
        path_contains: "/blobs/uploads/",
        skip: 2,
        times: 100,
        fault: Fault::Cut,
    });
    let state = tempfile::tempdir().unwrap();
    let repository = format!("ruvltra/{}", unique("resume"));
    let release = release(vec![model(&repository, "q4", "ggml-vocab-qwen2.gguf")]);
    let backend = oci_backend(&proxy.addr(), None, Vec::new());
    let digests = DigestCache::in_memory();
    let mut options = transfer_options(1 << 20);
    options.state_dir = Some(state.path().to_path_buf());
    options.retry.max_attempts = 2;
    options.parallel = 1;
    let ctx = PushContext::new(&digests, &QuietProgress, options);
    let plan = backend.plan(&release, &ctx).unwrap();
    let err = backend.push(&plan, &release, &ctx).unwrap_err();
    assert!(matches!(err, PushError::RetriesExhausted { .. }), "{err}");
    assert_eq!(
        proxy.forwarded("PATCH"),
        2 << 20,
        "two chunks got through before the cuts"
    );

    proxy.clear();
    let plan = backend.plan(&release, &ctx).unwrap();
    let planned = plan
        .items
        .iter()
        .find(|i| i.name.contains("ggml-vocab-qwen2"))
        .unwrap();
    assert_eq!(
        planned.action,
        Action::Resume { offset: 2 << 20 },
        "the plan shows the resume"
    );
    let report = backend.push(&plan, &release, &ctx).unwrap();
    let gguf_outcome = report
        .items
        .iter()
        .find(|i| i.name.contains("ggml-vocab-qwen2"))
        .unwrap();
    assert_eq!(
        gguf_outcome.action,
        Action::Resume { offset: 2 << 20 },
        "{report:#?}"
    );
    let image = OllamaImage::build(&release.models[0], &digests, &QuietProgress).unwrap();
    assert_eq!(
        proxy.uploaded(),
        total_blob_bytes(&release) + image.manifest.len() as u64,
        "the resumed push sent only what was missing"
    );
    assert!(backend.verify(&release, &ctx).unwrap().is_ok());
}

#[test]
fn server_errors_and_rate_limits_are_retried() {
    let proxy = FaultProxy::start(&open_registry());
    let busy = Fault::Status(503, Vec::new());
    let limited = Fault::Status(429, vec![("Retry-After", "1".to_string())]);
    for (method, path, fault) in [
        ("HEAD", "/blobs/", busy.clone()),
        ("POST", "/blobs/uploads/", limited),
        ("PUT", "/blobs/uploads/", Fault::Status(500, Vec::new())),
        ("PUT", "/manifests/", busy),
        (
            "GET",
            "/manifests/",
            Fault::Delay(Duration::from_millis(300)),
        ),
    ] {
        proxy.add(Rule {
            method,
            path_contains: path,
            skip: 0,
            times: 1,
            fault,
        });
    }
    let repository = format!("ruvltra/{}", unique("flaky"));
    let release = release(vec![model(&repository, "q4", "ggml-vocab-phi-3.gguf")]);
    let backend = oci_backend(&proxy.addr(), None, Vec::new());
    let digests = DigestCache::in_memory();
    let recorder = Recorder::default();
    let ctx = PushContext::new(&digests, &recorder, transfer_options(64 << 20));
    let started = std::time::Instant::now();
    push_all(&backend, &release, &ctx);
    let retries = recorder.retries();
    assert_eq!(retries.len(), 4, "{retries:#?}");
    assert!(
        retries.iter().any(|e| matches!(
            e,
            ruvltra_export::push::ProgressEvent::Retrying { wait_ms: 1000, .. }
        )),
        "Retry-After: 1 is honoured: {retries:#?}"
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
    let image = OllamaImage::build(&release.models[0], &digests, &QuietProgress).unwrap();
    assert_eq!(
        proxy.uploaded(),
        total_blob_bytes(&release) + image.manifest.len() as u64
    );
    assert!(backend.verify(&release, &ctx).unwrap().is_ok());
}

#[test]
fn client_errors_fail_fast_with_the_registry_message() {
    let proxy = FaultProxy::start(&open_registry());
    proxy.add(Rule {
        method: "PUT",
        path_contains: "/manifests/",
        skip: 0,
        times: 100,
        fault: Fault::Status(400, Vec::new()),
    });
    let repository = format!("ruvltra/{}", unique("bad"));
    let release = release(vec![model(&repository, "q4", "ggml-vocab-phi-3.gguf")]);
    let backend = oci_backend(&proxy.addr(), None, Vec::new());
    let digests = DigestCache::in_memory();
    let recorder = Recorder::default();
    let ctx = PushContext::new(&digests, &recorder, transfer_options(64 << 20));
    let plan = backend.plan(&release, &ctx).unwrap();
    let err = backend.push(&plan, &release, &ctx).unwrap_err();
    assert!(
        matches!(err, PushError::Remote { status: 400, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("injected 400"), "{err}");
    assert!(recorder.retries().is_empty());
}

#[test]
fn blobs_in_another_repository_are_mounted() {
    let registry = open_registry();
    let first = format!("ruvltra/{}", unique("first"));
    let second = format!("ruvltra/{}", unique("second"));
    let digests = DigestCache::in_memory();
    let ctx = PushContext::new(&digests, &QuietProgress, transfer_options(64 << 20));
    let one = release(vec![model(&first, "q4", "ggml-vocab-phi-3.gguf")]);
    push_all(&oci_backend(&registry, None, Vec::new()), &one, &ctx);

    let two = release(vec![model(&second, "q4", "ggml-vocab-phi-3.gguf")]);
    let backend = oci_backend(&registry, None, vec![first.clone()]);
    let plan = backend.plan(&two, &ctx).unwrap();
    let gguf_item = plan
        .items
        .iter()
        .find(|i| i.name.contains("phi-3"))
        .unwrap();
    assert_eq!(
        gguf_item.action,
        Action::Mount {
            from: first.clone()
        }
    );
    let report = backend.push(&plan, &two, &ctx).unwrap();
    let image = OllamaImage::build(&two.models[0], &digests, &QuietProgress).unwrap();
    assert_eq!(
        report.bytes_sent,
        image.manifest.len() as u64,
        "every blob was mounted: {report:#?}"
    );
    assert!(backend.verify(&two, &ctx).unwrap().is_ok());
}

#[test]
fn stale_tags_are_listed_and_pruned_only_when_asked() {
    let registry = open_registry();
    let repository = format!("ruvltra/{}", unique("stale"));
    let digests = DigestCache::in_memory();
    let mut ctx = PushContext::new(&digests, &QuietProgress, transfer_options(64 << 20));
    let mut q8 = model(&repository, "q8", "ggml-vocab-phi-3.gguf");
    q8.config.file_type = "Q8_0".into();
    let backend = oci_backend(&registry, None, Vec::new());
    push_all(
        &backend,
        &release(vec![model(&repository, "q4", "ggml-vocab-phi-3.gguf"), q8]),
        &ctx,
    );

    let only_q4 = release(vec![model(&repository, "q4", "ggml-vocab-phi-3.gguf")]);
    let plan = backend.plan(&only_q4, &ctx).unwrap();
    let stale: Vec<&str> = plan.stale.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(stale, [format!("{repository}:q8")]);
    let report = backend.push(&plan, &only_q4, &ctx).unwrap();
    assert!(report.pruned.is_empty());
    assert_eq!(
        backend.plan(&only_q4, &ctx).unwrap().stale.len(),
        1,
        "nothing deleted without prune"
    );

    ctx.options.prune = true;
    let report = backend.push(&plan, &only_q4, &ctx).unwrap();
    assert_eq!(report.pruned, [format!("{repository}:q8")]);
    assert!(backend.plan(&only_q4, &ctx).unwrap().stale.is_empty());
    assert!(backend.verify(&only_q4, &ctx).unwrap().is_ok());
}

#[test]
fn authorization_never_follows_a_redirect_to_another_origin() {
    use registry::RecordingServer;
    use reqwest::header::{HeaderMap, HeaderValue};
    use ruvltra_export::push::http::{client, get_following_redirects};

    let storage = RecordingServer::start(|_| {
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello".into()
    });
    let storage_url = storage.url();
    let registry = RecordingServer::start(move |path| {
        let location = if path == "/v2/a/blobs/x" {
            "/v2/a/blobs/y".to_string()
        } else {
            format!("{storage_url}/bucket/y")
        };
        format!(
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    });
    let http = client().unwrap();
    let url = url::Url::parse(&format!("{}/v2/a/blobs/x", registry.url())).unwrap();
    let token = HeaderValue::from_static("Bearer secret-token");
    let (response, redirected) = get_following_redirects(
        &http,
        reqwest::Method::GET,
        &url,
        &HeaderMap::new(),
        Some(&token),
        "downloading",
    )
    .map_err(|_| "request failed")
    .unwrap();
    assert!(redirected);
    assert_eq!(response.text().unwrap(), "hello");
    let registry_heads = registry.heads();
    assert_eq!(
        registry_heads.len(),
        2,
        "one same-origin hop inside the registry"
    );
    for head in &registry_heads {
        assert!(
            head.to_ascii_lowercase()
                .contains("authorization: bearer secret-token"),
            "{head}"
        );
    }
    let storage_heads = storage.heads();
    assert_eq!(storage_heads.len(), 1);
    assert!(
        !storage_heads[0]
            .to_ascii_lowercase()
            .contains("authorization"),
        "{}",
        storage_heads[0]
    );
}

#[test]
fn bearer_token_challenge_is_answered_with_a_token_from_the_realm() {
    let proxy = FaultProxy::start(&open_registry());
    proxy.require_bearer("robot", "robot-password", "registry-token-123");
    let repository = format!("ruvltra/{}", unique("bearer"));
    let release = release(vec![model(&repository, "q4", "ggml-vocab-phi-3.gguf")]);
    let digests = DigestCache::in_memory();
    let ctx = PushContext::new(&digests, &QuietProgress, transfer_options(64 << 20));
    let wrong = Credentials {
        username: "robot".into(),
        password: Secret::new("nope"),
    };
    let err = oci_backend(&proxy.addr(), Some(wrong), Vec::new())
        .plan(&release, &ctx)
        .unwrap_err();
    assert!(matches!(err, PushError::Unauthorized { .. }), "{err}");
    assert!(!err.to_string().contains("nope"), "{err}");

    let right = Credentials {
        username: "robot".into(),
        password: Secret::new("robot-password"),
    };
    let backend = oci_backend(&proxy.addr(), Some(right), Vec::new());
    push_all(&backend, &release, &ctx);
    assert!(backend.verify(&release, &ctx).unwrap().is_ok());
    let requests = proxy.token_requests();
    assert!(
        requests.iter().any(|q| q.contains("service=test-registry")
            && q.contains(&format!(
                "repository%3A{}%3Apull%2Cpush",
                repository.replace('/', "%2F")
            ))),
        "the token is asked for the repository's push scope: {requests:#?}"
    );
}
