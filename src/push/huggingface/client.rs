//! The Hub client's upload side: repository creation, preupload, the LFS batch API (basic and
//! multipart transfers, verify actions), the NDJSON commit API, and the reads the backend
//! needs (tree listing, discussions, small downloads), as methods of the crate's one
//! [`HubClient`]. `Authorization` goes only to the Hub's own origin: never to the storage
//! URLs LFS actions point at, nor after a redirect elsewhere.

use std::collections::BTreeMap;

use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, ETAG, HeaderMap};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::digest::Digest;
use crate::http::{next_link, read_capped};
use crate::push::http::{get_following_redirects_within, refuse_redirect};
use crate::push::lfs::{LfsAction, LfsObject, batch_objects};
use crate::push::upload_body::{send_whole, sized_body, with_progress};
use crate::push::{
    BlobSource, Failure, Progress, PushError, check_response, check_send_error, with_retries,
};
use crate::source::{HubClient, HubError, RepoId};

/// The media type of the LFS batch API.
const LFS_JSON: &str = "application/vnd.git-lfs+json";
/// Largest JSON answer read.
const MAX_ANSWER: u64 = 32 << 20;
/// Most pages of a tree listing followed.
const MAX_PAGES: usize = 10_000;

pub(crate) fn wrap(err: HubError) -> PushError {
    PushError::Backend {
        backend: "huggingface".to_string(),
        source: Box::new(err),
    }
}

/// How the Hub wants a file sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMode {
    /// Through LFS.
    Lfs,
    /// Inline in the commit.
    Regular,
}

/// One entry of a tree listing.
#[derive(Debug, Clone, Deserialize)]
pub struct TreeEntry {
    /// `file` or `directory`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The path.
    pub path: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
    /// LFS details for LFS files.
    #[serde(default)]
    pub lfs: Option<TreeLfs>,
}

/// The LFS part of a tree entry.
#[derive(Debug, Clone, Deserialize)]
pub struct TreeLfs {
    /// The sha256.
    pub oid: String,
    /// The size.
    #[serde(default)]
    pub size: u64,
}

/// One line of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitOp {
    /// A small file sent inline.
    Regular {
        /// Its path.
        path: String,
        /// The bytes.
        content: Vec<u8>,
    },
    /// A file whose bytes went through LFS.
    Lfs {
        /// Its path.
        path: String,
        /// Its sha256.
        oid: Digest,
        /// Its size.
        size: u64,
    },
}

/// What a commit call answered.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommitInfo {
    /// The commit's page.
    #[serde(default)]
    pub commit_url: String,
    /// The commit id.
    #[serde(default)]
    pub commit_oid: String,
    /// The pull request's page, when one was opened.
    #[serde(default)]
    pub pull_request_url: Option<String>,
}

impl CommitInfo {
    /// `refs/pr/N` of the pull request this commit opened.
    pub fn pull_request_ref(&self) -> Option<String> {
        let url = self.pull_request_url.as_deref()?;
        let number: u64 = url.trim_end_matches('/').rsplit('/').next()?.parse().ok()?;
        Some(format!("refs/pr/{number}"))
    }
}

fn encode_revision(revision: &str) -> String {
    revision.replace('/', "%2F")
}

fn protocol(what: &str, url: &Url, message: String) -> PushError {
    PushError::Protocol {
        what: what.to_string(),
        url: url.to_string(),
        message,
    }
}

fn read_json<T: serde::de::DeserializeOwned>(
    what: &str,
    url: &Url,
    response: Response,
) -> Result<T, PushError> {
    let bytes =
        read_capped(response, MAX_ANSWER).map_err(|e| protocol(what, url, e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        protocol(
            what,
            url,
            format!("the answer is not the expected JSON: {e}"),
        )
    })
}

impl HubClient {
    /// Adds `Authorization` when `url` is on the Hub's origin, never elsewhere.
    fn authorize(&self, request: RequestBuilder, url: &Url) -> RequestBuilder {
        match self.bearer() {
            Ok(Some(value)) if self.endpoint().is_own_origin(url) => {
                request.header(AUTHORIZATION, value)
            }
            _ => request,
        }
    }

    /// Sends a request (rebuilt per attempt) with retries; `accept` lists extra statuses the
    /// caller handles itself.
    fn send(
        &self,
        what: &str,
        url: &Url,
        progress: &dyn Progress,
        accept: &[StatusCode],
        build: impl Fn(&Client) -> Result<RequestBuilder, PushError>,
    ) -> Result<Response, PushError> {
        with_retries(&self.transfer().retry, progress, what, |_| {
            let request = self.authorize(build(self.http())?, url);
            let response = request
                .send()
                .map_err(|e| check_send_error(what, url.as_str(), e))?;
            if accept.contains(&response.status()) {
                return Ok(response);
            }
            refuse_redirect(what, check_response(what, response)?)
        })
    }

    fn repo_api(&self, repo: &RepoId, tail: &str) -> Url {
        self.endpoint().join(&format!("/api/models/{repo}/{tail}"))
    }

    /// `POST /api/repos/create`; `false` when it already existed (409).
    pub fn create_repo(
        &self,
        repo: &RepoId,
        private: bool,
        progress: &dyn Progress,
    ) -> Result<bool, PushError> {
        let url = self.endpoint().join("/api/repos/create");
        let what = format!("creating Hub repository `{repo}`");
        let body = json!({"type": "model", "name": repo.name(), "organization": repo.owner(), "private": private});
        let response = self.send(&what, &url, progress, &[StatusCode::CONFLICT], |http| {
            Ok(http
                .post(url.clone())
                .json(&body)
                .timeout(self.transfer().transfer_timeout(0)))
        })?;
        Ok(response.status() != StatusCode::CONFLICT)
    }

    /// `POST /api/models/{repo}/preupload/{rev}`: how each file must be sent.
    pub fn preupload(
        &self,
        repo: &RepoId,
        revision: &str,
        files: &[(String, Vec<u8>, u64)],
        progress: &dyn Progress,
    ) -> Result<BTreeMap<String, (UploadMode, bool)>, PushError> {
        use base64::Engine as _;
        let url = self.repo_api(repo, &format!("preupload/{}", encode_revision(revision)));
        let what = format!(
            "asking the Hub how to upload {} files to `{repo}`",
            files.len()
        );
        let list: Vec<Value> = files
            .iter()
            .map(|(path, sample, size)| {
                json!({"path": path, "sample": base64::engine::general_purpose::STANDARD.encode(sample), "size": size})
            })
            .collect();
        let body = json!({ "files": list });
        let response = self.send(&what, &url, progress, &[], |http| {
            Ok(http
                .post(url.clone())
                .json(&body)
                .timeout(self.transfer().transfer_timeout(0)))
        })?;
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Entry {
            path: String,
            upload_mode: String,
            #[serde(default)]
            should_ignore: bool,
        }
        #[derive(Deserialize)]
        struct Answer {
            files: Vec<Entry>,
        }
        let answer: Answer = read_json(&what, &url, response)?;
        answer
            .files
            .into_iter()
            .map(|e| {
                let mode = match e.upload_mode.as_str() {
                    "lfs" => UploadMode::Lfs,
                    "regular" => UploadMode::Regular,
                    other => {
                        return Err(protocol(
                            &what,
                            &url,
                            format!("unknown uploadMode `{other}` for {}", e.path),
                        ));
                    }
                };
                Ok((e.path, (mode, e.should_ignore)))
            })
            .collect()
    }

    /// `POST /{repo}.git/info/lfs/objects/batch` (operation upload, basic and multipart).
    pub fn lfs_batch(
        &self,
        repo: &RepoId,
        objects: &[(Digest, u64)],
        progress: &dyn Progress,
    ) -> Result<Vec<LfsObject>, PushError> {
        let url = self
            .endpoint()
            .join(&format!("/{repo}.git/info/lfs/objects/batch"));
        let what = format!(
            "asking the Hub which of {} LFS objects `{repo}` lacks",
            objects.len()
        );
        let body = json!({"operation": "upload", "transfers": ["basic", "multipart"],
            "objects": batch_objects(objects), "hash_algo": "sha256"})
        .to_string();
        let response = self.send(&what, &url, progress, &[], |http| {
            Ok(http
                .post(url.clone())
                .header(ACCEPT, LFS_JSON)
                .header(CONTENT_TYPE, LFS_JSON)
                .body(body.clone())
                .timeout(self.transfer().transfer_timeout(0)))
        })?;
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            objects: Vec<LfsObject>,
        }
        Ok(read_json::<Answer>(&what, &url, response)?.objects)
    }

    /// A request for an LFS action: the action's own headers (the git-lfs contract), plus our
    /// token only when the action brings no credentials and points at the Hub's origin.
    fn action_request(&self, method: Method, action: &LfsAction, url: &Url) -> RequestBuilder {
        let mut request = self.http().request(method, url.clone());
        let mut has_credentials = false;
        for (key, text) in action.text_headers() {
            has_credentials |= key.eq_ignore_ascii_case("authorization");
            request = request.header(key, text);
        }
        if has_credentials {
            request
        } else {
            self.authorize(request, url)
        }
    }

    fn action_url(&self, what: &str, href: &str) -> Result<Url, PushError> {
        self.endpoint().base_url().join(href).map_err(|e| {
            protocol(
                what,
                self.endpoint().base_url(),
                format!("the action href `{href}` is not a URL: {e}"),
            )
        })
    }

    /// Sends one object's bytes as its `upload` action says: one `PUT`, or parts then the
    /// completion call when `header.chunk_size` is set. A retry of a basic upload first asks
    /// the batch API whether an earlier attempt landed; a multipart retry re-sends one part.
    /// Returns the bytes sent.
    pub fn upload_object(
        &self,
        repo: &RepoId,
        object: (&Digest, &BlobSource),
        upload: &LfsAction,
        name: &str,
        progress: &dyn Progress,
    ) -> Result<u64, PushError> {
        let (digest, source) = object;
        if upload.header.contains_key("chunk_size") {
            return self.upload_multipart(digest, source, upload, name, progress);
        }
        let what = format!("uploading {name} to the Hub's storage");
        let url = self.action_url(&what, &upload.href)?;
        let size = source.size();
        let mut sent = 0;
        with_retries(&self.transfer().retry, progress, &what, |attempt| {
            if attempt > 1 {
                let answer = self.lfs_batch(repo, &[(*digest, size)], progress)?;
                if answer.iter().all(|o| o.actions.is_none()) {
                    return Ok(());
                }
            }
            let request = self.action_request(Method::PUT, upload, &url);
            send_whole(
                request,
                (&url, self.transfer()),
                source,
                (name, &what),
                progress,
                &mut sent,
            )?;
            Ok(())
        })?;
        Ok(sent)
    }

    fn upload_multipart(
        &self,
        digest: &Digest,
        source: &BlobSource,
        upload: &LfsAction,
        name: &str,
        progress: &dyn Progress,
    ) -> Result<u64, PushError> {
        let bad = |reason: String| {
            wrap(HubError::BadMultipart {
                path: name.to_string(),
                reason,
            })
        };
        let chunk_size = match &upload.header["chunk_size"] {
            Value::String(s) => s.parse::<u64>().ok(),
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
        .filter(|c| *c > 0)
        .ok_or_else(|| {
            bad(format!(
                "chunk_size `{}` is not a positive integer",
                upload.header["chunk_size"]
            ))
        })?;
        let mut parts: Vec<(u64, String)> = upload
            .header
            .iter()
            .filter_map(|(key, value)| {
                Some((key.parse::<u64>().ok()?, value.as_str()?.to_string()))
            })
            .collect();
        parts.sort_by_key(|(number, _)| *number);
        let size = source.size();
        let expected = size.div_ceil(chunk_size);
        let numbers: Vec<u64> = parts.iter().map(|(n, _)| *n).collect();
        if numbers != (1..=expected).collect::<Vec<_>>() {
            return Err(bad(format!(
                "{expected} parts of {chunk_size} bytes are needed for {size} bytes, the header lists parts {numbers:?}"
            )));
        }
        let mut sent = 0;
        let mut etags = Vec::new();
        for (number, href) in &parts {
            let what = format!("uploading part {number}/{expected} of {name}");
            let url = self.action_url(&what, href)?;
            let offset = (number - 1) * chunk_size;
            let len = chunk_size.min(size - offset);
            let etag = with_retries(&self.transfer().retry, progress, &what, |_| {
                let (body, count) = sized_body(source, offset, len)?;
                // Part URLs are presigned storage URLs: no Hub headers, no token.
                let mut request = self
                    .http()
                    .put(url.clone())
                    .body(body)
                    .timeout(self.transfer().transfer_timeout(len));
                if self.endpoint().is_own_origin(&url) {
                    request = self.authorize(request, &url);
                }
                let result = with_progress(progress, name, offset, &count, || request.send());
                sent += count.load(std::sync::atomic::Ordering::Relaxed);
                let response = result.map_err(|e| check_send_error(&what, url.as_str(), e))?;
                let response = refuse_redirect(&what, check_response(&what, response)?)?;
                response
                    .headers()
                    .get(ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
                    .ok_or_else(|| {
                        Failure::Fatal(protocol(
                            &what,
                            &url,
                            "the part's answer has no ETag".into(),
                        ))
                    })
            })?;
            etags.push(json!({"partNumber": number, "etag": etag}));
        }
        let what = format!("completing the multipart upload of {name}");
        let url = self.action_url(&what, &upload.href)?;
        let body = json!({"oid": digest.hex(), "parts": etags});
        with_retries(&self.transfer().retry, progress, &what, |_| {
            let request = self
                .authorize(self.http().post(url.clone()), &url)
                .header(ACCEPT, LFS_JSON)
                .header(CONTENT_TYPE, LFS_JSON)
                .body(body.to_string())
                .timeout(self.transfer().transfer_timeout(0));
            let response = request
                .send()
                .map_err(|e| check_send_error(&what, url.as_str(), e))?;
            refuse_redirect(&what, check_response(&what, response)?)?;
            Ok(())
        })?;
        Ok(sent)
    }

    /// Calls an object's `verify` action with `{"oid","size"}`.
    pub fn verify_object(
        &self,
        digest: &Digest,
        size: u64,
        verify: &LfsAction,
        progress: &dyn Progress,
    ) -> Result<(), PushError> {
        let what = format!("confirming LFS object {digest}");
        let url = self.action_url(&what, &verify.href)?;
        let body = json!({"oid": digest.hex(), "size": size}).to_string();
        with_retries(&self.transfer().retry, progress, &what, |_| {
            let request = self
                .action_request(Method::POST, verify, &url)
                .header(ACCEPT, LFS_JSON)
                .header(CONTENT_TYPE, LFS_JSON)
                .body(body.clone())
                .timeout(self.transfer().transfer_timeout(0));
            let response = request
                .send()
                .map_err(|e| check_send_error(&what, url.as_str(), e))?;
            refuse_redirect(&what, check_response(&what, response)?)?;
            Ok(())
        })
    }

    /// `POST /api/models/{repo}/commit/{rev}` (NDJSON); with `create_pr` the commit opens a
    /// pull request (`?create_pr=1`) instead of moving the branch.
    pub fn commit(
        &self,
        repo: &RepoId,
        revision: &str,
        summary: &str,
        ops: &[CommitOp],
        create_pr: bool,
        progress: &dyn Progress,
    ) -> Result<CommitInfo, PushError> {
        use base64::Engine as _;
        let mut url = self.repo_api(repo, &format!("commit/{}", encode_revision(revision)));
        if create_pr {
            url.query_pairs_mut().append_pair("create_pr", "1");
        }
        let what = format!("committing {} files to `{repo}`", ops.len());
        let mut body =
            json!({"key": "header", "value": {"summary": summary, "description": ""}}).to_string();
        for op in ops {
            let line = match op {
                CommitOp::Regular { path, content } => {
                    json!({"key": "file", "value": {"path": path,
                    "content": base64::engine::general_purpose::STANDARD.encode(content), "encoding": "base64"}})
                }
                CommitOp::Lfs { path, oid, size } => {
                    json!({"key": "lfsFile", "value": {"path": path,
                    "algo": "sha256", "oid": oid.hex(), "size": size}})
                }
            };
            body.push('\n');
            body.push_str(&line.to_string());
        }
        body.push('\n');
        let bytes = body.len() as u64;
        let response = self.send(&what, &url, progress, &[], |http| {
            Ok(http
                .post(url.clone())
                .header(CONTENT_TYPE, "application/x-ndjson")
                .body(body.clone())
                .timeout(self.transfer().transfer_timeout(bytes)))
        })?;
        read_json(&what, &url, response)
    }

    /// Every file of `revision` (`GET /api/models/{repo}/tree/{rev}?recursive=true`, following
    /// `Link: rel="next"`); `None` when the repository or revision does not exist.
    pub fn tree(
        &self,
        repo: &RepoId,
        revision: &str,
        progress: &dyn Progress,
    ) -> Result<Option<Vec<TreeEntry>>, PushError> {
        let mut url = self.repo_api(repo, &format!("tree/{}", encode_revision(revision)));
        url.query_pairs_mut().append_pair("recursive", "true");
        let what = format!("listing the files of `{repo}` at {revision}");
        let mut entries = Vec::new();
        for _ in 0..MAX_PAGES {
            let page_url = url.clone();
            let response = self.send(
                &what,
                &page_url,
                progress,
                &[StatusCode::NOT_FOUND],
                |http| {
                    Ok(http
                        .get(page_url.clone())
                        .timeout(self.transfer().transfer_timeout(0)))
                },
            )?;
            if response.status() == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            let next = next_link(response.headers(), &page_url);
            let page: Vec<TreeEntry> = read_json(&what, &page_url, response)?;
            entries.extend(page.into_iter().filter(|e| e.kind == "file"));
            match next {
                Some(next) => url = next,
                None => return Ok(Some(entries)),
            }
        }
        Err(protocol(
            &what,
            &url,
            format!("more than {MAX_PAGES} pages"),
        ))
    }

    /// Numbers of the open (or draft) pull requests of `repo`, newest first, from
    /// `GET /api/models/{repo}/discussions?p=<page>` (the listing the Hub's own client pages
    /// through until `start + len(discussions) >= count`).
    pub fn open_pull_requests(
        &self,
        repo: &RepoId,
        progress: &dyn Progress,
    ) -> Result<Vec<u64>, PushError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Discussion {
            num: u64,
            #[serde(default)]
            status: String,
            #[serde(default)]
            is_pull_request: bool,
        }
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            discussions: Vec<Discussion>,
            #[serde(default)]
            count: u64,
            #[serde(default)]
            start: u64,
        }
        let what = format!("listing the pull requests of `{repo}`");
        let mut open = Vec::new();
        for page in 0..MAX_PAGES {
            let mut url = self.repo_api(repo, "discussions");
            url.query_pairs_mut().append_pair("p", &page.to_string());
            let response = self.send(&what, &url, progress, &[], |http| {
                Ok(http
                    .get(url.clone())
                    .timeout(self.transfer().transfer_timeout(0)))
            })?;
            let page: Page = read_json(&what, &url, response)?;
            let seen = page.start + page.discussions.len() as u64;
            let empty = page.discussions.is_empty();
            open.extend(
                page.discussions
                    .into_iter()
                    .filter(|d| d.is_pull_request && matches!(d.status.as_str(), "open" | "draft"))
                    .map(|d| d.num),
            );
            if empty || seen >= page.count {
                open.sort_unstable_by(|a, b| b.cmp(a));
                return Ok(open);
            }
        }
        Err(protocol(
            &what,
            &self.repo_api(repo, "discussions"),
            format!("more than {MAX_PAGES} pages"),
        ))
    }

    /// The bytes of a small file (`GET /{repo}/resolve/{rev}/{path}`, redirects followed with
    /// the token kept to the Hub's origin), at most `limit` bytes; `None` when absent.
    pub fn download_small(
        &self,
        repo: &RepoId,
        revision: &str,
        path: &str,
        limit: u64,
        progress: &dyn Progress,
    ) -> Result<Option<Vec<u8>>, PushError> {
        let url = self.endpoint().join(&format!(
            "/{repo}/resolve/{}/{path}",
            encode_revision(revision)
        ));
        let what = format!("downloading {path} of `{repo}`");
        let authorization = self.bearer().map_err(wrap)?;
        let response = with_retries(&self.transfer().retry, progress, &what, |_| {
            let (response, _) = get_following_redirects_within(
                self.http(),
                (Method::GET, &url, &HeaderMap::new()),
                authorization.as_ref(),
                &what,
                self.transfer().timeout,
            )?;
            if response.status() == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            Ok(Some(check_response(&what, response)?))
        })?;
        let Some(response) = response else {
            return Ok(None);
        };
        let bytes = read_capped(response, limit).map_err(|e| {
            protocol(
                &what,
                &url,
                match e {
                    crate::http::BodyError::TooLarge { .. } => {
                        format!("the file is larger than {limit} bytes")
                    }
                    crate::http::BodyError::Read(e) => format!("reading failed: {e}"),
                },
            )
        })?;
        Ok(Some(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_pr_refs() {
        assert!("ruv/ruvltra".parse::<RepoId>().is_ok());
        assert!("ruv".parse::<RepoId>().is_err());
        assert!("ruv/../x".parse::<RepoId>().is_err());
        let info = CommitInfo {
            commit_url: String::new(),
            commit_oid: String::new(),
            pull_request_url: Some("https://huggingface.co/ruv/x/discussions/7".into()),
        };
        assert_eq!(info.pull_request_ref().as_deref(), Some("refs/pr/7"));
        assert_eq!(encode_revision("refs/pr/7"), "refs%2Fpr%2F7");
    }
}
