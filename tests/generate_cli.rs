//! The generator commands end to end: `all` writes the whole tree, a failing run leaves
//! nothing behind, conflicts name both sides, `explain` shows provenance, `init` writes a
//! manifest that passes `check`.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
}

fn family() -> tempfile::TempDir {
    support::fixture_family()
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin()
        .args(args)
        .current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn hidden_siblings(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

#[test]
fn all_writes_the_whole_tree_and_is_deterministic() {
    let dir = family();
    let first = run_in(dir.path(), &["all"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("from test fixtures"),
        "{}",
        stderr(&first)
    );
    let tree = snapshot(&dir.path().join("dist"));
    for expected in [
        "metadata.lock.json",
        "ollama/claude-code-q4_k_m.Modelfile",
        "ollama/small-q8_0.Modelfile",
        "ollama/tags.json",
        "ollama/create.sh",
        "llamacpp/presets.ini",
        "llamacpp/catalog/medium-q8_0.json",
        "llamacpp/supported-models.md",
        "llamacpp/usage.md",
        "modelscope/RuvLTRA-Medium-GGUF/configuration.json",
        "modelscope/RuvLTRA-Medium-GGUF/README.md",
        "modelscope/RuvLTRA-Medium-GGUF/files.json",
        "hub/README.md",
        "hub/template",
        "hub/system",
        "hub/params",
    ] {
        assert!(
            tree.contains_key(expected),
            "missing {expected}; tree: {:?}",
            tree.keys()
        );
    }
    assert!(
        !tree.contains_key("llamacpp/preset.ini"),
        "the Hub preset needs --hub-preset"
    );
    let second = run_in(dir.path(), &["all"]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(tree, snapshot(&dir.path().join("dist")), "two runs differ");
    assert!(
        hidden_siblings(dir.path()).is_empty(),
        "staging folders left behind"
    );

    let with_preset = run_in(dir.path(), &["llamacpp", "--hub-preset"]);
    assert!(with_preset.status.success(), "{}", stderr(&with_preset));
    let preset = std::fs::read_to_string(dir.path().join("dist/llamacpp/preset.ini")).unwrap();
    for (model, variant) in [
        ("claude-code", "q4_k_m"),
        ("small", "q4_k_m"),
        ("small", "q8_0"),
        ("medium", "q4_k_m"),
        ("medium", "q8_0"),
    ] {
        assert!(preset.contains(&format!("[{model}-{variant}]")), "{preset}");
    }
    assert!(preset.contains("hf-repo = ruv/ruvltra"), "{preset}");
    let partial = run_in(
        dir.path(),
        &["llamacpp", "--hub-preset", "--variant", "small"],
    );
    assert!(!partial.status.success());
    assert!(
        stderr(&partial).contains("must cover every variant"),
        "{}",
        stderr(&partial)
    );
}

#[test]
fn a_failing_run_leaves_no_tree() {
    let dir = family();
    let templates = dir.path().join("broken");
    std::fs::create_dir_all(templates.join("card")).unwrap();
    std::fs::write(templates.join("card/README.md"), "{{ no_such_value.x }}").unwrap();
    let failed = run_in(dir.path(), &["all", "--templates", "broken"]);
    assert!(!failed.status.success());
    assert!(
        stderr(&failed).contains("card/README.md"),
        "{}",
        stderr(&failed)
    );
    assert!(
        !dir.path().join("dist").exists(),
        "a failed run wrote a tree"
    );
    assert!(hidden_siblings(dir.path()).is_empty());

    let ok = run_in(dir.path(), &["all"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let before = snapshot(&dir.path().join("dist"));
    let failed = run_in(dir.path(), &["all", "--templates", "broken"]);
    assert!(!failed.status.success());
    assert_eq!(
        before,
        snapshot(&dir.path().join("dist")),
        "a failed run changed the tree"
    );
}

#[test]
fn a_foreign_out_folder_is_not_replaced() {
    let dir = family();
    std::fs::create_dir(dir.path().join("mine")).unwrap();
    std::fs::write(dir.path().join("mine/notes.txt"), "keep").unwrap();
    let out = run_in(dir.path(), &["card", "--out", "mine"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("was not written by ruvltra-export"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("mine/notes.txt")).unwrap(),
        "keep"
    );
}

#[test]
fn conflicts_name_both_sides_unless_intended() {
    let dir = family();
    let manifest = std::fs::read_to_string(dir.path().join("ruvltra.toml")).unwrap();
    let with_claim = manifest.replace(
        "description = \"The 1.1B RuvLTRA model, for longer contexts and harder tasks.\"",
        "description = \"The 1.1B RuvLTRA model, for longer contexts and harder tasks.\"\ncontext_length = 8192",
    );
    std::fs::write(dir.path().join("ruvltra.toml"), &with_claim).unwrap();
    let out = run_in(dir.path(), &["explain"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("context length of `ruvltra-medium-1.1b-q4_k_m.gguf`"),
        "{err}"
    );
    assert!(err.contains("says 8192, but GGUF header of `ruvltra-medium-1.1b-q4_k_m.gguf` (`qwen2.context_length`) says 32768"), "{err}");
    assert!(
        err.contains("2 conflicts"),
        "both medium variants are reported: {err}"
    );

    let intended = manifest.replace(
        "description = \"The 1.1B RuvLTRA model, for longer contexts and harder tasks.\"",
        "description = \"The 1.1B RuvLTRA model, for longer contexts and harder tasks.\"\ncontext_length = { value = 8192, intended = true }",
    );
    std::fs::write(dir.path().join("ruvltra.toml"), &intended).unwrap();
    let out = run_in(dir.path(), &["explain", "--variant", "medium/q8_0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("8192"), "{table}");
    assert!(table.contains("(intended override)"), "{table}");
}

#[test]
fn a_file_name_that_contradicts_its_header_is_a_conflict() {
    let dir = family();
    let fixtures = dir.path().join("fixtures");
    // The Q8_0 file under the Q4_K_M file's name.
    std::fs::copy(
        fixtures.join("ruvltra-small-0.5b-q8_0.gguf"),
        fixtures.join("ruvltra-small-0.5b-q4_k_m.gguf"),
    )
    .unwrap();
    let out = run_in(dir.path(), &["ollama", "--variant", "small/q4_k_m"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("quant of `ruvltra-small-0.5b-q4_k_m.gguf`: file name `ruvltra-small-0.5b-q4_k_m.gguf` says Q4_K_M, but GGUF header of `ruvltra-small-0.5b-q4_k_m.gguf` (`general.file_type`) says Q8_0"),
        "{err}"
    );
    assert!(!dir.path().join("dist").exists());
}

#[test]
fn explain_shows_where_values_come_from() {
    let dir = family();
    let out = run_in(dir.path(), &["explain", "--variant", "claude-code"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains(
            "GGUF header of `ruvltra-claude-code-0.5b-q4_k_m.gguf` (`general.file_type`)"
        ),
        "{table}"
    );
    assert!(
        table.contains("`ruvltra.toml`:31:15"),
        "temperature's place in the manifest: {table}"
    );
    assert!(table.contains("converted, verified"), "{table}");
    assert!(
        !table.contains("small/"),
        "--variant limits the table: {table}"
    );
    let json = run_in(dir.path(), &["explain", "--json"]);
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["models"].as_array().unwrap().len(), 3);
}

#[test]
fn unknown_variants_are_refused_with_a_suggestion() {
    let dir = family();
    let out = run_in(dir.path(), &["all", "--variant", "smal/q8_0"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("did you mean `small/q8_0`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn init_writes_a_manifest_that_checks_and_never_overwrites() {
    let dir = family();
    std::fs::remove_file(dir.path().join("ruvltra.toml")).unwrap();
    let out = run_in(dir.path(), &["init", "fixtures"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("ruvltra.toml")).unwrap();
    assert!(
        text.contains("[models.claude-code.variants.q4_k_m]"),
        "{text}"
    );
    assert!(text.contains("local = \"fixtures\""), "{text}");
    support::fill_placeholders(&dir.path().join("ruvltra.toml"));
    let check = run_in(dir.path(), &["check", "ruvltra.toml"]);
    assert!(
        check.status.success(),
        "{}\n{text}",
        String::from_utf8_lossy(&check.stdout)
    );
    let explain = run_in(dir.path(), &["explain"]);
    assert!(
        explain.status.success(),
        "the starter manifest resolves: {}",
        stderr(&explain)
    );

    let again = run_in(dir.path(), &["init", "fixtures"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    let forced = run_in(dir.path(), &["init", "fixtures", "--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
}

/// A template the converter turns into Go but cannot make match (Go has no `replace`).
const UNVERIFIABLE: &str = "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] | replace('P', 'p') }}</s>{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}";

#[test]
fn an_unverified_template_fails_unless_allowed_and_then_says_so() {
    let dir = family();
    let manifest = std::fs::read_to_string(dir.path().join("ruvltra.toml")).unwrap();
    let with_template = manifest.replace(
        "name = \"RuvLTRA Small\"",
        &format!(
            "name = \"RuvLTRA Small\"\nchat_template = {}",
            serde_json::Value::from(UNVERIFIABLE)
        ),
    );
    std::fs::write(dir.path().join("ruvltra.toml"), with_template).unwrap();
    let out = run_in(dir.path(), &["ollama"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("`small/q4_k_m`: the chat template converted for Ollama is not verified"),
        "{err}"
    );
    assert!(
        err.contains("`multi_turn` at byte 76 (2 more conversations differ):\n  jinja: "),
        "the first differing conversation is shown: {err}"
    );
    assert!(
        err.contains("⟨here⟩paris.") && err.contains("⟨here⟩Paris."),
        "both renderings: {err}"
    );
    assert!(err.contains("--allow-unverified"), "{err}");
    assert!(!dir.path().join("dist").exists());

    let out = run_in(dir.path(), &["ollama", "--allow-unverified"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: `small/q4_k_m`: its Ollama TEMPLATE is not verified"),
        "{}",
        stderr(&out)
    );
    let modelfile =
        std::fs::read_to_string(dir.path().join("dist/ollama/small-q4_k_m.Modelfile")).unwrap();
    assert!(
        modelfile.contains("# WARNING: this TEMPLATE did not pass verification"),
        "{modelfile}"
    );
    let verified =
        std::fs::read_to_string(dir.path().join("dist/ollama/claude-code-q4_k_m.Modelfile"))
            .unwrap();
    assert!(!verified.contains("WARNING"), "{verified}");
    let explain = run_in(dir.path(), &["explain", "--variant", "small/q8_0"]);
    let table = String::from_utf8_lossy(&explain.stdout);
    assert!(table.contains("converted, NOT verified"), "{table}");
    assert!(
        table.contains("chat template") && table.contains("`ruvltra.toml`:"),
        "the override's place: {table}"
    );
}

#[test]
fn check_validates_generated_and_broken_presets() {
    let dir = family();
    let out = run_in(dir.path(), &["llamacpp"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ok = run_in(dir.path(), &["check", "dist/llamacpp/presets.ini"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert!(
        stderr(&ok).contains("a valid llama.cpp preset file"),
        "{}",
        stderr(&ok)
    );
    std::fs::write(
        dir.path().join("bad.ini"),
        "version = 1\n\n[m]\nmodel = /m.gguf\nctx-sise = 4\n",
    )
    .unwrap();
    let bad = run_in(dir.path(), &["check", "bad.ini"]);
    assert!(!bad.status.success());
    let shown = String::from_utf8_lossy(&bad.stdout);
    assert!(
        shown.contains("bad.ini:5: option 'ctx-sise' not recognized in preset 'm'"),
        "{shown}"
    );
}
