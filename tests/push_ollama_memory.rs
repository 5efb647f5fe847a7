//! Bounded memory: pushing a 1 GiB file to the ollama backend streams it from disk. Its own
//! test binary (so other tests' allocations do not count), with a sparse file so no disk
//! space is needed; the stand-in hashes the body as it arrives and keeps none of it.

#[path = "support/fake_ollama.rs"]
mod fake_ollama;
#[path = "support/fault_injection.rs"]
mod fault_injection;

use fake_ollama::FakeOllama;
use fault_injection::{Recorder, fast_options};
use ruvltra_export::push::ollama_api::{OllamaBackend, OllamaHost, OllamaTarget};
use ruvltra_export::push::{Backend, DigestCache, OllamaModel, PushContext, Release};

/// Size of the pushed file.
const SIZE: u64 = 1 << 30;
/// Peak resident memory allowed for the whole test process (client, server and runtimes):
/// the 64 MiB bound (about 9 MiB measured).
const LIMIT_KIB: u64 = 64 << 10;

/// The process's peak resident set (`VmHWM`) in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("a VmHWM line");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_1_gib_push_stays_within_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big-Q4_K_M.gguf");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(SIZE).unwrap();
    drop(file);

    let server = FakeOllama::start("0.12.0");
    let target = OllamaTarget {
        host: OllamaHost::parse(&server.url()).unwrap(),
        ..OllamaTarget::default()
    };
    let backend = OllamaBackend::new(target).unwrap();
    let release = Release {
        models: vec![OllamaModel::new("ruv/big:q4".parse().unwrap(), &path)],
        files: Vec::new(),
    };
    let cache = DigestCache::in_memory();
    let recorder = Recorder::default();
    let ctx = PushContext::new(&cache, &recorder, fast_options());
    let plan = backend.plan(&release, &ctx).unwrap();
    let report = backend.push(&plan, &release, &ctx).unwrap();
    assert_eq!(report.bytes_sent, SIZE);
    assert_eq!(server.total_blob_bytes(), SIZE);
    assert!(backend.verify(&release, &ctx).unwrap().is_ok());
    assert!(
        recorder.count("TransferProgress") >= 1,
        "progress was reported while sending"
    );
    let peak = peak_rss_kib();
    eprintln!("peak resident memory after a {SIZE}-byte push: {peak} KiB");
    assert!(
        peak < LIMIT_KIB,
        "peak resident memory {peak} KiB, limit {LIMIT_KIB} KiB"
    );
}
