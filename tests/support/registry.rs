//! Helpers for the push tests: the local registries started by `scripts/setup/40-registry.sh`,
//! unique repository names, a recording progress sink, and [`FaultProxy`], a small HTTP
//! proxy that stands between the client and the real registry and injects faults.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ruvltra_export::push::oci::{Credentials, OciBackend, OciConfig};
use ruvltra_export::push::{Progress, ProgressEvent, RetryPolicy, TransferOptions};

/// An oci backend for `registry` (`host:port`) over plain HTTP.
pub fn oci_backend(
    registry: &str,
    credentials: Option<Credentials>,
    mount_from: Vec<String>,
) -> OciBackend {
    OciBackend::new(OciConfig {
        registry: registry.to_string(),
        insecure: true,
        credentials,
        mount_from,
    })
}

/// Transfer options with `chunk_size` and retries quick enough for injected faults.
pub fn transfer_options(chunk_size: u64) -> TransferOptions {
    TransferOptions {
        chunk_size,
        retry: RetryPolicy {
            max_attempts: 4,
            initial_delay: Duration::from_millis(20),
            max_delay: Duration::from_secs(2),
        },
        ..TransferOptions::default()
    }
}

fn env(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: the push tests need the local registries from `scripts/setup/40-registry.sh` (run `bash scripts/test.sh`, or source target/test-tools/env.d/40-registry.sh after running the setup script)")
    })
}

/// `host:port` of the open registry.
pub fn open_registry() -> String {
    env("RUVLTRA_TEST_REGISTRY")
}

/// `host:port` of the registry with htpasswd authentication.
pub fn auth_registry() -> String {
    env("RUVLTRA_TEST_REGISTRY_AUTH")
}

/// `host:port` of the open registry that logs every request (for counting uploads).
pub fn logged_registry() -> String {
    env("RUVLTRA_TEST_REGISTRY_LOGGED")
}

/// The logged registry's access log (Apache combined format, one line per request).
pub fn logged_registry_log() -> std::path::PathBuf {
    env("RUVLTRA_TEST_REGISTRY_LOGGED_LOG").into()
}

/// The access-log lines the logged registry wrote after `offset` bytes of its log (take the
/// offset with [`log_len`] before the requests to count).
pub fn log_lines_since(offset: u64) -> Vec<String> {
    use std::io::Seek;
    let path = logged_registry_log();
    let mut file = std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("cannot open the registry log {}: {e}", path.display()));
    file.seek(std::io::SeekFrom::Start(offset)).unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text.lines().map(str::to_string).collect()
}

/// The logged registry's log length now.
pub fn log_len() -> u64 {
    std::fs::metadata(logged_registry_log())
        .map(|m| m.len())
        .unwrap_or(0)
}

/// User and password of the authenticated registry.
pub fn auth_user() -> (String, String) {
    (
        env("RUVLTRA_TEST_REGISTRY_USER"),
        env("RUVLTRA_TEST_REGISTRY_PASSWORD"),
    )
}

/// A repository name no other test run has used (registry storage outlives test runs).
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A progress sink that keeps every event.
#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<ProgressEvent>>);

impl Progress for Recorder {
    fn emit(&self, event: ProgressEvent) {
        if !matches!(event, ProgressEvent::TransferProgress { .. }) {
            self.0.lock().unwrap().push(event);
        }
    }
}

impl Recorder {
    /// The retry events so far.
    pub fn retries(&self) -> Vec<ProgressEvent> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|e| matches!(e, ProgressEvent::Retrying { .. }))
            .cloned()
            .collect()
    }
}

/// What the proxy does to a matching request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Read the request, answer this status (with headers) without forwarding.
    Status(u16, Vec<(&'static str, String)>),
    /// Read half the body, then drop the connection without forwarding anything.
    Cut,
    /// Wait, then forward normally (a slow server).
    Delay(Duration),
    /// Drain the body and answer `202 Accepted` with `Range: 0-0` and the request's own URL
    /// as `Location`: a registry that takes chunks and never stores them.
    Stuck,
    /// Forward normally, then replace this header of the registry's answer: a registry that
    /// claims to have stored other bytes.
    Rewrite(&'static str, String),
}

/// A fault for requests whose method and path match: the first `skip` matches pass, the next
/// `times` get the fault.
#[derive(Debug, Clone)]
pub struct Rule {
    /// `GET`, `PATCH`, ...
    pub method: &'static str,
    /// A substring of the request path.
    pub path_contains: &'static str,
    /// Matches to let through first.
    pub skip: usize,
    /// Matches to fault after that.
    pub times: usize,
    /// The fault.
    pub fault: Fault,
}

#[derive(Default)]
struct State {
    /// When set, the proxy acts as a registry with token authentication: user, password and
    /// the token its token service hands out.
    bearer: Option<(String, String, String)>,
    /// Query strings the token service was called with.
    token_requests: Vec<String>,
    rules: Vec<(Rule, usize)>,
    /// Body bytes forwarded to the registry, by method.
    forwarded: HashMap<String, u64>,
    /// `METHOD path -> status` of every request, in order (`cut` for cuts).
    log: Vec<String>,
}

/// An HTTP/1.1 proxy on 127.0.0.1 in front of a real registry. It forwards one request per
/// connection (`Connection: close`), counts the body bytes it forwards, and applies [`Rule`]s.
/// It stands for a flaky network and overloaded servers: 5xx, 429 with `Retry-After`, a
/// connection cut mid-upload, a slow answer.
pub struct FaultProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`host:port`).
    pub fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let upstream = upstream.to_string();
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let state = shared.clone();
                let upstream = upstream.clone();
                std::thread::spawn(move || {
                    let _ = handle(stream, &upstream, &state);
                });
            }
        });
        Self { addr, state }
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// Adds a rule.
    pub fn add(&self, rule: Rule) {
        self.state.lock().unwrap().rules.push((rule, 0));
    }

    /// Makes the proxy demand a Bearer token, the way Docker Hub or GHCR do: requests without
    /// `Authorization: Bearer <token>` get 401 with a `WWW-Authenticate: Bearer realm=...`
    /// challenge naming the proxy's own `/token` service, which hands out the token for the
    /// right Basic credentials.
    pub fn require_bearer(&self, user: &str, password: &str, token: &str) {
        self.state.lock().unwrap().bearer = Some((user.into(), password.into(), token.into()));
    }

    /// Query strings the token service received.
    pub fn token_requests(&self) -> Vec<String> {
        self.state.lock().unwrap().token_requests.clone()
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    /// Body bytes forwarded for `method`.
    pub fn forwarded(&self, method: &str) -> u64 {
        *self
            .state
            .lock()
            .unwrap()
            .forwarded
            .get(method)
            .unwrap_or(&0)
    }

    /// Body bytes forwarded by uploads (`PATCH` and `PUT`).
    pub fn uploaded(&self) -> u64 {
        self.forwarded("PATCH") + self.forwarded("PUT")
    }

    /// Every request seen, as `METHOD path -> status`.
    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }
}

fn handle(client: TcpStream, upstream: &str, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let path = target.split('?').next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    let mut length = 0u64;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
            if name.eq_ignore_ascii_case("connection") {
                continue;
            }
        }
        headers.push(line);
    }
    let bearer = state.lock().unwrap().bearer.clone();
    if let Some((user, password, token)) = bearer {
        let authorization = headers
            .iter()
            .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
            .map(|l| l.split_once(':').unwrap().1.trim().to_string());
        headers.retain(|l| !l.to_ascii_lowercase().starts_with("authorization:"));
        let mut client = client.try_clone()?;
        if path == "/token" {
            use base64::Engine as _;
            let basic = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            );
            state
                .lock()
                .unwrap()
                .token_requests
                .push(target.split_once('?').map_or("", |(_, q)| q).to_string());
            let (code, body) = if authorization.as_deref() == Some(basic.as_str()) {
                (200, format!("{{\"token\":\"{token}\"}}"))
            } else {
                (401, "{\"details\":\"bad credentials\"}".to_string())
            };
            let head = format!(
                "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            client.write_all(head.as_bytes())?;
            client.write_all(body.as_bytes())?;
            return Ok(());
        }
        if authorization.as_deref() != Some(format!("Bearer {token}").as_str()) {
            std::io::copy(&mut (&mut reader).take(length), &mut std::io::sink())?;
            let local = client.local_addr()?;
            let body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}";
            let head = format!(
                "HTTP/1.1 401 Unauthorized\r\nWww-Authenticate: Bearer realm=\"http://{local}/token\",service=\"test-registry\"\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            client.write_all(head.as_bytes())?;
            client.write_all(body.as_bytes())?;
            state
                .lock()
                .unwrap()
                .log
                .push(format!("{method} {path} -> 401"));
            return Ok(());
        }
    }
    let fault = {
        let mut state = state.lock().unwrap();
        let mut chosen = None;
        for (rule, seen) in state.rules.iter_mut() {
            if rule.method == method && path.contains(rule.path_contains) {
                *seen += 1;
                if *seen > rule.skip && *seen <= rule.skip + rule.times {
                    chosen = Some(rule.fault.clone());
                    break;
                }
            }
        }
        chosen
    };
    let mut client = client;
    match &fault {
        Some(Fault::Cut) => {
            let mut half = vec![0u8; (length / 2) as usize];
            reader.read_exact(&mut half)?;
            state
                .lock()
                .unwrap()
                .log
                .push(format!("{method} {path} -> cut"));
            client.shutdown(Shutdown::Both)?;
            return Ok(());
        }
        Some(Fault::Status(code, extra)) => {
            std::io::copy(&mut (&mut reader).take(length), &mut std::io::sink())?;
            let body = format!(
                "{{\"errors\":[{{\"code\":\"INJECTED\",\"message\":\"injected {code}\"}}]}}"
            );
            let mut head = format!(
                "HTTP/1.1 {code} Injected\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (name, value) in extra {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            client.write_all(head.as_bytes())?;
            client.write_all(body.as_bytes())?;
            state
                .lock()
                .unwrap()
                .log
                .push(format!("{method} {path} -> {code}"));
            return Ok(());
        }
        Some(Fault::Stuck) => {
            std::io::copy(&mut (&mut reader).take(length), &mut std::io::sink())?;
            let head = format!(
                "HTTP/1.1 202 Accepted\r\nLocation: {target}\r\nRange: 0-0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            client.write_all(head.as_bytes())?;
            state
                .lock()
                .unwrap()
                .log
                .push(format!("{method} {path} -> 202 stuck"));
            return Ok(());
        }
        Some(Fault::Delay(wait)) => std::thread::sleep(*wait),
        Some(Fault::Rewrite(..)) | None => {}
    }
    let mut server = TcpStream::connect(upstream)?;
    let mut head = format!("{method} {target} HTTP/1.1\r\n");
    for line in &headers {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    server.write_all(head.as_bytes())?;
    let sent = std::io::copy(&mut (&mut reader).take(length), &mut server)?;
    *state
        .lock()
        .unwrap()
        .forwarded
        .entry(method.clone())
        .or_default() += sent;
    let mut response = Vec::new();
    server.read_to_end(&mut response)?;
    if let Some(Fault::Rewrite(name, value)) = &fault {
        response = rewrite_header(&response, name, value);
    }
    let status = String::from_utf8_lossy(&response[..response.len().min(12)])
        .split_whitespace()
        .nth(1)
        .unwrap_or("?")
        .to_string();
    state
        .lock()
        .unwrap()
        .log
        .push(format!("{method} {path} -> {status}"));
    client.write_all(&response)?;
    Ok(())
}

/// `response` with header `name` set to `value` (added when missing).
fn rewrite_header(response: &[u8], name: &str, value: &str) -> Vec<u8> {
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(response.len());
    let head = String::from_utf8_lossy(&response[..split]);
    let mut lines: Vec<String> = head
        .split("\r\n")
        .filter(|line| {
            !line
                .to_ascii_lowercase()
                .starts_with(&format!("{}:", name.to_ascii_lowercase()))
        })
        .map(str::to_string)
        .collect();
    lines.push(format!("{name}: {value}"));
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(&response[split..]);
    out
}

/// A one-route HTTP server on 127.0.0.1 that records each request's head and answers with a
/// fixed response; it stands for a registry that redirects blob downloads to storage (`307`
/// + `Location`) and for the storage host itself.
pub struct RecordingServer {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
}

impl RecordingServer {
    /// Starts a server answering every request with `response(path)` (a full HTTP response).
    pub fn start(response: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let shared = heads.clone();
        let response = Arc::new(response);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
                shared.lock().unwrap().push(head);
                let _ = stream.write_all(response(&path).as_bytes());
            }
        });
        Self { addr, heads }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The request heads received so far.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}
