//! Fault injection and plumbing shared by the fake registry servers (`fake_ollama`,
//! `fake_modelscope`, `fake_hf_upload`).
//!
//! Each fake server runs axum on `127.0.0.1:0` in a thread of its own (so blocking clients in
//! tests can call it) and puts [`fault_layer`] in front of every route. A test arms a fault
//! with [`Faults::inject`]: the next `times` requests whose method and path match get it
//! instead of (or before) the real handler. The faults are the ones the issue asks every
//! backend to survive: a 5xx answer, a 429 with `Retry-After`, a connection cut in the middle
//! of an upload body, and a slow server.
//!
//! The tests of those backends share the rest: [`Recorder`] (a progress sink that keeps every
//! event, to look for retries and leaked tokens), [`fast_options`] and [`fake_gguf`].
#![allow(dead_code)]

use std::collections::HashMap;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What a fake server counts per blob (by sha256 hex), so tests can prove nothing was sent or
/// stored twice.
#[derive(Debug, Default, Clone)]
pub struct UploadCounts {
    /// Body bytes received per blob, failed attempts included.
    pub bytes_received: HashMap<String, u64>,
    /// Completed uploads stored per blob.
    pub uploads_stored: HashMap<String, u32>,
}

impl UploadCounts {
    /// Counts `bytes` more body bytes for `oid`.
    pub fn received(&mut self, oid: &str, bytes: u64) {
        *self.bytes_received.entry(oid.to_string()).or_default() += bytes;
    }

    /// Counts one more stored upload of `oid`.
    pub fn stored(&mut self, oid: &str) {
        *self.uploads_stored.entry(oid.to_string()).or_default() += 1;
    }

    /// Body bytes received for `oid`.
    pub fn bytes(&self, oid: &str) -> u64 {
        self.bytes_received.get(oid).copied().unwrap_or(0)
    }

    /// Uploads of `oid` stored.
    pub fn stores(&self, oid: &str) -> u32 {
        self.uploads_stored.get(oid).copied().unwrap_or(0)
    }

    /// Body bytes received over all blobs.
    pub fn total_bytes(&self) -> u64 {
        self.bytes_received.values().sum()
    }
}

/// One kind of misbehaviour.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Drain the request body, then answer with this status (500, 502, 503...) and a short
    /// JSON error body.
    Status(u16),
    /// Drain the request body, then answer 429 with `Retry-After: <secs>`.
    TooManyRequests {
        /// The value of the `Retry-After` header, in seconds.
        retry_after_secs: u64,
    },
    /// Read this many bytes of the request body, then drop the connection without any answer
    /// (what a client sees when a proxy or the network fails mid-upload).
    CutAfter(u64),
    /// Wait this long, then handle the request normally.
    Slow(Duration),
}

#[derive(Debug)]
struct Rule {
    method: Method,
    path_contains: String,
    fault: Fault,
    remaining: usize,
}

/// The armed faults of one server, and what they did.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<FaultState>>,
}

#[derive(Debug, Default)]
struct FaultState {
    rules: Vec<Rule>,
    fired: usize,
    wasted_bytes: u64,
}

impl Faults {
    /// Arms `fault` for the next `times` requests with this method whose path contains
    /// `path_contains`.
    pub fn inject(&self, method: &str, path_contains: &str, fault: Fault, times: usize) {
        let method = Method::from_bytes(method.as_bytes()).expect("a valid HTTP method");
        self.inner.lock().unwrap().rules.push(Rule {
            method,
            path_contains: path_contains.to_string(),
            fault,
            remaining: times,
        });
    }

    /// How many faults fired so far (a test checks that its fault really happened).
    pub fn fired(&self) -> usize {
        self.inner.lock().unwrap().fired
    }

    /// Body bytes read by faulted requests (they never reached a handler).
    pub fn wasted_bytes(&self) -> u64 {
        self.inner.lock().unwrap().wasted_bytes
    }

    /// Armed faults that have not fired yet.
    pub fn pending(&self) -> usize {
        self.inner
            .lock()
            .unwrap()
            .rules
            .iter()
            .map(|r| r.remaining)
            .sum()
    }

    fn take(&self, method: &Method, path: &str) -> Option<Fault> {
        let mut state = self.inner.lock().unwrap();
        let rule = state
            .rules
            .iter_mut()
            .find(|r| r.remaining > 0 && r.method == method && path.contains(&r.path_contains))?;
        rule.remaining -= 1;
        let fault = rule.fault.clone();
        state.fired += 1;
        Some(fault)
    }

    fn waste(&self, bytes: u64) {
        self.inner.lock().unwrap().wasted_bytes += bytes;
    }
}

/// Reads up to `limit` bytes of `body` and returns how many were read.
async fn read_body(body: &mut Body, limit: u64) -> u64 {
    let mut read = 0u64;
    while read < limit {
        let frame = poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await;
        match frame {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    read += data.len() as u64;
                }
            }
            _ => break,
        }
    }
    read
}

/// The axum middleware that applies armed faults (see [`Faults`]).
pub async fn fault_layer(State(faults): State<Faults>, request: Request, next: Next) -> Response {
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let Some(fault) = faults.take(request.method(), &path) else {
        return next.run(request).await;
    };
    let (parts, mut body) = request.into_parts();
    match fault {
        Fault::Slow(delay) => {
            tokio::time::sleep(delay).await;
            next.run(Request::from_parts(parts, body)).await
        }
        Fault::Status(code) => {
            let wasted = read_body(&mut body, u64::MAX).await;
            faults.waste(wasted);
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, r#"{"error":"injected server error"}"#).into_response()
        }
        Fault::TooManyRequests { retry_after_secs } => {
            let wasted = read_body(&mut body, u64::MAX).await;
            faults.waste(wasted);
            let mut response =
                (StatusCode::TOO_MANY_REQUESTS, r#"{"error":"rate limited"}"#).into_response();
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from(retry_after_secs));
            response
        }
        Fault::CutAfter(bytes) => {
            let wasted = read_body(&mut body, bytes).await;
            faults.waste(wasted);
            // Unwinding the connection task drops the socket with no answer; `resume_unwind`
            // skips the panic hook, so the test output stays clean.
            std::panic::resume_unwind(Box::new("injected connection cut"))
        }
    }
}

/// A server running on its own thread; the runtime stops when this is dropped.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl RunningServer {
    /// Serves `router` on `127.0.0.1:0` in a new thread.
    pub fn start(router: Router) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let server = axum::serve(listener, router);
                tokio::select! {
                    _ = server => {}
                    _ = rx => {}
                }
            });
            runtime.shutdown_background();
        });
        Self {
            addr,
            shutdown: Some(tx),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A progress sink that keeps every event, rendered with `Debug`, so tests can look for
/// leaked secrets and for retries.
#[derive(Debug, Default)]
pub struct Recorder {
    events: Mutex<Vec<String>>,
}

impl Recorder {
    /// Every event so far, one `Debug` rendering each.
    pub fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }

    /// How many events mention `needle`.
    pub fn count(&self, needle: &str) -> usize {
        self.events().iter().filter(|e| e.contains(needle)).count()
    }
}

impl ruvltra_export::push::Progress for Recorder {
    fn emit(&self, event: ruvltra_export::push::ProgressEvent) {
        self.events.lock().unwrap().push(format!("{event:?}"));
    }
}

/// One simulated command of a backend test: a digest cache, a [`Recorder`] and
/// [`fast_options`]; a second `Run` is a fresh command (nothing hashed yet).
pub struct Run {
    /// The command's digest cache.
    pub cache: ruvltra_export::push::DigestCache,
    /// Every progress event of the command.
    pub recorder: Recorder,
}

impl Run {
    /// A fresh command.
    pub fn new() -> Self {
        Self {
            cache: ruvltra_export::push::DigestCache::in_memory(),
            recorder: Recorder::default(),
        }
    }

    /// The context backends get.
    pub fn ctx(&self) -> ruvltra_export::push::PushContext<'_> {
        ruvltra_export::push::PushContext::new(&self.cache, &self.recorder, fast_options())
    }
}

/// Plans and pushes `release` with `backend` in `run`; returns the bytes sent.
pub fn push_all(
    backend: &dyn ruvltra_export::push::Backend,
    release: &ruvltra_export::push::Release,
    run: &Run,
) -> Result<u64, ruvltra_export::push::PushError> {
    let ctx = run.ctx();
    let plan = backend.plan(release, &ctx)?;
    Ok(backend.push(&plan, release, &ctx)?.bytes_sent)
}

/// Transfer options for tests: quick backoff (a server's `Retry-After` of 1 s still counts),
/// two transfers at once.
pub fn fast_options() -> ruvltra_export::push::TransferOptions {
    ruvltra_export::push::TransferOptions {
        parallel: 2,
        retry: fast_retry(),
        ..Default::default()
    }
}

/// A retry policy for tests: 6 attempts, 10 ms doubling, at most 2 s.
pub fn fast_retry() -> ruvltra_export::push::RetryPolicy {
    ruvltra_export::push::RetryPolicy {
        max_attempts: 6,
        initial_delay: Duration::from_millis(10),
        max_delay: Duration::from_secs(2),
    }
}

/// Writes a file that starts like a GGUF and continues with `len - 4` bytes derived from
/// `seed`, so different seeds give different digests.
pub fn fake_gguf(dir: &std::path::Path, name: &str, len: usize, seed: u8) -> std::path::PathBuf {
    let mut bytes = b"GGUF".to_vec();
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(1);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        bytes.push((state & 0xff) as u8);
    }
    bytes.truncate(len);
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write a test GGUF");
    path
}
