//! Ollama Modelfiles: a parser that follows Ollama's grammar and a writer that round-trips.
//!
//! [`parse_commands`] reads the grammar exactly as Ollama v0.33 does (see
//! `docs/modelfile.md`): quoting without escapes, values that end only where the quoted text
//! closes, comments only at the start of a line, non-printable characters dropped, and
//! Ollama's error messages. [`Modelfile::check`] then types the values: only parameter names
//! Ollama knows, each value parsed and range-checked, so a mistake shows up here rather than
//! when the model first runs. [`Modelfile::write`] produces text that parses back to exactly
//! the same values, or refuses with the reason.
//!
//! ```
//! use ruvltra_export::modelfile::Modelfile;
//! use ruvltra_export::ollama::{ParamValue, Parameter};
//!
//! let text = "FROM ./model.gguf\nSYSTEM \"\"\"Be brief.\"\"\"\nPARAMETER num_ctx 4096\n";
//! let modelfile = Modelfile::parse(text.as_bytes()).unwrap();
//! assert_eq!(modelfile.parameters.get(Parameter::NumCtx), Some(&ParamValue::Int(4096)));
//! assert_eq!(modelfile.write().unwrap(), text);
//! ```

mod error;
mod model;
mod printable;
mod syntax;
mod write;

pub use error::{
    COMMAND_NAMES, ModelfileError, ModelfileErrorKind, ModelfileWarning, Position, Refusal,
    WriteError,
};
pub use model::{Message, Modelfile, Report};
pub use printable::{is_print, survives_in_value};
pub use syntax::{
    Command, Instruction, MAX_MODELFILE_BYTES, MessageRole, decode, parse_commands, unquote,
};
