//! Reading a small file the user names (a manifest, a Modelfile, a license, a chat
//! template) in bounded time and memory.
//!
//! A size taken from the file's metadata bounds nothing: `/dev/zero` reports 0 bytes and
//! never ends, and opening a FIFO blocks until something writes to it. So only regular files
//! are opened, and the read itself stops one byte past the limit. A file named relative to a
//! folder (a manifest's license or template) must also stay inside that folder after
//! symbolic links are followed, or a manifest could publish any file on the machine.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a file could not be read. The messages say what is wrong with the file; the caller's
/// error says which file it is.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file system refused (missing file, no permission, ...).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A folder, device, FIFO or socket: reading it could block forever or never end.
    #[error("it is {what}, not a regular file: name a file")]
    NotRegular {
        /// What it is instead, for the message.
        what: &'static str,
    },
    /// More than `max` bytes.
    #[error("it is larger than {max} bytes, the most that is read: shorten it")]
    TooLarge {
        /// The limit.
        max: u64,
    },
    /// Not UTF-8 text.
    #[error(
        "it is not UTF-8 text (the first invalid byte is at offset {offset}): save it as UTF-8"
    )]
    NotUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// A symbolic link leads out of the folder the file must be in.
    #[error("it leads to `{}` through a symbolic link, outside `{}`: copy the file into that folder", target.display(), folder.display())]
    Outside {
        /// Where the link leads.
        target: PathBuf,
        /// The folder it must stay in.
        folder: PathBuf,
    },
}

/// The bytes of the regular file at `path`, at most `max` of them.
pub fn read_bytes(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    // Checked before opening: opening a FIFO for reading waits for a writer.
    regular(&std::fs::metadata(path)?)?;
    let file = File::open(path)?;
    // Checked again on the open file, in case the path was replaced in between.
    regular(&file.metadata()?)?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge { max });
    }
    Ok(bytes)
}

/// The UTF-8 text of the regular file at `path`, at most `max` bytes.
pub fn read_text(path: &Path, max: u64) -> Result<String, ReadError> {
    String::from_utf8(read_bytes(path, max)?).map_err(|e| ReadError::NotUtf8 {
        offset: e.utf8_error().valid_up_to(),
    })
}

/// The UTF-8 text of `relative` inside `folder`, at most `max` bytes. `relative` is checked
/// for `..` and absolute paths where it is written (the manifest); this checks where its
/// symbolic links lead.
pub fn read_text_inside(folder: &Path, relative: &Path, max: u64) -> Result<String, ReadError> {
    // `Path::parent` of a bare file name is the empty path, which names no folder.
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let path = folder.join(relative);
    let target = path.canonicalize()?;
    let folder = folder.canonicalize()?;
    if !target.starts_with(&folder) {
        return Err(ReadError::Outside { target, folder });
    }
    read_text(&target, max)
}

fn regular(metadata: &std::fs::Metadata) -> Result<(), ReadError> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok(());
    }
    Err(ReadError::NotRegular {
        what: if kind.is_dir() {
            "a folder"
        } else {
            "a device, FIFO or socket"
        },
    })
}
