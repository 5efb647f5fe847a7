//! SHA-256 content digests: the `sha256:<hex>` names every registry uses for blobs and the
//! Hub reports for LFS files, and streaming hashing with a fixed-size buffer. Sources, the
//! inspector and the backends all name files by these, so the type lives below every stage.

mod cache;

pub use cache::{DigestCache, DigestCacheError, HashProgress};

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// Bytes read per call while hashing or copying: large enough that syscalls do not matter,
/// small enough that memory stays bounded however big the file is.
pub const BUFFER_SIZE: usize = 1 << 20;

/// A SHA-256 digest, valid once parsed: the one digest type of the crate, for registry blobs
/// and for the Hub's LFS hashes alike. Displays as `sha256:<64 lowercase hex>`, the form OCI
/// registries and Ollama's API use; [`Digest::hex`] gives the bare hex the Hub uses and
/// [`Digest::blob_file_name`] Ollama's on-disk `sha256-<hex>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest([u8; 64]);

/// Why a text is not a `sha256:<hex>` digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a sha256 digest: expected `sha256:` followed by 64 lowercase hex digits")]
pub struct DigestParseError {
    /// The text that failed to parse.
    pub input: String,
}

impl Digest {
    /// The digest of a byte slice (for small generated blobs: config, template, params).
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Self::from_raw(Sha256::digest(bytes).into())
    }

    /// Hashes everything `reader` yields with a fixed 1 MiB buffer and returns the digest
    /// and the number of bytes read.
    pub fn of_reader(reader: &mut impl Read) -> io::Result<(Self, u64)> {
        let mut hasher = Hasher::default();
        let mut buffer = vec![0u8; BUFFER_SIZE];
        loop {
            match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => hasher.update(&buffer[..n]),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        }
        Ok(hasher.finish())
    }

    /// Hashes the file at `path` as [`Digest::of_reader`] does: streamed, memory flat however
    /// large the model is.
    pub fn of_file(path: &Path) -> io::Result<(Self, u64)> {
        Self::of_reader(&mut File::open(path)?)
    }

    /// Parses 64 hex digits without the `sha256:` prefix (upper case accepted), e.g. an LFS
    /// oid from the Hub.
    pub fn from_hex(hex_digits: &str) -> Result<Self, DigestParseError> {
        let error = || DigestParseError {
            input: hex_digits.to_string(),
        };
        let mut bytes = [0u8; 32];
        if hex_digits.len() != 64 {
            return Err(error());
        }
        hex::decode_to_slice(hex_digits, &mut bytes).map_err(|_| error())?;
        Ok(Self::from_raw(bytes))
    }

    fn from_raw(bytes: [u8; 32]) -> Self {
        let mut hex_digits = [0u8; 64];
        // 32 bytes always fit 64 hex digits exactly.
        let _ = hex::encode_to_slice(bytes, &mut hex_digits);
        Self(hex_digits)
    }

    /// The 64 lowercase hex digits, borrowed (the Hub's and `source`'s form).
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored, so this cannot fall back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The 64 lowercase hex digits.
    pub fn hex(&self) -> String {
        self.as_str().to_owned()
    }

    /// Ollama's blob file name: `sha256-<hex>`.
    pub fn blob_file_name(&self) -> String {
        format!("sha256-{}", self.as_str())
    }
}

impl FromStr for Digest {
    type Err = DigestParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex_digits = s.strip_prefix("sha256:").ok_or_else(|| DigestParseError {
            input: s.to_string(),
        })?;
        Self::from_hex(hex_digits).map_err(|_| DigestParseError {
            input: s.to_string(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.as_str())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An incremental SHA-256 that also counts bytes, for hashing while copying or uploading.
#[derive(Default, Clone)]
pub struct Hasher {
    inner: Sha256,
    len: u64,
}

impl Hasher {
    /// Feeds more bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.inner.update(bytes);
        self.len += bytes.len() as u64;
    }

    /// The digest and the number of bytes fed.
    pub fn finish(self) -> (Digest, u64) {
        (Digest::from_raw(self.inner.finalize().into()), self.len)
    }
}

/// A reader that hashes what passes through it, so a copy or upload checks the digest of
/// the bytes it actually sent without reading the file a second time.
pub struct HashingReader<R> {
    inner: R,
    hasher: Hasher,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Hasher::default(),
        }
    }

    /// The digest and length of everything read so far.
    pub fn finish(self) -> (Digest, u64) {
        self.hasher.finish()
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn empty_input() {
        assert_eq!(Digest::of_bytes(b"").to_string(), EMPTY);
        let (digest, len) = Digest::of_reader(&mut &b""[..]).unwrap();
        assert_eq!((digest.to_string(), len), (EMPTY.to_string(), 0));
    }

    #[test]
    fn parse_round_trip() {
        let digest: Digest = EMPTY.parse().unwrap();
        assert_eq!(digest.to_string(), EMPTY);
        assert_eq!(digest.blob_file_name(), EMPTY.replace(':', "-"));
        assert_eq!(
            EMPTY
                .to_uppercase()
                .replace("SHA256", "sha256")
                .parse::<Digest>(),
            Ok(digest)
        );
    }

    #[test]
    fn rejects_bad_digests() {
        for bad in [
            "",
            "sha256:",
            "sha256:abc",
            &EMPTY.replace("sha256", "md5"),
            &EMPTY[7..],
        ] {
            let err = bad.parse::<Digest>().unwrap_err();
            assert_eq!(err.input, bad);
        }
        assert!(format!("{EMPTY}0").parse::<Digest>().is_err());
        assert!(EMPTY.replace('e', "g").parse::<Digest>().is_err());
    }

    #[test]
    fn hex_is_checked() {
        assert!(Digest::from_hex(&"A".repeat(64)).is_ok());
        assert!(Digest::from_hex(&"g".repeat(64)).is_err());
        assert!(Digest::from_hex("abc").is_err());
    }

    #[test]
    fn reader_matches_bytes_across_buffer_boundaries() {
        let data: Vec<u8> = (0..(BUFFER_SIZE * 2 + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        let (digest, len) = Digest::of_reader(&mut &data[..]).unwrap();
        assert_eq!(len, data.len() as u64);
        assert_eq!(digest, Digest::of_bytes(&data));
        let mut reader = HashingReader::new(&data[..]);
        io::copy(&mut reader, &mut io::sink()).unwrap();
        assert_eq!(reader.finish().0, digest);
    }
}
