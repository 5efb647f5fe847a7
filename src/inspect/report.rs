//! [`FileReport`]: one GGUF file's header plus what is known about the file itself.

use crate::digest::Digest;
use crate::gguf::{GgufHeader, Quant, QuantMismatch, Severity, check_quant};
use crate::source::{FileLocation, HubClient, SourceError, SourceFile, hash_file};

/// What [`inspect_file`] does beyond reading the header.
#[derive(Debug, Clone, Copy, Default)]
pub struct InspectOptions {
    /// Hash local files (reads each whole file once). Hub files always carry their LFS
    /// SHA-256, so this never downloads anything. By default, this is off.
    pub hash_local: bool,
}

/// Where a SHA-256 came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestOrigin {
    /// The Hub's LFS oid for the file.
    HubLfs,
    /// Computed here by reading the whole local file.
    Computed,
}

impl DigestOrigin {
    /// The name used in JSON: `hub-lfs` or `computed`.
    pub fn as_str(self) -> &'static str {
        match self {
            DigestOrigin::HubLfs => "hub-lfs",
            DigestOrigin::Computed => "computed",
        }
    }
}

/// One inspected GGUF file.
#[derive(Debug)]
pub struct FileReport {
    /// The source as the user gave it.
    pub source: String,
    /// The file's full name (a path, or `hf://owner/repo[@rev]/path`).
    pub file: String,
    /// The file name alone, where the quant label is read from.
    pub file_name: String,
    /// The file's size in bytes.
    pub file_size: u64,
    /// The file's SHA-256, when known.
    pub sha256: Option<(Digest, DigestOrigin)>,
    /// The Hub commit the revision resolved to.
    pub commit: Option<String>,
    /// The parsed header.
    pub header: GgufHeader,
    /// The quant label in the file name.
    pub name_quant: Option<Quant>,
    /// How the file name's quant disagrees with `general.file_type`, if it does.
    pub quant_mismatch: Option<QuantMismatch>,
    /// Bytes fetched over the network to read the header (`None` for local files).
    pub bytes_fetched: Option<u64>,
    /// HTTP range requests made to read the header.
    pub round_trips: u32,
}

impl FileReport {
    /// Whether the file has a problem later stages refuse (a quant contradiction).
    pub fn has_error(&self) -> bool {
        self.quant_mismatch
            .as_ref()
            .is_some_and(|m| m.severity() == Severity::Error)
    }
}

/// Reads one file's header and gathers its report.
pub fn inspect_file(
    file: &SourceFile,
    hub: Option<&HubClient>,
    options: InspectOptions,
) -> Result<FileReport, SourceError> {
    let read = file.read_header(hub)?;
    let sha256 = match (&file.sha256, &file.location) {
        (Some(digest), _) => Some((*digest, DigestOrigin::HubLfs)),
        (None, FileLocation::Local(path)) if options.hash_local => {
            Some((hash_file(path)?, DigestOrigin::Computed))
        }
        _ => None,
    };
    let file_name = file.file_name();
    let name_quant = Quant::from_file_name(&file_name);
    let quant_mismatch = name_quant.and_then(|quant| check_quant(quant, read.header.file_type()));
    Ok(FileReport {
        source: file.source.clone(),
        file: file.name(),
        file_name,
        file_size: read.file_size,
        sha256,
        commit: file.commit.clone(),
        header: read.header,
        name_quant,
        quant_mismatch,
        bytes_fetched: read.bytes_fetched,
        round_trips: read.round_trips,
    })
}
