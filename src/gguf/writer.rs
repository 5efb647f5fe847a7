//! Writing GGUF files: headers with metadata and tensor infos, aligned tensor data.
//!
//! Used to write the test fixtures and to copy a GGUF with a new chat template. The layout
//! follows the GGUF specification as llama.cpp and gguf-py write it: the data section starts
//! at the end of the tensor infos rounded up to the alignment, and each tensor's data starts
//! aligned, padded with zeros.

use std::collections::HashSet;
use std::io::Write;

use super::header::ByteOrder;
use super::metadata::Metadata;
use super::tensor::TensorInfo;
use super::types::GgmlType;
use super::value::{Array, Value};
use super::{DEFAULT_ALIGNMENT, MAX_TENSOR_DIMS};

/// Why a GGUF file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The destination failed.
    #[error("write failed: {0}")]
    Io(#[from] std::io::Error),
    /// The version is not 1, 2 or 3.
    #[error("cannot write GGUF version {0}: versions 1, 2 and 3 exist")]
    UnsupportedVersion(u32),
    /// `general.alignment` is not a power of two stored as `UINT32`.
    #[error("`general.alignment` must be a power of two stored as `UINT32`, found {0}")]
    InvalidAlignment(String),
    /// A tensor's data does not have the size its shape and type require.
    #[error(
        "tensor `{tensor}` of type {ggml_type} and shape {shape:?} needs {expected} bytes of data, got {actual}"
    )]
    DataSize {
        /// The tensor.
        tensor: String,
        /// Its type.
        ggml_type: GgmlType,
        /// Its shape.
        shape: Vec<u64>,
        /// Bytes its type and shape need.
        expected: u64,
        /// Bytes given.
        actual: u64,
    },
    /// Two tensors with the same name.
    #[error("tensor `{0}` is added twice")]
    DuplicateTensor(String),
    /// More dimensions than readers accept.
    #[error("tensor `{tensor}` has {dims} dimensions, at most {MAX_TENSOR_DIMS} can be written")]
    TooManyDims {
        /// The tensor.
        tensor: String,
        /// Its number of dimensions.
        dims: usize,
    },
    /// A length that GGUF v1's 32-bit fields cannot hold.
    #[error("{0} is too long for GGUF v1's 32-bit lengths")]
    TooLongForV1(String),
}

/// A tensor to write: its description and its bytes.
#[derive(Debug, Clone)]
struct TensorData {
    name: String,
    shape: Vec<u64>,
    ggml_type: GgmlType,
    data: Vec<u8>,
}

/// Builds a GGUF file in memory (metadata and tensors), then writes it out.
///
/// By default it writes version 3, little-endian, aligned to `general.alignment` if the
/// metadata sets it, else 32 bytes.
#[derive(Debug, Clone)]
pub struct GgufWriter {
    version: u32,
    byte_order: ByteOrder,
    metadata: Metadata,
    tensors: Vec<TensorData>,
}

impl Default for GgufWriter {
    fn default() -> Self {
        GgufWriter::new()
    }
}

impl GgufWriter {
    /// An empty version 3, little-endian file.
    pub fn new() -> GgufWriter {
        GgufWriter {
            version: 3,
            byte_order: ByteOrder::Little,
            metadata: Metadata::new(),
            tensors: Vec::new(),
        }
    }

    /// Writes `version` (1, 2 or 3; v1 uses 32-bit counts and lengths) instead of 3.
    pub fn version(mut self, version: u32) -> GgufWriter {
        self.version = version;
        self
    }

    /// Writes numbers in `order` instead of little-endian.
    pub fn byte_order(mut self, order: ByteOrder) -> GgufWriter {
        self.byte_order = order;
        self
    }

    /// Starts from existing metadata (e.g. a header read from another file).
    pub fn with_metadata(mut self, metadata: Metadata) -> GgufWriter {
        self.metadata = metadata;
        self
    }

    /// Sets one metadata pair; an existing key keeps its position.
    pub fn set(&mut self, key: impl Into<String>, value: Value) -> &mut GgufWriter {
        self.metadata.set(key, value);
        self
    }

    /// The metadata written so far.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// Adds a tensor; its data must be exactly the size its type and shape need (when the
    /// type's layout is known).
    pub fn add_tensor(
        &mut self,
        name: impl Into<String>,
        shape: Vec<u64>,
        ggml_type: GgmlType,
        data: Vec<u8>,
    ) -> Result<&mut GgufWriter, WriteError> {
        let name = name.into();
        if self.tensors.iter().any(|t| t.name == name) {
            return Err(WriteError::DuplicateTensor(name));
        }
        if shape.len() > MAX_TENSOR_DIMS {
            return Err(WriteError::TooManyDims {
                tensor: name,
                dims: shape.len(),
            });
        }
        let elements = shape.iter().try_fold(1u64, |a, d| a.checked_mul(*d));
        if let Some(expected) = elements.and_then(|n| ggml_type.data_size(n)) {
            if expected != data.len() as u64 {
                return Err(WriteError::DataSize {
                    tensor: name,
                    ggml_type,
                    shape,
                    expected,
                    actual: data.len() as u64,
                });
            }
        }
        self.tensors.push(TensorData {
            name,
            shape,
            ggml_type,
            data,
        });
        Ok(self)
    }

    /// Writes the whole file and returns its length.
    pub fn write_to<W: Write>(&self, writer: W) -> Result<u64, WriteError> {
        let alignment = alignment_of(&self.metadata)?;
        let mut infos = Vec::with_capacity(self.tensors.len());
        let mut offset = 0u64;
        for t in &self.tensors {
            infos.push(TensorInfo::new(
                t.name.clone(),
                t.shape.clone(),
                t.ggml_type,
                offset,
            ));
            offset = (offset + t.data.len() as u64).div_ceil(alignment) * alignment;
        }
        let mut out = Out::new(writer, self.byte_order, self.version >= 2);
        write_header(&mut out, self.version, &self.metadata, &infos)?;
        for t in &self.tensors {
            out.bytes(&t.data)?;
            out.pad_to(alignment)?;
        }
        out.inner.flush()?;
        Ok(out.pos)
    }

    /// Writes only the header, with the given tensor infos (their offsets as given), padded to
    /// the alignment; returns the data offset. The caller writes the data section after it.
    pub fn write_header_to<W: Write>(
        &self,
        writer: W,
        tensors: &[TensorInfo],
    ) -> Result<u64, WriteError> {
        let mut out = Out::new(writer, self.byte_order, self.version >= 2);
        write_header(&mut out, self.version, &self.metadata, tensors)?;
        out.inner.flush()?;
        Ok(out.pos)
    }
}

fn alignment_of(metadata: &Metadata) -> Result<u64, WriteError> {
    match metadata.get("general.alignment") {
        None => Ok(DEFAULT_ALIGNMENT),
        Some(Value::U32(a)) if a.is_power_of_two() => Ok(u64::from(*a)),
        Some(other) => Err(WriteError::InvalidAlignment(format!("{other:?}"))),
    }
}

fn write_header<W: Write>(
    out: &mut Out<W>,
    version: u32,
    metadata: &Metadata,
    tensors: &[TensorInfo],
) -> Result<(), WriteError> {
    if !(1..=3).contains(&version) {
        return Err(WriteError::UnsupportedVersion(version));
    }
    let alignment = alignment_of(metadata)?;
    let mut names = HashSet::new();
    for t in tensors {
        if !names.insert(t.name()) {
            return Err(WriteError::DuplicateTensor(t.name().to_owned()));
        }
    }
    out.bytes(b"GGUF")?;
    out.u32(version)?;
    out.length(tensors.len() as u64, "the tensor count")?;
    out.length(metadata.len() as u64, "the metadata count")?;
    for entry in metadata.entries() {
        out.string(entry.key())?;
        out.u32(entry.value().value_type().to_u32())?;
        out.value(entry.value())?;
    }
    for t in tensors {
        out.string(t.name())?;
        out.u32(t.shape().len() as u32)?;
        for d in t.shape() {
            out.length(*d, "a tensor dimension")?;
        }
        out.u32(t.ggml_type().to_u32())?;
        out.u64(t.offset())?;
    }
    out.pad_to(alignment)?;
    Ok(())
}

/// A destination that counts bytes and knows the byte order and length width.
struct Out<W> {
    inner: W,
    order: ByteOrder,
    wide_lengths: bool,
    pos: u64,
}

macro_rules! put_number {
    ($($name:ident: $ty:ty),+) => {$(
        fn $name(&mut self, v: $ty) -> Result<(), WriteError> {
            match self.order {
                ByteOrder::Little => self.bytes(&v.to_le_bytes()),
                ByteOrder::Big => self.bytes(&v.to_be_bytes()),
            }
        }
    )+};
}

impl<W: Write> Out<W> {
    fn new(inner: W, order: ByteOrder, wide_lengths: bool) -> Out<W> {
        Out {
            inner,
            order,
            wide_lengths,
            pos: 0,
        }
    }

    fn bytes(&mut self, b: &[u8]) -> Result<(), WriteError> {
        self.inner.write_all(b)?;
        self.pos += b.len() as u64;
        Ok(())
    }

    put_number!(u8: u8, i8: i8, u16: u16, i16: i16, u32: u32, i32: i32, u64: u64, i64: i64, f32: f32, f64: f64);

    fn length(&mut self, n: u64, what: &str) -> Result<(), WriteError> {
        if self.wide_lengths {
            self.u64(n)
        } else {
            let n = u32::try_from(n).map_err(|_| WriteError::TooLongForV1(what.to_owned()))?;
            self.u32(n)
        }
    }

    fn string(&mut self, s: &str) -> Result<(), WriteError> {
        self.length(s.len() as u64, "a string")?;
        self.bytes(s.as_bytes())
    }

    fn pad_to(&mut self, alignment: u64) -> Result<(), WriteError> {
        let padded = self.pos.div_ceil(alignment) * alignment;
        const ZEROS: [u8; 64] = [0; 64];
        while self.pos < padded {
            let n = (padded - self.pos).min(ZEROS.len() as u64) as usize;
            self.bytes(&ZEROS[..n])?;
        }
        Ok(())
    }

    fn value(&mut self, value: &Value) -> Result<(), WriteError> {
        match value {
            Value::U8(v) => self.u8(*v),
            Value::I8(v) => self.i8(*v),
            Value::U16(v) => self.u16(*v),
            Value::I16(v) => self.i16(*v),
            Value::U32(v) => self.u32(*v),
            Value::I32(v) => self.i32(*v),
            Value::F32(v) => self.f32(*v),
            Value::Bool(v) => self.u8(u8::from(*v)),
            Value::String(v) => self.string(v),
            Value::Array(v) => self.array(v),
            Value::U64(v) => self.u64(*v),
            Value::I64(v) => self.i64(*v),
            Value::F64(v) => self.f64(*v),
        }
    }

    fn array(&mut self, array: &Array) -> Result<(), WriteError> {
        self.u32(array.element_type().to_u32())?;
        self.length(array.len() as u64, "an array")?;
        macro_rules! each {
            ($items:expr, $put:ident) => {{
                for x in $items {
                    self.$put(*x)?;
                }
                Ok(())
            }};
        }
        match array {
            Array::U8(v) => self.bytes(v),
            Array::I8(v) => each!(v, i8),
            Array::U16(v) => each!(v, u16),
            Array::I16(v) => each!(v, i16),
            Array::U32(v) => each!(v, u32),
            Array::I32(v) => each!(v, i32),
            Array::F32(v) => each!(v, f32),
            Array::Bool(v) => {
                for x in v {
                    self.u8(u8::from(*x))?;
                }
                Ok(())
            }
            Array::String(v) => {
                for s in v.iter() {
                    self.string(s)?;
                }
                Ok(())
            }
            Array::Array(v) => {
                for inner in v {
                    self.array(inner)?;
                }
                Ok(())
            }
            Array::U64(v) => each!(v, u64),
            Array::I64(v) => each!(v, i64),
            Array::F64(v) => each!(v, f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::{GgufHeader, StringArray};

    fn sample() -> GgufWriter {
        let mut w = GgufWriter::new();
        w.set("general.architecture", Value::String("qwen2".into()));
        w.set("a.u8", Value::U8(7));
        w.set("a.i64", Value::I64(-3));
        w.set("a.f32", Value::F32(0.1));
        w.set("a.bool", Value::Bool(true));
        w.set(
            "a.strings",
            Value::Array(Array::String(
                ["x", "", "ü"].into_iter().collect::<StringArray>(),
            )),
        );
        w.set(
            "a.nested",
            Value::Array(Array::Array(vec![
                Array::U16(vec![1, 2]),
                Array::Bool(vec![false]),
            ])),
        );
        w.add_tensor("t.weight", vec![32, 2], GgmlType::Q8_0, vec![1; 68])
            .unwrap();
        w.add_tensor("t.bias", vec![3], GgmlType::F32, vec![2; 12])
            .unwrap();
        w
    }

    #[test]
    fn round_trips_every_version_and_order() {
        for version in 1..=3 {
            for order in [ByteOrder::Little, ByteOrder::Big] {
                let w = sample().version(version).byte_order(order);
                let mut bytes = Vec::new();
                let len = w.write_to(&mut bytes).unwrap();
                assert_eq!(len, bytes.len() as u64);
                let h = GgufHeader::read(&bytes[..], Some(len)).unwrap();
                assert_eq!((h.version(), h.byte_order()), (version, order));
                let values: Vec<_> = h
                    .metadata()
                    .entries()
                    .iter()
                    .map(|e| (e.key(), e.value()))
                    .collect();
                let expected: Vec<_> = w
                    .metadata()
                    .entries()
                    .iter()
                    .map(|e| (e.key(), e.value()))
                    .collect();
                assert_eq!(values, expected);
                assert_eq!(h.tensors()[0].offset(), 0);
                assert_eq!(h.tensors()[1].offset(), 96);
                assert_eq!(h.data_offset() % 32, 0);
                let data = h.data_offset() as usize;
                assert_eq!(&bytes[data..data + 68], &[1; 68][..]);
                assert_eq!(&bytes[data + 96..data + 108], &[2; 12][..]);
            }
        }
    }

    #[test]
    fn rejects_wrong_data_size() {
        let mut w = GgufWriter::new();
        let err = w
            .add_tensor("t", vec![32], GgmlType::Q8_0, vec![0; 33])
            .unwrap_err();
        assert!(err.to_string().contains("needs 34 bytes"), "{err}");
    }
}
