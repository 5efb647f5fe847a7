//! SHA-256 digests of source files: the Hub reports them for LFS files, and local files are
//! hashed here. The type is the crate's one digest type, [`crate::push::Digest`].

use std::path::Path;

pub use crate::push::Digest as Sha256Digest;

use super::SourceError;

/// Hashes a whole file, streaming it through a fixed 1 MiB buffer so that memory stays flat
/// however large the model is.
pub fn hash_file(path: &Path) -> Result<Sha256Digest, SourceError> {
    Sha256Digest::of_file(path)
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

    #[test]
    fn hex_is_checked() {
        assert!(Sha256Digest::from_hex(&"A".repeat(64)).is_ok());
        assert!(Sha256Digest::from_hex(&"g".repeat(64)).is_err());
        assert!(Sha256Digest::from_hex("abc").is_err());
    }
}
