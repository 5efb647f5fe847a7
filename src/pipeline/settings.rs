//! What a release needs to know besides the manifest: where each registry is, the
//! credentials, and how to send. The command line fills these in from its arguments and the
//! environment (in one place, `cli/settings.rs`); a library user fills them in directly.
//!
//! A setting that was given but is not valid is kept as a [`SettingError`] and reported only
//! when a registry that needs it is used, so a bad `OLLAMA_HOST` never stops a push to the Hub.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::error::PipelineError;
use crate::push::bundle::BundleTarget;
use crate::push::modelscope::ModelScopeEndpoint;
use crate::push::oci::{Credentials, OciFormat};
use crate::push::ollama_api::OllamaHost;
use crate::push::{RetryPolicy, TransferOptions};
use crate::secret::Secret;
use crate::source::HubSettings;

/// A setting, or why the value given for it is not usable.
pub type Setting<T> = Result<T, SettingError>;

/// Why a setting is not usable: what was given (`` `OLLAMA_HOST=...` ``) and the cause.
/// Cloneable, so that each registry that needs the setting can report it.
#[derive(Debug, Clone)]
pub struct SettingError {
    what: Option<String>,
    cause: Arc<dyn std::error::Error + Send + Sync>,
}

impl SettingError {
    /// `what` was given and is not valid because of `cause`.
    pub fn new(
        what: impl Into<String>,
        cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            what: Some(what.into()),
            cause: Arc::from(cause.into()),
        }
    }

    /// An error that names its setting itself (such as the Hub settings' own errors).
    pub fn from_error(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            what: None,
            cause: Arc::new(cause),
        }
    }
}

impl std::fmt::Display for SettingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.what {
            Some(what) => f.write_str(what),
            None => self.cause.fmt(f),
        }
    }
}

impl std::error::Error for SettingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.what {
            Some(_) => Some(self.cause.as_ref()),
            None => self.cause.source(),
        }
    }
}

impl From<SettingError> for PipelineError {
    fn from(error: SettingError) -> Self {
        PipelineError::Setting(error)
    }
}

/// Where the registries are and how to reach them.
#[derive(Debug, Clone)]
pub struct RegistrySettings {
    /// The Ollama server. By default, `http://127.0.0.1:11434`.
    pub ollama_host: Setting<OllamaHost>,
    /// With the Ollama server: copy each model to this namespace and push it from there.
    pub publish: Option<String>,
    /// Plain HTTP for the OCI registry, and for the Ollama server's own pushes.
    pub insecure: bool,
    /// The OCI registry, `host[:port]`.
    pub oci_registry: Option<String>,
    /// Its credentials.
    pub oci_credentials: Option<Credentials>,
    /// Other repositories of the OCI registry to mount identical blobs from.
    pub mount_from: Vec<String>,
    /// The artifact formats for the OCI registry and an OCI layout bundle. Empty: the
    /// manifest's `[oci] formats` (Ollama's alone without a manifest).
    pub oci_formats: Vec<OciFormat>,
    /// Where a bundle is written.
    pub bundle: Option<BundleTarget>,
    /// The ModelScope access token.
    pub modelscope_token: Option<Secret>,
    /// The ModelScope site. By default, the public one.
    pub modelscope_endpoint: Setting<ModelScopeEndpoint>,
    /// The Hub: where resolution from the Hub, downloads and the card push go.
    pub hub: Setting<HubSettings>,
}

impl Default for RegistrySettings {
    fn default() -> Self {
        Self {
            ollama_host: Ok(OllamaHost::default_local()),
            publish: None,
            insecure: false,
            oci_registry: None,
            oci_credentials: None,
            mount_from: Vec::new(),
            oci_formats: Vec::new(),
            bundle: None,
            modelscope_token: None,
            modelscope_endpoint: Ok(ModelScopeEndpoint::default_site()),
            hub: Ok(HubSettings::default()),
        }
    }
}

/// How a push sends, whatever the registry.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Plan only: nothing is downloaded, uploaded or written.
    pub dry_run: bool,
    /// Delete the stale items a plan lists.
    pub prune: bool,
    /// Read each push back and compare.
    pub verify: bool,
    /// Transfers at once.
    pub parallel: usize,
    /// Blobs larger than this go in chunks of this size.
    pub chunk_size: u64,
    /// Where digests, upload sessions and Hub downloads are kept between commands. None:
    /// digests are kept in memory for one push and nothing can be downloaded.
    pub cache_dir: Option<PathBuf>,
    /// How often each request is tried. By default, [`RetryPolicy::default`].
    pub retry: RetryPolicy,
    /// The time limit of a request that sends no body (one that does gets more for its
    /// bytes). By default, 120 s.
    pub timeout: Duration,
}

impl Default for PushOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            prune: false,
            verify: true,
            parallel: 4,
            chunk_size: 64 << 20,
            cache_dir: None,
            retry: RetryPolicy::default(),
            timeout: TransferOptions::default().timeout,
        }
    }
}
