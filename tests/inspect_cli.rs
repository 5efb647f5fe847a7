//! `ruvltra-export inspect` end to end: the built binary on the fixtures and the corpus, and
//! against the local stand-in for the Hub (`support/fake_hub.rs`) through `HF_ENDPOINT`.

#[path = "support/fake_hub.rs"]
mod fake_hub;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fake_hub::{Access, FakeHub};
use ruvltra_export::gguf::GgufHeader;
use serde_json::Value;
use sha2::{Digest, Sha256};

const TOKEN: &str = "hf_clitestsecret_9f8e7d6c5b4a";

/// Runs the binary with a clean Hub environment: no token variables, `HF_HOME` in `home` (so
/// no real token file is read), and the given extra variables.
fn run(args: &[&str], home: &Path, vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ruvltra-export"));
    command.arg("inspect").args(args);
    for name in [
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "HUGGINGFACE_API_KEY",
        "HF_ENDPOINT",
        "HF_TOKEN_PATH",
    ] {
        command.env_remove(name);
    }
    command.env("HF_HOME", home);
    for (name, value) in vars {
        command.env(name, value);
    }
    command.output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn json(output: &Output) -> Vec<Value> {
    match serde_json::from_slice(&output.stdout) {
        Ok(Value::Array(items)) => items,
        other => panic!("stdout is not a JSON array: {other:?}\n{}", stdout(output)),
    }
}

fn fixture(name: &str) -> PathBuf {
    support::root().join("fixtures").join(name)
}

fn corpus(name: &str) -> PathBuf {
    support::corpus_dir().join("gguf").join(name)
}

fn header(path: &Path) -> GgufHeader {
    GgufHeader::read_path(path).unwrap()
}

#[test]
fn text_summary_of_a_fixture() {
    let home = tempfile::tempdir().unwrap();
    let path = fixture("ruvltra-small-0.5b-q4_k_m.gguf");
    let output = run(&[path.to_str().unwrap()], home.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let expected = header(&path);
    let template_len = expected.chat_template().unwrap().len();
    for needle in [
        format!("architecture    {}", expected.architecture().unwrap()),
        format!("name            {}", expected.name().unwrap()),
        format!("size label      {}", expected.size_label().unwrap()),
        "Q4_K_M (general.file_type 15); file name says Q4_K_M: agree".to_owned(),
        format!("present, {} bytes", group(template_len as u64)),
        "eos 105 `<|im_end|>`".to_owned(),
        "pad 103 `<|endoftext|>`".to_owned(),
        format!("tensors         {} (", expected.tensors().len()),
        format!("{} bytes", group(std::fs::metadata(&path).unwrap().len())),
    ] {
        assert!(text.contains(&needle), "missing {needle:?} in\n{text}");
    }
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
}

#[test]
fn json_for_a_folder_has_one_object_per_file_in_name_order() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "ruvltra-small-0.5b-q8_0.gguf",
        "ruvltra-claude-code-0.5b-q4_k_m.gguf",
    ] {
        std::fs::copy(fixture(name), dir.path().join(name)).unwrap();
    }
    std::fs::write(dir.path().join("README.md"), "not a model").unwrap();
    let output = run(&["--json", dir.path().to_str().unwrap()], home.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let items = json(&output);
    let names: Vec<&str> = items
        .iter()
        .map(|i| i["file_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "ruvltra-claude-code-0.5b-q4_k_m.gguf",
            "ruvltra-small-0.5b-q8_0.gguf"
        ]
    );
    let item = &items[1];
    let expected = header(&dir.path().join("ruvltra-small-0.5b-q8_0.gguf"));
    let metadata = item["metadata"].as_object().unwrap();
    let keys: Vec<&str> = metadata.keys().map(String::as_str).collect();
    let expected_keys: Vec<&str> = expected
        .metadata()
        .entries()
        .iter()
        .map(|e| e.key())
        .collect();
    assert_eq!(keys, expected_keys, "every key, in file order");
    assert_eq!(metadata["general.architecture"]["type"], "STRING");
    assert_eq!(metadata["general.architecture"]["value"], "qwen2");
    assert_eq!(metadata["general.file_type"]["type"], "UINT32");
    assert_eq!(metadata["general.file_type"]["value"], 7);
    let tokens = &metadata["tokenizer.ggml.tokens"];
    assert_eq!(tokens["type"], "ARRAY");
    assert_eq!(tokens["value"]["type"], "STRING");
    assert_eq!(
        tokens["value"]["len"],
        expected.tokens().unwrap().len() as u64
    );
    assert_eq!(tokens["value"]["head"].as_array().unwrap().len(), 8);
    assert_eq!(item["data_offset"], expected.data_offset());
    assert_eq!(
        item["tensors"].as_array().unwrap().len(),
        expected.tensors().len()
    );
    let first = &expected.tensors()[0];
    assert_eq!(item["tensors"][0]["name"], first.name());
    assert_eq!(
        item["tensors"][0]["shape"],
        serde_json::json!(first.shape())
    );
    assert_eq!(item["tensors"][0]["type"], first.ggml_type().to_string());
    assert_eq!(item["tensors"][0]["offset"], first.offset());
    let derived = &item["derived"];
    assert_eq!(derived["quant"]["header"], "Q8_0");
    assert_eq!(derived["quant"]["file_name"], "Q8_0");
    assert!(derived["quant"]["mismatch"].is_null());
    assert_eq!(derived["special_tokens"]["eos"]["text"], "<|im_end|>");
    assert_eq!(derived["parameters"], expected.parameter_count());
    assert_eq!(derived["chat_template"]["present"], true);
    assert!(item["sha256"].is_null());
}

#[test]
fn full_lists_every_array_element() {
    let home = tempfile::tempdir().unwrap();
    let path = corpus("ggml-vocab-llama-bpe.gguf");
    let output = run(
        &["--json", "--full", path.to_str().unwrap()],
        home.path(),
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let items = json(&output);
    let merges = &items[0]["metadata"]["tokenizer.ggml.merges"]["value"];
    assert_eq!(merges["len"], 280_147);
    assert_eq!(merges["values"].as_array().unwrap().len(), 280_147);
    let expected = header(&path);
    let last = expected
        .get("tokenizer.ggml.merges")
        .and_then(|v| v.as_array())
        .and_then(|a| a.as_strings())
        .and_then(|s| s.get(280_146))
        .unwrap()
        .to_owned();
    assert_eq!(merges["values"][280_146], last.as_str());
}

#[test]
fn hash_computes_the_sha256_of_local_files() {
    let home = tempfile::tempdir().unwrap();
    let path = fixture("ruvltra-small-0.5b-q8_0.gguf");
    let expected = hex::encode(Sha256::digest(std::fs::read(&path).unwrap()));
    let output = run(
        &["--json", "--hash", path.to_str().unwrap()],
        home.path(),
        &[],
    );
    let items = json(&output);
    assert_eq!(items[0]["sha256"], expected.as_str());
    assert_eq!(items[0]["sha256_origin"], "computed");
    let text = run(&["--hash", path.to_str().unwrap()], home.path(), &[]);
    assert!(stdout(&text).contains(&format!("{expected} (computed)")));
}

#[test]
fn a_failing_source_becomes_an_error_entry_and_exit_code_1() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pointer = dir.path().join("model.gguf");
    std::fs::write(
        &pointer,
        "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n",
    )
    .unwrap();
    let good = fixture("ruvltra-small-0.5b-q4_k_m.gguf");
    let missing = dir.path().join("missing.gguf");
    let output = run(
        &[
            "--json",
            good.to_str().unwrap(),
            pointer.to_str().unwrap(),
            missing.to_str().unwrap(),
        ],
        home.path(),
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let items = json(&output);
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["derived"]["architecture"], "qwen2");
    let pointer_error = items[1]["error"].as_str().unwrap();
    assert!(pointer_error.contains("git lfs pull"), "{pointer_error}");
    assert_eq!(items[1]["source"], pointer.to_str().unwrap());
    assert_eq!(
        items[2].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["source", "error"]
    );
    assert!(stderr(&output).contains("error: "), "{}", stderr(&output));
}

#[test]
fn a_name_that_contradicts_the_header_is_an_error() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let misnamed = dir.path().join("ruvltra-small-0.5b-q8_0.gguf");
    std::fs::copy(fixture("ruvltra-small-0.5b-q4_k_m.gguf"), &misnamed).unwrap();
    let output = run(&["--json", misnamed.to_str().unwrap()], home.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let items = json(&output);
    assert_eq!(
        items[0]["derived"]["quant"]["mismatch"]["severity"],
        "error"
    );
    let err = stderr(&output);
    assert!(err.contains("Q8_0") && err.contains("Q4_K_M"), "{err}");
}

#[test]
fn usage_errors_exit_with_2() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &[][..],
        &["hf://not-a-repo"][..],
        &["hf://ruv/ruvltra@refs/pr/1"][..],
        &["--full", "x.gguf"][..],
    ] {
        let output = run(args, home.path(), &[]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(output.stdout.is_empty());
    }
}

fn hub_with_fixtures(access: Access) -> FakeHub {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/ruvltra", access);
    for name in [
        "ruvltra-small-0.5b-q4_k_m.gguf",
        "ruvltra-small-0.5b-q8_0.gguf",
    ] {
        hub.add_file("ruv/ruvltra", name, std::fs::read(fixture(name)).unwrap());
    }
    hub.add_file("ruv/ruvltra", "README.md", b"# RuvLTRA".to_vec());
    hub
}

#[test]
fn hub_repository_with_token_from_the_environment() {
    let hub = hub_with_fixtures(Access::Private);
    let home = tempfile::tempdir().unwrap();
    let output = run(
        &["--json", "hf://ruv/ruvltra"],
        home.path(),
        &[("HF_ENDPOINT", &hub.endpoint), ("HF_TOKEN", TOKEN)],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let items = json(&output);
    assert_eq!(items.len(), 2);
    let bytes = std::fs::read(fixture("ruvltra-small-0.5b-q4_k_m.gguf")).unwrap();
    assert_eq!(
        items[0]["file"],
        "hf://ruv/ruvltra/ruvltra-small-0.5b-q4_k_m.gguf"
    );
    assert_eq!(items[0]["source"], "hf://ruv/ruvltra");
    assert_eq!(
        items[0]["sha256"],
        hex::encode(Sha256::digest(&bytes)).as_str()
    );
    assert_eq!(items[0]["sha256_origin"], "hub-lfs");
    assert_eq!(items[0]["file_size"], bytes.len() as u64);
    assert_eq!(items[0]["commit"], fake_hub::COMMIT);
    assert_eq!(items[0]["read"]["round_trips"], 1);
    assert_eq!(items[1]["derived"]["quant"]["header"], "Q8_0");
    let all = format!("{}{}", stdout(&output), stderr(&output));
    assert!(!all.contains(TOKEN));
    assert!(
        hub.requests().iter().all(|r| r.status < 400),
        "{:?}",
        hub.requests()
    );
}

#[test]
fn hub_token_file_is_used_when_no_variable_is_set() {
    let hub = hub_with_fixtures(Access::Private);
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("token"), format!("{TOKEN}\n")).unwrap();
    let output = run(
        &["hf://ruv/ruvltra/ruvltra-small-0.5b-q8_0.gguf"],
        home.path(),
        &[("HF_ENDPOINT", &format!("{}/", hub.endpoint))],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.starts_with("hf://ruv/ruvltra/ruvltra-small-0.5b-q8_0.gguf\n"),
        "{text}"
    );
    assert!(text.contains("(hub-lfs)"), "{text}");
    assert!(!text.contains(TOKEN));
}

#[test]
fn hub_private_repository_without_token_says_what_to_do() {
    let hub = hub_with_fixtures(Access::Private);
    let home = tempfile::tempdir().unwrap();
    let local = fixture("ruvltra-small-0.5b-q4_k_m.gguf");
    let output = run(
        &["--json", "hf://ruv/ruvltra", local.to_str().unwrap()],
        home.path(),
        &[("HF_ENDPOINT", &hub.endpoint)],
    );
    assert_eq!(output.status.code(), Some(1));
    let items = json(&output);
    assert_eq!(items[0]["source"], "hf://ruv/ruvltra");
    let error = items[0]["error"].as_str().unwrap();
    assert!(
        error.contains("401") && error.contains("/api/models/ruv/ruvltra"),
        "{error}"
    );
    assert!(items[0]["hint"].as_str().unwrap().contains("HF_TOKEN"));
    assert_eq!(items[1]["derived"]["architecture"], "qwen2");
    let text = run(
        &["hf://ruv/ruvltra"],
        home.path(),
        &[("HF_ENDPOINT", &hub.endpoint)],
    );
    assert_eq!(text.status.code(), Some(1));
    assert!(text.stdout.is_empty());
    assert!(
        stderr(&text).contains("hint: check the name `ruv/ruvltra`"),
        "{}",
        stderr(&text)
    );
}

#[test]
fn hub_rejected_token_is_named_by_its_source_never_its_value() {
    let hub = hub_with_fixtures(Access::Public);
    let home = tempfile::tempdir().unwrap();
    let output = run(
        &["hf://ruv/ruvltra"],
        home.path(),
        &[
            ("HF_ENDPOINT", &hub.endpoint),
            ("HUGGINGFACE_API_KEY", "hf_wrongsecret"),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("`HUGGINGFACE_API_KEY` was rejected"), "{err}");
    assert!(!err.contains("hf_wrongsecret"), "{err}");
    let json_output = run(
        &["--json", "hf://ruv/ruvltra"],
        home.path(),
        &[
            ("HF_ENDPOINT", &hub.endpoint),
            ("HUGGINGFACE_API_KEY", "hf_wrongsecret"),
        ],
    );
    let all = format!("{}{}", stdout(&json_output), stderr(&json_output));
    assert!(
        json(&json_output)[0]["error"]
            .as_str()
            .unwrap()
            .contains("401")
    );
    assert!(!all.contains("hf_wrongsecret"), "{all}");
}

#[test]
fn hub_gated_repository_says_where_to_accept_the_conditions() {
    let hub = hub_with_fixtures(Access::Gated);
    let home = tempfile::tempdir().unwrap();
    let output = run(
        &["--json", "hf://ruv/ruvltra/ruvltra-small-0.5b-q8_0.gguf"],
        home.path(),
        &[("HF_ENDPOINT", &hub.endpoint), ("HF_TOKEN", TOKEN)],
    );
    assert_eq!(output.status.code(), Some(1));
    let items = json(&output);
    assert!(
        items[0]["error"]
            .as_str()
            .unwrap()
            .contains("gated (HTTP 403)")
    );
    assert_eq!(
        items[0]["file"],
        "hf://ruv/ruvltra/ruvltra-small-0.5b-q8_0.gguf"
    );
    let hint = items[0]["hint"].as_str().unwrap();
    assert!(
        hint.contains(&format!("{}/ruv/ruvltra", hub.endpoint)) && hint.contains("HF_TOKEN"),
        "{hint}"
    );
}

#[test]
fn hub_revision_with_a_slash_is_percent_encoded() {
    let hub = hub_with_fixtures(Access::Public);
    hub.add_revision("ruv/ruvltra", "refs/pr/1");
    let home = tempfile::tempdir().unwrap();
    let vars = [("HF_ENDPOINT", hub.endpoint.as_str())];
    let output = run(
        &[
            "--json",
            "hf://ruv/ruvltra@refs%2Fpr%2F1/ruvltra-small-0.5b-q8_0.gguf",
        ],
        home.path(),
        &vars,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        json(&output)[0]["file"],
        "hf://ruv/ruvltra@refs%2Fpr%2F1/ruvltra-small-0.5b-q8_0.gguf"
    );
    let missing = run(&["hf://ruv/ruvltra@v2"], home.path(), &vars);
    assert_eq!(missing.status.code(), Some(1));
    let err = stderr(&missing);
    assert!(err.contains("revision not found (HTTP 404)"), "{err}");
    assert!(err.contains("@refs%2Fpr%2F1"), "{err}");
}

#[test]
fn hub_missing_file_suggests_the_listing() {
    let hub = hub_with_fixtures(Access::Public);
    let home = tempfile::tempdir().unwrap();
    let output = run(
        &["--json", "hf://ruv/ruvltra/ruvltra-small-0.5b-q5_k_m.gguf"],
        home.path(),
        &[("HF_ENDPOINT", &hub.endpoint)],
    );
    assert_eq!(output.status.code(), Some(1));
    let items = json(&output);
    let error = items[0]["error"].as_str().unwrap();
    assert!(error.contains("ruvltra-small-0.5b-q4_k_m.gguf"), "{error}");
    assert_eq!(
        items[0]["hint"],
        "list the repository's GGUF files with `ruvltra-export inspect hf://ruv/ruvltra`"
    );
}

#[test]
fn hub_that_ignores_range_is_reported() {
    let hub = hub_with_fixtures(Access::Public);
    hub.ignore_range(true);
    let home = tempfile::tempdir().unwrap();
    let output = run(
        &["hf://ruv/ruvltra/ruvltra-small-0.5b-q4_k_m.gguf"],
        home.path(),
        &[("HF_ENDPOINT", &hub.endpoint)],
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("ignored the byte range"), "{err}");
    assert!(err.contains("hint: "), "{err}");
}

/// `1234567` as `1,234,567`, as the text summary prints numbers.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn bad_endpoint_fails_hub_sources_only() {
    let home = tempfile::tempdir().unwrap();
    let local = fixture("ruvltra-small-0.5b-q8_0.gguf");
    let output = run(
        &["--json", "hf://ruv/ruvltra", local.to_str().unwrap()],
        home.path(),
        &[("HF_ENDPOINT", "ftp://mirror.example")],
    );
    assert_eq!(output.status.code(), Some(1));
    let items = json(&output);
    assert!(
        items[0]["error"]
            .as_str()
            .unwrap()
            .contains("invalid Hub endpoint `ftp://mirror.example`")
    );
    assert!(items[0]["hint"].as_str().unwrap().contains("HF_ENDPOINT"));
    assert_eq!(items[1]["derived"]["quant"]["header"], "Q8_0");
}

#[test]
fn text_summary_snapshot() {
    let home = tempfile::tempdir().unwrap();
    let path = fixture("ruvltra-claude-code-0.5b-q4_k_m.gguf");
    let output = run(&[path.to_str().unwrap()], home.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let fixtures = support::root().join("fixtures");
    let text = stdout(&output).replace(fixtures.to_str().unwrap(), "[FIXTURES]");
    insta::assert_snapshot!(text);
}

#[test]
fn hub_error_snapshot() {
    let hub = hub_with_fixtures(Access::Private);
    hub.add_repo("ruv/gated", Access::Gated);
    hub.add_file("ruv/gated", "g-q4_k_m.gguf", vec![0; 64]);
    let home = tempfile::tempdir().unwrap();
    let output = run(
        &[
            "hf://ruv/ruvltra/ruvltra-small-0.5b-q5_k_m.gguf",
            "hf://ruv/nothing",
            "hf://ruv/gated",
            "hf://ruv/ruvltra@v2",
        ],
        home.path(),
        &[("HF_ENDPOINT", &hub.endpoint), ("HF_TOKEN", TOKEN)],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    insta::assert_snapshot!(stderr(&output).replace(&hub.endpoint, "[HUB]"));
}
