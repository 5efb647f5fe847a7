//! A client of ModelScope's `/api/v1`: every answer's `{Code, Success}` envelope is checked,
//! the token goes as the cookie `m_session_id` and only to the endpoint's own origin.

use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::COOKIE;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::endpoint::ModelScopeEndpoint;
use super::error::ModelScopeError;
use crate::digest::Digest;
use crate::http::{HttpSettings, read_capped};
use crate::manifest::Visibility;
use crate::origin::same_origin;
use crate::push::lfs::{LfsAction, LfsObject, batch_objects};
use crate::push::upload_body::send_whole;
use crate::push::{
    BlobSource, Failure, Progress, PushError, check_response, check_send_error, with_retries,
};
use crate::secret::Secret;
use crate::source::RepoId;

/// Most objects in one LFS batch call.
pub const MAX_BATCH: usize = 64;
/// Most actions in one commit.
pub const MAX_COMMIT: usize = 256;
/// Largest envelope read.
const MAX_ANSWER: u64 = 32 << 20;

fn wrap(err: ModelScopeError) -> PushError {
    PushError::Backend {
        backend: "modelscope".to_string(),
        source: Box::new(err),
    }
}

/// One file of a repository listing.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoteFile {
    /// The path in the repository.
    pub path: String,
    /// `blob` or `tree`.
    #[serde(default, rename = "Type")]
    pub kind: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: u64,
    /// Lowercase hex sha256 (may be empty for some files).
    #[serde(default)]
    pub sha256: String,
    /// Whether the file is stored in LFS.
    #[serde(default, rename = "IsLFS")]
    pub is_lfs: bool,
}

/// One action of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitAction {
    /// A file whose bytes were uploaded through LFS.
    Lfs {
        /// Its path.
        path: String,
        /// Its size.
        size: u64,
        /// Its sha256.
        sha256: Digest,
    },
    /// A small file sent inside the commit.
    Inline {
        /// Its path.
        path: String,
        /// The bytes.
        content: Vec<u8>,
    },
}

impl CommitAction {
    fn to_json(&self) -> Value {
        use base64::Engine as _;
        match self {
            Self::Lfs { path, size, sha256 } => {
                json!({"action": "create", "path": path, "type": "lfs",
                "size": size, "sha256": sha256.hex(), "content": "", "encoding": ""})
            }
            Self::Inline { path, content } => {
                json!({"action": "create", "path": path, "type": "normal",
                "size": content.len(), "sha256": "",
                "content": base64::engine::general_purpose::STANDARD.encode(content), "encoding": "base64"})
            }
        }
    }
}

/// A client of one ModelScope site for one token.
#[derive(Debug, Clone)]
pub struct ModelScopeClient {
    endpoint: ModelScopeEndpoint,
    token: Secret,
    http: Client,
    settings: HttpSettings,
}

impl ModelScopeClient {
    /// The same client with the time limits and retries of `settings` (the HTTP connection
    /// pool is shared).
    pub fn with_settings(&self, settings: HttpSettings) -> Self {
        Self {
            settings,
            ..self.clone()
        }
    }

    /// A client of `endpoint` sending `token` as `m_session_id`, with the time limits and
    /// retries of `settings`.
    pub fn new(
        endpoint: ModelScopeEndpoint,
        token: Secret,
        settings: HttpSettings,
    ) -> Result<Self, PushError> {
        Ok(Self {
            endpoint,
            token,
            http: crate::push::http::client_with(&settings)?,
            settings,
        })
    }

    /// The site.
    pub fn endpoint(&self) -> &ModelScopeEndpoint {
        &self.endpoint
    }

    /// Adds the session cookie when `url` is on the endpoint's origin, never elsewhere.
    fn authorize(&self, request: RequestBuilder, url: &Url) -> RequestBuilder {
        if same_origin(self.endpoint.url(), url) {
            request.header(COOKIE, format!("m_session_id={}", self.token.expose()))
        } else {
            request
        }
    }

    /// Sends with retries and returns the envelope's `Data`; `allow_404` turns a 404 into
    /// `None`.
    fn call(
        &self,
        what: &str,
        url: &Url,
        progress: &dyn Progress,
        allow_404: bool,
        build: impl Fn(&Client) -> Result<RequestBuilder, PushError>,
    ) -> Result<Option<Value>, PushError> {
        with_retries(&self.settings.retry, progress, what, |_| {
            let request = self.authorize(build(&self.http)?, url);
            let response = request
                .send()
                .map_err(|e| check_send_error(what, url.as_str(), e))?;
            let status = response.status();
            // 5xx and 429 are retried (with the server's Retry-After) before any envelope.
            let response = if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                check_response(what, response)?
            } else {
                response
            };
            if allow_404 && status == StatusCode::NOT_FOUND {
                return Ok(None);
            }
            read_envelope(what, url, response)
                .map(Some)
                .map_err(Failure::Fatal)
        })
    }

    fn models_path(&self, repo: &RepoId) -> String {
        format!("/api/v1/models/{}/{}", repo.owner(), repo.name())
    }

    fn repos_path(&self, repo: &RepoId) -> String {
        format!("/api/v1/repos/models/{}/{}", repo.owner(), repo.name())
    }

    /// `GET /api/v1/models/{owner}/{name}`: whether the repository exists.
    pub fn repo_exists(&self, repo: &RepoId, progress: &dyn Progress) -> Result<bool, PushError> {
        let url = self.endpoint.join(&self.models_path(repo));
        let what = format!("looking up ModelScope repository `{repo}`");
        let found = self.call(&what, &url, progress, true, |http| {
            Ok(http
                .get(url.clone())
                .timeout(self.settings.transfer_timeout(0)))
        })?;
        Ok(found.is_some())
    }

    /// `POST /api/v1/models`: creates the repository.
    pub fn create_repo(
        &self,
        repo: &RepoId,
        visibility: Visibility,
        license: &str,
        progress: &dyn Progress,
    ) -> Result<(), PushError> {
        let url = self.endpoint.join("/api/v1/models");
        let what = format!("creating ModelScope repository `{repo}`");
        let body = json!({"Path": repo.owner(), "Name": repo.name(), "ChineseName": "",
            "Visibility": visibility.code(), "License": license, "OriginalModelId": "", "TrainId": ""});
        self.call(&what, &url, progress, false, |http| {
            Ok(http
                .post(url.clone())
                .json(&body)
                .timeout(self.settings.transfer_timeout(0)))
        })?;
        Ok(())
    }

    /// `POST .../info/lfs/objects/batch` for at most [`MAX_BATCH`] objects.
    pub fn lfs_batch(
        &self,
        repo: &RepoId,
        objects: &[(Digest, u64)],
        progress: &dyn Progress,
    ) -> Result<Vec<LfsObject>, PushError> {
        if objects.len() > MAX_BATCH {
            return Err(PushError::input(format!(
                "an LFS batch takes at most {MAX_BATCH} objects, not {}",
                objects.len()
            )));
        }
        let url = self
            .endpoint
            .join(&format!("{}/info/lfs/objects/batch", self.repos_path(repo)));
        let what = format!(
            "asking ModelScope which of {} blobs `{repo}` lacks",
            objects.len()
        );
        let body = json!({"operation": "upload", "objects": batch_objects(objects)});
        let data = self
            .call(&what, &url, progress, false, |http| {
                Ok(http
                    .post(url.clone())
                    .json(&body)
                    .timeout(self.settings.transfer_timeout(0)))
            })?
            .unwrap_or(Value::Null);
        let answer: Vec<LfsObject> = serde_json::from_value(
            data.get("objects").cloned().unwrap_or(Value::Null),
        )
        .map_err(|e| PushError::Protocol {
            what: what.clone(),
            url: url.to_string(),
            message: format!("`Data.objects` is not a list of objects: {e}"),
        })?;
        Ok(answer)
    }

    /// `PUT <href>` of the whole blob, streamed with `Content-Length`. A retry first asks the
    /// batch endpoint whether an earlier attempt landed. Returns the bytes sent.
    pub fn put_object(
        &self,
        repo: &RepoId,
        digest: &Digest,
        source: &BlobSource,
        action: &LfsAction,
        name: &str,
        progress: &dyn Progress,
    ) -> Result<u64, PushError> {
        let url = self
            .endpoint
            .url()
            .join(&action.href)
            .map_err(|e| PushError::Protocol {
                what: format!("uploading {name}"),
                url: action.href.clone(),
                message: format!("the upload href is not a URL: {e}"),
            })?;
        let what = format!("uploading {name} to ModelScope");
        let size = source.size();
        let mut sent = 0u64;
        with_retries(&self.settings.retry, progress, &what, |attempt| {
            if attempt > 1 {
                let answer = self.lfs_batch(repo, &[(*digest, size)], progress)?;
                if answer.iter().all(|o| o.upload().is_none()) {
                    return Ok(());
                }
            }
            let mut request = self.http.put(url.clone());
            for (key, value) in action.text_headers() {
                request = request.header(key, value);
            }
            let request = self.authorize(request, &url);
            let response = send_whole(
                request,
                (&url, &self.settings),
                source,
                (name, &what),
                progress,
                &mut sent,
            )?;
            read_optional_envelope(&what, &url, response).map_err(Failure::Fatal)
        })?;
        Ok(sent)
    }

    /// `POST .../commit/master` with at most [`MAX_COMMIT`] actions.
    pub fn commit(
        &self,
        repo: &RepoId,
        message: &str,
        actions: &[CommitAction],
        progress: &dyn Progress,
    ) -> Result<(), PushError> {
        if actions.is_empty() || actions.len() > MAX_COMMIT {
            return Err(PushError::input(format!(
                "a ModelScope commit takes 1 to {MAX_COMMIT} files, not {}",
                actions.len()
            )));
        }
        let url = self
            .endpoint
            .join(&format!("{}/commit/master", self.repos_path(repo)));
        let what = format!(
            "committing {} files to ModelScope repository `{repo}`",
            actions.len()
        );
        let body = json!({"commit_message": message,
            "actions": actions.iter().map(CommitAction::to_json).collect::<Vec<_>>()});
        let bytes = body.to_string().len() as u64;
        self.call(&what, &url, progress, false, |http| {
            Ok(http
                .post(url.clone())
                .json(&body)
                .timeout(self.settings.transfer_timeout(bytes)))
        })?;
        Ok(())
    }

    /// `GET .../repo/files?Revision=master&Recursive=true`: every file of the repository.
    pub fn list_files(
        &self,
        repo: &RepoId,
        progress: &dyn Progress,
    ) -> Result<Vec<RemoteFile>, PushError> {
        let mut url = self
            .endpoint
            .join(&format!("{}/repo/files", self.models_path(repo)));
        url.query_pairs_mut()
            .append_pair("Revision", "master")
            .append_pair("Recursive", "true");
        let what = format!("listing the files of ModelScope repository `{repo}`");
        let data = self
            .call(&what, &url, progress, false, |http| {
                Ok(http
                    .get(url.clone())
                    .timeout(self.settings.transfer_timeout(0)))
            })?
            .unwrap_or(Value::Null);
        let files: Vec<RemoteFile> =
            serde_json::from_value(data.get("Files").cloned().unwrap_or(Value::Array(vec![])))
                .map_err(|e| PushError::Protocol {
                    what,
                    url: url.to_string(),
                    message: format!("`Data.Files` is not a list of files: {e}"),
                })?;
        Ok(files.into_iter().filter(|f| f.kind != "tree").collect())
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Code")]
    code: Option<i64>,
    #[serde(rename = "Success")]
    success: Option<bool>,
    #[serde(rename = "Message", default)]
    message: Option<String>,
    #[serde(rename = "RequestId", default)]
    request_id: Option<String>,
    #[serde(rename = "Data", default)]
    data: Value,
}

fn read_body(
    what: &str,
    url: &Url,
    response: Response,
) -> Result<(StatusCode, Vec<u8>), PushError> {
    let status = response.status();
    let bytes = read_capped(response, MAX_ANSWER).map_err(|e| PushError::Protocol {
        what: what.to_string(),
        url: url.to_string(),
        message: e.to_string(),
    })?;
    Ok((status, bytes))
}

/// Checks an answer's envelope: success is `Code == 200 && Success`, whatever the HTTP
/// status says; 401/403 become [`PushError::Unauthorized`] with the envelope's message.
fn check_envelope(
    what: &str,
    url: &Url,
    status: StatusCode,
    bytes: &[u8],
) -> Result<Value, PushError> {
    let parsed: Option<Envelope> = serde_json::from_slice(bytes).ok();
    let Some(envelope) = parsed.filter(|e| e.code.is_some() && e.success.is_some()) else {
        let body = crate::http::error_text(None, bytes);
        return Err(wrap(ModelScopeError::NotAnEnvelope {
            what: what.to_string(),
            url: url.to_string(),
            status: status.as_u16(),
            body,
        }));
    };
    let code = envelope.code.unwrap_or_default();
    let success = envelope.success.unwrap_or_default();
    if status.is_success() && code == 200 && success {
        return Ok(envelope.data);
    }
    let message = envelope.message.unwrap_or_default();
    if matches!(status.as_u16(), 401 | 403) || matches!(code, 401 | 403) {
        return Err(PushError::Unauthorized {
            what: what.to_string(),
            url: url.to_string(),
            status: status.as_u16(),
            message,
        });
    }
    Err(wrap(ModelScopeError::Envelope {
        what: what.to_string(),
        url: url.to_string(),
        status: status.as_u16(),
        code,
        success,
        message,
        request_id: envelope.request_id.unwrap_or_else(|| "-".into()),
    }))
}

fn read_envelope(what: &str, url: &Url, response: Response) -> Result<Value, PushError> {
    let (status, bytes) = read_body(what, url, response)?;
    check_envelope(what, url, status, &bytes)
}

/// Like [`read_envelope`], but an empty 2xx body (object storage answering a PUT) passes.
fn read_optional_envelope(what: &str, url: &Url, response: Response) -> Result<(), PushError> {
    let (status, bytes) = read_body(what, url, response)?;
    if status.is_success() && bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    check_envelope(what, url, status, &bytes).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("http://127.0.0.1:1/api/v1/models").unwrap()
    }

    #[test]
    fn envelope_failure_inside_200_is_an_error() {
        let body =
            br#"{"Code":10010205,"Success":false,"Message":"quota","RequestId":"r1","Data":null}"#;
        let err = check_envelope("creating", &url(), StatusCode::OK, body).unwrap_err();
        assert_eq!(
            crate::push::error_chain(&err),
            "modelscope: creating: http://127.0.0.1:1/api/v1/models answered HTTP 200 with Code 10010205, Success false: quota (request id r1)"
        );
    }

    #[test]
    fn success_needs_both_fields() {
        let ok = br#"{"Code":200,"Success":true,"Data":{"x":1}}"#;
        assert_eq!(
            check_envelope("x", &url(), StatusCode::OK, ok).unwrap()["x"],
            1
        );
        let half = br#"{"Code":200,"Success":false,"Data":null}"#;
        assert!(check_envelope("x", &url(), StatusCode::OK, half).is_err());
        let bare = br#"{"ok":true}"#;
        let err = check_envelope("x", &url(), StatusCode::OK, bare).unwrap_err();
        assert!(
            crate::push::error_chain(&err).contains("without the `{Code, Success}` envelope"),
            "{err}"
        );
        let denied = br#"{"Code":401,"Success":false,"Message":"login"}"#;
        let err = check_envelope("x", &url(), StatusCode::UNAUTHORIZED, denied).unwrap_err();
        assert!(matches!(err, PushError::Unauthorized { .. }), "{err}");
    }
}
