//! Quant labels in file names, and how they compare with `general.file_type`.
//!
//! File names follow the Hugging Face Hub's rule: upper-case the name and take the LAST match
//! of a known quant name, so `ruvltra-claude-code-0.5b-q4_k_m.gguf` is `Q4_K_M` and
//! `model-f16-to-q8_0.gguf` is `Q8_0`. Known names are every `LLAMA_FTYPE` name, the `Q2_K_XL`
//! to `Q8_K_XL` forms and `MXFP4`, each optionally prefixed with `UD-` (Unsloth Dynamic).

use std::fmt;
use std::str::FromStr;

use super::types::FileType;

/// The quant part of a label, without the `UD-` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantKind {
    /// A name from the `LLAMA_FTYPE` table (`Q4_K_M`, `Q8_0`, `BF16`, ...).
    FileType(FileType),
    /// `Q{bits}_K_XL`: a k-quant with some tensors kept larger; it has no `LLAMA_FTYPE` of
    /// its own (files usually say the `_M` variant).
    KXl(u8),
    /// `MXFP4`: the file type llama.cpp writes for it is `MXFP4_MOE`.
    Mxfp4,
}

/// A quant label parsed from a file name, e.g. `Q4_K_M` or `UD-Q4_K_XL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quant {
    kind: QuantKind,
    unsloth_dynamic: bool,
}

impl Quant {
    /// A label without the `UD-` prefix.
    pub fn new(kind: QuantKind) -> Quant {
        Quant {
            kind,
            unsloth_dynamic: false,
        }
    }

    /// The quant label in a file name (the last known quant name in it), if any. Only the
    /// last path component is looked at.
    pub fn from_file_name(file_name: &str) -> Option<Quant> {
        let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        let upper = base.to_ascii_uppercase();
        let mut last = None;
        let mut rest = upper.as_str();
        // Step by whole characters: names from ModelScope often hold non-ASCII letters, and
        // every known label is ASCII, so a match always ends on a character boundary.
        while let Some(c) = rest.chars().next() {
            let step = match match_at(rest) {
                Some((quant, len)) => {
                    last = Some(quant);
                    len
                }
                None => c.len_utf8(),
            };
            rest = rest.get(step..).unwrap_or_default();
        }
        last
    }

    /// The quant kind, without the `UD-` prefix.
    pub fn kind(&self) -> QuantKind {
        self.kind
    }

    /// Whether the label carries Unsloth's `UD-` prefix.
    pub fn is_unsloth_dynamic(&self) -> bool {
        self.unsloth_dynamic
    }

    /// The `LLAMA_FTYPE` this label names exactly, if it is one (not for `UD-`, `_XL` or
    /// `MXFP4` labels).
    pub fn file_type(&self) -> Option<FileType> {
        match (self.kind, self.unsloth_dynamic) {
            (QuantKind::FileType(ft), false) => Some(ft),
            _ => None,
        }
    }
}

impl fmt::Display for Quant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.unsloth_dynamic {
            f.write_str("UD-")?;
        }
        match self.kind {
            QuantKind::FileType(ft) => write!(f, "{ft}"),
            QuantKind::KXl(bits) => write!(f, "Q{bits}_K_XL"),
            QuantKind::Mxfp4 => f.write_str("MXFP4"),
        }
    }
}

/// A quant label that is not one of the known names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown quant `{0}`: expected a llama.cpp file type such as `Q4_K_M` or `Q8_0`, `Q2_K_XL`..`Q8_K_XL` or `MXFP4`, optionally with `UD-`"
)]
pub struct UnknownQuant(pub String);

impl FromStr for Quant {
    type Err = UnknownQuant;

    /// Parses one whole label, case-insensitively (`q4_k_m`, `UD-Q4_K_XL`).
    fn from_str(s: &str) -> Result<Quant, UnknownQuant> {
        let upper = s.to_ascii_uppercase();
        match match_at(&upper) {
            Some((quant, len)) if len == upper.len() => Ok(quant),
            _ => Err(UnknownQuant(s.to_owned())),
        }
    }
}

/// The longest known label starting at the beginning of `s` (upper-case), and its length.
fn match_at(s: &str) -> Option<(Quant, usize)> {
    let (unsloth_dynamic, rest) = match s.strip_prefix("UD-") {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (kind, len) = match_kind(rest)?;
    let prefix = if unsloth_dynamic { 3 } else { 0 };
    Some((
        Quant {
            kind,
            unsloth_dynamic,
        },
        prefix + len,
    ))
}

fn match_kind(s: &str) -> Option<(QuantKind, usize)> {
    let mut best: Option<(QuantKind, usize)> = None;
    let mut consider = |kind: QuantKind, name: &str| {
        if s.starts_with(name) && best.is_none_or(|(_, len)| name.len() > len) {
            best = Some((kind, name.len()));
        }
    };
    for ft in FileType::KNOWN {
        if *ft == FileType::GUESSED {
            continue;
        }
        if let Some(name) = ft.name() {
            consider(QuantKind::FileType(*ft), name);
        }
    }
    for bits in 2u8..=8 {
        consider(QuantKind::KXl(bits), &format!("Q{bits}_K_XL"));
    }
    consider(QuantKind::Mxfp4, "MXFP4");
    best
}

/// How bad a disagreement between a file name and its header is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth telling the publisher; publishing goes on.
    Warning,
    /// Later stages refuse to publish.
    Error,
}

/// A disagreement between the quant label in a file name and the header's
/// `general.file_type`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantMismatch {
    /// Both are `LLAMA_FTYPE` names and they differ: the file is misnamed or mislabelled.
    #[error(
        "the file name says `{name}` but the header's `general.file_type` is `{header}`: rename the file or fix the header"
    )]
    Contradiction {
        /// From the file name.
        name: Quant,
        /// From the header.
        header: FileType,
    },
    /// The header has no `general.file_type`, so the name cannot be checked.
    #[error("the file name says `{name}` but the header has no `general.file_type` to confirm it")]
    MissingFileType {
        /// From the file name.
        name: Quant,
    },
    /// The header's file type is `GUESSED` or a number llama.cpp does not know.
    #[error(
        "the file name says `{name}` but the header's `general.file_type` is `{header}`, which cannot confirm it"
    )]
    UncheckableFileType {
        /// From the file name.
        name: Quant,
        /// From the header.
        header: FileType,
    },
    /// The name is a label that is not a file type of its own (`UD-Q4_K_XL`, `MXFP4`) and
    /// the header names something else (often the expected base type, e.g. `Q4_K_M`).
    #[error(
        "the file name says `{name}`, which is not a llama.cpp file type; the header's `general.file_type` is `{header}`"
    )]
    Variant {
        /// From the file name.
        name: Quant,
        /// From the header.
        header: FileType,
    },
}

impl QuantMismatch {
    /// [`Severity::Error`] for a contradiction, otherwise a warning.
    pub fn severity(&self) -> Severity {
        match self {
            QuantMismatch::Contradiction { .. } => Severity::Error,
            _ => Severity::Warning,
        }
    }
}

/// Compares a file name's quant label with the header's `general.file_type`; `None` when they
/// agree.
pub fn check_quant(name: Quant, header: Option<FileType>) -> Option<QuantMismatch> {
    let Some(header) = header else {
        return Some(QuantMismatch::MissingFileType { name });
    };
    if matches!(header, FileType::GUESSED | FileType::Unknown(_)) {
        return Some(QuantMismatch::UncheckableFileType { name, header });
    }
    match (name.kind, name.unsloth_dynamic) {
        (QuantKind::FileType(ft), _) if ft == header => None,
        (QuantKind::FileType(_), false) => Some(QuantMismatch::Contradiction { name, header }),
        _ => Some(QuantMismatch::Variant { name, header }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(name: &str) -> Option<String> {
        Quant::from_file_name(name).map(|q| q.to_string())
    }

    #[test]
    fn labels_from_file_names() {
        assert_eq!(
            label("ruvltra-claude-code-0.5b-q4_k_m.gguf").as_deref(),
            Some("Q4_K_M")
        );
        assert_eq!(
            label("ruvltra-small-0.5b-q8_0.gguf").as_deref(),
            Some("Q8_0")
        );
        assert_eq!(
            label("Qwen3-8B-UD-Q4_K_XL.gguf").as_deref(),
            Some("UD-Q4_K_XL")
        );
        assert_eq!(label("gpt-oss-20b-MXFP4.gguf").as_deref(), Some("MXFP4"));
        assert_eq!(
            label("gpt-oss-20b-mxfp4_moe.gguf").as_deref(),
            Some("MXFP4_MOE")
        );
        assert_eq!(label("model-bf16.gguf").as_deref(), Some("BF16"));
        assert_eq!(label("model-IQ4_XS.gguf").as_deref(), Some("IQ4_XS"));
        assert_eq!(label("model.gguf"), None);
    }

    #[test]
    fn non_ascii_names() {
        assert_eq!(label("modèle-0.5b-f16.gguf").as_deref(), Some("F16"));
        assert_eq!(
            label("千问-coder-0.5b-q4_k_m.gguf").as_deref(),
            Some("Q4_K_M")
        );
        assert_eq!(label("ß-ﬁ-İ.gguf"), None);
    }

    #[test]
    fn last_match_wins() {
        assert_eq!(
            label("q8_0-distilled-from-f16-Q4_K_S.gguf").as_deref(),
            Some("Q4_K_S")
        );
        assert_eq!(
            label("models/q4_0/model-Q5_K_M-00001-of-00002.gguf").as_deref(),
            Some("Q5_K_M")
        );
    }

    #[test]
    fn parses_whole_labels() {
        assert_eq!(
            "q4_k_m".parse::<Quant>().map(|q| q.file_type()),
            Ok(Some(FileType::Q4_K_M))
        );
        assert_eq!(
            "UD-Q4_K_XL".parse::<Quant>().map(|q| q.kind()),
            Ok(QuantKind::KXl(4))
        );
        assert!("Q4_K".parse::<Quant>().is_err());
        assert!("GUESSED".parse::<Quant>().is_err());
    }

    #[test]
    fn name_against_header() {
        let q = |s: &str| s.parse::<Quant>().unwrap();
        assert_eq!(check_quant(q("Q4_K_M"), Some(FileType::Q4_K_M)), None);
        let err = check_quant(q("Q4_K_M"), Some(FileType::Q8_0)).unwrap();
        assert_eq!(err.severity(), Severity::Error);
        assert!(err.to_string().contains("`Q4_K_M`") && err.to_string().contains("`Q8_0`"));
        let xl = check_quant(q("UD-Q4_K_XL"), Some(FileType::Q4_K_M)).unwrap();
        assert_eq!(xl.severity(), Severity::Warning);
        let mx = check_quant(q("MXFP4"), Some(FileType::MXFP4_MOE)).unwrap();
        assert_eq!(mx.severity(), Severity::Warning);
        assert_eq!(check_quant(q("UD-Q4_K_M"), Some(FileType::Q4_K_M)), None);
        assert_eq!(
            check_quant(q("Q8_0"), None),
            Some(QuantMismatch::MissingFileType { name: q("Q8_0") })
        );
        assert_eq!(
            check_quant(q("Q8_0"), Some(FileType::GUESSED)).map(|m| m.severity()),
            Some(Severity::Warning)
        );
    }
}
