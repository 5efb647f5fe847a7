//! A commented starter manifest from the GGUF files in a folder or a Hub repository (what
//! `ruvltra-export init` writes): variants grouped into models by family and fine-tune, the
//! preferred quant chosen the way llama.cpp picks one (Q4_K_M, then Q8_0, then the first),
//! multimodal projectors paired with their model instead of becoming variants (see
//! `projector.rs`), and LoRA adapters never made variants: given to the one model of their
//! architecture, else listed in a comment saying why (see `adapter.rs`).
//!
//! [`Survey::read`] detects what each file is from its header (the name only when the header
//! cannot be read); [`Survey::manifest`] pairs and writes. The projector width rule used here
//! ([`Width`]) is the one resolution enforces on a hand-written manifest.

mod adapter;
mod projector;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::gguf::{GgufHeader, Quant};
use crate::source::{HubClient, Source, SourceError};

pub use adapter::{AdapterEvidence, is_adapter_name};
pub use projector::{
    PairedBy, PairingModel, Placement, ProjectorEvidence, Role, Width, is_projector_name, place,
};

/// Why no starter manifest could be made from a source.
#[derive(Debug, thiserror::Error)]
pub enum StarterError {
    /// The source could not be listed.
    #[error(transparent)]
    Source(Box<SourceError>),
    /// The source holds no GGUF file.
    #[error("`{source_name}` holds no `.gguf` files")]
    NoGguf {
        /// The source as given.
        source_name: String,
    },
    /// A file's header could not be read and its name does not say it is a projector or an
    /// adapter (which could go on without it).
    #[error("cannot read the header of `{file}`")]
    Header {
        /// The file, as the manifest would name it.
        file: String,
        /// Why.
        #[source]
        source: Box<SourceError>,
    },
    /// Every file is a projector or an adapter: there is no model to build on.
    #[error("`{source_name}` holds only {what}: add the model's GGUF files")]
    NoModel {
        /// The source as given.
        source_name: String,
        /// What it holds instead.
        what: &'static str,
    },
}

/// A file whose header could not be read but whose name says what it is, so the survey went
/// on and lists it (commented out).
#[derive(Debug, Clone, PartialEq)]
pub struct UnreadHeader {
    /// The file, as the manifest names it.
    pub file: String,
    /// Why the header could not be read (one line).
    pub reason: String,
    /// What its name says it is.
    pub role: Role,
}

/// One GGUF file as `init` sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundFile {
    /// The file name (path in the repository).
    pub file: String,
    /// `general.basename`, as written.
    pub basename: Option<String>,
    /// `general.finetune`, lower-case.
    pub finetune: Option<String>,
    /// `general.size_label`.
    pub size: Option<String>,
    /// The quant (header, else file name).
    pub quant: Option<String>,
    /// `general.license`.
    pub license: Option<String>,
    /// `general.architecture`.
    pub architecture: Option<String>,
    /// A model, a multimodal projector or an adapter (neither of which is a variant).
    pub role: Role,
    /// A model's embedding length or a projector's projection dimension: llama.cpp pairs
    /// them only when equal (see [`Width::from_header`]).
    pub width: Option<Width>,
}

impl FoundFile {
    /// What `init` needs from a file and its header.
    pub fn new(file: &str, header: &GgufHeader) -> FoundFile {
        let quant = header
            .file_type()
            .and_then(|ft| ft.name())
            .map(str::to_owned)
            .or_else(|| Quant::from_file_name(file).map(|q| q.to_string()));
        let role = Role::from_header(header);
        FoundFile {
            file: file.to_owned(),
            basename: header.basename().map(str::to_owned),
            finetune: header.finetune().map(str::to_ascii_lowercase),
            size: header.size_label().map(str::to_owned),
            quant,
            license: header.license().map(str::to_owned),
            architecture: header.architecture().map(str::to_owned),
            width: Width::from_header(header, &role),
            role,
        }
    }

    /// A projector known only by its name, because its header could not be read (`reason`,
    /// one line).
    pub fn unread_projector(file: &str, reason: &str) -> FoundFile {
        FoundFile::unread(
            file,
            Role::Projector(ProjectorEvidence::FileName(reason.to_owned())),
        )
    }

    /// An adapter known only by its name, because its header could not be read (`reason`,
    /// one line).
    pub fn unread_adapter(file: &str, reason: &str) -> FoundFile {
        FoundFile::unread(
            file,
            Role::Adapter(AdapterEvidence::FileName(reason.to_owned())),
        )
    }

    fn unread(file: &str, role: Role) -> FoundFile {
        FoundFile {
            file: file.to_owned(),
            basename: None,
            finetune: None,
            size: None,
            quant: Quant::from_file_name(file).map(|q| q.to_string()),
            license: None,
            architecture: None,
            role,
            width: None,
        }
    }

    /// The file name without its folder and `.gguf`, lower-case: what keys are made from.
    fn stem(&self) -> String {
        let name = self.file.rsplit('/').next().unwrap_or(&self.file);
        name.trim_end_matches(".gguf").to_ascii_lowercase()
    }

    /// The key of the model a projector belongs to, made like [`FoundFile::model_key`] with
    /// `mmproj` and size-like parts left out too (projector headers seldom carry a size).
    fn projector_key(&self, family: &str) -> String {
        if let Some(finetune) = &self.finetune {
            return slug(finetune);
        }
        let quant = self.lower_quant();
        let size = self.lower_size();
        // The quant goes first, whole, so that `_` may then split words (`mmproj_model_f16`).
        let stem = match quant.as_str() {
            "" => self.stem(),
            quant => self.stem().replace(quant, ""),
        };
        let key = slug(
            &stem
                .split(['-', '_'])
                .filter(|p| {
                    !p.is_empty()
                        && *p != family
                        && *p != size
                        && *p != "mmproj"
                        && !projector::looks_like_size(p)
                })
                .collect::<Vec<_>>()
                .join("-"),
        );
        if key.is_empty() { "base".into() } else { key }
    }

    fn lower_quant(&self) -> String {
        self.quant
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase()
    }

    fn lower_size(&self) -> String {
        self.size
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase()
    }

    /// The model key: the fine-tune, else the file name without family, size and quant.
    fn model_key(&self, family: &str) -> String {
        if let Some(finetune) = &self.finetune {
            return slug(finetune);
        }
        let stem = self.stem();
        let mut parts: Vec<&str> = stem.split('-').collect();
        let quant = self.lower_quant();
        let size = self.lower_size();
        parts.retain(|p| !p.is_empty() && *p != family && *p != quant && *p != size);
        let key = slug(&parts.join("-"));
        if key.is_empty() { "base".into() } else { key }
    }
}

fn slug(s: &str) -> String {
    let s: String = s
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    s.split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The preferred quant among `quants`: Q4_K_M, then Q8_0, then the first.
fn preferred(quants: &[String]) -> Option<&String> {
    ["Q4_K_M", "Q8_0"]
        .iter()
        .find_map(|want| quants.iter().find(|q| q.eq_ignore_ascii_case(want)))
        .or(quants.first())
}

/// The starter manifest for `files` found in `source` (`repo` is `owner/name` when known).
/// Models come from the model files alone; each projector is placed with [`place`], and
/// each adapter goes to the one model of its architecture or, when that is not clear, into a
/// comment.
pub fn starter_manifest(
    source: &str,
    repo: Option<&str>,
    local: Option<&str>,
    all_files: &[FoundFile],
) -> String {
    starter(source, repo, local, all_files).text
}

/// A starter manifest's text and what `init` says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StarterManifest {
    /// The TOML, comments included.
    pub text: String,
    /// How many adapters it applied to a model (the others are named in a comment).
    pub adapters_applied: usize,
}

/// [`starter_manifest`] and how many adapters it applied to a model.
fn starter(
    source: &str,
    repo: Option<&str>,
    local: Option<&str>,
    all_files: &[FoundFile],
) -> StarterManifest {
    let files: Vec<&FoundFile> = all_files.iter().filter(|f| f.role == Role::Model).collect();
    let projectors: Vec<&FoundFile> = all_files
        .iter()
        .filter(|f| matches!(f.role, Role::Projector(_)))
        .collect();
    let adapters: Vec<&FoundFile> = all_files
        .iter()
        .filter(|f| matches!(f.role, Role::Adapter(_)))
        .collect();
    let family = files
        .iter()
        .find_map(|f| f.basename.clone())
        .unwrap_or_else(|| {
            files
                .first()
                .map(|f| {
                    f.stem()
                        .split('-')
                        .next()
                        .unwrap_or("model")
                        .to_ascii_lowercase()
                })
                .unwrap_or_else(|| "model".into())
        });
    let display = family.clone();
    let family = slug(&family);
    let publisher = repo
        .and_then(|r| r.split('/').next())
        .unwrap_or(PLACEHOLDER_USER)
        .to_owned();
    let repo = repo
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{publisher}/{family}"));
    let license = files
        .iter()
        .find_map(|f| f.license.clone())
        .unwrap_or_else(|| PLACEHOLDER_LICENSE.into());
    let mut models: Vec<(String, Vec<&FoundFile>)> = Vec::new();
    for &f in &files {
        let key = f.model_key(&family);
        match models.iter_mut().find(|(k, _)| *k == key) {
            Some((_, list)) => list.push(f),
            None => models.push((key, vec![f])),
        }
    }
    let pairing: Vec<PairingModel> = models
        .iter()
        .map(|(key, list)| PairingModel {
            key: key.clone(),
            embedding: list.iter().find_map(|f| f.width.clone()),
        })
        .collect();
    let placements = place(&pairing, &projectors, &family);
    let q = |s: &str| toml_string(s);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Starter manifest written by `ruvltra-export init {source}`."
    );
    let _ = writeln!(
        out,
        "# It states only what GGUF headers and the Hub cannot tell; fill in the TODOs,"
    );
    let _ = writeln!(
        out,
        "# then run `ruvltra-export check ruvltra.toml` and `ruvltra-export explain`."
    );
    let _ = writeln!(out, "# Every key: docs/manifest.md.\n");
    let architectures: Vec<(String, Option<String>)> = models
        .iter()
        .map(|(key, list)| {
            (
                key.clone(),
                list.iter().find_map(|f| f.architecture.clone()),
            )
        })
        .collect();
    let applied = adapter::place_adapters(&adapters, &architectures);
    let left_out: Vec<&FoundFile> = adapters
        .iter()
        .copied()
        .filter(|a| !applied.iter().flatten().any(|p| std::ptr::eq(*p, *a)))
        .collect();
    adapter::write_adapters(&mut out, &left_out, &architectures);
    let _ = writeln!(out, "[family]");
    let _ = writeln!(out, "name = {}", q(&display));
    let _ = writeln!(out, "# TODO: one paragraph for the model card.");
    let _ = writeln!(
        out,
        "description = {}",
        q(&format!("The {family} models in GGUF format."))
    );
    if publisher == PLACEHOLDER_USER {
        let _ = writeln!(
            out,
            "# TODO: your Hub user or organisation (also in [hub] repo and [ollama] namespace)."
        );
    }
    let _ = writeln!(out, "publisher = {}", q(&publisher));
    let _ = writeln!(
        out,
        "# TODO: the Hub id of the model these are quantized from."
    );
    let _ = writeln!(out, "# base_model = \"owner/model\"");
    if license == PLACEHOLDER_LICENSE {
        let _ = writeln!(
            out,
            "# TODO: no GGUF header names a license: a Hub license id such as \"apache-2.0\","
        );
        let _ = writeln!(
            out,
            "# or {{ name = \"...\", link = \"https://...\" }}. `check` and `push` refuse TODO."
        );
    }
    let _ = writeln!(out, "license = {}", q(&license));
    let _ = writeln!(out, "languages = [\"en\"]");
    let _ = writeln!(out, "tags = []");
    let _ = writeln!(
        out,
        "# The model `:latest` and the repository-root Ollama files describe."
    );
    let _ = writeln!(
        out,
        "default_model = {}\n",
        q(models.first().map(|m| m.0.as_str()).unwrap_or("base"))
    );
    let _ = writeln!(out, "[hub]\nrepo = {}\nrevision = \"main\"\n", q(&repo));
    if let Some(local) = local {
        let _ = writeln!(
            out,
            "[source]\n# `--from local` reads the GGUF files from here (relative to this file)."
        );
        let _ = writeln!(out, "local = {}\n", q(local));
    }
    let _ = writeln!(
        out,
        "[defaults.parameters]\n# TODO: the sampling the models are meant to run with (Ollama names).\n# temperature = 0.7\n"
    );
    for (index, (key, list)) in models.iter().enumerate() {
        let quants: Vec<String> = list.iter().filter_map(|f| f.quant.clone()).collect();
        let best = preferred(&quants).cloned().unwrap_or_default();
        let arch = list
            .iter()
            .find_map(|f| f.architecture.clone())
            .unwrap_or_default();
        let _ = writeln!(out, "[models.{}]", toml_key(key));
        let _ = writeln!(
            out,
            "# {} file(s), architecture {}.",
            list.len(),
            if arch.is_empty() { "unknown" } else { &arch }
        );
        // A model keyed by the family's own name (a one-model family) is just the family.
        let name = if *key == slug(&display) {
            display.clone()
        } else {
            format!("{display} {key}")
        };
        let _ = writeln!(out, "name = {}", q(&name));
        let mut variant_keys: Vec<String> = Vec::new();
        for f in list {
            let vkey = slug(f.quant.as_deref().unwrap_or(&f.file)).replace('-', "_");
            let vkey = if variant_keys.contains(&vkey) {
                slug(f.file.trim_end_matches(".gguf"))
            } else {
                vkey
            };
            variant_keys.push(vkey);
        }
        let default = list
            .iter()
            .zip(&variant_keys)
            .find(|(f, _)| f.quant.as_deref() == Some(best.as_str()))
            .map(|(_, k)| k.as_str())
            .or(variant_keys.first().map(String::as_str))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "# The preferred quant (`:size` and `:latest` on Ollama)."
        );
        let _ = writeln!(out, "default_variant = {}", q(default));
        projector::write_model_projectors(&mut out, &placements, index, &pairing);
        if let Some(Some(adapter)) = applied.get(index) {
            adapter::write_model_adapter(&mut out, adapter);
        }
        let _ = writeln!(out);
        for (f, vkey) in list.iter().zip(&variant_keys) {
            let _ = writeln!(
                out,
                "[models.{}.variants.{}]",
                toml_key(key),
                toml_key(vkey)
            );
            let _ = writeln!(out, "file = {}\n", q(&f.file));
        }
    }
    let _ = writeln!(
        out,
        "[ollama]\nnamespace = {}\nbasename = {}",
        q(&publisher),
        q(&family)
    );
    StarterManifest {
        text: out,
        adapters_applied: applied.iter().flatten().count(),
    }
}

fn toml_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

fn toml_key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        s.to_owned()
    } else {
        toml_string(s)
    }
}

/// The publisher `init` writes when it cannot tell it (no Hub repository given): `check` and
/// every push refuse it until it is replaced.
pub const PLACEHOLDER_USER: &str = "YOUR-HUB-USER";

/// The license `init` writes when no header names one: a placeholder, never a guess.
pub const PLACEHOLDER_LICENSE: &str = "TODO";

/// Whether a manifest value is one of `init`'s placeholders (it is, or contains,
/// [`PLACEHOLDER_USER`], or it is [`PLACEHOLDER_LICENSE`]).
pub fn is_placeholder(value: &str) -> bool {
    value.contains(PLACEHOLDER_USER) || value.trim() == PLACEHOLDER_LICENSE
}

/// The GGUF files of one source, each detected from its header: what a starter manifest is
/// written from.
#[derive(Debug, Clone)]
pub struct Survey {
    /// The source as given (`models`, `hf://owner/repo`): the manifest's first comment.
    pub source: String,
    /// The source itself.
    pub location: Source,
    /// Every file found, in listing order.
    pub files: Vec<FoundFile>,
}

impl Survey {
    /// Lists `source` and reads every header (through `hub` for a Hub repository). A file
    /// whose header cannot be read is an error, unless its name says it is a projector or an
    /// adapter: then it is kept, `unread` hears of it, and the manifest lists it commented out.
    pub fn read(
        input: &str,
        source: Source,
        hub: Option<&HubClient>,
        unread: &mut dyn FnMut(&UnreadHeader),
    ) -> Result<Survey, StarterError> {
        let listed = source
            .files(hub)
            .map_err(|e| StarterError::Source(Box::new(e)))?;
        if listed.is_empty() {
            return Err(StarterError::NoGguf {
                source_name: input.to_owned(),
            });
        }
        let mut files = Vec::new();
        for file in &listed {
            // A Hub path keeps its folder (a projector often sits in one); a local folder is
            // not searched recursively, so its file name is enough. A local name that is not
            // UTF-8 is refused: written with replacement characters it would name no file.
            let name = file
                .manifest_name()
                .map_err(|e| StarterError::Source(Box::new(e)))?;
            match file.read_header(hub) {
                Ok(read) => files.push(FoundFile::new(&name, &read.header)),
                Err(err) if is_projector_name(&name) || is_adapter_name(&name) => {
                    let reason = err.to_string();
                    let reason = reason.lines().next().unwrap_or_default();
                    // Only a projector or an adapter may go on without its header.
                    let found = if is_projector_name(&name) {
                        FoundFile::unread_projector(&name, reason)
                    } else {
                        FoundFile::unread_adapter(&name, reason)
                    };
                    unread(&UnreadHeader {
                        file: name,
                        reason: reason.to_owned(),
                        role: found.role.clone(),
                    });
                    files.push(found);
                }
                Err(source) => {
                    return Err(StarterError::Header {
                        file: name,
                        source: Box::new(source),
                    });
                }
            }
        }
        let survey = Survey {
            source: input.to_owned(),
            location: source,
            files,
        };
        let (projectors, adapters) = (survey.projectors(), survey.adapters());
        if projectors + adapters == survey.files.len() {
            let what = match (projectors, adapters) {
                (_, 0) => "multimodal projectors, no model to pair them with",
                (0, _) => "adapters, no base model to run them on",
                _ => "multimodal projectors and adapters, no model",
            };
            return Err(StarterError::NoModel {
                source_name: survey.source,
                what,
            });
        }
        Ok(survey)
    }

    /// How many files are multimodal projectors.
    pub fn projectors(&self) -> usize {
        self.files
            .iter()
            .filter(|f| matches!(f.role, Role::Projector(_)))
            .count()
    }

    /// How many files are LoRA adapters.
    pub fn adapters(&self) -> usize {
        self.files
            .iter()
            .filter(|f| matches!(f.role, Role::Adapter(_)))
            .count()
    }

    /// The starter manifest for a file written at `manifest_path`: a local folder (a local
    /// file's folder) is named relative to it, a Hub repository by its id.
    pub fn manifest(&self, manifest_path: &Path) -> StarterManifest {
        let (repo, local) = match &self.location {
            Source::Hub(r) => (Some(r.repo.to_string()), None),
            Source::Local(path) => {
                // `init FILE.gguf` lists that one file; `local` must still name its folder,
                // which `--from local` lists.
                let path = if path.is_file() {
                    path.parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .unwrap_or(Path::new("."))
                } else {
                    path.as_path()
                };
                let base = manifest_path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from("."));
                let rel = crate::render::output::relative_path(&base, path)
                    .unwrap_or_else(|_| path.display().to_string());
                (
                    None,
                    Some(if rel.is_empty() { ".".to_owned() } else { rel }),
                )
            }
        };
        starter(&self.source, repo.as_deref(), local.as_deref(), &self.files)
    }
}

/// A GGUF header with string `keys` and `u32` `widths`, written by our writer and read back:
/// what the detection tests of this module's files feed on.
#[cfg(test)]
fn test_header(keys: &[(&str, &str)], widths: &[(&str, u32)]) -> GgufHeader {
    use crate::gguf::{GgufWriter, Value};
    let mut w = GgufWriter::new();
    for (key, value) in keys {
        w.set(*key, Value::String((*value).to_owned()));
    }
    for (key, value) in widths {
        w.set(*key, Value::U32(*value));
    }
    let mut bytes = Vec::new();
    w.write_to(&mut bytes).unwrap();
    GgufHeader::read(bytes.as_slice(), Some(bytes.len() as u64)).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(file: &str, quant: &str, finetune: Option<&str>) -> FoundFile {
        FoundFile {
            file: file.into(),
            basename: Some("ruvltra".into()),
            finetune: finetune.map(str::to_owned),
            size: Some("0.5B".into()),
            quant: Some(quant.into()),
            license: None,
            architecture: Some("qwen2".into()),
            role: Role::Model,
            width: None,
        }
    }

    #[test]
    fn groups_by_finetune_and_prefers_q4_k_m() {
        let files = [
            f("ruvltra-small-0.5b-q8_0.gguf", "Q8_0", None),
            f("ruvltra-small-0.5b-q4_k_m.gguf", "Q4_K_M", None),
            f(
                "ruvltra-claude-code-0.5b-q4_k_m.gguf",
                "Q4_K_M",
                Some("Claude-Code"),
            ),
        ];
        let text = starter_manifest("x", Some("ruv/ruvltra"), None, &files);
        let manifest =
            crate::manifest::Manifest::parse(&text, std::path::Path::new("ruvltra.toml"))
                .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let keys: Vec<&str> = manifest.models.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["small", "claude-code"]);
        assert_eq!(manifest.models[0].default_variant, "q4_k_m");
        assert_eq!(manifest.models[0].variants.len(), 2);
        assert_eq!(manifest.hub.repo, "ruv/ruvltra");
    }

    #[test]
    fn a_model_keyed_by_the_family_name_is_named_once() {
        let gemma = FoundFile {
            basename: Some("gemma-3".into()),
            size: Some("270M".into()),
            ..f("gemma-3-270m-q4_k_m.gguf", "Q4_K_M", None)
        };
        let text = starter_manifest("x", None, None, &[gemma]);
        let manifest =
            crate::manifest::Manifest::parse(&text, std::path::Path::new("ruvltra.toml"))
                .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(manifest.models[0].key, "gemma-3");
        assert!(text.contains("name = \"gemma-3\"\n"), "{text}");
        // Other models keep the family in front of their key.
        let small = starter_manifest(
            "x",
            None,
            None,
            &[f("ruvltra-small-0.5b-q8_0.gguf", "Q8_0", None)],
        );
        assert!(small.contains("name = \"ruvltra small\"\n"), "{small}");
    }

    fn projector(file: &str, quant: &str, role: Role) -> FoundFile {
        FoundFile {
            file: file.into(),
            basename: None,
            finetune: None,
            size: None,
            quant: Some(quant.into()),
            license: None,
            architecture: Some("clip".into()),
            role,
            width: None,
        }
    }

    #[test]
    fn projectors_are_paired_never_variants() {
        let header = Role::Projector(ProjectorEvidence::Header);
        let files = [
            // Sorted first, as `mmproj-*` names are: still not where the family comes from.
            projector("mmproj-model-f16.gguf", "F16", header.clone()),
            f("ruvltra-small-0.5b-q8_0.gguf", "Q8_0", None),
            f("ruvltra-small-0.5b-q4_k_m.gguf", "Q4_K_M", None),
            projector("ruvltra-small-0.5b-mmproj-f32.gguf", "F32", header.clone()),
            projector("ruvltra-small-0.5b-mmproj-f16.gguf", "F16", header.clone()),
            projector(
                "ruvltra-claude-code-mmproj-f16.gguf",
                "F16",
                Role::Projector(ProjectorEvidence::LegacyClip),
            ),
            f(
                "ruvltra-claude-code-0.5b-q4_k_m.gguf",
                "Q4_K_M",
                Some("Claude-Code"),
            ),
        ];
        let text = starter_manifest("x", Some("ruv/ruvltra"), None, &files);
        let manifest =
            crate::manifest::Manifest::parse(&text, std::path::Path::new("ruvltra.toml"))
                .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(manifest.family.name, "ruvltra", "{text}");
        let small = &manifest.models[0];
        assert_eq!(small.key, "small");
        assert_eq!(small.variants.len(), 2, "{text}");
        // Two projectors name `small`: the F16 one is the key, the choice is explained.
        assert_eq!(
            small.projector.as_deref(),
            Some("ruvltra-small-0.5b-mmproj-f16.gguf")
        );
        assert!(
            text.contains("Several multimodal projectors fit this model: `ruvltra-small-0.5b-mmproj-f16.gguf` (F16), `ruvltra-small-0.5b-mmproj-f32.gguf` (F32)."),
            "{text}"
        );
        // A legacy projector is claude-code's, commented out with the reason.
        let claude = &manifest.models[1];
        assert_eq!(claude.projector, None);
        assert!(
            text.contains("# `ruvltra-claude-code-mmproj-f16.gguf` looks like this model's projector.\n# Its header (architecture `clip`) lacks `general.type = mmproj`")
                && text.contains("# projector = \"ruvltra-claude-code-mmproj-f16.gguf\""),
            "{text}"
        );
        // A name that fits no model is offered, commented out, to both.
        assert_eq!(
            text.matches("# projector = \"mmproj-model-f16.gguf\"")
                .count(),
            2,
            "{text}"
        );
        assert!(text.contains("of `small` or `claude-code`"), "{text}");
        let variant_files: Vec<&str> = manifest
            .models
            .iter()
            .flat_map(|m| m.variants.iter().map(|v| v.file.as_str()))
            .collect();
        assert!(
            variant_files.iter().all(|f| !f.contains("mmproj")),
            "{variant_files:?}"
        );
    }

    #[test]
    fn projector_keys_leave_out_family_size_quant_and_mmproj() {
        let header = Role::Projector(ProjectorEvidence::Header);
        for (file, quant, key) in [
            ("ruvltra-small-0.5b-mmproj-f16.gguf", "F16", "small"),
            ("mmproj-ruvltra-claude-code-F32.gguf", "F32", "claude-code"),
            ("mmproj_model_f16.gguf", "F16", "model"),
            ("vision/mmproj-BF16.gguf", "BF16", "base"),
            ("ruvltra-8x7b-mmproj-q8_0.gguf", "Q8_0", "base"),
        ] {
            assert_eq!(
                projector(file, quant, header.clone()).projector_key("ruvltra"),
                key,
                "{file}"
            );
        }
        let mut tuned = projector("mmproj-f16.gguf", "F16", header);
        tuned.finetune = Some("claude-code".into());
        assert_eq!(tuned.projector_key("ruvltra"), "claude-code");
    }

    #[test]
    fn a_projector_without_a_readable_header_is_commented_out() {
        let files = [
            f("ruvltra-small-0.5b-q4_k_m.gguf", "Q4_K_M", None),
            FoundFile::unread_projector("mmproj-f16.gguf", "invalid GGUF header"),
        ];
        assert_eq!(files[1].quant.as_deref(), Some("F16"));
        let text = starter_manifest("x", None, Some("."), &files);
        let manifest =
            crate::manifest::Manifest::parse(&text, std::path::Path::new("ruvltra.toml"))
                .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(manifest.models[0].projector, None);
        assert_eq!(manifest.models[0].variants.len(), 1);
        assert!(
            text.contains("header could not be read")
                && text.contains("(invalid GGUF header)")
                && text.contains("# projector = \"mmproj-f16.gguf\""),
            "{text}"
        );
    }

    #[test]
    fn adapters_are_named_in_a_comment_never_variants() {
        let lora = |file: &str| FoundFile {
            role: Role::Adapter(AdapterEvidence::Header {
                adapter_type: Some("lora".into()),
            }),
            ..f(file, "F16", None)
        };
        let files = [
            lora("ruvltra-small-0.5b-lora-f16.gguf"),
            f("ruvltra-small-0.5b-q4_k_m.gguf", "Q4_K_M", None),
            lora("ruvltra-0.5b-f16.gguf"),
            FoundFile::unread_adapter("ggml-adapter-model.gguf", "invalid GGUF header"),
        ];
        let text = starter_manifest("x", Some("ruv/ruvltra"), None, &files);
        let manifest =
            crate::manifest::Manifest::parse(&text, std::path::Path::new("ruvltra.toml"))
                .unwrap_or_else(|e| panic!("{e}\n{text}"));
        // The family and the models come from the model alone.
        assert_eq!(manifest.family.default_model.as_str(), "small", "{text}");
        let keys: Vec<&str> = manifest.models.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["small"], "{text}");
        let variants: Vec<&str> = manifest.models[0]
            .variants
            .iter()
            .map(|v| v.file.as_str())
            .collect();
        assert_eq!(variants, ["ruvltra-small-0.5b-q4_k_m.gguf"], "{text}");
        for file in [
            "ruvltra-small-0.5b-lora-f16.gguf",
            "ruvltra-0.5b-f16.gguf",
            "ggml-adapter-model.gguf",
        ] {
            assert_eq!(
                text.matches(&format!("# - `{file}`: ")).count(),
                1,
                "{text}"
            );
        }
        assert!(
            text.contains("a LoRA adapter (its header says `general.type = adapter`), for architecture `qwen2` like `small`"),
            "{text}"
        );
    }

    #[test]
    fn an_adapter_only_one_model_fits_is_a_live_key() {
        let files = [
            f("ruvltra-small-0.5b-q4_k_m.gguf", "Q4_K_M", None),
            FoundFile {
                role: Role::Adapter(AdapterEvidence::Header {
                    adapter_type: Some("lora".into()),
                }),
                ..f("ruvltra-small-0.5b-sql-lora-f16.gguf", "F16", None)
            },
        ];
        let StarterManifest {
            text,
            adapters_applied: applied,
        } = starter("x", Some("ruv/ruvltra"), None, &files);
        assert_eq!(applied, 1);
        let manifest =
            crate::manifest::Manifest::parse(&text, std::path::Path::new("ruvltra.toml"))
                .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(
            manifest.models[0].adapter.as_ref().map(|a| a.file.as_str()),
            Some("ruvltra-small-0.5b-sql-lora-f16.gguf"),
            "{text}"
        );
        assert!(!text.contains("# Adapters found"), "{text}");
    }

    #[test]
    fn a_projector_the_width_pairs_is_a_live_key_with_the_reason() {
        let width = |key: &str, value| {
            Some(Width {
                key: key.into(),
                value,
            })
        };
        let model = |file: &str, finetune: &str, value| FoundFile {
            width: width("qwen2.embedding_length", value),
            ..f(file, "Q4_K_M", Some(finetune))
        };
        let files = [
            model("ruvltra-small-0.5b-q4_k_m.gguf", "small", 896),
            model("ruvltra-small-code-1.5b-q4_k_m.gguf", "small-code", 1536),
            FoundFile {
                file: "ruvltra-mmproj-f16.gguf".into(),
                basename: None,
                finetune: None,
                size: None,
                quant: Some("F16".into()),
                license: None,
                architecture: Some("clip".into()),
                role: Role::Projector(ProjectorEvidence::Header),
                width: width("clip.vision.projection_dim", 1536),
            },
        ];
        let text = starter_manifest("x", Some("ruv/ruvltra"), None, &files);
        let manifest =
            crate::manifest::Manifest::parse(&text, std::path::Path::new("ruvltra.toml"))
                .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(manifest.models[0].projector, None, "{text}");
        assert_eq!(
            manifest.models[1].projector.as_deref(),
            Some("ruvltra-mmproj-f16.gguf"),
            "{text}"
        );
        assert!(
            text.contains("# `ruvltra-mmproj-f16.gguf`: its name fits several models; its `clip.vision.projection_dim` 1536 equals this model's `qwen2.embedding_length` alone.\nprojector = "),
            "{text}"
        );
    }
}
