//! A client of one Ollama server's HTTP API: the calls the ollama backend makes, each with
//! the shared retry policy (5xx, 429 and dropped connections are retried; other 4xx fail with
//! Ollama's own `{"error"}` message).

use reqwest::Method;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::OllamaHost;
use super::error::OllamaApiError;
use super::ndjson::{StreamContext, read_stream};
use crate::digest::Digest;
use crate::http::{HttpSettings, read_capped};
use crate::ollama::OllamaVersion;
use crate::push::http::refuse_redirect;
use crate::push::upload_body::send_whole;
use crate::push::{
    BlobSource, Failure, Progress, PushError, check_response, check_send_error, with_retries,
};

/// The backend name used in errors.
const BACKEND: &str = "ollama";
/// Time limit for a streamed create or push answer.
const STREAMED_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2 * 3600);

/// What `/api/show` says about a model (the fields verify compares).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ShowResponse {
    /// Licenses joined by newlines.
    #[serde(default)]
    pub license: String,
    /// The Modelfile Ollama would write for the model.
    #[serde(default)]
    pub modelfile: String,
    /// The TEMPLATE.
    #[serde(default)]
    pub template: String,
    /// The SYSTEM prompt.
    #[serde(default)]
    pub system: String,
    /// Parameters as text, one `name value` line each.
    #[serde(default)]
    pub parameters: String,
    /// MESSAGE entries.
    #[serde(default)]
    pub messages: Vec<Value>,
    /// The model's capabilities (`completion`, `tools`, `thinking`, `vision`, `insert`).
    #[serde(default)]
    pub capabilities: Vec<String>,
}

/// One entry of `/api/tags`.
#[derive(Debug, Clone, Deserialize)]
pub struct TagEntry {
    /// The model name as Ollama displays it (`ns/model:tag`).
    pub name: String,
    /// The manifest digest (hex).
    #[serde(default)]
    pub digest: String,
    /// Total size in bytes.
    #[serde(default)]
    pub size: u64,
}

#[derive(Deserialize)]
struct TagsResponse {
    #[serde(default)]
    models: Vec<TagEntry>,
}

#[derive(Deserialize)]
struct VersionResponse {
    version: String,
}

/// A client of one Ollama server.
#[derive(Debug, Clone)]
pub struct OllamaClient {
    host: OllamaHost,
    http: Client,
    settings: HttpSettings,
}

fn wrap(err: OllamaApiError) -> PushError {
    PushError::Backend {
        backend: BACKEND.to_string(),
        source: Box::new(err),
    }
}

impl OllamaClient {
    /// The same client with the time limits and retries of `settings` (the HTTP connection
    /// pool is shared).
    pub fn with_settings(&self, settings: HttpSettings) -> Self {
        Self {
            settings,
            ..self.clone()
        }
    }

    /// A client for the server at `host`, with the time limits and retries of `settings`.
    pub fn new(host: OllamaHost, settings: HttpSettings) -> Result<Self, PushError> {
        Ok(Self {
            host,
            http: crate::push::http::client_with(&settings)?,
            settings,
        })
    }

    /// The server's base URL.
    pub fn host(&self) -> &OllamaHost {
        &self.host
    }

    /// Sorts a transport error like [`check_send_error`], except that a refused connection
    /// fails at once: nothing listens at the host, and retrying only makes the user wait.
    fn send_error(&self, what: &str, url: &Url, err: reqwest::Error) -> Failure {
        if connection_refused(&err) {
            return Failure::Fatal(wrap(OllamaApiError::Unreachable {
                host: self.host.to_string(),
            }));
        }
        check_send_error(what, url.as_str(), err)
    }

    /// Sends a request built by `build` with retries; `build` runs once per attempt.
    fn call(
        &self,
        what: &str,
        url: &Url,
        progress: &dyn Progress,
        build: impl Fn(&Client) -> Result<RequestBuilder, PushError>,
    ) -> Result<Response, PushError> {
        with_retries(&self.settings.retry, progress, what, |_| {
            let request = build(&self.http)?;
            let response = request.send().map_err(|e| self.send_error(what, url, e))?;
            refuse_redirect(what, check_response(what, response)?)
        })
    }

    /// `GET /api/version`.
    pub fn version(&self, progress: &dyn Progress) -> Result<OllamaVersion, PushError> {
        let url = self.host.api("/api/version");
        let what = "asking the Ollama server for its version";
        let response = self.call(what, &url, progress, |http| {
            Ok(http
                .get(url.clone())
                .timeout(self.settings.transfer_timeout(0)))
        })?;
        let body: VersionResponse = read_json(what, &url, response)?;
        OllamaVersion::parse(&body.version).ok_or_else(|| PushError::Protocol {
            what: what.to_string(),
            url: url.to_string(),
            message: format!("`{}` is not a version", body.version),
        })
    }

    fn blob_url(&self, digest: &Digest) -> Url {
        self.host.api(&format!("/api/blobs/{digest}"))
    }

    /// `HEAD /api/blobs/sha256:<hex>`: whether the server has the blob.
    pub fn blob_exists(&self, digest: &Digest, progress: &dyn Progress) -> Result<bool, PushError> {
        let url = self.blob_url(digest);
        let what = format!("checking blob {digest}");
        with_retries(&self.settings.retry, progress, &what, |_| {
            let response = self
                .http
                .head(url.clone())
                .timeout(self.settings.transfer_timeout(0))
                .send()
                .map_err(|e| self.send_error(&what, &url, e))?;
            if response.status() == reqwest::StatusCode::NOT_FOUND {
                return Ok(false);
            }
            refuse_redirect(&what, check_response(&what, response)?)?;
            Ok(true)
        })
    }

    /// `POST /api/blobs/sha256:<hex>` with the bytes streamed from `source`. A retry first
    /// asks whether an earlier attempt already landed, so nothing is stored twice. Returns
    /// the bytes sent.
    pub fn upload_blob(
        &self,
        digest: &Digest,
        source: &BlobSource,
        name: &str,
        progress: &dyn Progress,
    ) -> Result<u64, PushError> {
        let url = self.blob_url(digest);
        let what = format!("uploading {name} ({digest})");
        let mut sent = 0u64;
        with_retries(&self.settings.retry, progress, &what, |attempt| {
            if attempt > 1 && self.blob_exists(digest, progress)? {
                return Ok(());
            }
            let request = self.http.post(url.clone());
            send_whole(
                request,
                (&url, &self.settings),
                source,
                (name, &what),
                progress,
                &mut sent,
            )?;
            Ok(())
        })?;
        Ok(sent)
    }

    /// A streamed POST whose NDJSON answer is checked line by line.
    fn streamed(
        &self,
        operation: &'static str,
        path: &str,
        model: &str,
        body: &Value,
        progress: &dyn Progress,
    ) -> Result<(), PushError> {
        let url = self.host.api(path);
        let what = format!("{operation} `{model}`");
        let response = self.call(&what, &url, progress, |http| {
            // Creating (a quantize copy on v0.30+) and pushing can take long; bounded all the same.
            Ok(http.post(url.clone()).json(body).timeout(STREAMED_TIMEOUT))
        })?;
        let context = StreamContext {
            operation,
            model,
            url: url.as_str(),
        };
        read_stream(response, context, |_| {}).map_err(wrap)
    }

    /// `POST /api/create` with a body from [`super::files_request`] or
    /// [`super::modelfile_request`].
    pub fn create(
        &self,
        model: &str,
        body: &Value,
        progress: &dyn Progress,
    ) -> Result<(), PushError> {
        self.streamed("create", "/api/create", model, body, progress)
    }

    /// `POST /api/copy`: gives `source` a second name.
    pub fn copy(
        &self,
        source: &str,
        destination: &str,
        progress: &dyn Progress,
    ) -> Result<(), PushError> {
        let url = self.host.api("/api/copy");
        let what = format!("copying `{source}` to `{destination}`");
        let body = json!({ "source": source, "destination": destination });
        self.call(&what, &url, progress, |http| {
            Ok(http
                .post(url.clone())
                .json(&body)
                .timeout(self.settings.transfer_timeout(0)))
        })?;
        Ok(())
    }

    /// `POST /api/push`: publishes a model under its (namespaced) name.
    pub fn push(
        &self,
        model: &str,
        insecure: bool,
        progress: &dyn Progress,
    ) -> Result<(), PushError> {
        let body = json!({ "model": model, "insecure": insecure, "stream": true });
        self.streamed("push", "/api/push", model, &body, progress)
    }

    /// `POST /api/show`; `None` when the server answers 404.
    pub fn show(
        &self,
        model: &str,
        progress: &dyn Progress,
    ) -> Result<Option<ShowResponse>, PushError> {
        let url = self.host.api("/api/show");
        let what = format!("reading `{model}` back");
        let body = json!({ "model": model });
        let response = with_retries(&self.settings.retry, progress, &what, |_| {
            let response = self
                .http
                .post(url.clone())
                .json(&body)
                .timeout(self.settings.transfer_timeout(0))
                .send()
                .map_err(|e| self.send_error(&what, &url, e))?;
            if response.status() == reqwest::StatusCode::NOT_FOUND {
                return Ok(None);
            }
            Ok(Some(refuse_redirect(
                &what,
                check_response(&what, response)?,
            )?))
        })?;
        response.map(|r| read_json(&what, &url, r)).transpose()
    }

    /// `GET /api/tags`: every model on the server.
    pub fn tags(&self, progress: &dyn Progress) -> Result<Vec<TagEntry>, PushError> {
        let url = self.host.api("/api/tags");
        let what = "listing the server's models";
        let response = self.call(what, &url, progress, |http| {
            Ok(http
                .get(url.clone())
                .timeout(self.settings.transfer_timeout(0)))
        })?;
        let tags: TagsResponse = read_json(what, &url, response)?;
        Ok(tags.models)
    }

    /// `DELETE /api/delete`; `false` when the model was not there.
    pub fn delete(&self, model: &str, progress: &dyn Progress) -> Result<bool, PushError> {
        let url = self.host.api("/api/delete");
        let what = format!("deleting `{model}`");
        let body = json!({ "model": model });
        with_retries(&self.settings.retry, progress, &what, |_| {
            let response = self
                .http
                .request(Method::DELETE, url.clone())
                .json(&body)
                .timeout(self.settings.transfer_timeout(0))
                .send()
                .map_err(|e| self.send_error(&what, &url, e))?;
            if response.status() == reqwest::StatusCode::NOT_FOUND {
                return Ok(false);
            }
            refuse_redirect(&what, check_response(&what, response)?)?;
            Ok(true)
        })
    }
}

/// Whether `err` (or a cause of it) is a refused TCP connection.
fn connection_refused(err: &reqwest::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = cause {
        if current
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return true;
        }
        cause = current.source();
    }
    false
}

/// Reads a JSON answer of at most 16 MiB.
fn read_json<T: serde::de::DeserializeOwned>(
    what: &str,
    url: &Url,
    response: Response,
) -> Result<T, PushError> {
    let bytes = read_capped(response, 16 << 20).map_err(|e| PushError::Protocol {
        what: what.to_string(),
        url: url.to_string(),
        message: e.to_string(),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| PushError::Protocol {
        what: what.to_string(),
        url: url.to_string(),
        message: format!("the answer is not the expected JSON: {e}"),
    })
}
