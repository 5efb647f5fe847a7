//! The streaming parser: bytes in, [`GgufHeader`] out, stopping where tensor data begins.
//!
//! Every count read from the file is checked against the bytes that remain before anything is
//! allocated for it (when the file length is known); without a known length, buffers grow
//! only as bytes actually arrive, in chunks of at most [`CHUNK`] bytes.

use std::collections::HashSet;
use std::io::{BufRead, ErrorKind, Read};

use super::error::{ArrayProgress, ArrayRead, HeaderError, HeaderErrorKind, Truncation};
use super::header::{ByteOrder, GgufHeader};
use super::metadata::Metadata;
use super::tensor::TensorInfo;
use super::types::GgmlType;
use super::value::{Array, StringArray, Value, ValueType};
use super::{DEFAULT_ALIGNMENT, MAX_ARRAY_DEPTH, MAX_TENSOR_DIMS};

/// The most bytes read into a scratch buffer at once.
const CHUNK: usize = 64 * 1024;

/// The most memory reserved for an array before its elements arrive, even when the file
/// length would allow more: a wrong length (a server's `Content-Range` can say anything)
/// must not turn into a huge allocation; past this, vectors grow as elements are read.
const MAX_PREALLOCATION: u64 = 16 * 1024 * 1024;

type Result<T> = std::result::Result<T, HeaderError>;

/// A byte source that tracks its position, the file's byte order and the version's widths.
struct Input<R> {
    inner: R,
    pos: u64,
    file_len: Option<u64>,
    order: ByteOrder,
    /// v1 stores counts and lengths as `u32`, v2 and later as `u64`.
    wide_lengths: bool,
    /// What has been read so far, attached to a truncated-input error.
    progress: Truncation,
}

impl<R: BufRead> Input<R> {
    /// Fills `buf` completely or reports how much of the file is needed.
    fn fill(&mut self, buf: &mut [u8]) -> Result<()> {
        let start = self.pos;
        let mut got = 0usize;
        while got < buf.len() {
            match self.inner.read(&mut buf[got..]) {
                Ok(0) => {
                    return Err(HeaderError::new(
                        start + got as u64,
                        HeaderErrorKind::Truncated {
                            needed: start + buf.len() as u64,
                        },
                    ));
                }
                Ok(n) => got += n,
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(err) => {
                    return Err(HeaderError::new(
                        start + got as u64,
                        HeaderErrorKind::Io(err),
                    ));
                }
            }
        }
        self.pos += buf.len() as u64;
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut buf = [0u8; N];
        self.fill(&mut buf)?;
        Ok(buf)
    }

    fn u32(&mut self) -> Result<u32> {
        let bytes = self.array::<4>()?;
        Ok(match self.order {
            ByteOrder::Little => u32::from_le_bytes(bytes),
            ByteOrder::Big => u32::from_be_bytes(bytes),
        })
    }

    fn u64(&mut self) -> Result<u64> {
        let bytes = self.array::<8>()?;
        Ok(match self.order {
            ByteOrder::Little => u64::from_le_bytes(bytes),
            ByteOrder::Big => u64::from_be_bytes(bytes),
        })
    }

    /// A count or length: `u32` in v1, `u64` later.
    fn length(&mut self) -> Result<u64> {
        if self.wide_lengths {
            self.u64()
        } else {
            self.u32().map(u64::from)
        }
    }

    fn length_size(&self) -> u64 {
        if self.wide_lengths { 8 } else { 4 }
    }

    /// The bytes left in the file, when its length is known.
    fn remaining(&self) -> Option<u64> {
        self.file_len.map(|len| len.saturating_sub(self.pos))
    }

    /// Fails unless `count` items of at least `min_size` bytes each fit in the rest of the file.
    fn check_fits(
        &self,
        at: u64,
        count: u64,
        min_size: u64,
        what: impl FnOnce() -> String,
    ) -> Result<()> {
        if let Some(remaining) = self.remaining() {
            if count.saturating_mul(min_size) > remaining {
                return Err(HeaderError::new(
                    at,
                    HeaderErrorKind::TooLarge {
                        what: what(),
                        count,
                        remaining,
                    },
                ));
            }
        }
        Ok(())
    }

    /// Room to reserve up front for `count` items of `size` bytes: all of them when the file
    /// length bounds them (up to [`MAX_PREALLOCATION`]), otherwise one chunk's worth; the
    /// rest grows as bytes arrive.
    fn initial_capacity(&self, count: u64, size: usize) -> usize {
        let size = size.max(1) as u64;
        let bound = match self.remaining() {
            Some(remaining) => remaining.min(MAX_PREALLOCATION) / size,
            None => (CHUNK as u64) / size,
        };
        usize::try_from(count.min(bound)).unwrap_or(0)
    }

    /// Appends `len` bytes to `out`, in chunks, so memory grows only with bytes that arrived.
    fn bytes_into(&mut self, len: u64, out: &mut Vec<u8>) -> Result<()> {
        let mut left = len;
        while left > 0 {
            let n = usize::try_from(left.min(CHUNK as u64)).unwrap_or(CHUNK);
            let old = out.len();
            out.resize(old + n, 0);
            self.fill(&mut out[old..])?;
            left -= n as u64;
        }
        Ok(())
    }

    /// A length-prefixed string's raw bytes, with the offset of its length field.
    fn raw_string(&mut self, what: &dyn Fn() -> String, out: &mut Vec<u8>) -> Result<u64> {
        let at = self.pos;
        let len = self.length()?;
        self.check_fits(at, len, 1, || format!("length of {}", what()))?;
        out.clear();
        if self.file_len.is_some() {
            out.reserve(usize::try_from(len.min(MAX_PREALLOCATION)).unwrap_or(0));
        }
        self.bytes_into(len, out)?;
        Ok(at)
    }

    /// A length-prefixed UTF-8 string.
    fn string(&mut self, what: &dyn Fn() -> String) -> Result<(String, u64)> {
        let mut bytes = Vec::new();
        let at = self.raw_string(what, &mut bytes)?;
        match String::from_utf8(bytes) {
            Ok(s) => Ok((s, at)),
            Err(_) => Err(HeaderError::new(
                at,
                HeaderErrorKind::InvalidUtf8 { what: what() },
            )),
        }
    }

    fn value_type(&mut self, key: &str) -> Result<ValueType> {
        let at = self.pos;
        let tag = self.u32()?;
        ValueType::from_u32(tag).ok_or_else(|| {
            HeaderError::new(
                at,
                HeaderErrorKind::UnknownValueType {
                    key: key.to_owned(),
                    tag,
                },
            )
        })
    }

    fn value(&mut self, ty: ValueType, key: &str, depth: usize) -> Result<Value> {
        Ok(match ty {
            ValueType::U8 => Value::U8(u8::decode(&self.array::<1>()?, self.order)),
            ValueType::I8 => Value::I8(i8::decode(&self.array::<1>()?, self.order)),
            ValueType::U16 => Value::U16(u16::decode(&self.array::<2>()?, self.order)),
            ValueType::I16 => Value::I16(i16::decode(&self.array::<2>()?, self.order)),
            ValueType::U32 => Value::U32(u32::decode(&self.array::<4>()?, self.order)),
            ValueType::I32 => Value::I32(i32::decode(&self.array::<4>()?, self.order)),
            ValueType::F32 => Value::F32(f32::decode(&self.array::<4>()?, self.order)),
            ValueType::Bool => Value::Bool(bool::decode(&self.array::<1>()?, self.order)),
            ValueType::U64 => Value::U64(u64::decode(&self.array::<8>()?, self.order)),
            ValueType::I64 => Value::I64(i64::decode(&self.array::<8>()?, self.order)),
            ValueType::F64 => Value::F64(f64::decode(&self.array::<8>()?, self.order)),
            ValueType::String => Value::String(self.string(&|| format!("value of `{key}`"))?.0),
            ValueType::Array => Value::Array(self.array_value(key, depth)?),
        })
    }

    /// An array value: element type, length, elements.
    fn array_value(&mut self, key: &str, depth: usize) -> Result<Array> {
        let at = self.pos;
        if depth >= MAX_ARRAY_DEPTH {
            return Err(HeaderError::new(
                at,
                HeaderErrorKind::TooDeep {
                    key: key.to_owned(),
                },
            ));
        }
        let element_type = self.value_type(key)?;
        let len_at = self.pos;
        let count = self.length()?;
        let min_size = match element_type {
            ValueType::String => self.length_size(),
            ValueType::Array => 4 + self.length_size(),
            fixed => fixed.fixed_size().unwrap_or(1) as u64,
        };
        self.check_fits(len_at, count, min_size, || {
            format!("array length of `{key}`")
        })?;
        let top = depth == 0;
        if top {
            self.progress.array = Some(ArrayProgress {
                key: key.to_owned(),
                element_type,
                count,
                elements_at: self.pos,
                read: 0,
                read_end: self.pos,
            });
        }
        Ok(match element_type {
            ValueType::U8 => Array::U8(self.fixed(count, top)?),
            ValueType::I8 => Array::I8(self.fixed(count, top)?),
            ValueType::U16 => Array::U16(self.fixed(count, top)?),
            ValueType::I16 => Array::I16(self.fixed(count, top)?),
            ValueType::U32 => Array::U32(self.fixed(count, top)?),
            ValueType::I32 => Array::I32(self.fixed(count, top)?),
            ValueType::F32 => Array::F32(self.fixed(count, top)?),
            ValueType::Bool => Array::Bool(self.fixed(count, top)?),
            ValueType::U64 => Array::U64(self.fixed(count, top)?),
            ValueType::I64 => Array::I64(self.fixed(count, top)?),
            ValueType::F64 => Array::F64(self.fixed(count, top)?),
            ValueType::String => Array::String(self.strings(count, key, top)?),
            ValueType::Array => {
                let mut items =
                    Vec::with_capacity(self.initial_capacity(count, std::mem::size_of::<Array>()));
                for _ in 0..count {
                    items.push(self.array_value(key, depth + 1)?);
                }
                Array::Array(items)
            }
        })
    }

    /// Records, for a top-level array, how many elements were read whole before the input
    /// ended at an element starting at `self.pos`.
    fn note_elements_read(&mut self, top: bool, read: u64) {
        if let (true, Some(array)) = (top, self.progress.array.as_mut()) {
            array.read = read;
            array.read_end = self.pos;
        }
    }

    /// `count` fixed-size elements, decoded a chunk at a time (`top`: a top-level array).
    fn fixed<T: Decode>(&mut self, count: u64, top: bool) -> Result<Vec<T>> {
        let mut out: Vec<T> = Vec::with_capacity(self.initial_capacity(count, T::SIZE));
        let mut scratch = vec![
            0u8;
            CHUNK.min(
                usize::try_from(count)
                    .unwrap_or(CHUNK)
                    .saturating_mul(T::SIZE)
            )
        ];
        let per_chunk = (CHUNK / T::SIZE) as u64;
        let mut left = count;
        while left > 0 {
            let n = left.min(per_chunk) as usize;
            let bytes = &mut scratch[..n * T::SIZE];
            let after = (left - n as u64).saturating_mul(T::SIZE as u64);
            let file_len = self.file_len;
            if let Err(err) = self.fill(bytes) {
                self.note_elements_read(top, count - left);
                return Err(err.needing_more(after, file_len));
            }
            out.reserve(n);
            out.extend(
                bytes
                    .chunks_exact(T::SIZE)
                    .map(|b| T::decode(b, self.order)),
            );
            left -= n as u64;
        }
        Ok(out)
    }

    /// The next string straight from the read buffer, when all of it is there and valid;
    /// `false` (nothing consumed) otherwise, and the caller takes the general path, which
    /// also produces the right error. This is the hot loop of a large vocabulary.
    fn buffered_string(&mut self, out: &mut StringArray) -> bool {
        let remaining = self.remaining();
        let (order, wide) = (self.order, self.wide_lengths);
        let Ok(buf) = self.inner.fill_buf() else {
            return false;
        };
        let len = match (wide, buf) {
            (true, [a, b, c, d, e, f, g, h, ..]) => {
                u64::decode(&[*a, *b, *c, *d, *e, *f, *g, *h], order)
            }
            (false, [a, b, c, d, ..]) => u64::from(u32::decode(&[*a, *b, *c, *d], order)),
            _ => return false,
        };
        let prefix = if wide { 8 } else { 4 };
        let Some(end) = usize::try_from(len)
            .ok()
            .and_then(|l| l.checked_add(prefix))
        else {
            return false;
        };
        if remaining.is_some_and(|r| end as u64 > r) {
            return false;
        }
        let Some(Ok(text)) = buf.get(prefix..end).map(std::str::from_utf8) else {
            return false;
        };
        out.push(text);
        self.inner.consume(end);
        self.pos += end as u64;
        true
    }

    /// `count` strings into one buffer (`top`: a top-level array).
    fn strings(&mut self, count: u64, key: &str, top: bool) -> Result<StringArray> {
        let mut out = StringArray::new();
        out.reserve(
            self.initial_capacity(count, std::mem::size_of::<usize>()),
            0,
        );
        let mut scratch = Vec::new();
        for index in 0..count {
            if self.buffered_string(&mut out) {
                continue;
            }
            let what = || format!("element {index} of `{key}`");
            // Each later string needs at least its length field.
            let after = (count - index - 1).saturating_mul(self.length_size());
            let file_len = self.file_len;
            let start = self.pos;
            let at = match self.raw_string(&what, &mut scratch) {
                Ok(at) => at,
                Err(err) => {
                    // `raw_string` may have consumed part of this element: note where it began.
                    self.pos = start;
                    self.note_elements_read(top, index);
                    return Err(err.needing_more(after, file_len));
                }
            };
            match std::str::from_utf8(&scratch) {
                Ok(s) => out.push(s),
                Err(_) => {
                    return Err(HeaderError::new(
                        at,
                        HeaderErrorKind::InvalidUtf8 { what: what() },
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// A fixed-size value decoded from its bytes in the file's byte order.
trait Decode: Sized {
    const SIZE: usize;
    fn decode(bytes: &[u8], order: ByteOrder) -> Self;
}

macro_rules! decode_numbers {
    ($($ty:ty),+) => {$(
        impl Decode for $ty {
            const SIZE: usize = std::mem::size_of::<$ty>();
            fn decode(bytes: &[u8], order: ByteOrder) -> Self {
                let mut raw = [0u8; std::mem::size_of::<$ty>()];
                raw.copy_from_slice(&bytes[..Self::SIZE]);
                match order {
                    ByteOrder::Little => <$ty>::from_le_bytes(raw),
                    ByteOrder::Big => <$ty>::from_be_bytes(raw),
                }
            }
        }
    )+};
}

decode_numbers!(u8, i8, u16, i16, u32, i32, u64, i64, f32, f64);

impl Decode for bool {
    const SIZE: usize = 1;
    fn decode(bytes: &[u8], _order: ByteOrder) -> Self {
        bytes[0] != 0
    }
}

/// Reads a header from `reader`, which starts at the beginning of the file. A truncated input's
/// error carries what was read up to the cut ([`HeaderError::truncation`]).
pub(crate) fn read_header<R: BufRead>(reader: R, file_len: Option<u64>) -> Result<GgufHeader> {
    let mut input = Input {
        inner: reader,
        pos: 0,
        file_len,
        order: ByteOrder::Little,
        wide_lengths: true,
        progress: Truncation::default(),
    };
    parse(&mut input).map_err(|err| err.with_truncation(&input.progress))
}

fn parse<R: BufRead>(input: &mut Input<R>) -> Result<GgufHeader> {
    read_magic(input)?;
    let raw_version = input.u32()?;
    // A big-endian file still starts with `GGUF`; its version read as little-endian has the
    // low 16 bits zero (gguf spec, gguf-py's reader).
    let (version, order) = if raw_version & 0xFFFF == 0 {
        (raw_version.swap_bytes(), ByteOrder::Big)
    } else {
        (raw_version, ByteOrder::Little)
    };
    if !(1..=3).contains(&version) {
        return Err(HeaderError::new(
            4,
            HeaderErrorKind::UnsupportedVersion {
                version: raw_version,
            },
        ));
    }
    input.order = order;
    input.wide_lengths = version >= 2;

    let len_size = input.length_size();
    let tensor_count_at = input.pos;
    let tensor_count = input.length()?;
    let kv_count_at = input.pos;
    let kv_count = input.length()?;
    // Smallest possible pair: empty key, type tag, one-byte value.
    input.check_fits(kv_count_at, kv_count, len_size + 4 + 1, || {
        "metadata count".to_owned()
    })?;
    // Smallest possible tensor info: empty name, zero dims, type, offset.
    input.check_fits(tensor_count_at, tensor_count, len_size + 4 + 4 + 8, || {
        "tensor count".to_owned()
    })?;

    input.progress.kv_count = kv_count;
    input.progress.tensor_count = tensor_count;
    let mut metadata = Metadata::new();
    for read in 0..kv_count {
        input.progress.kvs_read = read;
        input.progress.array = None;
        let (key, at) = input.string(&|| "a key".to_owned())?;
        let ty = input.value_type(&key)?;
        let value = input.value(ty, &key, 0)?;
        if let Some(array) = input.progress.array.take() {
            input.progress.arrays_read.push(ArrayRead {
                key: array.key,
                element_type: array.element_type,
                count: array.count,
                bytes: input.pos - array.elements_at,
            });
        }
        if metadata.get(&key).is_some() {
            return Err(HeaderError::new(at, HeaderErrorKind::DuplicateKey { key }));
        }
        metadata.insert_at(key, value, at);
    }

    input.progress.kvs_read = kv_count;
    input.progress.array = None;
    input.progress.tensor_infos_at = Some(input.pos);
    input.progress.tensor_infos_end = input.pos;
    let mut tensors =
        Vec::with_capacity(input.initial_capacity(tensor_count, std::mem::size_of::<TensorInfo>()));
    let mut names = HashSet::new();
    for read in 0..tensor_count {
        input.progress.tensors_read = read;
        tensors.push(read_tensor_info(input, &mut names)?);
        input.progress.tensor_infos_end = input.pos;
    }

    let alignment = alignment(&metadata)?;
    let data_offset = input.pos.div_ceil(alignment) * alignment;
    let header = GgufHeader::from_parts(
        version,
        order,
        metadata,
        tensors,
        alignment,
        data_offset,
        input.file_len,
    );
    check_tensor_data(&header)?;
    Ok(header)
}

fn read_magic<R: BufRead>(input: &mut Input<R>) -> Result<()> {
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < magic.len() {
        match input.inner.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => return Err(HeaderError::new(got as u64, HeaderErrorKind::Io(err))),
        }
    }
    input.pos = got as u64;
    if &magic[..got] == b"GGUF" {
        return Ok(());
    }
    // A prefix of the magic, or no bytes yet of a file known to be longer, is a short read.
    let more_to_come = got == 0 && input.file_len.is_some_and(|len| len > 0);
    if more_to_come || (got > 0 && b"GGUF".starts_with(&magic[..got])) {
        return Err(HeaderError::new(
            got as u64,
            HeaderErrorKind::Truncated { needed: 4 },
        ));
    }
    // Show what is there instead; a few more bytes make a Git LFS pointer recognisable.
    let mut found = magic[..got].to_vec();
    if got == magic.len() {
        // Best effort: a read error here changes nothing about the verdict.
        let _ = (&mut input.inner).take(28).read_to_end(&mut found);
    }
    Err(HeaderError::new(0, HeaderErrorKind::NotGguf { found }))
}

fn read_tensor_info<R: BufRead>(
    input: &mut Input<R>,
    names: &mut HashSet<String>,
) -> Result<TensorInfo> {
    let (name, at) = input.string(&|| "a tensor name".to_owned())?;
    let invalid = |reason: String| {
        HeaderError::new(
            at,
            HeaderErrorKind::InvalidTensor {
                tensor: name.clone(),
                reason,
            },
        )
    };
    let n_dims = input.u32()?;
    if n_dims as usize > MAX_TENSOR_DIMS {
        return Err(invalid(format!(
            "{n_dims} dimensions, at most {MAX_TENSOR_DIMS} are allowed"
        )));
    }
    let mut shape = Vec::with_capacity(n_dims as usize);
    for _ in 0..n_dims {
        shape.push(input.length()?);
    }
    if shape
        .iter()
        .try_fold(1u64, |acc, d| acc.checked_mul(*d))
        .is_none()
    {
        return Err(invalid(format!(
            "its element count overflows (shape {shape:?})"
        )));
    }
    let ggml_type = GgmlType::from_u32(input.u32()?);
    let offset = input.u64()?;
    if !names.insert(name.clone()) {
        return Err(invalid("the name is used twice".to_owned()));
    }
    Ok(TensorInfo::new(name, shape, ggml_type, offset))
}

fn alignment(metadata: &Metadata) -> Result<u64> {
    let Some(entry) = metadata.entry("general.alignment") else {
        return Ok(DEFAULT_ALIGNMENT);
    };
    match entry.value() {
        Value::U32(a) if a.is_power_of_two() => Ok(u64::from(*a)),
        other => Err(HeaderError::new(
            entry.offset(),
            HeaderErrorKind::InvalidAlignment {
                found: format!("{other:?}"),
            },
        )),
    }
}

/// With a known file length, every tensor's data must end inside the file: otherwise the file
/// was cut short (an interrupted download) or its tensor infos are corrupt.
fn check_tensor_data(header: &GgufHeader) -> Result<()> {
    let Some(file_len) = header.file_len() else {
        return Ok(());
    };
    for tensor in header.tensors() {
        let Some((block, _)) = tensor.ggml_type().block_layout() else {
            continue;
        };
        if tensor.element_count() % block != 0 {
            continue;
        }
        // A size past `u64` cannot fit in any file: that is the error, not a reason to skip
        // the check (a 128-byte file once reported 4.6e18 parameters).
        let Some(size) = tensor.data_size() else {
            return Err(HeaderError::new(
                header.data_offset(),
                HeaderErrorKind::InvalidTensor {
                    tensor: tensor.name().to_owned(),
                    reason: format!(
                        "its data size overflows 64 bits (shape {:?}, type {}): the file is corrupt",
                        tensor.shape(),
                        tensor.ggml_type()
                    ),
                },
            ));
        };
        let end = header
            .data_offset()
            .checked_add(tensor.offset())
            .and_then(|start| start.checked_add(size));
        if end.is_none_or(|end| end > file_len) {
            return Err(HeaderError::new(
                header.data_offset(),
                HeaderErrorKind::InvalidTensor {
                    tensor: tensor.name().to_owned(),
                    reason: format!(
                        "its {size} bytes of data at offset {} run past the end of the file ({file_len} bytes): the file is truncated or corrupt",
                        tensor.offset()
                    ),
                },
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Little-endian v3 bytes: magic, version, counts, then `body`.
    fn file(tensors: u64, pairs: u64, body: &[u8]) -> Vec<u8> {
        let mut b = b"GGUF".to_vec();
        b.extend(3u32.to_le_bytes());
        b.extend(tensors.to_le_bytes());
        b.extend(pairs.to_le_bytes());
        b.extend(body);
        b
    }

    /// Regression: an empty prefix of a file known to be longer is truncated, not "empty".
    #[test]
    fn empty_prefix_of_a_longer_file_is_truncated() {
        let err = GgufHeader::read(&[][..], Some(100)).unwrap_err();
        assert_eq!(err.bytes_needed(), Some(4), "{err}");
        let err = GgufHeader::read(&[][..], None).unwrap_err();
        assert!(
            matches!(err.kind(), HeaderErrorKind::NotGguf { .. }),
            "{err}"
        );
    }

    /// Regression: a huge element count read without a known file length once overflowed
    /// while computing how many more bytes the caller would need.
    #[test]
    fn huge_array_count_without_file_length_is_truncated_not_overflow() {
        let mut body = 1u64.to_le_bytes().to_vec();
        body.extend(b"a");
        body.extend(9u32.to_le_bytes());
        body.extend(10u32.to_le_bytes());
        body.extend((1u64 << 62).to_le_bytes());
        body.extend([0u8; 24]);
        let err = GgufHeader::read(&file(0, 1, &body)[..], None).unwrap_err();
        assert!(
            matches!(err.kind(), HeaderErrorKind::Truncated { .. }),
            "{err}"
        );
    }

    fn string(s: &[u8]) -> Vec<u8> {
        let mut b = (s.len() as u64).to_le_bytes().to_vec();
        b.extend(s);
        b
    }

    fn pair(key: &[u8], tag: u32, value: &[u8]) -> Vec<u8> {
        let mut b = string(key);
        b.extend(tag.to_le_bytes());
        b.extend(value);
        b
    }

    fn error(bytes: &[u8]) -> HeaderError {
        read_header(bytes, Some(bytes.len() as u64)).unwrap_err()
    }

    #[test]
    fn unknown_value_type() {
        let err = error(&file(0, 1, &pair(b"k", 13, &[0; 8])));
        assert!(matches!(
            err.kind(),
            HeaderErrorKind::UnknownValueType { tag: 13, .. }
        ));
        assert_eq!(err.offset(), 24 + 9);
    }

    #[test]
    fn invalid_utf8_key_and_value() {
        let err = error(&file(0, 1, &pair(b"k\xff", 0, &[1])));
        assert_eq!(
            err.to_string(),
            "invalid UTF-8 in a key at byte 24: GGUF strings are UTF-8"
        );
        let err = error(&file(0, 1, &pair(b"k", 8, &string(b"\xc3"))));
        assert!(
            err.to_string()
                .starts_with("invalid UTF-8 in value of `k` at byte 37"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_key() {
        let mut body = pair(b"k", 0, &[1]);
        body.extend(pair(b"k", 0, &[2]));
        let err = error(&file(0, 2, &body));
        assert!(
            matches!(err.kind(), HeaderErrorKind::DuplicateKey { .. }),
            "{err}"
        );
        assert_eq!(err.offset(), 24 + 14);
    }

    #[test]
    fn unsupported_version() {
        let mut b = file(0, 0, &[]);
        b[4..8].copy_from_slice(&4u32.to_le_bytes());
        assert!(matches!(
            error(&b).kind(),
            HeaderErrorKind::UnsupportedVersion { version: 4 }
        ));
    }

    #[test]
    fn bad_alignment() {
        let err = error(&file(
            0,
            1,
            &pair(b"general.alignment", 4, &24u32.to_le_bytes()),
        ));
        assert!(err.to_string().contains("found U32(24)"), "{err}");
        let err = error(&file(
            0,
            1,
            &pair(b"general.alignment", 10, &64u64.to_le_bytes()),
        ));
        assert!(matches!(
            err.kind(),
            HeaderErrorKind::InvalidAlignment { .. }
        ));
    }

    #[test]
    fn tensor_checks() {
        let tensor = |dims: &[u64], ggml_type: u32| {
            let mut b = string(b"t");
            b.extend((dims.len() as u32).to_le_bytes());
            for d in dims {
                b.extend(d.to_le_bytes());
            }
            b.extend(ggml_type.to_le_bytes());
            b.extend(0u64.to_le_bytes());
            b
        };
        let err = error(&file(1, 0, &tensor(&[1; 9], 0)));
        assert!(err.to_string().contains("9 dimensions"), "{err}");
        let err = error(&file(1, 0, &tensor(&[u64::MAX, 2], 0)));
        assert!(err.to_string().contains("overflows"), "{err}");
        let mut two = tensor(&[1], 0);
        two.extend(tensor(&[1], 0));
        let err = error(&file(2, 0, &two));
        assert!(err.to_string().contains("used twice"), "{err}");
        // Data past the end of the file: 4 bytes of F32 needed after the data offset.
        let err = error(&file(1, 0, &tensor(&[1], 0)));
        assert!(
            err.to_string().contains("run past the end of the file"),
            "{err}"
        );
        // An unknown tensor type is kept, not an error.
        let bytes = file(1, 0, &tensor(&[1], 77));
        let h = read_header(&bytes[..], None).unwrap();
        assert_eq!(h.tensors()[0].ggml_type(), GgmlType::Unknown(77));
    }

    #[test]
    fn truncated_arrays_ask_for_the_rest() {
        let mut body = string(b"k");
        body.extend(9u32.to_le_bytes());
        body.extend(4u32.to_le_bytes()); // UINT32 elements
        body.extend(1000u64.to_le_bytes());
        let total = body.len() as u64 + 24 + 4000;
        let bytes = file(0, 1, &body);
        let err = read_header(&bytes[..], Some(total)).unwrap_err();
        assert_eq!(err.bytes_needed(), Some(total));
        // Without a file length the count is not trusted: only the next chunk is asked for.
        let err = read_header(&bytes[..], None).unwrap_err();
        assert_eq!(err.bytes_needed(), Some(bytes.len() as u64 + 4000));
    }

    #[test]
    fn string_longer_than_file() {
        let mut body = string(b"k");
        body.extend(8u32.to_le_bytes());
        body.extend(1000u64.to_le_bytes());
        let err = error(&file(0, 1, &body));
        assert!(
            matches!(
                err.kind(),
                HeaderErrorKind::TooLarge {
                    count: 1000,
                    remaining: 0,
                    ..
                }
            ),
            "{err}"
        );
    }
}
