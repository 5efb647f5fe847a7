//! SHA-256 digests: as the Hub reports them for LFS files, and computed for local files.

use std::fmt;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::SourceError;

/// A SHA-256 digest, held as 64 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sha256Digest(String);

impl Sha256Digest {
    /// Parses 64 hex digits (either case), e.g. an LFS oid from the Hub.
    pub fn from_hex(hex: &str) -> Option<Self> {
        (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Sha256Digest(hex.to_ascii_lowercase()))
    }

    /// The digest as 64 lower-case hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Hashes a whole file, streaming it through a fixed 1 MiB buffer so that memory stays flat
/// however large the model is.
pub fn hash_file(path: &Path) -> Result<Sha256Digest, SourceError> {
    let io_error = |source| SourceError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io_error)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(io_error(err)),
        };
        hasher.update(&buffer[..read]);
    }
    Ok(Sha256Digest(hex::encode(hasher.finalize())))
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
        assert!(Sha256Digest::from_hex(&"A".repeat(64)).is_some());
        assert!(Sha256Digest::from_hex(&"g".repeat(64)).is_none());
        assert!(Sha256Digest::from_hex("abc").is_none());
    }
}
