//! Several registries in one command: the targets push side by side and each local file is
//! hashed once and read from disk once between them. The oci target is the real registry from
//! `scripts/setup/40-registry.sh`; the bundle targets are a store folder and a tar.

#[path = "support/registry.rs"]
mod registry;
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use registry::{
    Fault, FaultProxy, Recorder, Rule, oci_backend, open_registry, transfer_options, unique,
};
use ruvltra_export::push::bundle::{BundleBackend, BundleTarget};
use ruvltra_export::push::{
    Backend, DigestCache, OllamaModel, Plan, PlannedPush, ProgressEvent, PushContext,
    QuietProgress, Release, SharedReads, push_side_by_side,
};

/// A model file bigger than the shared window (8 MiB), so readers must keep pace with each
/// other; its bytes vary so a misplaced chunk cannot go unnoticed.
fn model_file(dir: &Path) -> (PathBuf, u64) {
    let path = dir.join("model.gguf");
    let len: u64 = 21 * (1 << 20) + 4321;
    let bytes: Vec<u8> = (0..len)
        .map(|i: u64| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, bytes).unwrap();
    (path, len)
}

fn release(name: &str, gguf: &Path) -> Release {
    let mut model = OllamaModel::new(name.parse().unwrap(), gguf);
    model.template = Some("{{ .Prompt }}".into());
    model.params.insert("stop".into(), "<|im_end|>".into());
    model.config.model_family = "qwen2".into();
    Release {
        models: vec![model],
        files: Vec::new(),
    }
}

/// Plans every backend, pushes them side by side, and verifies each.
fn push_and_verify(backends: &[&dyn Backend], releases: &[Release], ctx: &PushContext<'_>) {
    let plans: Vec<Plan> = backends
        .iter()
        .zip(releases)
        .map(|(backend, release)| backend.plan(release, ctx).unwrap())
        .collect();
    let pushes: Vec<PlannedPush<'_>> = backends
        .iter()
        .zip(releases)
        .zip(&plans)
        .map(|((backend, release), plan)| PlannedPush {
            backend: *backend,
            release,
            plan,
        })
        .collect();
    for result in push_side_by_side(&pushes, ctx) {
        result.unwrap();
    }
    for (backend, release) in backends.iter().zip(releases) {
        let verify = backend.verify(release, ctx).unwrap();
        assert!(
            verify.is_ok(),
            "{} did not verify: {verify:?}",
            backend.name()
        );
    }
}

#[test]
fn three_targets_hash_once_and_read_the_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let (gguf, size) = model_file(dir.path());
    let repository = format!("ruvltra/{}", unique("fanout"));
    let release = release(&format!("{repository}:q4"), &gguf);
    let registry = oci_backend(&open_registry(), None, Vec::new());
    let store = BundleBackend::new(BundleTarget::Dir(dir.path().join("store")));
    let tar = BundleBackend::new(BundleTarget::Tar(dir.path().join("bundle.tar")));
    let digests = DigestCache::in_memory();
    let recorder = Recorder::default();
    let ctx = PushContext::new(&digests, &recorder, transfer_options(8 << 20));
    let releases = vec![release.clone(), release.clone(), release];
    push_and_verify(&[&registry, &store, &tar], &releases, &ctx);
    // Each target's transfer of the model is its own item in the progress events.
    let mut model_transfers: Vec<String> = recorder
        .0
        .lock()
        .unwrap()
        .iter()
        .filter_map(|event| match event {
            ProgressEvent::TransferStarted { name, size: s, .. } if *s == size => {
                Some(name.split(':').next().unwrap_or_default().to_string())
            }
            _ => None,
        })
        .collect();
    model_transfers.sort();
    assert_eq!(model_transfers, ["bundle 1", "bundle 2", "oci"]);
    assert_eq!(
        digests.bytes_hashed(),
        size,
        "hashed once for three targets"
    );
    assert_eq!(
        ctx.reads.disk_bytes(&gguf),
        Some(size),
        "read from disk once for three targets"
    );
}

#[test]
fn a_target_that_retries_mid_upload_still_gets_the_right_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (gguf, size) = model_file(dir.path());
    let proxy = FaultProxy::start(&open_registry());
    // The third chunk of the model upload is cut: the oci target retries from the last
    // offset the registry confirmed, which is behind the shared window by then.
    proxy.add(Rule {
        method: "PATCH",
        path_contains: "/blobs/uploads/",
        skip: 2,
        times: 1,
        fault: Fault::Cut,
    });
    let repository = format!("ruvltra/{}", unique("fanout-cut"));
    let release = release(&format!("{repository}:q4"), &gguf);
    let registry = oci_backend(&proxy.addr(), None, Vec::new());
    let tar = BundleBackend::new(BundleTarget::Tar(dir.path().join("bundle.tar")));
    let digests = DigestCache::in_memory();
    let ctx = PushContext {
        reads: SharedReads::with_stall(Duration::from_secs(1)),
        digests: &digests,
        progress: &QuietProgress,
        options: transfer_options(4 << 20),
    };
    let releases = vec![release.clone(), release];
    push_and_verify(&[&registry, &tar], &releases, &ctx);
    assert!(
        proxy.log().iter().any(|l| l.ends_with("-> cut")),
        "{:#?}",
        proxy.log()
    );
    assert_eq!(digests.bytes_hashed(), size);
    // Whether the retried target catches up with the window or reads the rest on its own
    // depends on timing; either way no byte is read more than once per target, plus the one
    // chunk sent again.
    let read = ctx.reads.disk_bytes(&gguf).unwrap();
    assert!(
        (size..=2 * size + (4 << 20)).contains(&read),
        "{read} bytes read for a file of {size}"
    );
}

#[test]
fn the_command_pushes_both_targets_with_one_line_per_transfer_and_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (gguf, _) = model_file(dir.path());
    let name = format!("ruvltra/{}:q4", unique("fanout-cli"));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(["push", "--gguf"])
        .arg(&gguf)
        .args([
            "--name",
            &name,
            "--to",
            "oci",
            "--to",
            "bundle",
            "--insecure",
        ])
        .args(["--registry", &open_registry(), "--tar"])
        .arg(dir.path().join("bundle.tar"))
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for target in ["oci", "bundle"] {
        let sending = format!("sending {target}: ");
        assert!(
            stderr.lines().any(|l| l.starts_with(&sending)),
            "no `{sending}` line:\n{stderr}"
        );
    }
    assert_eq!(
        stderr.matches("Ollama issue 7244").count(),
        1,
        "the registry warning once:\n{stderr}"
    );
    let rows = support::summary_rows(&stdout);
    assert_eq!(rows.len(), 2, "{stdout}");
    assert!(rows.iter().all(|row| row.ends_with(" ok")), "{stdout}");
}
