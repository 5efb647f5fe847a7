//! `ruvltra-export template convert` end to end: `.jinja` files, GGUF files from the corpus
//! (their own template, a named one, an architecture default), JSON shape and exit codes.

#[path = "support/fake_hub.rs"]
mod fake_hub;
mod support;

use std::process::{Command, Output};

use fake_hub::{Access, FakeHub};

use serde_json::Value;

fn convert(args: &[&str]) -> Output {
    convert_with(args, &[])
}

/// Runs `template convert` with a clean Hub environment plus `vars`.
fn convert_with(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_ruvltra-export"));
    command.args(["template", "convert"]).args(args);
    for name in [
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "HUGGINGFACE_API_KEY",
        "HF_ENDPOINT",
        "HF_TOKEN_PATH",
    ] {
        command.env_remove(name);
    }
    command
        .env("HF_HOME", home.path())
        .env("SOURCE_DATE_EPOCH", "1721995200");
    for (name, value) in vars {
        command.env(name, value);
    }
    command.output().expect("run ruvltra-export")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "not JSON ({err}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn gguf(name: &str) -> String {
    support::corpus_dir()
        .join("gguf")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn write_jinja(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn jinja_file_converts_to_json_with_the_documented_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_jinja(
        &dir,
        "chatml.jinja",
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
    );
    let out = convert(&[&file, "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    for key in [
        "template",
        "stop",
        "verified",
        "conversations",
        "mismatches",
        "unsupported",
        "method",
    ] {
        assert!(v.get(key).is_some(), "missing `{key}` in {v}");
    }
    assert_eq!(v["verified"], true);
    assert_eq!(v["method"], "probed");
    assert_eq!(v["origin"], "file");
    assert_eq!(v["stop"][0], "<|im_end|>");
    assert!(v["template"].as_str().unwrap().contains(".Messages"));
}

#[test]
fn gguf_template_and_tokens_are_read_from_the_header() {
    let out = convert(&[&gguf("ggml-vocab-qwen2.gguf"), "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["origin"], "gguf");
    let stop: Vec<&str> = v["stop"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(stop.contains(&"<|im_end|>"), "{stop:?}");
    assert!(
        stop.contains(&"<|endoftext|>"),
        "the GGUF's EOS is a stop: {stop:?}"
    );
}

#[test]
fn named_templates_are_offered_and_converted_by_name() {
    let out = convert(&[&gguf("ggml-vocab-command-r.gguf"), "--json"]);
    let v = json(&out);
    let named: Vec<&str> = v["named_templates"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(named, ["tool_use", "rag"]);
    assert_eq!(v["origin"], "gguf");
    // The `rag` template needs `documents`, which a chat request never carries: picking it by
    // name must reach that template (and fail on it), not the default one.
    let out = convert(&[&gguf("ggml-vocab-command-r.gguf"), "--name", "rag"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot render a single user turn"), "{err}");
    let out = convert(&[&gguf("ggml-vocab-command-r.gguf"), "--name", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no chat template named `nope`") && err.contains("`tool_use`"),
        "{err}"
    );
}

#[test]
fn a_gguf_without_a_template_gets_its_architecture_default() {
    let out = convert(&[&gguf("ggml-vocab-llama-bpe.gguf"), "--json"]);
    let v = json(&out);
    assert_eq!(v["origin"], "default:llama3", "{v}");
    assert_eq!(v["verified"], true);
}

#[test]
fn an_unverifiable_template_exits_1_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    // A turn counter: the text between turns changes with the turn number.
    let file = write_jinja(
        &dir,
        "rounds.jinja",
        "{% for m in messages %}{% if m.role == 'user' %}Round {{ loop.index }}: {{ m.content }}\n{% else %}{{ m.content }}\n{% endif %}{% endfor %}A:",
    );
    let out = convert(&[&file, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["verified"], false);
    let unsupported = v["unsupported"].as_array().unwrap();
    assert!(!unsupported.is_empty());
    assert!(
        unsupported[0]["what"]
            .as_str()
            .unwrap()
            .contains("turn counter"),
        "{unsupported:?}"
    );
    assert!(!v["mismatches"].as_array().unwrap().is_empty());
    let text = convert(&[&file]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("NOT verified"), "{stdout}");
}

#[test]
fn a_template_that_cannot_render_a_turn_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_jinja(&dir, "bad.jinja", "{{ raise_exception('no') }}");
    let out = convert(&[&file]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot render a single user turn"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn hub_sources_are_read_through_hf_endpoint() {
    let hub = FakeHub::start("hf_converttestsecret_0a1b2c");
    hub.add_repo("ruv/ruvltra", Access::Public);
    let bytes = std::fs::read(gguf("ggml-vocab-qwen2.gguf")).unwrap();
    hub.add_file("ruv/ruvltra", "ruvltra-qwen2.gguf", bytes);
    let out = convert_with(
        &["hf://ruv/ruvltra", "--json"],
        &[("HF_ENDPOINT", &hub.endpoint)],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let local = json(&convert(&[&gguf("ggml-vocab-qwen2.gguf"), "--json"]));
    let remote = json(&out);
    assert_eq!(remote["template"], local["template"]);
    assert_eq!(remote["stop"], local["stop"]);
}
