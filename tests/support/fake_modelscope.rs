//! A stand-in for the ModelScope hub API (`https://www.modelscope.cn`, `MODELSCOPE_DOMAIN`),
//! for tests: the service cannot be reached from here.
//!
//! It follows `shared/reference/hub-apis.md` strictly:
//! - every answer, errors included, is the envelope
//!   `{"Code","Data","Message","RequestId","Success"}`; success is `Code == 200 && Success`.
//!   An armed [`FakeModelScope::fail_envelope`] answers HTTP 200 with `Success: false`, which
//!   only a client that reads the envelope notices.
//! - the token is the cookie `m_session_id=<token>` on `/api/v1/*`; without it writes are 401.
//! - `GET /api/v1/models/{owner}/{name}`: 200 or 404 (exists).
//! - `POST /api/v1/models` with `Path`, `Name`, `Visibility` (1, 3 or 5), `License`, ...
//! - `POST /api/v1/repos/models/{owner}/{name}/info/lfs/objects/batch`: at most 64 objects;
//!   `Data.objects[]` carry `actions.upload.href` only for blobs the server lacks.
//! - `PUT <href>`: the raw bytes with `Content-Length` (411 without), sha256 and size checked.
//! - `POST /api/v1/repos/models/{owner}/{name}/commit/master`: at most 256 actions; `lfs`
//!   actions must name an uploaded object of that size; `normal` ones carry base64 content.
//!   A normal file over 1 MiB is refused (it must go as LFS).
//! - `GET /api/v1/models/{owner}/{name}/repo/files?Revision=master&Recursive=true`:
//!   `Data.Files[]{Name,Path,Type,Size,Sha256,IsLFS}`.
//!
//! Not in the reference, chosen here: creating a repository that exists is an envelope with
//! Code 409; the LFS upload href is `/api/v1/repos/models/{owner}/{name}/info/lfs/objects/{oid}`
//! on the same origin, or (with [`FakeModelScope::start_with_external_storage`]) a presigned
//! URL on a second origin that needs no cookie.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine as _;
use serde_json::{Value, json};

use crate::fault_injection::{Faults, RunningServer, UploadCounts, fault_layer, sha256_hex};

/// One file in a repository.
#[derive(Debug, Clone)]
pub struct RepoFile {
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex sha256.
    pub sha256: String,
    /// Whether it is stored through LFS.
    pub is_lfs: bool,
    /// The bytes (normal files only).
    pub content: Option<Vec<u8>>,
}

/// A repository.
#[derive(Debug, Clone, Default)]
pub struct Repo {
    /// 1 private, 3 internal, 5 public.
    pub visibility: i64,
    /// The license name given at creation.
    pub license: String,
    /// Files by path.
    pub files: BTreeMap<String, RepoFile>,
    /// Commits made.
    pub commits: u32,
}

/// What the fake server holds and has seen.
#[derive(Debug, Default)]
pub struct ModelScopeState {
    /// The token the cookie must carry.
    pub token: String,
    /// Repositories by `owner/name`.
    pub repos: BTreeMap<String, Repo>,
    /// Uploaded LFS objects: oid -> bytes.
    pub objects: HashMap<String, Vec<u8>>,
    /// Bytes received and uploads stored per blob.
    pub counts: UploadCounts,
    /// Largest batch seen (objects in one call).
    pub largest_batch: usize,
    /// Batch calls seen.
    pub batch_calls: u32,
    /// One-shot: the next answer to a path containing this is HTTP 200 with `Success: false`.
    pub envelope_failure: Option<String>,
    /// Cookie headers seen on each request, for the leak tests.
    pub cookies_seen: Vec<String>,
    /// `(Host, Cookie)` of each request, to tell the two origins apart.
    pub cookies_by_host: Vec<(String, String)>,
    /// When set, LFS upload hrefs point at this other origin (presigned, no cookie needed).
    pub upload_base: Option<String>,
}

/// A running fake ModelScope.
pub struct FakeModelScope {
    server: RunningServer,
    storage: Option<RunningServer>,
    /// Shared state.
    pub state: Arc<Mutex<ModelScopeState>>,
    /// Armed faults.
    pub faults: Faults,
}

impl FakeModelScope {
    /// Starts a server that accepts `token` as `m_session_id`.
    pub fn start(token: &str) -> Self {
        Self::start_inner(token, false)
    }

    /// Like [`FakeModelScope::start`], with LFS upload hrefs on a second origin (object
    /// storage with presigned URLs), to prove the cookie stays with the API's origin.
    pub fn start_with_external_storage(token: &str) -> Self {
        Self::start_inner(token, true)
    }

    fn start_inner(token: &str, external: bool) -> Self {
        let state = Arc::new(Mutex::new(ModelScopeState {
            token: token.to_string(),
            ..ModelScopeState::default()
        }));
        let faults = Faults::default();
        let router = Router::new()
            .route("/api/v1/models", post(create_repo))
            .route("/api/v1/models/{owner}/{name}", get(exists))
            .route("/api/v1/models/{owner}/{name}/repo/files", get(list_files))
            .route(
                "/api/v1/repos/models/{owner}/{name}/info/lfs/objects/batch",
                post(batch),
            )
            .route(
                "/api/v1/repos/models/{owner}/{name}/info/lfs/objects/{oid}",
                put(put_object),
            )
            .route(
                "/api/v1/repos/models/{owner}/{name}/commit/{revision}",
                post(commit),
            )
            .layer(DefaultBodyLimit::max(256 << 20))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                envelope_failure_layer,
            ))
            .with_state(state.clone())
            .layer(axum::middleware::from_fn_with_state(
                faults.clone(),
                fault_layer,
            ));
        let storage = external.then(|| RunningServer::start(router.clone()));
        if let Some(storage) = &storage {
            state.lock().unwrap().upload_base = Some(storage.url());
        }
        Self {
            server: RunningServer::start(router),
            storage,
            state,
            faults,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The external storage origin, when started with one.
    pub fn storage_url(&self) -> Option<String> {
        self.storage.as_ref().map(RunningServer::url)
    }

    /// Arms a one-shot HTTP 200 answer with `Success: false` for a path containing `path`.
    pub fn fail_envelope(&self, path: &str) {
        self.state.lock().unwrap().envelope_failure = Some(path.to_string());
    }

    /// A copy of repository `owner/name`.
    pub fn repo(&self, id: &str) -> Option<Repo> {
        self.state.lock().unwrap().repos.get(id).cloned()
    }

    /// Body bytes received for object `oid`.
    pub fn bytes_received(&self, oid: &str) -> u64 {
        self.state.lock().unwrap().counts.bytes(oid)
    }

    /// Stored uploads of object `oid`.
    pub fn uploads_stored(&self, oid: &str) -> u32 {
        self.state.lock().unwrap().counts.stores(oid)
    }

    /// All object bytes received by the PUT handler.
    pub fn total_object_bytes(&self) -> u64 {
        self.state.lock().unwrap().counts.total_bytes()
    }
}

type Shared = State<Arc<Mutex<ModelScopeState>>>;

fn envelope(code: u16, data: Value, message: &str) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
    let body = json!({
        "Code": code,
        "Data": data,
        "Message": message,
        "RequestId": "fake-request-0001",
        "Success": code == 200,
    });
    (status, axum::Json(body)).into_response()
}

fn ok(data: Value) -> Response {
    envelope(200, data, "success")
}

async fn envelope_failure_layer(
    State(state): Shared,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = request.uri().path().to_string();
    let fail = {
        let mut state = state.lock().unwrap();
        let cookie = request
            .headers()
            .get("cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let host = request
            .headers()
            .get("host")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        state.cookies_by_host.push((host, cookie.clone()));
        state.cookies_seen.push(cookie);
        match &state.envelope_failure {
            Some(p) if path.contains(p.as_str()) => {
                state.envelope_failure = None;
                true
            }
            _ => false,
        }
    };
    if fail {
        let body = json!({"Code": 10_010_205, "Data": null,
            "Message": "injected failure inside a 200 answer", "RequestId": "fake-request-0002",
            "Success": false});
        return (StatusCode::OK, axum::Json(body)).into_response();
    }
    next.run(request).await
}

fn authorized(state: &ModelScopeState, headers: &HeaderMap) -> bool {
    let expected = format!("m_session_id={}", state.token);
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim() == expected)
}

fn unauthorized() -> Response {
    envelope(
        401,
        Value::Null,
        "login required: set the m_session_id cookie",
    )
}

async fn exists(State(state): Shared, Path((owner, name)): Path<(String, String)>) -> Response {
    let state = state.lock().unwrap();
    match state.repos.get(&format!("{owner}/{name}")) {
        Some(repo) => ok(json!({"Path": owner, "Name": name, "Visibility": repo.visibility})),
        None => envelope(404, Value::Null, &format!("model {owner}/{name} not found")),
    }
}

async fn create_repo(State(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let mut state = state.lock().unwrap();
    if !authorized(&state, &headers) {
        return unauthorized();
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return envelope(400, Value::Null, "invalid JSON body");
    };
    let owner = body["Path"].as_str().unwrap_or_default();
    let name = body["Name"].as_str().unwrap_or_default();
    let visibility = body["Visibility"].as_i64().unwrap_or(0);
    if owner.is_empty() || name.is_empty() {
        return envelope(400, Value::Null, "Path and Name are required");
    }
    if ![1, 3, 5].contains(&visibility) {
        return envelope(400, Value::Null, "Visibility must be 1, 3 or 5");
    }
    let id = format!("{owner}/{name}");
    if state.repos.contains_key(&id) {
        return envelope(409, Value::Null, &format!("model {id} already exists"));
    }
    state.repos.insert(
        id.clone(),
        Repo {
            visibility,
            license: body["License"].as_str().unwrap_or_default().to_string(),
            ..Repo::default()
        },
    );
    ok(json!({ "Path": owner, "Name": name }))
}

async fn batch(
    State(state): Shared,
    Path((owner, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().unwrap();
    if !authorized(&state, &headers) {
        return unauthorized();
    }
    let id = format!("{owner}/{name}");
    if !state.repos.contains_key(&id) {
        return envelope(404, Value::Null, &format!("model {id} not found"));
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return envelope(400, Value::Null, "invalid JSON body");
    };
    if body["operation"] != "upload" {
        return envelope(400, Value::Null, "operation must be upload");
    }
    let objects = body["objects"].as_array().cloned().unwrap_or_default();
    if objects.len() > 64 {
        return envelope(400, Value::Null, "at most 64 objects per batch");
    }
    state.batch_calls += 1;
    state.largest_batch = state.largest_batch.max(objects.len());
    let mut answer = Vec::new();
    for object in objects {
        let oid = object["oid"].as_str().unwrap_or_default().to_string();
        let size = object["size"].as_u64().unwrap_or(0);
        let stored = state
            .objects
            .get(&oid)
            .is_some_and(|b| b.len() as u64 == size);
        if stored {
            answer.push(json!({"oid": oid, "size": size}));
        } else {
            let path = format!("/api/v1/repos/models/{owner}/{name}/info/lfs/objects/{oid}");
            let href = match &state.upload_base {
                Some(base) => format!("{base}{path}?signature=presigned"),
                None => path,
            };
            answer.push(json!({"oid": oid, "size": size,
                "actions": {"upload": {"href": href}}}));
        }
    }
    ok(json!({ "objects": answer }))
}

async fn put_object(
    State(state): Shared,
    Path((_owner, _name, oid)): Path<(String, String, String)>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().unwrap();
    let presigned = state.upload_base.is_some() && uri.query() == Some("signature=presigned");
    if !presigned && !authorized(&state, &headers) {
        return unauthorized();
    }
    let Some(length) = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return envelope(411, Value::Null, "Content-Length is required");
    };
    state.counts.received(&oid, body.len() as u64);
    if length != body.len() as u64 {
        return envelope(400, Value::Null, "body shorter than Content-Length");
    }
    if sha256_hex(&body) != oid {
        return envelope(
            400,
            Value::Null,
            "sha256 of the body does not match the oid",
        );
    }
    state.counts.stored(&oid);
    state.objects.insert(oid, body.to_vec());
    ok(Value::Null)
}

async fn commit(
    State(state): Shared,
    Path((owner, name, revision)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().unwrap();
    if !authorized(&state, &headers) {
        return unauthorized();
    }
    if revision != "master" {
        return envelope(400, Value::Null, "only master can be committed to");
    }
    let id = format!("{owner}/{name}");
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return envelope(400, Value::Null, "invalid JSON body");
    };
    let actions = body["actions"].as_array().cloned().unwrap_or_default();
    if actions.is_empty() || actions.len() > 256 {
        return envelope(400, Value::Null, "a commit carries 1 to 256 actions");
    }
    let mut staged = BTreeMap::new();
    for action in &actions {
        let path = action["path"].as_str().unwrap_or_default().to_string();
        if action["action"] != "create" && action["action"] != "update" {
            return envelope(400, Value::Null, &format!("{path}: unsupported action"));
        }
        let size = action["size"].as_u64().unwrap_or(0);
        let file = if action["type"] == "lfs" {
            let sha = action["sha256"].as_str().unwrap_or_default().to_string();
            match state.objects.get(&sha) {
                Some(bytes) if bytes.len() as u64 == size => RepoFile {
                    size,
                    sha256: sha,
                    is_lfs: true,
                    content: None,
                },
                _ => {
                    return envelope(
                        400,
                        Value::Null,
                        &format!("{path}: LFS object {sha} of {size} bytes was not uploaded"),
                    );
                }
            }
        } else {
            let Ok(content) = base64::engine::general_purpose::STANDARD
                .decode(action["content"].as_str().unwrap_or_default())
            else {
                return envelope(400, Value::Null, &format!("{path}: content is not base64"));
            };
            if content.len() > 1 << 20 {
                return envelope(
                    400,
                    Value::Null,
                    &format!("{path}: files over 1 MiB go as LFS"),
                );
            }
            if content.len() as u64 != size {
                return envelope(
                    400,
                    Value::Null,
                    &format!("{path}: size does not match content"),
                );
            }
            RepoFile {
                size,
                sha256: sha256_hex(&content),
                is_lfs: false,
                content: Some(content),
            }
        };
        staged.insert(path, file);
    }
    let Some(repo) = state.repos.get_mut(&id) else {
        return envelope(404, Value::Null, &format!("model {id} not found"));
    };
    repo.files.extend(staged);
    repo.commits += 1;
    ok(json!({ "CommitId": format!("{:040}", repo.commits) }))
}

async fn list_files(State(state): Shared, Path((owner, name)): Path<(String, String)>) -> Response {
    let state = state.lock().unwrap();
    let id = format!("{owner}/{name}");
    let Some(repo) = state.repos.get(&id) else {
        return envelope(404, Value::Null, &format!("model {id} not found"));
    };
    let files: Vec<Value> = repo
        .files
        .iter()
        .map(|(path, f)| {
            let name = path.rsplit('/').next().unwrap_or(path);
            json!({"Name": name, "Path": path, "Type": "blob", "Size": f.size,
                   "Sha256": f.sha256, "IsLFS": f.is_lfs})
        })
        .collect();
    ok(json!({ "Files": files }))
}
