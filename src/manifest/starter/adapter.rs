//! LoRA adapters among the files `init` finds: told apart from models by their header
//! (`general.type = adapter`) and left out of the variants.
//!
//! An adapter runs only on top of a base model of its architecture, and a model takes one
//! (`adapter = "..."`, as Ollama runs one per model). An adapter whose architecture exactly one
//! model has, and which is the only such adapter for it, becomes that model's live `adapter`
//! key; every other adapter is named in a comment saying which models it could fit, so the
//! starter manifest never guesses and still passes `check` and resolution.

use std::fmt::Write as _;

use super::FoundFile;

/// Why `init` takes a file for an adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdapterEvidence {
    /// The header says `general.type = adapter`; `adapter.type` as written (`lora`, `alora`),
    /// when present.
    Header {
        /// `adapter.type`.
        adapter_type: Option<String>,
    },
    /// The header could not be read (the reason, one line) and the file name has `lora` or
    /// `adapter` as a word.
    FileName(String),
}

/// Whether a file name has `lora` or `adapter` as a word (`ruvltra-small-lora-f16.gguf`,
/// `ggml-adapter-model.gguf`): the fallback signal when the header is unavailable.
pub fn is_adapter_name(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    name.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| word == "lora" || word == "adapter")
}

/// The adapter each model gets as a live `adapter = "..."` key, by model index: an adapter
/// whose header names an architecture exactly one of `models` (key, architecture) has, when no
/// other adapter fits that model too. An adapter known by its name only never is one.
pub(super) fn place_adapters<'a>(
    adapters: &[&'a FoundFile],
    models: &[(String, Option<String>)],
) -> Vec<Option<&'a FoundFile>> {
    let mut placed: Vec<Option<&FoundFile>> = vec![None; models.len()];
    let mut fitting = vec![0usize; models.len()];
    for &adapter in adapters {
        if let Some(index) = only_model(adapter, models) {
            fitting[index] += 1;
            placed[index] = Some(adapter);
        }
    }
    // Two adapters for one model: the user chooses.
    for (slot, count) in placed.iter_mut().zip(fitting) {
        if count > 1 {
            *slot = None;
        }
    }
    placed
}

/// The index of the one model an adapter's header architecture fits, if exactly one does.
fn only_model(adapter: &FoundFile, models: &[(String, Option<String>)]) -> Option<usize> {
    if !matches!(
        adapter.role,
        super::Role::Adapter(AdapterEvidence::Header { .. })
    ) {
        return None;
    }
    let arch = adapter.architecture.as_deref()?;
    let mut fits = models
        .iter()
        .enumerate()
        .filter(|(_, (_, a))| a.as_deref() == Some(arch));
    let (index, _) = fits.next()?;
    fits.next().is_none().then_some(index)
}

/// The live `adapter` key of a model, with a comment saying why `init` chose it.
pub(super) fn write_model_adapter(out: &mut String, adapter: &FoundFile) {
    let arch = adapter.architecture.as_deref().unwrap_or_default();
    let _ = writeln!(
        out,
        "# `{}`: an adapter for architecture `{arch}`, which only this model has; every variant runs with it.",
        adapter.file
    );
    let _ = writeln!(
        out,
        "adapter = {}",
        serde_json::Value::String(adapter.file.clone())
    );
}

/// The comment block naming every adapter in `adapters` that no model takes (none: nothing),
/// with what the user can do. `models` pairs each model key with its architecture, to say
/// which models an adapter could apply to.
pub(super) fn write_adapters(
    out: &mut String,
    adapters: &[&FoundFile],
    models: &[(String, Option<String>)],
) {
    if adapters.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "# Adapters found and applied to no model (`init` applies one only when its architecture fits"
    );
    let _ = writeln!(
        out,
        "# exactly one model here and no other adapter fits that model; an adapter is no model of its own):"
    );
    for adapter in adapters {
        let _ = writeln!(out, "# - `{}`: {}", adapter.file, describe(adapter, models));
    }
    let _ = writeln!(
        out,
        "# To use one, run it on its base model: `llama-server -m BASE.gguf --lora ADAPTER.gguf`,"
    );
    let _ = writeln!(
        out,
        "# or add `adapter = \"ADAPTER.gguf\"` to its model's table (one per model). To publish it as a model,"
    );
    let _ = writeln!(
        out,
        "# merge it into its base with llama.cpp's `llama-export-lora -m BASE.gguf --lora ADAPTER.gguf"
    );
    let _ = writeln!(
        out,
        "# -o MERGED.gguf` and add the merged file as a variant.\n"
    );
}

/// One line on an adapter: what kind, how `init` knows, and the models of its architecture.
fn describe(adapter: &FoundFile, models: &[(String, Option<String>)]) -> String {
    let evidence = match &adapter.role {
        super::Role::Adapter(AdapterEvidence::Header { adapter_type }) => {
            let kind = match adapter_type.as_deref() {
                Some("lora") => "a LoRA adapter".to_owned(),
                Some(other) => format!("an adapter of type `{other}`"),
                None => "an adapter".to_owned(),
            };
            format!("{kind} (its header says `general.type = adapter`)")
        }
        super::Role::Adapter(AdapterEvidence::FileName(reason)) => format!(
            "an adapter by its name only: its header could not be read ({reason}); fix the file first"
        ),
        super::Role::Model | super::Role::Projector(_) => "not an adapter".to_owned(),
    };
    let Some(arch) = adapter.architecture.as_deref() else {
        return evidence;
    };
    let fitting: Vec<String> = models
        .iter()
        .filter(|(_, a)| a.as_deref() == Some(arch))
        .map(|(key, _)| format!("`{key}`"))
        .collect();
    if fitting.is_empty() {
        format!("{evidence}, for architecture `{arch}`, which no model here has")
    } else {
        format!(
            "{evidence}, for architecture `{arch}` like {}",
            fitting.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::GgufHeader;

    use super::super::Role;

    fn header(keys: &[(&str, &str)]) -> GgufHeader {
        super::super::test_header(keys, &[])
    }

    #[test]
    fn the_header_makes_an_adapter_whatever_the_name_says() {
        let lora = header(&[
            ("general.architecture", "qwen2"),
            ("general.type", "adapter"),
            ("adapter.type", "lora"),
        ]);
        let found = FoundFile::new("ruvltra-small-0.5b-q4_k_m.gguf", &lora);
        assert_eq!(
            found.role,
            Role::Adapter(AdapterEvidence::Header {
                adapter_type: Some("lora".into())
            })
        );
        let model = header(&[("general.architecture", "qwen2"), ("general.type", "model")]);
        assert_eq!(
            FoundFile::new("ruvltra-small-lora-f16.gguf", &model).role,
            Role::Model
        );
    }

    #[test]
    fn the_name_says_lora_or_adapter_as_a_word() {
        for yes in [
            "ruvltra-small-lora-f16.gguf",
            "ggml-adapter-model.gguf",
            "loras/LoRA_F16.gguf",
        ] {
            assert!(is_adapter_name(yes), "{yes}");
        }
        for no in [
            "ruvltra-small-0.5b-q4_k_m.gguf",
            "explorad-f16.gguf",
            "lora/model-q4_k_m.gguf",
            "adapters-f16.gguf",
        ] {
            assert!(!is_adapter_name(no), "{no}");
        }
    }

    #[test]
    fn the_comment_names_each_adapter_and_the_models_it_fits() {
        let lora = FoundFile::new(
            "ruvltra-small-lora-f16.gguf",
            &header(&[
                ("general.architecture", "qwen2"),
                ("general.type", "adapter"),
                ("adapter.type", "lora"),
            ]),
        );
        let unread = FoundFile::unread_adapter("ggml-adapter-model.gguf", "invalid GGUF header");
        let models = [
            ("small".to_owned(), Some("qwen2".to_owned())),
            ("vision".to_owned(), Some("gemma3".to_owned())),
        ];
        let mut out = String::new();
        write_adapters(&mut out, &[&lora, &unread], &models);
        assert!(
            out.contains("# - `ruvltra-small-lora-f16.gguf`: a LoRA adapter (its header says `general.type = adapter`), for architecture `qwen2` like `small`\n"),
            "{out}"
        );
        assert!(
            out.contains("# - `ggml-adapter-model.gguf`: an adapter by its name only: its header could not be read (invalid GGUF header); fix the file first\n"),
            "{out}"
        );
        assert!(out.contains("--lora ADAPTER.gguf"), "{out}");
        assert!(
            out.lines().all(|l| l.is_empty() || l.starts_with('#')),
            "{out}"
        );
        let mut none = String::new();
        write_adapters(&mut none, &[], &models);
        assert_eq!(none, "");
    }

    #[test]
    fn an_adapter_goes_to_the_one_model_of_its_architecture_alone() {
        let lora = |file: &str, arch: &str| {
            FoundFile::new(
                file,
                &header(&[
                    ("general.architecture", arch),
                    ("general.type", "adapter"),
                    ("adapter.type", "lora"),
                ]),
            )
        };
        let models = [
            ("small".to_owned(), Some("qwen2".to_owned())),
            ("vision".to_owned(), Some("gemma3".to_owned())),
            ("code".to_owned(), Some("llama".to_owned())),
            ("chat".to_owned(), Some("llama".to_owned())),
        ];
        let sql = lora("sql-lora.gguf", "qwen2");
        let ocr = lora("ocr-lora.gguf", "gemma3");
        let ocr2 = lora("ocr2-lora.gguf", "gemma3");
        let both = lora("llama-lora.gguf", "llama");
        let none = lora("phi-lora.gguf", "phi3");
        let unread = FoundFile::unread_adapter("ggml-adapter-model.gguf", "invalid GGUF header");
        let files: Vec<Option<&str>> =
            place_adapters(&[&sql, &ocr, &ocr2, &both, &none, &unread], &models)
                .iter()
                .map(|p| p.map(|f| f.file.as_str()))
                .collect();
        // `vision` has two candidates, `code` and `chat` share one: the user decides.
        assert_eq!(files, [Some("sql-lora.gguf"), None, None, None]);
        let mut out = String::new();
        write_model_adapter(&mut out, &sql);
        assert_eq!(
            out,
            "# `sql-lora.gguf`: an adapter for architecture `qwen2`, which only this model has; every variant runs with it.\nadapter = \"sql-lora.gguf\"\n"
        );
    }
}
