//! Reading a pushed artifact back: its manifest (bytes, digest, `Content-Type`, and each
//! descriptor's media type, digest and size), every blob (`HEAD`: digest and size), and its
//! config (downloaded, re-hashed, and checked for the format's shape).

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::artifact::OciArtifact;
use super::client::{self, RegistryClient};
use super::format::OciFormat;
use super::{MAX_MANIFEST, get_manifest};
use crate::digest::Digest;
use crate::push::backend::Check;
use crate::push::error::PushError;
use crate::push::http::get_following_redirects_within;
use crate::push::ollama_image::ImageBlob;
use crate::push::progress::Progress;
use crate::push::retry::{check_response, with_retries};

/// The manifest's checks: the stored bytes and type, then what they describe.
pub(super) fn manifest(
    client: &RegistryClient,
    progress: &dyn Progress,
    artifact: &OciArtifact,
) -> Result<Vec<Check>, PushError> {
    let name = format!("{} manifest {}", artifact.format, artifact.reference());
    let Some((bytes, content_type)) =
        get_manifest(client, progress, &artifact.repository, &artifact.tag)?
    else {
        return Ok(vec![Check {
            name,
            ok: false,
            detail: "the registry has no such tag".into(),
        }]);
    };
    let actual = Digest::of_bytes(&bytes);
    let type_ok = content_type.as_deref() == Some(artifact.manifest_media_type);
    let mut checks = vec![Check {
        name: name.clone(),
        ok: actual == artifact.manifest_digest && type_ok,
        detail: format!(
            "expected {} ({}), found {actual} ({})",
            artifact.manifest_digest,
            artifact.manifest_media_type,
            content_type.as_deref().unwrap_or("no content type")
        ),
    }];
    checks.push(descriptors(&name, artifact, &bytes));
    Ok(checks)
}

/// Whether the stored manifest names the format's media types and every blob with its digest
/// and size, in order.
fn descriptors(name: &str, artifact: &OciArtifact, bytes: &[u8]) -> Check {
    let problem = match serde_json::from_slice::<Value>(bytes) {
        Err(e) => Some(format!("it is not JSON: {e}")),
        Ok(manifest) => descriptor_problem(artifact, &manifest),
    };
    Check {
        name: format!("{name} descriptors"),
        ok: problem.is_none(),
        detail: problem.unwrap_or_else(|| {
            format!(
                "media types, digests and sizes of the config and {} layers match",
                artifact.layers.len()
            )
        }),
    }
}

fn descriptor_problem(artifact: &OciArtifact, manifest: &Value) -> Option<String> {
    let media_type = manifest.get("mediaType").and_then(Value::as_str);
    if media_type != Some(artifact.manifest_media_type) {
        return Some(format!(
            "mediaType is {media_type:?}, expected {}",
            artifact.manifest_media_type
        ));
    }
    if artifact.format == OciFormat::Modelpack {
        let artifact_type = manifest.get("artifactType").and_then(Value::as_str);
        if artifact_type != Some(super::modelpack::ARTIFACT_TYPE) {
            return Some(format!(
                "artifactType is {artifact_type:?}, expected {}",
                super::modelpack::ARTIFACT_TYPE
            ));
        }
    }
    let config = manifest.get("config");
    if let Some(problem) = describes(config, &artifact.config) {
        return Some(format!("config: {problem}"));
    }
    let layers = manifest
        .get("layers")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    if layers.len() != artifact.layers.len() {
        return Some(format!(
            "{} layers, expected {}",
            layers.len(),
            artifact.layers.len()
        ));
    }
    for (i, (stored, blob)) in layers.iter().zip(&artifact.layers).enumerate() {
        if let Some(problem) = describes(Some(stored), blob) {
            return Some(format!("layer {i} ({}): {problem}", blob.label));
        }
    }
    None
}

/// Why `descriptor` does not describe `blob`, or `None` when it does.
fn describes(descriptor: Option<&Value>, blob: &ImageBlob) -> Option<String> {
    let field = |key: &str| descriptor.and_then(|d| d.get(key));
    let media_type = field("mediaType").and_then(Value::as_str);
    let digest = field("digest").and_then(Value::as_str);
    let size = field("size").and_then(Value::as_u64);
    let expected_digest = blob.digest.to_string();
    (media_type != Some(blob.media_type)
        || digest != Some(expected_digest.as_str())
        || size != Some(blob.size()))
    .then(|| {
        format!(
            "found {media_type:?} {digest:?} {size:?}, expected {} {} {}",
            blob.media_type,
            blob.digest,
            blob.size()
        )
    })
}

/// `HEAD` on a blob: the registry has it with the right digest and size.
pub(super) fn blob_head(
    client: &RegistryClient,
    progress: &dyn Progress,
    repository: &str,
    digest: Digest,
    size: u64,
) -> Result<Check, PushError> {
    let url = client.v2(&format!("{repository}/blobs/{digest}"))?;
    let what = format!("checking {digest} in {repository}");
    let name = format!("blob {repository}@{digest}");
    let Some(response) =
        client.fetch_optional(progress, &what, Method::HEAD, &url, &HeaderMap::new())?
    else {
        return Ok(Check {
            name,
            ok: false,
            detail: "the registry does not have it".into(),
        });
    };
    let header = |key: &str| {
        response
            .headers()
            .get(key)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let reported_digest = header("Docker-Content-Digest");
    let reported_size = header("Content-Length").and_then(|v| v.parse::<u64>().ok());
    let digest_ok = reported_digest
        .as_deref()
        .is_none_or(|d| d == digest.to_string());
    let size_ok = response.status().is_redirection() || reported_size == Some(size);
    Ok(Check {
        name,
        ok: digest_ok && size_ok,
        detail: format!(
            "expected {digest}, {size} bytes; the registry reports {}, {}",
            reported_digest.as_deref().unwrap_or("no digest"),
            reported_size.map_or_else(|| "no size".to_string(), |s| format!("{s} bytes"))
        ),
    })
}

/// Downloads the config blob, re-hashes it and checks the format's shape (its layer digest
/// list names the layers in order). Also says whether the download was redirected: a `200`
/// straight from the registry means `ollama pull` will fail (Ollama issue 7244).
pub(super) fn config(
    client: &RegistryClient,
    progress: &dyn Progress,
    artifact: &OciArtifact,
) -> Result<(Check, bool), PushError> {
    let repository = &artifact.repository;
    let digest = artifact.config.digest;
    let url = client.v2(&format!("{repository}/blobs/{digest}"))?;
    let what = format!("downloading {digest} from {repository}");
    let authorization = client.authorization();
    let headers = HeaderMap::new();
    let (response, redirected) = with_retries(client.retry(), progress, &what, |_| {
        let (response, redirected) = get_following_redirects_within(
            client.http(),
            (Method::GET, &url, &headers),
            authorization.as_ref(),
            &what,
            client.settings().timeout,
        )?;
        Ok((check_response(&what, response)?, redirected))
    })?;
    let bytes = client::read_small_body(response, &what, MAX_MANIFEST)?;
    let actual = Digest::of_bytes(&bytes);
    let problem = if actual != digest {
        Some(format!("expected {digest}, downloaded {actual}"))
    } else {
        shape_problem(artifact, &bytes)
    };
    let check = Check {
        name: format!("{} config {repository}@{digest}", artifact.format),
        ok: problem.is_none(),
        detail: problem.unwrap_or_else(|| format!("downloaded {actual}, as expected")),
    };
    Ok((check, redirected))
}

/// What is wrong with a config's shape for its format, or `None`.
fn shape_problem(artifact: &OciArtifact, bytes: &[u8]) -> Option<String> {
    let config: Value = match serde_json::from_slice(bytes) {
        Ok(config) => config,
        Err(e) => return Some(format!("the config is not JSON: {e}")),
    };
    let (pointer, needed) = match artifact.format {
        OciFormat::Ollama => {
            return (config.get("model_format").and_then(Value::as_str) != Some("gguf"))
                .then(|| "the Ollama config has no `model_format: gguf`".to_string());
        }
        OciFormat::Docker => ("/rootfs/diff_ids", "/config/format"),
        OciFormat::Modelpack => ("/modelfs/diffIds", "/config/format"),
    };
    if config.pointer(needed).and_then(Value::as_str) != Some("gguf") {
        return Some(format!("`{needed}` is not `gguf`"));
    }
    let listed: Vec<&str> = config
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let layers: Vec<String> = artifact
        .layers
        .iter()
        .map(|l| l.digest.to_string())
        .collect();
    (listed != layers).then(|| format!("`{pointer}` is {listed:?}, the layers are {layers:?}"))
}
