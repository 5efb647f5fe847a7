//! A stand-in for the Hugging Face Hub's upload side (`HF_ENDPOINT`), plus the object storage
//! its LFS actions point at, for tests: the Hub cannot be reached from here.
//!
//! Two servers on two origins, as on the real Hub (huggingface.co and a CDN/S3 host):
//! - **hub** — following `shared/reference/hub-apis.md` strictly:
//!   - `POST /api/repos/create {"type","name","organization","private"}`: 200, 409 if it exists.
//!   - `POST /api/models/{repo}/preupload/{rev} {"files":[{path,sample,size}]}` ->
//!     `files[]{path,uploadMode,shouldIgnore}`: `lfs` for `*.gguf`, for a sample with a NUL
//!     byte, and for anything at or over the LFS threshold (10 MiB unless a test lowers it).
//!   - `POST /{repo}.git/info/lfs/objects/batch` (`application/vnd.git-lfs+json`): objects
//!     already stored come back without `actions`; others get `actions.upload` (a storage URL)
//!     and `actions.verify`; objects at or over the multipart threshold get `header.chunk_size`
//!     and one storage URL per part (`"00001"`, ...), and `upload.href` is the completion
//!     endpoint taking `{"oid","parts":[{"partNumber","etag"}]}`.
//!   - `POST /api/models/{repo}/commit/{rev}` (`application/x-ndjson`): a `header` line, then
//!     `file` (base64) and `lfsFile` lines; regular files that should be LFS are refused, as are
//!     `lfsFile`s whose object was not uploaded. `?create_pr=1` commits to a new `refs/pr/N`
//!     and answers `pullRequestUrl` as well as `commitUrl`/`commitOid`.
//!   - `GET /api/models/{repo}/tree/{rev}?recursive=true`: `{type,path,oid,size,lfs}` items,
//!     paginated with `Link: <...>; rel="next"`.
//!   - `GET /api/models/{repo}/discussions?p=N`: `{discussions[{num,title,status,
//!     isPullRequest,author,createdAt,repo}],count,start}`, 50 a page, newest first (the
//!     listing huggingface_hub's `get_repo_discussions` reads).
//!   - `GET /{repo}/resolve/{rev}/{path}`: the bytes, 404 with `X-Error-Code: EntryNotFound`;
//!     optionally a 302 to the storage origin, like LFS downloads on the real Hub.
//!   - `Authorization: Bearer <token>` is required for writes and checked when present.
//! - **storage** — takes the PUTs of LFS bodies and parts (each checked against its oid),
//!   serves redirected downloads, and records every `Authorization` header it is sent: the
//!   token must never arrive here.
//!
//! Not in the reference, chosen here: a regular file's `oid` is its sha256 (the real Hub gives
//! the git blob sha1; nothing here relies on it).
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine as _;
use serde_json::{Value, json};

use crate::fault_injection::{Faults, RunningServer, UploadCounts, fault_layer, sha256_hex};

/// One file on a branch.
#[derive(Debug, Clone)]
pub struct HubFile {
    /// Bytes of a regular file; `None` for LFS files (the object store has them).
    pub content: Option<Vec<u8>>,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex sha256.
    pub sha256: String,
}

/// A repository: branches (`main`, `refs/pr/N`) of files.
#[derive(Debug, Clone, Default)]
pub struct HubRepo {
    /// Private flag given at creation.
    pub private: bool,
    /// Branch -> path -> file.
    pub branches: BTreeMap<String, BTreeMap<String, HubFile>>,
    /// Pull requests opened (their numbers).
    pub pull_requests: Vec<u32>,
    /// Pull requests merged or closed since (their numbers).
    pub closed_pull_requests: Vec<u32>,
    /// Commits made.
    pub commits: u32,
}

/// What the fake Hub holds and has seen.
#[derive(Debug)]
pub struct HubState {
    /// The token writes need.
    pub token: String,
    /// `http://127.0.0.1:<port>` of the hub.
    pub hub_url: String,
    /// `http://127.0.0.1:<port>` of the storage.
    pub storage_url: String,
    /// Repositories by `owner/name`.
    pub repos: BTreeMap<String, HubRepo>,
    /// LFS objects by oid.
    pub objects: HashMap<String, Vec<u8>>,
    /// Multipart uploads in progress: oid -> part number -> bytes.
    pub parts: HashMap<String, BTreeMap<u32, Vec<u8>>>,
    /// Bytes received and uploads stored per blob.
    pub counts: UploadCounts,
    /// Verify calls per oid.
    pub verified: HashMap<String, u32>,
    /// Files at or over this size are LFS.
    pub lfs_threshold: u64,
    /// Objects at or over this size are uploaded in parts.
    pub multipart_threshold: u64,
    /// Part size for multipart uploads.
    pub chunk_size: u64,
    /// Tree page size.
    pub tree_page_size: usize,
    /// Whether resolve answers with a 302 to storage.
    pub redirect_downloads: bool,
    /// Every `Authorization` header value storage received.
    pub storage_authorization: Vec<String>,
    /// Downloads storage served after a redirect.
    pub cdn_downloads: u32,
    /// The status of each repository creation call.
    pub create_calls: Vec<u16>,
    /// Commit bodies received (NDJSON lines parsed).
    pub commit_bodies: Vec<Vec<Value>>,
}

/// The running fake Hub and its storage.
pub struct FakeHub {
    hub: RunningServer,
    storage: RunningServer,
    /// Shared state.
    pub state: Arc<Mutex<HubState>>,
    /// Faults on the hub.
    pub faults: Faults,
    /// Faults on storage (LFS PUTs).
    pub storage_faults: Faults,
}

impl FakeHub {
    /// Starts both servers; writes need `Authorization: Bearer <token>`.
    pub fn start(token: &str) -> Self {
        let state = Arc::new(Mutex::new(HubState {
            token: token.to_string(),
            hub_url: String::new(),
            storage_url: String::new(),
            repos: BTreeMap::new(),
            objects: HashMap::new(),
            parts: HashMap::new(),
            counts: UploadCounts::default(),
            verified: HashMap::new(),
            lfs_threshold: 10 << 20,
            multipart_threshold: 64 << 20,
            chunk_size: 16 << 20,
            tree_page_size: 1000,
            redirect_downloads: false,
            storage_authorization: Vec::new(),
            cdn_downloads: 0,
            create_calls: Vec::new(),
            commit_bodies: Vec::new(),
        }));
        let faults = Faults::default();
        let storage_faults = Faults::default();
        let hub_router = Router::new()
            .route("/api/repos/create", post(create_repo))
            .route(
                "/api/models/{owner}/{name}/preupload/{rev}",
                post(preupload),
            )
            .route("/api/models/{owner}/{name}/commit/{rev}", post(commit))
            .route("/api/models/{owner}/{name}/tree/{rev}", get(tree))
            .route("/api/models/{owner}/{name}/discussions", get(discussions))
            .route("/{owner}/{repo_git}/info/lfs/objects/batch", post(batch))
            .route("/lfs/complete/{oid}", post(complete_multipart))
            .route("/lfs/verify/{oid}", post(verify))
            .route("/{owner}/{name}/resolve/{rev}/{*path}", get(resolve))
            .layer(DefaultBodyLimit::max(256 << 20))
            .with_state(state.clone())
            .layer(axum::middleware::from_fn_with_state(
                faults.clone(),
                fault_layer,
            ));
        let storage_router = Router::new()
            .route("/upload/{oid}", put(put_object))
            .route("/upload/{oid}/part/{number}", put(put_part))
            .route("/cdn/{oid}", get(cdn_get))
            .layer(DefaultBodyLimit::max(256 << 20))
            .with_state(state.clone())
            .layer(axum::middleware::from_fn_with_state(
                storage_faults.clone(),
                fault_layer,
            ));
        let hub = RunningServer::start(hub_router);
        let storage = RunningServer::start(storage_router);
        {
            let mut s = state.lock().unwrap();
            s.hub_url = hub.url();
            s.storage_url = storage.url();
        }
        Self {
            hub,
            storage,
            state,
            faults,
            storage_faults,
        }
    }

    /// The hub's base URL (what `HF_ENDPOINT` would be).
    pub fn url(&self) -> String {
        self.hub.url()
    }

    /// The storage origin's base URL.
    pub fn storage_url(&self) -> String {
        self.storage.url()
    }

    /// Creates `owner/name` with `files` (regular files) on `main`, as if pushed by someone.
    pub fn seed_repo(&self, id: &str, files: &[(&str, &[u8])]) {
        let mut state = self.state.lock().unwrap();
        let repo = state.repos.entry(id.to_string()).or_default();
        let main = repo.branches.entry("main".to_string()).or_default();
        for (path, bytes) in files {
            main.insert(
                path.to_string(),
                HubFile {
                    content: Some(bytes.to_vec()),
                    size: bytes.len() as u64,
                    sha256: sha256_hex(bytes),
                },
            );
        }
    }

    /// A copy of a repository.
    pub fn repo(&self, id: &str) -> Option<HubRepo> {
        self.state.lock().unwrap().repos.get(id).cloned()
    }

    /// The bytes of a regular file on a branch.
    pub fn file(&self, id: &str, branch: &str, path: &str) -> Option<Vec<u8>> {
        let state = self.state.lock().unwrap();
        state
            .repos
            .get(id)?
            .branches
            .get(branch)?
            .get(path)?
            .content
            .clone()
    }

    /// Storage bytes received for `oid`.
    pub fn bytes_received(&self, oid: &str) -> u64 {
        self.state.lock().unwrap().counts.bytes(oid)
    }

    /// Completed uploads of `oid`.
    pub fn uploads_stored(&self, oid: &str) -> u32 {
        self.state.lock().unwrap().counts.stores(oid)
    }

    /// All bytes storage received.
    pub fn total_storage_bytes(&self) -> u64 {
        self.state.lock().unwrap().counts.total_bytes()
    }

    /// Changes the size rules: LFS threshold, multipart threshold and part size.
    pub fn set_sizes(&self, lfs_threshold: u64, multipart_threshold: u64, chunk_size: u64) {
        let mut state = self.state.lock().unwrap();
        state.lfs_threshold = lfs_threshold;
        state.multipart_threshold = multipart_threshold;
        state.chunk_size = chunk_size;
    }
}

type Shared = State<Arc<Mutex<HubState>>>;

fn hub_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// `Some(true)` with the right token, `Some(false)` with a wrong one, `None` without.
fn bearer(state: &HubState, headers: &HeaderMap) -> Option<bool> {
    let value = headers.get("authorization")?.to_str().ok()?;
    Some(value == format!("Bearer {}", state.token))
}

/// The 401 answer when the token is missing or wrong.
fn auth_error(state: &HubState, headers: &HeaderMap) -> Option<Response> {
    match bearer(state, headers) {
        Some(true) => None,
        Some(false) => Some(hub_error(
            StatusCode::UNAUTHORIZED,
            "Invalid credentials in Authorization header",
        )),
        None => Some(hub_error(
            StatusCode::UNAUTHORIZED,
            "Authorization header is required",
        )),
    }
}

async fn create_repo(State(state): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let mut state = state.lock().unwrap();
    if let Some(r) = auth_error(&state, &headers) {
        return r;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return hub_error(StatusCode::BAD_REQUEST, "invalid JSON");
    };
    if body["type"] != "model" {
        return hub_error(StatusCode::BAD_REQUEST, "type must be model here");
    }
    let name = body["name"].as_str().unwrap_or_default();
    let id = match body["organization"].as_str() {
        Some(org) => format!("{org}/{name}"),
        None => name.to_string(),
    };
    if state.repos.contains_key(&id) {
        state.create_calls.push(409);
        return hub_error(StatusCode::CONFLICT, "You already created this model repo");
    }
    state.create_calls.push(200);
    let private = body["private"].as_bool().unwrap_or(false);
    let mut repo = HubRepo {
        private,
        ..HubRepo::default()
    };
    repo.branches.insert("main".to_string(), BTreeMap::new());
    state.repos.insert(id.clone(), repo);
    let url = format!("{}/{id}", state.hub_url);
    axum::Json(json!({ "url": url, "name": id })).into_response()
}

fn is_lfs(state: &HubState, path: &str, size: u64, sample: &[u8]) -> bool {
    path.ends_with(".gguf") || size >= state.lfs_threshold || sample.contains(&0)
}

async fn preupload(
    State(state): Shared,
    Path((owner, name, _rev)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let state = state.lock().unwrap();
    if let Some(r) = auth_error(&state, &headers) {
        return r;
    }
    if !state.repos.contains_key(&format!("{owner}/{name}")) {
        return hub_error(StatusCode::NOT_FOUND, "Repository not found");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return hub_error(StatusCode::BAD_REQUEST, "invalid JSON");
    };
    let mut files = Vec::new();
    for file in body["files"].as_array().cloned().unwrap_or_default() {
        let path = file["path"].as_str().unwrap_or_default().to_string();
        let size = file["size"].as_u64().unwrap_or(0);
        let Ok(sample) = base64::engine::general_purpose::STANDARD
            .decode(file["sample"].as_str().unwrap_or_default())
        else {
            return hub_error(
                StatusCode::BAD_REQUEST,
                &format!("{path}: sample is not base64"),
            );
        };
        if sample.len() > 512 {
            return hub_error(
                StatusCode::BAD_REQUEST,
                &format!("{path}: sample over 512 bytes"),
            );
        }
        let mode = if is_lfs(&state, &path, size, &sample) {
            "lfs"
        } else {
            "regular"
        };
        files.push(json!({"path": path, "uploadMode": mode, "shouldIgnore": false}));
    }
    axum::Json(json!({ "files": files })).into_response()
}

async fn batch(
    State(state): Shared,
    Path((owner, repo_git)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().unwrap();
    if let Some(r) = auth_error(&state, &headers) {
        return r;
    }
    let lfs_json = "application/vnd.git-lfs+json";
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let accept = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with(lfs_json) || !accept.contains(lfs_json) {
        return hub_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Accept and Content-Type must be application/vnd.git-lfs+json",
        );
    }
    let Some(name) = repo_git.strip_suffix(".git") else {
        return hub_error(StatusCode::NOT_FOUND, "not a git endpoint");
    };
    if !state.repos.contains_key(&format!("{owner}/{name}")) {
        return hub_error(StatusCode::NOT_FOUND, "Repository not found");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return hub_error(StatusCode::BAD_REQUEST, "invalid JSON");
    };
    if body["operation"] != "upload" || body["hash_algo"] != "sha256" {
        return hub_error(
            StatusCode::BAD_REQUEST,
            "operation upload with hash_algo sha256 expected",
        );
    }
    let multipart_offered = body["transfers"]
        .as_array()
        .is_some_and(|t| t.iter().any(|v| v == "multipart"));
    let mut objects = Vec::new();
    let storage = state.storage_url.clone();
    let hub = state.hub_url.clone();
    for object in body["objects"].as_array().cloned().unwrap_or_default() {
        let oid = object["oid"].as_str().unwrap_or_default().to_string();
        let size = object["size"].as_u64().unwrap_or(0);
        if oid.len() != 64 || !oid.bytes().all(|b| b.is_ascii_hexdigit()) {
            objects.push(json!({"oid": oid, "size": size,
                "error": {"code": 422, "message": "invalid oid"}}));
            continue;
        }
        if state
            .objects
            .get(&oid)
            .is_some_and(|b| b.len() as u64 == size)
        {
            objects.push(json!({"oid": oid, "size": size}));
            continue;
        }
        let verify = json!({"href": format!("{hub}/lfs/verify/{oid}"), "header": {}});
        if multipart_offered && size >= state.multipart_threshold {
            let chunk = state.chunk_size;
            let count = size.div_ceil(chunk);
            let mut header = serde_json::Map::new();
            header.insert("chunk_size".into(), json!(chunk.to_string()));
            for part in 1..=count {
                header.insert(
                    format!("{part:05}"),
                    json!(format!(
                        "{storage}/upload/{oid}/part/{part}?X-Amz-Signature=fake"
                    )),
                );
            }
            state.parts.entry(oid.clone()).or_default();
            objects.push(
                json!({"oid": oid, "size": size, "authenticated": true, "actions": {
                "upload": {"href": format!("{hub}/lfs/complete/{oid}"), "header": header},
                "verify": verify}}),
            );
        } else {
            objects.push(
                json!({"oid": oid, "size": size, "authenticated": true, "actions": {
                "upload": {"href": format!("{storage}/upload/{oid}?X-Amz-Signature=fake"),
                           "header": {"x-amz-meta-oid": oid}},
                "verify": verify}}),
            );
        }
    }
    (
        StatusCode::OK,
        [("content-type", lfs_json)],
        axum::Json(json!({ "transfer": "basic", "objects": objects })),
    )
        .into_response()
}

fn note_storage_auth(state: &mut HubState, headers: &HeaderMap) {
    for value in headers.get_all("authorization") {
        state
            .storage_authorization
            .push(value.to_str().unwrap_or("<binary>").to_string());
    }
}

async fn put_object(
    State(state): Shared,
    Path(oid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().unwrap();
    note_storage_auth(&mut state, &headers);
    state.counts.received(&oid, body.len() as u64);
    if sha256_hex(&body) != oid {
        return (
            StatusCode::BAD_REQUEST,
            "<Error><Code>BadDigest</Code></Error>",
        )
            .into_response();
    }
    state.counts.stored(&oid);
    state.objects.insert(oid, body.to_vec());
    StatusCode::OK.into_response()
}

async fn put_part(
    State(state): Shared,
    Path((oid, number)): Path<(String, u32)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().unwrap();
    note_storage_auth(&mut state, &headers);
    state.counts.received(&oid, body.len() as u64);
    let Some(parts) = state.parts.get_mut(&oid) else {
        return (
            StatusCode::NOT_FOUND,
            "<Error><Code>NoSuchUpload</Code></Error>",
        )
            .into_response();
    };
    let etag = format!("\"{}\"", &sha256_hex(&body)[..32]);
    parts.insert(number, body.to_vec());
    (StatusCode::OK, [("etag", etag)]).into_response()
}

async fn complete_multipart(
    State(state): Shared,
    Path(oid): Path<String>,
    body: Bytes,
) -> Response {
    let mut state = state.lock().unwrap();
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return hub_error(StatusCode::BAD_REQUEST, "invalid JSON");
    };
    if body["oid"] != oid.as_str() {
        return hub_error(StatusCode::BAD_REQUEST, "oid does not match the upload");
    }
    let Some(parts) = state.parts.get(&oid).cloned() else {
        return hub_error(StatusCode::NOT_FOUND, "no multipart upload for this oid");
    };
    let listed = body["parts"].as_array().cloned().unwrap_or_default();
    let mut bytes = Vec::new();
    for (index, part) in listed.iter().enumerate() {
        let number = part["partNumber"].as_u64().unwrap_or(0) as u32;
        if number != index as u32 + 1 {
            return hub_error(
                StatusCode::BAD_REQUEST,
                "parts must be listed in order from 1",
            );
        }
        let Some(data) = parts.get(&number) else {
            return hub_error(
                StatusCode::BAD_REQUEST,
                &format!("part {number} was not uploaded"),
            );
        };
        let etag = format!("\"{}\"", &sha256_hex(data)[..32]);
        if part["etag"] != etag.as_str() {
            return hub_error(
                StatusCode::BAD_REQUEST,
                &format!("part {number}: etag mismatch"),
            );
        }
        bytes.extend_from_slice(data);
    }
    if sha256_hex(&bytes) != oid {
        return hub_error(
            StatusCode::BAD_REQUEST,
            "assembled parts do not match the oid",
        );
    }
    state.parts.remove(&oid);
    state.counts.stored(&oid);
    state.objects.insert(oid, bytes);
    StatusCode::OK.into_response()
}

async fn verify(State(state): Shared, Path(oid): Path<String>, body: Bytes) -> Response {
    let mut state = state.lock().unwrap();
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return hub_error(StatusCode::BAD_REQUEST, "invalid JSON");
    };
    let size = body["size"].as_u64().unwrap_or(u64::MAX);
    let ok = body["oid"] == oid.as_str()
        && state
            .objects
            .get(&oid)
            .is_some_and(|b| b.len() as u64 == size);
    if !ok {
        return hub_error(StatusCode::NOT_FOUND, "object not found or size differs");
    }
    *state.verified.entry(oid).or_default() += 1;
    StatusCode::OK.into_response()
}

#[derive(serde::Deserialize)]
struct CommitQuery {
    create_pr: Option<String>,
}

async fn commit(
    State(state): Shared,
    Path((owner, name, rev)): Path<(String, String, String)>,
    Query(query): Query<CommitQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().unwrap();
    if let Some(r) = auth_error(&state, &headers) {
        return r;
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type != "application/x-ndjson" {
        return hub_error(
            StatusCode::BAD_REQUEST,
            "Content-Type must be application/x-ndjson",
        );
    }
    let mut lines = Vec::new();
    for line in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        match serde_json::from_slice::<Value>(line) {
            Ok(v) => lines.push(v),
            Err(_) => return hub_error(StatusCode::BAD_REQUEST, "a line is not JSON"),
        }
    }
    state.commit_bodies.push(lines.clone());
    if lines.first().map(|l| &l["key"]) != Some(&json!("header")) {
        return hub_error(StatusCode::BAD_REQUEST, "the first line must be the header");
    }
    if lines[0]["value"]["summary"]
        .as_str()
        .unwrap_or("")
        .is_empty()
    {
        return hub_error(StatusCode::BAD_REQUEST, "summary is required");
    }
    let id = format!("{owner}/{name}");
    let mut staged = BTreeMap::new();
    for line in &lines[1..] {
        let value = &line["value"];
        let path = value["path"].as_str().unwrap_or_default().to_string();
        match line["key"].as_str() {
            Some("file") => {
                if value["encoding"] != "base64" {
                    return hub_error(StatusCode::BAD_REQUEST, "encoding must be base64");
                }
                let Ok(content) = base64::engine::general_purpose::STANDARD
                    .decode(value["content"].as_str().unwrap_or_default())
                else {
                    return hub_error(StatusCode::BAD_REQUEST, &format!("{path}: not base64"));
                };
                let sample = &content[..content.len().min(512)];
                if is_lfs(&state, &path, content.len() as u64, sample) {
                    return hub_error(
                        StatusCode::BAD_REQUEST,
                        &format!("Your push was rejected because {path} must be stored with LFS"),
                    );
                }
                staged.insert(
                    path,
                    HubFile {
                        size: content.len() as u64,
                        sha256: sha256_hex(&content),
                        content: Some(content),
                    },
                );
            }
            Some("lfsFile") => {
                let oid = value["oid"].as_str().unwrap_or_default().to_string();
                let size = value["size"].as_u64().unwrap_or(0);
                if value["algo"] != "sha256" {
                    return hub_error(StatusCode::BAD_REQUEST, "algo must be sha256");
                }
                if state
                    .objects
                    .get(&oid)
                    .is_none_or(|b| b.len() as u64 != size)
                {
                    return hub_error(
                        StatusCode::BAD_REQUEST,
                        &format!("{path}: LFS object {oid} was not uploaded"),
                    );
                }
                staged.insert(
                    path,
                    HubFile {
                        content: None,
                        size,
                        sha256: oid,
                    },
                );
            }
            _ => return hub_error(StatusCode::BAD_REQUEST, "unknown line key"),
        }
    }
    let hub_url = state.hub_url.clone();
    let Some(repo) = state.repos.get_mut(&id) else {
        return hub_error(StatusCode::NOT_FOUND, "Repository not found");
    };
    let Some(base) = repo.branches.get(&rev).cloned() else {
        return hub_error(StatusCode::NOT_FOUND, &format!("Revision not found: {rev}"));
    };
    repo.commits += 1;
    let commit_oid = format!("{:040x}", repo.commits);
    let mut answer = json!({
        "commitUrl": format!("{hub_url}/{id}/commit/{commit_oid}"),
        "commitOid": commit_oid,
    });
    let wants_pr = matches!(query.create_pr.as_deref(), Some("1" | "true"));
    let branch = if wants_pr {
        let number = repo.pull_requests.len() as u32 + 1;
        repo.pull_requests.push(number);
        answer["pullRequestUrl"] = json!(format!("{hub_url}/{id}/discussions/{number}"));
        format!("refs/pr/{number}")
    } else {
        rev
    };
    let mut files = base;
    files.extend(staged);
    repo.branches.insert(branch, files);
    axum::Json(answer).into_response()
}

#[derive(serde::Deserialize)]
struct TreeQuery {
    cursor: Option<usize>,
}

async fn tree(
    State(state): Shared,
    Path((owner, name, rev)): Path<(String, String, String)>,
    Query(query): Query<TreeQuery>,
    headers: HeaderMap,
) -> Response {
    let state = state.lock().unwrap();
    let id = format!("{owner}/{name}");
    if bearer(&state, &headers) == Some(false) {
        return hub_error(
            StatusCode::UNAUTHORIZED,
            "Invalid credentials in Authorization header",
        );
    }
    let Some(repo) = state.repos.get(&id) else {
        return hub_error(StatusCode::NOT_FOUND, "Repository not found");
    };
    if repo.private && bearer(&state, &headers) != Some(true) {
        return hub_error(StatusCode::NOT_FOUND, "Repository not found");
    }
    let Some(files) = repo.branches.get(&rev) else {
        return hub_error(StatusCode::NOT_FOUND, &format!("Revision not found: {rev}"));
    };
    let start = query.cursor.unwrap_or(0);
    let page: Vec<Value> = files
        .iter()
        .skip(start)
        .take(state.tree_page_size)
        .map(|(path, f)| {
            let mut item = json!({"type": "file", "path": path, "oid": f.sha256, "size": f.size});
            if f.content.is_none() {
                item["lfs"] = json!({"oid": f.sha256, "size": f.size, "pointerSize": 134});
            }
            item
        })
        .collect();
    let mut response = axum::Json(page).into_response();
    let next = start + state.tree_page_size;
    if next < files.len() {
        let encoded_rev = rev.replace('/', "%2F");
        let link = format!(
            "<{}/api/models/{id}/tree/{encoded_rev}?recursive=true&cursor={next}>; rel=\"next\"",
            state.hub_url
        );
        if let Ok(value) = link.parse() {
            response.headers_mut().insert("link", value);
        }
    }
    response
}

async fn resolve(
    State(state): Shared,
    Path((owner, name, rev, path)): Path<(String, String, String, String)>,
) -> Response {
    let state = state.lock().unwrap();
    let id = format!("{owner}/{name}");
    let file = state
        .repos
        .get(&id)
        .and_then(|r| r.branches.get(&rev))
        .and_then(|b| b.get(&path));
    let Some(file) = file else {
        return (
            StatusCode::NOT_FOUND,
            [("x-error-code", "EntryNotFound")],
            "Entry not found",
        )
            .into_response();
    };
    if state.redirect_downloads || file.content.is_none() {
        let location = format!("{}/cdn/{}", state.storage_url, file.sha256);
        return (
            StatusCode::FOUND,
            [
                ("location", location),
                ("x-linked-etag", format!("\"{}\"", file.sha256)),
                ("x-linked-size", file.size.to_string()),
            ],
        )
            .into_response();
    }
    (StatusCode::OK, file.content.clone().unwrap_or_default()).into_response()
}

async fn cdn_get(State(state): Shared, Path(oid): Path<String>, headers: HeaderMap) -> Response {
    let mut state = state.lock().unwrap();
    note_storage_auth(&mut state, &headers);
    state.cdn_downloads += 1;
    if let Some(bytes) = state.objects.get(&oid) {
        return (StatusCode::OK, bytes.clone()).into_response();
    }
    let found = state
        .repos
        .values()
        .flat_map(|r| r.branches.values())
        .flat_map(|b| b.values())
        .find(|f| f.sha256 == oid)
        .and_then(|f| f.content.clone());
    match found {
        Some(bytes) => (StatusCode::OK, bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(serde::Deserialize)]
struct DiscussionsQuery {
    p: Option<usize>,
}

async fn discussions(
    State(state): Shared,
    Path((owner, name)): Path<(String, String)>,
    Query(query): Query<DiscussionsQuery>,
) -> Response {
    const PAGE: usize = 50;
    let state = state.lock().unwrap();
    let id = format!("{owner}/{name}");
    let Some(repo) = state.repos.get(&id) else {
        return hub_error(StatusCode::NOT_FOUND, "Repository not found");
    };
    let mut all: Vec<u32> = repo.pull_requests.clone();
    all.sort_unstable_by(|a, b| b.cmp(a));
    let start = query.p.unwrap_or(0) * PAGE;
    let page: Vec<Value> = all
        .iter()
        .skip(start)
        .take(PAGE)
        .map(|num| {
            let status = if repo.closed_pull_requests.contains(num) {
                "merged"
            } else {
                "open"
            };
            json!({"num": num, "title": "Update files", "status": status, "isPullRequest": true,
                   "author": {"name": "ruvltra-bot"}, "createdAt": "2026-11-27T09:00:00.000Z",
                   "repo": {"name": id, "type": "model"}})
        })
        .collect();
    axum::Json(json!({ "discussions": page, "count": all.len(), "start": start })).into_response()
}
