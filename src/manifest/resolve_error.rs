//! Why a family could not be resolved.

use std::fmt;
use std::path::PathBuf;

use super::provenance::Conflict;
use super::schema::UnknownVariant;
use crate::gguf::ReadPathError;
use crate::ollama::NameError;
use crate::source::HubError;

/// Resolving the manifest against the files failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// A `--variant` name matches nothing.
    #[error(transparent)]
    UnknownVariant(#[from] UnknownVariant),
    /// `--from local` but the manifest names no local folder.
    #[error(
        "`{manifest}` has no `[source] local` folder: add `local = \"DIR\"` under `[source]`, or use `--from hub`"
    )]
    NoLocalFolder {
        /// The manifest.
        manifest: String,
    },
    /// A variant's file is not in the local folder.
    #[error("`{}`: the file of `{variant}` is missing: {}", path.display(), source)]
    MissingFile {
        /// Where it was expected.
        path: PathBuf,
        /// `MODEL/VARIANT`.
        variant: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A variant's file is not in the Hub repository.
    #[error(
        "`{file}` (variant `{variant}`) is not in `{repo}` at `{revision}`{}",
        super::error::did_you_mean(suggestion.as_deref())
    )]
    NotOnHub {
        /// The file name.
        file: String,
        /// `MODEL/VARIANT`.
        variant: String,
        /// The repository.
        repo: String,
        /// The revision.
        revision: String,
        /// The nearest file name in the repository.
        suggestion: Option<String>,
    },
    /// A header could not be read from a local file.
    #[error("cannot read the GGUF header of `{variant}`")]
    Header {
        /// `MODEL/VARIANT`.
        variant: String,
        /// The cause (names the file and byte offset).
        #[source]
        source: Box<ReadPathError>,
    },
    /// The Hub could not be asked.
    #[error("the Hub failed while resolving `{what}`")]
    Hub {
        /// What was being fetched.
        what: String,
        /// The cause.
        #[source]
        source: Box<HubError>,
    },
    /// A file read locally could not be hashed.
    #[error("cannot hash `{}`", path.display())]
    Hash {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: Box<crate::digest::DigestCacheError>,
    },
    /// A fact the outputs need is absent from a header.
    #[error(
        "`{file}`: the GGUF header has no `{key}`, and the manifest does not state it either{hint}"
    )]
    MissingFact {
        /// The GGUF file.
        file: String,
        /// The metadata key.
        key: String,
        /// What to add to the manifest, if anything can be.
        hint: String,
    },
    /// Sources disagree (every conflict is listed).
    #[error("{}", Conflicts(.0))]
    Conflicts(Vec<Conflict>),
    /// The GGUF carries no chat template and no built-in family fits its vocabulary.
    #[error(
        "`{file}` has no `tokenizer.chat_template` and {reason}: set `chat_template_file` for model `{model}` in the manifest, or embed the model's template into the GGUF with `ruvltra-export gguf embed-template {file} --template T.jinja --out {file}`"
    )]
    NoChatTemplate {
        /// The GGUF file.
        file: String,
        /// Why no built-in template applies.
        reason: String,
        /// The model key.
        model: String,
    },
    /// The chat template's prompts use markers the model's vocabulary does not hold as
    /// single tokens: the model would read them as text and answer gibberish.
    #[error(
        "variant `{variant}`: the chat template ({source_name}) does not fit the vocabulary of `{file}`: {missing}; {hint}"
    )]
    TemplateMisfit {
        /// `MODEL/VARIANT`.
        variant: String,
        /// The GGUF whose vocabulary was checked.
        file: String,
        /// Where the template came from (`the manifest's chat_template`, ...).
        source_name: String,
        /// The failed markers, each with why.
        missing: String,
        /// What to do.
        hint: String,
    },
    /// The manifest gives content for a role the chat template drops: it would never reach
    /// the model although the outputs advertise it.
    #[error(
        "variant `{variant}`: the manifest gives {what}, but the chat template drops {role} messages ({verdict}), so it would never reach the model; {hint}"
    )]
    DroppedRole {
        /// `MODEL/VARIANT`.
        variant: String,
        /// `a system prompt`, `a system MESSAGE`.
        what: String,
        /// The role.
        role: String,
        /// The per-role verdict.
        verdict: String,
        /// What to do.
        hint: String,
    },
    /// A hand-written Ollama template (`ollama_template_file`) cannot be read or parsed.
    #[error("`{}` (`ollama_template_file`): {reason}", path.display())]
    OllamaTemplateFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A chat template file named in the manifest cannot be read.
    #[error("cannot read the chat template `{}` named in the manifest (`chat_template_file`)", path.display())]
    TemplateFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: crate::text_file::ReadError,
    },
    /// A license file named in the manifest cannot be read.
    #[error("cannot read the license file `{}` named in the manifest (`family.license.file`)", path.display())]
    LicenseFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: crate::text_file::ReadError,
    },
    /// An Ollama name cannot be formed.
    #[error("model `{model}`: cannot form an Ollama name")]
    Name {
        /// The model key.
        model: String,
        /// The cause.
        #[source]
        source: NameError,
    },
    /// A GGUF file holds the wrong kind of thing for its place in the manifest: a `file` that
    /// is an mmproj projector or a LoRA adapter, or a `projector` that is not one.
    #[error(
        "`{file}` (variant `{variant}`) is named as {role} but its header says `general.type = {found}`: {hint}"
    )]
    WrongKind {
        /// The GGUF file.
        file: String,
        /// `MODEL/VARIANT`.
        variant: String,
        /// `the model file` or `the projector`.
        role: String,
        /// The header's `general.type` (`model` when absent).
        found: String,
        /// What to change.
        hint: String,
    },
    /// An `adapter` that is not an adapter GGUF.
    #[error(
        "{at}: `{file}` (variant `{variant}`) is named as the adapter but its header says `general.type = {found}`: {hint}"
    )]
    NotAnAdapter {
        /// `manifest:line:col` of the `adapter` value.
        at: String,
        /// The GGUF file.
        file: String,
        /// `MODEL/VARIANT`.
        variant: String,
        /// The header's `general.type` (`model` when absent).
        found: String,
        /// What to change.
        hint: String,
    },
    /// An adapter made for another architecture than the model it is applied to.
    #[error(
        "{at}: the adapter `{adapter}` is for architecture `{adapter_arch}`, but the model {model} is `{model_arch}`: an adapter only runs on the base model it was trained from; name an adapter for `{model_arch}`, or move `adapter` to a model of architecture `{adapter_arch}`"
    )]
    AdapterArchitecture {
        /// `manifest:line:col` of the `adapter` value.
        at: String,
        /// The adapter GGUF.
        adapter: String,
        /// Its `general.architecture` (`none` when absent).
        adapter_arch: String,
        /// The model GGUF and its variant: `` `file.gguf` (variant `MODEL/VARIANT`) ``.
        model: String,
        /// The model's `general.architecture`.
        model_arch: String,
    },
    /// A projector whose output width is not the model's embedding width: llama.cpp refuses
    /// to load the pair (the rule `init` pairs projectors by).
    #[error(
        "{at}: the projector `{projector}` has `{projector_width}`, but the model {model} has `{model_width}`: llama.cpp refuses a projector whose width differs from its model's; name the projector made for this model, or move `projector` to the model it was made for"
    )]
    ProjectorWidth {
        /// `manifest:line:col` of the `projector` value.
        at: String,
        /// The projector GGUF.
        projector: String,
        /// `clip.vision.projection_dim = N` (or the audio key).
        projector_width: String,
        /// The model GGUF and its variant: `` `file.gguf` (variant `MODEL/VARIANT`) ``.
        model: String,
        /// `<arch>.embedding_length = N`.
        model_width: String,
    },
    /// Two models would be published under the same Ollama name.
    #[error(
        "`{name}` would name both `{first}` and `{second}`: give one model its own `[models.NAME.ollama] name`"
    )]
    DuplicateName {
        /// The name.
        name: String,
        /// The first `MODEL/VARIANT`.
        first: String,
        /// The second.
        second: String,
    },
}

struct Conflicts<'a>(&'a [Conflict]);

impl fmt::Display for Conflicts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} conflict{} between the manifest and the files:",
            if n == 1 { "" } else { "s" }
        )?;
        for conflict in self.0 {
            write!(f, "\n  {conflict}")?;
        }
        Ok(())
    }
}
