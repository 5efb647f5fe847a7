//! The preset validator: reads any preset file the way `llama-server --models-preset` does
//! and reports every problem with its line.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use super::error::did_you_mean;
use super::model::{HfRepoId, ROUTER_KEYS, SOURCE_KEYS, canonical_key, canonical_section_name};
use crate::render::llamacpp::options::{is_preset_key, suggest_option};

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
                // `find` gives a character boundary; `split_at_checked` keeps that explicit.
                let (line, end) = current.split_at_checked(at)?;
                let after = end
                    .strip_prefix("\r\n")
                    .or_else(|| end.strip_prefix(['\r', '\n']))
                    .unwrap_or(end);
                rest = Some(after);
                Some(line)
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
pub(super) mod tests {
    use super::*;
    use crate::render::llamacpp::preset::{PresetError, PresetOptions, PresetValue};

    #[test]
    fn lines_split_like_llama_cpp_around_non_ascii_text() {
        let got: Vec<_> = lines("model = modèle.gguf\r\n[千问]\rx = é\ny").collect();
        assert_eq!(
            got,
            [
                (1, "model = modèle.gguf"),
                (2, "[千问]"),
                (3, "x = é"),
                (4, "y")
            ]
        );
    }

    /// The findings for `text` as printed, for the writer's tests too.
    pub(in crate::render::llamacpp::preset) fn check(text: &str) -> Vec<String> {
        check_preset(text, Path::new("p.ini"))
            .iter()
            .map(ToString::to_string)
            .collect()
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
