//! What is in a repository: model info with blobs (one request) and the paginated tree.

use serde::Deserialize;
use url::Url;

use super::{HubClient, HubError};
use crate::digest::Digest;
use crate::http::next_link;
use crate::source::{RepoId, Revision};

/// One file in a repository, as the Hub lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoFile {
    /// The path inside the repository.
    pub path: String,
    /// The size in bytes (the real file's size for LFS files, not the pointer's).
    pub size: Option<u64>,
    /// The SHA-256 of the content, for LFS files (the LFS oid).
    pub sha256: Option<Digest>,
}

/// The parts of `GET /api/models/{repo}?blobs=true` this crate uses.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    /// The commit the revision points to.
    pub commit: Option<String>,
    /// Whether the repository is private.
    pub private: bool,
    /// Whether the repository is gated (`gated` is `false`, `"auto"` or `"manual"`).
    pub gated: bool,
    /// Every file, with sizes and LFS hashes.
    pub files: Vec<RepoFile>,
}

#[derive(Deserialize)]
struct ModelInfoJson {
    sha: Option<String>,
    #[serde(default)]
    private: bool,
    #[serde(default)]
    gated: serde_json::Value,
    #[serde(default)]
    siblings: Vec<SiblingJson>,
}

#[derive(Deserialize)]
struct SiblingJson {
    rfilename: String,
    size: Option<u64>,
    lfs: Option<SiblingLfsJson>,
}

#[derive(Deserialize)]
struct SiblingLfsJson {
    sha256: String,
    size: Option<u64>,
}

#[derive(Deserialize)]
struct TreeEntryJson {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    size: Option<u64>,
    lfs: Option<TreeLfsJson>,
}

#[derive(Deserialize)]
struct TreeLfsJson {
    oid: String,
    size: Option<u64>,
}

impl HubClient {
    /// `GET /api/models/{repo}[/revision/{rev}]?blobs=true`: the files of a repository at a
    /// revision, with sizes and LFS SHA-256s, in one request.
    pub fn model_info(&self, repo: &RepoId, revision: &Revision) -> Result<ModelInfo, HubError> {
        let path = if revision == &Revision::main() {
            format!("api/models/{repo}?blobs=true")
        } else {
            format!(
                "api/models/{repo}/revision/{}?blobs=true",
                revision.encoded()
            )
        };
        let (info, answer): (ModelInfoJson, _) = self.get_json(self.url(&path)?)?;
        let files = info
            .siblings
            .into_iter()
            .map(|sibling| {
                let (size, sha256) = match sibling.lfs {
                    Some(lfs) => (
                        lfs.size.or(sibling.size),
                        Some(parse_oid(&lfs.sha256, &answer.url)?),
                    ),
                    None => (sibling.size, None),
                };
                Ok(RepoFile {
                    path: sibling.rfilename,
                    size,
                    sha256,
                })
            })
            .collect::<Result<_, HubError>>()?;
        Ok(ModelInfo {
            commit: info.sha,
            private: info.private,
            gated: !matches!(
                info.gated,
                serde_json::Value::Null | serde_json::Value::Bool(false)
            ),
            files,
        })
    }

    /// `GET /api/models/{repo}/tree/{rev}?recursive=true`: every file, following
    /// `Link: <...>; rel="next"` for at most [`super::HubLimits::max_tree_pages`] pages.
    pub fn list_tree(&self, repo: &RepoId, revision: &Revision) -> Result<Vec<RepoFile>, HubError> {
        let mut url = self.url(&format!(
            "api/models/{repo}/tree/{}?recursive=true",
            revision.encoded()
        ))?;
        let mut files = Vec::new();
        for _ in 0..self.limits().max_tree_pages {
            let (entries, answer): (Vec<TreeEntryJson>, _) = self.get_json(url)?;
            for entry in entries.into_iter().filter(|entry| entry.kind == "file") {
                let (size, sha256) = match entry.lfs {
                    Some(lfs) => (
                        lfs.size.or(entry.size),
                        Some(parse_oid(&lfs.oid, &answer.url)?),
                    ),
                    None => (entry.size, None),
                };
                files.push(RepoFile {
                    path: entry.path,
                    size,
                    sha256,
                });
            }
            let next = next_link(answer.response.headers(), &answer.url);
            match next {
                Some(next) => url = next,
                None => return Ok(files),
            }
        }
        Err(HubError::InvalidResponse {
            url: url.to_string(),
            reason: format!(
                "the tree has more than {} pages",
                self.limits().max_tree_pages
            ),
        })
    }
}

fn parse_oid(oid: &str, url: &Url) -> Result<Digest, HubError> {
    Digest::from_hex(oid).map_err(|_| HubError::InvalidResponse {
        url: url.to_string(),
        reason: format!("the LFS sha256 `{oid}` is not 64 hex digits"),
    })
}
