//! A model with a multimodal projector (`projector = "...gguf"` in the manifest): resolution
//! reads the projector's header and refuses a file of the wrong kind, and every output names
//! the projector (a second Modelfile FROM, `mmproj` in the preset, the card's and
//! ModelScope's file lists, `metadata.lock.json`), locally, from the fake Hub, and in the
//! real `llama-server` router.

#[path = "support/fake_hub.rs"]
mod fake_hub;
#[path = "support/llama_server.rs"]
mod llama_server;
#[path = "support/local_family.rs"]
mod local_family;
mod support;

use std::path::Path;

use ruvltra_export::manifest::{
    ChatConverter, FileFacts, FileSource, LocalFiles, Manifest, Origin, ResolveError, resolve,
};
use ruvltra_export::modelfile::Modelfile;
use serde_json::Value;

use local_family::{render_all, sha256_hex, try_resolve};

const PROJECTOR: &str = "mmproj/ruvltra-small-0.5b-mmproj-f16.gguf";

/// `tests/data/mmproj.toml` (edited by `edit`) next to a copy of the fixtures it names.
fn family(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(support::root().join("tests/data/mmproj.toml")).unwrap();
    std::fs::write(dir.path().join("ruvltra.toml"), edit(text)).unwrap();
    std::fs::create_dir_all(dir.path().join("fixtures/mmproj")).unwrap();
    for file in [
        "ruvltra-small-0.5b-q4_k_m.gguf",
        "ruvltra-small-0.5b-q8_0.gguf",
        PROJECTOR,
    ] {
        std::fs::copy(
            support::root().join("fixtures").join(file),
            dir.path().join("fixtures").join(file),
        )
        .unwrap();
    }
    dir
}

#[test]
fn the_projector_is_resolved_with_size_and_digest() {
    let dir = family(|t| t);
    let resolved = try_resolve(dir.path()).unwrap();
    let on_disk = dir.path().join("fixtures").join(PROJECTOR);
    for (_, variant) in resolved.variants() {
        let projector = variant
            .projector
            .as_ref()
            .expect("every variant inherits it");
        assert_eq!(projector.file, PROJECTOR);
        assert_eq!(
            projector.size_bytes.value,
            std::fs::metadata(&on_disk).unwrap().len()
        );
        assert_eq!(
            projector.sha256.as_ref().unwrap().value,
            sha256_hex(&on_disk)
        );
        assert_eq!(projector.architecture.as_ref().unwrap().value, "clip");
    }
    let lock: Value = serde_json::from_str(&resolved.to_lock_json()).unwrap();
    let locked = &lock["models"][0]["variants"][0]["projector"];
    assert_eq!(locked["file"], PROJECTOR);
    assert_eq!(locked["sha256"]["value"], sha256_hex(&on_disk));
}

#[test]
fn the_modelfile_has_a_second_from_for_the_projector() {
    let dir = family(|t| t);
    let resolved = try_resolve(dir.path()).unwrap();
    let tree = render_all(dir.path(), &resolved);
    let text = tree.text("ollama/small-q8_0.Modelfile").unwrap();
    let parsed = Modelfile::parse(text.as_bytes()).unwrap();
    assert_eq!(
        parsed.from,
        vec![
            "../../fixtures/ruvltra-small-0.5b-q8_0.gguf".to_owned(),
            format!("../../fixtures/{PROJECTOR}"),
        ]
    );
    // Each FROM names a file that exists, seen from the Modelfile's folder (`dist/ollama`,
    // not written here, so `..` is applied by hand).
    for from in &parsed.from {
        let inside = from.strip_prefix("../../").unwrap();
        assert!(dir.path().join(inside).is_file(), "{from}");
    }
}

#[test]
fn a_hub_modelfile_says_why_the_projector_has_no_from() {
    let dir = family(|t| t);
    let mut resolved = try_resolve(dir.path()).unwrap();
    resolved.origin = Origin::Hub {
        endpoint: "https://huggingface.co".into(),
    };
    let tree = render_all(dir.path(), &resolved);
    let text = tree.text("ollama/small-q4_k_m.Modelfile").unwrap();
    let parsed = Modelfile::parse(text.as_bytes()).unwrap();
    assert_eq!(
        parsed.from,
        vec!["hf.co/ruv/ruvltra-vision:ruvltra-small-0.5b-q4_k_m.gguf".to_owned()]
    );
    assert!(text.contains(&format!("# The multimodal projector `{PROJECTOR}`")));
    let presets = tree.text("llamacpp/presets.ini").unwrap();
    assert!(presets.contains(&format!(
        "mmproj-url = https://huggingface.co/ruv/ruvltra-vision/resolve/main/{PROJECTOR}"
    )));
}

#[test]
fn the_preset_card_and_modelscope_files_name_the_projector() {
    let dir = family(|t| t);
    let resolved = try_resolve(dir.path()).unwrap();
    let tree = render_all(dir.path(), &resolved);
    let presets = tree.text("llamacpp/presets.ini").unwrap();
    let abs = std::path::absolute(dir.path().join("fixtures").join(PROJECTOR)).unwrap();
    assert_eq!(
        presets
            .matches(&format!("mmproj = {}\n", abs.display()))
            .count(),
        2,
        "{presets}"
    );
    let diagnostics =
        ruvltra_export::render::llamacpp::check_preset(presets, Path::new("presets.ini"));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let digest = sha256_hex(&abs);
    let card = tree.text("hub/README.md").unwrap();
    assert_eq!(card.matches(&format!("`{digest}`")).count(), 2, "{card}");
    let hardware = card
        .split("## Hardware requirements")
        .nth(1)
        .and_then(|s| s.split("## Usage").next())
        .unwrap();
    insta::assert_snapshot!("card_hardware_with_a_projector", hardware);
    let files: Value = serde_json::from_str(
        tree.text("modelscope/RuvLTRA-Vision-GGUF/files.json")
            .unwrap(),
    )
    .unwrap();
    let projectors: Vec<&Value> = files["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["projector"] == true)
        .collect();
    assert_eq!(projectors.len(), 1, "two variants share one projector");
    assert_eq!(projectors[0]["path"], "ruvltra-small-0.5b-mmproj-f16.gguf");
    assert_eq!(projectors[0]["sha256"], digest);
    let catalog: Value =
        serde_json::from_str(tree.text("llamacpp/catalog/small-q4_k_m.json").unwrap()).unwrap();
    assert_eq!(catalog["projector"]["file"], PROJECTOR);
}

#[test]
fn a_projector_that_is_not_an_mmproj_is_refused() {
    let dir = family(|t| {
        t.replace(
            &format!("projector = \"{PROJECTOR}\""),
            "projector = \"ruvltra-small-0.5b-q8_0.gguf\"",
        )
    });
    let err = try_resolve(dir.path()).unwrap_err();
    let message = err.to_string();
    assert!(matches!(*err, ResolveError::WrongKind { .. }), "{message}");
    assert!(
        message.contains("`ruvltra-small-0.5b-q8_0.gguf`")
            && message.contains("the projector")
            && message.contains("general.type = model"),
        "{message}"
    );
}

#[test]
fn a_model_file_that_is_an_mmproj_is_refused() {
    let dir = family(|t| {
        t.replace(
            "file = \"ruvltra-small-0.5b-q4_k_m.gguf\"",
            &format!("file = \"{PROJECTOR}\""),
        )
    });
    let message = try_resolve(dir.path()).unwrap_err().to_string();
    assert!(
        message.contains(PROJECTOR)
            && message.contains("the model file")
            && message.contains("general.type = mmproj"),
        "{message}"
    );
}

#[test]
fn a_misspelt_projector_key_is_located_with_a_suggestion() {
    let text = std::fs::read_to_string(support::root().join("tests/data/mmproj.toml"))
        .unwrap()
        .replace("projector = ", "projecter = ");
    let errors = Manifest::parse(&text, Path::new("mmproj.toml")).unwrap_err();
    let message = errors.to_string();
    assert!(
        message.contains("mmproj.toml:19:1") && message.contains("did you mean `projector`?"),
        "{message}"
    );
    let text = std::fs::read_to_string(support::root().join("tests/data/mmproj.toml"))
        .unwrap()
        .replace(PROJECTOR, "mmproj/projector.bin");
    let message = Manifest::parse(&text, Path::new("mmproj.toml"))
        .unwrap_err()
        .to_string();
    assert!(message.contains("is not a `.gguf` file name"), "{message}");
}

/// Local files, counting how often each one is read.
struct Counting {
    inner: LocalFiles<'static>,
    reads: Vec<String>,
}

impl FileSource for Counting {
    fn facts(&mut self, file: &str, variant: &str) -> Result<FileFacts, ResolveError> {
        self.reads.push(file.to_owned());
        self.inner.facts(file, variant)
    }
}

#[test]
fn a_shared_projector_is_read_once_and_a_variant_may_name_its_own() {
    let dir = family(|t| t);
    let manifest = Manifest::load(&dir.path().join("ruvltra.toml")).unwrap();
    let mut files = Counting {
        inner: LocalFiles::new(dir.path().join("fixtures")),
        reads: Vec::new(),
    };
    let origin = Origin::Local {
        folder: "fixtures".into(),
    };
    resolve(
        &manifest,
        &[],
        &mut files,
        origin,
        &mut ChatConverter::new(),
    )
    .unwrap();
    assert_eq!(files.reads.iter().filter(|f| *f == PROJECTOR).count(), 1);

    // A variant's own projector replaces the model's: here q8_0 names a file that is not an
    // mmproj, so only q8_0 fails, naming itself.
    let dir = family(|t| {
        t.replace(
            "file = \"ruvltra-small-0.5b-q8_0.gguf\"",
            "file = \"ruvltra-small-0.5b-q8_0.gguf\"\nprojector = \"ruvltra-small-0.5b-q4_k_m.gguf\"",
        )
    });
    let message = try_resolve(dir.path()).unwrap_err().to_string();
    assert!(
        message.contains("variant `small/q8_0`")
            && message.contains("`ruvltra-small-0.5b-q4_k_m.gguf`"),
        "{message}"
    );
    let q4_only = Manifest::load(&dir.path().join("ruvltra.toml")).unwrap();
    let resolved = resolve(
        &q4_only,
        &["small/q4_k_m".to_owned()],
        &mut LocalFiles::new(dir.path().join("fixtures")),
        Origin::Local {
            folder: "fixtures".into(),
        },
        &mut ChatConverter::new(),
    )
    .unwrap();
    assert_eq!(
        resolved.models[0].variants[0]
            .projector
            .as_ref()
            .unwrap()
            .file,
        PROJECTOR
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

fn has_arg(args: &[String], options: &[&str], value: &str) -> bool {
    args.windows(2)
        .any(|w| options.contains(&w[0].as_str()) && w[1] == value)
}

#[test]
fn the_real_router_takes_the_projector_of_every_variant() {
    let dir = family(|t| t);
    let mut resolved = try_resolve(dir.path()).unwrap();
    let tree = render_all(dir.path(), &resolved);
    let projector = std::path::absolute(dir.path().join("fixtures").join(PROJECTOR)).unwrap();
    for args in router_args(tree.text("llamacpp/presets.ini").unwrap(), "mmproj-local") {
        assert!(
            has_arg(&args, &["--mmproj", "-mm"], projector.to_str().unwrap()),
            "{args:?}"
        );
    }
    resolved.origin = Origin::Hub {
        endpoint: "https://huggingface.co".into(),
    };
    let tree = render_all(dir.path(), &resolved);
    let url = format!("https://huggingface.co/ruv/ruvltra-vision/resolve/main/{PROJECTOR}");
    for args in router_args(tree.text("llamacpp/presets.ini").unwrap(), "mmproj-hub") {
        assert!(has_arg(&args, &["--mmproj-url", "-mmu"], &url), "{args:?}");
    }
}

#[test]
fn from_the_hub_the_projector_comes_from_the_hub_api() {
    let hub = fake_hub::FakeHub::start("hf_test_token_never_printed");
    hub.add_repo("ruv/ruvltra-vision", fake_hub::Access::Public);
    for file in [
        "ruvltra-small-0.5b-q4_k_m.gguf",
        "ruvltra-small-0.5b-q8_0.gguf",
        PROJECTOR,
    ] {
        let bytes = std::fs::read(support::root().join("fixtures").join(file)).unwrap();
        hub.add_file("ruv/ruvltra-vision", file, bytes);
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::root().join("tests/data/mmproj.toml"),
        dir.path().join("ruvltra.toml"),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(["all", "--from", "hub"])
        .current_dir(dir.path())
        .env("HF_ENDPOINT", &hub.endpoint)
        .env("HF_TOKEN_PATH", dir.path().join("no-token"))
        .env_remove("HF_TOKEN")
        .env_remove("HUGGING_FACE_HUB_TOKEN")
        .env_remove("HUGGINGFACE_API_KEY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dist = dir.path().join("dist");
    let lock: Value =
        serde_json::from_slice(&std::fs::read(dist.join("metadata.lock.json")).unwrap()).unwrap();
    let projector = &lock["models"][0]["variants"][1]["projector"];
    let digest = sha256_hex(&support::root().join("fixtures").join(PROJECTOR));
    assert_eq!(
        projector["sha256"]["value"],
        digest.as_str(),
        "{projector:#}"
    );
    assert_eq!(
        projector["sha256"]["provenance"]["source"], "hub_api",
        "{projector:#}"
    );
    let presets = std::fs::read_to_string(dist.join("llamacpp/presets.ini")).unwrap();
    assert!(
        presets.contains(&format!(
            "mmproj-url = https://huggingface.co/ruv/ruvltra-vision/resolve/{}/{PROJECTOR}",
            fake_hub::COMMIT
        )),
        "{presets}"
    );
    let modelfile = std::fs::read(dist.join("ollama/small-q8_0.Modelfile")).unwrap();
    let parsed = Modelfile::parse(&modelfile).unwrap();
    assert_eq!(
        parsed.from,
        ["hf.co/ruv/ruvltra-vision:ruvltra-small-0.5b-q8_0.gguf"]
    );
}

/// Every model fixture and a copy of `fixtures/mmproj/`, side by side in `models/` (`init`
/// reads one folder, not its subfolders).
fn init_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    for from in [
        support::root().join("fixtures"),
        support::root().join("fixtures/mmproj"),
    ] {
        for entry in std::fs::read_dir(&from).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "gguf") {
                std::fs::copy(&path, models.join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    dir
}

fn assert_ok(out: &std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The card's hardware row for `model`/`variant`, split into cells.
fn hardware_cells(card: &str, model: &str, variant: &str) -> Vec<String> {
    let section = card
        .split("## Hardware requirements")
        .nth(1)
        .and_then(|s| s.split("## Usage").next())
        .unwrap_or_else(|| panic!("no hardware section: {card}"));
    let row = section
        .lines()
        .find(|l| l.starts_with(&format!("| {model} | {variant} |")))
        .unwrap_or_else(|| panic!("no row for {model}/{variant}: {section}"));
    row.trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_owned())
        .collect()
}

/// The f16 KV cache of `context` tokens, from the model's header by the card's formula.
fn kv_bytes(model: &Path, context: u64) -> u64 {
    let header = ruvltra_export::gguf::GgufHeader::read_path(model).unwrap();
    let heads = header.head_count().unwrap();
    let head_size = header
        .key_length()
        .unwrap_or_else(|| header.embedding_length().unwrap() / heads);
    let kv_heads = header.head_count_kv().unwrap_or(heads);
    2 * header.block_count().unwrap() * kv_heads * head_size * context * 2
}

#[test]
fn init_on_projectors_alone_says_the_model_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let only = dir.path().join("mmproj");
    std::fs::create_dir(&only).unwrap();
    for entry in std::fs::read_dir(support::root().join("fixtures/mmproj")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, only.join(path.file_name().unwrap())).unwrap();
    }
    let out = support::run_in(dir.path(), &["init", "mmproj"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("holds only multimodal projectors"),
        "{stderr}"
    );
    assert!(!dir.path().join("ruvltra.toml").exists());
}

#[test]
fn init_pairs_the_projector_and_every_output_names_it() {
    let dir = init_folder();
    let projector_file = "ruvltra-small-0.5b-mmproj-f16.gguf";
    // A projector by name whose header cannot be read: commented out, not a variant.
    std::fs::write(
        dir.path().join("models/mmproj-broken-f16.gguf"),
        b"not a GGUF",
    )
    .unwrap();
    let init = support::run_in(dir.path(), &["init", "models"]);
    assert_ok(&init, "init");
    let stderr = String::from_utf8_lossy(&init.stderr);
    assert!(
        stderr.contains("(2 multimodal projectors)")
            && stderr.contains("cannot read the header of `mmproj-broken-f16.gguf`"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(dir.path().join("ruvltra.toml")).unwrap();
    assert_eq!(
        text.matches("\n# projector = \"mmproj-broken-f16.gguf\"\n")
            .count(),
        3,
        "offered to each of the three models: {text}"
    );
    assert!(text.contains("its header could not be read"), "{text}");
    let manifest = Manifest::load(&dir.path().join("ruvltra.toml")).unwrap();
    // The projector is no variant, and belongs to `small` (its name says so), not the others.
    for model in &manifest.models {
        assert!(
            model.variants.iter().all(|v| !v.file.contains("mmproj")),
            "{text}"
        );
        let expected = (model.key == "small").then_some(projector_file);
        assert_eq!(model.projector.as_deref(), expected, "{text}");
    }
    assert_eq!(
        manifest
            .models
            .iter()
            .map(|m| m.variants.len())
            .sum::<usize>(),
        5,
        "{text}"
    );
    support::fill_placeholders(&dir.path().join("ruvltra.toml"));
    assert_ok(
        &support::run_in(dir.path(), &["check", "ruvltra.toml"]),
        "check",
    );
    assert_ok(&support::run_in(dir.path(), &["all"]), "all");

    let dist = dir.path().join("dist");
    let projector = std::path::absolute(dir.path().join("models").join(projector_file)).unwrap();
    for variant in ["q4_k_m", "q8_0"] {
        let modelfile =
            std::fs::read(dist.join(format!("ollama/small-{variant}.Modelfile"))).unwrap();
        let from = Modelfile::parse(&modelfile).unwrap().from;
        assert_eq!(from.len(), 2, "{from:?}");
        assert_eq!(from[1], format!("../../models/{projector_file}"));
    }
    let others = std::fs::read(dist.join("ollama/medium-q4_k_m.Modelfile")).unwrap();
    assert_eq!(Modelfile::parse(&others).unwrap().from.len(), 1);
    let presets = std::fs::read_to_string(dist.join("llamacpp/presets.ini")).unwrap();
    assert_eq!(
        presets
            .matches(&format!("mmproj = {}\n", projector.display()))
            .count(),
        2,
        "{presets}"
    );

    // The card's estimate: file plus projector, and every total counts both.
    let card = std::fs::read_to_string(dist.join("hub/README.md")).unwrap();
    let human = ruvltra_export::render::engine::human_bytes;
    let projector_len = std::fs::metadata(&projector).unwrap().len();
    let model = dir.path().join("models/ruvltra-small-0.5b-q4_k_m.gguf");
    let model_len = std::fs::metadata(&model).unwrap().len();
    let cells = hardware_cells(&card, "small", "q4_k_m");
    assert_eq!(
        cells[2],
        format!("{} + projector {}", human(model_len), human(projector_len)),
        "{cells:?}"
    );
    let kv = kv_bytes(&model, 2048);
    assert_eq!(
        cells[3],
        format!(
            "{} (total {})",
            human(kv),
            human(kv + model_len + projector_len)
        ),
        "{cells:?}"
    );
    assert!(
        card.contains("every total includes the projector file"),
        "{card}"
    );
    let medium = hardware_cells(&card, "medium", "q4_k_m");
    assert!(!medium[2].contains("projector"), "{medium:?}");
}

#[test]
fn init_from_the_hub_names_the_projector_by_its_repository_path() {
    let hub = fake_hub::FakeHub::start("hf_test_token_never_printed");
    hub.add_repo("ruv/ruvltra-vision", fake_hub::Access::Public);
    for file in [
        "ruvltra-small-0.5b-q4_k_m.gguf",
        "ruvltra-small-0.5b-q8_0.gguf",
        PROJECTOR,
    ] {
        let bytes = std::fs::read(support::root().join("fixtures").join(file)).unwrap();
        hub.add_file("ruv/ruvltra-vision", file, bytes);
    }
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
            .args(args)
            .current_dir(dir.path())
            .env("HF_ENDPOINT", &hub.endpoint)
            .env("HF_TOKEN_PATH", dir.path().join("no-token"))
            .env_remove("HF_TOKEN")
            .env_remove("HUGGING_FACE_HUB_TOKEN")
            .env_remove("HUGGINGFACE_API_KEY")
            .output()
            .unwrap()
    };
    assert_ok(&run(&["init", "hf://ruv/ruvltra-vision"]), "init");
    let manifest = Manifest::load(&dir.path().join("ruvltra.toml")).unwrap();
    assert_eq!(manifest.models.len(), 1);
    assert_eq!(manifest.models[0].projector.as_deref(), Some(PROJECTOR));
    assert_eq!(manifest.models[0].variants.len(), 2);
    support::fill_placeholders(&dir.path().join("ruvltra.toml"));
    assert_ok(&run(&["check", "ruvltra.toml"]), "check");
    assert_ok(&run(&["all", "--from", "hub"]), "all");
    let presets = std::fs::read_to_string(dir.path().join("dist/llamacpp/presets.ini")).unwrap();
    assert_eq!(
        presets
            .matches(&format!(
                "mmproj-url = https://huggingface.co/ruv/ruvltra-vision/resolve/{}/{PROJECTOR}\n",
                fake_hub::COMMIT
            ))
            .count(),
        2,
        "{presets}"
    );
}
