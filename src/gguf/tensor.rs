//! Tensor infos: what each tensor is and where its data starts. The data itself is never read.

use super::types::GgmlType;

/// The description of one tensor in a GGUF header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    name: String,
    shape: Vec<u64>,
    ggml_type: GgmlType,
    offset: u64,
}

impl TensorInfo {
    /// A tensor info; `offset` is relative to the start of the data section.
    pub fn new(name: impl Into<String>, shape: Vec<u64>, ggml_type: GgmlType, offset: u64) -> Self {
        TensorInfo {
            name: name.into(),
            shape,
            ggml_type,
            offset,
        }
    }

    /// The tensor's name, e.g. `blk.0.attn_q.weight`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The dimensions as stored (ggml order: the first is the row length).
    pub fn shape(&self) -> &[u64] {
        &self.shape
    }

    /// The type of the tensor's data.
    pub fn ggml_type(&self) -> GgmlType {
        self.ggml_type
    }

    /// The data's offset relative to the start of the data section.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The number of elements (the product of the dimensions). Saturates instead of
    /// overflowing; the reader rejects shapes whose product overflows.
    pub fn element_count(&self) -> u64 {
        self.shape
            .iter()
            .fold(1u64, |acc, d| acc.saturating_mul(*d))
    }

    /// The size of the data in bytes, when the type's block layout is known and the element
    /// count is a whole number of blocks.
    pub fn data_size(&self) -> Option<u64> {
        self.ggml_type.data_size(self.element_count())
    }
}

/// How many tensors of one type a header has, and how many elements they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeCount {
    /// The tensor type.
    pub ggml_type: GgmlType,
    /// Tensors of that type.
    pub tensors: usize,
    /// Elements in those tensors.
    pub elements: u64,
}
