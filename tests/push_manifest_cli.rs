//! `ruvltra-export push --to ...`, `--push` and `release` from the checked-in `ruvltra.toml`,
//! end to end through the binary, against local stand-ins for Ollama, ModelScope and the Hub
//! (and the real OCI registry): what arrives is exactly what the generators write, a second
//! run sends nothing, `--dry-run` writes nothing, Hub downloads resume and are verified, and
//! no token is ever printed.

#[path = "support/fake_hf_upload.rs"]
mod fake_hf_upload;
#[path = "support/fake_hub.rs"]
mod fake_hub;
#[path = "support/fake_modelscope.rs"]
mod fake_modelscope;
#[path = "support/fake_ollama.rs"]
mod fake_ollama;
#[path = "support/fault_injection.rs"]
mod fault_injection;
#[path = "support/registry.rs"]
mod registry;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use ruvltra_export::modelfile::Modelfile;
use serde_json::Value;

const MS_TOKEN: &str = "ms-secret-token-123";
const HF_TOKEN: &str = "hf_secretwritetoken456";

fn manifest() -> PathBuf {
    support::root().join("ruvltra.toml")
}

struct Run {
    ok: bool,
    stdout: String,
    all: String,
}

impl Run {
    fn json(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

/// Runs the binary with a private cache and no ambient tokens or hosts.
fn run(args: &[&str], cache: &Path, env: &[(&str, &str)]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(args)
        .current_dir(support::root())
        .env("XDG_CACHE_HOME", cache)
        .env("HF_HOME", cache.join("hf-home"))
        .env("DOCKER_CONFIG", cache.join("no-docker"))
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("HF_TOKEN")
        .env_remove("HUGGING_FACE_HUB_TOKEN")
        .env_remove("HUGGINGFACE_API_KEY")
        .env_remove("HF_ENDPOINT")
        .env_remove("OLLAMA_HOST")
        .env_remove("OLLAMA_MODELS")
        .env_remove("MODELSCOPE_API_TOKEN")
        .env_remove("MODELSCOPE_DOMAIN")
        .env_remove("MODELSCOPE_ENDPOINT")
        .env_remove("REGISTRY_USERNAME")
        .env_remove("REGISTRY_PASSWORD")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let all = format!("{stdout}{stderr}");
    for token in [MS_TOKEN, HF_TOKEN] {
        assert!(!all.contains(token), "a token was printed:\n{all}");
    }
    Run {
        ok: output.status.success(),
        stdout,
        all,
    }
}

/// What the generators write, for comparison: `ruvltra-export all --out`.
fn generated(cache: &Path) -> PathBuf {
    let out = cache.join("generated");
    write_outputs("all", &manifest(), &out, cache, &[]);
    out
}

/// `ruvltra-export COMMAND --manifest m --out out EXTRA...`, which must succeed.
fn write_outputs(command: &str, m: &Path, out: &Path, cache: &Path, extra: &[&str]) {
    let mut args = vec![
        command,
        "--manifest",
        m.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let r = run(&args, cache, &[]);
    assert!(r.ok, "{}", r.all);
}

/// Every Ollama name in the generated tag plan, with its Modelfile's path.
fn ollama_names(out: &Path) -> Vec<(String, PathBuf)> {
    let tags: Value =
        serde_json::from_slice(&std::fs::read(out.join("ollama/tags.json")).unwrap()).unwrap();
    let mut names = Vec::new();
    for model in tags["models"].as_array().unwrap() {
        for variant in model["variants"].as_array().unwrap() {
            let modelfile = out
                .join("ollama")
                .join(variant["modelfile"].as_str().unwrap());
            for name in variant["names"].as_array().unwrap() {
                names.push((name.as_str().unwrap().to_owned(), modelfile.clone()));
            }
        }
    }
    names
}

fn parse_modelfile(path: &Path) -> Modelfile {
    Modelfile::parse(&std::fs::read(path).unwrap()).unwrap()
}

/// `ns/model:tag` -> `manifests/registry.ollama.ai/ns/model/tag`.
fn manifest_path(store: &Path, name: &str) -> PathBuf {
    let (repo, tag) = name.split_once(':').unwrap_or((name, "latest"));
    store
        .join("manifests/registry.ollama.ai")
        .join(repo)
        .join(tag)
}

fn layer_text(store: &Path, manifest: &Value, media_type: &str) -> Option<String> {
    let layer = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["mediaType"] == media_type)?;
    let digest = layer["digest"].as_str().unwrap().replace(':', "-");
    Some(std::fs::read_to_string(store.join("blobs").join(digest)).unwrap())
}

fn report_bytes(events: &[Value]) -> Vec<u64> {
    events
        .iter()
        .filter(|e| e["event"] == "report")
        .map(|e| e["report"]["bytes_sent"].as_u64().unwrap())
        .collect()
}

/// `llamacpp --hub-preset` for the manifest `m` into `out`; returns the `preset.ini` written.
fn render_hub_preset(m: &Path, out: &Path, cache: &Path) -> String {
    write_outputs("llamacpp", m, out, cache, &["--hub-preset"]);
    std::fs::read_to_string(out.join("llamacpp/preset.ini")).unwrap()
}

/// `push --to huggingface --hub-preset` for the manifest `m`, which must succeed.
fn push_hub_preset(m: &Path, cache: &Path, env: &[(&str, &str)]) -> Run {
    let r = run(
        &[
            "push",
            "--to",
            "huggingface",
            "--manifest",
            m.to_str().unwrap(),
            "--hub-preset",
        ],
        cache,
        env,
    );
    assert!(r.ok, "{}", r.all);
    r
}

#[test]
fn bundle_holds_every_generated_name_and_a_second_run_sends_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let out = generated(cache.path());
    let store = cache.path().join("store");
    let m = manifest();
    let args = [
        "push",
        "--to",
        "bundle",
        "--manifest",
        m.to_str().unwrap(),
        "--dir",
        store.to_str().unwrap(),
        "--json",
    ];
    let first = run(&args, cache.path(), &[]);
    assert!(first.ok, "{}", first.all);
    assert!(
        report_bytes(&first.json())[0] > 1_000_000,
        "{}",
        first.stdout
    );
    let names = ollama_names(&out);
    assert!(
        names.len() >= 10,
        "every variant under several names: {names:?}"
    );
    for (name, modelfile) in names {
        let path = manifest_path(&store, &name);
        let manifest: Value = serde_json::from_slice(
            &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        )
        .unwrap();
        let meant = parse_modelfile(&modelfile);
        assert_eq!(
            layer_text(&store, &manifest, "application/vnd.ollama.image.template"),
            meant.template,
            "{name}"
        );
        assert_eq!(
            layer_text(&store, &manifest, "application/vnd.ollama.image.system"),
            meant.system,
            "{name}"
        );
        let params: Value = serde_json::from_str(
            &layer_text(&store, &manifest, "application/vnd.ollama.image.params").unwrap(),
        )
        .unwrap();
        assert_eq!(params, Value::Object(meant.parameters.to_json()), "{name}");
        let config_digest = manifest["config"]["digest"]
            .as_str()
            .unwrap()
            .replace(':', "-");
        let config: Value = serde_json::from_slice(
            &std::fs::read(store.join("blobs").join(config_digest)).unwrap(),
        )
        .unwrap();
        assert_eq!(config["model_family"], "qwen2", "{name}");
        let file_type = config["file_type"].as_str().unwrap();
        assert!(
            ["Q4_K_M", "Q8_0"].contains(&file_type),
            "{name}: {file_type}"
        );
        // Ollama's human parameter count: `422K`, `494.03M`, `1.1B`.
        let model_type = config["model_type"].as_str().unwrap();
        let number = model_type.trim_end_matches(['K', 'M', 'B']);
        assert!(
            number.len() + 1 == model_type.len() && number.parse::<f64>().is_ok(),
            "{model_type}"
        );
    }
    let second = run(&args, cache.path(), &[]);
    assert!(second.ok, "{}", second.all);
    assert_eq!(report_bytes(&second.json()), [0], "{}", second.stdout);
}

#[test]
fn dry_run_writes_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let store = cache.path().join("store");
    let out = cache.path().join("dist");
    let m = manifest();
    let r = run(
        &[
            "push",
            "--to",
            "bundle",
            "--manifest",
            m.to_str().unwrap(),
            "--dir",
            store.to_str().unwrap(),
            "--dry-run",
        ],
        cache.path(),
        &[],
    );
    assert!(r.ok, "{}", r.all);
    assert!(r.stdout.contains("bundle -> "), "{}", r.stdout);
    assert!(r.stdout.contains("write"), "{}", r.stdout);
    assert!(!store.exists());
    let r = run(
        &[
            "release",
            "--manifest",
            m.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--dir",
            store.to_str().unwrap(),
            "--skip",
            "ollama",
            "--skip",
            "modelscope",
            "--skip",
            "huggingface",
            "--dry-run",
        ],
        cache.path(),
        &[],
    );
    assert!(r.ok, "{}", r.all);
    assert!(r.stdout.contains("dry run"), "{}", r.stdout);
    assert!(!store.exists());
    assert!(!out.exists());
}

#[test]
fn ollama_gets_every_name_with_the_generated_values() {
    let cache = tempfile::tempdir().unwrap();
    let out = generated(cache.path());
    let server = fake_ollama::FakeOllama::start("0.12.0");
    let url = server.url();
    let env = [("OLLAMA_HOST", url.as_str())];
    let m = manifest();
    let args = [
        "push",
        "--to",
        "ollama",
        "--manifest",
        m.to_str().unwrap(),
        "--json",
    ];
    let first = run(&args, cache.path(), &env);
    assert!(first.ok, "{}", first.all);
    for (name, modelfile) in ollama_names(&out) {
        let stored = server
            .model(&name)
            .unwrap_or_else(|| panic!("{name} was not created"));
        let meant = parse_modelfile(&modelfile);
        assert_eq!(stored.template, meant.template, "{name}");
        assert_eq!(stored.system, meant.system, "{name}");
        assert_eq!(stored.license, meant.license, "{name}");
        let mut params = stored.parameters.clone();
        let mut expected = meant.parameters.to_json();
        params.sort_keys();
        expected.sort_keys();
        assert_eq!(params, expected, "{name}");
    }
    let blobs: Vec<String> = server.state.lock().unwrap().blobs.keys().cloned().collect();
    assert_eq!(blobs.len(), 5, "one GGUF blob per variant: {blobs:?}");
    let second = run(&args, cache.path(), &env);
    assert!(second.ok, "{}", second.all);
    for hex in &blobs {
        assert_eq!(server.uploads_stored(hex), 1, "{hex} uploaded twice");
    }
}

#[test]
fn modelscope_gets_one_repository_per_model_with_published_gguf_names() {
    let cache = tempfile::tempdir().unwrap();
    let out = generated(cache.path());
    let server = fake_modelscope::FakeModelScope::start(MS_TOKEN);
    let url = server.url();
    let env = [
        ("MODELSCOPE_API_TOKEN", MS_TOKEN),
        ("MODELSCOPE_ENDPOINT", url.as_str()),
    ];
    let m = manifest();
    let args = [
        "push",
        "--to",
        "modelscope",
        "--manifest",
        m.to_str().unwrap(),
    ];
    let first = run(&args, cache.path(), &env);
    assert!(first.ok, "{}", first.all);
    let repo = server
        .repo("ruv/RuvLTRA-Small-GGUF")
        .expect("repository created");
    assert_eq!(repo.visibility, 5, "public, as the manifest says");
    assert_eq!(repo.license, "Apache License 2.0");
    let names: Vec<&str> = repo.files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "README.md",
            "RuvLTRA-Small-Q4_K_M.gguf",
            "RuvLTRA-Small-Q8_0.gguf",
            "configuration.json",
            "files.json"
        ]
    );
    let readme = std::fs::read(out.join("modelscope/RuvLTRA-Small-GGUF/README.md")).unwrap();
    assert_eq!(
        repo.files["README.md"].content.as_deref(),
        Some(&readme[..])
    );
    let gguf =
        std::fs::read(support::root().join("fixtures/ruvltra-small-0.5b-q8_0.gguf")).unwrap();
    assert_eq!(
        repo.files["RuvLTRA-Small-Q8_0.gguf"].size,
        gguf.len() as u64
    );
    assert!(repo.files["RuvLTRA-Small-Q8_0.gguf"].is_lfs);
    assert!(server.repo("ruv/RuvLTRA-Medium-GGUF").is_some());
    assert!(server.repo("ruv/RuvLTRA-Claude-Code-GGUF").is_some());
    let commits = repo.commits;
    let second = run(&args, cache.path(), &env);
    assert!(second.ok, "{}", second.all);
    assert_eq!(
        server.repo("ruv/RuvLTRA-Small-GGUF").unwrap().commits,
        commits,
        "nothing changed, so no commit"
    );
}

#[test]
fn huggingface_gets_the_card_and_root_files() {
    let cache = tempfile::tempdir().unwrap();
    let out = generated(cache.path());
    let server = fake_hf_upload::FakeHub::start(HF_TOKEN);
    server.seed_repo("ruv/ruvltra", &[]);
    let url = server.url();
    let env = [("HF_ENDPOINT", url.as_str()), ("HF_TOKEN", HF_TOKEN)];
    let m = manifest();
    let r = run(
        &[
            "card",
            "--manifest",
            m.to_str().unwrap(),
            "--out",
            cache.path().join("card-out").to_str().unwrap(),
            "--push",
        ],
        cache.path(),
        &env,
    );
    assert!(r.ok, "{}", r.all);
    for file in ["README.md", "template", "system", "params"] {
        let meant = std::fs::read(out.join("hub").join(file)).unwrap();
        assert_eq!(
            server.file("ruv/ruvltra", "main", file).as_deref(),
            Some(&meant[..]),
            "{file}"
        );
    }
    assert!(
        server.file("ruv/ruvltra", "main", "preset.ini").is_none(),
        "preset.ini only with --hub-preset"
    );
    push_hub_preset(&m, cache.path(), &env);
    let preset_out = cache.path().join("preset-out");
    let meant = render_hub_preset(&m, &preset_out, cache.path());
    assert_eq!(
        server.file("ruv/ruvltra", "main", "preset.ini").as_deref(),
        Some(meant.as_bytes())
    );
}

#[test]
fn hub_sources_are_downloaded_resumed_and_verified() {
    let cache = tempfile::tempdir().unwrap();
    let hub = fake_hub::FakeHub::start("hf_readtoken");
    hub.add_repo("ruv/ruvltra", fake_hub::Access::Public);
    // Downloads are pinned to the commit the resolution saw, as the Hub allows.
    hub.add_revision("ruv/ruvltra", fake_hub::COMMIT);
    let fixtures = support::root().join("fixtures");
    let name = "ruvltra-small-0.5b-q4_k_m.gguf";
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "gguf") {
            let file = path.file_name().unwrap().to_str().unwrap().to_owned();
            hub.add_file("ruv/ruvltra", &file, std::fs::read(&path).unwrap());
        }
    }
    let bytes = std::fs::read(fixtures.join(name)).unwrap();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
    let blobs = cache.path().join("ruvltra-export/blobs");
    std::fs::create_dir_all(&blobs).unwrap();
    let partial = blobs.join(format!("{sha}.partial"));
    let half = bytes.len() / 2;
    let store = cache.path().join("store");
    let m = manifest();
    let endpoint = hub.endpoint.clone();
    let env = [("HF_ENDPOINT", endpoint.as_str())];
    let args = [
        "push",
        "--from",
        "hub",
        "--variant",
        "small/q4_k_m",
        "--to",
        "bundle",
        "--manifest",
        m.to_str().unwrap(),
        "--dir",
        store.to_str().unwrap(),
    ];

    // A dry run downloads nothing and says what it would fetch.
    let mut dry = args.to_vec();
    dry.push("--dry-run");
    let r = run(&dry, cache.path(), &env);
    assert!(r.ok, "{}", r.all);
    assert!(
        r.stdout.contains(&format!("would download {name}")),
        "{}",
        r.stdout
    );
    let last = format!("-{}", bytes.len() - 1);
    assert!(
        !hub.requests()
            .iter()
            .any(|q| q.range.as_deref().is_some_and(|r| r.ends_with(&last))),
        "{:?}",
        hub.requests()
    );
    assert!(!store.exists());
    assert!(std::fs::read_dir(&blobs).unwrap().next().is_none());

    // A partial download whose bytes are wrong: the whole file fails its sha256 check and
    // the partial is deleted, so the next run starts over.
    let mut wrong = bytes[..half].to_vec();
    wrong[100] ^= 0xff;
    std::fs::write(&partial, &wrong).unwrap();
    let r = run(&args, cache.path(), &env);
    assert!(!r.ok, "{}", r.all);
    assert!(r.all.contains(&sha), "{}", r.all);
    assert!(r.all.contains("sha256"), "{}", r.all);
    assert!(!partial.exists());
    assert!(!store.exists(), "nothing pushed from an unverified file");

    // An interrupted earlier run left the first half: only the rest is fetched.
    std::fs::write(&partial, &bytes[..half]).unwrap();
    hub.clear_log();
    let r = run(&args, cache.path(), &env);
    assert!(r.ok, "{}", r.all);
    assert!(r.all.contains("resumed at"), "{}", r.all);
    let resumed: Vec<_> = hub
        .requests()
        .into_iter()
        .filter(|q| {
            q.range
                .as_deref()
                .is_some_and(|range| range.starts_with(&format!("bytes={half}-")))
        })
        .filter(|q| q.status == 206)
        .collect();
    assert_eq!(resumed.len(), 1, "{:?}", hub.requests());
    assert_eq!(resumed[0].body_bytes, (bytes.len() - half) as u64);
    assert_eq!(std::fs::read(blobs.join(&sha)).unwrap(), bytes);
    assert!(!partial.exists());
    let layer = store.join(format!("blobs/sha256-{sha}"));
    assert_eq!(std::fs::read(layer).unwrap(), bytes);

    // Cached and verified: a third run downloads nothing.
    hub.clear_log();
    let mut json = args.to_vec();
    json.push("--json");
    let r = run(&json, cache.path(), &env);
    assert!(r.ok, "{}", r.all);
    let events = r.json();
    let download = events.iter().find(|e| e["event"] == "download").unwrap();
    assert_eq!(download["download"]["file"], name);
    assert_eq!(download["download"]["sha256"], format!("sha256:{sha}"));
    assert_eq!(download["download"]["bytes_fetched"], 0);
    // Header reads ask for the first MiB; a download asks up to the file's last byte.
    let full_reads = hub
        .requests()
        .into_iter()
        .filter(|q| q.range.as_deref().is_some_and(|r| r.ends_with(&last)))
        .count();
    assert_eq!(full_reads, 0, "{:?}", hub.requests());
}

#[test]
fn oci_registry_takes_the_manifest_models() {
    let registry = registry::open_registry();
    let cache = tempfile::tempdir().unwrap();
    let m = manifest();
    let args = [
        "push",
        "--to",
        "oci",
        "--registry",
        &registry,
        "--insecure",
        "--manifest",
        m.to_str().unwrap(),
        "--variant",
        "claude-code/q4_k_m",
        "--json",
    ];
    let r = run(&args, cache.path(), &[]);
    assert!(r.ok, "{}", r.all);
    let events = r.json();
    let verify = events.iter().find(|e| e["event"] == "verify").unwrap();
    assert!(
        verify["verify"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["ok"] == true),
        "{verify}"
    );
    let again = run(&args, cache.path(), &[]);
    assert!(again.ok, "{}", again.all);
    assert_eq!(report_bytes(&again.json()), [0], "{}", again.stdout);
}

#[test]
fn release_pushes_everywhere_and_prints_one_summary() {
    let cache = tempfile::tempdir().unwrap();
    let ollama = fake_ollama::FakeOllama::start("0.12.0");
    let modelscope = fake_modelscope::FakeModelScope::start(MS_TOKEN);
    let hf = fake_hf_upload::FakeHub::start(HF_TOKEN);
    hf.seed_repo("ruv/ruvltra", &[]);
    let (ollama_url, ms_url, hf_url) = (ollama.url(), modelscope.url(), hf.url());
    let env = [
        ("OLLAMA_HOST", ollama_url.as_str()),
        ("MODELSCOPE_API_TOKEN", MS_TOKEN),
        ("MODELSCOPE_ENDPOINT", ms_url.as_str()),
        ("HF_ENDPOINT", hf_url.as_str()),
        ("HF_TOKEN", HF_TOKEN),
    ];
    let out = cache.path().join("dist");
    let store = cache.path().join("store");
    let m = manifest();
    let args = [
        "release",
        "--manifest",
        m.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--dir",
        store.to_str().unwrap(),
    ];
    let r = run(&args, cache.path(), &env);
    assert!(r.ok, "{}", r.all);
    assert!(out.join("metadata.lock.json").is_file());
    let table: Vec<&str> = r
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("REGISTRY"))
        .collect();
    assert!(table[0].contains("STATUS"), "{}", r.stdout);
    let registries: Vec<&str> = table[1..]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        registries,
        [
            "ollama",
            "bundle",
            "modelscope",
            "modelscope",
            "modelscope",
            "huggingface"
        ],
        "{}",
        r.stdout
    );
    assert!(
        table[1..].iter().all(|l| l.ends_with(" ok")),
        "{}",
        r.stdout
    );
    assert!(ollama.model("ruv/ruvltra-small:latest").is_some());
    assert!(hf.file("ruv/ruvltra", "main", "README.md").is_some());

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let again = run(&json_args, cache.path(), &env);
    assert!(again.ok, "{}", again.all);
    let events = again.json();
    let summary = events.iter().find(|e| e["event"] == "summary").unwrap();
    let rows = summary["summary"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    for row in rows {
        assert_eq!(row["status"], "ok", "{row}");
        assert_eq!(row["bytes"], 0, "a second release sends nothing: {row}");
    }
}

#[test]
fn one_failing_registry_does_not_stop_the_others() {
    let cache = tempfile::tempdir().unwrap();
    let out = cache.path().join("dist");
    let store = cache.path().join("store");
    let m = manifest();
    // No MODELSCOPE_API_TOKEN: ModelScope fails, the bundle is still written.
    let r = run(
        &[
            "release",
            "--manifest",
            m.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--dir",
            store.to_str().unwrap(),
            "--skip",
            "ollama",
            "--skip",
            "huggingface",
        ],
        cache.path(),
        &[],
    );
    assert!(!r.ok, "{}", r.all);
    assert!(r.all.contains("MODELSCOPE_API_TOKEN"), "{}", r.all);
    let rows = support::summary_rows(&r.stdout);
    assert_eq!(rows.len(), 2, "{}", r.stdout);
    assert!(
        rows[0].starts_with("bundle") && rows[0].ends_with(" ok"),
        "{}",
        r.stdout
    );
    assert!(
        rows[1].starts_with("modelscope") && rows[1].ends_with(" failed"),
        "{}",
        r.stdout
    );
    assert!(store.join("manifests").is_dir());
}

#[test]
fn ollama_push_flag_sends_what_the_generator_wrote() {
    let cache = tempfile::tempdir().unwrap();
    let server = fake_ollama::FakeOllama::start("0.12.0");
    let url = server.url();
    let out = cache.path().join("dist");
    let m = manifest();
    let r = run(
        &[
            "ollama",
            "--manifest",
            m.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--variant",
            "medium/q8_0",
            "--push",
        ],
        cache.path(),
        &[("OLLAMA_HOST", url.as_str())],
    );
    assert!(r.ok, "{}", r.all);
    let names = ollama_names(&out);
    assert!(!names.is_empty(), "{names:?}");
    for (name, modelfile) in names {
        let stored = server.model(&name).unwrap_or_else(|| panic!("{name}"));
        let meant = parse_modelfile(&modelfile);
        assert_eq!(stored.template, meant.template, "{name}");
        assert_eq!(
            stored.parameters.get("num_ctx"),
            meant.parameters.to_json().get("num_ctx"),
            "{name}"
        );
    }
    assert!(server.model("ruv/ruvltra-small:latest").is_none());
}

#[test]
fn a_projector_goes_with_its_model_to_ollama_stores_and_modelscope() {
    let cache = tempfile::tempdir().unwrap();
    // The test manifest with its `[source] local` pointing at the checked-in fixtures.
    let fixtures = support::root().join("fixtures");
    let text = std::fs::read_to_string(support::root().join("tests/data/mmproj.toml"))
        .unwrap()
        .replace(
            "local = \"fixtures\"",
            &format!("local = {:?}", fixtures.to_str().unwrap()),
        );
    assert!(text.contains(fixtures.to_str().unwrap()));
    let m = cache.path().join("ruvltra.toml");
    std::fs::write(&m, text).unwrap();
    let out = cache.path().join("generated");
    let r = run(
        &[
            "ollama",
            "--manifest",
            m.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        cache.path(),
        &[],
    );
    assert!(r.ok, "{}", r.all);
    let projector =
        std::fs::read(support::root().join("fixtures/mmproj/ruvltra-small-0.5b-mmproj-f16.gguf"))
            .unwrap();
    let projector_digest = format!(
        "sha256-{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&projector))
    );

    let store = cache.path().join("store");
    let server = fake_modelscope::FakeModelScope::start(MS_TOKEN);
    let url = server.url();
    let r = run(
        &[
            "push",
            "--to",
            "bundle",
            "--to",
            "modelscope",
            "--manifest",
            m.to_str().unwrap(),
            "--dir",
            store.to_str().unwrap(),
        ],
        cache.path(),
        &[
            ("MODELSCOPE_API_TOKEN", MS_TOKEN),
            ("MODELSCOPE_ENDPOINT", url.as_str()),
        ],
    );
    assert!(r.ok, "{}", r.all);
    let names = ollama_names(&out);
    assert!(!names.is_empty());
    for (name, _) in names {
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(manifest_path(&store, &name)).unwrap()).unwrap();
        let layer = manifest["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["mediaType"] == "application/vnd.ollama.image.projector")
            .unwrap_or_else(|| panic!("{name} has no projector layer: {manifest}"));
        assert_eq!(
            layer["digest"].as_str().unwrap().replace(':', "-"),
            projector_digest
        );
    }
    assert_eq!(
        std::fs::read(store.join("blobs").join(&projector_digest)).unwrap(),
        projector
    );
    let repo = server.repo("ruv/RuvLTRA-Vision-GGUF").unwrap();
    let file = &repo.files["ruvltra-small-0.5b-mmproj-f16.gguf"];
    assert_eq!(file.size, projector.len() as u64);
}

/// #14 item 11: with `--hub-preset`, a GGUF without a chat template gets
/// `chat-template-file = chat-template-<sha12>.jinja` in the root `preset.ini`, and the push
/// commits that `.jinja` next to it with the bytes the generator wrote.
#[test]
fn hub_preset_push_sends_the_jinja_file_the_preset_names() {
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("family");
    std::fs::create_dir_all(dir.join("models")).unwrap();
    std::fs::copy(
        support::root().join("fixtures/no-template/ruvltra-small-0.5b-q4_k_m.gguf"),
        dir.join("models/ruvltra-small-0.5b-q4_k_m.gguf"),
    )
    .unwrap();
    std::fs::write(
        dir.join("ruvltra.toml"),
        r#"[family]
name = "RuvLTRA"
description = "A RuvLTRA model whose GGUF carries no chat template."
publisher = "ruv"
license = "apache-2.0"
languages = ["en"]
default_model = "small"

[hub]
repo = "ruv/ruvltra"

[source]
local = "models"

[models.small]
name = "RuvLTRA Small"
description = "The general-purpose 0.5B RuvLTRA model."
default_variant = "q4_k_m"

[models.small.variants.q4_k_m]
file = "ruvltra-small-0.5b-q4_k_m.gguf"
"#,
    )
    .unwrap();
    let m = dir.join("ruvltra.toml");
    let out = cache.path().join("llamacpp-out");
    let preset = render_hub_preset(&m, &out, cache.path());
    let jinja = preset
        .lines()
        .find_map(|l| l.strip_prefix("chat-template-file = "))
        .unwrap_or_else(|| panic!("no chat-template-file: {preset}"))
        .to_owned();
    assert!(
        jinja.starts_with("chat-template-") && jinja.ends_with(".jinja"),
        "{jinja}"
    );
    assert!(
        preset.contains(&format!("hf download ruv/ruvltra {jinja} --local-dir .")),
        "the preset says how to fetch it: {preset}"
    );

    let server = fake_hf_upload::FakeHub::start(HF_TOKEN);
    server.seed_repo("ruv/ruvltra", &[]);
    let url = server.url();
    let env = [("HF_ENDPOINT", url.as_str()), ("HF_TOKEN", HF_TOKEN)];
    let r = push_hub_preset(&m, cache.path(), &env);
    assert_eq!(
        server.file("ruv/ruvltra", "main", "preset.ini").as_deref(),
        Some(preset.as_bytes())
    );
    let meant = std::fs::read(out.join("llamacpp").join(&jinja)).unwrap();
    assert_eq!(
        server.file("ruv/ruvltra", "main", &jinja).as_deref(),
        Some(&meant[..]),
        "`{jinja}` is committed next to preset.ini\n{}",
        r.all
    );
}

/// #14 item 21: a push the Hub or ModelScope refuses with 401 says which token to check and
/// where a new one comes from, and never prints the rejected token.
#[test]
fn rejected_tokens_get_a_hint_naming_what_to_check() {
    const WRONG_HF: &str = "hf_wrongtoken789";
    const WRONG_MS: &str = "ms-wrong-token-789";
    let cache = tempfile::tempdir().unwrap();
    let m = manifest();
    let hub = fake_hf_upload::FakeHub::start(HF_TOKEN);
    hub.seed_repo("ruv/ruvltra", &[]);
    let url = hub.url();
    let r = run(
        &[
            "push",
            "--to",
            "huggingface",
            "--manifest",
            m.to_str().unwrap(),
        ],
        cache.path(),
        &[("HF_ENDPOINT", url.as_str()), ("HF_TOKEN", WRONG_HF)],
    );
    assert!(!r.ok, "{}", r.all);
    assert!(r.all.contains("401"), "{}", r.all);
    assert!(
        r.all.contains("hint: the Hub rejected the token")
            && r.all.contains("`HF_TOKEN`")
            && r.all.contains(&format!("{url}/settings/tokens")),
        "{}",
        r.all
    );
    assert!(!r.all.contains(WRONG_HF), "{}", r.all);

    let modelscope = fake_modelscope::FakeModelScope::start(MS_TOKEN);
    let url = modelscope.url();
    let r = run(
        &[
            "push",
            "--to",
            "modelscope",
            "--manifest",
            m.to_str().unwrap(),
        ],
        cache.path(),
        &[
            ("MODELSCOPE_API_TOKEN", WRONG_MS),
            ("MODELSCOPE_ENDPOINT", url.as_str()),
        ],
    );
    assert!(!r.ok, "{}", r.all);
    assert!(
        r.all
            .contains("hint: ModelScope rejected the token: set `MODELSCOPE_API_TOKEN`"),
        "{}",
        r.all
    );
    assert!(!r.all.contains(WRONG_MS), "{}", r.all);
}
