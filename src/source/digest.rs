//! Hashing local source files into the crate's one digest type, [`crate::digest::Digest`]
//! (the Hub reports the same digests for LFS files), with errors that name the file.

use std::path::Path;

use super::SourceError;
use crate::digest::Digest;

/// Hashes a whole file, streaming it through a fixed 1 MiB buffer so that memory stays flat
/// however large the model is.
pub fn hash_file(path: &Path) -> Result<Digest, SourceError> {
    Digest::of_file(path)
        .map(|(digest, _)| digest)
        .map_err(|source| SourceError::Io {
            path: path.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            hash_file(&path).unwrap().as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
