//! The one error type of a release run through the library.

use std::path::PathBuf;

use super::registry::Registry;
use crate::digest::Digest;
use crate::manifest::{LoadError, ResolveError};
use crate::push::PushError;
use crate::push::ollama_api::OllamaApiError;
use crate::render::RenderError;
use crate::source::{HubError, SourceError};

/// A boxed cause, for the few values whose own error types differ (names, URLs, tokens).
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Why a step of a release failed. Each message says what was being done; the cause (the
/// registry's, the file system's, the manifest's) follows as the error's source.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The manifest could not be loaded.
    #[error(transparent)]
    Load(Box<LoadError>),
    /// The manifest does not resolve against the GGUF files.
    #[error(transparent)]
    Resolve(Box<ResolveError>),
    /// An output could not be rendered.
    #[error(transparent)]
    Render(Box<RenderError>),
    /// Building a release or a backend failed.
    #[error(transparent)]
    Push(Box<PushError>),
    /// The Hub settings are not usable (endpoint, token file).
    #[error(transparent)]
    HubSettings(Box<SourceError>),
    /// A Hub client could not be made.
    #[error(transparent)]
    HubClient(Box<HubError>),
    /// A setting given for a registry is not usable.
    #[error(transparent)]
    Setting(super::settings::SettingError),
    /// A setting or a manifest value is not valid for the registry that needs it; `what`
    /// names it (`` `OLLAMA_HOST=...` ``, `` `[hub] repo = "..."` ``).
    #[error("{what}")]
    Invalid {
        /// The setting or value, as written.
        what: String,
        /// Why it is not valid.
        #[source]
        source: Cause,
    },
    /// A registry was asked for but what it needs was not given.
    #[error("{registry} needs {missing}")]
    NotConfigured {
        /// The registry.
        registry: Registry,
        /// What it lacks.
        missing: Missing,
    },
    /// A registry that pushes a manifest's files (modelscope, huggingface) was given a
    /// release of Ollama models made by hand.
    #[error("{registry} pushes a manifest's outputs, not a single model")]
    NotOllamaFormat {
        /// The registry.
        registry: Registry,
    },
    /// No folder to render into could be made.
    #[error("creating a scratch folder to render into")]
    Scratch(#[source] std::io::Error),
    /// Planning a push failed.
    #[error("planning the {backend} push")]
    Plan {
        /// The registry, for [`PipelineError::hint`].
        registry: Registry,
        /// The backend's name.
        backend: String,
        /// Why.
        #[source]
        source: PushError,
    },
    /// Pushing failed.
    #[error("pushing to {target}")]
    Send {
        /// The registry, for [`PipelineError::hint`].
        registry: Registry,
        /// Where it was going.
        target: String,
        /// Why.
        #[source]
        source: PushError,
    },
    /// Reading a push back failed.
    #[error("verifying the {backend} push")]
    Verify {
        /// The registry, for [`PipelineError::hint`].
        registry: Registry,
        /// The backend's name.
        backend: String,
        /// Why.
        #[source]
        source: PushError,
    },
    /// Downloading a GGUF from the Hub failed.
    #[error(transparent)]
    Download(Box<DownloadError>),
}

/// What a registry lacks to be pushed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The OCI registry's `host[:port]`.
    OciRegistry,
    /// A bundle's destination: a folder or a tar file.
    BundleDestination,
    /// A ModelScope access token.
    ModelScopeToken,
    /// The manifest's `[modelscope]` table.
    ModelScopeTable,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Missing::OciRegistry => "a registry `host[:port]`",
            Missing::BundleDestination => "a folder or a tar file to write to",
            Missing::ModelScopeToken => "an access token from your ModelScope account settings",
            Missing::ModelScopeTable => {
                "a `[modelscope]` table (owner, visibility) in the manifest"
            }
        })
    }
}

/// Why GGUFs could not be fetched from the Hub before a push.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// There is no cache folder to download into.
    #[error("no cache folder for downloads: set `XDG_CACHE_HOME` or `HOME`")]
    NoCache,
    /// The repository's file list could not be read.
    #[error("listing the files of `{repo}` on the Hub")]
    List {
        /// `owner/name`.
        repo: String,
        /// Why.
        #[source]
        source: HubError,
    },
    /// The Hub lists no LFS digest or size for a file, so it could not be verified.
    #[error(
        "the Hub lists no LFS sha256 and size for `{file}` in `{repo}`: it cannot be downloaded and verified"
    )]
    NotListed {
        /// The file.
        file: String,
        /// `owner/name`.
        repo: String,
    },
    /// A download failed.
    #[error("downloading `{file}` from `{repo}`")]
    Fetch {
        /// The file.
        file: String,
        /// `owner/name`.
        repo: String,
        /// Why.
        #[source]
        source: Cause,
    },
    /// A file downloaded by an earlier command no longer has the digest the Hub lists.
    #[error(
        "the cached `{}` for `{file}` has sha256 {actual}, but the Hub lists {expected}: delete it and run the command again",
        cached.display()
    )]
    Stale {
        /// The cached copy.
        cached: PathBuf,
        /// The file.
        file: String,
        /// Its digest now.
        actual: Digest,
        /// The Hub's.
        expected: Digest,
    },
    /// Hashing or recording a downloaded file failed.
    #[error(transparent)]
    Digest(#[from] crate::digest::DigestCacheError),
}

/// Each cause converts into its variant, boxed so that a `Result` stays small.
macro_rules! boxed_from {
    ($($variant:ident($error:ty)),* $(,)?) => {$(
        impl From<$error> for PipelineError {
            fn from(error: $error) -> Self {
                PipelineError::$variant(Box::new(error))
            }
        }
    )*};
}

boxed_from!(
    Load(LoadError),
    Resolve(ResolveError),
    Render(RenderError),
    Push(PushError),
    HubSettings(SourceError),
    HubClient(HubError),
    Download(DownloadError),
);

impl PipelineError {
    /// An invalid setting or manifest value: `what` as written, with its cause.
    pub fn invalid(what: impl Into<String>, source: impl Into<Cause>) -> Self {
        PipelineError::Invalid {
            what: what.into(),
            source: source.into(),
        }
    }

    /// The next step for a registry that refused the credentials (which token or variable to
    /// check, and where a new one comes from), when this error is such a refusal: a bare
    /// "401" leaves a user guessing which of several tokens was wrong.
    pub fn hint(&self) -> Option<String> {
        let (registry, source) = match self {
            PipelineError::Plan {
                registry, source, ..
            }
            | PipelineError::Send {
                registry, source, ..
            }
            | PipelineError::Verify {
                registry, source, ..
            } => (*registry, source),
            _ => return None,
        };
        if let Some((url, status)) = refusal(source) {
            return rejected_hint(registry, url, status);
        }
        // Ollama reports a refused publish as an error line of its `/api/push` answer.
        let refused_publish = match source {
            PushError::Backend { source, .. } => match source.downcast_ref::<OllamaApiError>() {
                Some(OllamaApiError::ErrorLine {
                    operation: "push",
                    message,
                    ..
                }) => {
                    let message = message.to_ascii_lowercase();
                    ["unauthorized", "not authorized", "ollama key"]
                        .iter()
                        .any(|word| message.contains(word))
                }
                _ => false,
            },
            _ => false,
        };
        (registry == Registry::Ollama && refused_publish).then(|| {
            "the Ollama server publishes with its own key: add the public key of the user running `ollama serve` (`~/.ollama/id_ed25519.pub`) to your account at https://ollama.com/settings/keys, and `--publish` to a namespace that account owns".to_owned()
        })
    }
}

/// The URL and status (401 or 403) of a refused credential: the push layer's own, or the Hub
/// client's that the huggingface backend wraps.
fn refusal(error: &PushError) -> Option<(&str, u16)> {
    match error {
        PushError::Unauthorized { url, status, .. } => Some((url, *status)),
        PushError::Backend { source, .. } => match source.downcast_ref::<HubError>() {
            Some(
                HubError::Unauthorized { url, status, .. }
                | HubError::Forbidden { url, status, .. },
            ) => Some((url, *status)),
            _ => None,
        },
        _ => None,
    }
}

/// What to check when `registry` answered `status` (401 or 403) at `url`.
fn rejected_hint(registry: Registry, url: &str, status: u16) -> Option<String> {
    let origin = url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| url.to_owned());
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_owned(), |p| format!("{h}:{p}")))
        })
        .unwrap_or_else(|| url.to_owned());
    Some(match (registry, status) {
        (Registry::Huggingface, 401) => format!(
            "the Hub rejected the token (or none was found): set `HF_TOKEN` (or `HUGGING_FACE_HUB_TOKEN`, `HUGGINGFACE_API_KEY`, `$HF_HOME/token`) to a current token with write access from {origin}/settings/tokens"
        ),
        (Registry::Huggingface, _) => format!(
            "the token may not write to this repository: use a token with write access to it (a fine-grained token must list the repository or its owner) from {origin}/settings/tokens"
        ),
        (Registry::Modelscope, _) => "ModelScope rejected the token: set `MODELSCOPE_API_TOKEN` to a current access token (ModelScope account settings, Access Token) of an account that may write to the repository; a token works only on the site it comes from (`MODELSCOPE_DOMAIN`, by default www.modelscope.cn)".to_owned(),
        (Registry::Oci, 401) => format!(
            "the registry rejected the credentials (or none were found): set `REGISTRY_USERNAME` and `REGISTRY_PASSWORD`, or run `docker login {host}` (read from `$DOCKER_CONFIG/config.json`)"
        ),
        (Registry::Oci, _) => format!(
            "the credentials may not push to this repository of {host}: use an account with push access to it, or a repository it owns"
        ),
        (Registry::Ollama | Registry::Bundle, _) => return None,
    })
}
