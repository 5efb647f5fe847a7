//! The GGUF header: metadata key/values and tensor infos, read from any byte stream.
//!
//! [`GgufHeader::read`] parses GGUF v1, v2 and v3 files in either byte order from anything
//! that implements [`std::io::Read`] and stops where tensor data begins, so a local file, an
//! HTTP range or a byte slice all work the same way. Values keep their GGUF type
//! ([`Value`]); large arrays such as a 262,144-token vocabulary are stored compactly
//! ([`Array`], [`StringArray`]).
//!
//! Bad input becomes a [`HeaderError`] naming the byte offset, never a panic: counts and
//! lengths are checked against the bytes left in the file before anything is allocated, and a
//! truncated input says how long a prefix it needs ([`HeaderError::bytes_needed`]), which is
//! how the Hub source fetches just enough of a remote file.
//!
//! File names carry facts too: [`Quant::from_file_name`] finds the quant label (compare it
//! with the header with [`check_quant`]) and [`SplitName::parse`] the part of a split model.
//! [`GgufWriter`] writes GGUF files (fixtures, and copies with a chat template embedded by
//! [`embed_template`]).
//!
//! This reader is ours rather than the `gguf-rs` crate's: that crate names
//! `general.file_type` from a wrong table (15, `Q4_K_M`, comes out `IQ2_XXS`), mis-detects
//! big-endian files, truncates arrays and forces `serde_json/arbitrary_precision` on the
//! whole build. See `docs/gguf-reader.md`.

mod embed;
mod error;
mod header;
mod metadata;
mod quant;
mod reader;
mod split;
mod tensor;
mod types;
mod value;
mod writer;

pub use embed::{EmbedError, EmbedReport, embed_template};
pub use error::{
    ArrayProgress, ArrayRead, HeaderError, HeaderErrorKind, ReadPathError, SourceHeaderError,
    Truncation,
};
pub use header::{
    BaseModel, ByteOrder, GgufHeader, ModelKind, SpecialToken, SpecialTokens, SplitInfo,
    refuse_non_regular,
};
pub use metadata::{Metadata, MetadataEntry};
pub use quant::{Quant, QuantKind, QuantMismatch, Severity, UnknownQuant, check_quant};
pub use split::SplitName;
pub use tensor::{TensorInfo, TypeCount};
pub use types::{FileType, GgmlType};
pub use value::{Array, StringArray, Value, ValueType};
pub use writer::{GgufWriter, WriteError};

/// Tensor data alignment when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;

/// The deepest array nesting the reader accepts (an array of arrays is depth 2).
pub const MAX_ARRAY_DEPTH: usize = 8;

/// The most dimensions a tensor may have (ggml uses 4; some readers allow 8).
pub const MAX_TENSOR_DIMS: usize = 8;
