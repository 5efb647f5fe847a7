//! A small OCI distribution client: URLs for one registry, authentication on demand (Basic,
//! or a Bearer token fetched from the registry's token service), and requests with retries.

use std::io::Read;
use std::sync::Mutex;

use reqwest::Method;
use reqwest::blocking::{Body, Client, Response};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, WWW_AUTHENTICATE};
use url::Url;

use super::auth::{Challenge, Credentials, parse_challenge};
use crate::http::{HttpSettings, read_capped};
use crate::origin::same_origin;
use crate::push::error::PushError;
use crate::push::http;
use crate::push::progress::Progress;
use crate::push::retry::{
    Failure, RetryPolicy, check_response, check_send_error, server_message, with_retries,
};
use crate::secret::Secret;

/// The largest token-service answer read (real ones are a few KiB).
const MAX_TOKEN_ANSWER: u64 = 1 << 20;

/// A request body: a fresh reader and its length, built again for every attempt.
pub type BodyFactory<'a> = &'a (dyn Fn() -> Result<(Box<dyn Read + Send>, u64), PushError> + Sync);

/// One registry, with the credentials to use on it.
pub struct RegistryClient {
    http: Client,
    base: Url,
    credentials: Option<Credentials>,
    authorization: Mutex<Option<Secret>>,
    settings: HttpSettings,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryClient")
            .field("base", &self.base.as_str())
            .field("credentials_set", &self.credentials.is_some())
            .finish()
    }
}

impl RegistryClient {
    /// A client for `registry` (`host[:port]`), over HTTPS unless `insecure`, with the time
    /// limits and retries of `settings`.
    pub fn new(
        registry: &str,
        insecure: bool,
        credentials: Option<Credentials>,
        settings: HttpSettings,
    ) -> Result<Self, PushError> {
        let scheme = if insecure { "http" } else { "https" };
        let base = Url::parse(&format!("{scheme}://{registry}/")).map_err(|e| {
            PushError::input(format!(
                "`{registry}` is not a registry address ({e}): expected `host[:port]`, e.g. `127.0.0.1:5000`"
            ))
        })?;
        if base.path() != "/" || base.query().is_some() {
            return Err(PushError::input(format!(
                "`{registry}` is not a registry address: expected `host[:port]` without a path"
            )));
        }
        Ok(Self {
            http: http::client_with(&settings)?,
            base,
            credentials,
            authorization: Mutex::new(None),
            settings,
        })
    }

    /// The registry's base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.settings.retry
    }

    /// The time limits and retries requests work within.
    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// The underlying HTTP client.
    pub fn http(&self) -> &Client {
        &self.http
    }

    /// `<base>/v2/<path>`.
    pub fn v2(&self, path: &str) -> Result<Url, PushError> {
        self.base
            .join(&format!("v2/{path}"))
            .map_err(|e| PushError::input(format!("bad registry path `{path}`: {e}")))
    }

    /// Resolves a `Location` header against the registry.
    pub fn resolve(&self, location: &str) -> Result<Url, PushError> {
        self.base.join(location).map_err(|e| {
            PushError::input(format!(
                "bad `Location` `{location}` from the registry: {e}"
            ))
        })
    }

    /// The current `Authorization` value, if any.
    pub fn authorization(&self) -> Option<HeaderValue> {
        let guard = self.authorization.lock().ok()?;
        let secret = guard.as_ref()?;
        let mut value = HeaderValue::from_str(secret.expose()).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// Checks that the registry answers `/v2/` and authenticates up front for `scope` (so big
    /// bodies are not sent only to be refused with 401). Busy answers (503 with
    /// `Retry-After`, 429) and dropped connections are retried like any other request.
    pub fn login(&self, progress: &dyn Progress, scope: &str) -> Result<(), PushError> {
        let url = self.v2("")?;
        let what = "checking the registry";
        let response = with_retries(&self.settings.retry, progress, what, |_| {
            let response = self
                .http
                .get(url.clone())
                .timeout(self.settings.transfer_timeout(0))
                .send()
                .map_err(|err| check_send_error(what, url.as_str(), err))?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            check_response(what, response)
        })?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED {
            self.authenticate(&response, Some(scope), progress)?;
        }
        Ok(())
    }

    /// Sends one request, retrying per policy; `body` is rebuilt for every attempt. A 401 is
    /// answered by authenticating once and trying again.
    pub fn send(
        &self,
        progress: &dyn Progress,
        what: &str,
        method: Method,
        url: &Url,
        headers: &HeaderMap,
        body: Option<BodyFactory<'_>>,
    ) -> Result<Response, PushError> {
        self.send_inner(progress, what, method, url, headers, body, false)?
            .ok_or_else(|| PushError::Protocol {
                what: what.to_string(),
                url: url.to_string(),
                message: "no answer".into(),
            })
    }

    /// Like [`RegistryClient::send`] for a `GET` or `HEAD` of something that may not exist:
    /// `None` on 404.
    pub fn fetch_optional(
        &self,
        progress: &dyn Progress,
        what: &str,
        method: Method,
        url: &Url,
        headers: &HeaderMap,
    ) -> Result<Option<Response>, PushError> {
        self.send_inner(progress, what, method, url, headers, None, true)
    }

    #[allow(clippy::too_many_arguments)]
    fn send_inner(
        &self,
        progress: &dyn Progress,
        what: &str,
        method: Method,
        url: &Url,
        headers: &HeaderMap,
        body: Option<BodyFactory<'_>>,
        allow_missing: bool,
    ) -> Result<Option<Response>, PushError> {
        let mut reauthenticated = false;
        with_retries(&self.settings.retry, progress, what, |_| {
            let response = self.send_once(what, method.clone(), url, headers, body)?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED && !reauthenticated {
                reauthenticated = true;
                self.authenticate(&response, None, progress)?;
                return Err(Failure::Retryable {
                    reason: format!("{url} asked for authentication"),
                    retry_after: Some(std::time::Duration::ZERO),
                });
            }
            if allow_missing && response.status() == reqwest::StatusCode::NOT_FOUND {
                return Ok(None);
            }
            check_response(what, response).map(Some)
        })
    }

    /// One attempt without retries; the caller sorts the response.
    pub fn send_once(
        &self,
        what: &str,
        method: Method,
        url: &Url,
        headers: &HeaderMap,
        body: Option<BodyFactory<'_>>,
    ) -> Result<Response, Failure> {
        let mut request = self
            .http
            .request(method, url.clone())
            .headers(headers.clone());
        if let Some(value) = self.authorization()
            && same_origin(&self.base, url)
        {
            request = request.header(AUTHORIZATION, value);
        }
        let mut len = 0;
        if let Some(body) = body {
            let (reader, size) = body()?;
            len = size;
            request = request.body(Body::sized(reader, size));
        }
        request
            .timeout(self.settings.transfer_timeout(len))
            .send()
            .map_err(|err| check_send_error(what, url.as_str(), err))
    }

    /// Answers a 401: Basic sends the credentials; Bearer fetches a token for the challenged
    /// (or given) scope from the token service.
    fn authenticate(
        &self,
        response: &Response,
        scope: Option<&str>,
        progress: &dyn Progress,
    ) -> Result<(), PushError> {
        let url = response.url().to_string();
        let header = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let unauthorized = |message: String| PushError::Unauthorized {
            what: "authenticating".into(),
            url: url.clone(),
            status: 401,
            message,
        };
        let value = match parse_challenge(header) {
            Some(Challenge::Basic) => {
                let credentials = self.credentials.as_ref().ok_or_else(|| {
                    unauthorized(
                        "the registry wants a user name and password, and none were given".into(),
                    )
                })?;
                credentials.basic_header()
            }
            Some(Challenge::Bearer {
                realm,
                service,
                scope: challenged,
            }) => self.fetch_token(
                &realm,
                service.as_deref(),
                challenged.as_deref().or(scope),
                progress,
            )?,
            None => {
                return Err(unauthorized(format!(
                    "unsupported authentication challenge `{header}`"
                )));
            }
        };
        if let Ok(mut slot) = self.authorization.lock() {
            *slot = Some(value);
        }
        Ok(())
    }

    fn fetch_token(
        &self,
        realm: &str,
        service: Option<&str>,
        scope: Option<&str>,
        progress: &dyn Progress,
    ) -> Result<Secret, PushError> {
        let mut url = Url::parse(realm).map_err(|e| PushError::Protocol {
            what: "authenticating".into(),
            url: realm.to_string(),
            message: format!("the token realm is not a URL: {e}"),
        })?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            if let Some(scope) = scope {
                query.append_pair("scope", scope);
            }
        }
        let what = "fetching a registry token";
        let response = with_retries(&self.settings.retry, progress, what, |_| {
            let mut request = self
                .http
                .get(url.clone())
                .timeout(self.settings.transfer_timeout(0));
            if let Some(credentials) = &self.credentials {
                request =
                    request.basic_auth(&credentials.username, Some(credentials.password.expose()));
            }
            let response = request
                .send()
                .map_err(|err| check_send_error(what, url.as_str(), err))?;
            check_response(what, response)
        })?;
        let protocol = |message: String| PushError::Protocol {
            what: what.into(),
            url: url.to_string(),
            message,
        };
        let bytes = read_capped(response, MAX_TOKEN_ANSWER)
            .map_err(|e| protocol(format!("the token answer: {e}")))?;
        let body: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| protocol(format!("the token answer is not JSON: {e}")))?;
        let token = body
            .get("token")
            .or_else(|| body.get("access_token"))
            .and_then(|t| t.as_str())
            .ok_or_else(|| PushError::Protocol {
                what: what.into(),
                url: url.to_string(),
                message: "the token answer has neither `token` nor `access_token`".into(),
            })?;
        Ok(Secret::new(format!("Bearer {token}")))
    }
}

/// Reads a small answer body (a manifest, a tag list) with a size bound.
pub fn read_small_body(response: Response, what: &str, limit: u64) -> Result<Vec<u8>, PushError> {
    let url = response.url().to_string();
    read_capped(response, limit).map_err(|e| PushError::Protocol {
        what: what.to_string(),
        url,
        message: e.to_string(),
    })
}

/// The server's message for an unexpected status, as an error.
pub fn unexpected(what: &str, response: Response) -> PushError {
    let url = response.url().to_string();
    let status = response.status().as_u16();
    PushError::Remote {
        what: what.to_string(),
        url,
        status,
        message: server_message(response),
    }
}
