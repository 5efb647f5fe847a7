//! Multimodal projectors among the files `init` finds: telling them apart from models, and
//! pairing each with the model it belongs to.
//!
//! The header decides (`general.type = mmproj`, the key resolution checks); the file name is
//! only the fallback for a file whose header cannot be read. A projector is never a variant:
//! it becomes its model's `projector` key (docs/manifest.md), or a commented line saying why
//! when `init` cannot be sure, so the starter manifest always passes `check`.
//!
//! Names pair a projector with its model; widths confirm or refuse. llama.cpp's converter
//! writes a projector's output width as `clip.vision.projection_dim` (for audio,
//! `clip.audio.projection_dim`), the model's as `<arch>.embedding_length`, and llama.cpp
//! refuses a projector whose width differs from the model's. So the width picks the model when the name
//! fits several, and a pairing by name whose widths disagree is written commented out.

use std::fmt::Write as _;

use super::{AdapterEvidence, FoundFile, toml_string};
use crate::gguf::{GgufHeader, ModelKind};

/// What a GGUF file found by `init` is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A language model: one variant of a model.
    Model,
    /// A multimodal projector, with how `init` knows.
    Projector(ProjectorEvidence),
    /// An adapter (LoRA) for a base model, with how `init` knows: never a variant.
    Adapter(AdapterEvidence),
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
        match header.model_kind() {
            ModelKind::Mmproj => return Role::Projector(ProjectorEvidence::Header),
            ModelKind::Adapter => {
                return Role::Adapter(AdapterEvidence::Header {
                    adapter_type: header
                        .get("adapter.type")
                        .and_then(|v| v.as_str())
                        .map(str::to_owned),
                });
            }
            ModelKind::Model | ModelKind::Other(_) => {}
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

/// A width read from a header, with the key it came from (comments name it): a model's
/// embedding length, or a projector's projection dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Width {
    /// The key, e.g. `qwen2.embedding_length` or `clip.vision.projection_dim`.
    pub key: String,
    /// Its value.
    pub value: u64,
}

impl Width {
    /// The width a file's header gives it for pairing: `<arch>.embedding_length` for a
    /// model, `clip.vision.projection_dim` (else `clip.audio.projection_dim`) for a
    /// projector, none for an adapter.
    pub fn from_header(header: &GgufHeader, role: &Role) -> Option<Width> {
        match role {
            Role::Model => Width::of_model(header),
            Role::Projector(_) => Width::of_projector(header),
            Role::Adapter(_) => None,
        }
    }

    /// A model's width: `<arch>.embedding_length`.
    pub fn of_model(header: &GgufHeader) -> Option<Width> {
        let arch = header.architecture()?;
        Some(Width {
            key: format!("{arch}.embedding_length"),
            value: header.embedding_length()?,
        })
    }

    /// A projector's width: `clip.vision.projection_dim`, else `clip.audio.projection_dim`.
    pub fn of_projector(header: &GgufHeader) -> Option<Width> {
        ["clip.vision.projection_dim", "clip.audio.projection_dim"]
            .iter()
            .find_map(|key| {
                let value = header.get(key)?.as_u64()?;
                Some(Width {
                    key: (*key).to_owned(),
                    value,
                })
            })
    }

    /// Whether llama.cpp refuses to run a projector of width `projector` with a model of width
    /// `model`: both are known and differ. The rule `init` pairs by and resolution enforces.
    pub fn refuses(projector: Option<&Width>, model: Option<&Width>) -> bool {
        matches!((projector, model), (Some(p), Some(m)) if p.value != m.value)
    }
}

/// A model a projector may be paired with: its key as `init` names it, and its embedding
/// length when a variant's header states one.
#[derive(Debug, Clone, PartialEq)]
pub struct PairingModel {
    /// The model key.
    pub key: String,
    /// `<arch>.embedding_length` of its first variant that has one.
    pub embedding: Option<Width>,
}

/// What decided a projector's candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairedBy {
    /// The name (or there being one model), with no width saying otherwise.
    Name,
    /// The name fits several models; the width fits exactly one of them.
    Width,
}

/// Where one projector goes: the models (indices into the model list) it may belong to.
/// One model is a pairing; several mean `init` could not tell.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement<'a> {
    /// The projector.
    pub projector: &'a FoundFile,
    /// The candidate models; empty when every model its name fits has another width.
    pub models: Vec<usize>,
    /// What chose the candidates.
    pub by: PairedBy,
    /// Models its name fits whose embedding length differs from its projection dimension:
    /// llama.cpp would refuse the pair, so it is written commented out with both numbers.
    pub refused: Vec<usize>,
}

/// Places every projector among `models`: by name, the model whose key the projector's key
/// equals, else the one whose key words its name contains most fully, else (no fit, or a
/// tie) every fitting model, or every model when none fits; with one model, that model.
/// Widths then decide: among several candidates the one whose embedding length equals the
/// projector's projection dimension wins, and candidates whose width differs are refused.
pub fn place<'a>(
    models: &[PairingModel],
    projectors: &[&'a FoundFile],
    family: &str,
) -> Vec<Placement<'a>> {
    let keys: Vec<String> = models.iter().map(|m| m.key.clone()).collect();
    projectors
        .iter()
        .map(|&projector| {
            let by_name = candidates(&keys, &projector.projector_key(family));
            by_width(models, projector, by_name)
        })
        .collect()
}

/// The placement once widths have had their say over the candidates `by_name`.
fn by_width<'a>(
    models: &[PairingModel],
    projector: &'a FoundFile,
    by_name: Vec<usize>,
) -> Placement<'a> {
    let named = |models: Vec<usize>| Placement {
        projector,
        models,
        by: PairedBy::Name,
        refused: Vec::new(),
    };
    let Some(width) = &projector.width else {
        return named(by_name);
    };
    // Some(true): the widths agree; Some(false): they differ; None: the model states none.
    let fits = |i: usize| {
        models
            .get(i)
            .and_then(|m| m.embedding.as_ref())
            .map(|e| e.value == width.value)
    };
    if let [only] = by_name.as_slice() {
        return match fits(*only) {
            Some(false) => Placement {
                refused: by_name,
                ..named(Vec::new())
            },
            Some(true) | None => named(by_name),
        };
    }
    let (matching, rest): (Vec<usize>, Vec<usize>) =
        by_name.iter().partition(|&&i| fits(i) == Some(true));
    match matching.len() {
        1 => Placement {
            by: PairedBy::Width,
            ..named(matching)
        },
        0 => {
            let (unknown, differing): (Vec<usize>, Vec<usize>) =
                rest.into_iter().partition(|&i| fits(i).is_none());
            if unknown.is_empty() {
                Placement {
                    refused: differing,
                    ..named(Vec::new())
                }
            } else {
                named(unknown)
            }
        }
        _ => named(matching),
    }
}

/// The models a projector's key fits by name (see [`place`]).
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
/// key, the others as comments saying why, the projectors that may be this model's as
/// commented lines to pick from, and those refused for their width with both numbers.
pub(super) fn write_model_projectors(
    out: &mut String,
    placements: &[Placement<'_>],
    model: usize,
    models: &[PairingModel],
) {
    let mut own: Vec<&Placement<'_>> = placements.iter().filter(|p| p.models == [model]).collect();
    own.sort_by(|a, b| {
        precision_rank(a.projector)
            .cmp(&precision_rank(b.projector))
            .then_with(|| a.projector.file.cmp(&b.projector.file))
    });
    let live: Vec<&Placement<'_>> = own
        .iter()
        .copied()
        .filter(|p| p.projector.role == Role::Projector(ProjectorEvidence::Header))
        .collect();
    match live.as_slice() {
        [] => {}
        [only] => {
            let _ = writeln!(
                out,
                "# The multimodal projector every variant runs with (its header says `general.type = mmproj`)."
            );
            write_width_reason(out, only, model, models);
            let _ = writeln!(out, "projector = {}", toml_string(&only.projector.file));
        }
        [first, ..] => {
            let listed: Vec<String> = live.iter().map(|p| describe(p.projector)).collect();
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
            for placement in &live {
                write_width_reason(out, placement, model, models);
            }
            let _ = writeln!(out, "projector = {}", toml_string(&first.projector.file));
        }
    }
    for placement in own.iter().filter(|p| !live.contains(p)) {
        let _ = writeln!(
            out,
            "# `{}` looks like this model's projector.",
            placement.projector.file
        );
        write_width_reason(out, placement, model, models);
        for line in caveat(&placement.projector.role) {
            let _ = writeln!(out, "# {line}");
        }
        let _ = writeln!(
            out,
            "# projector = {}",
            toml_string(&placement.projector.file)
        );
    }
    for placement in placements
        .iter()
        .filter(|p| p.models.len() > 1 && p.models.contains(&model))
    {
        let others: Vec<String> = placement
            .models
            .iter()
            .map(|&i| format!("`{}`", models.get(i).map(|m| m.key.as_str()).unwrap_or("?")))
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
    for placement in placements.iter().filter(|p| p.refused.contains(&model)) {
        write_refusal(out, placement, model, models);
    }
}

/// The comment line saying a width chose this model, when one did.
fn write_width_reason(
    out: &mut String,
    placement: &Placement<'_>,
    model: usize,
    models: &[PairingModel],
) {
    let (PairedBy::Width, Some(width), Some(embedding)) = (
        placement.by,
        &placement.projector.width,
        models.get(model).and_then(|m| m.embedding.as_ref()),
    ) else {
        return;
    };
    let _ = writeln!(
        out,
        "# `{}`: its name fits several models; its `{}` {} equals this model's `{}` alone.",
        placement.projector.file, width.key, width.value, embedding.key
    );
}

/// The commented-out pairing of a projector whose name fits this model but whose width does
/// not, with both numbers and the models (if any) whose width fits.
fn write_refusal(
    out: &mut String,
    placement: &Placement<'_>,
    model: usize,
    models: &[PairingModel],
) {
    let projector = placement.projector;
    let (Some(width), Some(embedding)) = (
        &projector.width,
        models.get(model).and_then(|m| m.embedding.as_ref()),
    ) else {
        return;
    };
    let _ = writeln!(
        out,
        "# `{}` is not this model's projector, though its name fits: its `{}` is {},",
        projector.file, width.key, width.value
    );
    let _ = writeln!(
        out,
        "# this model's `{}` is {}, and llama.cpp refuses a projector of another width.",
        embedding.key, embedding.value
    );
    let fitting: Vec<String> = models
        .iter()
        .filter(|m| m.embedding.as_ref().is_some_and(|e| e.value == width.value))
        .map(|m| format!("`{}`", m.key))
        .collect();
    if fitting.is_empty() {
        let _ = writeln!(
            out,
            "# No model here has width {}: add the projector's own model, or the projector made for this one.",
            width.value
        );
    } else {
        let _ = writeln!(
            out,
            "# Width {} is that of {}: name it there if it belongs there.",
            width.value,
            fitting.join(", ")
        );
    }
    let _ = writeln!(out, "# projector = {}", toml_string(&projector.file));
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
        Role::Projector(ProjectorEvidence::Header) | Role::Model | Role::Adapter(_) => Vec::new(),
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

    fn header(keys: &[(&str, &str)]) -> GgufHeader {
        super::super::test_header(keys, &[])
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

    #[test]
    fn widths_come_from_the_keys_llama_cpp_writes() {
        let model = super::super::test_header(
            &[("general.architecture", "qwen2")],
            &[
                ("qwen2.embedding_length", 896),
                ("clip.vision.projection_dim", 1),
            ],
        );
        let found = FoundFile::new("m.gguf", &model);
        let width = found.width.unwrap();
        assert_eq!(
            (width.key.as_str(), width.value),
            ("qwen2.embedding_length", 896)
        );
        let vision = super::super::test_header(
            &[("general.architecture", "clip"), ("general.type", "mmproj")],
            &[
                ("clip.vision.embedding_length", 16),
                ("clip.vision.projection_dim", 896),
                ("clip.audio.projection_dim", 3),
            ],
        );
        let width = FoundFile::new("p.gguf", &vision).width.unwrap();
        assert_eq!(
            (width.key.as_str(), width.value),
            ("clip.vision.projection_dim", 896)
        );
        let audio = super::super::test_header(
            &[("general.architecture", "clip"), ("general.type", "mmproj")],
            &[("clip.audio.projection_dim", 1024)],
        );
        let width = FoundFile::new("p.gguf", &audio).width.unwrap();
        assert_eq!(
            (width.key.as_str(), width.value),
            ("clip.audio.projection_dim", 1024)
        );
        // The encoder's own width is not the projection's: no key, no width.
        let bare = super::super::test_header(
            &[("general.architecture", "clip"), ("general.type", "mmproj")],
            &[("clip.vision.embedding_length", 896)],
        );
        assert_eq!(FoundFile::new("p.gguf", &bare).width, None);
        let lora = super::super::test_header(
            &[
                ("general.architecture", "qwen2"),
                ("general.type", "adapter"),
            ],
            &[("qwen2.embedding_length", 896)],
        );
        assert_eq!(FoundFile::new("a.gguf", &lora).width, None);
    }

    fn model(key: &str, embedding: Option<u64>) -> PairingModel {
        PairingModel {
            key: key.into(),
            embedding: embedding.map(|value| Width {
                key: "qwen2.embedding_length".into(),
                value,
            }),
        }
    }

    fn projector(file: &str, width: Option<u64>) -> FoundFile {
        FoundFile {
            file: file.into(),
            basename: None,
            finetune: None,
            size: None,
            quant: Some("F16".into()),
            license: None,
            architecture: Some("clip".into()),
            role: Role::Projector(ProjectorEvidence::Header),
            width: width.map(|value| Width {
                key: "clip.vision.projection_dim".into(),
                value,
            }),
        }
    }

    /// (candidates, paired by, refused) for one projector among `models`.
    fn placed(models: &[PairingModel], p: &FoundFile) -> (Vec<usize>, PairedBy, Vec<usize>) {
        let placement = place(models, &[p], "ruvltra").remove(0);
        (placement.models, placement.by, placement.refused)
    }

    #[test]
    fn the_width_picks_among_the_models_a_name_fits() {
        let models = [
            model("small", Some(256)),
            model("medium", Some(512)),
            model("vision", None),
        ];
        // `mmproj-f16` names no model: by name, all three.
        let name_only = projector("mmproj-f16.gguf", None);
        assert_eq!(
            placed(&models, &name_only),
            (vec![0, 1, 2], PairedBy::Name, vec![])
        );
        let medium = projector("mmproj-f16.gguf", Some(512));
        assert_eq!(placed(&models, &medium), (vec![1], PairedBy::Width, vec![]));
        // No stated width fits: the model stating none stays.
        let other = projector("mmproj-f16.gguf", Some(1024));
        assert_eq!(placed(&models, &other), (vec![2], PairedBy::Name, vec![]));
        // Two models of one width: still the user's choice, between those two.
        let twins = [
            model("small", Some(256)),
            model("code", Some(256)),
            model("medium", Some(512)),
        ];
        let either = projector("mmproj-f16.gguf", Some(256));
        assert_eq!(
            placed(&twins, &either),
            (vec![0, 1], PairedBy::Name, vec![])
        );
        // Every candidate has another width: none is offered, each is refused.
        let known = [model("small", Some(256)), model("medium", Some(512))];
        assert_eq!(placed(&known, &other), (vec![], PairedBy::Name, vec![0, 1]));
    }

    #[test]
    fn a_pairing_by_name_whose_width_differs_is_refused() {
        let models = [model("small", Some(256)), model("medium", Some(512))];
        let wrong = projector("ruvltra-small-0.5b-mmproj-f16.gguf", Some(512));
        assert_eq!(placed(&models, &wrong), (vec![], PairedBy::Name, vec![0]));
        let right = projector("ruvltra-small-0.5b-mmproj-f16.gguf", Some(256));
        assert_eq!(placed(&models, &right), (vec![0], PairedBy::Name, vec![]));
        // One model, another width: refused too.
        assert_eq!(
            placed(&models[1..], &projector("mmproj-f16.gguf", Some(256))),
            (vec![], PairedBy::Name, vec![0])
        );
        // A model stating no width keeps the name's pairing.
        let unknown = [model("small", None), model("medium", Some(512))];
        assert_eq!(placed(&unknown, &wrong), (vec![0], PairedBy::Name, vec![]));
    }

    #[test]
    fn a_refusal_shows_both_widths_and_where_the_projector_fits() {
        let models = [model("small", Some(256)), model("medium", Some(512))];
        let wrong = projector("ruvltra-small-0.5b-mmproj-f16.gguf", Some(512));
        let placements = place(&models, &[&wrong], "ruvltra");
        let mut small = String::new();
        write_model_projectors(&mut small, &placements, 0, &models);
        assert_eq!(
            small,
            "# `ruvltra-small-0.5b-mmproj-f16.gguf` is not this model's projector, though its name fits: its `clip.vision.projection_dim` is 512,\n\
             # this model's `qwen2.embedding_length` is 256, and llama.cpp refuses a projector of another width.\n\
             # Width 512 is that of `medium`: name it there if it belongs there.\n\
             # projector = \"ruvltra-small-0.5b-mmproj-f16.gguf\"\n"
        );
        let mut medium = String::new();
        write_model_projectors(&mut medium, &placements, 1, &models);
        assert_eq!(medium, "");
    }
}
