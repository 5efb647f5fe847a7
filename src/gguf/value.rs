//! Typed metadata values: the 13 GGUF value types, kept exactly as the file stores them.
//!
//! Arrays are stored compactly: one typed `Vec` per element type and, for strings, one text
//! buffer plus end offsets, so a 262,144-token vocabulary costs its bytes and one `usize` per
//! token instead of one heap allocation per token.

use std::fmt;

/// The type tag of a metadata value, as numbered in the GGUF specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueType {
    /// 0: unsigned 8-bit integer.
    U8,
    /// 1: signed 8-bit integer.
    I8,
    /// 2: unsigned 16-bit integer.
    U16,
    /// 3: signed 16-bit integer.
    I16,
    /// 4: unsigned 32-bit integer.
    U32,
    /// 5: signed 32-bit integer.
    I32,
    /// 6: IEEE 754 single precision float.
    F32,
    /// 7: boolean, one byte.
    Bool,
    /// 8: UTF-8 string with a length prefix.
    String,
    /// 9: array: element type, length, elements.
    Array,
    /// 10: unsigned 64-bit integer.
    U64,
    /// 11: signed 64-bit integer.
    I64,
    /// 12: IEEE 754 double precision float.
    F64,
}

impl ValueType {
    /// Every value type, in tag order.
    pub const ALL: [ValueType; 13] = [
        ValueType::U8,
        ValueType::I8,
        ValueType::U16,
        ValueType::I16,
        ValueType::U32,
        ValueType::I32,
        ValueType::F32,
        ValueType::Bool,
        ValueType::String,
        ValueType::Array,
        ValueType::U64,
        ValueType::I64,
        ValueType::F64,
    ];

    /// The type for a tag read from a file, or `None` for a tag the format does not define.
    pub fn from_u32(tag: u32) -> Option<ValueType> {
        Self::ALL.get(usize::try_from(tag).ok()?).copied()
    }

    /// The tag written to files.
    pub fn to_u32(self) -> u32 {
        self as u32
    }

    /// The size in bytes of one value of a fixed-size type; `None` for strings and arrays.
    pub fn fixed_size(self) -> Option<usize> {
        match self {
            ValueType::U8 | ValueType::I8 | ValueType::Bool => Some(1),
            ValueType::U16 | ValueType::I16 => Some(2),
            ValueType::U32 | ValueType::I32 | ValueType::F32 => Some(4),
            ValueType::U64 | ValueType::I64 | ValueType::F64 => Some(8),
            ValueType::String | ValueType::Array => None,
        }
    }

    /// The name used by the GGUF specification and llama.cpp's gguf-py (`UINT32`, `STRING`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ValueType::U8 => "UINT8",
            ValueType::I8 => "INT8",
            ValueType::U16 => "UINT16",
            ValueType::I16 => "INT16",
            ValueType::U32 => "UINT32",
            ValueType::I32 => "INT32",
            ValueType::F32 => "FLOAT32",
            ValueType::Bool => "BOOL",
            ValueType::String => "STRING",
            ValueType::Array => "ARRAY",
            ValueType::U64 => "UINT64",
            ValueType::I64 => "INT64",
            ValueType::F64 => "FLOAT64",
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One metadata value with its GGUF type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `UINT8`.
    U8(u8),
    /// `INT8`.
    I8(i8),
    /// `UINT16`.
    U16(u16),
    /// `INT16`.
    I16(i16),
    /// `UINT32`.
    U32(u32),
    /// `INT32`.
    I32(i32),
    /// `FLOAT32`, bit for bit.
    F32(f32),
    /// `BOOL`.
    Bool(bool),
    /// `STRING`.
    String(String),
    /// `ARRAY`, possibly nested.
    Array(Array),
    /// `UINT64`.
    U64(u64),
    /// `INT64`.
    I64(i64),
    /// `FLOAT64`, bit for bit.
    F64(f64),
}

impl Value {
    /// The GGUF type of this value.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::U8(_) => ValueType::U8,
            Value::I8(_) => ValueType::I8,
            Value::U16(_) => ValueType::U16,
            Value::I16(_) => ValueType::I16,
            Value::U32(_) => ValueType::U32,
            Value::I32(_) => ValueType::I32,
            Value::F32(_) => ValueType::F32,
            Value::Bool(_) => ValueType::Bool,
            Value::String(_) => ValueType::String,
            Value::Array(_) => ValueType::Array,
            Value::U64(_) => ValueType::U64,
            Value::I64(_) => ValueType::I64,
            Value::F64(_) => ValueType::F64,
        }
    }

    /// The value as an unsigned integer, for any integer type holding a non-negative value.
    ///
    /// Writers disagree on integer widths (`context_length` is `UINT32` or `UINT64` in the
    /// wild, token ids are sometimes `INT32`), so readers of counts and ids accept them all.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U8(v) => Some(u64::from(v)),
            Value::U16(v) => Some(u64::from(v)),
            Value::U32(v) => Some(u64::from(v)),
            Value::U64(v) => Some(v),
            Value::I8(v) => u64::try_from(v).ok(),
            Value::I16(v) => u64::try_from(v).ok(),
            Value::I32(v) => u64::try_from(v).ok(),
            Value::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a signed integer, for any integer type whose value fits `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::I8(v) => Some(i64::from(v)),
            Value::I16(v) => Some(i64::from(v)),
            Value::I32(v) => Some(i64::from(v)),
            Value::I64(v) => Some(v),
            Value::U8(v) => Some(i64::from(v)),
            Value::U16(v) => Some(i64::from(v)),
            Value::U32(v) => Some(i64::from(v)),
            Value::U64(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a float, for `FLOAT32` and `FLOAT64`.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F32(v) => Some(f64::from(v)),
            Value::F64(v) => Some(v),
            _ => None,
        }
    }

    /// The value of a `BOOL`.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(v) => Some(v),
            _ => None,
        }
    }

    /// The text of a `STRING`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(v) => Some(v),
            _ => None,
        }
    }

    /// The elements of an `ARRAY`.
    pub fn as_array(&self) -> Option<&Array> {
        match self {
            Value::Array(v) => Some(v),
            _ => None,
        }
    }

    /// Bytes of heap memory this value holds, for memory budgets and allocation checks.
    pub fn heap_size(&self) -> usize {
        match self {
            Value::String(s) => s.capacity(),
            Value::Array(a) => a.heap_size(),
            _ => 0,
        }
    }
}

/// The elements of an `ARRAY` value, one typed vector per element type.
#[derive(Debug, Clone, PartialEq)]
pub enum Array {
    /// `UINT8` elements.
    U8(Vec<u8>),
    /// `INT8` elements.
    I8(Vec<i8>),
    /// `UINT16` elements.
    U16(Vec<u16>),
    /// `INT16` elements.
    I16(Vec<i16>),
    /// `UINT32` elements.
    U32(Vec<u32>),
    /// `INT32` elements.
    I32(Vec<i32>),
    /// `FLOAT32` elements.
    F32(Vec<f32>),
    /// `BOOL` elements.
    Bool(Vec<bool>),
    /// `STRING` elements, stored in one buffer.
    String(StringArray),
    /// Nested arrays; each inner array has its own element type.
    Array(Vec<Array>),
    /// `UINT64` elements.
    U64(Vec<u64>),
    /// `INT64` elements.
    I64(Vec<i64>),
    /// `FLOAT64` elements.
    F64(Vec<f64>),
}

impl Array {
    /// An empty array of the given element type.
    pub fn empty(element_type: ValueType) -> Array {
        match element_type {
            ValueType::U8 => Array::U8(Vec::new()),
            ValueType::I8 => Array::I8(Vec::new()),
            ValueType::U16 => Array::U16(Vec::new()),
            ValueType::I16 => Array::I16(Vec::new()),
            ValueType::U32 => Array::U32(Vec::new()),
            ValueType::I32 => Array::I32(Vec::new()),
            ValueType::F32 => Array::F32(Vec::new()),
            ValueType::Bool => Array::Bool(Vec::new()),
            ValueType::String => Array::String(StringArray::default()),
            ValueType::Array => Array::Array(Vec::new()),
            ValueType::U64 => Array::U64(Vec::new()),
            ValueType::I64 => Array::I64(Vec::new()),
            ValueType::F64 => Array::F64(Vec::new()),
        }
    }

    /// The GGUF type of the elements.
    pub fn element_type(&self) -> ValueType {
        match self {
            Array::U8(_) => ValueType::U8,
            Array::I8(_) => ValueType::I8,
            Array::U16(_) => ValueType::U16,
            Array::I16(_) => ValueType::I16,
            Array::U32(_) => ValueType::U32,
            Array::I32(_) => ValueType::I32,
            Array::F32(_) => ValueType::F32,
            Array::Bool(_) => ValueType::Bool,
            Array::String(_) => ValueType::String,
            Array::Array(_) => ValueType::Array,
            Array::U64(_) => ValueType::U64,
            Array::I64(_) => ValueType::I64,
            Array::F64(_) => ValueType::F64,
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            Array::U8(v) => v.len(),
            Array::I8(v) => v.len(),
            Array::U16(v) => v.len(),
            Array::I16(v) => v.len(),
            Array::U32(v) => v.len(),
            Array::I32(v) => v.len(),
            Array::F32(v) => v.len(),
            Array::Bool(v) => v.len(),
            Array::String(v) => v.len(),
            Array::Array(v) => v.len(),
            Array::U64(v) => v.len(),
            Array::I64(v) => v.len(),
            Array::F64(v) => v.len(),
        }
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `index` as a scalar [`Value`] (nested arrays are cloned), or `None` past the end.
    pub fn get(&self, index: usize) -> Option<Value> {
        match self {
            Array::U8(v) => v.get(index).map(|x| Value::U8(*x)),
            Array::I8(v) => v.get(index).map(|x| Value::I8(*x)),
            Array::U16(v) => v.get(index).map(|x| Value::U16(*x)),
            Array::I16(v) => v.get(index).map(|x| Value::I16(*x)),
            Array::U32(v) => v.get(index).map(|x| Value::U32(*x)),
            Array::I32(v) => v.get(index).map(|x| Value::I32(*x)),
            Array::F32(v) => v.get(index).map(|x| Value::F32(*x)),
            Array::Bool(v) => v.get(index).map(|x| Value::Bool(*x)),
            Array::String(v) => v.get(index).map(|x| Value::String(x.to_owned())),
            Array::Array(v) => v.get(index).map(|x| Value::Array(x.clone())),
            Array::U64(v) => v.get(index).map(|x| Value::U64(*x)),
            Array::I64(v) => v.get(index).map(|x| Value::I64(*x)),
            Array::F64(v) => v.get(index).map(|x| Value::F64(*x)),
        }
    }

    /// Bytes of heap memory this array holds (its buffers, nested arrays included).
    pub fn heap_size(&self) -> usize {
        fn of<T>(v: &Vec<T>) -> usize {
            v.capacity() * std::mem::size_of::<T>()
        }
        match self {
            Array::U8(v) => of(v),
            Array::I8(v) => of(v),
            Array::U16(v) => of(v),
            Array::I16(v) => of(v),
            Array::U32(v) => of(v),
            Array::I32(v) => of(v),
            Array::F32(v) => of(v),
            Array::Bool(v) => of(v),
            Array::String(v) => v.capacity_bytes(),
            Array::Array(v) => of(v) + v.iter().map(Array::heap_size).sum::<usize>(),
            Array::U64(v) => of(v),
            Array::I64(v) => of(v),
            Array::F64(v) => of(v),
        }
    }

    /// The strings of a `STRING` array.
    pub fn as_strings(&self) -> Option<&StringArray> {
        match self {
            Array::String(v) => Some(v),
            _ => None,
        }
    }
}

/// A list of strings stored as one text buffer plus the end offset of each string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StringArray {
    text: String,
    ends: Vec<usize>,
}

impl StringArray {
    /// An empty list.
    pub fn new() -> StringArray {
        StringArray::default()
    }

    /// Appends one string.
    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len());
    }

    /// Reserves room for `strings` more strings of `bytes` bytes in total.
    pub(crate) fn reserve(&mut self, strings: usize, bytes: usize) {
        self.ends.reserve(strings);
        self.text.reserve(bytes);
    }

    /// The number of strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// String `index`, or `None` past the end.
    pub fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = match index {
            0 => 0,
            _ => *self.ends.get(index - 1)?,
        };
        self.text.get(start..end)
    }

    /// The strings in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// The total length in bytes of all strings.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Bytes of heap memory reserved by this list (text and offsets), for allocation bounds.
    pub fn capacity_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * std::mem::size_of::<usize>()
    }
}

impl<'a> FromIterator<&'a str> for StringArray {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut out = StringArray::new();
        for s in iter {
            out.push(s);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_array_round_trips() {
        let list: StringArray = ["a", "", "héllo"].into_iter().collect();
        assert_eq!(list.len(), 3);
        assert_eq!(list.get(0), Some("a"));
        assert_eq!(list.get(1), Some(""));
        assert_eq!(list.get(2), Some("héllo"));
        assert_eq!(list.get(3), None);
        assert_eq!(list.iter().collect::<Vec<_>>(), ["a", "", "héllo"]);
    }

    #[test]
    fn value_type_tags() {
        for (tag, ty) in ValueType::ALL.iter().enumerate() {
            assert_eq!(ValueType::from_u32(tag as u32), Some(*ty));
            assert_eq!(ty.to_u32(), tag as u32);
        }
        assert_eq!(ValueType::from_u32(13), None);
    }

    #[test]
    fn integers_widen() {
        assert_eq!(Value::U32(7).as_u64(), Some(7));
        assert_eq!(Value::I32(-1).as_u64(), None);
        assert_eq!(Value::U64(u64::MAX).as_i64(), None);
        assert_eq!(Value::String("x".into()).as_u64(), None);
    }
}
