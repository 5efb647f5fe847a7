//! Why a GGUF header could not be read, and where.

use std::path::{Path, PathBuf};

/// A GGUF header that could not be read: what went wrong and at which byte.
///
/// The error does not know the file's name (the reader only sees bytes); callers add it with
/// [`HeaderError::with_path`] or [`HeaderError::with_source`], which read
/// "`model.gguf`: truncated at byte N: ...".
#[derive(Debug, thiserror::Error)]
#[error("{kind} at byte {offset}{}", kind.detail())]
pub struct HeaderError {
    offset: u64,
    kind: HeaderErrorKind,
    /// For a truncated input: what the parser had read when the input ended.
    truncation: Option<Box<Truncation>>,
}

impl HeaderError {
    pub(crate) fn new(offset: u64, kind: HeaderErrorKind) -> HeaderError {
        HeaderError {
            offset,
            kind,
            truncation: None,
        }
    }

    /// Attaches the parser's progress to a truncated-input error (other errors stay as they
    /// are: more bytes would not fix them).
    pub(crate) fn with_truncation(mut self, truncation: &Truncation) -> HeaderError {
        if matches!(self.kind, HeaderErrorKind::Truncated { .. }) {
            self.truncation = Some(Box::new(truncation.clone()));
        }
        self
    }

    /// For a truncated input: the structure the parser had read when the input ended (how
    /// many metadata pairs and tensor infos, and how far into which array), so that a reader
    /// of a remote file can size its next request from facts. `None` for every other error.
    pub fn truncation(&self) -> Option<&Truncation> {
        self.truncation.as_deref()
    }

    /// The byte offset in the file where the problem starts.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// What went wrong.
    pub fn kind(&self) -> &HeaderErrorKind {
        &self.kind
    }

    /// For a truncated input: the total prefix length the parser needs at least, so that a
    /// reader of a remote file can fetch that much (or more) and parse again. `None` for every
    /// other error, which more bytes would not fix.
    pub fn bytes_needed(&self) -> Option<u64> {
        match self.kind {
            HeaderErrorKind::Truncated { needed } => Some(needed),
            _ => None,
        }
    }

    /// For a truncated input inside an array: `extra` more bytes are known to follow the
    /// point where the input ended, so ask for them too (up to the file's length; without a
    /// known length the claim is not trusted and nothing changes). Fewer round trips for a
    /// remote reader.
    pub(crate) fn needing_more(mut self, extra: u64, file_len: Option<u64>) -> HeaderError {
        if let (HeaderErrorKind::Truncated { needed }, Some(file_len)) = (&mut self.kind, file_len)
        {
            *needed = needed.saturating_add(extra).min(file_len).max(*needed);
        }
        self
    }

    /// Adds the file's path: "`path`: &lt;this error&gt;".
    pub fn with_path(self, path: impl AsRef<Path>) -> SourceHeaderError {
        SourceHeaderError {
            source_name: path.as_ref().display().to_string(),
            error: self,
        }
    }

    /// Adds the name of where the bytes came from (a path, an `hf://` reference or a URL).
    pub fn with_source(self, source_name: impl Into<String>) -> SourceHeaderError {
        SourceHeaderError {
            source_name: source_name.into(),
            error: self,
        }
    }
}

/// What the parser had read of a header when its input ended, for sizing the next read of a
/// remote file (see [`HeaderError::truncation`]). Offsets are from the start of the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Truncation {
    /// The metadata pairs the header declares.
    pub kv_count: u64,
    /// The metadata pairs read whole.
    pub kvs_read: u64,
    /// The tensor infos the header declares.
    pub tensor_count: u64,
    /// The tensor infos read whole.
    pub tensors_read: u64,
    /// Where the tensor infos start, once the parser got there.
    pub tensor_infos_at: Option<u64>,
    /// Where the last tensor info read whole ends.
    pub tensor_infos_end: u64,
    /// The top-level array value the input ended in, if any.
    pub array: Option<ArrayProgress>,
    /// The top-level array values read whole, in file order.
    pub arrays_read: Vec<ArrayRead>,
}

/// A top-level array value read whole: its size, for estimating arrays that depend on it (a
/// BPE vocabulary's merges are about as long as its tokens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayRead {
    /// The key of the array.
    pub key: String,
    /// The element type.
    pub element_type: super::ValueType,
    /// The number of elements.
    pub count: u64,
    /// The bytes of its elements (length fields included, the type and count not).
    pub bytes: u64,
}

/// How far the parser got in a top-level array value before its input ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayProgress {
    /// The key of the array.
    pub key: String,
    /// The element type.
    pub element_type: super::ValueType,
    /// The elements the array declares.
    pub count: u64,
    /// Where the first element starts.
    pub elements_at: u64,
    /// The elements read whole.
    pub read: u64,
    /// Where the last element read whole ends (`elements_at` when none was).
    pub read_end: u64,
}

/// What went wrong while reading a GGUF header.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderErrorKind {
    /// The first bytes are not the GGUF magic.
    #[error("not a GGUF file")]
    NotGguf {
        /// Up to the first 32 bytes that were found instead, for the message.
        found: Vec<u8>,
    },
    /// The version field is not 1, 2 or 3 in either byte order.
    #[error("unsupported GGUF version {version}")]
    UnsupportedVersion {
        /// The version as read (little-endian).
        version: u32,
    },
    /// The input ended before the header did.
    #[error("truncated header")]
    Truncated {
        /// The total prefix length needed to get past the point where the input ended.
        needed: u64,
    },
    /// A count or length does not fit in the bytes left in the file.
    #[error("{what} of {count} cannot fit in the file")]
    TooLarge {
        /// What was being counted ("string length", "array length of `key`", ...).
        what: String,
        /// The count or length read from the file.
        count: u64,
        /// The bytes left in the file at that point.
        remaining: u64,
    },
    /// A value type tag the format does not define.
    #[error("unknown value type {tag} for `{key}`")]
    UnknownValueType {
        /// The key whose value (or array element) has the unknown type.
        key: String,
        /// The tag read.
        tag: u32,
    },
    /// A key, string value or tensor name that is not valid UTF-8.
    #[error("invalid UTF-8 in {what}")]
    InvalidUtf8 {
        /// Which string ("key", "value of `key`", "tensor name").
        what: String,
    },
    /// Arrays nested deeper than [`MAX_ARRAY_DEPTH`](super::MAX_ARRAY_DEPTH).
    #[error("arrays nested too deep in `{key}`")]
    TooDeep {
        /// The key whose value nests too deep.
        key: String,
    },
    /// The same key appears twice.
    #[error("duplicate key `{key}`")]
    DuplicateKey {
        /// The repeated key.
        key: String,
    },
    /// A tensor info that no reader can use.
    #[error("invalid tensor info for `{tensor}`")]
    InvalidTensor {
        /// The tensor's name.
        tensor: String,
        /// Why it is invalid.
        reason: String,
    },
    /// `general.alignment` is not a non-zero power of two stored as `UINT32`.
    #[error("invalid `general.alignment`")]
    InvalidAlignment {
        /// The value found, as text.
        found: String,
    },
    /// Reading failed for a reason other than the end of the input.
    #[error("read error")]
    Io(#[source] std::io::Error),
}

impl HeaderErrorKind {
    /// The part of the message after "at byte N": what was expected and what to do.
    fn detail(&self) -> String {
        match self {
            HeaderErrorKind::NotGguf { found } => {
                let preview = String::from_utf8_lossy(found);
                let preview: String = preview.chars().map(printable).collect();
                if found.starts_with(b"version https://git-lfs") {
                    format!(
                        ": expected `GGUF`, found `{preview}...` (a Git LFS pointer, not the model: fetch the real file with `git lfs pull`)"
                    )
                } else if found.is_empty() {
                    ": expected `GGUF`, found an empty file".to_owned()
                } else {
                    format!(": expected `GGUF`, found `{preview}`")
                }
            }
            HeaderErrorKind::UnsupportedVersion { .. } => {
                ": this reader knows versions 1, 2 and 3, little- or big-endian".to_owned()
            }
            HeaderErrorKind::Truncated { needed } => {
                format!(
                    ": the header needs at least {needed} bytes (download the whole file, or fetch more)"
                )
            }
            HeaderErrorKind::TooLarge { remaining, .. } => {
                format!(": only {remaining} bytes remain (the file is corrupt or truncated)")
            }
            HeaderErrorKind::UnknownValueType { .. } => {
                ": GGUF defines types 0 to 12 (the file is corrupt or from a newer format)"
                    .to_owned()
            }
            HeaderErrorKind::InvalidUtf8 { .. } => ": GGUF strings are UTF-8".to_owned(),
            HeaderErrorKind::TooDeep { .. } => {
                format!(": at most {} levels are read", super::MAX_ARRAY_DEPTH)
            }
            HeaderErrorKind::DuplicateKey { .. } => ": keys must be unique".to_owned(),
            HeaderErrorKind::InvalidTensor { reason, .. } => format!(": {reason}"),
            HeaderErrorKind::InvalidAlignment { found } => {
                format!(": expected a power of two as `UINT32`, found {found}")
            }
            HeaderErrorKind::Io(err) => format!(": {err}"),
        }
    }
}

fn printable(c: char) -> char {
    if c.is_control() { '.' } else { c }
}

/// A [`HeaderError`] with the name of the file (or remote source) it came from.
#[derive(Debug, thiserror::Error)]
#[error("`{source_name}`: {error}")]
pub struct SourceHeaderError {
    source_name: String,
    #[source]
    error: HeaderError,
}

impl SourceHeaderError {
    /// The file path or source reference, as shown in the message.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The error without the file name.
    pub fn header_error(&self) -> &HeaderError {
        &self.error
    }

    /// Takes the error without the file name.
    pub fn into_header_error(self) -> HeaderError {
        self.error
    }
}

/// An error of [`GgufHeader::read_path`](super::GgufHeader::read_path): the file could not be
/// opened, or its header could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadPathError {
    /// The file could not be opened or its size read.
    #[error("`{}`: cannot open: {source}", path.display())]
    Open {
        /// The path given.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The header is invalid.
    #[error(transparent)]
    Header(#[from] SourceHeaderError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lfs_pointer_message_says_git_lfs_pull() {
        let err = HeaderError::new(
            0,
            HeaderErrorKind::NotGguf {
                found: b"version https://git-lfs.github.com/spec/v1\noid".to_vec(),
            },
        )
        .with_path("model.gguf");
        let text = err.to_string();
        assert!(text.starts_with("`model.gguf`: not a GGUF file at byte 0: expected `GGUF`, found `version https://git-lfs"), "{text}");
        assert!(text.contains("`git lfs pull`"), "{text}");
    }

    #[test]
    fn truncated_reports_bytes_needed() {
        let err = HeaderError::new(10, HeaderErrorKind::Truncated { needed: 18 });
        assert_eq!(err.bytes_needed(), Some(18));
        assert_eq!(
            err.to_string(),
            "truncated header at byte 10: the header needs at least 18 bytes (download the whole file, or fetch more)"
        );
        let other = HeaderError::new(0, HeaderErrorKind::UnsupportedVersion { version: 9 });
        assert_eq!(other.bytes_needed(), None);
    }
}
