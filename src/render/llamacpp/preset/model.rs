//! The typed model of a router preset file: every part checked when built, so a [`Preset`]
//! always writes a file llama.cpp reads back as meant.

use std::fmt;
use std::path::Path;

use super::error::PresetError;
use crate::render::llamacpp::options::{
    ParameterMapping, find_option, map_ollama_parameter, suggest_option,
};

/// Keys whose options the typed fields of [`PresetSection`] write.
pub(super) const SOURCE_KEYS: &[&str] = &[
    "model",
    "model-url",
    "hf-repo",
    "hf-file",
    "docker-repo",
    "chat-template-file",
];

/// Options the router removes from, or overwrites in, every model's arguments
/// (`unset_reserved_args` and `update_args` in llama.cpp's `tools/server/server-models.cpp`).
pub(super) const ROUTER_KEYS: &[&str] = &[
    "ssl-key-file",
    "ssl-cert-file",
    "api-key",
    "api-key-file",
    "models-dir",
    "models-max",
    "models-preset",
    "models-autoload",
    "host",
    "port",
];

/// A value as it will stand in the file: llama.cpp reads back exactly these characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PresetValue(String);

impl PresetValue {
    /// Checks that `value` survives llama.cpp's reader unchanged; `what` names it in errors.
    pub fn new(what: &str, value: impl Into<String>) -> Result<Self, PresetError> {
        let value = value.into();
        if let Some(reason) = unwritable_reason(&value) {
            return Err(PresetError::UnwritableValue {
                what: what.to_owned(),
                value: value.escape_debug().to_string(),
                reason,
            });
        }
        Ok(Self(value))
    }

    /// The value's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PresetValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why llama.cpp would not read `value` back as written, if it would not.
fn unwritable_reason(value: &str) -> Option<&'static str> {
    if value.contains(['\n', '\r']) {
        Some("a line break ends the value")
    } else if value.contains([';', '#']) {
        Some("llama-server reads `;` and `#` as the start of a comment, even inside a value")
    } else if value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']) {
        Some("llama-server drops blanks around a value")
    } else if value.chars().any(char::is_control) {
        Some("it contains a control character")
    } else {
        None
    }
}

/// A preset key `llama-server` accepts, written as given (`temp`, `c`, `LLAMA_ARG_CTX_SIZE`)
/// and compared by the option it names, so `c` and `ctx-size` are one key.
#[derive(Debug, Clone)]
pub struct PresetKey {
    written: String,
    option: &'static str,
}

impl PresetKey {
    /// Checks `key` against the options of `llama-server` (any spelling a preset may use) and
    /// the preset-only keys; refuses the keys a section's typed fields write.
    pub fn new(key: &str) -> Result<Self, PresetError> {
        let option = canonical_key(key).ok_or_else(|| PresetError::UnknownOption {
            key: key.to_owned(),
            suggestion: suggest_option(key),
        })?;
        if SOURCE_KEYS.contains(&option) {
            return Err(PresetError::SourceOption {
                key: key.to_owned(),
            });
        }
        if ROUTER_KEYS.contains(&option) {
            return Err(PresetError::RouterOption {
                key: key.to_owned(),
            });
        }
        Ok(Self {
            written: key.to_owned(),
            option,
        })
    }

    /// The key as written to the file.
    pub fn as_str(&self) -> &str {
        &self.written
    }

    /// The option's long name (`ctx-size` for `c`), or the preset-only key.
    pub fn option(&self) -> &'static str {
        self.option
    }
}

impl PartialEq for PresetKey {
    fn eq(&self, other: &Self) -> bool {
        self.option == other.option
    }
}

impl Eq for PresetKey {}

/// The long name of the option `key` names (`ctx-size` for `c`), or the preset-only key.
pub(super) fn canonical_key(key: &str) -> Option<&'static str> {
    match find_option(key) {
        Some(option) => Some(option.preset_key()),
        None => crate::render::llamacpp::options::PRESET_ONLY_OPTIONS
            .iter()
            .copied()
            .find(|k| *k == key),
    }
}

/// Options of one section in the order they were set; setting a key again replaces its value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PresetOptions(Vec<(PresetKey, PresetValue)>);

impl PresetOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` (any spelling llama-server accepts) to `value`; setting an option again (in
    /// any spelling) replaces it in its first place.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> Result<(), PresetError> {
        let key = PresetKey::new(key)?;
        let value = PresetValue::new(&format!("value of '{}'", key.as_str()), value)?;
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => *slot = (key, value),
            None => self.0.push((key, value)),
        }
        Ok(())
    }

    /// Sets the llama.cpp option that Ollama's parameter `name` maps to (`temperature` sets
    /// `temp`); a parameter without one is [`PresetError::Unmappable`], for the caller to report.
    pub fn set_ollama_parameter(
        &mut self,
        name: &str,
        value: impl Into<String>,
    ) -> Result<(), PresetError> {
        match map_ollama_parameter(name) {
            ParameterMapping::Option(key) => self.set(key, value),
            ParameterMapping::Unmappable(reason) => Err(PresetError::Unmappable {
                name: name.to_owned(),
                reason,
            }),
        }
    }

    /// The value of `key` (any spelling), if set.
    pub fn get(&self, key: &str) -> Option<&PresetValue> {
        let key = PresetKey::new(key).ok()?;
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// The options in order.
    pub fn iter(&self) -> impl Iterator<Item = &(PresetKey, PresetValue)> {
        self.0.iter()
    }

    /// Whether no option is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A section name that llama.cpp keeps as written: the model's id in requests and `/models`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SectionName(String);

impl SectionName {
    /// Checks that `name` can stand in `[...]` and that llama.cpp will not rename it.
    pub fn new(name: impl Into<String>) -> Result<Self, PresetError> {
        let name = name.into();
        let reason = if name.is_empty() {
            Some("a section needs a name")
        } else if name == "*" {
            Some("`[*]` holds the defaults: set `Preset::defaults` instead")
        } else if name.contains(']') {
            Some("`]` ends the section name")
        } else if name.contains(['\n', '\r']) || name.chars().any(char::is_control) {
            Some("it contains a line break or control character")
        } else if name.starts_with([' ', '\t']) || name.ends_with([' ', '\t']) {
            Some("llama-server does not keep blanks around a section name the same way")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(PresetError::UnwritableValue {
                what: "section name".to_owned(),
                value: name.escape_debug().to_string(),
                reason,
            });
        }
        let becomes = canonical_section_name(&name);
        if becomes != name {
            return Err(PresetError::RenamedSection { name, becomes });
        }
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name llama.cpp gives a section: in `name:tag`, the tag becomes the upper-cased part
/// after its last `-` or `.` when that part is letters, digits and `_`, else the whole tag
/// upper-cased (`canonical_tag` in llama.cpp's `common/preset.cpp`).
pub fn canonical_section_name(name: &str) -> String {
    if name == "*" || name == "default" {
        return name.to_owned();
    }
    let Some((prefix, tag)) = name.rsplit_once(':') else {
        return name.to_owned();
    };
    let is_tag_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let canon = match tag.rfind(['-', '.']) {
        Some(at) if tag.len() > at + 1 && tag[at + 1..].chars().all(is_tag_char) => {
            tag[at + 1..].to_ascii_uppercase()
        }
        _ => tag.to_ascii_uppercase(),
    };
    format!("{prefix}:{canon}")
}

/// A Hub repository id, `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HfRepoId(String);

impl HfRepoId {
    /// Checks the Hub's rules for repository ids (letters, digits, `-`, `_`, `.`; no `--` or
    /// `..`; not starting or ending with `-` or `.`).
    pub fn new(repo: &str) -> Result<Self, PresetError> {
        let part_ok = |part: &str| {
            !part.is_empty()
                && part.len() <= 96
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                && !part.starts_with(['-', '.'])
                && !part.ends_with(['-', '.'])
                && !part.contains("--")
                && !part.contains("..")
        };
        match repo.split_once('/') {
            Some((owner, name)) if part_ok(owner) && part_ok(name) => Ok(Self(repo.to_owned())),
            _ => Err(PresetError::InvalidRepo {
                repo: repo.to_owned(),
            }),
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where llama.cpp gets a section's model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// `hf-repo = owner/repo` and `hf-file = file.gguf`: one file, never ambiguous.
    HfRepo {
        /// The repository.
        repo: HfRepoId,
        /// The file's path in the repository.
        file: PresetValue,
    },
    /// `hf-repo = owner/repo:QUANT`: llama.cpp picks the first file whose name holds the quant,
    /// so this is only right when no two files in the repository share it.
    HfRepoQuant {
        /// The repository.
        repo: HfRepoId,
        /// The quant label, matched case-insensitively in file names.
        quant: PresetValue,
    },
    /// `model = /path/to/file.gguf`; a relative path is resolved against the server's working
    /// directory.
    LocalModel(PresetValue),
}

impl ModelSource {
    /// `hf-repo` + `hf-file`.
    pub fn hf_file(repo: &str, file: &str) -> Result<Self, PresetError> {
        Ok(Self::HfRepo {
            repo: HfRepoId::new(repo)?,
            file: PresetValue::new("hf-file", file)?,
        })
    }

    /// `hf-repo = repo:QUANT`.
    pub fn hf_quant(repo: &str, quant: &str) -> Result<Self, PresetError> {
        if quant.is_empty() || !quant.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(PresetError::InvalidQuant {
                quant: quant.to_owned(),
            });
        }
        Ok(Self::HfRepoQuant {
            repo: HfRepoId::new(repo)?,
            quant: PresetValue::new("quant", quant)?,
        })
    }

    /// `model = path` (the path must be UTF-8 and writable as a value).
    pub fn local(path: &Path) -> Result<Self, PresetError> {
        Ok(Self::LocalModel(path_value("model path", path)?))
    }
}

/// A path as a preset value.
fn path_value(what: &str, path: &Path) -> Result<PresetValue, PresetError> {
    let text = path.to_str().ok_or_else(|| PresetError::UnwritableValue {
        what: what.to_owned(),
        value: path.display().to_string(),
        reason: "llama-server reads paths as UTF-8 text and this one is not",
    })?;
    PresetValue::new(what, text)
}

/// One model of the router: its name, where its GGUF comes from, and its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetSection {
    /// The model's id in requests and in `GET /models`.
    pub name: SectionName,
    /// Where the model comes from.
    pub source: ModelSource,
    /// `chat-template-file`: a Jinja template for a GGUF that carries none (resolved against
    /// the server's working directory when relative).
    pub chat_template_file: Option<PresetValue>,
    /// Further options (sampling defaults, context size, ...), written in order.
    pub options: PresetOptions,
}

impl PresetSection {
    /// A section with no chat template file and no options.
    pub fn new(name: SectionName, source: ModelSource) -> Self {
        Self {
            name,
            source,
            chat_template_file: None,
            options: PresetOptions::new(),
        }
    }

    /// Points `chat-template-file` at `path`.
    pub fn with_chat_template_file(mut self, path: &Path) -> Result<Self, PresetError> {
        self.chat_template_file = Some(path_value("chat-template-file", path)?);
        Ok(self)
    }
}

/// A router preset file: comment lines, defaults for every model (`[*]`), one section per model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preset {
    /// Comment lines written at the top (`; ...`), e.g. what generated the file.
    pub comments: Vec<String>,
    /// Options of `[*]`, applied to every model unless its section sets them.
    pub defaults: PresetOptions,
    /// The models, written in this order.
    pub sections: Vec<PresetSection>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_values_llama_cpp_would_change() {
        let mut options = PresetOptions::new();
        for bad in ["a;b", "a#b", " a", "a ", "a\nb", "a\rb", "a\u{7}b"] {
            assert!(
                matches!(
                    options.set("alias", bad),
                    Err(PresetError::UnwritableValue { .. })
                ),
                "{bad:?} should be refused"
            );
        }
        assert!(matches!(
            options.set("top_p", "1"),
            Err(PresetError::UnknownOption {
                suggestion: Some("top-p"),
                ..
            })
        ));
        assert!(matches!(
            options.set("m", "/x.gguf"),
            Err(PresetError::SourceOption { .. })
        ));
    }

    #[test]
    fn section_names_llama_cpp_renames() {
        assert_eq!(
            canonical_section_name("ruv/ruvltra:0.5b-q4_k_m"),
            "ruv/ruvltra:Q4_K_M"
        );
        assert_eq!(canonical_section_name("a:q8_0"), "a:Q8_0");
        assert_eq!(canonical_section_name("a:Q8_0"), "a:Q8_0");
        assert_eq!(canonical_section_name("a:b+c"), "a:B+C");
        assert_eq!(canonical_section_name("plain-name"), "plain-name");
        assert!(matches!(
            SectionName::new("x:0.5b-q4_k_m"),
            Err(PresetError::RenamedSection { becomes, .. }) if becomes == "x:Q4_K_M"
        ));
    }

    #[test]
    fn repo_ids() {
        assert!(HfRepoId::new("ruv/ruvltra").is_ok());
        for bad in ["ruvltra", "a/b/c", "a/-b", "a/b..c", "/b", "a b/c"] {
            assert!(HfRepoId::new(bad).is_err(), "{bad}");
        }
        assert!(ModelSource::hf_quant("a/b", "Q4_K_M:x").is_err());
    }

    #[test]
    fn ollama_parameters() {
        let mut options = PresetOptions::new();
        options.set_ollama_parameter("temperature", "0.7").unwrap();
        options.set_ollama_parameter("num_ctx", "8192").unwrap();
        assert_eq!(options.get("temp").map(PresetValue::as_str), Some("0.7"));
        assert_eq!(options.get("c").map(PresetValue::as_str), Some("8192"));
        assert!(matches!(
            options.set_ollama_parameter("stop", "<|im_end|>"),
            Err(PresetError::Unmappable { name, .. }) if name == "stop"
        ));
    }
}
