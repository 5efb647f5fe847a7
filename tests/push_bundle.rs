//! The bundle backend: an Ollama store folder and a deterministic tar, checked with the
//! system's `tar` as the independent reader.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use ruvltra_export::digest::Digest;
use ruvltra_export::push::bundle::{BundleBackend, BundleTarget};
use ruvltra_export::push::{
    Action, Backend, DigestCache, OllamaImage, OllamaModel, PushContext, QuietProgress, Release,
    TransferOptions,
};

fn gguf() -> PathBuf {
    support::corpus_dir().join("gguf/ggml-vocab-phi-3.gguf")
}

fn model(name: &str) -> OllamaModel {
    let mut model = OllamaModel::new(name.parse().unwrap(), gguf());
    model.template = Some("{{ .Prompt }}".into());
    model.system = Some("Be brief.".into());
    model
        .params
        .insert("stop".into(), serde_json::json!(["<|end|>"]));
    model.config.model_family = "phi3".into();
    model.config.file_type = "Q4_K_M".into();
    model
}

fn release(models: Vec<OllamaModel>) -> Release {
    Release {
        models,
        files: Vec::new(),
    }
}

fn ctx(digests: &DigestCache) -> PushContext<'_> {
    PushContext::new(digests, &QuietProgress, TransferOptions::default())
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(
                    path.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out.sort();
    out
}

#[test]
fn folder_is_an_ollama_store_and_pushing_again_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let release = release(vec![model("ruv/ruvltra:q4_k_m")]);
    let backend = BundleBackend::new(BundleTarget::Dir(dir.path().to_path_buf()));
    let digests = DigestCache::in_memory();
    let ctx = ctx(&digests);
    let plan = backend.plan(&release, &ctx).unwrap();
    let report = backend.push(&plan, &release, &ctx).unwrap();
    let image = OllamaImage::build(&release.models[0], &digests, &QuietProgress).unwrap();

    let mut expected: Vec<String> = image
        .unique_blobs()
        .iter()
        .map(|b| format!("blobs/sha256-{}", b.digest.hex()))
        .collect();
    expected.push("manifests/registry.ollama.ai/ruv/ruvltra/q4_k_m".into());
    expected.sort();
    assert_eq!(files_under(dir.path()), expected);
    let manifest = fs::read(
        dir.path()
            .join("manifests/registry.ollama.ai/ruv/ruvltra/q4_k_m"),
    )
    .unwrap();
    assert_eq!(manifest, image.manifest.to_vec());
    let gguf_blob = fs::read(
        dir.path()
            .join(format!("blobs/sha256-{}", image.layers[0].digest.hex())),
    )
    .unwrap();
    assert_eq!(gguf_blob, fs::read(gguf()).unwrap());
    for name in files_under(dir.path())
        .iter()
        .filter(|n| n.starts_with("blobs/"))
    {
        let digest = Digest::of_bytes(&fs::read(dir.path().join(name)).unwrap());
        assert_eq!(
            format!("blobs/{}", digest.blob_file_name()),
            *name,
            "blob names are their digests"
        );
    }
    assert_eq!(
        report.bytes_sent,
        image.unique_blobs().iter().map(|b| b.size()).sum::<u64>() + manifest.len() as u64
    );
    assert!(backend.verify(&release, &ctx).unwrap().is_ok());

    let again = backend.plan(&release, &ctx).unwrap();
    assert!(again.is_up_to_date(), "{again:#?}");
    assert_eq!(backend.push(&again, &release, &ctx).unwrap().bytes_sent, 0);
}

#[test]
fn a_damaged_blob_fails_verify_and_is_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let release = release(vec![model("ruv/ruvltra:q4")]);
    let backend = BundleBackend::new(BundleTarget::Dir(dir.path().to_path_buf()));
    let digests = DigestCache::in_memory();
    let ctx = ctx(&digests);
    let plan = backend.plan(&release, &ctx).unwrap();
    backend.push(&plan, &release, &ctx).unwrap();
    let image = OllamaImage::build(&release.models[0], &digests, &QuietProgress).unwrap();
    let damaged = dir
        .path()
        .join(format!("blobs/{}", image.layers[0].digest.blob_file_name()));
    let mut bytes = fs::read(&damaged).unwrap();
    bytes[100] ^= 0xff;
    fs::write(&damaged, &bytes).unwrap();

    let report = backend.verify(&release, &ctx).unwrap();
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        failed,
        [format!("blobs/{}", image.layers[0].digest.blob_file_name())]
    );
    let plan = backend.plan(&release, &ctx).unwrap();
    let rewrites: Vec<&str> = plan
        .items
        .iter()
        .filter(|i| i.action == Action::Write)
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(rewrites, failed);
    backend.push(&plan, &release, &ctx).unwrap();
    assert!(backend.verify(&release, &ctx).unwrap().is_ok());
}

#[test]
fn stale_tags_are_pruned_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let backend = BundleBackend::new(BundleTarget::Dir(dir.path().to_path_buf()));
    let digests = DigestCache::in_memory();
    let mut ctx = ctx(&digests);
    let both = release(vec![model("ruv/ruvltra:q4"), model("ruv/ruvltra:q8")]);
    let plan = backend.plan(&both, &ctx).unwrap();
    backend.push(&plan, &both, &ctx).unwrap();

    let one = release(vec![model("ruv/ruvltra:q4")]);
    let plan = backend.plan(&one, &ctx).unwrap();
    let stale: Vec<&str> = plan.stale.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(stale, ["manifests/registry.ollama.ai/ruv/ruvltra/q8"]);
    backend.push(&plan, &one, &ctx).unwrap();
    assert!(dir.path().join(stale[0]).exists());
    ctx.options.prune = true;
    let report = backend.push(&plan, &one, &ctx).unwrap();
    assert_eq!(report.pruned, stale);
    assert!(!dir.path().join(stale[0]).exists());
}

#[test]
fn tar_is_deterministic_and_installs_with_tar_x() {
    let dir = tempfile::tempdir().unwrap();
    let release = release(vec![model("ruv/ruvltra:q4"), model("ruv/ruvltra:q8")]);
    let digests = DigestCache::in_memory();
    let ctx = ctx(&digests);
    let mut archives = Vec::new();
    for name in ["one.tar", "two.tar"] {
        let path = dir.path().join(name);
        let backend = BundleBackend::new(BundleTarget::Tar(path.clone()));
        let plan = backend.plan(&release, &ctx).unwrap();
        backend.push(&plan, &release, &ctx).unwrap();
        assert!(backend.verify(&release, &ctx).unwrap().is_ok());
        archives.push(fs::read(&path).unwrap());
    }
    assert_eq!(
        archives[0], archives[1],
        "the same release gives byte-identical archives"
    );
    assert_eq!(
        digests.bytes_hashed(),
        fs::metadata(gguf()).unwrap().len(),
        "the GGUF was hashed once for both archives and both tags"
    );

    let listing = Command::new("tar")
        .args(["--numeric-owner", "-tvf"])
        .arg(dir.path().join("one.tar"))
        .output()
        .unwrap();
    assert!(listing.status.success());
    let listing = String::from_utf8(listing.stdout).unwrap();
    let lines: Vec<&str> = listing.lines().collect();
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("-rw-r--r-- 0/0") && l.contains("2024-01-01")),
        "{listing}"
    );
    let names: Vec<&str> = lines
        .iter()
        .map(|l| l.rsplit(' ').next().unwrap())
        .collect();
    let blobs: Vec<&&str> = names.iter().filter(|n| n.starts_with("blobs/")).collect();
    let mut sorted = blobs.clone();
    sorted.sort();
    assert_eq!(blobs, sorted, "blobs in digest order");
    assert_eq!(
        &names[names.len() - 2..],
        [
            "manifests/registry.ollama.ai/ruv/ruvltra/q4",
            "manifests/registry.ollama.ai/ruv/ruvltra/q8"
        ]
    );

    let models = dir.path().join("models");
    fs::create_dir(&models).unwrap();
    let status = Command::new("tar")
        .arg("-xf")
        .arg(dir.path().join("one.tar"))
        .arg("-C")
        .arg(&models)
        .status()
        .unwrap();
    assert!(status.success());
    let store = BundleBackend::new(BundleTarget::Dir(models));
    assert!(
        store.verify(&release, &ctx).unwrap().is_ok(),
        "the extracted tree is a valid store"
    );
    assert!(store.plan(&release, &ctx).unwrap().is_up_to_date());
}

#[test]
fn a_tampered_tar_fails_verify() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bundle.tar");
    let release = release(vec![model("ruv/ruvltra:q4")]);
    let digests = DigestCache::in_memory();
    let ctx = ctx(&digests);
    let backend = BundleBackend::new(BundleTarget::Tar(path.clone()));
    let plan = backend.plan(&release, &ctx).unwrap();
    backend.push(&plan, &release, &ctx).unwrap();
    let mut bytes = fs::read(&path).unwrap();
    let gguf_at = bytes.windows(4).position(|w| w == b"GGUF").unwrap();
    bytes[gguf_at + 4000] ^= 0xff;
    fs::write(&path, &bytes).unwrap();
    let report = backend.verify(&release, &ctx).unwrap();
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failed.len(), 1, "{report:#?}");
    assert!(failed[0].starts_with("blobs/sha256-"), "{report:#?}");
}
