//! Resolving and rendering a manifest over a temporary folder (`ruvltra.toml` next to a
//! `fixtures/` folder of GGUFs), for the tests that build their own family: projectors,
//! adapters.
#![allow(dead_code)]

use std::path::Path;

use ruvltra_export::manifest::{
    ChatConverter, LocalFiles, Manifest, Origin, ResolveError, Resolved, resolve,
};
use ruvltra_export::render::{OutputTree, RenderOptions, Target, render};

/// Resolves `dir/ruvltra.toml` against the GGUFs in `dir/fixtures`.
pub fn try_resolve(dir: &Path) -> Result<Resolved, Box<ResolveError>> {
    let manifest = Manifest::load(&dir.join("ruvltra.toml")).unwrap();
    resolve(
        &manifest,
        &[],
        &mut LocalFiles::new(dir.join("fixtures")),
        Origin::Local {
            folder: "fixtures".into(),
        },
        &mut ChatConverter::new(),
    )
    .map_err(Box::new)
}

/// Every target's outputs for `resolved`, as rendered into `dir/dist`.
pub fn render_all(dir: &Path, resolved: &Resolved) -> OutputTree {
    render(
        resolved,
        &Target::ALL,
        &dir.join("dist"),
        &RenderOptions::default(),
    )
    .unwrap()
}

/// The sha256 of a file, in hex.
pub fn sha256_hex(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}
