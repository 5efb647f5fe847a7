//! The modelscope backend against a local stand-in for ModelScope's API
//! (`tests/support/fake_modelscope.rs`): repository creation, LFS batches of at most 64,
//! commits of at most 256, the envelope inside a 200, injected faults, stale files, and
//! the token kept out of every message.

#[path = "support/fake_modelscope.rs"]
mod fake_modelscope;
#[path = "support/fault_injection.rs"]
mod fault_injection;

use std::path::Path;
use std::time::Duration;

use fake_modelscope::FakeModelScope;
use fault_injection::{Fault, Run, fake_gguf, push_all};
use ruvltra_export::push::modelscope::{
    ModelScopeBackend, ModelScopeEndpoint, ModelScopeTarget, Visibility,
};
use ruvltra_export::push::{Action, ArtifactFile, Backend, ItemKind, PushError, Release};
use ruvltra_export::secret::Secret;

const TOKEN: &str = "ms-secret-token-5f3a";

fn target(server: &FakeModelScope, token: &str) -> ModelScopeTarget {
    let mut target = ModelScopeTarget::new("ruv/ruvltra-GGUF".parse().unwrap(), Secret::new(token));
    target.endpoint = ModelScopeEndpoint::from_url(&server.url()).unwrap();
    target.visibility = Visibility::Private;
    target
}

fn backend(server: &FakeModelScope) -> ModelScopeBackend {
    ModelScopeBackend::new(target(server, TOKEN)).unwrap()
}

/// Two GGUFs, a generated file over 1 MiB (LFS), and two small generated files (inline).
fn release(dir: &Path, seed: u8) -> Release {
    let q4 = fake_gguf(dir, "ruvltra-Q4_K_M.gguf", 400_000, seed);
    let q8 = fake_gguf(dir, "ruvltra-Q8_0.gguf", 700_000, seed.wrapping_add(1));
    let big: Vec<u8> = (0..(1u32 << 20) + 10)
        .map(|i| b'a' + (i % 26) as u8)
        .collect();
    Release {
        models: Vec::new(),
        files: vec![
            ArtifactFile::from_path("ruvltra-Q4_K_M.gguf", q4).unwrap(),
            ArtifactFile::from_path("ruvltra-Q8_0.gguf", q8).unwrap(),
            ArtifactFile::inline(
                "README.md",
                b"---\ntasks: [text-generation]\n---\n# RuvLTRA\n".to_vec(),
            ),
            ArtifactFile::inline(
                "configuration.json",
                br#"{"framework":"other","task":"text-generation"}"#.to_vec(),
            ),
            ArtifactFile::inline("docs/long.md", big),
        ],
    }
}

fn oid(file: &ArtifactFile, run: &Run) -> String {
    file.digest(&run.cache, &run.recorder).unwrap().hex()
}

#[test]
fn push_creates_the_repository_commits_once_and_a_rerun_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeModelScope::start(TOKEN);
    let release = release(dir.path(), 1);
    let backend = backend(&server);
    let run = Run::new();
    let ctx = run.ctx();

    let plan = backend.plan(&release, &ctx).unwrap();
    assert_eq!(plan.items[0].kind, ItemKind::Repository);
    assert_eq!(plan.items[0].action, Action::Create);
    assert!(
        plan.items[1..6].iter().all(|i| i.action == Action::Upload),
        "{plan:#?}"
    );
    let sent = backend.push(&plan, &release, &ctx).unwrap().bytes_sent;
    let total: u64 = release.files.iter().map(|f| f.size).sum();
    assert_eq!(sent, total);

    let repo = server.repo("ruv/ruvltra-GGUF").unwrap();
    assert_eq!(repo.visibility, 1, "private, as asked");
    assert_eq!(repo.commits, 1, "one commit for everything");
    assert!(repo.files["ruvltra-Q4_K_M.gguf"].is_lfs);
    assert!(
        repo.files["docs/long.md"].is_lfs,
        "files over 1 MiB go as LFS"
    );
    assert!(!repo.files["README.md"].is_lfs);
    for file in &release.files[..2] {
        assert_eq!(server.uploads_stored(&oid(file, &run)), 1);
        assert_eq!(server.bytes_received(&oid(file, &run)), file.size);
    }
    let verify = backend.verify(&release, &ctx).unwrap();
    assert!(verify.is_ok(), "{verify:#?}");

    let again = backend.plan(&release, &ctx).unwrap();
    assert!(again.is_up_to_date(), "{again:#?}");
    assert_eq!(backend.push(&again, &release, &ctx).unwrap().bytes_sent, 0);
    assert_eq!(
        server.repo("ruv/ruvltra-GGUF").unwrap().commits,
        1,
        "no empty commit"
    );
    assert_eq!(
        server.total_object_bytes(),
        400_000 + 700_000 + (1 << 20) + 10
    );
}

#[test]
fn batches_hold_at_most_64_objects_and_commits_at_most_256_files() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeModelScope::start(TOKEN);
    let mut files = Vec::new();
    for i in 0..70u8 {
        let name = format!("shard-{i:03}.gguf");
        files.push(
            ArtifactFile::from_path(name.clone(), fake_gguf(dir.path(), &name, 64, i)).unwrap(),
        );
    }
    for i in 0..200 {
        files.push(ArtifactFile::inline(
            format!("notes/{i}.txt"),
            format!("note {i}\n").into_bytes(),
        ));
    }
    let release = Release {
        models: Vec::new(),
        files,
    };
    let backend = backend(&server);
    let run = Run::new();
    push_all(&backend, &release, &run).unwrap();
    let state = server.state.lock().unwrap();
    assert_eq!(state.largest_batch, 64);
    assert!(state.batch_calls >= 2);
    assert_eq!(
        state.repos["ruv/ruvltra-GGUF"].commits, 2,
        "270 files need two commits"
    );
    assert_eq!(state.repos["ruv/ruvltra-GGUF"].files.len(), 270);
}

#[test]
fn a_failure_inside_a_200_envelope_stops_the_push_and_a_rerun_finishes() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeModelScope::start(TOKEN);
    server.fail_envelope("/commit/master");
    let release = release(dir.path(), 2);
    let backend = backend(&server);
    let run = Run::new();
    let err = push_all(&backend, &release, &run).unwrap_err();
    let text = ruvltra_export::push::error_chain(&err);
    assert!(
        text.contains("answered HTTP 200 with Code 10010205, Success false"),
        "{text}"
    );
    assert!(
        text.contains("injected failure inside a 200 answer"),
        "{text}"
    );
    assert_eq!(server.repo("ruv/ruvltra-GGUF").unwrap().commits, 0);

    let plan = backend.plan(&release, &run.ctx()).unwrap();
    let gguf = plan
        .items
        .iter()
        .find(|i| i.name == "ruvltra-Q4_K_M.gguf")
        .unwrap();
    assert!(
        matches!(&gguf.action, Action::Skip { reason } if reason.contains("only the commit")),
        "{gguf:?}"
    );
    backend.push(&plan, &release, &run.ctx()).unwrap();
    for file in &release.files[..2] {
        assert_eq!(
            server.uploads_stored(&oid(file, &run)),
            1,
            "not uploaded twice"
        );
    }
    assert!(backend.verify(&release, &run.ctx()).unwrap().is_ok());
}

#[test]
fn faults_are_survived_without_uploading_twice() {
    let faults: Vec<(&str, &str, Fault)> = vec![
        ("PUT", "/info/lfs/objects/", Fault::Status(503)),
        ("PUT", "/info/lfs/objects/", Fault::CutAfter(200_000)),
        (
            "POST",
            "/objects/batch",
            Fault::TooManyRequests {
                retry_after_secs: 1,
            },
        ),
        ("POST", "/commit/master", Fault::Status(502)),
        (
            "POST",
            "/commit/master",
            Fault::Slow(Duration::from_millis(300)),
        ),
        ("GET", "/repo/files", Fault::Status(500)),
    ];
    for (method, path, fault) in faults {
        let dir = tempfile::tempdir().unwrap();
        let server = FakeModelScope::start(TOKEN);
        server.faults.inject(method, path, fault.clone(), 1);
        let release = release(dir.path(), 3);
        let backend = backend(&server);
        let run = Run::new();
        push_all(&backend, &release, &run).unwrap_or_else(|e| panic!("{fault:?}: {e}"));
        let verify = backend.verify(&release, &run.ctx()).unwrap();
        assert!(verify.is_ok(), "{fault:?}: {verify:#?}");
        assert_eq!(server.faults.fired(), 1, "{fault:?} did not fire");
        for file in &release.files[..2] {
            assert_eq!(server.uploads_stored(&oid(file, &run)), 1, "{fault:?}");
            assert_eq!(
                server.bytes_received(&oid(file, &run)),
                file.size,
                "{fault:?}"
            );
        }
        let retried = run.recorder.count("Retrying");
        let expected = usize::from(!matches!(fault, Fault::Slow(_)));
        assert_eq!(retried, expected, "{fault:?}: {:?}", run.recorder.events());
        assert_eq!(
            server.repo("ruv/ruvltra-GGUF").unwrap().commits,
            1,
            "{fault:?}"
        );
    }
}

#[test]
fn stale_files_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeModelScope::start(TOKEN);
    let backend = backend(&server);
    let run = Run::new();
    let mut old = release(dir.path(), 4);
    old.files.push(ArtifactFile::inline(
        "ruvltra-Q2_K.gguf",
        b"GGUF-old".to_vec(),
    ));
    push_all(&backend, &old, &run).unwrap();
    let current = release(dir.path(), 4);
    let plan = backend.plan(&current, &run.ctx()).unwrap();
    let stale: Vec<&str> = plan.stale.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(stale, ["ruvltra-Q2_K.gguf"]);
    assert!(plan.is_up_to_date());
}

#[test]
fn the_token_never_shows_and_goes_only_to_the_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeModelScope::start(TOKEN);
    let wrong = "ms-wrong-token-77";
    let backend = ModelScopeBackend::new(target(&server, wrong)).unwrap();
    let run = Run::new();
    let release = release(dir.path(), 5);
    let err = push_all(&backend, &release, &run).unwrap_err();
    assert!(
        matches!(err, PushError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    for text in [
        err.to_string(),
        format!("{err:?}"),
        format!("{backend:?}"),
        format!("{:?}", target(&server, wrong)),
    ] {
        assert!(!text.contains(wrong), "token leaked: {text}");
    }
    assert!(
        err.to_string().contains("m_session_id"),
        "the server's hint is kept: {err}"
    );

    let good = self::backend(&server);
    let run = Run::new();
    push_all(&good, &release, &run).unwrap();
    assert!(run.recorder.events().iter().all(|e| !e.contains(TOKEN)));
    let cookies = server.state.lock().unwrap().cookies_seen.clone();
    assert!(
        cookies
            .iter()
            .any(|c| c == &format!("m_session_id={TOKEN}")),
        "{cookies:?}"
    );
}

#[test]
fn a_missing_repository_is_an_error_when_creation_is_off() {
    let server = FakeModelScope::start(TOKEN);
    let mut target = target(&server, TOKEN);
    target.create_missing = false;
    let backend = ModelScopeBackend::new(target).unwrap();
    let run = Run::new();
    let err = backend.plan(&Release::default(), &run.ctx()).unwrap_err();
    assert!(
        ruvltra_export::push::error_chain(&err).contains("`ruv/ruvltra-GGUF` does not exist"),
        "{err}"
    );
}

#[test]
fn the_cookie_stays_with_the_api_origin_when_uploads_go_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeModelScope::start_with_external_storage(TOKEN);
    let storage = server.storage_url().unwrap();
    let storage_host = storage.trim_start_matches("http://").to_string();
    let release = release(dir.path(), 6);
    let backend = backend(&server);
    let run = Run::new();
    push_all(&backend, &release, &run).unwrap();
    assert!(backend.verify(&release, &run.ctx()).unwrap().is_ok());
    let seen = server.state.lock().unwrap().cookies_by_host.clone();
    let at_storage: Vec<_> = seen
        .iter()
        .filter(|(host, _)| *host == storage_host)
        .collect();
    assert_eq!(
        at_storage.len(),
        3,
        "three LFS bodies went to storage: {seen:?}"
    );
    assert!(
        at_storage.iter().all(|(_, cookie)| cookie.is_empty()),
        "cookie sent to storage: {at_storage:?}"
    );
    assert!(
        seen.iter()
            .any(|(host, cookie)| *host != storage_host && cookie.contains(TOKEN))
    );
}

/// Errors as a person reads them (server URL replaced): a failure inside a 200 envelope and
/// a refused token.
#[test]
fn error_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeModelScope::start(TOKEN);
    server.fail_envelope("/api/v1/models");
    let release = release(dir.path(), 7);
    let run = Run::new();
    let err = push_all(&backend(&server), &release, &run).unwrap_err();
    let chain = ruvltra_export::push::error_chain(&err).replace(&server.url(), "[MODELSCOPE]");
    insta::assert_snapshot!("envelope_failure_in_200", chain);

    let refused = ModelScopeBackend::new(target(&server, "ms-wrong")).unwrap();
    let err = push_all(&refused, &release, &run).unwrap_err();
    let chain = ruvltra_export::push::error_chain(&err).replace(&server.url(), "[MODELSCOPE]");
    insta::assert_snapshot!("refused_token", chain);
}
