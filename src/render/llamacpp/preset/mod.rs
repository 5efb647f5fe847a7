//! The router preset file: a typed model, its deterministic writer, and a validator that reads
//! any preset file the way `llama-server --models-preset` does.
//!
//! What llama.cpp's reader (`common/preset.cpp`, build 11434) does, and what follows from it:
//! - A line is a `[section]` header, `key = value`, a comment (`;` or `#` after optional
//!   blanks) or blank. Nothing may precede a key or a header, not even a space: anything else
//!   fails the whole file.
//! - A value runs to the first `;` or `#` (a comment, even without a space before it) or the
//!   end of the line, without surrounding blanks. So a value can never hold `;`, `#`, a line
//!   break or outer blanks: the writer refuses such values instead of writing a different one.
//! - A repeated `[section]` header starts that section afresh (the earlier keys are lost);
//!   a repeated key keeps its last value. `version` is reserved and skipped.
//! - In a section name `name:tag`, the tag is rewritten to the upper-cased part after its last
//!   `-` or `.` (`x:0.5b-q4_k_m` becomes `x:Q4_K_M`), so the writer only takes names that stay.
//! - Keys before the first section form a model named `default`; `[*]` holds the defaults of
//!   every model.
//!
//! The model ([`Preset`] and its checked parts) is in `model.rs`, the deterministic writer
//! ([`Preset::to_ini`]) in `write.rs`, and the validator ([`check_preset`]) in `check.rs`.

mod check;
mod error;
mod model;
mod write;

pub use check::{PresetDiagnostic, Severity, check_preset};
pub use error::PresetError;
pub use model::{
    HfRepoId, ModelSource, Preset, PresetKey, PresetOptions, PresetSection, PresetValue,
    SectionName, canonical_section_name,
};
