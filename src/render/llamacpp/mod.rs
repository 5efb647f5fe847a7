//! llama.cpp outputs: the router preset file (`llama-server --models-preset presets.ini`).
//!
//! [`Preset`] is the typed model of a preset file; [`Preset::to_ini`] writes it byte for byte
//! the same on every run, and [`check_preset`] validates any preset file (ours or hand-written)
//! the way `llama-server` reads it, so `ruvltra-export check presets.ini` finds at once what
//! llama.cpp would only report when the server starts. The option names come from the real
//! `llama-server --help` ([`SERVER_OPTIONS`]); a test compares them with the built binary.
//!
//! [`render`] writes a family's llama.cpp outputs from the resolved model: `presets.ini`, a
//! catalog entry per variant, the "supported models" lines and usage page.

pub mod catalog;
mod options;
mod options_map;
mod preset;
mod zoo;

pub use options::{
    PRESET_ONLY_OPTIONS, ParameterMapping, SERVER_OPTIONS, ServerOption, find_option,
    is_preset_key, map_ollama_parameter, suggest_option,
};
pub use preset::{
    HfRepoId, ModelSource, Preset, PresetDiagnostic, PresetError, PresetKey, PresetOptions,
    PresetSection, PresetValue, SectionName, Severity, canonical_section_name, check_preset,
};
pub use zoo::{DIR, render, section_name};
