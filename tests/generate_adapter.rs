//! A model with a LoRA adapter (`adapter = "...gguf"` in the manifest): resolution reads the
//! adapter's header and records its size and digest (from a local folder and from the fake
//! Hub), and every output names it (a Modelfile `ADAPTER`, `lora` in the preset and the real
//! `llama-server` router, the card's files and memory totals, ModelScope's file list, an
//! adapter layer in an Ollama bundle and in a real OCI registry), including through the real
//! binary from `init` on.

#[path = "support/fake_hub.rs"]
mod fake_hub;
#[path = "support/llama_server.rs"]
mod llama_server;
#[path = "support/local_family.rs"]
mod local_family;
#[path = "support/lora.rs"]
mod lora;
#[path = "support/registry.rs"]
mod registry;
mod support;

use std::path::Path;
use std::process::{Command, Output};

use ruvltra_export::manifest::Origin;
use ruvltra_export::modelfile::Modelfile;
use serde_json::Value;

use local_family::{render_all, sha256_hex, try_resolve};

const ADAPTER: &str = "ruvltra-small-0.5b-sql-lora-f16.gguf";
const MODELS: [&str; 2] = [
    "ruvltra-small-0.5b-q4_k_m.gguf",
    "ruvltra-small-0.5b-q8_0.gguf",
];

/// `tests/data/adapter.toml` (edited by `edit`) next to the fixtures it names and a Qwen2
/// adapter.
fn family(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(support::root().join("tests/data/adapter.toml")).unwrap();
    std::fs::write(dir.path().join("ruvltra.toml"), edit(text)).unwrap();
    let fixtures = dir.path().join("fixtures");
    std::fs::create_dir_all(&fixtures).unwrap();
    for file in MODELS {
        std::fs::copy(
            support::root().join("fixtures").join(file),
            fixtures.join(file),
        )
        .unwrap();
    }
    std::fs::write(fixtures.join(ADAPTER), lora::lora_adapter("qwen2")).unwrap();
    dir
}

fn run_bin(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(args)
        .current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap()
}

fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_adapter_is_resolved_with_size_digest_and_architecture() {
    let dir = family(|t| t);
    let resolved = try_resolve(dir.path()).unwrap();
    let path = dir.path().join("fixtures").join(ADAPTER);
    for variant in &resolved.models[0].variants {
        let adapter = variant.adapter.as_ref().unwrap();
        assert_eq!(adapter.file, ADAPTER);
        assert_eq!(
            adapter.size_bytes.value,
            std::fs::metadata(&path).unwrap().len()
        );
        assert_eq!(adapter.sha256.as_ref().unwrap().value, sha256_hex(&path));
        assert_eq!(adapter.architecture.value, "qwen2");
        assert_eq!(adapter.adapter_type.as_deref(), Some("lora"));
    }
    let tree = render_all(dir.path(), &resolved);
    let lock: Value = serde_json::from_str(tree.text("metadata.lock.json").unwrap()).unwrap();
    let locked = &lock["models"][0]["variants"][0]["adapter"];
    assert_eq!(locked["file"], ADAPTER, "{locked:#}");
    assert_eq!(locked["sha256"]["value"], sha256_hex(&path), "{locked:#}");
}

#[test]
fn an_adapter_of_the_wrong_kind_or_architecture_is_refused_at_its_line() {
    // A model file named as the adapter.
    let dir = family(|t| t.replace(&format!("\"{ADAPTER}\""), &format!("\"{}\"", MODELS[1])));
    let err = try_resolve(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains(":20:11: `ruvltra-small-0.5b-q8_0.gguf` (variant `small/q4_k_m`) is named as the adapter but its header says `general.type = model`"),
        "{err}"
    );
    // An adapter for another architecture: both sides named.
    let dir = family(|t| t);
    std::fs::write(
        dir.path().join("fixtures").join(ADAPTER),
        lora::lora_adapter("llama"),
    )
    .unwrap();
    let err = try_resolve(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("is for architecture `llama`, but the model `ruvltra-small-0.5b-q4_k_m.gguf` (variant `small/q4_k_m`) is `qwen2`"),
        "{err}"
    );
    // A misspelt key is located with a suggestion.
    let dir = family(|t| t.replace("adapter = ", "adaptor = "));
    let out = run_bin(dir.path(), &["check", "ruvltra.toml"]);
    let shown = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.status.success() && shown.contains("did you mean `adapter`?"),
        "{shown}"
    );
}

#[test]
fn a_variant_names_its_own_adapter_or_none_inherits_the_models() {
    let dir = family(|t| {
        t.replace(
            "file = \"ruvltra-small-0.5b-q8_0.gguf\"",
            "file = \"ruvltra-small-0.5b-q8_0.gguf\"\nadapter = \"other-lora.gguf\"",
        )
    });
    std::fs::write(
        dir.path().join("fixtures/other-lora.gguf"),
        lora::lora_adapter("qwen2")
            .into_iter()
            .chain([0u8; 32])
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let resolved = try_resolve(dir.path()).unwrap();
    let files: Vec<&str> = resolved.models[0]
        .variants
        .iter()
        .map(|v| v.adapter.as_ref().unwrap().file.as_str())
        .collect();
    assert_eq!(files, [ADAPTER, "other-lora.gguf"]);
}

#[test]
fn modelscope_lists_the_adapter_once_and_the_hub_modelfile_says_why_it_has_none() {
    let dir = family(|t| t);
    let mut resolved = try_resolve(dir.path()).unwrap();
    let tree = render_all(dir.path(), &resolved);
    let files: Value =
        serde_json::from_str(tree.text("modelscope/RuvLTRA-SQL-GGUF/files.json").unwrap()).unwrap();
    let adapters: Vec<&Value> = files["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["adapter"] == true)
        .collect();
    assert_eq!(
        adapters.len(),
        1,
        "two variants share one adapter: {files:#}"
    );
    assert_eq!(adapters[0]["path"], ADAPTER);
    assert_eq!(
        adapters[0]["sha256"],
        sha256_hex(&dir.path().join("fixtures").join(ADAPTER))
    );
    let readme = tree.text("modelscope/RuvLTRA-SQL-GGUF/README.md").unwrap();
    assert!(
        readme.contains(&format!("| `{ADAPTER}` | LoRA adapter |")),
        "{readme}"
    );

    resolved.origin = Origin::Hub {
        endpoint: "https://huggingface.co".into(),
    };
    let tree = render_all(dir.path(), &resolved);
    let text = tree.text("ollama/small-q4_k_m.Modelfile").unwrap();
    let parsed = Modelfile::parse(text.as_bytes()).unwrap();
    assert_eq!(parsed.adapter, None, "{text}");
    assert!(
        text.contains(&format!(
            "# The LoRA adapter `{ADAPTER}` (in ruv/ruvltra-sql) has no ADAPTER line"
        )),
        "{text}"
    );
    let presets = tree.text("llamacpp/presets.ini").unwrap();
    assert!(!presets.contains("\nlora = "), "{presets}");
    assert!(
        presets.contains(&format!(
            "; [small-q4_k_m] runs with the LoRA adapter `{ADAPTER}`, which llama-server cannot fetch from the Hub"
        )),
        "{presets}"
    );
}

/// The arguments `GET /models` of a router started on `preset` lists for each variant.
fn router_args(preset: &str, name: &str) -> Vec<Vec<String>> {
    let work = llama_server::scratch(name);
    std::fs::write(work.join("presets.ini"), preset).unwrap();
    let router = llama_server::Router::start(&work, &work.join("presets.ini"));
    let models = router.models();
    ["small-q4_k_m", "small-q8_0"]
        .iter()
        .map(|id| {
            let model = models["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["id"] == *id)
                .unwrap_or_else(|| panic!("`{id}` is not in GET /models: {models:#}"));
            model["status"]["args"]
                .as_array()
                .unwrap_or_else(|| panic!("no status.args for `{id}`: {models:#}"))
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn the_real_router_takes_the_lora_of_every_variant() {
    let dir = family(|t| t);
    let resolved = try_resolve(dir.path()).unwrap();
    let tree = render_all(dir.path(), &resolved);
    let presets = tree.text("llamacpp/presets.ini").unwrap();
    let diagnostics =
        ruvltra_export::render::llamacpp::check_preset(presets, Path::new("presets.ini"));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let adapter = std::path::absolute(dir.path().join("fixtures").join(ADAPTER)).unwrap();
    for args in router_args(presets, "lora-local") {
        assert!(
            args.windows(2)
                .any(|w| w[0] == "--lora" && w[1] == adapter.to_str().unwrap()),
            "{args:?}"
        );
    }
}

#[test]
fn from_the_hub_the_adapter_comes_from_the_hub_api() {
    let hub = fake_hub::FakeHub::start("hf_test_token_never_printed");
    hub.add_repo("ruv/ruvltra-sql", fake_hub::Access::Public);
    for file in MODELS {
        let bytes = std::fs::read(support::root().join("fixtures").join(file)).unwrap();
        hub.add_file("ruv/ruvltra-sql", file, bytes);
    }
    let adapter = lora::lora_adapter("qwen2");
    let digest = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(&adapter))
    };
    hub.add_file("ruv/ruvltra-sql", ADAPTER, adapter);
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::root().join("tests/data/adapter.toml"),
        dir.path().join("ruvltra.toml"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(["all", "--from", "hub"])
        .current_dir(dir.path())
        .env("HF_ENDPOINT", &hub.endpoint)
        .env("HF_TOKEN_PATH", dir.path().join("no-token"))
        .env_remove("HF_TOKEN")
        .env_remove("HUGGING_FACE_HUB_TOKEN")
        .env_remove("HUGGINGFACE_API_KEY")
        .output()
        .unwrap();
    assert_ok(&out, "all --from hub");
    let lock: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("dist/metadata.lock.json")).unwrap())
            .unwrap();
    let locked = &lock["models"][0]["variants"][1]["adapter"];
    assert_eq!(locked["sha256"]["value"], digest.as_str(), "{locked:#}");
    assert_eq!(
        locked["sha256"]["provenance"]["source"], "hub_api",
        "{locked:#}"
    );
}

#[test]
fn init_check_all_and_push_carry_the_adapter() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    for file in MODELS {
        std::fs::copy(
            support::root().join("fixtures").join(file),
            models.join(file),
        )
        .unwrap();
    }
    let adapter = models.join(ADAPTER);
    std::fs::write(&adapter, lora::lora_adapter("qwen2")).unwrap();
    let size = std::fs::metadata(&adapter).unwrap().len();
    let digest = sha256_hex(&adapter);

    let init = run_bin(dir.path(), &["init", "models"]);
    assert_ok(&init, "init");
    let manifest = std::fs::read_to_string(dir.path().join("ruvltra.toml")).unwrap();
    assert!(
        manifest.contains(&format!("\nadapter = \"{ADAPTER}\"\n")),
        "{manifest}"
    );
    assert!(
        String::from_utf8_lossy(&init.stderr).contains("(1 adapter, applied to its model)"),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    support::fill_placeholders(&dir.path().join("ruvltra.toml"));
    assert_ok(&run_bin(dir.path(), &["check", "ruvltra.toml"]), "check");
    let explain = run_bin(dir.path(), &["explain"]);
    assert_ok(&explain, "explain");
    let explained = String::from_utf8_lossy(&explain.stdout);
    assert_eq!(
        explained
            .matches(&format!(
                "adapter sha256       {digest} <- sha256 of the local file `models/{ADAPTER}`"
            ))
            .count(),
        2,
        "{explained}"
    );
    assert_ok(&run_bin(dir.path(), &["all"]), "all");
    let dist = dir.path().join("dist");

    for variant in ["small-q4_k_m", "small-q8_0"] {
        let path = dist.join(format!("ollama/{variant}.Modelfile"));
        let parsed = Modelfile::parse(&std::fs::read(&path).unwrap()).unwrap();
        let line = parsed
            .adapter
            .unwrap_or_else(|| panic!("no ADAPTER in {variant}"));
        assert_eq!(line, format!("../../models/{ADAPTER}"));
        // The path is relative to the Modelfile's folder, as Ollama reads it.
        assert_eq!(
            std::fs::canonicalize(dist.join("ollama").join(&line)).unwrap(),
            std::fs::canonicalize(&adapter).unwrap()
        );
        let check = run_bin(dir.path(), &["check", path.to_str().unwrap()]);
        assert_ok(&check, "check Modelfile");
    }
    let presets = std::fs::read_to_string(dist.join("llamacpp/presets.ini")).unwrap();
    let abs = std::path::absolute(&adapter).unwrap();
    assert_eq!(
        presets
            .matches(&format!("\nlora = {}\n", abs.display()))
            .count(),
        2,
        "{presets}"
    );
    assert_ok(
        &run_bin(dir.path(), &["check", "dist/llamacpp/presets.ini"]),
        "check presets.ini",
    );
    let usage = std::fs::read_to_string(dist.join("llamacpp/usage.md")).unwrap();
    assert_eq!(
        usage.matches(&format!(":Q8_0 --lora {ADAPTER}\n")).count(),
        2,
        "{usage}"
    );

    let card = std::fs::read_to_string(dist.join("hub/README.md")).unwrap();
    assert_eq!(card.matches(&format!("`{digest}`")).count(), 2, "{card}");
    let lock: Value =
        serde_json::from_slice(&std::fs::read(dist.join("metadata.lock.json")).unwrap()).unwrap();
    for v in lock["models"][0]["variants"].as_array().unwrap() {
        assert_eq!(v["adapter"]["size_bytes"]["value"], size, "{v:#}");
    }
    // Every total of the hardware table counts the model file, the adapter and the KV cache.
    let hardware = card
        .split("## Hardware requirements")
        .nth(1)
        .and_then(|s| s.split("## Usage").next())
        .unwrap();
    let rows: Vec<&str> = hardware
        .lines()
        .filter(|l| l.starts_with("| small |"))
        .collect();
    assert_eq!(rows.len(), 2, "{hardware}");
    let kib = format!(" + adapter {:.1} KiB |", size as f64 / 1024.0);
    for row in rows {
        assert!(row.contains(&kib), "{kib}\n{row}");
    }

    let store = dir.path().join("store");
    let push = run_bin(
        dir.path(),
        &["push", "--to", "bundle", "--dir", store.to_str().unwrap()],
    );
    assert_ok(&push, "push --to bundle");
    let tags = store.join("manifests/registry.ollama.ai/ruv/ruvltra-small");
    let mut seen = 0;
    for entry in std::fs::read_dir(&tags).unwrap() {
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(entry.unwrap().path()).unwrap()).unwrap();
        let layers: Vec<&Value> = manifest["layers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["mediaType"] == "application/vnd.ollama.image.adapter")
            .collect();
        assert_eq!(layers.len(), 1, "{manifest:#}");
        assert_eq!(layers[0]["digest"], format!("sha256:{digest}"));
        assert_eq!(layers[0]["size"], size);
        assert!(store.join(format!("blobs/sha256-{digest}")).is_file());
        seen += 1;
    }
    assert_eq!(seen, 4, "every Ollama name of both variants");
}

#[test]
fn push_to_a_real_oci_registry_sends_the_adapter_layer() {
    let namespace = registry::unique("lora");
    let dir = family(|t| {
        t.replace(
            "namespace = \"ruv\"",
            &format!("namespace = \"{namespace}\""),
        )
    });
    let open = registry::open_registry();
    let out = Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args([
            "push",
            "--to",
            "oci",
            "--registry",
            &open,
            "--insecure",
            "--variant",
            "small/q4_k_m",
        ])
        .current_dir(dir.path())
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .env("DOCKER_CONFIG", dir.path().join("no-docker"))
        .env_remove("REGISTRY_USERNAME")
        .env_remove("REGISTRY_PASSWORD")
        .output()
        .unwrap();
    assert_ok(&out, "push --to oci");
    let digest = sha256_hex(&dir.path().join("fixtures").join(ADAPTER));
    let client = reqwest::blocking::Client::new();
    for tag in ["0.5b-q4_K_M", "0.5b", "latest"] {
        let url = format!("http://{open}/v2/{namespace}/ruvltra-sql-small/manifests/{tag}");
        let manifest: Value = client
            .get(&url)
            .header(
                "Accept",
                "application/vnd.docker.distribution.manifest.v2+json",
            )
            .send()
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .unwrap();
        let adapters: Vec<&Value> = manifest["layers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["mediaType"] == "application/vnd.ollama.image.adapter")
            .collect();
        assert_eq!(adapters.len(), 1, "{tag}: {manifest:#}");
        assert_eq!(adapters[0]["digest"], format!("sha256:{digest}"), "{tag}");
        let blob = client
            .get(format!(
                "http://{open}/v2/{namespace}/ruvltra-sql-small/blobs/sha256:{digest}"
            ))
            .send()
            .unwrap()
            .error_for_status()
            .unwrap()
            .bytes()
            .unwrap();
        assert_eq!(blob.as_ref(), lora::lora_adapter("qwen2").as_slice());
    }
}
