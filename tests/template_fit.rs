//! Template–vocabulary fit, defaults chosen by the vocabulary, the per-role verdict and the
//! hand-written Ollama template, through the real binary on llama.cpp's real vocabulary files
//! (`../shared/corpus/gguf/`).

mod support;

use std::path::{Path, PathBuf};

use support::{run_in, text, vocab};

/// A family folder with one corpus vocabulary copied as `file` and a manifest naming it;
/// `settings` go into the model's table.
fn family(vocab_name: &str, file: &str, settings: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("models")).unwrap();
    std::fs::copy(vocab(vocab_name), dir.path().join("models").join(file)).unwrap();
    let manifest = format!(
        r#"[family]
name = "Fit"
description = "A vocabulary from llama.cpp's corpus."
publisher = "ruv"
license = "apache-2.0"

[hub]
repo = "ruv/fit"

[source]
local = "models"

[models.m]
name = "Fit"
context_length = 4096
{settings}

[models.m.variants.f16]
file = "{file}"
quant = "F16"
"#
    );
    std::fs::write(dir.path().join("ruvltra.toml"), manifest).unwrap();
    dir
}

fn built_in(name: &str) -> String {
    support::root()
        .join(format!("templates/chat/{name}.jinja"))
        .display()
        .to_string()
}

#[test]
fn template_convert_chooses_by_vocabulary_and_refuses_what_fits_nothing() {
    let expect_origin = [
        ("phi-3", "from gguf"),
        ("qwen2", "from gguf"),
        ("command-r", "from gguf"),
        ("llama-bpe", "from default:llama3"),
        ("llama-spm", "from default:mistral"),
    ];
    for (name, origin) in expect_origin {
        let out = run_in(
            Path::new("."),
            &["template", "convert", vocab(name).to_str().unwrap()],
        );
        let all = text(&out);
        assert!(all.contains(origin), "{name}: {all}");
        assert!(all.contains("# fits the vocabulary"), "{name}: {all}");
        assert!(
            !all.contains("does not fit"),
            "{name} must fit its own or chosen template: {all}"
        );
    }
    let llama3 = run_in(
        Path::new("."),
        &["template", "convert", vocab("llama-bpe").to_str().unwrap()],
    );
    assert!(
        text(&llama3).contains("vocabulary has <|start_header_id|>, <|end_header_id|>, <|eot_id|>"),
        "{}",
        text(&llama3)
    );
    for name in ["deepseek-coder", "bert-bge", "gpt-2", "falcon", "starcoder"] {
        let out = run_in(
            Path::new("."),
            &["template", "convert", vocab(name).to_str().unwrap()],
        );
        let all = text(&out);
        assert!(!out.status.success(), "{name}: {all}");
        assert!(
            all.contains("no built-in chat template fits its vocabulary"),
            "{name}: {all}"
        );
        assert!(
            all.contains("llama3 needs <|start_header_id|>"),
            "{name}: {all}"
        );
        assert!(all.contains("gguf embed-template"), "{name}: {all}");
    }
}

#[test]
fn a_wrong_family_forced_on_a_vocabulary_is_refused_with_the_missing_markers() {
    // Llama 3's template on Llama 2's SentencePiece vocabulary, DeepSeek-Coder's, Falcon's and
    // GPT-2's: the markers are not tokens there.
    for name in ["llama-spm", "deepseek-coder", "falcon", "gpt-2"] {
        // Copied into the family: the manifest may only name files inside its folder.
        let dir = family(
            name,
            "model-f16.gguf",
            "chat_template_file = \"llama3.jinja\"",
        );
        std::fs::copy(built_in("llama3"), dir.path().join("llama3.jinja")).unwrap();
        let out = run_in(dir.path(), &["explain"]);
        let all = text(&out);
        assert!(!out.status.success(), "{name}: {all}");
        assert!(
            all.contains("does not fit the vocabulary of `model-f16.gguf`"),
            "{name}: {all}"
        );
        for marker in ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"] {
            assert!(
                all.contains(&format!("`{marker}` is not a token of the vocabulary")),
                "{name}: {marker} not named: {all}"
            );
        }
        assert!(all.contains("chat_template_file"), "{name}: {all}");
    }
    // And `template convert` on the same pair through a `.jinja` file plus the vocabulary's
    // header is the same refusal: the manifest-free path.
    let dir = family("llama-spm", "tinyllama-1.1b-f16.gguf", "");
    let out = run_in(dir.path(), &["explain"]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("built-in `mistral`"), "{all}");
    assert!(!all.contains("llama3"), "{all}");
}

#[test]
fn a_vocabulary_without_any_family_is_refused_with_what_to_do() {
    for name in ["falcon", "gpt-2", "starcoder", "bert-bge", "deepseek-coder"] {
        let dir = family(name, "model-f16.gguf", "");
        let out = run_in(dir.path(), &["all"]);
        let all = text(&out);
        assert!(!out.status.success(), "{name}: {all}");
        assert!(
            all.contains(
                "has no `tokenizer.chat_template` and no built-in chat template fits its vocabulary"
            ),
            "{name}: {all}"
        );
        assert!(
            all.contains("set `chat_template_file` for model `m`"),
            "{name}: {all}"
        );
        assert!(all.contains("gguf embed-template"), "{name}: {all}");
    }
}

#[test]
fn llama_2_vocabulary_copied_as_tinyllama_never_gets_llama_3() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    std::fs::copy(vocab("llama-spm"), models.join("tinyllama-1.1b-f16.gguf")).unwrap();
    let init = run_in(dir.path(), &["init", "models"]);
    assert!(init.status.success(), "{}", text(&init));
    let explain = run_in(dir.path(), &["explain"]);
    let all = text(&explain);
    assert!(explain.status.success(), "{all}");
    assert!(
        all.contains("template choice      built-in `mistral`"),
        "{all}"
    );
    let out = run_in(dir.path(), &["all"]);
    assert!(out.status.success(), "{}", text(&out));
    for path in list(&dir.path().join("dist")) {
        let written = std::fs::read_to_string(&path).unwrap_or_default();
        for llama3 in ["<|eot_id|>", "<|start_header_id|>"] {
            assert!(
                !written.contains(llama3),
                "{} carries Llama 3's {llama3}",
                path.display()
            );
        }
    }
}

#[test]
fn a_system_prompt_with_a_template_that_drops_system_messages_is_refused_with_the_fix() {
    let dir = family("phi-3", "phi-3-mini-f16.gguf", "system = \"Be brief.\"");
    let out = run_in(dir.path(), &["all"]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("the manifest gives a system prompt (`system`)"),
        "{all}"
    );
    assert!(all.contains("drops system messages"), "{all}");
    assert!(all.contains("remove `system`"), "{all}");

    let dir = family(
        "phi-3",
        "phi-3-mini-f16.gguf",
        "messages = [{ role = \"system\", content = \"Be brief.\" }]",
    );
    let out = run_in(dir.path(), &["explain"]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("a system MESSAGE"), "{all}");

    // Without a system prompt it resolves, and `explain` says what is dropped.
    let dir = family("phi-3", "phi-3-mini-f16.gguf", "");
    let out = run_in(dir.path(), &["explain"]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("system messages dropped"), "{all}");
    let out = run_in(dir.path(), &["all"]);
    assert!(out.status.success(), "{}", text(&out));
    let card = std::fs::read_to_string(dir.path().join("dist/hub/README.md")).unwrap();
    assert!(
        card.contains("m/f16: the chat template drops the messages of these roles, whose content never reaches the model: system, tool."),
        "{card}"
    );
}

/// The fixtures' family with `settings` added to `[models.small]`.
fn fixtures_with(settings: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = support::fixture_family();
    let manifest = std::fs::read_to_string(dir.path().join("ruvltra.toml")).unwrap();
    let manifest = manifest.replace(
        "name = \"RuvLTRA Small\"",
        &format!("name = \"RuvLTRA Small\"\n{settings}"),
    );
    std::fs::write(dir.path().join("ruvltra.toml"), manifest).unwrap();
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    dir
}

/// A hand-written ChatML Go template for the fixtures (Qwen 2.5 without tools).
const HAND_WRITTEN: &str = "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}<|im_start|>assistant\n";

#[test]
fn the_escape_hatch_publishes_a_hand_written_template_with_its_verdict() {
    // Compared with the Jinja (the manifest's ChatML template): equal, so it is verified
    // and published as written.
    let chatml = std::fs::read_to_string(built_in("chatml")).unwrap();
    let dir = fixtures_with(
        "chat_template_file = \"chatml.jinja\"\nollama_template_file = \"small.gotmpl\"",
        &[("chatml.jinja", &chatml), ("small.gotmpl", HAND_WRITTEN)],
    );
    let explain = run_in(dir.path(), &["explain"]);
    assert!(explain.status.success(), "{}", text(&explain));
    let out = run_in(dir.path(), &["all"]);
    assert!(out.status.success(), "{}", text(&out));
    let tree = list(dir.path().join("dist").as_path());
    let published: Vec<String> = tree
        .iter()
        .filter(|p| {
            std::fs::read_to_string(p)
                .is_ok_and(|t| t.contains("{{- range .Messages }}<|im_start|>{{ .Role }}"))
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        !published.is_empty(),
        "the hand-written template is in no output: {tree:?}"
    );

    // Against the GGUF's own Qwen 2.5 Jinja (tools, a default system prompt) it differs:
    // printed as NOT verified, and the Ollama output needs `--allow-unverified`.
    let dir = fixtures_with(
        "ollama_template_file = \"small.gotmpl\"",
        &[("small.gotmpl", HAND_WRITTEN)],
    );
    let explain = run_in(dir.path(), &["explain"]);
    let all = text(&explain);
    assert!(explain.status.success(), "{all}");
    assert!(all.contains("NOT verified"), "{all}");
    let out = run_in(dir.path(), &["ollama"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("--allow-unverified"), "{}", text(&out));
    let out = run_in(dir.path(), &["ollama", "--allow-unverified"]);
    assert!(out.status.success(), "{}", text(&out));

    // A hand-written template whose markers the vocabulary lacks is refused.
    let dir = fixtures_with(
        "ollama_template_file = \"small.gotmpl\"",
        &[(
            "small.gotmpl",
            "{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n{{ .Content }}<|eot_id|>{{ end }}",
        )],
    );
    let out = run_in(dir.path(), &["explain"]);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("`ollama_template_file` `small.gotmpl`"),
        "{all}"
    );
    assert!(all.contains("`<|eot_id|>` is not a token"), "{all}");
}

fn list(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn push_gguf_refuses_a_template_that_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template");
    std::fs::write(
        &template,
        "{{ range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}",
    )
    .unwrap();
    let out = run_in(
        dir.path(),
        &[
            "push",
            "--to",
            "bundle",
            "--gguf",
            vocab("llama-spm").to_str().unwrap(),
            "--name",
            "ruv/x:f16",
            "--template",
            template.to_str().unwrap(),
            "--dir",
            dir.path().join("bundle").to_str().unwrap(),
        ],
    );
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains("`<|im_start|>` is not a token of the vocabulary"),
        "{all}"
    );
    assert!(
        !dir.path().join("bundle").exists(),
        "nothing written: {all}"
    );
}

#[test]
fn the_checked_in_manifest_still_passes_all() {
    let dir = fixtures_with("", &[]);
    let out = run_in(dir.path(), &["all"]);
    assert!(out.status.success(), "{}", text(&out));
    let explain = run_in(dir.path(), &["explain"]);
    let all = text(&explain);
    assert!(explain.status.success(), "{all}");
    assert!(
        all.contains("system, user, assistant and tool content reach the prompt"),
        "{all}"
    );
}
