//! Building each registry's backend from [`RegistrySettings`], and the release it sends.

use super::error::{Missing, PipelineError};
use super::registry::Registry;
use super::settings::RegistrySettings;
use crate::manifest::{Resolved, ResolvedLicense};
use crate::push::bundle::{BundleBackend, BundleTarget};
use crate::push::from_resolved::{GgufPaths, hub_release, modelscope_releases, ollama_models};
use crate::push::huggingface::{HubBackend, HubTarget};
use crate::push::modelscope::{ModelScopeBackend, ModelScopeTarget};
use crate::push::oci::{OciBackend, OciConfig, OciFormat};
use crate::push::ollama_api::{OllamaBackend, OllamaTarget};
use crate::push::{Backend, Release};
use crate::render::OutputTree;
use crate::source::RepoId;

/// One backend of a push with the release it sends.
pub struct Job {
    /// Which registry, for the summary.
    pub registry: Registry,
    /// Its backend.
    pub backend: Box<dyn Backend>,
    /// What it sends.
    pub release: Release,
}

/// The jobs of `registry` for a rendered family: one, or one per model for ModelScope.
pub fn jobs(
    registry: Registry,
    resolved: &Resolved,
    tree: &OutputTree,
    ggufs: &GgufPaths,
    hub_preset: bool,
    settings: &RegistrySettings,
) -> Result<Vec<Job>, PipelineError> {
    let job = |backend: Box<dyn Backend>, release: Release| Job {
        registry,
        backend,
        release,
    };
    if registry == Registry::Huggingface {
        let hub = settings.hub.clone()?;
        let repo: RepoId = resolved.hub.repo.parse().map_err(|e| {
            PipelineError::invalid(format!("`[hub] repo = \"{}\"`", resolved.hub.repo), e)
        })?;
        let mut target = HubTarget::new(repo, hub.token.clone());
        target.endpoint = hub.endpoint.clone();
        target.revision = resolved.hub.revision.clone();
        let backend = HubBackend::new(target)?;
        return Ok(vec![job(Box::new(backend), hub_release(tree, hub_preset))]);
    }
    if registry == Registry::Modelscope {
        return modelscope_jobs(resolved, tree, ggufs, settings);
    }
    let backend = backend_with(registry, settings, &resolved.targets.oci.formats)?;
    let release = Release {
        models: ollama_models(resolved, tree, ggufs)?,
        files: Vec::new(),
    };
    Ok(vec![job(backend, release)])
}

/// The backend of an Ollama-format registry (ollama, oci, bundle), which sends any
/// [`Release`] of Ollama models, whether made from a manifest or by hand.
pub fn backend(
    registry: Registry,
    settings: &RegistrySettings,
) -> Result<Box<dyn Backend>, PipelineError> {
    backend_with(registry, settings, &[])
}

/// [`backend`], with the OCI formats the manifest names for when the settings name none.
fn backend_with(
    registry: Registry,
    settings: &RegistrySettings,
    manifest_formats: &[OciFormat],
) -> Result<Box<dyn Backend>, PipelineError> {
    let formats = if settings.oci_formats.is_empty() {
        manifest_formats
    } else {
        &settings.oci_formats
    };
    let not_configured = |missing| PipelineError::NotConfigured { registry, missing };
    Ok(match registry {
        Registry::Ollama => Box::new(OllamaBackend::new(OllamaTarget {
            host: settings.ollama_host.clone()?,
            publish_namespace: settings.publish.clone(),
            insecure: settings.insecure,
        })?),
        Registry::Oci => {
            let registry = settings
                .oci_registry
                .clone()
                .ok_or_else(|| not_configured(Missing::OciRegistry))?;
            Box::new(
                OciBackend::new(OciConfig {
                    registry,
                    insecure: settings.insecure,
                    credentials: settings.oci_credentials.clone(),
                    mount_from: settings.mount_from.clone(),
                })
                .with_formats(formats),
            )
        }
        Registry::Bundle => {
            let mut target = settings
                .bundle
                .clone()
                .ok_or_else(|| not_configured(Missing::BundleDestination))?;
            if let BundleTarget::OciLayout {
                formats: chosen, ..
            } = &mut target
                && chosen.is_empty()
            {
                *chosen = formats.to_vec();
            }
            Box::new(BundleBackend::new(target))
        }
        Registry::Modelscope | Registry::Huggingface => {
            return Err(PipelineError::NotOllamaFormat { registry });
        }
    })
}

/// One ModelScope job per model of the family.
fn modelscope_jobs(
    resolved: &Resolved,
    tree: &OutputTree,
    ggufs: &GgufPaths,
    settings: &RegistrySettings,
) -> Result<Vec<Job>, PipelineError> {
    let not_configured = |missing| PipelineError::NotConfigured {
        registry: Registry::Modelscope,
        missing,
    };
    let releases = modelscope_releases(resolved, tree, ggufs)?;
    if releases.is_empty() {
        return Err(not_configured(Missing::ModelScopeTable));
    }
    let token = settings
        .modelscope_token
        .clone()
        .ok_or_else(|| not_configured(Missing::ModelScopeToken))?;
    let endpoint = settings.modelscope_endpoint.clone()?;
    let mut jobs = Vec::new();
    for ms in releases {
        let mut target = ModelScopeTarget::new(ms.repo, token.clone());
        target.endpoint = endpoint.clone();
        target.visibility = ms.visibility;
        target.license = modelscope_license(&resolved.family.license);
        jobs.push(Job {
            registry: Registry::Modelscope,
            backend: Box::new(ModelScopeBackend::new(target)?),
            release: ms.release,
        });
    }
    Ok(jobs)
}

/// The license name ModelScope's create call takes: its spelling for the Hub's
/// `apache-2.0` (the one the reference documents), else the manifest's display name.
fn modelscope_license(license: &ResolvedLicense) -> String {
    match license.id.as_str() {
        "apache-2.0" => "Apache License 2.0".into(),
        _ => license.name.clone(),
    }
}
