//! The generated outputs over the checked-in manifest and fixtures: golden files for every
//! output, Modelfiles that parse back to the intended values, front matter that PyYAML
//! reads with the required keys, JSON in the documented shapes, and determinism.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use ruvltra_export::manifest::{
    ChatConverter, LocalFiles, Manifest, OllamaChat, Origin, Resolved, resolve,
};
use ruvltra_export::modelfile::Modelfile;
use ruvltra_export::ollama::{ParamValue, Parameter};
use ruvltra_export::render::{OutputTree, RenderOptions, Target, render};
use serde_json::Value;

/// A copy of the checked-in manifest and fixtures in a temporary folder, so relative paths
/// in the outputs do not depend on where the repository is checked out.
fn family() -> tempfile::TempDir {
    support::fixture_family()
}

fn resolve_in(dir: &Path, variants: &[String]) -> Resolved {
    let manifest = Manifest::load(&dir.join("ruvltra.toml")).unwrap();
    let mut files = LocalFiles::new(dir.join("fixtures"));
    resolve(
        &manifest,
        variants,
        &mut files,
        Origin::Local {
            folder: "fixtures".into(),
        },
        &mut ChatConverter::new(),
    )
    .unwrap()
}

fn render_all(dir: &Path) -> (Resolved, OutputTree) {
    let resolved = resolve_in(dir, &[]);
    let options = RenderOptions {
        hub_preset: true,
        ..RenderOptions::default()
    };
    let tree = render(&resolved, &Target::ALL, &dir.join("dist"), &options).unwrap();
    (resolved, tree)
}

/// The tree's text with this run's temporary folder replaced by a placeholder.
fn redacted(tree: &OutputTree, path: &str, dir: &Path) -> String {
    let text = tree
        .text(path)
        .unwrap_or_else(|| panic!("{path} is not text"));
    text.replace(&dir.display().to_string(), "[FAMILY]")
}

#[test]
fn every_output_matches_its_golden_file() {
    let dir = family();
    let (_, tree) = render_all(dir.path());
    let paths: Vec<&str> = tree.paths().collect();
    insta::with_settings!({ snapshot_path => "golden", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("tree", paths.join("\n"));
        for path in &paths {
            let name = path.replace('/', "__");
            insta::assert_snapshot!(name, redacted(&tree, path, dir.path()));
        }
    });
}

#[test]
fn modelfiles_parse_back_to_the_intended_values() {
    let dir = family();
    let (resolved, tree) = render_all(dir.path());
    tree.write_atomically(&dir.path().join("dist")).unwrap();
    let mut checked = 0;
    for model in &resolved.models {
        for variant in &model.variants {
            let path = format!("ollama/{}-{}.Modelfile", model.key, variant.key);
            let text = tree.text(&path).unwrap();
            let parsed =
                Modelfile::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{path}: {e}"));
            let OllamaChat::Converted {
                template,
                stop,
                verified,
                ..
            } = &variant.chat.ollama
            else {
                panic!("{path}: no converted template");
            };
            assert!(
                verified,
                "{path}: the fixtures' ChatML template must verify"
            );
            assert_eq!(
                parsed.template.as_deref(),
                Some(template.as_str()),
                "{path}"
            );
            assert_eq!(parsed.parameters.stop(), stop.value.as_slice(), "{path}");
            assert_eq!(
                parsed.system.as_deref(),
                variant.system.as_ref().map(|s| s.value.as_str()),
                "{path}"
            );
            let gguf = dir.path().join("fixtures").join(&variant.file);
            let from = dir.path().join("dist/ollama").join(&parsed.from[0]);
            assert_eq!(
                std::fs::canonicalize(from).unwrap(),
                std::fs::canonicalize(gguf).unwrap(),
                "{path}: FROM must point at the GGUF relative to the Modelfile"
            );
            let expected_ctx = if model.key == "medium" { 8192 } else { 4096 };
            assert_eq!(
                parsed.parameters.get(Parameter::NumCtx),
                Some(&ParamValue::Int(expected_ctx)),
                "{path}"
            );
            assert_eq!(
                parsed.parameters.get(Parameter::Temperature),
                Some(&ParamValue::Float(0.7)),
                "{path}"
            );
            assert_eq!(
                parsed.license,
                ["apache-2.0\nhttps://www.apache.org/licenses/LICENSE-2.0"],
                "{path}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 5);
}

#[test]
fn hub_origin_points_from_at_hf_co() {
    let dir = family();
    let mut resolved = resolve_in(dir.path(), &["small/q8_0".to_owned()]);
    resolved.origin = Origin::Hub {
        endpoint: "https://huggingface.co".into(),
    };
    let tree = render(
        &resolved,
        &[Target::Ollama],
        &dir.path().join("dist"),
        &RenderOptions::default(),
    )
    .unwrap();
    let parsed = Modelfile::parse(tree.get("ollama/small-q8_0.Modelfile").unwrap()).unwrap();
    assert_eq!(
        parsed.from,
        ["hf.co/ruv/ruvltra:ruvltra-small-0.5b-q8_0.gguf"]
    );
    assert!(
        tree.get("ollama/small-q4_k_m.Modelfile").is_none(),
        "--variant limits the run"
    );
}

fn front_matter(text: &str) -> &str {
    let rest = text
        .strip_prefix("---\n")
        .expect("front matter opens the file");
    &rest[..rest.find("\n---\n").expect("front matter closes")]
}

/// Parses YAML with the test venv's PyYAML and returns it as JSON.
fn yaml_to_json(yaml: &str) -> Value {
    let out = Command::new(support::python())
        .args([
            "-c",
            "import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(yaml.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        out.status.success(),
        "PyYAML rejected:\n{yaml}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn front_matter_is_yaml_with_the_required_keys() {
    let dir = family();
    let (_, tree) = render_all(dir.path());
    let card = yaml_to_json(front_matter(tree.text("hub/README.md").unwrap()));
    assert_eq!(card["license"], "apache-2.0");
    assert_eq!(card["language"], serde_json::json!(["en"]));
    assert_eq!(card["base_model"], "Qwen/Qwen2.5-0.5B-Instruct");
    assert_eq!(card["base_model_relation"], "quantized");
    assert_eq!(card["pipeline_tag"], "text-generation");
    assert_eq!(card["library_name"], "gguf");
    assert!(
        card["tags"]
            .as_array()
            .unwrap()
            .contains(&Value::from("gguf"))
    );
    let mut repos = 0;
    for path in tree
        .paths()
        .filter(|p| p.starts_with("modelscope/") && p.ends_with("/README.md"))
    {
        let ms = yaml_to_json(front_matter(tree.text(path).unwrap()));
        for key in [
            "tasks",
            "frameworks",
            "license",
            "language",
            "tags",
            "base_model",
        ] {
            assert!(!ms[key].is_null(), "{path}: `{key}` missing");
        }
        let tags: Vec<&str> = ms["tags"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(tags.contains(&"GGUF"), "{path}: {tags:?}");
        assert!(tags.contains(&"Q4_K_M"), "{path}: {tags:?}");
        repos += 1;
    }
    assert_eq!(repos, 3);
}

#[test]
fn json_outputs_have_the_documented_shapes() {
    let dir = family();
    let (resolved, tree) = render_all(dir.path());
    let json = |path: &str| -> Value { serde_json::from_slice(tree.get(path).unwrap()).unwrap() };

    let lock = json("metadata.lock.json");
    assert_eq!(lock["lock_version"], 1);
    assert_eq!(lock["fixtures"], true);
    let v = &lock["models"][2]["variants"][0];
    assert_eq!(v["context_length"]["provenance"]["source"], "gguf_header");
    assert_eq!(
        v["context_length"]["provenance"]["key"],
        "qwen2.context_length"
    );
    assert_eq!(v["quant"]["value"], "Q4_K_M");
    let num_ctx = v["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "num_ctx")
        .unwrap();
    assert_eq!(num_ctx["value"], 8192);
    assert_eq!(num_ctx["provenance"]["source"], "manifest");

    let tags = json("ollama/tags.json");
    let names: Vec<&str> = tags["models"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["variants"].as_array().unwrap().iter())
        .flat_map(|v| {
            v["names"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
        })
        .collect();
    assert!(
        names.contains(&"ruv/ruvltra-claude-code:0.5b-q4_K_M"),
        "{names:?}"
    );
    assert!(
        names.contains(&"ruv/ruvltra-claude-code:latest"),
        "{names:?}"
    );
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "no two variants share a name");

    for (model, variant) in resolved.variants() {
        let entry = json(&format!(
            "llamacpp/catalog/{}-{}.json",
            model.key, variant.key
        ));
        for key in [
            "repo",
            "revision",
            "file",
            "quant",
            "size_bytes",
            "sha256",
            "options",
            "context_length",
            "architecture",
            "license",
            "chat_template",
            "commands",
        ] {
            assert!(
                !entry[key].is_null(),
                "catalog {}: `{key}` missing",
                variant.file
            );
        }
        assert_eq!(entry["sha256"].as_str().unwrap().len(), 64);
        assert_eq!(
            entry["ambiguous_quant"], true,
            "every quant is shared by two models here"
        );
        assert!(
            entry["commands"][0]
                .as_str()
                .unwrap()
                .contains(&format!("-hff {}", variant.file))
        );
    }

    let files = json("modelscope/RuvLTRA-Small-GGUF/files.json");
    assert_eq!(files["repo"], "ruv/RuvLTRA-Small-GGUF");
    let paths: Vec<&str> = files["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["RuvLTRA-Small-Q4_K_M.gguf", "RuvLTRA-Small-Q8_0.gguf"]
    );
    let config = json("modelscope/RuvLTRA-Small-GGUF/configuration.json");
    assert_eq!(config["task"], "text-generation");
    let params = json("hub/params");
    assert_eq!(
        params["stop"],
        serde_json::json!(["<|im_end|>", "<|im_start|>"])
    );
}

#[test]
fn two_runs_are_byte_identical() {
    let dir = family();
    let (_, first) = render_all(dir.path());
    let (_, second) = render_all(dir.path());
    assert_eq!(first, second);
}

#[test]
fn the_publishers_card_text_survives_regeneration() {
    let dir = family();
    let out: PathBuf = dir.path().join("dist");
    let (resolved, tree) = render_all(dir.path());
    tree.write_atomically(&out).unwrap();
    let card = std::fs::read_to_string(out.join("hub/README.md")).unwrap();
    let edited = card
        .replace(
            "<!-- ruvltra-export:begin -->",
            "Our own intro.\n<!-- ruvltra-export:begin -->",
        )
        .replace(
            "<!-- ruvltra-export:end -->\n",
            "<!-- ruvltra-export:end -->\nOur own outro.\n",
        );
    std::fs::write(out.join("hub/README.md"), &edited).unwrap();
    let again = render(&resolved, &[Target::Card], &out, &RenderOptions::default()).unwrap();
    assert_eq!(again.text("hub/README.md").unwrap(), edited);
}

#[test]
fn generated_presets_pass_the_preset_validator() {
    let dir = family();
    let (_, tree) = render_all(dir.path());
    for path in ["llamacpp/presets.ini", "llamacpp/preset.ini"] {
        let text = tree.text(path).unwrap_or_else(|| panic!("{path} missing"));
        let diagnostics = ruvltra_export::render::llamacpp::check_preset(text, Path::new(path));
        assert!(diagnostics.is_empty(), "{path}: {diagnostics:#?}\n{text}");
        assert_eq!(
            text.matches("\n[").count(),
            5,
            "{path}: one section per variant\n{text}"
        );
    }
    let hub = tree.text("llamacpp/preset.ini").unwrap();
    assert!(
        hub.contains("hf-repo = ruv/ruvltra\nhf-file = ruvltra-small-0.5b-q8_0.gguf\n"),
        "{hub}"
    );
    assert!(
        !hub.contains("model = "),
        "the Hub preset never points at local files: {hub}"
    );
}

#[test]
fn a_split_model_is_every_part() {
    use ruvltra_export::gguf::{GgufHeader, GgufWriter, Value as GgufValue};
    let dir = tempfile::tempdir().unwrap();
    let fixtures = dir.path().join("fixtures");
    std::fs::create_dir(&fixtures).unwrap();
    let source =
        GgufHeader::read_path(&support::root().join("fixtures/ruvltra-small-0.5b-q4_k_m.gguf"))
            .unwrap();
    let mut sizes = 0;
    for part in 0..2u16 {
        let mut writer = GgufWriter::new().with_metadata(source.metadata().clone());
        writer.set("split.no", GgufValue::U16(part));
        writer.set("split.count", GgufValue::U16(2));
        writer.set("split.tensors.count", GgufValue::I32(0));
        let name = format!("ruvltra-small-0.5b-q4_k_m-{:05}-of-00002.gguf", part + 1);
        let mut bytes = Vec::new();
        writer.write_to(&mut bytes).unwrap();
        sizes += bytes.len() as u64;
        std::fs::write(fixtures.join(name), bytes).unwrap();
    }
    let manifest = std::fs::read_to_string(support::root().join("ruvltra.toml"))
        .unwrap()
        .replace(
            "file = \"ruvltra-small-0.5b-q4_k_m.gguf\"",
            "file = \"ruvltra-small-0.5b-q4_k_m-00001-of-00002.gguf\"",
        );
    std::fs::write(dir.path().join("ruvltra.toml"), manifest).unwrap();
    let resolved = resolve_in(dir.path(), &["small/q4_k_m".to_owned()]);
    let variant = &resolved.models[0].variants[0];
    assert_eq!(
        variant.parts,
        [
            "ruvltra-small-0.5b-q4_k_m-00001-of-00002.gguf",
            "ruvltra-small-0.5b-q4_k_m-00002-of-00002.gguf"
        ]
    );
    assert_eq!(variant.size_bytes.value, sizes, "the size is every part's");
    let tree = render(
        &resolved,
        &[Target::Ollama, Target::ModelScope],
        &dir.path().join("dist"),
        &RenderOptions::default(),
    )
    .unwrap();
    let parsed = Modelfile::parse(tree.get("ollama/small-q4_k_m.Modelfile").unwrap()).unwrap();
    assert_eq!(
        parsed.from,
        [
            "../../fixtures/ruvltra-small-0.5b-q4_k_m-00001-of-00002.gguf",
            "../../fixtures/ruvltra-small-0.5b-q4_k_m-00002-of-00002.gguf"
        ]
    );
    let files: Value = serde_json::from_slice(
        tree.get("modelscope/RuvLTRA-Small-GGUF/files.json")
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        files["files"][1]["path"],
        "RuvLTRA-Small-Q4_K_M-00002-of-00002.gguf"
    );
}
