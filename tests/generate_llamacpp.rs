//! The generated `presets.ini` against the real `llama-server` in router mode: every variant
//! of the RuvLTRA fixtures is listed with the intended arguments, and a GGUF without a chat
//! template is served with the `.jinja` file shipped next to the preset, not ChatML.

#[path = "support/llama_server.rs"]
mod llama_server;
mod support;

use std::path::Path;
use std::process::Command;

use llama_server::{Router, scratch, tiny_model};
use serde_json::{Value, json};

fn generate(dir: &Path, command: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args([command, "--out", "dist"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn args(models: &Value, id: &str) -> Vec<String> {
    models["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("`{id}` is not in GET /models: {models:#}"))["status"]["args"]
        .as_array()
        .unwrap_or_else(|| panic!("no status.args for `{id}`: {models:#}"))
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

fn has_arg(args: &[String], option: &str, value: &str) -> bool {
    args.windows(2).any(|w| w[0] == option && w[1] == value)
}

#[test]
fn the_router_lists_every_variant_with_its_arguments() {
    let dir = scratch("generate-fixtures");
    std::fs::copy(
        support::root().join("ruvltra.toml"),
        dir.join("ruvltra.toml"),
    )
    .unwrap();
    std::fs::create_dir(dir.join("fixtures")).unwrap();
    for entry in std::fs::read_dir(support::root().join("fixtures")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "gguf") {
            std::fs::copy(&path, dir.join("fixtures").join(path.file_name().unwrap())).unwrap();
        }
    }
    generate(&dir, "llamacpp");
    let work = dir.join("dist/llamacpp");
    let router = Router::start(&work, &work.join("presets.ini"));
    let models = router.models();
    assert_eq!(models["data"].as_array().unwrap().len(), 5, "{models:#}");
    for (id, file, ctx) in [
        (
            "claude-code-q4_k_m",
            "ruvltra-claude-code-0.5b-q4_k_m.gguf",
            "4096",
        ),
        ("small-q4_k_m", "ruvltra-small-0.5b-q4_k_m.gguf", "4096"),
        ("small-q8_0", "ruvltra-small-0.5b-q8_0.gguf", "4096"),
        ("medium-q4_k_m", "ruvltra-medium-1.1b-q4_k_m.gguf", "8192"),
        ("medium-q8_0", "ruvltra-medium-1.1b-q8_0.gguf", "8192"),
    ] {
        let a = args(&models, id);
        let model = dir.join("fixtures").join(file);
        assert!(
            has_arg(&a, "--model", model.to_str().unwrap())
                || has_arg(&a, "-m", model.to_str().unwrap()),
            "{id}: {a:?}"
        );
        assert!(has_arg(&a, "--ctx-size", ctx), "{id}: {a:?}");
        assert!(has_arg(&a, "--temperature", "0.7"), "{id}: {a:?}");
        assert!(has_arg(&a, "--top-k", "20"), "{id}: {a:?}");
    }
}

#[test]
fn a_gguf_without_a_template_is_served_with_the_shipped_one() {
    let dir = scratch("generate-no-template");
    std::fs::create_dir(dir.join("models")).unwrap();
    std::fs::copy(tiny_model(), dir.join("models/tiny-f32.gguf")).unwrap();
    std::fs::write(
        dir.join("ruvltra.toml"),
        r#"[family]
name = "Tiny"
description = "A tiny llama-architecture test model without a chat template."
publisher = "ruv"
license = "apache-2.0"
default_model = "tiny"

[hub]
repo = "ruv/tiny"

[source]
local = "models"

[defaults.parameters]
num_ctx = 256

[models.tiny]
default_variant = "f32"

[models.tiny.variants.f32]
file = "tiny-f32.gguf"
"#,
    )
    .unwrap();
    generate(&dir, "llamacpp");
    let work = dir.join("dist/llamacpp");
    let preset = std::fs::read_to_string(work.join("presets.ini")).unwrap();
    let jinja = preset
        .lines()
        .find_map(|l| l.strip_prefix("chat-template-file = "))
        .unwrap_or_else(|| panic!("no chat-template-file: {preset}"))
        .to_owned();
    assert!(
        work.join(&jinja).is_file(),
        "{jinja} is not shipped next to the preset"
    );
    let catalog: Value =
        serde_json::from_slice(&std::fs::read(work.join("catalog/tiny-f32.json")).unwrap())
            .unwrap();
    assert_eq!(catalog["chat_template"]["in_gguf"], false);
    // The preset names it absolutely (`--from local`), the catalog by its name.
    assert_eq!(
        catalog["chat_template"]["file"].as_str(),
        Path::new(&jinja).file_name().and_then(|n| n.to_str())
    );

    let router = Router::start(&work, &work.join("presets.ini"));
    let (status, answer) = router.post(
        "/apply-template",
        &json!({"model": "tiny-f32", "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hello"}
        ]}),
    );
    assert_eq!(status, 200, "{answer:#}\n{}", router.log());
    let prompt = answer["prompt"].as_str().unwrap();
    // The tiny model's SentencePiece vocabulary has `<s>`/`</s>` and no Llama 3 markers, so
    // the template chosen by its vocabulary is the `[INST]` one.
    assert!(
        prompt.contains("[INST] be brief\n\nhello[/INST]"),
        "the shipped [INST] template, not the ChatML fallback: {prompt:?}"
    );
    assert!(!prompt.contains("<|im_start|>"), "{prompt:?}");
}
