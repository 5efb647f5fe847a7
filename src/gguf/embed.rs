//! Copying a GGUF with `tokenizer.chat_template` added or replaced.
//!
//! llama.cpp serves a GGUF without a chat template with a ChatML fallback, which is wrong for
//! most non-Qwen models; embedding the right template fixes that for every consumer. The copy
//! keeps the version, byte order, key order, tensor infos and alignment, and streams tensor
//! data unchanged (offsets are relative to the data section, so only the header moves).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::error::ReadPathError;
use super::header::GgufHeader;
use super::value::Value;
use super::writer::{GgufWriter, WriteError};

/// The key that holds the default chat template.
const CHAT_TEMPLATE_KEY: &str = "tokenizer.chat_template";

/// What [`embed_template`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedReport {
    /// Whether the source already had a chat template (now replaced).
    pub replaced: bool,
    /// Where tensor data started in the source.
    pub source_data_offset: u64,
    /// Where tensor data starts in the copy.
    pub data_offset: u64,
    /// The copy's length in bytes.
    pub len: u64,
    /// The copy's sha256, lower-case hex (what the Hub shows as the LFS oid).
    pub sha256: String,
}

/// Why [`embed_template`] failed.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The source's header could not be read.
    #[error(transparent)]
    Read(#[from] ReadPathError),
    /// The template is empty.
    #[error("the chat template is empty: pass the template's text")]
    EmptyTemplate,
    /// Reading the source's tensor data failed, or it ended early.
    #[error("`{}`: cannot copy tensor data: {source}", path.display())]
    Copy {
        /// The source.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The source's tensor data is shorter than its header says.
    #[error("`{}`: tensor data ends at byte {found}, the header needs {expected}: the file is truncated", path.display())]
    ShortData {
        /// The source.
        path: PathBuf,
        /// Length found.
        found: u64,
        /// Length the tensor infos need.
        expected: u64,
    },
    /// The destination could not be created or written.
    #[error("`{}`: cannot write: {source}", path.display())]
    Create {
        /// The destination.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The new header could not be written.
    #[error("`{}`: {source}", path.display())]
    Write {
        /// The destination.
        path: PathBuf,
        /// Why.
        source: WriteError,
    },
}

/// Copies the GGUF at `src` to `dst` with `tokenizer.chat_template` set to `template`.
///
/// The copy is written to a temporary file next to `dst` and renamed into place, so `dst` is
/// either the complete new file or untouched; `src` and `dst` may be the same path.
pub fn embed_template(src: &Path, dst: &Path, template: &str) -> Result<EmbedReport, EmbedError> {
    if template.is_empty() {
        return Err(EmbedError::EmptyTemplate);
    }
    let header = GgufHeader::read_path(src)?;
    let replaced = header.get(CHAT_TEMPLATE_KEY).is_some();
    let mut writer = GgufWriter::new()
        .version(header.version())
        .byte_order(header.byte_order())
        .with_metadata(header.metadata().clone());
    writer.set(CHAT_TEMPLATE_KEY, Value::String(template.to_owned()));

    let create = |source| EmbedError::Create {
        path: dst.to_path_buf(),
        source,
    };
    let dir = match dst.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(create)?;
    let mut out = HashingWriter {
        inner: BufWriter::new(tmp.as_file().try_clone().map_err(create)?),
        hasher: Sha256::new(),
        len: 0,
    };
    let data_offset = writer
        .write_header_to(&mut out, header.tensors())
        .map_err(|source| EmbedError::Write {
            path: dst.to_path_buf(),
            source,
        })?;

    let copy_err = |source| EmbedError::Copy {
        path: src.to_path_buf(),
        source,
    };
    let mut input = File::open(src).map_err(copy_err)?;
    let src_len = input.metadata().map_err(copy_err)?.len();
    input
        .seek(SeekFrom::Start(header.data_offset()))
        .map_err(copy_err)?;
    let data_len = src_len.saturating_sub(header.data_offset());
    let copied =
        std::io::copy(&mut BufReader::new(input).take(data_len), &mut out).map_err(|source| {
            match source.kind() {
                // `io::copy` reports write failures too; they belong to the destination.
                std::io::ErrorKind::WriteZero => create(source),
                _ => copy_err(source),
            }
        })?;
    if copied != data_len {
        return Err(EmbedError::ShortData {
            path: src.to_path_buf(),
            found: header.data_offset() + copied,
            expected: src_len,
        });
    }
    out.inner.flush().map_err(create)?;
    let HashingWriter { hasher, len, .. } = out;
    tmp.as_file().sync_all().map_err(create)?;
    tmp.persist(dst).map_err(|e| create(e.error))?;
    Ok(EmbedReport {
        replaced,
        source_data_offset: header.data_offset(),
        data_offset,
        len,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// A writer that hashes and counts what passes through.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    len: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::{GgmlType, GgufWriter};

    #[test]
    fn embeds_and_keeps_tensor_data() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("m.gguf");
        let dst = dir.path().join("out.gguf");
        let mut w = GgufWriter::new();
        w.set("general.architecture", Value::String("llama".into()));
        w.set("general.alignment", Value::U32(64));
        w.add_tensor("a", vec![4], GgmlType::F32, (0u8..16).collect())
            .unwrap();
        w.add_tensor("b", vec![2], GgmlType::F32, vec![9; 8])
            .unwrap();
        w.write_to(File::create(&src).unwrap()).unwrap();

        let report = embed_template(&src, &dst, "{{ messages }}").unwrap();
        assert!(!report.replaced);
        let bytes = std::fs::read(&dst).unwrap();
        assert_eq!(report.len, bytes.len() as u64);
        assert_eq!(report.sha256, hex::encode(Sha256::digest(&bytes)));
        let before = GgufHeader::read_path(&src).unwrap();
        let after = GgufHeader::read_path(&dst).unwrap();
        assert_eq!(after.chat_template(), Some("{{ messages }}"));
        assert_eq!(after.alignment(), 64);
        assert_eq!(after.tensors(), before.tensors());
        assert_eq!(report.data_offset, after.data_offset());
        let old = std::fs::read(&src).unwrap();
        assert_eq!(
            &bytes[after.data_offset() as usize..],
            &old[before.data_offset() as usize..]
        );

        let again = embed_template(&dst, &dst, "x").unwrap();
        assert!(again.replaced);
        assert_eq!(
            GgufHeader::read_path(&dst).unwrap().chat_template(),
            Some("x")
        );
    }
}
