//! Generated presets against the real `llama-server` in router mode: every section is listed
//! with the intended arguments, what our validator refuses the server refuses too, and a GGUF
//! without a chat template is served with the `.jinja` file the preset points at.

#[path = "support/llama_server.rs"]
mod llama_server;
mod support;

use std::path::Path;

use llama_server::{Router, run_to_exit, scratch, tiny_model};
use ruvltra_export::render::llamacpp::{
    ModelSource, ParameterMapping, Preset, PresetOptions, PresetSection, SectionName, Severity,
    check_preset, find_option, map_ollama_parameter,
};
use serde_json::{Value, json};

/// Sampling defaults as a manifest names them (Ollama's names), with their values.
const OLLAMA_PARAMETERS: &[(&str, &str)] = &[
    ("temperature", "0.6"),
    ("top_p", "0.9"),
    ("top_k", "40"),
    ("min_p", "0.05"),
    ("repeat_penalty", "1.1"),
    ("num_ctx", "256"),
    ("num_predict", "64"),
    ("seed", "42"),
];

/// A value that survives llama.cpp's reader although it looks like INI syntax.
const TRICKY_VALUE: &str = "User: say \"hi\" = [ok]  'x'";

fn mapped_options() -> PresetOptions {
    let mut options = PresetOptions::new();
    for (name, value) in OLLAMA_PARAMETERS {
        options.set_ollama_parameter(name, *value).unwrap();
    }
    options
}

fn section(name: &str, source: ModelSource) -> PresetSection {
    PresetSection::new(SectionName::new(name).unwrap(), source)
}

/// The model with `id` in a `GET /models` answer.
fn model<'a>(models: &'a Value, id: &str) -> &'a Value {
    models["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("`{id}` is not in GET /models: {models:#}"))
}

/// The command-line arguments the router would start model `id` with.
fn args(models: &Value, id: &str) -> Vec<String> {
    model(models, id)["status"]["args"]
        .as_array()
        .unwrap_or_else(|| panic!("no status.args for `{id}`: {models:#}"))
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

/// Whether `args` holds `--option value`.
fn has_arg(args: &[String], option: &str, value: &str) -> bool {
    args.windows(2).any(|w| w[0] == option && w[1] == value)
}

fn write_preset(dir: &Path, preset: &Preset) -> std::path::PathBuf {
    let path = dir.join("presets.ini");
    let text = preset.to_ini().unwrap();
    let findings = check_preset(&text, &path);
    assert!(
        findings.iter().all(|d| d.severity == Severity::Warning),
        "our own preset fails our validator: {findings:#?}"
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn router_lists_every_section_with_its_arguments() {
    let dir = scratch("router-lists");
    let tiny = tiny_model();
    let mut defaults = PresetOptions::new();
    defaults.set("n-gpu-layers", "0").unwrap();
    let mut local = section("tiny-local", ModelSource::local(&tiny).unwrap());
    local.options = mapped_options();
    let mut by_file = section(
        "ruv/ruvltra:Q4_K_M",
        ModelSource::hf_file("ruv/ruvltra", "ruvltra-claude-code-0.5b-q4_k_m.gguf").unwrap(),
    );
    by_file.options.set("temp", "0.3").unwrap();
    let mut by_quant = section(
        "ruvltra-q8",
        ModelSource::hf_quant("ruv/ruvltra", "Q8_0").unwrap(),
    );
    // Inner blanks, quotes, `=` and `:` are kept verbatim by llama.cpp's reader.
    by_quant
        .options
        .set("reverse-prompt", TRICKY_VALUE)
        .unwrap();
    let preset = Preset {
        comments: vec!["router test".to_owned()],
        defaults,
        sections: vec![local, by_file, by_quant],
    };
    let router = Router::start(&dir, &write_preset(&dir, &preset));
    let models = router.models();

    assert_eq!(
        models["data"].as_array().unwrap().len(),
        3,
        "exactly the preset's sections: {models:#}"
    );
    let local = args(&models, "tiny-local");
    assert!(
        has_arg(&local, "--model", tiny.to_str().unwrap()),
        "{local:?}"
    );
    for (name, value) in OLLAMA_PARAMETERS {
        let ParameterMapping::Option(key) = map_ollama_parameter(name) else {
            unreachable!()
        };
        // The router passes each option under its last long spelling (`--temperature`).
        let flag = format!("--{}", find_option(key).unwrap().preset_key());
        assert!(
            has_arg(&local, &flag, value),
            "`{name}` (`{key}`) should reach the model as `{flag} {value}`: {local:?}"
        );
    }
    assert!(
        has_arg(&local, "--n-gpu-layers", "0"),
        "[*] applies: {local:?}"
    );

    let by_file = args(&models, "ruv/ruvltra:Q4_K_M");
    assert!(has_arg(&by_file, "--hf-repo", "ruv/ruvltra"), "{by_file:?}");
    assert!(
        has_arg(
            &by_file,
            "--hf-file",
            "ruvltra-claude-code-0.5b-q4_k_m.gguf"
        ),
        "{by_file:?}"
    );
    assert!(has_arg(&by_file, "--temperature", "0.3"), "{by_file:?}");

    let by_quant = args(&models, "ruvltra-q8");
    assert!(
        has_arg(&by_quant, "--hf-repo", "ruv/ruvltra:Q8_0"),
        "{by_quant:?}"
    );

    for id in ["tiny-local", "ruv/ruvltra:Q4_K_M", "ruvltra-q8"] {
        assert_eq!(
            model(&models, id)["status"]["value"],
            "unloaded",
            "listing must not load or download `{id}`"
        );
    }
    assert!(
        std::fs::read_dir(dir.join("llama-cache"))
            .unwrap()
            .next()
            .is_none(),
        "nothing may be downloaded into the model cache"
    );
}

#[test]
fn unknown_key_fails_server_and_validator_alike() {
    let dir = scratch("router-unknown-key");
    let tiny = tiny_model();
    let text = format!(
        "version = 1\n\n[tiny]\nmodel = {}\nrepeat_penalty = 1.1\n",
        tiny.display()
    );
    let path = dir.join("presets.ini");
    std::fs::write(&path, &text).unwrap();

    let (status, log) = run_to_exit(
        &dir,
        &[
            "--models-preset",
            path.to_str().unwrap(),
            "--host",
            "127.0.0.1",
            "--port",
            &llama_server::free_port().to_string(),
        ],
    );
    let server_says = "option 'repeat_penalty' not recognized in preset 'tiny'";
    assert!(
        !status.success(),
        "llama-server accepted an unknown key:\n{log}"
    );
    assert!(log.contains(server_says), "llama-server said:\n{log}");

    let findings = check_preset(&text, &path);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].line, 5);
    assert_eq!(findings[0].severity, Severity::Error);
    assert!(
        findings[0].message.starts_with(server_says)
            && findings[0]
                .message
                .contains("did you mean 'repeat-penalty'"),
        "{}",
        findings[0]
    );
}

#[test]
fn unparsable_files_fail_server_and_validator_alike() {
    let dir = scratch("router-unparsable");
    // An indented key, and a byte order mark: both fail llama.cpp's INI grammar.
    for (text, bad_line) in [
        ("[tiny]\n  model = /x.gguf\n", 2),
        ("\u{feff}[tiny]\nmodel = /x.gguf\n", 1),
    ] {
        let path = dir.join("presets.ini");
        std::fs::write(&path, text).unwrap();
        let (status, log) = run_to_exit(
            &dir,
            &["--models-preset", path.to_str().unwrap(), "--port", "0"],
        );
        assert!(!status.success(), "llama-server accepted {text:?}:\n{log}");
        assert!(
            log.contains("failed to parse server config file"),
            "{text:?}: {log}"
        );
        let findings = check_preset(text, &path);
        assert!(
            findings
                .iter()
                .any(|d| d.line == bad_line && d.severity == Severity::Error),
            "{text:?}: {findings:#?}"
        );
    }
}

#[test]
fn renamed_sections_repeated_sections_and_router_keys_behave_as_the_validator_says() {
    let dir = scratch("router-renames");
    let tiny = tiny_model();
    let tiny = tiny.display();
    let text = format!(
        "[tiny:0.5b-q4_k_m]\nmodel = {tiny}\nport = 1234\n\n[twice]\nmodel = {tiny}\nctx-size = 111\n\n[twice]\nmodel = {tiny}\n"
    );
    let path = dir.join("presets.ini");
    std::fs::write(&path, &text).unwrap();
    let findings: Vec<String> = check_preset(&text, &path)
        .iter()
        .map(|d| d.message.clone())
        .collect();
    assert!(
        findings
            .iter()
            .any(|m| m.contains("renames section 'tiny:0.5b-q4_k_m' to 'tiny:Q4_K_M'")),
        "{findings:#?}"
    );
    assert!(
        findings
            .iter()
            .any(|m| m.contains("section 'twice' appears again")),
        "{findings:#?}"
    );

    let router = Router::start(&dir, &path);
    let models = router.models();
    let renamed = args(&models, "tiny:Q4_K_M");
    assert!(
        findings.iter().any(|m| m.contains("'port' is ignored")),
        "{findings:#?}"
    );
    assert!(
        !renamed.iter().any(|a| a == "1234"),
        "the router replaces a preset's port, as the validator warns: {renamed:?}"
    );
    let twice = args(&models, "twice");
    assert!(
        !twice.iter().any(|a| a == "111"),
        "the first [twice] should be dropped, as the validator warns: {twice:?}"
    );
}

/// A template nothing else produces, so the prompt shows which one llama-server used.
const SHIPPED_TEMPLATE: &str = "{% for message in messages %}\
<<{{ message['role'] }}>>{{ message['content'] }}<</{{ message['role'] }}>>\
{% endfor %}{% if add_generation_prompt %}<<assistant>>{% endif %}";

#[test]
fn chat_template_file_replaces_the_chatml_fallback() {
    let dir = scratch("router-chat-template");
    let tiny = tiny_model();
    std::fs::write(dir.join("tiny.jinja"), SHIPPED_TEMPLATE).unwrap();
    let mut defaults = PresetOptions::new();
    defaults.set("ctx-size", "256").unwrap();
    defaults.set("n-gpu-layers", "0").unwrap();
    defaults.set("parallel", "1").unwrap();
    defaults.set("threads", "1").unwrap();
    // Relative to the server's working directory: the layout of the shipped files.
    let shipped = section("tiny-shipped", ModelSource::local(&tiny).unwrap())
        .with_chat_template_file(Path::new("tiny.jinja"))
        .unwrap();
    let fallback = section("tiny-fallback", ModelSource::local(&tiny).unwrap());
    let preset = Preset {
        comments: Vec::new(),
        defaults,
        sections: vec![shipped, fallback],
    };
    let router = Router::start(&dir, &write_preset(&dir, &preset));
    let messages = json!([
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hello"}
    ]);

    let (status, answer) = router.post(
        "/apply-template",
        &json!({"model": "tiny-shipped", "messages": messages}),
    );
    assert_eq!(status, 200, "{answer:#}\n{}", router.log());
    assert_eq!(
        answer["prompt"],
        "<<system>>be brief<</system>><<user>>hello<</user>><<assistant>>",
        "{}",
        router.log()
    );

    let (status, answer) = router.post(
        "/apply-template",
        &json!({"model": "tiny-fallback", "messages": messages}),
    );
    assert_eq!(status, 200, "{answer:#}\n{}", router.log());
    let prompt = answer["prompt"].as_str().unwrap();
    assert!(
        prompt.contains("<|im_start|>user\nhello<|im_end|>"),
        "without a template llama-server should fall back to ChatML: {prompt:?}"
    );
}
