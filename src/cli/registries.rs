//! Which backend each registry is, configured from the environment: `OLLAMA_HOST`;
//! `MODELSCOPE_API_TOKEN` and `MODELSCOPE_DOMAIN` (or `MODELSCOPE_ENDPOINT`, a full URL for
//! mirrors and local test servers); the Hub's `HF_ENDPOINT` and token; `REGISTRY_USERNAME`/
//! `REGISTRY_PASSWORD` or `~/.docker/config.json` for OCI registries.

use anyhow::{Context, bail};

use super::send::{Registry, SendArgs};
use crate::manifest::{Resolved, ResolvedLicense};
use crate::push::bundle::{BundleBackend, BundleTarget};
use crate::push::from_resolved::{GgufPaths, hub_release, modelscope_releases, ollama_models};
use crate::push::huggingface::{HubBackend, HubRepoId, HubTarget};
use crate::push::modelscope::{ModelScopeBackend, ModelScopeEndpoint, ModelScopeTarget};
use crate::push::oci::{OciBackend, OciConfig};
use crate::push::ollama_api::{OllamaBackend, OllamaHost, OllamaTarget};
use crate::push::{Backend, Release};
use crate::render::OutputTree;
use crate::secret::Secret;

/// The backends and releases of one registry.
pub(super) fn jobs(
    registry: Registry,
    resolved: &Resolved,
    tree: &OutputTree,
    ggufs: &GgufPaths,
    hub_preset: bool,
    send: &SendArgs,
) -> anyhow::Result<Vec<(Box<dyn Backend>, Release)>> {
    let ollama_release = || -> anyhow::Result<Release> {
        Ok(Release {
            models: ollama_models(resolved, tree, ggufs)?,
            files: Vec::new(),
        })
    };
    Ok(match registry {
        Registry::Ollama => vec![(
            Box::new(ollama_backend(send)?) as Box<dyn Backend>,
            ollama_release()?,
        )],
        Registry::Oci => vec![(
            Box::new(oci_backend(send)?) as Box<dyn Backend>,
            ollama_release()?,
        )],
        Registry::Bundle => vec![(
            Box::new(BundleBackend::new(bundle_target(send)?)) as Box<dyn Backend>,
            ollama_release()?,
        )],
        Registry::Modelscope => {
            let releases = modelscope_releases(resolved, tree, ggufs)?;
            if releases.is_empty() {
                bail!(
                    "`--to modelscope` needs a `[modelscope]` table (owner, visibility) in the manifest"
                );
            }
            let token = match std::env::var("MODELSCOPE_API_TOKEN") {
                Ok(token) if !token.trim().is_empty() => Secret::new(token.trim()),
                _ => bail!(
                    "`--to modelscope` needs `MODELSCOPE_API_TOKEN` (an access token from your ModelScope account settings)"
                ),
            };
            let endpoint = modelscope_endpoint()?;
            let mut jobs: Vec<(Box<dyn Backend>, Release)> = Vec::new();
            for ms in releases {
                let mut target = ModelScopeTarget::new(
                    ms.repo
                        .parse()
                        .with_context(|| format!("the ModelScope repository `{}`", ms.repo))?,
                    token.clone(),
                );
                target.endpoint = endpoint.clone();
                target.visibility = ms.visibility;
                target.license = modelscope_license(&resolved.family.license);
                jobs.push((Box::new(ModelScopeBackend::new(target)?), ms.release));
            }
            jobs
        }
        Registry::Huggingface => {
            let settings = super::inspect::hub_settings_from_env()?;
            let repo: HubRepoId = resolved
                .hub
                .repo
                .parse()
                .with_context(|| format!("`[hub] repo = \"{}\"`", resolved.hub.repo))?;
            let mut target = HubTarget::new(repo, settings.token.clone());
            target.endpoint = settings.endpoint.clone();
            target.revision = resolved.hub.revision.clone();
            let backend = HubBackend::new(target)?;
            vec![(
                Box::new(backend) as Box<dyn Backend>,
                hub_release(tree, hub_preset),
            )]
        }
    })
}

/// The Ollama server at `OLLAMA_HOST` (default `http://127.0.0.1:11434`), publishing under
/// `--publish` when given.
pub(super) fn ollama_backend(send: &SendArgs) -> anyhow::Result<OllamaBackend> {
    let host = match std::env::var("OLLAMA_HOST") {
        Ok(value) if !value.trim().is_empty() => {
            OllamaHost::parse(&value).with_context(|| format!("`OLLAMA_HOST={value}`"))?
        }
        _ => OllamaHost::default_local(),
    };
    Ok(OllamaBackend::new(OllamaTarget {
        host,
        publish_namespace: send.publish.clone(),
        insecure: send.insecure,
    })?)
}

/// The OCI registry named by `--registry`, with credentials from the environment.
pub(super) fn oci_backend(send: &SendArgs) -> anyhow::Result<OciBackend> {
    let Some(registry) = &send.registry else {
        bail!("`--to oci` needs `--registry HOST[:PORT]`");
    };
    Ok(OciBackend::new(OciConfig {
        registry: registry.clone(),
        insecure: send.insecure,
        credentials: super::push::registry_credentials(registry),
        mount_from: send.mount_from.clone(),
    }))
}

/// Where a bundle goes: `--tar`, else `--dir`, else `$OLLAMA_MODELS`.
pub(super) fn bundle_target(send: &SendArgs) -> anyhow::Result<BundleTarget> {
    Ok(match (&send.tar, &send.dir) {
        (Some(tar), _) => BundleTarget::Tar(tar.clone()),
        (None, Some(dir)) => BundleTarget::Dir(dir.clone()),
        (None, None) => match std::env::var_os("OLLAMA_MODELS") {
            Some(dir) => BundleTarget::Dir(dir.into()),
            None => {
                bail!("`--to bundle` needs `--dir DIR` or `--tar FILE` (or `OLLAMA_MODELS` set)")
            }
        },
    })
}

/// The license name ModelScope's create call takes: its spelling for the Hub's
/// `apache-2.0` (the one the reference documents), else the manifest's display name.
fn modelscope_license(license: &ResolvedLicense) -> String {
    match license.id.as_str() {
        "apache-2.0" => "Apache License 2.0".into(),
        _ => license.name.clone(),
    }
}

/// `MODELSCOPE_ENDPOINT` (a full URL) or `MODELSCOPE_DOMAIN` (a bare domain), else the
/// public site.
fn modelscope_endpoint() -> anyhow::Result<ModelScopeEndpoint> {
    if let Ok(url) = std::env::var("MODELSCOPE_ENDPOINT")
        && !url.trim().is_empty()
    {
        return ModelScopeEndpoint::from_url(&url)
            .with_context(|| format!("`MODELSCOPE_ENDPOINT={url}`"));
    }
    if let Ok(domain) = std::env::var("MODELSCOPE_DOMAIN")
        && !domain.trim().is_empty()
    {
        return ModelScopeEndpoint::from_domain(&domain)
            .with_context(|| format!("`MODELSCOPE_DOMAIN={domain}`"));
    }
    Ok(ModelScopeEndpoint::default_site())
}
