//! The bundle backend: models as an Ollama model store, so a machine without a registry can
//! install them. Either a folder (`$OLLAMA_MODELS` layout: `manifests/<host>/<namespace>/
//! <model>/<tag>` and `blobs/sha256-<hex>`) or a deterministic tar of the same tree that
//! `tar -x -C ~/.ollama/models` installs, or an OCI image layout of any of the oci backend's
//! formats (`oci_layout.rs`) that `skopeo copy oci:DIR:REF ...` reads. Blobs are streamed from disk and checked against
//! their digest while they are written; nothing is held in memory whole.

mod oci_layout;
mod store;
mod tarball;

use std::path::PathBuf;

use super::backend::{Backend, Plan, PushContext, PushReport, ReadBackReport};
use super::error::PushError;
use super::oci::{OciArtifact, OciFormat};
use super::ollama_image::OllamaImage;
use super::release::Release;

/// How errors about a release without models start.
const WHAT_IT_DOES: &str = "the bundle backend writes";

/// Where the bundle goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleTarget {
    /// An Ollama model store folder (created if missing).
    Dir(PathBuf),
    /// A tar file of the store's tree.
    Tar(PathBuf),
    /// An OCI image layout folder (created if missing) holding the release in these formats.
    OciLayout {
        /// The folder.
        dir: PathBuf,
        /// The artifact formats (Ollama's alone when empty).
        formats: Vec<OciFormat>,
    },
}

/// The bundle backend.
#[derive(Debug, Clone)]
pub struct BundleBackend {
    target: BundleTarget,
}

impl BundleBackend {
    /// A backend writing to `target`.
    pub fn new(target: BundleTarget) -> Self {
        Self { target }
    }
}

/// The store-relative path of a blob.
fn blob_path(image_blob: &super::ollama_image::ImageBlob) -> String {
    format!("blobs/{}", image_blob.digest.blob_file_name())
}

/// The store-relative path of a model's manifest.
fn manifest_path(image: &OllamaImage) -> String {
    format!(
        "manifests/{}/{}/{}/{}",
        image.name.host(),
        image.name.namespace(),
        image.name.model(),
        image.name.tag()
    )
}

impl Backend for BundleBackend {
    fn name(&self) -> &str {
        "bundle"
    }

    fn plan(&self, release: &Release, ctx: &PushContext<'_>) -> Result<Plan, PushError> {
        let images = || OllamaImage::build_all(release, ctx, WHAT_IT_DOES);
        match &self.target {
            BundleTarget::Dir(dir) => store::plan(dir, &images()?, ctx),
            BundleTarget::Tar(path) => Ok(tarball::plan(path, &images()?)),
            BundleTarget::OciLayout { dir, formats } => {
                let artifacts = OciArtifact::build_all(release, formats, ctx, WHAT_IT_DOES)?;
                oci_layout::plan(dir, &artifacts, ctx)
            }
        }
    }

    fn push(
        &self,
        plan: &Plan,
        release: &Release,
        ctx: &PushContext<'_>,
    ) -> Result<PushReport, PushError> {
        let images = || OllamaImage::build_all(release, ctx, WHAT_IT_DOES);
        match &self.target {
            BundleTarget::Dir(dir) => store::push(dir, plan, &images()?, ctx),
            BundleTarget::Tar(path) => tarball::write(path, &images()?, ctx),
            BundleTarget::OciLayout { dir, formats } => {
                let artifacts = OciArtifact::build_all(release, formats, ctx, WHAT_IT_DOES)?;
                oci_layout::push(dir, plan, &artifacts, ctx)
            }
        }
    }

    fn verify(
        &self,
        release: &Release,
        ctx: &PushContext<'_>,
    ) -> Result<ReadBackReport, PushError> {
        let images = || OllamaImage::build_all(release, ctx, WHAT_IT_DOES);
        match &self.target {
            BundleTarget::Dir(dir) => store::verify(dir, &images()?),
            BundleTarget::Tar(path) => tarball::verify(path, &images()?),
            BundleTarget::OciLayout { dir, formats } => {
                let artifacts = OciArtifact::build_all(release, formats, ctx, WHAT_IT_DOES)?;
                oci_layout::verify(dir, &artifacts)
            }
        }
    }
}
