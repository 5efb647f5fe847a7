//! `ruvltra-export init` through the real binary on folders holding more than models: LoRA
//! adapters (left out of the variants, named in a comment, the manifest still resolves) and
//! projectors whose `clip.vision.projection_dim` decides or refuses their pairing.
//!
//! Test GGUFs are the checked-in fixtures rewritten with the crate's own `GgufWriter` (same
//! tensors, a few header keys changed), plus a LoRA adapter written as llama.cpp's
//! `convert_lora_to_gguf.py` writes one, cross-checked with the reference reader.

#[path = "support/lora.rs"]
mod lora;
mod support;

use std::path::Path;
use std::process::{Command, Output};

use ruvltra_export::gguf::{GgufHeader, GgufWriter, Value};
use ruvltra_export::manifest::Manifest;

/// The fixture `fixture` (relative to `fixtures/`) with `edits` applied to its header, tensors
/// copied byte for byte.
fn rewritten(fixture: &str, edits: &[(&str, Value)]) -> Vec<u8> {
    let path = support::root().join("fixtures").join(fixture);
    let header = GgufHeader::read_path(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let mut w = GgufWriter::new().with_metadata(header.metadata().clone());
    for (key, value) in edits {
        w.set(*key, value.clone());
    }
    for tensor in header.tensors() {
        let start = (header.data_offset() + tensor.offset()) as usize;
        let len = tensor.data_size().unwrap() as usize;
        w.add_tensor(
            tensor.name(),
            tensor.shape().to_vec(),
            tensor.ggml_type(),
            bytes[start..start + len].to_vec(),
        )
        .unwrap();
    }
    let mut out = Vec::new();
    w.write_to(&mut out).unwrap();
    out
}

/// The projector fixture stating the width of its output, as llama.cpp's converter writes it.
fn projector(projection_dim: u32) -> Vec<u8> {
    rewritten(
        "mmproj/ruvltra-small-0.5b-mmproj-f16.gguf",
        &[("clip.vision.projection_dim", Value::U32(projection_dim))],
    )
}

/// The LoRA adapter of `support/lora.rs`, for the fixtures' Qwen2.
fn lora_adapter() -> Vec<u8> {
    lora::lora_adapter("qwen2")
}

/// A folder `models/` in a fresh temporary folder, holding the named fixtures and `extra`
/// files (name, bytes).
fn folder(fixtures: &[&str], extra: &[(&str, Vec<u8>)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    for fixture in fixtures {
        let from = support::root().join("fixtures").join(fixture);
        std::fs::copy(&from, models.join(from.file_name().unwrap())).unwrap();
    }
    for (name, bytes) in extra {
        std::fs::write(models.join(name), bytes).unwrap();
    }
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

/// Runs `init models`, then `check` and `explain` (which resolves every variant and
/// projector against the files): returns the manifest's text and the parsed manifest.
fn init_check_resolve(dir: &Path) -> (String, Manifest, String) {
    let init = run_bin(dir, &["init", "models"]);
    assert_ok(&init, "init");
    support::fill_placeholders(&dir.join("ruvltra.toml"));
    let text = std::fs::read_to_string(dir.join("ruvltra.toml")).unwrap();
    assert_ok(&run_bin(dir, &["check", "ruvltra.toml"]), "check");
    assert_ok(&run_bin(dir, &["explain"]), &format!("explain\n{text}"));
    let manifest = Manifest::load(&dir.join("ruvltra.toml")).unwrap();
    (
        text,
        manifest,
        String::from_utf8_lossy(&init.stderr).into_owned(),
    )
}

const LORA: &str = "ruvltra-small-0.5b-sql-lora-f16.gguf";

#[test]
fn the_adapter_gguf_is_one_the_reference_reader_calls_a_lora_adapter() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(LORA);
    std::fs::write(&path, lora_adapter()).unwrap();
    let out = Command::new(support::python())
        .args([
            "-c",
            "import sys, gguf; r = gguf.GGUFReader(sys.argv[1]); \
             print(r.fields['general.type'].contents(), r.fields['adapter.type'].contents(), \
             r.fields['adapter.lora.alpha'].contents(), len(r.tensors))",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_ok(&out, "gguf reader");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "adapter lora 16.0 2"
    );
}

#[test]
fn init_leaves_adapters_out_of_the_variants_and_says_why() {
    let dir = folder(
        &[
            "ruvltra-small-0.5b-q4_k_m.gguf",
            "ruvltra-small-0.5b-q8_0.gguf",
            "ruvltra-medium-1.1b-q4_k_m.gguf",
        ],
        &[
            (LORA, lora_adapter()),
            // Named like a variant: only the header tells.
            ("ruvltra-medium-1.1b-q8_0.gguf", lora_adapter()),
            // No header to read: the name says adapter.
            ("ggml-adapter-model.gguf", b"not a GGUF".to_vec()),
        ],
    );
    let (text, manifest, stderr) = init_check_resolve(dir.path());
    let variants: Vec<String> = manifest
        .models
        .iter()
        .flat_map(|m| m.variants.iter().map(|v| v.file.clone()))
        .collect();
    assert_eq!(
        variants,
        [
            "ruvltra-medium-1.1b-q4_k_m.gguf",
            "ruvltra-small-0.5b-q4_k_m.gguf",
            "ruvltra-small-0.5b-q8_0.gguf"
        ],
        "{text}"
    );
    for line in [
        "# - `ruvltra-small-0.5b-sql-lora-f16.gguf`: a LoRA adapter (its header says `general.type = adapter`), for architecture `qwen2` like `medium`, `small`\n",
        "# - `ruvltra-medium-1.1b-q8_0.gguf`: a LoRA adapter (its header says `general.type = adapter`), for architecture `qwen2` like `medium`, `small`\n",
        "# - `ggml-adapter-model.gguf`: an adapter by its name only: its header could not be read",
        "`llama-server -m BASE.gguf --lora ADAPTER.gguf`",
    ] {
        assert_eq!(text.matches(line).count(), 1, "{line}\n{text}");
    }
    assert!(
        stderr.contains("(3 adapters, left out: see the comment at the top)")
            && stderr.contains("cannot read the header of `ggml-adapter-model.gguf`"),
        "{stderr}"
    );
}

#[test]
fn init_on_adapters_alone_says_the_base_model_is_missing() {
    let dir = folder(&[], &[(LORA, lora_adapter())]);
    let out = run_bin(dir.path(), &["init", "models"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("holds only adapters, no base model to run them on"),
        "{stderr}"
    );
    assert!(!dir.path().join("ruvltra.toml").exists());
}

#[test]
fn init_pairs_by_width_a_projector_whose_name_fits_two_models() {
    // Both models are 0.5B, so `ruvltra-0.5b-mmproj-f16` names neither; only `small` has the
    // projector's width.
    let small = rewritten(
        "ruvltra-small-0.5b-q4_k_m.gguf",
        &[("qwen2.embedding_length", Value::U32(896))],
    );
    let dir = folder(
        &["ruvltra-claude-code-0.5b-q4_k_m.gguf"],
        &[
            ("ruvltra-small-0.5b-q4_k_m.gguf", small),
            ("ruvltra-0.5b-mmproj-f16.gguf", projector(896)),
        ],
    );
    let (text, manifest, _) = init_check_resolve(dir.path());
    let projectors: Vec<(&str, Option<&str>)> = manifest
        .models
        .iter()
        .map(|m| (m.key.as_str(), m.projector.as_deref()))
        .collect();
    assert_eq!(
        projectors,
        [
            ("claude-code", None),
            ("small", Some("ruvltra-0.5b-mmproj-f16.gguf"))
        ],
        "{text}"
    );
    assert!(
        text.contains("# `ruvltra-0.5b-mmproj-f16.gguf`: its name fits several models; its `clip.vision.projection_dim` 896 equals this model's `qwen2.embedding_length` alone.\nprojector = \"ruvltra-0.5b-mmproj-f16.gguf\"\n"),
        "{text}"
    );
    // Without the width the same folder leaves the choice to the user.
    let dir = folder(
        &[
            "ruvltra-claude-code-0.5b-q4_k_m.gguf",
            "ruvltra-small-0.5b-q4_k_m.gguf",
        ],
        &[(
            "ruvltra-0.5b-mmproj-f16.gguf",
            std::fs::read(
                support::root().join("fixtures/mmproj/ruvltra-small-0.5b-mmproj-f16.gguf"),
            )
            .unwrap(),
        )],
    );
    let (text, manifest, _) = init_check_resolve(dir.path());
    assert!(
        manifest.models.iter().all(|m| m.projector.is_none()),
        "{text}"
    );
    assert_eq!(
        text.matches("# projector = \"ruvltra-0.5b-mmproj-f16.gguf\"")
            .count(),
        2,
        "{text}"
    );
}

#[test]
fn init_refuses_a_pairing_by_name_whose_width_differs() {
    // The name says `small`, but the projector's output is 896 wide and the models' 256.
    let dir = folder(
        &[
            "ruvltra-small-0.5b-q4_k_m.gguf",
            "ruvltra-medium-1.1b-q4_k_m.gguf",
        ],
        &[("ruvltra-small-0.5b-mmproj-f16.gguf", projector(896))],
    );
    let (text, manifest, _) = init_check_resolve(dir.path());
    assert!(
        manifest.models.iter().all(|m| m.projector.is_none()),
        "{text}"
    );
    assert!(
        text.contains(
            "# `ruvltra-small-0.5b-mmproj-f16.gguf` is not this model's projector, though its name fits: its `clip.vision.projection_dim` is 896,\n\
             # this model's `qwen2.embedding_length` is 256, and llama.cpp refuses a projector of another width.\n\
             # No model here has width 896: add the projector's own model, or the projector made for this one.\n\
             # projector = \"ruvltra-small-0.5b-mmproj-f16.gguf\"\n"
        ),
        "{text}"
    );
    // Under `small` only: `medium` is not what its name says.
    assert_eq!(
        text.matches("is not this model's projector").count(),
        1,
        "{text}"
    );
    let small = text.find("[models.small]").unwrap();
    let refusal = text.find("is not this model's projector").unwrap();
    assert!(refusal > small, "{text}");
    // The same name with the model's width is paired as before.
    let dir = folder(
        &[
            "ruvltra-small-0.5b-q4_k_m.gguf",
            "ruvltra-medium-1.1b-q4_k_m.gguf",
        ],
        &[("ruvltra-small-0.5b-mmproj-f16.gguf", projector(256))],
    );
    let (text, manifest, _) = init_check_resolve(dir.path());
    let small = manifest.models.iter().find(|m| m.key == "small").unwrap();
    assert_eq!(
        small.projector.as_deref(),
        Some("ruvltra-small-0.5b-mmproj-f16.gguf"),
        "{text}"
    );
}

/// A hand-written `projector` that `init` would refuse (its projection width is not the
/// model's embedding length) is refused by resolution too, at the `projector` line; the same
/// manifest with a projector of the model's width resolves.
#[test]
fn resolution_refuses_the_projector_pairing_init_refuses() {
    let manifest = "[family]\nname = \"RuvLTRA\"\ndescription = \"Vision.\"\npublisher = \"ruv\"\nlicense = \"apache-2.0\"\n\n[hub]\nrepo = \"ruv/ruvltra\"\n\n[source]\nlocal = \"models\"\n\n[models.small]\nprojector = \"mmproj-small-f16.gguf\"\n\n[models.small.variants.q4_k_m]\nfile = \"ruvltra-small-0.5b-q4_k_m.gguf\"\n";
    for (width, refused) in [(512, true), (256, false)] {
        let dir = folder(
            &["ruvltra-small-0.5b-q4_k_m.gguf"],
            &[("mmproj-small-f16.gguf", projector(width))],
        );
        std::fs::write(dir.path().join("ruvltra.toml"), manifest).unwrap();
        let out = run_bin(dir.path(), &["explain"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !refused {
            assert_ok(&out, "explain with a projector of the model's width");
            continue;
        }
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(
                "ruvltra.toml:14:13: the projector `mmproj-small-f16.gguf` has `clip.vision.projection_dim = 512`, but the model `ruvltra-small-0.5b-q4_k_m.gguf` (variant `small/q4_k_m`) has `qwen2.embedding_length = 256`"
            ),
            "{stderr}"
        );
    }
}
