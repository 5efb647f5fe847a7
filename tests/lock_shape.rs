//! `metadata.lock.json` is the serde form of the resolved family and keeps its documented
//! shape (`docs/outputs.md`) byte for byte, and the outputs made from typed values stay the
//! same: golden files of every output (the lock among them) for a family that states every
//! kind of typed value (parameters of each type, an integral float, a stop list, messages of
//! every role, a custom license, `quant` tags, an `internal` ModelScope visibility) and for
//! one with a projector. The golden files were written by the `all` command of the release
//! before resolution kept these values typed (`tests/golden/{typed,mmproj}/`), so any change
//! to the shape or to an output fails here.

#[path = "support/local_family.rs"]
mod local_family;
mod support;

use std::path::Path;

use local_family::{render_all, try_resolve};
use ruvltra_export::render::OutputTree;

/// `tests/data/NAME.toml` as `ruvltra.toml` in a temporary folder, with the fixtures `files`
/// (paths relative to `fixtures/`) copied next to it.
fn family(name: &str, files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        support::root()
            .join("tests/data")
            .join(format!("{name}.toml")),
        dir.path().join("ruvltra.toml"),
    )
    .unwrap();
    for file in files {
        let to = dir.path().join("fixtures").join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(support::root().join("fixtures").join(file), to).unwrap();
    }
    dir
}

/// The tree's text with this run's temporary folder replaced by a placeholder.
fn redacted(tree: &OutputTree, path: &str, dir: &Path) -> String {
    let text = tree
        .text(path)
        .unwrap_or_else(|| panic!("{path} is not text"));
    text.replace(&dir.display().to_string(), "[FAMILY]")
}

/// Every output of the family in `dir` against `tests/golden/NAME/`.
fn assert_golden(name: &str, dir: &Path) {
    let resolved = try_resolve(dir).unwrap_or_else(|e| panic!("{e}"));
    let tree = render_all(dir, &resolved);
    assert_eq!(
        tree.text("metadata.lock.json"),
        Some(resolved.to_lock_json().as_str()),
        "the lock file is the resolved family's serde form"
    );
    let paths: Vec<&str> = tree.paths().collect();
    let golden = format!("golden/{name}");
    insta::with_settings!({ snapshot_path => golden, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("tree", paths.join("\n"));
        for path in &paths {
            let name = path.replace('/', "__");
            insta::assert_snapshot!(name, redacted(&tree, path, dir));
        }
    });
}

const SMALL: [&str; 2] = [
    "ruvltra-small-0.5b-q4_k_m.gguf",
    "ruvltra-small-0.5b-q8_0.gguf",
];

#[test]
fn typed_values_keep_their_lock_shape_and_outputs() {
    let dir = family("typed", &SMALL);
    assert_golden("typed", dir.path());
}

#[test]
fn a_projector_keeps_its_lock_shape_and_outputs() {
    let mut files = SMALL.to_vec();
    files.push("mmproj/ruvltra-small-0.5b-mmproj-f16.gguf");
    let dir = family("mmproj", &files);
    assert_golden("mmproj", dir.path());
}
