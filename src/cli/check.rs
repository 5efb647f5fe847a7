//! `ruvltra-export check FILE`: validates a Modelfile or a manifest and prints every problem
//! as `path:line:col: message`.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::print::{EXIT_FAILED, EXIT_OK};
use crate::manifest::{LoadError, Manifest};
use crate::modelfile::{MAX_MODELFILE_BYTES, Modelfile, Position};

/// Arguments of `check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The file to check: a Modelfile (`Modelfile`, `*.Modelfile`, `Modelfile.*`) or a
    /// manifest (`*.toml`); other names are recognised by their content.
    pub file: PathBuf,
}

/// What kind of file `check` was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// An Ollama Modelfile.
    Modelfile,
    /// A `ruvltra.toml` manifest.
    Manifest,
    /// A llama.cpp preset file (`*.ini`), checked the way `llama-server` reads it.
    Preset,
}

impl FileKind {
    /// Recognises a file by its name, then by its first meaningful line.
    pub fn detect(path: &Path, content: &[u8]) -> Option<FileKind> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match extension.as_deref() {
            Some("toml") => return Some(FileKind::Manifest),
            Some("ini") => return Some(FileKind::Preset),
            Some("modelfile") => return Some(FileKind::Modelfile),
            _ => {}
        }
        if name == "modelfile" || name.starts_with("modelfile.") {
            return Some(FileKind::Modelfile);
        }
        let text = crate::modelfile::decode(content);
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))?;
        let word = first
            .split([' ', '\t'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if crate::modelfile::COMMAND_NAMES.contains(&word.as_str()) {
            Some(FileKind::Modelfile)
        } else if first.starts_with('[') || first.contains('=') {
            Some(FileKind::Manifest)
        } else {
            None
        }
    }
}

/// Runs `check`: prints problems to stdout and returns the exit code (1 on any error).
pub fn run(args: &CheckArgs) -> anyhow::Result<u8> {
    let path = &args.file;
    let content = crate::text_file::read_bytes(path, MAX_MODELFILE_BYTES as u64)
        .with_context(|| format!("cannot read `{}`", path.display()))?;
    let shown = path.display().to_string();
    match FileKind::detect(path, &content) {
        Some(FileKind::Modelfile) => Ok(check_modelfile(&shown, &content)),
        Some(FileKind::Manifest) => check_manifest(path),
        Some(FileKind::Preset) => Ok(check_preset_file(path, &content)),
        None => anyhow::bail!(
            "cannot tell what `{shown}` is: name a Modelfile `Modelfile` or `*.Modelfile`, a manifest `*.toml`"
        ),
    }
}

fn at(path: &str, position: Position) -> String {
    format!("{path}:{}:{}", position.line.max(1), position.column.max(1))
}

fn check_modelfile(path: &str, content: &[u8]) -> u8 {
    let report = Modelfile::check(content);
    let mut lines: Vec<(Position, String)> = report
        .errors
        .iter()
        .map(|e| (e.position, e.kind.to_string()))
        .chain(
            report
                .warnings
                .iter()
                .map(|w| (w.position, format!("warning: {}", w.message))),
        )
        .collect();
    lines.sort_by_key(|(position, _)| *position);
    for (position, message) in lines {
        println!("{}: {message}", at(path, position));
    }
    if report.errors.is_empty() {
        eprintln!("`{path}`: a valid Modelfile");
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

fn check_preset_file(path: &Path, content: &[u8]) -> u8 {
    let shown = path.display();
    let Ok(text) = std::str::from_utf8(content) else {
        println!("{shown}:1:1: not UTF-8 text: llama-server reads preset files as UTF-8");
        return EXIT_FAILED;
    };
    let diagnostics = crate::render::llamacpp::check_preset(text, path);
    for d in &diagnostics {
        println!("{d}");
    }
    let errors = diagnostics
        .iter()
        .filter(|d| matches!(d.severity, crate::render::llamacpp::Severity::Error))
        .count();
    if errors == 0 {
        eprintln!("`{shown}`: a valid llama.cpp preset file");
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

fn check_manifest(path: &Path) -> anyhow::Result<u8> {
    match Manifest::load(path) {
        Ok(manifest) if !manifest.placeholders.is_empty() => {
            for placeholder in &manifest.placeholders {
                println!("{placeholder}");
            }
            Ok(EXIT_FAILED)
        }
        Ok(manifest) => {
            for warning in crate::template::llamacpp::manifest_warnings(&manifest) {
                println!("{warning}");
            }
            eprintln!(
                "`{}`: a valid manifest ({} models, {} variants)",
                path.display(),
                manifest.models.len(),
                manifest
                    .models
                    .iter()
                    .map(|m| m.variants.len())
                    .sum::<usize>()
            );
            Ok(EXIT_OK)
        }
        Err(LoadError::Invalid(errors)) => {
            for error in &errors.0 {
                println!("{error}");
            }
            Ok(EXIT_FAILED)
        }
        Err(other) => Err(other.into()),
    }
}
