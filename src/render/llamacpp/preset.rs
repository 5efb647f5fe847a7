//! The router preset file: a typed model, its deterministic writer, and a validator that reads
//! any preset file the way `llama-server --models-preset` does.
//!
//! What llama.cpp's reader (`common/preset.cpp`, build 11434) does, and what follows from it:
//! - A line is a `[section]` header, `key = value`, a comment (`;` or `#` after optional
//!   blanks) or blank. Nothing may precede a key or a header, not even a space: anything else
//!   fails the whole file.
//! - A value runs to the first `;` or `#` (a comment, even without a space before it) or the
//!   end of the line, without surrounding blanks. So a value can never hold `;`, `#`, a line
//!   break or outer blanks: the writer refuses such values instead of writing a different one.
//! - A repeated `[section]` header starts that section afresh (the earlier keys are lost);
//!   a repeated key keeps its last value. `version` is reserved and skipped.
//! - In a section name `name:tag`, the tag is rewritten to the upper-cased part after its last
//!   `-` or `.` (`x:0.5b-q4_k_m` becomes `x:Q4_K_M`), so the writer only takes names that stay.
//! - Keys before the first section form a model named `default`; `[*]` holds the defaults of
//!   every model.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::options::{
    ParameterMapping, find_option, is_preset_key, map_ollama_parameter, suggest_option,
};

/// Why a preset could not be built or written: the value, and what would go wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PresetError {
    /// A key `llama-server` does not accept; the server would refuse to start.
    #[error("option '{key}' is not recognized by llama-server{}", did_you_mean(*suggestion))]
    UnknownOption {
        /// The key as given.
        key: String,
        /// The closest known key, if any.
        suggestion: Option<&'static str>,
    },
    /// A key that a section sets through its typed fields (model source, chat template).
    #[error(
        "option '{key}' names the model source or chat template: set it through the section's \
         `source` or `chat_template_file` instead"
    )]
    SourceOption {
        /// The key as given.
        key: String,
    },
    /// An Ollama parameter no llama.cpp option carries; the generator reports it.
    #[error("Ollama parameter `{name}` has no llama.cpp preset option: {reason}")]
    Unmappable {
        /// The Ollama parameter name.
        name: String,
        /// Why, and what to do instead.
        reason: &'static str,
    },
    /// A key the router removes or replaces for every model (host, port, API key, ...).
    #[error(
        "option '{key}' is set by the llama-server router for each model, so a preset cannot set it"
    )]
    RouterOption {
        /// The key as given.
        key: String,
    },
    /// A value that llama.cpp would read back differently, so it cannot be written.
    #[error("{what} `{value}` cannot be written to a preset file: {reason}")]
    UnwritableValue {
        /// What the value is (`value of 'temp'`, `section name`, `comment`, ...).
        what: String,
        /// The value as given (with control characters escaped).
        value: String,
        /// What llama.cpp would do with it.
        reason: &'static str,
    },
    /// A section name llama.cpp would rename when it reads the file.
    #[error(
        "section name `{name}` would be renamed to `{becomes}` by llama-server (it upper-cases \
         the tag after the last `-` or `.`): use `{becomes}` or a name without `:`"
    )]
    RenamedSection {
        /// The name as given.
        name: String,
        /// The name llama.cpp would use.
        becomes: String,
    },
    /// Not a Hub repository id.
    #[error(
        "`{repo}` is not a Hub repository id: expected `owner/name` of letters, digits, `-`, `_` and `.`"
    )]
    InvalidRepo {
        /// The id as given.
        repo: String,
    },
    /// Not a quant label llama.cpp can match in file names.
    #[error("`{quant}` is not a quant label: expected letters, digits and `_` (like `Q4_K_M`)")]
    InvalidQuant {
        /// The label as given.
        quant: String,
    },
    /// Two sections with one name: llama.cpp would keep only the last.
    #[error("section `[{name}]` appears twice: llama-server would keep only the last one")]
    DuplicateSection {
        /// The repeated name.
        name: String,
    },
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean '{s}'?)"))
        .unwrap_or_default()
}

/// Keys whose options the typed fields of [`PresetSection`] write.
const SOURCE_KEYS: &[&str] = &[
    "model",
    "model-url",
    "hf-repo",
    "hf-file",
    "docker-repo",
    "chat-template-file",
];

/// Options the router removes from, or overwrites in, every model's arguments
/// (`unset_reserved_args` and `update_args` in llama.cpp's `tools/server/server-models.cpp`).
const ROUTER_KEYS: &[&str] = &[
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
fn canonical_key(key: &str) -> Option<&'static str> {
    match find_option(key) {
        Some(option) => Some(option.preset_key()),
        None => super::options::PRESET_ONLY_OPTIONS
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

    /// The `key = value` lines this source writes.
    fn lines(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::HfRepo { repo, file } => vec![
                ("hf-repo", repo.as_str().to_owned()),
                ("hf-file", file.as_str().to_owned()),
            ],
            Self::HfRepoQuant { repo, quant } => {
                vec![("hf-repo", format!("{}:{}", repo.as_str(), quant))]
            }
            Self::LocalModel(path) => vec![("model", path.as_str().to_owned())],
        }
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

impl Preset {
    /// Writes the file: the same preset gives the same bytes on every run.
    ///
    /// Fails on a comment with a line break and on two sections with one name.
    pub fn to_ini(&self) -> Result<String, PresetError> {
        let mut seen = HashSet::new();
        for section in &self.sections {
            if !seen.insert(section.name.as_str()) {
                return Err(PresetError::DuplicateSection {
                    name: section.name.to_string(),
                });
            }
        }
        let mut out = String::new();
        for comment in &self.comments {
            if comment.contains(['\n', '\r']) {
                return Err(PresetError::UnwritableValue {
                    what: "comment".to_owned(),
                    value: comment.escape_debug().to_string(),
                    reason: "a line break would end the comment",
                });
            }
            push_line(&mut out, format!("; {comment}").trim_end());
        }
        push_line(&mut out, "version = 1");
        if !self.defaults.is_empty() {
            out.push('\n');
            push_line(&mut out, "[*]");
            for (key, value) in self.defaults.iter() {
                push_line(&mut out, &format!("{} = {value}", key.as_str()));
            }
        }
        for section in &self.sections {
            out.push('\n');
            push_line(&mut out, &format!("[{}]", section.name));
            for (key, value) in section.source.lines() {
                push_line(&mut out, &format!("{key} = {value}"));
            }
            if let Some(template) = &section.chat_template_file {
                push_line(&mut out, &format!("chat-template-file = {template}"));
            }
            for (key, value) in section.options.iter() {
                push_line(&mut out, &format!("{} = {value}", key.as_str()));
            }
        }
        Ok(out)
    }
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(line);
    out.push('\n');
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// llama-server refuses the file, or a model in it cannot load.
    Error,
    /// llama-server accepts it, but probably not as meant.
    Warning,
}

/// One finding of [`check_preset`], printed as `path:line: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetDiagnostic {
    /// The file checked.
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong and what to do, in one sentence.
    pub message: String,
}

impl fmt::Display for PresetDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        write!(
            f,
            "{}:{}: {level}{}",
            self.path.display(),
            self.line,
            self.message
        )
    }
}

/// One line of a preset file as llama.cpp's grammar sees it.
#[derive(Debug, PartialEq, Eq)]
enum IniLine<'a> {
    Blank,
    Header(&'a str),
    Entry { key: &'a str, value: &'a str },
    Invalid(&'static str),
}

/// Splits `text` into lines the way llama.cpp does (`\r\n`, `\n` or `\r`), numbered from 1.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.find(['\r', '\n']) {
            Some(at) => {
                let skip = if current[at..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                rest = Some(&current[at + skip..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                (!current.is_empty()).then_some(current)
            }
        }
    })
    .enumerate()
    .map(|(index, line)| (index + 1, line))
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Classifies one line by llama.cpp's preset grammar.
fn classify(line: &str) -> IniLine<'_> {
    let trimmed = line.trim_start_matches(is_blank);
    if trimmed.is_empty() || trimmed.starts_with([';', '#']) {
        return IniLine::Blank;
    }
    if trimmed.len() != line.len() {
        return IniLine::Invalid(
            "llama-server accepts no blanks before a key or section header: remove the indentation",
        );
    }
    if let Some(header) = line.strip_prefix('[') {
        let Some((name, after)) = header.split_once(']') else {
            return IniLine::Invalid("a section header needs a closing `]`");
        };
        let name = name.trim_start_matches(is_blank);
        let after = after.trim_start_matches(is_blank);
        if name.is_empty() {
            return IniLine::Invalid("a section header needs a name");
        }
        if !(after.is_empty() || after.starts_with([';', '#'])) {
            return IniLine::Invalid("only a comment may follow a section header");
        }
        return IniLine::Header(name);
    }
    let key_len = line
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_alphabetic()
                || c == '_'
                || (i > 0 && (c.is_ascii_digit() || c == '.' || c == '-')))
        })
        .map_or(line.len(), |(i, _)| i);
    let (key, rest) = line.split_at(key_len);
    let Some(rest) = rest.trim_start_matches(is_blank).strip_prefix('=') else {
        return IniLine::Invalid(
            "expected `key = value` (a key is a letter or `_` then letters, digits, `_`, `.`, `-`), a `[section]` header or a comment",
        );
    };
    if key.is_empty() {
        return IniLine::Invalid("a key must start with a letter or `_`");
    }
    let rest = rest.trim_start_matches(is_blank);
    let value = rest
        .split([';', '#'])
        .next()
        .unwrap_or("")
        .trim_end_matches(is_blank);
    IniLine::Entry { key, value }
}

/// What the checker remembers of one section while it reads on.
struct SectionState {
    name: String,
    /// The header's line, or for keys before any header the first key's line.
    line: usize,
    /// Keys before the first header: llama.cpp's implicit `default` model.
    top_level: bool,
    keys: HashMap<&'static str, (usize, String)>,
    source_keys: Vec<&'static str>,
}

impl SectionState {
    fn new(name: String, line: usize, top_level: bool) -> Self {
        Self {
            name,
            line,
            top_level,
            keys: HashMap::new(),
            source_keys: Vec::new(),
        }
    }
}

/// Validates a preset file as `llama-server --models-preset` reads it, reporting every
/// problem with its line (`path` only labels the findings).
///
/// Errors: lines llama.cpp cannot parse, unknown keys (`option 'x' not recognized in preset
/// 'y'`, as llama-server says it, with a did-you-mean), a model section without a model source
/// or with two, `hf-file` without `hf-repo`, repeated sections, `version` other than 1.
/// Warnings: a key repeated in one section, a section name llama.cpp renames, keys before the
/// first section, relative paths, a source key in `[*]`.
pub fn check_preset(text: &str, path: &Path) -> Vec<PresetDiagnostic> {
    let mut checker = Checker {
        path,
        diagnostics: Vec::new(),
        seen_sections: HashMap::new(),
    };
    let mut section = SectionState::new("default".to_owned(), 0, true);
    if text.starts_with('\u{feff}') {
        checker.error(
            1,
            "the file starts with a byte order mark, which llama-server cannot parse: save it as UTF-8 without one".to_owned(),
        );
    }
    let text = text.trim_start_matches('\u{feff}');
    for (number, line) in lines(text) {
        match classify(line) {
            IniLine::Blank => {}
            IniLine::Invalid(reason) => checker.error(number, reason.to_owned()),
            IniLine::Header(raw) => {
                let finished = std::mem::replace(
                    &mut section,
                    SectionState::new(canonical_section_name(raw), number, false),
                );
                checker.finish(finished);
                checker.header(raw, number);
            }
            IniLine::Entry { key, value } => {
                if section.top_level && section.line == 0 && key != "version" {
                    section.line = number;
                }
                checker.entry(&mut section, number, key, value);
            }
        }
    }
    checker.finish(section);
    checker.diagnostics.sort_by_key(|d| d.line);
    checker.diagnostics
}

struct Checker<'p> {
    path: &'p Path,
    diagnostics: Vec<PresetDiagnostic>,
    seen_sections: HashMap<String, usize>,
}

impl Checker<'_> {
    fn push(&mut self, line: usize, severity: Severity, message: String) {
        self.diagnostics.push(PresetDiagnostic {
            path: self.path.to_path_buf(),
            line,
            severity,
            message,
        });
    }

    fn error(&mut self, line: usize, message: String) {
        self.push(line, Severity::Error, message);
    }

    fn warning(&mut self, line: usize, message: String) {
        self.push(line, Severity::Warning, message);
    }

    fn header(&mut self, raw: &str, line: usize) {
        let name = canonical_section_name(raw);
        if name != raw {
            self.warning(
                line,
                format!(
                    "llama-server renames section '{raw}' to '{name}' (it upper-cases the tag after the last `-` or `.`)"
                ),
            );
        }
        if let Some(first) = self.seen_sections.insert(name.clone(), line) {
            self.error(
                line,
                format!(
                    "section '{name}' appears again (first at line {first}): llama-server keeps only the last one"
                ),
            );
        }
    }

    fn entry(&mut self, section: &mut SectionState, line: usize, key: &str, value: &str) {
        if key == "version" {
            if value != "1" {
                self.error(
                    line,
                    format!("`version = {value}` is not supported: the only preset version is 1"),
                );
            }
            return;
        }
        if !is_preset_key(key) {
            self.error(
                line,
                format!(
                    "option '{key}' not recognized in preset '{}'{}",
                    section.name,
                    did_you_mean(suggest_option(key))
                ),
            );
            return;
        }
        let canonical = canonical_key(key).unwrap_or_default();
        if let Some((first, first_key)) = section.keys.insert(canonical, (line, key.to_owned())) {
            self.warning(
                line,
                format!(
                    "'{key}' sets the same option as '{first_key}' at line {first}: llama-server keeps one of them"
                ),
            );
        }
        if ROUTER_KEYS.contains(&canonical) {
            self.warning(
                line,
                format!("'{key}' is ignored: the router sets it for each model itself"),
            );
        }
        if SOURCE_KEYS.contains(&canonical) && canonical != "chat-template-file" {
            section.source_keys.push(canonical);
        }
        if matches!(canonical, "model" | "chat-template-file")
            && !value.is_empty()
            && !Path::new(value).is_absolute()
        {
            self.warning(
                line,
                format!(
                    "'{key}' is the relative path `{value}`: llama-server resolves it against its working directory, not this file's folder"
                ),
            );
        }
    }

    fn finish(&mut self, section: SectionState) {
        if section.top_level && section.keys.is_empty() {
            return;
        }
        let line = section.line;
        let name = &section.name;
        if section.top_level {
            self.warning(
                line,
                "keys before the first section make a model named 'default': put defaults for every model under `[*]`".to_owned(),
            );
        }
        let sources: Vec<&str> = section
            .source_keys
            .iter()
            .copied()
            .filter(|k| *k != "hf-file")
            .collect();
        if name == "*" {
            if !section.source_keys.is_empty() {
                self.warning(
                    line,
                    "`[*]` sets a model source, which every model without its own would share"
                        .to_owned(),
                );
            }
            return;
        }
        if section.source_keys.contains(&"hf-file") && !section.source_keys.contains(&"hf-repo") {
            self.error(
                line,
                format!(
                    "preset '{name}' sets `hf-file` without `hf-repo`: add `hf-repo = owner/repo`"
                ),
            );
        }
        match sources.len() {
            0 if looks_like_hub_model(name) => self.warning(
                line,
                format!(
                    "preset '{name}' has no model source: it only configures the cached model '{name}'; add `hf-repo = {name}` to download it when missing"
                ),
            ),
            0 => self.error(
                line,
                format!(
                    "preset '{name}' has no model source: add `model = /abs/path.gguf`, `hf-repo = owner/repo:QUANT`, or `hf-repo` with `hf-file`"
                ),
            ),
            1 => {}
            _ => self.error(
                line,
                format!(
                    "preset '{name}' has more than one model source ({}): keep one",
                    sources.join(", ")
                ),
            ),
        }
    }
}

/// Whether a section name is a cached model's name (`owner/repo` or `owner/repo:QUANT`).
fn looks_like_hub_model(name: &str) -> bool {
    let repo = name.split_once(':').map_or(name, |(repo, _)| repo);
    HfRepoId::new(repo).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Vec<String> {
        check_preset(text, Path::new("p.ini"))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn sample() -> Preset {
        let mut defaults = PresetOptions::new();
        defaults.set("c", "2048").unwrap();
        defaults.set("ctx-size", "4096").unwrap();
        let mut local = PresetSection::new(
            SectionName::new("ruvltra-small").unwrap(),
            ModelSource::local(Path::new("/models/small.gguf")).unwrap(),
        )
        .with_chat_template_file(Path::new("/models/small.jinja"))
        .unwrap();
        local.options.set("temp", "0.7").unwrap();
        local.options.set("top-p", "0.9").unwrap();
        local.options.set("temp", "0.6").unwrap();
        let hub = PresetSection::new(
            SectionName::new("ruv/ruvltra:Q4_K_M").unwrap(),
            ModelSource::hf_file("ruv/ruvltra", "ruvltra-0.5b-q4_k_m.gguf").unwrap(),
        );
        let quant = PresetSection::new(
            SectionName::new("ruvltra-q8").unwrap(),
            ModelSource::hf_quant("ruv/ruvltra", "Q8_0").unwrap(),
        );
        Preset {
            comments: vec!["generated by ruvltra-export".to_owned()],
            defaults,
            sections: vec![local, hub, quant],
        }
    }

    #[test]
    fn writes_deterministic_ini() {
        let text = sample().to_ini().unwrap();
        assert_eq!(
            text,
            "; generated by ruvltra-export\nversion = 1\n\n[*]\nctx-size = 4096\n\n\
             [ruvltra-small]\nmodel = /models/small.gguf\nchat-template-file = /models/small.jinja\n\
             temp = 0.6\ntop-p = 0.9\n\n\
             [ruv/ruvltra:Q4_K_M]\nhf-repo = ruv/ruvltra\nhf-file = ruvltra-0.5b-q4_k_m.gguf\n\n\
             [ruvltra-q8]\nhf-repo = ruv/ruvltra:Q8_0\n"
        );
        assert_eq!(text, sample().to_ini().unwrap());
    }

    #[test]
    fn written_file_checks_clean() {
        assert_eq!(check(&sample().to_ini().unwrap()), Vec::<String>::new());
    }

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
    fn refuses_duplicate_sections() {
        let mut preset = sample();
        preset.sections.push(preset.sections[0].clone());
        assert!(matches!(
            preset.to_ini(),
            Err(PresetError::DuplicateSection { .. })
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
    fn unknown_key_with_suggestion() {
        assert_eq!(
            check("[m]\nmodel = /m.gguf\nrepeat_penalty = 0.5\nctx-sise = 5\n"),
            [
                "p.ini:3: option 'repeat_penalty' not recognized in preset 'm' (did you mean 'repeat-penalty'?)",
                "p.ini:4: option 'ctx-sise' not recognized in preset 'm' (did you mean 'ctx-size'?)",
            ]
        );
    }

    #[test]
    fn short_and_env_keys_are_accepted() {
        assert!(
            check("[m]\nm = /m.gguf\nc = 5\nLLAMA_ARG_NO_PERF = 1\nno-warmup = 1\n").is_empty()
        );
    }

    #[test]
    fn missing_and_double_sources() {
        assert_eq!(
            check("[m]\ntemp = 1\n[n]\nmodel = /a.gguf\nhf-repo = a/b\n[o]\nhf-file = x.gguf\n"),
            [
                "p.ini:1: preset 'm' has no model source: add `model = /abs/path.gguf`, `hf-repo = owner/repo:QUANT`, or `hf-repo` with `hf-file`",
                "p.ini:3: preset 'n' has more than one model source (model, hf-repo): keep one",
                "p.ini:6: preset 'o' sets `hf-file` without `hf-repo`: add `hf-repo = owner/repo`",
                "p.ini:6: preset 'o' has no model source: add `model = /abs/path.gguf`, `hf-repo = owner/repo:QUANT`, or `hf-repo` with `hf-file`",
            ]
        );
        assert_eq!(
            check("[a/b:Q4_K_M]\nc = 1\n"),
            [
                "p.ini:1: warning: preset 'a/b:Q4_K_M' has no model source: it only configures the cached model 'a/b:Q4_K_M'; add `hf-repo = a/b:Q4_K_M` to download it when missing"
            ]
        );
    }

    #[test]
    fn duplicates_version_and_renames() {
        assert_eq!(
            check(
                "version = 2\n[a:q8_0]\nhf-repo = a/b\n[a:Q8_0]\nhf-repo = a/b\nc = 1\nctx-size = 2\n"
            ),
            [
                "p.ini:1: `version = 2` is not supported: the only preset version is 1",
                "p.ini:2: warning: llama-server renames section 'a:q8_0' to 'a:Q8_0' (it upper-cases the tag after the last `-` or `.`)",
                "p.ini:4: section 'a:Q8_0' appears again (first at line 2): llama-server keeps only the last one",
                "p.ini:7: warning: 'ctx-size' sets the same option as 'c' at line 6: llama-server keeps one of them",
            ]
        );
    }

    #[test]
    fn grammar_errors() {
        assert_eq!(
            check("[m]\n  temp = 1\n[m\nmodel = /x.gguf ; comment\n[]\nfoo bar\n[n] x\n"),
            [
                "p.ini:2: llama-server accepts no blanks before a key or section header: remove the indentation",
                "p.ini:3: a section header needs a closing `]`",
                "p.ini:5: a section header needs a name",
                "p.ini:6: expected `key = value` (a key is a letter or `_` then letters, digits, `_`, `.`, `-`), a `[section]` header or a comment",
                "p.ini:7: only a comment may follow a section header",
            ]
        );
    }

    #[test]
    fn top_level_keys_and_relative_paths() {
        assert_eq!(
            check("c = 5\n[m]\nmodel = m.gguf\n"),
            [
                "p.ini:1: warning: keys before the first section make a model named 'default': put defaults for every model under `[*]`",
                "p.ini:1: preset 'default' has no model source: add `model = /abs/path.gguf`, `hf-repo = owner/repo:QUANT`, or `hf-repo` with `hf-file`",
                "p.ini:3: warning: 'model' is the relative path `m.gguf`: llama-server resolves it against its working directory, not this file's folder",
            ]
        );
    }

    /// What llama.cpp reads back from `key = <value>` written on a line of its own.
    fn read_back(value: &str) -> Option<String> {
        let text = format!("[m]\ntemp = {value}\n");
        let entries: Vec<_> = lines(&text)
            .map(|(_, line)| classify(line))
            .filter(|line| matches!(line, IniLine::Entry { .. }))
            .collect();
        match entries.as_slice() {
            [IniLine::Entry { value, .. }] => Some((*value).to_owned()),
            _ => None,
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// A value is written only if llama.cpp reads back exactly that value, and refused
        /// (apart from control characters) only if it would not.
        #[test]
        fn values_round_trip_or_are_refused(value in "[ -~\t\r\n;#\u{7}\u{e9}\u{1F600}]{0,12}") {
            let back = read_back(&value);
            match PresetValue::new("value", value.clone()) {
                Ok(written) => proptest::prop_assert_eq!(back.as_deref(), Some(written.as_str())),
                Err(_) if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r') => {}
                Err(e) => proptest::prop_assert_ne!(back.as_deref(), Some(value.as_str()), "{}", e),
            }
        }
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

    #[test]
    fn router_keys_and_byte_order_mark() {
        assert!(matches!(
            PresetOptions::new().set("port", "8080"),
            Err(PresetError::RouterOption { .. })
        ));
        assert_eq!(
            check("\u{feff}[m]\nmodel = /m.gguf\nLLAMA_API_KEY = k\n"),
            [
                "p.ini:1: the file starts with a byte order mark, which llama-server cannot parse: save it as UTF-8 without one",
                "p.ini:3: warning: 'LLAMA_API_KEY' is ignored: the router sets it for each model itself",
            ]
        );
    }

    #[test]
    fn line_endings() {
        let found: Vec<_> = lines("a\r\nb\rc\n\nd").collect();
        assert_eq!(found, [(1, "a"), (2, "b"), (3, "c"), (4, ""), (5, "d")]);
    }
}
