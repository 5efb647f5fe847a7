//! Rewrites the GGUF fixtures in `fixtures/` (`cargo run --example make_fixtures`).
//!
//! The fixtures are small RuvLTRA stand-ins written by the project's own GGUF writer; what
//! they contain is defined in `tests/support/gguf_fixtures.rs`, which the tests also use to
//! check that the checked-in files are exactly what this generator writes.

#[path = "../tests/support/gguf_fixtures.rs"]
mod gguf_fixtures;

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let corpus = std::env::var_os("RUVLTRA_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/corpus"));
    for fixture in gguf_fixtures::generate(&corpus) {
        let path = root.join("fixtures").join(&fixture.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &fixture.bytes)?;
        println!("{} ({} bytes)", path.display(), fixture.bytes.len());
    }
    Ok(())
}
