//! [`GgufHeader`]: the parsed header and the named facts later stages ask of it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use super::error::{HeaderError, ReadPathError};
use super::metadata::Metadata;
use super::reader::read_header;
use super::tensor::{TensorInfo, TypeCount};
use super::types::{FileType, GgmlType};
use super::value::{StringArray, Value};

/// The byte order of a GGUF file's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// Little-endian: almost every file.
    Little,
    /// Big-endian: written for s390x and similar machines.
    Big,
}

/// A parsed GGUF header: version, byte order, metadata, tensor infos and where data starts.
///
/// Read it with [`GgufHeader::read`] from any byte stream (a file, an HTTP body, a byte
/// slice); tensor data is never read. Accessors return `None` when a key is missing or has a
/// type that cannot hold the fact (a string where a count belongs).
#[derive(Debug, Clone, PartialEq)]
pub struct GgufHeader {
    version: u32,
    byte_order: ByteOrder,
    metadata: Metadata,
    tensors: Vec<TensorInfo>,
    alignment: u64,
    data_offset: u64,
    file_len: Option<u64>,
}

/// One special token: its id and, when the vocabulary has it, its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialToken {
    /// The token id from `tokenizer.ggml.<role>_token_id`.
    pub id: u64,
    /// The token's text from `tokenizer.ggml.tokens`, or `None` if the id is out of range.
    pub text: Option<String>,
}

/// The special tokens named in `tokenizer.ggml.*_token_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecialTokens {
    /// Beginning of sequence.
    pub bos: Option<SpecialToken>,
    /// End of sequence: where generation stops.
    pub eos: Option<SpecialToken>,
    /// End of turn (chat models that distinguish it from eos).
    pub eot: Option<SpecialToken>,
    /// End of message (tool-calling models).
    pub eom: Option<SpecialToken>,
    /// Padding.
    pub pad: Option<SpecialToken>,
    /// Unknown token.
    pub unk: Option<SpecialToken>,
}

/// What a GGUF file holds, from `general.type`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// A model (also the meaning of a missing `general.type`).
    Model,
    /// A LoRA or control-vector adapter.
    Adapter,
    /// A multimodal projector (vision or audio tower).
    Mmproj,
    /// Any other value, kept as written.
    Other(String),
}

impl ModelKind {
    /// The `general.type` value it was read from (`model` also for a missing key).
    pub fn as_str(&self) -> &str {
        match self {
            ModelKind::Model => "model",
            ModelKind::Adapter => "adapter",
            ModelKind::Mmproj => "mmproj",
            ModelKind::Other(other) => other,
        }
    }
}

/// Split-file info from `split.no` / `split.count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitInfo {
    /// 0-based index of this part.
    pub index: u64,
    /// Number of parts.
    pub count: u64,
    /// `split.tensors.count`: tensors across all parts, if present.
    pub tensors_total: Option<u64>,
}

/// A model this one was derived from (`general.base_model.{i}.*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaseModel {
    /// `general.base_model.{i}.name`.
    pub name: Option<String>,
    /// `general.base_model.{i}.organization`.
    pub organization: Option<String>,
    /// `general.base_model.{i}.repo_url`.
    pub repo_url: Option<String>,
}

impl GgufHeader {
    /// Reads a header from the start of a GGUF file.
    ///
    /// `file_len` is the whole file's size when known (a local file's metadata, or the total
    /// in an HTTP `Content-Range`): counts and lengths are then checked against the bytes that
    /// remain before anything is allocated. Without it, memory grows only as bytes arrive.
    /// The reader may be a prefix of the file: if it ends early the error's
    /// [`HeaderError::bytes_needed`] says how long a prefix to fetch next.
    ///
    /// ```
    /// use ruvltra_export::gguf::{GgufHeader, Value};
    ///
    /// let mut bytes = b"GGUF".to_vec();
    /// bytes.extend(3u32.to_le_bytes()); // version
    /// bytes.extend(0u64.to_le_bytes()); // tensors
    /// bytes.extend(1u64.to_le_bytes()); // metadata pairs
    /// let key = "general.architecture";
    /// bytes.extend((key.len() as u64).to_le_bytes());
    /// bytes.extend(key.as_bytes());
    /// bytes.extend(8u32.to_le_bytes()); // STRING
    /// bytes.extend(5u64.to_le_bytes());
    /// bytes.extend(b"qwen2");
    ///
    /// let header = GgufHeader::read(&bytes[..], Some(bytes.len() as u64))?;
    /// assert_eq!(header.architecture(), Some("qwen2"));
    /// assert_eq!(header.data_offset(), 96); // 69 header bytes, padded to 32
    ///
    /// let cut = GgufHeader::read(&bytes[..40], Some(bytes.len() as u64)).unwrap_err();
    /// assert_eq!(cut.bytes_needed(), Some(52)); // the key ends at byte 52
    /// # Ok::<(), ruvltra_export::gguf::HeaderError>(())
    /// ```
    pub fn read<R: Read>(reader: R, file_len: Option<u64>) -> Result<GgufHeader, HeaderError> {
        read_header(BufReader::with_capacity(64 * 1024, reader), file_len)
    }

    /// Reads the header of a local file, with its length from the file system.
    pub fn read_path(path: &Path) -> Result<GgufHeader, ReadPathError> {
        let open = |source| ReadPathError::Open {
            path: path.to_path_buf(),
            source,
        };
        refuse_non_regular(path).map_err(open)?;
        let file = File::open(path).map_err(open)?;
        let len = file.metadata().map_err(open)?.len();
        GgufHeader::read(file, Some(len)).map_err(|err| ReadPathError::Header(err.with_path(path)))
    }

    pub(crate) fn from_parts(
        version: u32,
        byte_order: ByteOrder,
        metadata: Metadata,
        tensors: Vec<TensorInfo>,
        alignment: u64,
        data_offset: u64,
        file_len: Option<u64>,
    ) -> GgufHeader {
        GgufHeader {
            version,
            byte_order,
            metadata,
            tensors,
            alignment,
            data_offset,
            file_len,
        }
    }

    /// The GGUF version: 1, 2 or 3.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The byte order of the file.
    pub fn byte_order(&self) -> ByteOrder {
        self.byte_order
    }

    /// All metadata pairs, in file order.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The value of one metadata key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.get(key)
    }

    /// The tensor infos, in file order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// The alignment of tensor data: `general.alignment`, or 32.
    pub fn alignment(&self) -> u64 {
        self.alignment
    }

    /// Where the data section starts: the end of the tensor infos, rounded up to the
    /// alignment. This is also the number of bytes the header occupies.
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }

    /// The file length passed to [`GgufHeader::read`], if any.
    pub fn file_len(&self) -> Option<u64> {
        self.file_len
    }

    /// The number of parameters: the sum of the element counts of all tensors.
    pub fn parameter_count(&self) -> u64 {
        self.tensors
            .iter()
            .fold(0u64, |acc, t| acc.saturating_add(t.element_count()))
    }

    /// Tensors per ggml type, ordered by type number.
    pub fn tensor_type_histogram(&self) -> Vec<TypeCount> {
        let mut counts: BTreeMap<GgmlType, (usize, u64)> = BTreeMap::new();
        for t in &self.tensors {
            let entry = counts.entry(t.ggml_type()).or_default();
            entry.0 += 1;
            entry.1 = entry.1.saturating_add(t.element_count());
        }
        counts
            .into_iter()
            .map(|(ggml_type, (tensors, elements))| TypeCount {
                ggml_type,
                tensors,
                elements,
            })
            .collect()
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    fn count(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(Value::as_u64)
    }

    fn arch_count(&self, suffix: &str) -> Option<u64> {
        let arch = self.architecture()?;
        self.count(&format!("{arch}.{suffix}"))
    }

    /// `general.architecture`, e.g. `qwen2`.
    pub fn architecture(&self) -> Option<&str> {
        self.str("general.architecture")
    }

    /// `general.name`.
    pub fn name(&self) -> Option<&str> {
        self.str("general.name")
    }

    /// `general.basename`.
    pub fn basename(&self) -> Option<&str> {
        self.str("general.basename")
    }

    /// `general.size_label`, e.g. `0.5B` or `8x7B`.
    pub fn size_label(&self) -> Option<&str> {
        self.str("general.size_label")
    }

    /// `general.finetune`.
    pub fn finetune(&self) -> Option<&str> {
        self.str("general.finetune")
    }

    /// `general.version`.
    pub fn model_version(&self) -> Option<&str> {
        self.str("general.version")
    }

    /// `general.quantized_by`.
    pub fn quantized_by(&self) -> Option<&str> {
        self.str("general.quantized_by")
    }

    /// `general.file_type` through the `LLAMA_FTYPE` table.
    pub fn file_type(&self) -> Option<FileType> {
        self.count("general.file_type")
            .and_then(|n| u32::try_from(n).ok())
            .map(FileType::from_u32)
    }

    /// `general.type`: model, adapter or mmproj; a missing key means a model.
    pub fn model_kind(&self) -> ModelKind {
        match self.str("general.type") {
            None | Some("model") => ModelKind::Model,
            Some("adapter") => ModelKind::Adapter,
            Some("mmproj") => ModelKind::Mmproj,
            Some(other) => ModelKind::Other(other.to_owned()),
        }
    }

    /// `{arch}.context_length` (stored as `UINT32` or `UINT64` in the wild).
    pub fn context_length(&self) -> Option<u64> {
        self.arch_count("context_length")
    }

    /// `{arch}.embedding_length`.
    pub fn embedding_length(&self) -> Option<u64> {
        self.arch_count("embedding_length")
    }

    /// `{arch}.block_count`: the number of layers.
    pub fn block_count(&self) -> Option<u64> {
        self.arch_count("block_count")
    }

    /// `{arch}.attention.head_count` when it is one number (some architectures store one per
    /// layer as an array: read those with [`GgufHeader::get`]).
    pub fn head_count(&self) -> Option<u64> {
        self.arch_count("attention.head_count")
    }

    /// `{arch}.attention.head_count_kv` when it is one number.
    pub fn head_count_kv(&self) -> Option<u64> {
        self.arch_count("attention.head_count_kv")
    }

    /// `{arch}.attention.key_length`.
    pub fn key_length(&self) -> Option<u64> {
        self.arch_count("attention.key_length")
    }

    /// `{arch}.expert_count`.
    pub fn expert_count(&self) -> Option<u64> {
        self.arch_count("expert_count")
    }

    /// `tokenizer.chat_template`: the default Jinja chat template.
    pub fn chat_template(&self) -> Option<&str> {
        self.str("tokenizer.chat_template")
    }

    /// Named chat templates (`tool_use`, `rag`, ...): every `tokenizer.chat_template.<name>`
    /// key, in file order, plus names listed in `tokenizer.chat_templates` that have one.
    pub fn named_chat_templates(&self) -> Vec<(&str, &str)> {
        const PREFIX: &str = "tokenizer.chat_template.";
        let mut out: Vec<(&str, &str)> = self
            .metadata
            .entries()
            .iter()
            .filter_map(|e| {
                let name = e.key().strip_prefix(PREFIX)?;
                Some((name, e.value().as_str()?))
            })
            .collect();
        if let Some(listed) = self
            .get("tokenizer.chat_templates")
            .and_then(Value::as_array)
            .and_then(|a| a.as_strings())
        {
            for name in listed.iter() {
                if out.iter().any(|(n, _)| *n == name) {
                    continue;
                }
                if let Some(entry) = self.metadata.entry(&format!("{PREFIX}{name}")) {
                    if let Some(text) = entry.value().as_str() {
                        out.push((&entry.key()[PREFIX.len()..], text));
                    }
                }
            }
        }
        out
    }

    /// `tokenizer.ggml.add_bos_token`.
    pub fn add_bos_token(&self) -> Option<bool> {
        self.get("tokenizer.ggml.add_bos_token")
            .and_then(Value::as_bool)
    }

    /// `tokenizer.ggml.add_eos_token`.
    pub fn add_eos_token(&self) -> Option<bool> {
        self.get("tokenizer.ggml.add_eos_token")
            .and_then(Value::as_bool)
    }

    /// `tokenizer.ggml.model`: the tokenizer family (`llama`, `gpt2`, `bert`, ...).
    pub fn tokenizer_model(&self) -> Option<&str> {
        self.str("tokenizer.ggml.model")
    }

    /// `tokenizer.ggml.tokens`: the vocabulary.
    pub fn tokens(&self) -> Option<&StringArray> {
        self.get("tokenizer.ggml.tokens")
            .and_then(Value::as_array)
            .and_then(|a| a.as_strings())
    }

    /// The special tokens' ids and texts.
    pub fn special_tokens(&self) -> SpecialTokens {
        let token = |role: &str| {
            let id = self.count(&format!("tokenizer.ggml.{role}_token_id"))?;
            let text = usize::try_from(id)
                .ok()
                .and_then(|i| self.tokens()?.get(i))
                .map(str::to_owned);
            Some(SpecialToken { id, text })
        };
        SpecialTokens {
            bos: token("bos"),
            eos: token("eos"),
            eot: token("eot"),
            eom: token("eom"),
            pad: token("padding"),
            unk: token("unknown"),
        }
    }

    /// `split.no` / `split.count`, when the file is one part of a split model.
    pub fn split(&self) -> Option<SplitInfo> {
        Some(SplitInfo {
            index: self.count("split.no")?,
            count: self.count("split.count")?,
            tensors_total: self.count("split.tensors.count"),
        })
    }

    /// `general.license`, e.g. `apache-2.0`.
    pub fn license(&self) -> Option<&str> {
        self.str("general.license")
    }

    fn string_list(&self, key: &str) -> Vec<&str> {
        self.get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.as_strings())
            .map(|s| s.iter().collect())
            .unwrap_or_default()
    }

    /// `general.tags`.
    pub fn tags(&self) -> Vec<&str> {
        self.string_list("general.tags")
    }

    /// `general.languages`.
    pub fn languages(&self) -> Vec<&str> {
        self.string_list("general.languages")
    }

    /// The models this one derives from, `general.base_model.{i}.*` for `i` below
    /// `general.base_model.count`.
    pub fn base_models(&self) -> Vec<BaseModel> {
        let count = self.count("general.base_model.count").unwrap_or(0);
        // Bounded by the metadata itself: each base model needs at least one key to matter.
        let count = count.min(self.metadata.len() as u64);
        (0..count)
            .map(|i| {
                let field = |name: &str| {
                    self.str(&format!("general.base_model.{i}.{name}"))
                        .map(str::to_owned)
                };
                BaseModel {
                    name: field("name"),
                    organization: field("organization"),
                    repo_url: field("repo_url"),
                }
            })
            .collect()
    }
}

/// Refuses a path that is not a regular file before it is opened: opening a FIFO waits for a
/// writer, and a device such as `/dev/zero` never ends.
pub fn refuse_non_regular(path: &Path) -> std::io::Result<()> {
    if std::fs::metadata(path)?.is_file() {
        return Ok(());
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "not a regular file: name a GGUF file",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::{Array, GgufWriter};

    fn header(pairs: &[(&str, Value)]) -> GgufHeader {
        let mut w = GgufWriter::new();
        for (k, v) in pairs {
            w.set(*k, v.clone());
        }
        let mut bytes = Vec::new();
        w.write_to(&mut bytes).unwrap();
        GgufHeader::read(&bytes[..], Some(bytes.len() as u64)).unwrap()
    }

    fn s(v: &str) -> Value {
        Value::String(v.to_owned())
    }

    #[test]
    fn named_facts() {
        let tokens: crate::gguf::StringArray = ["<s>", "</s>", "a"].into_iter().collect();
        let h = header(&[
            ("general.architecture", s("llama")),
            ("general.type", s("mmproj")),
            ("general.file_type", Value::U32(1024)),
            ("llama.context_length", Value::U64(131_072)),
            ("llama.attention.head_count", Value::I32(32)),
            ("tokenizer.ggml.tokens", Value::Array(Array::String(tokens))),
            ("tokenizer.ggml.bos_token_id", Value::U32(0)),
            ("tokenizer.ggml.eos_token_id", Value::I32(1)),
            ("tokenizer.ggml.unknown_token_id", Value::U32(99)),
            ("tokenizer.chat_template", s("default")),
            ("tokenizer.chat_template.tool_use", s("tools")),
            (
                "tokenizer.chat_templates",
                Value::Array(Array::String(["tool_use"].into_iter().collect())),
            ),
            ("split.no", Value::U16(1)),
            ("split.count", Value::U16(3)),
            ("general.base_model.count", Value::U32(2)),
            ("general.base_model.0.name", s("Base")),
            ("general.base_model.1.repo_url", s("https://example.org/b")),
        ]);
        assert_eq!(h.model_kind(), ModelKind::Mmproj);
        assert_eq!(h.file_type(), Some(FileType::GUESSED));
        assert_eq!(h.context_length(), Some(131_072));
        assert_eq!(h.head_count(), Some(32));
        assert_eq!(h.head_count_kv(), None);
        let special = h.special_tokens();
        assert_eq!(
            special.bos,
            Some(SpecialToken {
                id: 0,
                text: Some("<s>".into())
            })
        );
        assert_eq!(special.eos.and_then(|t| t.text).as_deref(), Some("</s>"));
        assert_eq!(special.unk, Some(SpecialToken { id: 99, text: None }));
        assert_eq!(special.pad, None);
        assert_eq!(h.chat_template(), Some("default"));
        assert_eq!(h.named_chat_templates(), vec![("tool_use", "tools")]);
        assert_eq!(
            h.split(),
            Some(SplitInfo {
                index: 1,
                count: 3,
                tensors_total: None
            })
        );
        let bases = h.base_models();
        assert_eq!(bases.len(), 2);
        assert_eq!(bases[0].name.as_deref(), Some("Base"));
        assert_eq!(bases[1].repo_url.as_deref(), Some("https://example.org/b"));
    }

    #[test]
    fn missing_facts_are_none() {
        let h = header(&[("general.architecture", Value::U32(3))]);
        assert_eq!(h.architecture(), None);
        assert_eq!(h.context_length(), None);
        assert_eq!(h.file_type(), None);
        assert_eq!(h.model_kind(), ModelKind::Model);
        assert_eq!(h.special_tokens(), SpecialTokens::default());
        assert!(h.tags().is_empty() && h.base_models().is_empty());
        assert_eq!(h.parameter_count(), 0);
    }
}
