//! How many bytes of a big local GGUF each command reads (#15): the process's `rchar` (every
//! byte it read through `read`-like calls, from `/proc/<pid>/io`), for a GGUF with 64 MiB of
//! tensor data. Each command must read at most `k` times the file plus its header plus 1 MiB,
//! with `k` = 0 when the digest is cached and nothing needs sending, 1 when the digest is
//! cached (or only hashing is needed), 2 for hash + one shared upload read.
//!
//! Pushes run with `--no-verify`: reading the result back reads the copy that was written
//! (the bundle's blob), not the GGUF, and `rchar` cannot tell the two apart.
//!
//! The count comes from a `bash` wrapper: a reaped child's I/O counts are added to its parent's
//! (Linux), so the wrapper reads its own `/proc/self/io` after the command ended.

#[path = "support/registry.rs"]
mod registry;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use ruvltra_export::gguf::{GgmlType, GgufHeader, GgufWriter};

const MIB: u64 = 1 << 20;

/// A family folder: `ruvltra.toml` and `fixtures/big-0.5b-q4_k_m.gguf`, the claude-code
/// fixture's header with one more tensor of 64 MiB. Returns the GGUF's path.
fn family(dir: &Path) -> PathBuf {
    let fixture = support::root().join("fixtures/ruvltra-claude-code-0.5b-q4_k_m.gguf");
    let bytes = std::fs::read(&fixture).unwrap();
    let header = GgufHeader::read(bytes.as_slice(), Some(bytes.len() as u64)).unwrap();
    let mut w = GgufWriter::new().with_metadata(header.metadata().clone());
    for tensor in header.tensors() {
        let start = (header.data_offset() + tensor.offset()) as usize;
        let size = tensor.data_size().unwrap() as usize;
        w.add_tensor(
            tensor.name(),
            tensor.shape().to_vec(),
            tensor.ggml_type(),
            bytes[start..start + size].to_vec(),
        )
        .unwrap();
    }
    // Not zeros, so nothing can shortcut the bytes.
    let data: Vec<u8> = (0..64 * MIB as usize).map(|i| (i % 251) as u8).collect();
    w.add_tensor("big.weight", vec![16 * MIB], GgmlType::F32, data)
        .unwrap();
    std::fs::create_dir_all(dir.join("fixtures")).unwrap();
    let gguf = dir.join("fixtures/big-0.5b-q4_k_m.gguf");
    w.write_to(std::io::BufWriter::new(
        std::fs::File::create(&gguf).unwrap(),
    ))
    .unwrap();
    std::fs::write(
        dir.join("ruvltra.toml"),
        r#"[family]
name = "Big"
description = "One big file."
publisher = "ruv"
license = "apache-2.0"

[hub]
repo = "ruv/big"
revision = "main"

[source]
local = "fixtures"
fixtures = true

[models.big]
name = "Big"
description = "The big one."

[models.big.variants.q4_k_m]
file = "big-0.5b-q4_k_m.gguf"

[ollama]
namespace = "ruv"
basename = "big"
"#,
    )
    .unwrap();
    gguf
}

/// Runs the binary in `dir` with a private cache; returns its `rchar` and panics on failure.
fn rchar(dir: &Path, cache: &Path, args: &[&str]) -> u64 {
    let count = dir.join("rchar");
    let output = Command::new("bash")
        .arg("-c")
        .arg(
            r#"out=$1; shift; "$@"; rc=$?
while read -r key value; do [ "$key" = rchar: ] && echo "$value" > "$out"; done < /proc/$$/io
exit $rc"#,
        )
        .arg("bash")
        .arg(&count)
        .arg(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(args)
        .current_dir(dir)
        .env("XDG_CACHE_HOME", cache)
        .env("HOME", cache)
        .env("DOCKER_CONFIG", cache.join("no-docker"))
        .env_remove("HF_TOKEN")
        .env_remove("HF_ENDPOINT")
        .env_remove("OLLAMA_HOST")
        .env_remove("OLLAMA_MODELS")
        .env_remove("REGISTRY_USERNAME")
        .env_remove("REGISTRY_PASSWORD")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read_to_string(&count)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Asserts `read` is at most `k` times the file plus its header plus 1 MiB.
fn within(what: &str, read: u64, k: u64, gguf: &Path) {
    let size = std::fs::metadata(gguf).unwrap().len();
    let header = GgufHeader::read_path(gguf).unwrap().data_offset();
    let bound = k * size + header + MIB;
    eprintln!(
        "{what}: read {read} bytes = {:.2} x the file (bound {k} x + header + 1 MiB)",
        read as f64 / size as f64
    );
    assert!(
        read <= bound,
        "{what} read {read} bytes, more than {k} x {size} + {header} + 1 MiB = {bound}"
    );
}

#[test]
fn explain_hashes_once_then_reads_only_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let gguf = family(dir.path());
    within(
        "explain",
        rchar(dir.path(), cache.path(), &["explain"]),
        1,
        &gguf,
    );
    within(
        "explain again",
        rchar(dir.path(), cache.path(), &["explain"]),
        0,
        &gguf,
    );
    // A changed file is hashed again: same size, new bytes and modification time.
    let mut bytes = std::fs::read(&gguf).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&gguf, &bytes).unwrap();
    let read = rchar(dir.path(), cache.path(), &["explain"]);
    within("explain after a change", read, 1, &gguf);
    assert!(
        read > bytes.len() as u64,
        "the changed file was not hashed again ({read} bytes read)"
    );
}

#[test]
fn pushes_read_the_file_at_most_twice_once_cached_and_not_when_nothing_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let gguf = family(dir.path());
    let store = dir.path().join("store");
    let push = |cache: &Path, extra: &[&str]| {
        let mut args = vec![
            "push",
            "--to",
            "bundle",
            "--dir",
            store.to_str().unwrap(),
            "--no-verify",
        ];
        args.extend_from_slice(extra);
        rchar(dir.path(), cache, &args)
    };
    // Nothing cached: the dry run hashes; the first push hashes and copies.
    let cold = tempfile::tempdir().unwrap();
    within(
        "push --dry-run",
        push(cold.path(), &["--dry-run"]),
        1,
        &gguf,
    );
    let fresh = tempfile::tempdir().unwrap();
    within(
        "first push, digest not cached",
        push(fresh.path(), &[]),
        2,
        &gguf,
    );
    within("repeated push", push(fresh.path(), &[]), 0, &gguf);
    // The digest cached by an earlier command: the first push only copies.
    let warm = tempfile::tempdir().unwrap();
    let other_store = dir.path().join("store2");
    rchar(dir.path(), warm.path(), &["explain"]);
    let read = rchar(
        dir.path(),
        warm.path(),
        &[
            "push",
            "--to",
            "bundle",
            "--dir",
            other_store.to_str().unwrap(),
            "--no-verify",
        ],
    );
    within("first push, digest cached", read, 1, &gguf);
}

#[test]
fn release_to_two_targets_reads_the_file_at_most_twice() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let gguf = family(dir.path());
    let store = dir.path().join("store");
    let registry = registry::open_registry();
    let args = [
        "release",
        "--skip",
        "ollama",
        "--skip",
        "huggingface",
        "--dir",
        store.to_str().unwrap(),
        "--registry",
        registry.as_str(),
        "--insecure",
        "--no-verify",
    ];
    within(
        "release to oci and bundle",
        rchar(dir.path(), cache.path(), &args),
        2,
        &gguf,
    );
    within(
        "release again",
        rchar(dir.path(), cache.path(), &args),
        0,
        &gguf,
    );
}
