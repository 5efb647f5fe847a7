//! The one place the command line reads the environment, turning it (and the arguments that
//! name destinations) into the library's settings:
//!
//! - the Hub: `HF_ENDPOINT`, the token variables and the token file ([`HubSettings::resolve`]);
//! - `OLLAMA_HOST`, `OLLAMA_MODELS` (the default bundle folder);
//! - `MODELSCOPE_API_TOKEN`, `MODELSCOPE_ENDPOINT` (a full URL, for mirrors and local test
//!   servers) or `MODELSCOPE_DOMAIN`;
//! - `REGISTRY_USERNAME`/`REGISTRY_PASSWORD`, else `$DOCKER_CONFIG/config.json` or
//!   `~/.docker/config.json`, for OCI registries;
//! - `XDG_CACHE_HOME` or `HOME` for the cache, `SOURCE_DATE_EPOCH` for frozen dates.

use std::path::PathBuf;

use anyhow::Context;

use super::args::{ResolveArgs, SendArgs};
use crate::digest::DigestCache;
use crate::manifest::Resolved;
use crate::pipeline::{PipelineError, RegistrySettings, Setting, SettingError, resolve_family};
use crate::push::Progress;
use crate::push::bundle::BundleTarget;
use crate::push::modelscope::ModelScopeEndpoint;
use crate::push::oci::{Credentials, credentials_from_docker_config};
use crate::push::ollama_api::OllamaHost;
use crate::secret::Secret;
use crate::source::{HubSettings, SourceError};
use crate::template::jinja::FixedDateTime;

/// The Hub settings: endpoint and token, and the limits of `--timeout` and `--retries`.
pub fn hub() -> Result<HubSettings, SourceError> {
    let mut settings = HubSettings::resolve(&|name| std::env::var_os(name))?;
    settings.limits = super::network::hub_limits();
    Ok(settings)
}

/// `$XDG_CACHE_HOME/ruvltra-export` or `~/.cache/ruvltra-export`.
pub fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| home().map(|home| home.join(".cache")))?;
    Some(base.join("ruvltra-export"))
}

/// The command's one digest cache, kept under [`cache_dir`] between commands: resolution
/// and every push of the command share it, so a local file is hashed once.
pub fn digest_cache() -> DigestCache {
    DigestCache::open(cache_dir().as_deref())
}

/// `SOURCE_DATE_EPOCH`, for reproducible frozen dates: none when unset, an error when set
/// but not a number of seconds.
pub fn source_date_epoch() -> anyhow::Result<Option<i64>> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => value
            .trim()
            .parse()
            .map(Some)
            .with_context(|| format!("SOURCE_DATE_EPOCH `{value}` is not a number of seconds")),
        Err(_) => Ok(None),
    }
}

/// "Now" for the template engines: `SOURCE_DATE_EPOCH` when set (reproducible output), else
/// the clock.
pub fn now() -> anyhow::Result<FixedDateTime> {
    let seconds = match source_date_epoch()? {
        Some(seconds) => seconds,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    };
    Ok(FixedDateTime::from_unix_seconds(seconds))
}

/// Every registry's settings, from `send` and the environment.
pub fn registries(send: &SendArgs) -> RegistrySettings {
    RegistrySettings {
        ollama_host: ollama_host(),
        publish: send.publish.clone(),
        insecure: send.insecure,
        oci_credentials: send.registry.as_deref().and_then(registry_credentials),
        oci_registry: send.registry.clone(),
        mount_from: send.mount_from.clone(),
        oci_formats: send.formats.clone(),
        bundle: bundle_target(send),
        modelscope_token: non_empty("MODELSCOPE_API_TOKEN").map(|t| Secret::new(t.trim())),
        modelscope_endpoint: modelscope_endpoint(),
        hub: hub().map_err(SettingError::from_error),
    }
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

/// A variable's value unless unset or blank.
fn non_empty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The Ollama server at `OLLAMA_HOST` (default `http://127.0.0.1:11434`).
fn ollama_host() -> Setting<OllamaHost> {
    match non_empty("OLLAMA_HOST") {
        Some(value) => OllamaHost::parse(&value)
            .map_err(|e| SettingError::new(format!("`OLLAMA_HOST={value}`"), e)),
        None => Ok(OllamaHost::default_local()),
    }
}

/// Where a bundle goes: `--oci-layout` (in the `--format`s), else `--tar`, else `--dir`, else
/// `$OLLAMA_MODELS`.
fn bundle_target(send: &SendArgs) -> Option<BundleTarget> {
    if let Some(dir) = &send.oci_layout {
        return Some(BundleTarget::OciLayout {
            dir: dir.clone(),
            formats: send.formats.clone(),
        });
    }
    match (&send.tar, &send.dir) {
        (Some(tar), _) => Some(BundleTarget::Tar(tar.clone())),
        (None, Some(dir)) => Some(BundleTarget::Dir(dir.clone())),
        (None, None) => std::env::var_os("OLLAMA_MODELS").map(|dir| BundleTarget::Dir(dir.into())),
    }
}

/// `MODELSCOPE_ENDPOINT` (a full URL) or `MODELSCOPE_DOMAIN` (a bare domain), else the
/// public site.
fn modelscope_endpoint() -> Setting<ModelScopeEndpoint> {
    if let Some(url) = non_empty("MODELSCOPE_ENDPOINT") {
        return ModelScopeEndpoint::from_url(&url)
            .map_err(|e| SettingError::new(format!("`MODELSCOPE_ENDPOINT={url}`"), e));
    }
    if let Some(domain) = non_empty("MODELSCOPE_DOMAIN") {
        return ModelScopeEndpoint::from_domain(&domain)
            .map_err(|e| SettingError::new(format!("`MODELSCOPE_DOMAIN={domain}`"), e));
    }
    Ok(ModelScopeEndpoint::default_site())
}

/// Credentials for `registry`: `REGISTRY_USERNAME`/`REGISTRY_PASSWORD` if both are set, else
/// the `auths` entry of `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
fn registry_credentials(registry: &str) -> Option<Credentials> {
    if let (Ok(username), Ok(password)) = (
        std::env::var("REGISTRY_USERNAME"),
        std::env::var("REGISTRY_PASSWORD"),
    ) {
        return Some(Credentials {
            username,
            password: Secret::new(password),
        });
    }
    let config_dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| home().map(|home| home.join(".docker")))?;
    let text = crate::text_file::read_text(&config_dir.join("config.json"), 1 << 20).ok()?;
    credentials_from_docker_config(&text, registry)
}

/// Resolves the family `args` name, with the Hub settings and `SOURCE_DATE_EPOCH` from the
/// environment (an unparseable date is ignored here, as resolution has always done) and the
/// command's `digests`; hashing reports to `progress`.
pub fn resolve(
    args: &ResolveArgs,
    digests: &DigestCache,
    progress: &dyn Progress,
) -> Result<Resolved, PipelineError> {
    let date = source_date_epoch().ok().flatten();
    let hub = hub().map_err(SettingError::from_error);
    resolve_family(&args.request(date), &hub, digests, progress)
}
