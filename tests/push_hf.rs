//! The huggingface backend against a local stand-in for the Hub's upload API and its object
//! storage (`tests/support/fake_hf_upload.rs`): preupload, LFS basic and multipart uploads,
//! the NDJSON commit, repository creation, pull requests for cards the tool did not write,
//! splicing of the generated section, injected faults, and the token kept to the Hub's
//! origin.

#[path = "support/fake_hf_upload.rs"]
mod fake_hf_upload;
#[path = "support/fault_injection.rs"]
mod fault_injection;

use std::time::Duration;

use fake_hf_upload::FakeHub;
use fault_injection::{Fault, Run, push_all};
use ruvltra_export::push::huggingface::card_section::{BEGIN_MARKER, END_MARKER};
use ruvltra_export::push::huggingface::{ForeignCardPolicy, HubBackend, HubEndpoint, HubTarget};
use ruvltra_export::push::{Action, ArtifactFile, Backend, ItemKind, PushError, Release};
use ruvltra_export::secret::Secret;

const TOKEN: &str = "hf_secretTOKENvalue123";
const REPO: &str = "ruv/ruvltra-GGUF";

fn target(hub: &FakeHub, token: &str) -> HubTarget {
    let mut target = HubTarget::new(REPO.parse().unwrap(), Some(Secret::new(token)));
    target.endpoint = HubEndpoint::parse(&hub.url()).unwrap();
    target.create_private = Some(false);
    target
}

fn backend(hub: &FakeHub) -> HubBackend {
    HubBackend::new(target(hub, TOKEN)).unwrap()
}

fn card(body: &str) -> String {
    format!(
        "---\nlicense: apache-2.0\nlibrary_name: gguf\n---\n{BEGIN_MARKER}\n# RuvLTRA\n\n{body}\n{END_MARKER}\n"
    )
}

/// Bytes that preupload classifies as binary (they hold NUL bytes).
fn binary(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            if i % 97 == 0 {
                0
            } else {
                (i as u8).wrapping_mul(31).wrapping_add(seed)
            }
        })
        .collect()
}

/// The card and root files, plus one file for a basic LFS upload and one for a multipart
/// one (the stand-in is set to 64 KiB LFS threshold, 256 KiB multipart, 100 KiB parts).
fn release(seed: u8) -> Release {
    Release {
        models: Vec::new(),
        files: vec![
            ArtifactFile::inline(
                "README.md",
                card(&format!("Quantizations, release {seed}")).into_bytes(),
            ),
            ArtifactFile::inline("template", b"{{ .Prompt }}".to_vec()),
            ArtifactFile::inline("system", b"You are RuvLTRA.".to_vec()),
            ArtifactFile::inline(
                "params",
                br#"{"stop":["<|im_end|>"],"num_ctx":8192}"#.to_vec(),
            ),
            ArtifactFile::inline(
                "chat_template.jinja",
                b"{% for m in messages %}{{ m.content }}{% endfor %}".to_vec(),
            ),
            ArtifactFile::inline("assets/logo.bin", binary(100_000, seed)),
            ArtifactFile::inline("assets/demo.bin", binary(300_000, seed)),
        ],
    }
}

fn start_hub() -> FakeHub {
    let hub = FakeHub::start(TOKEN);
    hub.set_sizes(64 << 10, 256 << 10, 100 << 10);
    hub
}

fn oid(release: &Release, path: &str) -> String {
    let file = release.files.iter().find(|f| f.repo_path == path).unwrap();
    file.sha256.unwrap().hex()
}

#[test]
fn push_creates_the_repo_uploads_basic_and_multipart_and_a_rerun_sends_nothing() {
    let hub = start_hub();
    let release = release(1);
    let backend = backend(&hub);
    let run = Run::new();
    let ctx = run.ctx();

    let plan = backend.plan(&release, &ctx).unwrap();
    assert_eq!(plan.items[0].kind, ItemKind::Repository);
    assert!(
        plan.items[1..8].iter().all(|i| i.action == Action::Upload),
        "{plan:#?}"
    );
    let report = backend.push(&plan, &release, &ctx).unwrap();
    let total: u64 = release.files.iter().map(|f| f.size).sum();
    assert_eq!(report.bytes_sent, total);

    let repo = hub.repo(REPO).unwrap();
    assert_eq!(repo.commits, 1);
    assert!(repo.pull_requests.is_empty());
    let main = &repo.branches["main"];
    assert_eq!(main.len(), 7);
    assert!(main["assets/demo.bin"].content.is_none(), "multipart LFS");
    assert!(main["assets/logo.bin"].content.is_none(), "basic LFS");
    assert_eq!(
        hub.file(REPO, "main", "template").unwrap(),
        b"{{ .Prompt }}"
    );
    for path in ["assets/logo.bin", "assets/demo.bin"] {
        let oid = oid(&release, path);
        assert_eq!(hub.uploads_stored(&oid), 1, "{path}");
        assert_eq!(
            hub.state.lock().unwrap().verified[&oid],
            1,
            "{path}: verify action called"
        );
    }
    assert_eq!(
        hub.bytes_received(&oid(&release, "assets/demo.bin")),
        300_000
    );
    let commit = hub.state.lock().unwrap().commit_bodies[0].clone();
    assert_eq!(commit[0]["key"], "header");
    assert_eq!(commit.iter().filter(|l| l["key"] == "lfsFile").count(), 2);
    assert!(
        hub.state.lock().unwrap().storage_authorization.is_empty(),
        "no token to storage"
    );

    let verify = backend.verify(&release, &ctx).unwrap();
    assert!(verify.is_ok(), "{verify:#?}");
    assert!(verify.warnings.is_empty());

    let again = backend.plan(&release, &ctx).unwrap();
    assert!(again.is_up_to_date(), "{again:#?}");
    assert_eq!(backend.push(&again, &release, &ctx).unwrap().bytes_sent, 0);
    assert_eq!(hub.repo(REPO).unwrap().commits, 1, "no empty commit");
    assert_eq!(hub.total_storage_bytes(), 400_000);
}

#[test]
fn a_card_the_tool_did_not_write_gets_a_pull_request() {
    let hub = start_hub();
    let theirs = b"# My model\n\nHand-written by the publisher.\n";
    hub.seed_repo(REPO, &[("README.md", theirs)]);
    let release = release(2);
    let backend = backend(&hub);
    let run = Run::new();
    let plan = backend.plan(&release, &run.ctx()).unwrap();
    let commit = plan
        .items
        .iter()
        .find(|i| i.kind == ItemKind::Commit)
        .unwrap();
    assert!(
        commit.name.starts_with("pull request with 7 files"),
        "{commit:?}"
    );
    assert!(run.recorder.count("not written by ruvltra-export") >= 1);
    backend.push(&plan, &release, &run.ctx()).unwrap();

    let repo = hub.repo(REPO).unwrap();
    assert_eq!(repo.pull_requests, [1]);
    assert_eq!(
        hub.file(REPO, "main", "README.md").unwrap(),
        theirs,
        "main is untouched"
    );
    assert!(!repo.branches["main"].contains_key("template"));
    assert_eq!(
        hub.file(REPO, "refs/pr/1", "README.md").unwrap(),
        card("Quantizations, release 2").as_bytes()
    );
    assert_eq!(backend.pull_request().as_deref(), Some("refs/pr/1"));
    let verify = backend.verify(&release, &run.ctx()).unwrap();
    assert!(verify.is_ok(), "{verify:#?}");
    assert!(
        verify.warnings[0].contains("pull request refs/pr/1"),
        "{:?}",
        verify.warnings
    );

    // A re-run finds the open pull request with the same files and opens no other.
    let again = backend.plan(&release, &run.ctx()).unwrap();
    assert!(again.is_up_to_date(), "{again:#?}");
    backend.push(&again, &release, &run.ctx()).unwrap();
    assert_eq!(hub.repo(REPO).unwrap().pull_requests, [1]);
    // A new release is a new pull request; so is the same one once the first was merged.
    let next = self::release(3);
    push_all(&backend, &next, &run).unwrap();
    assert_eq!(hub.repo(REPO).unwrap().pull_requests, [1, 2]);
    hub.state
        .lock()
        .unwrap()
        .repos
        .get_mut(REPO)
        .unwrap()
        .closed_pull_requests = vec![2];
    push_all(&backend, &next, &run).unwrap();
    assert_eq!(hub.repo(REPO).unwrap().pull_requests, [1, 2, 3]);

    let mut overwrite = target(&hub, TOKEN);
    overwrite.foreign_card = ForeignCardPolicy::Overwrite;
    let forced = HubBackend::new(overwrite).unwrap();
    push_all(&forced, &release, &run).unwrap();
    assert_eq!(
        hub.file(REPO, "main", "README.md").unwrap(),
        card("Quantizations, release 2").as_bytes()
    );
    assert_eq!(
        hub.repo(REPO).unwrap().pull_requests,
        [1, 2, 3],
        "no pull request when overwriting"
    );
}

#[test]
fn only_the_marked_section_of_an_existing_card_is_replaced() {
    let hub = start_hub();
    // Downloads redirect to the storage origin, as LFS downloads do on the Hub.
    hub.state.lock().unwrap().redirect_downloads = true;
    let existing = format!(
        "---\nlicense: mit\ntags: [publisher-tag]\n---\n# Intro by the publisher\n\n{BEGIN_MARKER}\nold table\n{END_MARKER}\n\n## Citation\n"
    );
    hub.seed_repo(REPO, &[("README.md", existing.as_bytes())]);
    let release = release(3);
    let backend = backend(&hub);
    let run = Run::new();
    push_all(&backend, &release, &run).unwrap();
    let repo = hub.repo(REPO).unwrap();
    assert!(
        repo.pull_requests.is_empty(),
        "the card is ours: no pull request"
    );
    let readme = String::from_utf8(hub.file(REPO, "main", "README.md").unwrap()).unwrap();
    assert_eq!(
        readme,
        format!(
            "---\nlicense: mit\ntags: [publisher-tag]\n---\n# Intro by the publisher\n\n{BEGIN_MARKER}\n# RuvLTRA\n\nQuantizations, release 3\n{END_MARKER}\n\n## Citation\n"
        )
    );
    let verify = backend.verify(&release, &run.ctx()).unwrap();
    assert!(verify.is_ok(), "{verify:#?}");
    let auth = hub.state.lock().unwrap().storage_authorization.clone();
    assert!(
        auth.is_empty(),
        "Authorization followed a redirect to another origin: {auth:?}"
    );
    assert!(
        hub.state.lock().unwrap().cdn_downloads >= 2,
        "README.md was read through the redirect"
    );
    assert!(backend.plan(&release, &run.ctx()).unwrap().is_up_to_date());
}

#[test]
fn faults_are_survived_without_uploading_twice() {
    let faults: Vec<(bool, &str, &str, Fault)> = vec![
        (true, "PUT", "/upload/", Fault::Status(503)),
        (true, "PUT", "/part/2", Fault::CutAfter(50_000)),
        (true, "PUT", "/upload/", Fault::CutAfter(40_000)),
        (
            true,
            "PUT",
            "/part/1",
            Fault::TooManyRequests {
                retry_after_secs: 1,
            },
        ),
        (
            false,
            "POST",
            "/objects/batch",
            Fault::TooManyRequests {
                retry_after_secs: 1,
            },
        ),
        (false, "POST", "/preupload/", Fault::Status(500)),
        (false, "POST", "/commit/", Fault::Status(502)),
        (
            false,
            "POST",
            "/commit/",
            Fault::Slow(Duration::from_millis(300)),
        ),
        (false, "GET", "/tree/", Fault::Status(503)),
    ];
    for (on_storage, method, path, fault) in faults {
        let hub = start_hub();
        let faults = if on_storage {
            &hub.storage_faults
        } else {
            &hub.faults
        };
        faults.inject(method, path, fault.clone(), 1);
        let release = release(4);
        let backend = backend(&hub);
        let run = Run::new();
        push_all(&backend, &release, &run).unwrap_or_else(|e| panic!("{path} {fault:?}: {e}"));
        let verify = backend.verify(&release, &run.ctx()).unwrap();
        assert!(verify.is_ok(), "{path} {fault:?}: {verify:#?}");
        assert_eq!(faults.fired(), 1, "{path} {fault:?} did not fire");
        for lfs in ["assets/logo.bin", "assets/demo.bin"] {
            assert_eq!(
                hub.uploads_stored(&oid(&release, lfs)),
                1,
                "{path} {fault:?}: {lfs}"
            );
        }
        // A cut part is re-sent alone; every other byte arrives once.
        assert_eq!(hub.total_storage_bytes(), 400_000, "{path} {fault:?}");
        let retried = run.recorder.count("Retrying");
        let expected = usize::from(!matches!(fault, Fault::Slow(_)));
        assert_eq!(
            retried,
            expected,
            "{path} {fault:?}: {:?}",
            run.recorder.events()
        );
        assert_eq!(hub.repo(REPO).unwrap().commits, 1, "{path} {fault:?}");
    }
}

#[test]
fn the_token_never_shows_and_goes_only_to_the_hub() {
    let hub = start_hub();
    let wrong = "hf_wrongTOKEN999";
    let backend = HubBackend::new(target(&hub, wrong)).unwrap();
    let run = Run::new();
    let release = release(5);
    let err = push_all(&backend, &release, &run).unwrap_err();
    assert!(
        matches!(err, PushError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    for text in [
        err.to_string(),
        format!("{err:?}"),
        format!("{backend:?}"),
        format!("{:?}", target(&hub, wrong)),
    ] {
        assert!(!text.contains(wrong), "token leaked: {text}");
    }

    let good = self::backend(&hub);
    let run = Run::new();
    push_all(&good, &release, &run).unwrap();
    assert!(run.recorder.events().iter().all(|e| !e.contains(TOKEN)));
    assert!(hub.state.lock().unwrap().storage_authorization.is_empty());
}

#[test]
fn a_missing_repository_is_an_error_unless_creation_was_asked() {
    let hub = start_hub();
    let mut target = target(&hub, TOKEN);
    target.create_private = None;
    let backend = HubBackend::new(target).unwrap();
    let run = Run::new();
    let err = backend.plan(&release(6), &run.ctx()).unwrap_err();
    assert!(
        ruvltra_export::push::error_chain(&err).contains("`ruv/ruvltra-GGUF` does not exist"),
        "{err}"
    );

    // A repository created by someone else between plan and push answers 409 to creation,
    // which is not an error.
    let creating = self::backend(&hub);
    let plan = creating.plan(&release(6), &run.ctx()).unwrap();
    assert_eq!(plan.items[0].kind, ItemKind::Repository);
    hub.seed_repo(REPO, &[]);
    creating.push(&plan, &release(6), &run.ctx()).unwrap();
    assert_eq!(hub.repo(REPO).unwrap().commits, 1);
    let calls = hub.state.lock().unwrap().create_calls.clone();
    assert_eq!(calls, [409]);
}

#[test]
fn tree_pages_are_followed() {
    let hub = start_hub();
    hub.state.lock().unwrap().tree_page_size = 2;
    let release = release(7);
    let backend = backend(&hub);
    let run = Run::new();
    push_all(&backend, &release, &run).unwrap();
    assert!(backend.plan(&release, &run.ctx()).unwrap().is_up_to_date());
    assert!(backend.verify(&release, &run.ctx()).unwrap().is_ok());
}

#[test]
fn bad_or_repeated_paths_are_refused_before_anything_is_sent() {
    let hub = start_hub();
    let backend = backend(&hub);
    let run = Run::new();
    for paths in [vec!["../escape"], vec!["params", "params"]] {
        let release = Release {
            models: Vec::new(),
            files: paths
                .iter()
                .map(|p| ArtifactFile::inline(*p, b"x".to_vec()))
                .collect(),
        };
        let err = backend.plan(&release, &run.ctx()).unwrap_err();
        assert!(matches!(err, PushError::Input { .. }), "{err:?}");
    }
    assert!(hub.repo(REPO).is_none(), "nothing was created");
}

/// The plan against a card someone else wrote, and the missing-repository error, as a person
/// reads them (server URL replaced).
#[test]
fn plan_and_error_snapshots() {
    let hub = start_hub();
    hub.seed_repo(
        REPO,
        &[
            ("README.md", b"# Their card\n"),
            ("template", b"{{ .Prompt }}"),
        ],
    );
    let backend = backend(&hub);
    let run = Run::new();
    let plan = backend.plan(&release(8), &run.ctx()).unwrap();
    let json = serde_json::to_string_pretty(&plan)
        .unwrap()
        .replace(&hub.url(), "[HUB]");
    insta::assert_snapshot!("plan_for_a_foreign_card", json);

    let mut missing = target(&hub, TOKEN);
    missing.repo = "ruv/absent".parse().unwrap();
    missing.create_private = None;
    let err = HubBackend::new(missing)
        .unwrap()
        .plan(&release(8), &run.ctx())
        .unwrap_err();
    let chain = ruvltra_export::push::error_chain(&err).replace(&hub.url(), "[HUB]");
    insta::assert_snapshot!("missing_repository", chain);
}
