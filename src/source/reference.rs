//! Parsing what the user typed into a [`Source`]: a local path, or
//! `hf://owner/repo[@revision][/path.gguf]`.
//!
//! Everything is validated once here, so the rest of the crate works with [`RepoId`],
//! [`Revision`] and [`RepoPath`] values that are known to be well formed and safe to put into
//! a URL.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::SourceError;

/// The scheme prefix of a Hub reference.
pub const HUB_SCHEME: &str = "hf://";

/// The longest repository or owner name the Hub accepts.
const MAX_NAME_LEN: usize = 96;

/// Characters left as they are in one URL path segment; everything else is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Where GGUF files come from: a path on this machine or a repository on the Hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A GGUF file, or a folder whose `*.gguf` files are read in name order.
    Local(PathBuf),
    /// A repository (or one file in it) on the Hugging Face Hub.
    Hub(HubReference),
}

impl Source {
    /// Parses a source as typed on the command line.
    ///
    /// Anything starting with `hf://` is a Hub reference; everything else is a local path
    /// (checked only when it is read, so the error names the path as it is then).
    ///
    /// ```
    /// use ruvltra_export::source::Source;
    ///
    /// let Source::Hub(reference) = Source::parse("hf://ruv/ruvltra@refs%2Fpr%2F1/a-q4_k_m.gguf")?
    /// else {
    ///     unreachable!()
    /// };
    /// assert_eq!(reference.repo.to_string(), "ruv/ruvltra");
    /// assert_eq!(reference.revision.as_str(), "refs/pr/1");
    /// assert_eq!(reference.path.unwrap().file_name(), "a-q4_k_m.gguf");
    ///
    /// let err = Source::parse("hf://ruv/ruvltra@refs/pr/1").unwrap_err();
    /// assert!(err.to_string().contains("@refs%2Fpr%2F1"));
    /// # Ok::<(), ruvltra_export::source::SourceError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self, SourceError> {
        if let Some(rest) = input.strip_prefix(HUB_SCHEME) {
            return HubReference::parse_after_scheme(input, rest).map(Source::Hub);
        }
        if let Some(reason) = url_source_hint(input) {
            return Err(SourceError::InvalidReference {
                input: input.to_owned(),
                reason,
            });
        }
        if input.is_empty() {
            return Err(SourceError::InvalidReference {
                input: input.to_owned(),
                reason: "the source is empty: give a `.gguf` file, a folder, or `hf://owner/repo`"
                    .to_owned(),
            });
        }
        Ok(Source::Local(PathBuf::from(input)))
    }
}

/// Why a URL typed as a source is not one, with the `hf://` reference to use instead when
/// it points at the Hub (`https://huggingface.co/owner/repo[/blob|resolve/REV/FILE]`).
fn url_source_hint(input: &str) -> Option<String> {
    let lower = input.to_ascii_lowercase();
    let rest = ["https://", "http://"]
        .iter()
        .find_map(|scheme| lower.starts_with(scheme).then(|| &input[scheme.len()..]))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    let on_hub = matches!(
        host.as_str(),
        "huggingface.co" | "www.huggingface.co" | "hf.co"
    );
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    match (on_hub, parts.as_slice()) {
        (true, [owner, repo, kind, revision, file @ ..])
            if matches!(*kind, "blob" | "resolve" | "tree") =>
        {
            let at = if *revision == "main" {
                String::new()
            } else {
                format!("@{}", revision.replace('/', "%2F"))
            };
            let file = if file.is_empty() || *kind == "tree" {
                String::new()
            } else {
                format!("/{}", file.join("/"))
            };
            Some(format!(
                "a URL is not a source: use `{HUB_SCHEME}{owner}/{repo}{at}{file}`"
            ))
        }
        (true, [owner, repo, ..]) => Some(format!(
            "a URL is not a source: use `{HUB_SCHEME}{owner}/{repo}`"
        )),
        _ => Some(
            "a URL is not a source: give a local `.gguf` file or folder, or `hf://owner/repo` for the Hub"
                .to_owned(),
        ),
    }
}

impl FromStr for Source {
    type Err = SourceError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Source::parse(input)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Local(path) => write!(f, "{}", path.display()),
            Source::Hub(reference) => reference.fmt(f),
        }
    }
}

/// `hf://owner/repo[@revision][/path.gguf]`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubReference {
    /// The repository.
    pub repo: RepoId,
    /// The branch, tag, commit or ref; `main` when none was given.
    pub revision: Revision,
    /// One file in the repository, or `None` for every `*.gguf` file in it.
    pub path: Option<RepoPath>,
}

impl HubReference {
    fn parse_after_scheme(input: &str, rest: &str) -> Result<Self, SourceError> {
        let invalid = |reason: String| SourceError::InvalidReference {
            input: input.to_owned(),
            reason,
        };
        let (owner, after_owner) = rest.split_once('/').ok_or_else(|| {
            invalid("expected `hf://owner/repo[@revision][/path.gguf]`".to_owned())
        })?;
        let (repo_and_revision, path) = match after_owner.split_once('/') {
            Some((head, path)) => (head, Some(path)),
            None => (after_owner, None),
        };
        let (name, revision) = match repo_and_revision.split_once('@') {
            Some((name, revision)) => (name, Some(revision)),
            None => (repo_and_revision, None),
        };
        let repo = RepoId::new(owner, name).map_err(invalid)?;
        let revision_given = revision.is_some();
        let revision = match revision {
            Some(raw) => Revision::from_encoded(raw).map_err(invalid)?,
            None => Revision::main(),
        };
        let path = match path {
            // `hf://owner/repo/` means the whole repository, like `hf://owner/repo`.
            Some("") | None => None,
            Some(raw) => Some(RepoPath::new(raw).map_err(|reason| {
                if revision_given {
                    invalid(format!(
                        "{reason} (a revision that contains `/` must be percent-encoded, e.g. `@refs%2Fpr%2F1`)"
                    ))
                } else {
                    invalid(reason)
                }
            })?),
        };
        Ok(HubReference {
            repo,
            revision,
            path,
        })
    }
}

impl fmt::Display for HubReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{HUB_SCHEME}{}", self.repo)?;
        if !self.revision.is_main() {
            write!(f, "@{}", self.revision.encoded())?;
        }
        if let Some(path) = &self.path {
            write!(f, "/{path}")?;
        }
        Ok(())
    }
}

/// A repository id, `owner/name`, checked against the Hub's naming rules: the crate's one
/// repository-id type, for Hub sources, the huggingface backend and ModelScope (whose names
/// follow the same rules).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoId {
    owner: String,
    name: String,
}

impl RepoId {
    /// Checks both halves of `owner/name`: ASCII letters, digits, `-`, `_` and `.`, at most
    /// 96 characters, not starting or ending with `-` or `.`, and no `--` or `..` (the Hub
    /// refuses such names, so a typo is caught before any request).
    pub fn new(owner: &str, name: &str) -> Result<Self, String> {
        check_name("owner", owner)?;
        check_name("repository name", name)?;
        Ok(RepoId {
            owner: owner.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The owner (user or organisation).
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The repository name within the owner.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Why a text is not a repository id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a repository id: {reason}")]
pub struct RepoIdError {
    /// The text given.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FromStr for RepoId {
    type Err = RepoIdError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let error = |reason: String| RepoIdError {
            input: input.to_owned(),
            reason,
        };
        let (owner, name) = input
            .split_once('/')
            .ok_or_else(|| error("expected `owner/name`".to_owned()))?;
        RepoId::new(owner, name).map_err(error)
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

fn check_name(what: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!(
            "the {what} is empty: expected `hf://owner/repo[@revision][/path.gguf]`"
        ));
    }
    if value.len() > MAX_NAME_LEN {
        return Err(format!(
            "the {what} `{value}` is longer than {MAX_NAME_LEN} characters"
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "the {what} `{value}` contains `{bad}`: only letters, digits, `-`, `_` and `.` are allowed"
        ));
    }
    if value.starts_with(['-', '.']) || value.ends_with(['-', '.']) {
        return Err(format!(
            "the {what} `{value}` must not start or end with `-` or `.`"
        ));
    }
    if value.contains("--") || value.contains("..") {
        return Err(format!(
            "the {what} `{value}` must not contain `--` or `..`"
        ));
    }
    Ok(())
}

/// A branch, tag, commit hash or ref such as `refs/pr/1`, stored decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Revision(String);

impl Revision {
    /// The default branch, `main`.
    pub fn main() -> Self {
        Revision("main".to_owned())
    }

    /// Parses a revision as written after `@` in a reference: percent-encoded, so that
    /// `refs%2Fpr%2F1` is `refs/pr/1`.
    pub fn from_encoded(raw: &str) -> Result<Self, String> {
        let decoded = percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| format!("the revision `{raw}` is not valid UTF-8 once percent-decoded"))?;
        Revision::new(&decoded)
    }

    /// Checks a decoded revision: not empty, no whitespace or control characters, no `..`.
    pub fn new(revision: &str) -> Result<Self, String> {
        if revision.is_empty() {
            return Err("the revision after `@` is empty".to_owned());
        }
        if revision
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(format!(
                "the revision `{revision}` contains whitespace or control characters"
            ));
        }
        if revision
            .split('/')
            .any(|part| part.is_empty() || part == "..")
        {
            return Err(format!(
                "the revision `{revision}` has an empty or `..` component"
            ));
        }
        Ok(Revision(revision.to_owned()))
    }

    /// The revision as the Hub names it, e.g. `refs/pr/1`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The revision as one URL path segment, e.g. `refs%2Fpr%2F1`.
    pub fn encoded(&self) -> String {
        utf8_percent_encode(&self.0, SEGMENT).to_string()
    }

    fn is_main(&self) -> bool {
        self.0 == "main"
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A file's path inside a repository, `/`-separated, with no empty, `.` or `..` components,
/// ending in `.gguf`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoPath(String);

impl RepoPath {
    /// Checks a path as the Hub lists it. In a reference the path is taken literally (only
    /// the revision is percent-decoded), so a file name with `%` in it needs no escaping.
    pub fn new(path: &str) -> Result<Self, String> {
        if path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return Err(format!(
                "the path `{path}` has an empty, `.` or `..` component"
            ));
        }
        if path.chars().any(char::is_control) {
            return Err(format!("the path `{path}` contains control characters"));
        }
        if !path.to_ascii_lowercase().ends_with(".gguf") {
            return Err(format!("the path `{path}` does not name a `.gguf` file"));
        }
        Ok(RepoPath(path.to_owned()))
    }

    /// The path as the Hub lists it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last component: the file name.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// The path with each segment percent-encoded, for a URL.
    pub fn encoded(&self) -> String {
        self.0
            .split('/')
            .map(|part| utf8_percent_encode(part, SEGMENT).to_string())
            .collect::<Vec<_>>()
            .join("/")
    }
}

impl fmt::Display for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(input: &str) -> HubReference {
        match Source::parse(input) {
            Ok(Source::Hub(reference)) => reference,
            other => panic!("{input} parsed as {other:?}"),
        }
    }

    fn error(input: &str) -> String {
        match Source::parse(input) {
            Err(err) => err.to_string(),
            Ok(source) => panic!("{input} parsed as {source:?}"),
        }
    }

    #[test]
    fn whole_repository_on_main() {
        let reference = hub("hf://ruv/ruvltra");
        assert_eq!(reference.repo.owner(), "ruv");
        assert_eq!(reference.repo.name(), "ruvltra");
        assert_eq!(reference.revision.as_str(), "main");
        assert_eq!(reference.path, None);
        assert_eq!(reference.to_string(), "hf://ruv/ruvltra");
    }

    #[test]
    fn revision_and_nested_path() {
        let reference = hub("hf://ruv/ruvltra@v1.0/sub/dir/ruvltra-small-0.5b-q4_k_m.gguf");
        assert_eq!(reference.revision.as_str(), "v1.0");
        let path = reference.path.clone().unwrap();
        assert_eq!(path.as_str(), "sub/dir/ruvltra-small-0.5b-q4_k_m.gguf");
        assert_eq!(path.file_name(), "ruvltra-small-0.5b-q4_k_m.gguf");
        assert_eq!(
            reference.to_string(),
            "hf://ruv/ruvltra@v1.0/sub/dir/ruvltra-small-0.5b-q4_k_m.gguf"
        );
    }

    #[test]
    fn encoded_revision_round_trips() {
        let reference = hub("hf://ruv/ruvltra@refs%2Fpr%2F1/a.gguf");
        assert_eq!(reference.revision.as_str(), "refs/pr/1");
        assert_eq!(reference.revision.encoded(), "refs%2Fpr%2F1");
        assert_eq!(
            reference.to_string(),
            "hf://ruv/ruvltra@refs%2Fpr%2F1/a.gguf"
        );
    }

    #[test]
    fn unencoded_ref_revision_gets_a_hint() {
        let message = error("hf://ruv/ruvltra@refs/pr/1");
        assert!(message.contains("@refs%2Fpr%2F1"), "{message}");
    }

    #[test]
    fn malformed_references() {
        assert!(error("hf://ruvltra").contains("expected `hf://owner/repo"));
        assert!(error("hf:///ruvltra").contains("owner is empty"));
        assert!(error("hf://ruv/").contains("repository name is empty"));
        assert!(error("hf://ruv/ruv ltra").contains("contains ` `"));
        assert!(error("hf://ruv/-x").contains("must not start or end"));
        assert!(error("hf://ruv/a..b").contains("`..`"));
        assert!(error("hf://ruv/x@").contains("revision after `@` is empty"));
        assert!(error("hf://ruv/x/README.md").contains("does not name a `.gguf` file"));
        assert!(error("hf://ruv/x/../y.gguf").contains("`..` component"));
        assert!(error("").contains("empty"));
    }

    #[test]
    fn paths_are_literal() {
        let reference = hub("hf://ruv/ruvltra/100%25 q8_0.gguf");
        assert_eq!(
            reference.path.as_ref().unwrap().as_str(),
            "100%25 q8_0.gguf"
        );
        assert_eq!(reference.to_string(), "hf://ruv/ruvltra/100%25 q8_0.gguf");
    }

    #[test]
    fn path_segments_are_encoded_for_urls() {
        let path = RepoPath::new("dir/a b#1.gguf").unwrap();
        assert_eq!(path.encoded(), "dir/a%20b%231.gguf");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any text parses or fails cleanly.
        #[test]
        fn parse_never_panics(rest in "([a-z0-9@/._ -]|%[0-9A-F]{2}){0,30}") {
            let _ = Source::parse(&format!("{HUB_SCHEME}{rest}"));
        }

        /// A Hub reference prints back to text that parses to the same reference.
        #[test]
        fn references_round_trip(
            owner in "[a-z0-9]{1,8}",
            name in "[a-z0-9]([a-z0-9._-]{0,8}[a-z0-9])?",
            revision in proptest::option::of("([a-z0-9/@ ]|%[0-9A-F]{2}){1,10}"),
            path in proptest::option::of("[a-z0-9% ]{1,8}(/[a-z0-9% ]{1,8}){0,2}\\.gguf"),
        ) {
            let mut input = format!("{HUB_SCHEME}{owner}/{name}");
            if let Some(revision) = &revision {
                input.push('@');
                input.push_str(&revision.replace('/', "%2F"));
            }
            if let Some(path) = &path {
                input.push('/');
                input.push_str(path);
            }
            if let Ok(Source::Hub(reference)) = Source::parse(&input) {
                let again = Source::parse(&reference.to_string());
                proptest::prop_assert_eq!(again.ok(), Some(Source::Hub(reference)));
            }
        }
    }

    #[test]
    fn local_paths_are_taken_as_they_are() {
        assert_eq!(
            Source::parse("models/x.gguf").unwrap(),
            Source::Local(PathBuf::from("models/x.gguf"))
        );
    }
}
