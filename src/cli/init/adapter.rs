//! LoRA adapters among the files `init` finds: told apart from models by their header
//! (`general.type = adapter`), left out of the variants, and listed in a comment.
//!
//! An adapter runs only on top of a base model, and the manifest has no key for one
//! (resolution refuses an adapter named as a variant's `file` or a `projector`), so the
//! starter manifest names each adapter in a comment saying what the user can do instead,
//! and still passes `check` and resolution.

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

/// The comment block naming every adapter in `adapters` (none: nothing), with what the
/// user can do since the manifest cannot publish one. `models` pairs each model key with its
/// architecture, to say which models an adapter could apply to.
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
        "# Adapters found and left out of the models (a manifest has no key for adapters, and"
    );
    let _ = writeln!(
        out,
        "# resolution refuses one as a variant's `file`; an adapter is no model of its own):"
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
        "# or add `ADAPTER ./ADAPTER.gguf` to a generated Modelfile by hand. To publish it as a model,"
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
}
