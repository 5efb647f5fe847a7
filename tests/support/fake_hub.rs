//! A stand-in for the Hugging Face Hub's read API, on 127.0.0.1, for tests.
//!
//! It follows the contract in `../shared/reference/hub-apis.md` and the Hub's observable
//! behaviour, errors included:
//!
//! - `GET /api/models/{owner}/{name}[/revision/{rev}]`: model info; with `?blobs=true` the
//!   siblings carry `size`, `blobId` and `lfs{sha256,size,pointerSize}`, without it only
//!   `rfilename`. `gated` is `false` or `"manual"`, `private` a bool, `sha` the commit.
//! - `GET /api/models/{owner}/{name}/tree/{rev}?recursive=true`: items
//!   `{type,oid,size,path,lfs{oid,size,pointerSize}}`, paginated with
//!   `Link: <absolute url>; rel="next"` (page size set by the test).
//! - `GET /{owner}/{name}/resolve/{rev}/{path}`: `.gguf` files are LFS files and answer
//!   `302` with `Location` on a second listener (the "CDN", `localhost` instead of
//!   `127.0.0.1`, so a different origin), plus `X-Repo-Commit`, `X-Linked-Etag` and
//!   `X-Linked-Size`; other files are served directly. Both honour `Range: bytes=a-b` / `a-`
//!   with `206` and `Content-Range: bytes a-b/size`, `416` past the end — unless the test
//!   switches on "ignore Range", when the CDN answers `200` with the whole file, generated
//!   lazily so the test can see how much of it the client pulled.
//! - Errors as the Hub sends them: a bad token is `401` (`Invalid credentials in
//!   Authorization header`) on any request; a private or missing repository without a token is
//!   `401` and with one a missing repository is `404`, both with `X-Error-Code: RepoNotFound`;
//!   a gated repository's files are `401` without a token and `403` with one whose user has not
//!   been granted access, with `X-Error-Code: GatedRepo`; an unknown revision is `404`
//!   `RevisionNotFound`, an unknown file `404` `EntryNotFound`.
//!
//! - Test switches: `503` for the next N requests, a CDN that redirects to itself, and slow
//!   bodies on either listener ([`Pace`]: a steady drip, or a stall after some bytes), for the
//!   client's timeouts.
//!
//! Every request is logged (listener, path, `Range`, `Authorization`, status, body bytes).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The commit every revision of every repository points to.
pub const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// Who may read a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// Only with the hub's token.
    Private,
    /// Metadata for anyone; files for nobody who has not been granted access (nobody here).
    Gated,
}

/// Which listener a request reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// The Hub itself (`127.0.0.1`).
    Hub,
    /// The LFS CDN (`localhost`, another port).
    Cdn,
}

/// How a slowed answer's body goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// `chunk` bytes, then a pause of `every`, until the body is done: slow but steady.
    Drip {
        /// Bytes per chunk.
        chunk: usize,
        /// The pause between chunks.
        every: Duration,
    },
    /// The first `after` bytes at once, then nothing for `stall`, then the rest.
    StallAfter {
        /// Bytes sent before the stall.
        after: usize,
        /// How long nothing is sent.
        stall: Duration,
    },
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    /// Which listener.
    pub listener: Listener,
    /// The raw path and query.
    pub path: String,
    /// The `Range` header.
    pub range: Option<String>,
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The status answered.
    pub status: u16,
    /// Body bytes answered (for the lazily generated `200`, what was actually produced).
    pub body_bytes: u64,
}

#[derive(Clone)]
struct FakeFile {
    /// The file's first bytes; the rest, up to `size`, is zeros (so a "5 GB" file is cheap).
    prefix: Arc<Vec<u8>>,
    size: u64,
    sha256: String,
}

impl FakeFile {
    fn is_lfs(path: &str) -> bool {
        path.ends_with(".gguf")
    }

    fn slice(&self, start: u64, end_inclusive: u64) -> Vec<u8> {
        let len = (end_inclusive - start + 1) as usize;
        let from = (start as usize).min(self.prefix.len());
        let to = ((end_inclusive + 1) as usize).min(self.prefix.len());
        let mut bytes = self.prefix[from..to].to_vec();
        bytes.resize(len, 0);
        bytes
    }
}

struct Repo {
    access: Access,
    revisions: Vec<String>,
    files: BTreeMap<String, FakeFile>,
}

#[derive(Default)]
struct Inner {
    repos: BTreeMap<String, Repo>,
    log: Vec<Logged>,
    ignore_range: bool,
    tree_page_size: usize,
    fail_next: u32,
    cdn_redirect_loop: bool,
    /// Per listener: how many more non-empty bodies go out slowly, and how.
    paced: Vec<(Listener, u32, Pace)>,
}

#[derive(Clone)]
struct Ctx {
    inner: Arc<Mutex<Inner>>,
    listener: Listener,
    token: String,
    endpoint: String,
    cdn: String,
}

/// A running fake Hub. Stops when dropped.
pub struct FakeHub {
    /// `http://127.0.0.1:PORT`: pass as `HF_ENDPOINT`.
    pub endpoint: String,
    /// `http://localhost:PORT2`: where LFS downloads redirect.
    pub cdn: String,
    /// The one token this hub accepts.
    pub token: String,
    inner: Arc<Mutex<Inner>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FakeHub {
    /// Starts both listeners on free ports; `token` is the only valid token.
    pub fn start(token: &str) -> FakeHub {
        let hub = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let cdn = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        hub.set_nonblocking(true).unwrap();
        cdn.set_nonblocking(true).unwrap();
        let endpoint = format!("http://127.0.0.1:{}", hub.local_addr().unwrap().port());
        let cdn_url = format!("http://localhost:{}", cdn.local_addr().unwrap().port());
        let inner = Arc::new(Mutex::new(Inner {
            tree_page_size: 1000,
            ..Inner::default()
        }));
        let ctx = |listener| Ctx {
            inner: inner.clone(),
            listener,
            token: token.to_owned(),
            endpoint: endpoint.clone(),
            cdn: cdn_url.clone(),
        };
        let hub_app = Router::new()
            .fallback(handle)
            .with_state(ctx(Listener::Hub));
        let cdn_app = Router::new()
            .fallback(handle)
            .with_state(ctx(Listener::Cdn));
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let hub = tokio::net::TcpListener::from_std(hub).unwrap();
                let cdn = tokio::net::TcpListener::from_std(cdn).unwrap();
                tokio::select! {
                    _ = axum::serve(hub, hub_app) => {}
                    _ = axum::serve(cdn, cdn_app) => {}
                    _ = stopped => {}
                }
            });
        });
        FakeHub {
            endpoint,
            cdn: cdn_url,
            token: token.to_owned(),
            inner,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// Adds a repository (`owner/name`) with the revision `main`.
    pub fn add_repo(&self, id: &str, access: Access) {
        self.inner.lock().unwrap().repos.insert(
            id.to_owned(),
            Repo {
                access,
                revisions: vec!["main".to_owned()],
                files: BTreeMap::new(),
            },
        );
    }

    /// Makes `revision` (e.g. `refs/pr/1`) another name for the repository's files.
    pub fn add_revision(&self, id: &str, revision: &str) {
        let mut inner = self.inner.lock().unwrap();
        inner
            .repos
            .get_mut(id)
            .unwrap()
            .revisions
            .push(revision.to_owned());
    }

    /// Adds a file with these exact bytes.
    pub fn add_file(&self, id: &str, path: &str, bytes: Vec<u8>) {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let size = bytes.len() as u64;
        self.insert(id, path, bytes, size, sha256);
    }

    /// Adds a file of `size` bytes that starts with `prefix` and is zeros after it; its LFS
    /// sha256 is `sha256` (hashing gigabytes of zeros would only slow the test down).
    pub fn add_sparse_file(&self, id: &str, path: &str, prefix: Vec<u8>, size: u64, sha256: &str) {
        self.insert(id, path, prefix, size, sha256.to_owned());
    }

    fn insert(&self, id: &str, path: &str, prefix: Vec<u8>, size: u64, sha256: String) {
        let mut inner = self.inner.lock().unwrap();
        inner.repos.get_mut(id).unwrap().files.insert(
            path.to_owned(),
            FakeFile {
                prefix: Arc::new(prefix),
                size,
                sha256,
            },
        );
    }

    /// From now on the CDN answers Range requests with `200` and the whole file.
    pub fn ignore_range(&self, on: bool) {
        self.inner.lock().unwrap().ignore_range = on;
    }

    /// Tree pages hold at most `size` items.
    pub fn tree_page_size(&self, size: usize) {
        self.inner.lock().unwrap().tree_page_size = size.max(1);
    }

    /// From now on the CDN redirects every blob to itself with a relative `Location`.
    pub fn cdn_redirect_loop(&self, on: bool) {
        self.inner.lock().unwrap().cdn_redirect_loop = on;
    }

    /// The next `count` requests fail with `503` (to exercise retries).
    pub fn fail_next(&self, count: u32) {
        self.inner.lock().unwrap().fail_next = count;
    }

    /// The next `count` non-empty bodies answered by `listener` go out at `pace`.
    pub fn pace_next(&self, listener: Listener, count: u32, pace: Pace) {
        let mut inner = self.inner.lock().unwrap();
        inner.paced.retain(|(l, _, _)| *l != listener);
        inner.paced.push((listener, count, pace));
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Logged> {
        self.inner.lock().unwrap().log.clone()
    }

    /// Forgets the requests so far.
    pub fn clear_log(&self) {
        self.inner.lock().unwrap().log.clear();
    }
}

impl Drop for FakeHub {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn respond(status: StatusCode, headers: &[(&str, String)], body: Vec<u8>) -> Response {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, value);
    }
    builder.body(Body::from(body)).unwrap()
}

/// The length of an in-memory body.
fn body_len(response: &Response) -> u64 {
    axum::body::HttpBody::size_hint(response.body())
        .exact()
        .unwrap_or(0)
}

fn hub_error(status: StatusCode, code: Option<&str>, message: &str) -> Response {
    let mut headers = vec![
        ("x-error-message", message.to_owned()),
        ("content-type", "application/json".to_owned()),
    ];
    if let Some(code) = code {
        headers.push(("x-error-code", code.to_owned()));
    }
    respond(
        status,
        &headers,
        json!({ "error": message }).to_string().into_bytes(),
    )
}

async fn handle(State(ctx): State<Ctx>, request: Request) -> Response {
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let headers = request.headers().clone();
    let range = header(&headers, "range");
    let authorization = header(&headers, "authorization");
    let (response, mut body_bytes) = route(&ctx, &path, &headers);
    let mut pace = None;
    let response = match response {
        Routed::Done(response) => {
            pace = (body_bytes > 0).then(|| take_pace(&ctx)).flatten();
            response
        }
        Routed::Stream {
            file,
            streamed_index,
        } => stream_whole(&ctx, file, streamed_index),
    };
    if pace.is_some() {
        // Counted as the paced body goes out.
        body_bytes = 0;
    }
    let status = response.status().as_u16();
    let index = {
        let mut inner = ctx.inner.lock().unwrap();
        inner.log.push(Logged {
            listener: ctx.listener,
            path,
            range,
            authorization,
            status,
            body_bytes,
        });
        inner.log.len() - 1
    };
    match pace {
        Some(pace) => paced(&ctx, response, pace, index).await,
        None => response,
    }
}

/// Uses up one paced body of this listener, if any are left.
fn take_pace(ctx: &Ctx) -> Option<Pace> {
    let mut inner = ctx.inner.lock().unwrap();
    let (_, count, pace) = inner
        .paced
        .iter_mut()
        .find(|(listener, count, _)| *listener == ctx.listener && *count > 0)?;
    *count -= 1;
    Some(*pace)
}

/// The same answer with its body sent at `pace`; the bytes produced are added to the log
/// entry at `index`.
async fn paced(ctx: &Ctx, response: Response, pace: Pace, index: usize) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let inner = ctx.inner.clone();
    let total = bytes.len();
    let stream = futures_util::stream::unfold(0usize, move |offset| {
        let bytes = bytes.clone();
        let inner = inner.clone();
        async move {
            if offset >= bytes.len() {
                return None;
            }
            let (len, wait) = match pace {
                Pace::Drip { chunk, every } => (
                    chunk.max(1),
                    if offset == 0 { Duration::ZERO } else { every },
                ),
                Pace::StallAfter { after, .. } if offset < after => {
                    (after - offset, Duration::ZERO)
                }
                Pace::StallAfter { stall, .. } => (bytes.len() - offset, stall),
            };
            tokio::time::sleep(wait).await;
            let end = (offset + len).min(bytes.len());
            if let Some(entry) = inner.lock().unwrap().log.get_mut(index) {
                entry.body_bytes += (end - offset) as u64;
            }
            Some((
                Ok::<_, std::convert::Infallible>(bytes.slice(offset..end)),
                end,
            ))
        }
    });
    let mut response = Response::from_parts(parts, Body::from_stream(stream));
    response
        .headers_mut()
        .insert("content-length", total.to_string().parse().unwrap());
    response
}

enum Routed {
    Done(Response),
    /// A `200` with the whole file, produced lazily; the log entry at `streamed_index` counts
    /// what is actually produced.
    Stream {
        file: FakeFile,
        streamed_index: usize,
    },
}

fn route(ctx: &Ctx, raw: &str, headers: &HeaderMap) -> (Routed, u64) {
    let done = |response: Response| {
        let bytes = body_len(&response);
        (Routed::Done(response), bytes)
    };
    {
        let mut inner = ctx.inner.lock().unwrap();
        if inner.fail_next > 0 {
            inner.fail_next -= 1;
            return done(hub_error(
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                "Service Unavailable",
            ));
        }
    }
    let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let token_state = match header(headers, "authorization") {
        None => TokenState::None,
        Some(value) if value == format!("Bearer {}", ctx.token) => TokenState::Valid,
        Some(_) => TokenState::Invalid,
    };
    if ctx.listener == Listener::Cdn {
        return match segments.as_slice() {
            [blobs, sha] if blobs == "blobs" => cdn_blob(ctx, sha, headers),
            _ => done(hub_error(StatusCode::NOT_FOUND, None, "Not Found")),
        };
    }
    if token_state == TokenState::Invalid {
        return done(hub_error(
            StatusCode::UNAUTHORIZED,
            None,
            "Invalid credentials in Authorization header",
        ));
    }
    let query: Vec<(&str, &str)> = query
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .collect();
    let blobs = query.iter().any(|(k, v)| *k == "blobs" && *v == "true");
    match segments
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["api", "models", owner, name] => {
            done(model_info(ctx, owner, name, "main", blobs, token_state))
        }
        ["api", "models", owner, name, "revision", rev] => {
            done(model_info(ctx, owner, name, rev, blobs, token_state))
        }
        ["api", "models", owner, name, "tree", rev] => {
            let cursor = query
                .iter()
                .find(|(k, _)| *k == "cursor")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            done(tree(ctx, owner, name, rev, cursor, token_state))
        }
        [owner, name, "resolve", rev, rest @ ..] if !rest.is_empty() => done(resolve(
            ctx,
            owner,
            name,
            rev,
            &rest.join("/"),
            headers,
            token_state,
        )),
        _ => done(hub_error(StatusCode::NOT_FOUND, None, "Not Found")),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TokenState {
    None,
    Valid,
    Invalid,
}

/// Checks repository access as the Hub does. `files` is whether file contents are asked for
/// (gated repositories show their metadata to anyone).
// The error is the finished response, built once per request: its size does not matter.
#[allow(clippy::result_large_err)]
fn check_access<'a>(
    inner: &'a Inner,
    id: &str,
    rev: &str,
    token: TokenState,
    files: bool,
) -> Result<&'a Repo, Response> {
    let not_found = || {
        let status = if token == TokenState::Valid {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::UNAUTHORIZED
        };
        hub_error(
            status,
            Some("RepoNotFound"),
            "Repository not found. If the repo is private, make sure you are authenticated.",
        )
    };
    let repo = inner.repos.get(id).ok_or_else(not_found)?;
    match repo.access {
        Access::Private if token != TokenState::Valid => return Err(not_found()),
        Access::Gated if files => {
            let (status, message) = if token == TokenState::Valid {
                (
                    StatusCode::FORBIDDEN,
                    "Access to this model is restricted and you are not in the authorized list.",
                )
            } else {
                (
                    StatusCode::UNAUTHORIZED,
                    "Access to this model is restricted. You must be authenticated to access it.",
                )
            };
            return Err(hub_error(status, Some("GatedRepo"), message));
        }
        _ => {}
    }
    if !repo.revisions.iter().any(|r| r == rev) {
        return Err(hub_error(
            StatusCode::NOT_FOUND,
            Some("RevisionNotFound"),
            &format!("Invalid rev id: {rev}"),
        ));
    }
    Ok(repo)
}

fn json_response(value: Value, extra: &[(&str, String)]) -> Response {
    let mut headers = vec![("content-type", "application/json".to_owned())];
    headers.extend(extra.iter().cloned());
    respond(StatusCode::OK, &headers, value.to_string().into_bytes())
}

fn lfs_json(file: &FakeFile) -> Value {
    json!({ "sha256": file.sha256, "size": file.size, "pointerSize": 134 })
}

fn model_info(
    ctx: &Ctx,
    owner: &str,
    name: &str,
    rev: &str,
    blobs: bool,
    token: TokenState,
) -> Response {
    let inner = ctx.inner.lock().unwrap();
    let id = format!("{owner}/{name}");
    let repo = match check_access(&inner, &id, rev, token, false) {
        Ok(repo) => repo,
        Err(response) => return response,
    };
    let siblings: Vec<Value> = repo
        .files
        .iter()
        .map(|(path, file)| {
            if !blobs {
                return json!({ "rfilename": path });
            }
            let mut sibling = json!({
                "rfilename": path,
                "size": file.size,
                "blobId": &file.sha256[..40],
            });
            if FakeFile::is_lfs(path) {
                sibling["lfs"] = lfs_json(file);
            }
            sibling
        })
        .collect();
    json_response(
        json!({
            "_id": "0000000000000000000000aa",
            "id": id,
            "modelId": id,
            "author": owner,
            "sha": COMMIT,
            "private": repo.access == Access::Private,
            "gated": if repo.access == Access::Gated { json!("manual") } else { json!(false) },
            "disabled": false,
            "tags": ["gguf"],
            "siblings": siblings,
        }),
        &[],
    )
}

fn tree(
    ctx: &Ctx,
    owner: &str,
    name: &str,
    rev: &str,
    cursor: usize,
    token: TokenState,
) -> Response {
    let inner = ctx.inner.lock().unwrap();
    let id = format!("{owner}/{name}");
    let repo = match check_access(&inner, &id, rev, token, false) {
        Ok(repo) => repo,
        Err(response) => return response,
    };
    let page = inner.tree_page_size;
    let items: Vec<Value> = repo
        .files
        .iter()
        .skip(cursor)
        .take(page)
        .map(|(path, file)| {
            let mut item = json!({
                "type": "file",
                "oid": &file.sha256[..40],
                "size": file.size,
                "path": path,
            });
            if FakeFile::is_lfs(path) {
                item["lfs"] = json!({ "oid": file.sha256, "size": file.size, "pointerSize": 134 });
            }
            item
        })
        .collect();
    let mut extra = Vec::new();
    if cursor + page < repo.files.len() {
        let rev = percent_encoding::utf8_percent_encode(rev, percent_encoding::NON_ALPHANUMERIC);
        extra.push((
            "link",
            format!(
                "<{}/api/models/{id}/tree/{rev}?recursive=true&cursor={}>; rel=\"next\"",
                ctx.endpoint,
                cursor + page
            ),
        ));
    }
    json_response(Value::Array(items), &extra)
}

fn resolve(
    ctx: &Ctx,
    owner: &str,
    name: &str,
    rev: &str,
    path: &str,
    headers: &HeaderMap,
    token: TokenState,
) -> Response {
    let inner = ctx.inner.lock().unwrap();
    let id = format!("{owner}/{name}");
    let repo = match check_access(&inner, &id, rev, token, true) {
        Ok(repo) => repo,
        Err(response) => return response,
    };
    let Some(file) = repo.files.get(path) else {
        return hub_error(
            StatusCode::NOT_FOUND,
            Some("EntryNotFound"),
            &format!("{path} does not exist on \"{rev}\""),
        );
    };
    if FakeFile::is_lfs(path) {
        return respond(
            StatusCode::FOUND,
            &[
                ("location", format!("{}/blobs/{}", ctx.cdn, file.sha256)),
                ("x-repo-commit", COMMIT.to_owned()),
                ("x-linked-etag", format!("\"{}\"", file.sha256)),
                ("x-linked-size", file.size.to_string()),
            ],
            Vec::new(),
        );
    }
    serve_range(file, headers)
}

fn cdn_blob(ctx: &Ctx, sha: &str, headers: &HeaderMap) -> (Routed, u64) {
    let inner = ctx.inner.lock().unwrap();
    let file = inner
        .repos
        .values()
        .flat_map(|repo| repo.files.values())
        .find(|file| file.sha256 == sha)
        .cloned();
    let Some(file) = file else {
        return (
            Routed::Done(hub_error(StatusCode::NOT_FOUND, None, "NoSuchKey")),
            0,
        );
    };
    if inner.cdn_redirect_loop {
        let response = respond(
            StatusCode::FOUND,
            &[("location", format!("/blobs/{sha}"))],
            Vec::new(),
        );
        return (Routed::Done(response), 0);
    }
    if inner.ignore_range {
        let streamed_index = inner.log.len();
        return (
            Routed::Stream {
                file,
                streamed_index,
            },
            0,
        );
    }
    let response = serve_range(&file, headers);
    let bytes = body_len(&response);
    (Routed::Done(response), bytes)
}

/// `Range: bytes=a-b` or `bytes=a-`, answered with `206`; no `Range` gives the whole file.
fn serve_range(file: &FakeFile, headers: &HeaderMap) -> Response {
    let Some(range) = header(headers, "range") else {
        let end = file.size.saturating_sub(1);
        return respond(StatusCode::OK, &[], file.slice(0, end));
    };
    let parsed = range.strip_prefix("bytes=").and_then(|spec| {
        let (start, end) = spec.split_once('-')?;
        let start: u64 = start.parse().ok()?;
        let end: u64 = if end.is_empty() {
            u64::MAX
        } else {
            end.parse().ok()?
        };
        (start <= end).then_some((start, end))
    });
    let Some((start, end)) = parsed else {
        return respond(StatusCode::BAD_REQUEST, &[], b"bad range".to_vec());
    };
    if start >= file.size {
        return respond(
            StatusCode::RANGE_NOT_SATISFIABLE,
            &[("content-range", format!("bytes */{}", file.size))],
            Vec::new(),
        );
    }
    let end = end.min(file.size - 1);
    respond(
        StatusCode::PARTIAL_CONTENT,
        &[
            (
                "content-range",
                format!("bytes {start}-{end}/{}", file.size),
            ),
            ("accept-ranges", "bytes".to_owned()),
        ],
        file.slice(start, end),
    )
}

/// The whole file as a `200`, produced in 64 KiB chunks only as fast as the client reads;
/// the bytes produced are added to the request's log entry.
fn stream_whole(ctx: &Ctx, file: FakeFile, streamed_index: usize) -> Response {
    const CHUNK: u64 = 64 << 10;
    let inner = ctx.inner.clone();
    let size = file.size;
    let stream = futures_util::stream::unfold(0u64, move |offset| {
        let file = file.clone();
        let inner = inner.clone();
        async move {
            if offset >= file.size {
                return None;
            }
            let end = (offset + CHUNK).min(file.size) - 1;
            let chunk = file.slice(offset, end);
            if let Some(entry) = inner.lock().unwrap().log.get_mut(streamed_index) {
                entry.body_bytes += chunk.len() as u64;
            }
            Some((
                Ok::<_, std::convert::Infallible>(Bytes::from(chunk)),
                end + 1,
            ))
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-length", size.to_string())
        .body(Body::from_stream(stream))
        .unwrap()
}
