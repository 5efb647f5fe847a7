//! Issue #14, items 19 and 20, through the binary: `init` writes placeholders instead of
//! guesses, `check` and pushes refuse them with the line to edit while generators only warn;
//! `check` refuses values the registries would refuse later; the outputs never carry a
//! `language:` without a value or a `-hf REPO:QUANT` command that names no file.

mod support;

use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ruvltra-export"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1721995200")
        .env_remove("HF_TOKEN")
        .env("HF_HOME", dir)
        .env("OLLAMA_HOST", "127.0.0.1:9")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const FIXTURE: &str = "ruvltra-small-0.5b-q4_k_m.gguf";

/// A folder with `models/` holding one fixture GGUF under `name`.
fn folder(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("models")).unwrap();
    std::fs::copy(
        support::root().join("fixtures").join(FIXTURE),
        dir.path().join("models").join(name),
    )
    .unwrap();
    dir
}

/// Renames the header key `general.license` (same length, so the file stays valid): a GGUF
/// whose header names no license, as many converted files are.
fn without_license(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    let (from, to) = (b"general.license", b"general.xicense");
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let mut renamed = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
            renamed += 1;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    assert!(renamed > 0, "the fixture names a license");
    std::fs::write(path, out).unwrap();
}

/// The line of `manifest` that holds `needle` (1-based).
fn line_of(manifest: &str, needle: &str) -> usize {
    manifest
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no `{needle}` in {manifest}"))
        + 1
}

#[test]
fn init_placeholders_are_refused_by_check_and_push_and_warned_by_all() {
    let dir = folder(FIXTURE);
    without_license(&dir.path().join("models").join(FIXTURE));
    let init = run(dir.path(), &["init", "models"]);
    assert!(init.status.success(), "{}", text(&init.stderr));
    let manifest = std::fs::read_to_string(dir.path().join("ruvltra.toml")).unwrap();
    assert!(
        manifest.contains("publisher = \"YOUR-HUB-USER\""),
        "{manifest}"
    );
    assert!(
        manifest.contains("license = \"TODO\""),
        "a license no header names is a placeholder, not a guess: {manifest}"
    );

    let check = run(dir.path(), &["check", "ruvltra.toml"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stderr));
    let out = text(&check.stdout);
    for (key, needle) in [
        ("family.publisher", "publisher = "),
        ("family.license", "license = "),
        ("hub.repo", "repo = "),
        ("ollama.namespace", "namespace = "),
    ] {
        let line = line_of(&manifest, needle);
        assert!(
            out.contains(&format!("ruvltra.toml:{line}:"))
                && out.contains(&format!("`{key}` is still the placeholder")),
            "{key} at line {line}: {out}"
        );
    }

    let all = run(dir.path(), &["all"]);
    assert!(
        all.status.success(),
        "`all` only warns: {}",
        text(&all.stderr)
    );
    assert!(
        text(&all.stderr).contains("warning: ruvltra.toml:"),
        "{}",
        text(&all.stderr)
    );

    let bundle = dir.path().join("bundle");
    let push = run(
        dir.path(),
        &[
            "push",
            "--to",
            "bundle",
            "--dir",
            bundle.to_str().unwrap(),
            "--dry-run",
        ],
    );
    assert_eq!(push.status.code(), Some(1), "{}", text(&push.stdout));
    let err = text(&push.stderr);
    assert!(
        err.contains("nothing was pushed")
            && err.contains(&format!(
                "ruvltra.toml:{}:",
                line_of(&manifest, "publisher = ")
            )),
        "{err}"
    );
    assert!(!text(&push.stdout).contains("YOUR-HUB-USER"));

    support::fill_placeholders(&dir.path().join("ruvltra.toml"));
    let check = run(dir.path(), &["check", "ruvltra.toml"]);
    assert!(check.status.success(), "{}", text(&check.stdout));
}

/// A valid manifest over `models/` with `family` lines replaced by `family_extra` and
/// `defaults` appended.
fn manifest(family_extra: &str, defaults: &str, variant_extra: &str, file: &str) -> String {
    format!(
        r#"[family]
name = "RuvLTRA"
description = "Small models."
publisher = "ruv"
{family_extra}

[hub]
repo = "ruv/ruvltra"

[source]
local = "models"

[modelscope]
owner = "ruv"

[defaults.parameters]
{defaults}

[models.small]
default_variant = "q4_k_m"

[models.small.variants.q4_k_m]
file = "{file}"
{variant_extra}
"#
    )
}

#[test]
fn check_refuses_values_the_registries_refuse() {
    let dir = folder(FIXTURE);
    let cases = [
        (
            "license = \"Apache 2.0\"",
            "",
            "`Apache 2.0` is not a Hub license id (did you mean `apache-2.0`?)",
        ),
        (
            "license = \"mit\"\nlanguages = [\"english\"]",
            "",
            "`english` is not an ISO 639 language code",
        ),
        (
            "license = \"mit\"\ntags = [\"code\", \"\"]",
            "",
            "a tag must not be empty",
        ),
        (
            "license = \"mit\"",
            "stop = []",
            "an empty list removes every stop token",
        ),
    ];
    for (family, defaults, expected) in cases {
        let text_in = manifest(family, defaults, "", FIXTURE);
        std::fs::write(dir.path().join("ruvltra.toml"), &text_in).unwrap();
        let check = run(dir.path(), &["check", "ruvltra.toml"]);
        assert_eq!(check.status.code(), Some(1), "{text_in}");
        assert!(
            text(&check.stdout).contains(expected),
            "{expected}: {}",
            text(&check.stdout)
        );
    }
    let good = manifest(
        "license = \"mit\"\nlanguages = [\"en\", \"zh-hans\", \"fra\"]",
        "stop = [\"<|im_end|>\"]",
        "",
        FIXTURE,
    );
    std::fs::write(dir.path().join("ruvltra.toml"), &good).unwrap();
    let check = run(dir.path(), &["check", "ruvltra.toml"]);
    assert!(check.status.success(), "{}", text(&check.stdout));
}

#[test]
fn no_languages_writes_no_empty_language_and_a_renamed_file_gets_hff() {
    // The file name carries no quant: `-hf ruv/ruvltra:Q4_K_M` would find nothing.
    let dir = folder("ruvltra-small.gguf");
    let text_in = manifest(
        "license = \"mit\"",
        "",
        "quant = \"Q4_K_M\"",
        "ruvltra-small.gguf",
    );
    std::fs::write(dir.path().join("ruvltra.toml"), &text_in).unwrap();
    let all = run(dir.path(), &["all"]);
    assert!(all.status.success(), "{}", text(&all.stderr));
    for card in [
        "dist/hub/README.md",
        "dist/modelscope/RuvLTRA-small-GGUF/README.md",
    ] {
        let written = std::fs::read_to_string(dir.path().join(card)).unwrap();
        let front = written.split("\n---").next().unwrap_or_default();
        assert!(!front.contains("language:"), "{card}: {front}");
    }
    let card = std::fs::read_to_string(dir.path().join("dist/hub/README.md")).unwrap();
    let usage = std::fs::read_to_string(dir.path().join("dist/llamacpp/usage.md")).unwrap();
    for (what, written) in [("card", &card), ("usage", &usage)] {
        assert!(
            !written.contains("ruv/ruvltra:Q4_K_M"),
            "{what}: a command that finds no file: {written}"
        );
        assert!(
            written.contains("-hf ruv/ruvltra -hff ruvltra-small.gguf"),
            "{what}: {written}"
        );
    }
}

/// Item 13: `card --variant X` (and a Hub push limited to one variant) once replaced the
/// repository card with a card listing only X; it is refused like `--hub-preset --variant`.
#[test]
fn a_card_limited_to_one_variant_is_refused() {
    let dir = folder(FIXTURE);
    std::fs::copy(
        support::root().join("fixtures/ruvltra-small-0.5b-q8_0.gguf"),
        dir.path().join("models/ruvltra-small-0.5b-q8_0.gguf"),
    )
    .unwrap();
    let two = manifest("license = \"mit\"", "", "", FIXTURE)
        + "\n[models.small.variants.q8_0]\nfile = \"ruvltra-small-0.5b-q8_0.gguf\"\n";
    std::fs::write(dir.path().join("ruvltra.toml"), &two).unwrap();
    for args in [
        &["card", "--variant", "small/q8_0"][..],
        &["card", "--variant", "small/q8_0", "--push", "--dry-run"],
        &[
            "push",
            "--to",
            "huggingface",
            "--variant",
            "small/q8_0",
            "--dry-run",
        ],
    ] {
        let out = run(dir.path(), args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stdout)
        );
        assert!(
            text(&out.stderr).contains("describes every variant of the repository"),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!dir.path().join("dist/hub/README.md").exists(), "{args:?}");
    }
    let whole = run(dir.path(), &["card"]);
    assert!(whole.status.success(), "{}", text(&whole.stderr));
    let card = std::fs::read_to_string(dir.path().join("dist/hub/README.md")).unwrap();
    assert!(
        card.contains("| small | q8_0 |") && card.contains("| small | q4_k_m |"),
        "{card}"
    );
}
