//! Summaries of GGUF headers for people (text) and machines (JSON).
//!
//! [`inspect_file`] reads one [`SourceFile`](crate::source::SourceFile)'s header and gathers
//! what a publisher checks before cross-posting a model into a [`FileReport`]: architecture,
//! name, size label, parameters, quant (from the header and from the file name, with any
//! disagreement), context length, chat template, special tokens, tensors, size and SHA-256.
//! [`render_text`] prints it for a terminal; [`report_json`] gives the full machine form
//! documented in `docs/inspect-json.md`, and [`error_json`] the entry for a source that failed.

mod json;
mod report;
mod text;

pub use json::{ARRAY_HEAD_LEN, JsonArrayWriter, ReportJson, error_json, report_json, value_json};
pub use report::{DigestOrigin, FileReport, InspectOptions, inspect_file};
pub use text::render_text;
