//! Multimodal projectors among the files `init` finds: telling them apart from models, and
//! pairing each with the model it belongs to.
//!
//! The header decides (`general.type = mmproj`, the key resolution checks); the file name is
//! only the fallback for a file whose header cannot be read. A projector is never a variant:
//! it becomes its model's `projector` key (docs/manifest.md), or a commented line saying why
//! when `init` cannot be sure, so the starter manifest always passes `check`.

use std::fmt::Write as _;

use super::{FoundFile, toml_string};
use crate::gguf::{GgufHeader, ModelKind};

/// What a GGUF file found by `init` is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A language model: one variant of a model.
    Model,
    /// A multimodal projector, with how `init` knows.
    Projector(ProjectorEvidence),
}

/// Why `init` takes a file for a multimodal projector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectorEvidence {
    /// The header says `general.type = mmproj`, as llama.cpp's converter writes: what
    /// resolution requires, so the pairing becomes a live `projector` key.
    Header,
    /// The header has no `general.type` but architecture `clip`, as older converters wrote
    /// projectors: no model llama.cpp runs, yet `check` refuses it as a projector until it
    /// is re-converted, so it is written commented out.
    LegacyClip,
    /// The header could not be read (the reason, one line) and the file name says `mmproj`.
    FileName(String),
}

impl Role {
    /// The role a file's header gives it.
    pub fn from_header(header: &GgufHeader) -> Role {
        if header.model_kind() == ModelKind::Mmproj {
            return Role::Projector(ProjectorEvidence::Header);
        }
        if header.get("general.type").is_none() && header.architecture() == Some("clip") {
            return Role::Projector(ProjectorEvidence::LegacyClip);
        }
        Role::Model
    }
}

/// Whether a file name has `mmproj` as a word (`mmproj-model-f16.gguf`,
/// `gemma-3-4b-mmproj-f16.gguf`): the fallback signal when the header is unavailable.
pub fn is_projector_name(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    name.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| word == "mmproj")
}

/// Where one projector goes: the models (indices into the model list) it may belong to.
/// One model is a pairing; several mean `init` could not tell from the names.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement<'a> {
    /// The projector.
    pub projector: &'a FoundFile,
    /// The candidate models, never empty when there is a model at all.
    pub models: Vec<usize>,
}

/// Places every projector among `models` (keys as `init` names them): the model whose key
/// the projector's key equals, else the one whose key words its name contains most fully,
/// else (no fit, or a tie) every fitting model, or every model when none fits. With one
/// model, every projector is that model's.
pub fn place<'a>(
    model_keys: &[String],
    projectors: &[&'a FoundFile],
    family: &str,
) -> Vec<Placement<'a>> {
    projectors
        .iter()
        .map(|&projector| Placement {
            projector,
            models: candidates(model_keys, &projector.projector_key(family)),
        })
        .collect()
}

fn candidates(model_keys: &[String], key: &str) -> Vec<usize> {
    if model_keys.len() == 1 {
        return vec![0];
    }
    if let Some(exact) = model_keys.iter().position(|k| k == key) {
        return vec![exact];
    }
    let words: Vec<&str> = key.split('-').collect();
    let contained: Vec<(usize, usize)> = model_keys
        .iter()
        .enumerate()
        .filter(|(_, k)| k.as_str() != "base" && k.split('-').all(|w| words.contains(&w)))
        .map(|(i, k)| (i, k.split('-').count()))
        .collect();
    let most = contained.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let best: Vec<usize> = contained
        .iter()
        .filter(|(_, n)| *n == most)
        .map(|(i, _)| *i)
        .collect();
    if best.is_empty() {
        (0..model_keys.len()).collect()
    } else {
        best
    }
}

/// Whether a name part is a size label such as `0.5b`, `135m`, `8x7b` (projector headers
/// often carry none, so their names are read for it).
pub(super) fn looks_like_size(part: &str) -> bool {
    let Some(number) = part.strip_suffix(['k', 'm', 'b', 't']) else {
        return false;
    };
    let number = match number.split_once('x') {
        Some((experts, each))
            if !experts.is_empty() && experts.bytes().all(|b| b.is_ascii_digit()) =>
        {
            each
        }
        Some(_) => return false,
        None => number,
    };
    let mut halves = number.splitn(2, '.');
    let whole = halves.next().unwrap_or_default();
    let fraction = halves.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// Rank of a projector's precision: F16 (what llama.cpp's converter writes by default), then
/// BF16, F32, Q8_0, then anything else.
fn precision_rank(projector: &FoundFile) -> usize {
    const ORDER: [&str; 4] = ["F16", "BF16", "F32", "Q8_0"];
    projector
        .quant
        .as_deref()
        .and_then(|q| ORDER.iter().position(|want| q.eq_ignore_ascii_case(want)))
        .unwrap_or(ORDER.len())
}

/// The `projector` lines of one model's table: the preferred header-proven projector as the
/// key, the others as comments saying why, and the projectors that may be this model's as
/// commented lines to pick from.
pub(super) fn write_model_projectors(
    out: &mut String,
    placements: &[Placement<'_>],
    model: usize,
    model_keys: &[String],
) {
    let mut own: Vec<&FoundFile> = placements
        .iter()
        .filter(|p| p.models == [model])
        .map(|p| p.projector)
        .collect();
    own.sort_by(|a, b| {
        precision_rank(a)
            .cmp(&precision_rank(b))
            .then_with(|| a.file.cmp(&b.file))
    });
    let live: Vec<&FoundFile> = own
        .iter()
        .copied()
        .filter(|p| p.role == Role::Projector(ProjectorEvidence::Header))
        .collect();
    match live.as_slice() {
        [] => {}
        [only] => {
            let _ = writeln!(
                out,
                "# The multimodal projector every variant runs with (its header says `general.type = mmproj`)."
            );
            let _ = writeln!(out, "projector = {}", toml_string(&only.file));
        }
        [first, ..] => {
            let listed: Vec<String> = live.iter().map(|p| describe(p)).collect();
            let _ = writeln!(
                out,
                "# Several multimodal projectors fit this model: {}.",
                listed.join(", ")
            );
            let _ = writeln!(
                out,
                "# `projector` names the first (F16 is llama.cpp's default); name another, or set"
            );
            let _ = writeln!(
                out,
                "# `projector` on a variant to give that variant its own."
            );
            let _ = writeln!(out, "projector = {}", toml_string(&first.file));
        }
    }
    for projector in own.iter().filter(|p| !live.contains(p)) {
        let _ = writeln!(
            out,
            "# `{}` looks like this model's projector.",
            projector.file
        );
        for line in caveat(&projector.role) {
            let _ = writeln!(out, "# {line}");
        }
        let _ = writeln!(out, "# projector = {}", toml_string(&projector.file));
    }
    for placement in placements
        .iter()
        .filter(|p| p.models.len() > 1 && p.models.contains(&model))
    {
        let others: Vec<String> = placement
            .models
            .iter()
            .map(|&i| format!("`{}`", model_keys.get(i).map(String::as_str).unwrap_or("?")))
            .collect();
        let _ = writeln!(
            out,
            "# `{}` is a multimodal projector of {}: its name does not say which.",
            placement.projector.file,
            others.join(" or ")
        );
        for line in caveat(&placement.projector.role) {
            let _ = writeln!(out, "# {line}");
        }
        let _ = writeln!(
            out,
            "# Uncomment this line on the model it belongs to (replacing any `projector` above)."
        );
        let _ = writeln!(
            out,
            "# projector = {}",
            toml_string(&placement.projector.file)
        );
    }
}

/// Why a projector its header does not prove stays commented out, and the next step (comment
/// lines; none for a header-proven one).
fn caveat(role: &Role) -> Vec<String> {
    match role {
        Role::Projector(ProjectorEvidence::LegacyClip) => vec![
            "Its header (architecture `clip`) lacks `general.type = mmproj`, which `check` requires:".into(),
            "re-convert it with llama.cpp's `convert_hf_to_gguf.py --mmproj`.".into(),
        ],
        Role::Projector(ProjectorEvidence::FileName(reason)) => vec![
            "Only its name says it is a projector: its header could not be read".into(),
            format!("({reason}); fix the file first."),
        ],
        Role::Projector(ProjectorEvidence::Header) | Role::Model => Vec::new(),
    }
}

fn describe(projector: &FoundFile) -> String {
    match &projector.quant {
        Some(quant) => format!("`{}` ({quant})", projector.file),
        None => format!("`{}`", projector.file),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::{GgufWriter, Value};

    fn header(keys: &[(&str, &str)]) -> GgufHeader {
        let mut w = GgufWriter::new();
        for (key, value) in keys {
            w.set(*key, Value::String((*value).to_owned()));
        }
        let mut bytes = Vec::new();
        w.write_to(&mut bytes).unwrap();
        GgufHeader::read(bytes.as_slice(), Some(bytes.len() as u64)).unwrap()
    }

    #[test]
    fn the_header_decides_whatever_the_name_says() {
        let mmproj = header(&[("general.architecture", "clip"), ("general.type", "mmproj")]);
        assert_eq!(
            Role::from_header(&mmproj),
            Role::Projector(ProjectorEvidence::Header)
        );
        let legacy = header(&[("general.architecture", "clip")]);
        assert_eq!(
            Role::from_header(&legacy),
            Role::Projector(ProjectorEvidence::LegacyClip)
        );
        // A model named like a projector is a model; a projector named like a model is not.
        let model = header(&[("general.architecture", "qwen2")]);
        assert_eq!(Role::from_header(&model), Role::Model);
        let typed_model = header(&[("general.architecture", "clip"), ("general.type", "model")]);
        assert_eq!(Role::from_header(&typed_model), Role::Model);
        let found = FoundFile::new("mmproj-model-f16.gguf", &model);
        assert_eq!(found.role, Role::Model);
        let found = FoundFile::new("ruvltra-small-0.5b-q4_k_m.gguf", &mmproj);
        assert_eq!(found.role, Role::Projector(ProjectorEvidence::Header));
    }

    #[test]
    fn the_name_says_mmproj_as_a_word() {
        for yes in [
            "mmproj-model-f16.gguf",
            "gemma-3-4b-it-mmproj-f16.gguf",
            "vision/MMPROJ_F16.gguf",
            "Qwen2.5-VL-7B.mmproj.gguf",
        ] {
            assert!(is_projector_name(yes), "{yes}");
        }
        for no in [
            "ruvltra-small-0.5b-q4_k_m.gguf",
            "mmprojector-f16.gguf",
            "mmproj/model-q4_k_m.gguf",
        ] {
            assert!(!is_projector_name(no), "{no}");
        }
    }

    #[test]
    fn size_labels() {
        for yes in ["0.5b", "135m", "8x7b", "70b", "1.1b"] {
            assert!(looks_like_size(yes), "{yes}");
        }
        for no in ["small", "b", "0.5", "x7b", "f16", "q8_0", "0.b", "v2"] {
            assert!(!looks_like_size(no), "{no}");
        }
    }

    #[test]
    fn a_projector_goes_to_the_model_its_name_names() {
        let keys = ["small".to_owned(), "claude-code".to_owned()];
        assert_eq!(candidates(&keys, "small"), [0]);
        assert_eq!(candidates(&keys, "claude-code-vision"), [1]);
        assert_eq!(candidates(&keys, "model"), [0, 1]);
        let nested = ["small".to_owned(), "small-instruct".to_owned()];
        assert_eq!(candidates(&nested, "small-instruct-vision"), [1]);
        assert_eq!(candidates(&["small".to_owned()], "anything"), [0]);
    }
}
