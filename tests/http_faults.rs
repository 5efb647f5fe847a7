//! Misbehaving servers met through the binary (#14 items 2, 7, 16, 17, 21, 22): each test runs
//! `ruvltra-export` as a user would, against the real local registry behind
//! [`registry::FaultProxy`] or a small stand-in on 127.0.0.1, with a wall-clock limit so a hang
//! fails instead of hanging.

#[path = "support/registry.rs"]
mod registry;
mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use registry::{Fault, FaultProxy, Rule, open_registry, unique};

/// Longest any of these commands may run before the test calls it a hang.
const WALL_CLOCK: Duration = Duration::from_secs(90);

/// Runs the binary with `args` and `env` under [`WALL_CLOCK`] (and, when `memory_cap_kib` is
/// set, a virtual memory cap); returns success, stdout+stderr and the time taken.
fn run(
    args: &[&str],
    env: &[(&str, &str)],
    memory_cap_kib: Option<u64>,
) -> (bool, String, Duration) {
    let cache = tempfile::tempdir().unwrap();
    let binary = env!("CARGO_BIN_EXE_ruvltra-export");
    let mut command = match memory_cap_kib {
        Some(kib) => {
            let mut sh = Command::new("sh");
            sh.arg("-c")
                .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
                .arg(binary);
            sh
        }
        None => Command::new(binary),
    };
    let started = Instant::now();
    let mut child = command
        .args(args)
        .env("XDG_CACHE_HOME", cache.path())
        .env("DOCKER_CONFIG", cache.path().join("no-docker"))
        .env_remove("REGISTRY_USERNAME")
        .env_remove("REGISTRY_PASSWORD")
        .env_remove("RUVLTRA_TIMEOUT")
        .env_remove("RUVLTRA_RETRIES")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > WALL_CLOCK {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{}` did not finish within {WALL_CLOCK:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let elapsed = started.elapsed();
    let output = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text, elapsed)
}

fn gguf(name: &str) -> String {
    support::corpus_dir()
        .join("gguf")
        .join(name)
        .display()
        .to_string()
}

/// `push --gguf FILE --to oci --registry REGISTRY --insecure --name NAME` plus `extra`.
fn push_oci(registry: &str, file: &str, extra: &[&str]) -> (bool, String, Duration) {
    let name = format!("ruvltra/{}:q4", unique("faults"));
    let mut args = vec![
        "push",
        "--gguf",
        file,
        "--to",
        "oci",
        "--registry",
        registry,
        "--insecure",
        "--name",
        &name,
    ];
    args.extend_from_slice(extra);
    run(&args, &[], None)
}

#[test]
fn registry_check_is_retried_after_503_with_retry_after() {
    let proxy = FaultProxy::start(&open_registry());
    proxy.add(Rule {
        method: "GET",
        path_contains: "/v2/",
        skip: 0,
        times: 1,
        fault: Fault::Status(503, vec![("Retry-After", "1".to_string())]),
    });
    let (ok, all, _) = push_oci(&proxy.addr(), &gguf("ggml-vocab-llama-spm.gguf"), &[]);
    assert!(ok, "{all}");
    assert_eq!(
        proxy.log().first().map(String::as_str),
        Some("GET /v2/ -> 503")
    );
}

#[test]
fn chunked_upload_that_never_advances_ends_with_an_error() {
    let proxy = FaultProxy::start(&open_registry());
    proxy.add(Rule {
        method: "PATCH",
        path_contains: "/blobs/uploads/",
        skip: 0,
        times: usize::MAX,
        fault: Fault::Stuck,
    });
    let file = gguf("ggml-vocab-deepseek-coder.gguf");
    let (ok, all, _) = push_oci(
        &proxy.addr(),
        &file,
        &["--chunk-mib", "1", "--retries", "2"],
    );
    assert!(!ok, "{all}");
    assert!(all.contains("still reports 0 bytes received"), "{all}");
    let patches = proxy
        .log()
        .iter()
        .filter(|l| l.starts_with("PATCH"))
        .count();
    assert!(patches <= 3, "{patches} PATCHes");
}

#[test]
fn stored_digest_that_differs_fails_even_without_verify() {
    let proxy = FaultProxy::start(&open_registry());
    proxy.add(Rule {
        method: "PUT",
        path_contains: "/blobs/uploads/",
        skip: 0,
        times: usize::MAX,
        fault: Fault::Rewrite(
            "Docker-Content-Digest",
            format!("sha256:{}", "0".repeat(64)),
        ),
    });
    let file = gguf("ggml-vocab-llama-spm.gguf");
    let (ok, all, _) = push_oci(&proxy.addr(), &file, &["--no-verify"]);
    assert!(!ok, "{all}");
    assert!(all.contains("the registry stored other bytes"), "{all}");
}

/// A registry whose token service streams a JSON answer that never ends.
fn endless_token_registry() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let realm = format!("http://{addr}/token");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let realm = realm.clone();
            std::thread::spawn(move || {
                let mut line = String::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let _ = reader.read_line(&mut line);
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                }
                if line.contains("/token") {
                    let _ = stream.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"token\":\"",
                    );
                    let chunk = vec![b'a'; 1 << 16];
                    while stream.write_all(&chunk).is_ok() {}
                } else {
                    let _ = stream.write_all(format!(
                        "HTTP/1.1 401 Unauthorized\r\nWww-Authenticate: Bearer realm=\"{realm}\",service=\"s\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    ).as_bytes());
                }
            });
        }
    });
    addr
}

#[test]
fn endless_token_answer_is_cut_at_its_cap() {
    let registry = endless_token_registry();
    let name = format!("ruvltra/{}:q4", unique("token"));
    let file = gguf("ggml-vocab-llama-spm.gguf");
    let args = [
        "push",
        "--gguf",
        &file,
        "--to",
        "oci",
        "--registry",
        &registry,
        "--insecure",
        "--name",
        &name,
        "--retries",
        "0",
    ];
    // 2 GiB of address space: the tool needs a fraction; an unbounded read hits the cap.
    let (ok, all, _) = run(&args, &[], Some(2 << 20));
    assert!(!ok, "{all}");
    assert!(
        all.contains("the token answer: the answer is larger than"),
        "{all}"
    );
}

/// A server that accepts connections and never answers.
fn silent_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            held.push(stream);
        }
    });
    addr
}

#[test]
fn silent_registry_is_given_up_on_within_the_timeout() {
    let registry = silent_server();
    let file = gguf("ggml-vocab-llama-spm.gguf");
    let (ok, all, elapsed) = push_oci(&registry, &file, &["--timeout", "2", "--retries", "1"]);
    assert!(!ok, "{all}");
    assert!(all.contains("gave up after 2 attempts"), "{all}");
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}\n{all}");
    let name = format!("ruvltra/{}:q4", unique("silent"));
    let args = [
        "push",
        "--gguf",
        &file,
        "--to",
        "oci",
        "--registry",
        &registry,
        "--insecure",
        "--name",
        &name,
    ];
    let (ok, all, elapsed) = run(
        &args,
        &[("RUVLTRA_TIMEOUT", "2"), ("RUVLTRA_RETRIES", "0")],
        None,
    );
    assert!(!ok, "{all}");
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}\n{all}");
}

#[test]
fn unreachable_ollama_fails_fast_with_a_hint() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let host = format!("127.0.0.1:{port}");
    let file = gguf("ggml-vocab-llama-spm.gguf");
    let (ok, all, elapsed) = run(
        &["push", "--gguf", &file, "--to", "ollama", "--name", "ruv/x"],
        &[("OLLAMA_HOST", host.as_str())],
        None,
    );
    assert!(!ok, "{all}");
    assert!(all.contains("is Ollama running at OLLAMA_HOST?"), "{all}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn hub_url_as_source_suggests_the_hf_reference() {
    let (ok, all, _) = run(
        &["inspect", "https://huggingface.co/ruv/ruvltra"],
        &[],
        None,
    );
    assert!(!ok, "{all}");
    assert!(all.contains("hf://ruv/ruvltra"), "{all}");
    let (_, all, _) = run(
        &[
            "inspect",
            "https://huggingface.co/ruv/ruvltra/blob/main/a-q4_k_m.gguf",
        ],
        &[],
        None,
    );
    assert!(all.contains("hf://ruv/ruvltra/a-q4_k_m.gguf"), "{all}");
}

#[test]
fn not_implemented_is_not_retried() {
    let proxy = FaultProxy::start(&open_registry());
    proxy.add(Rule {
        method: "POST",
        path_contains: "/blobs/uploads/",
        skip: 0,
        times: usize::MAX,
        fault: Fault::Status(501, Vec::new()),
    });
    let file = gguf("ggml-vocab-llama-spm.gguf");
    let (ok, all, _) = push_oci(&proxy.addr(), &file, &[]);
    assert!(!ok, "{all}");
    assert!(all.contains("answered 501"), "{all}");
    assert!(!all.contains("gave up after"), "501 is not retried: {all}");
}

/// A registry that asks for Basic credentials and answers every request that carries them
/// with an error page echoing the request's headers, as some proxies do: a HEAD or GET is
/// 404 (nothing there yet), the first upload a 503 HTML page (retried), later ones a 403 in
/// plain text. Returns its address and the `Authorization` values it received.
fn echoing_registry() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::Read;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let uploads = Arc::new(AtomicUsize::new(0));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (record, uploads) = (record.clone(), uploads.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut request = String::new();
                    if reader.read_line(&mut request).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut headers = String::new();
                    let (mut length, mut authorization) = (0u64, None);
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                            break;
                        }
                        let lower = header.to_ascii_lowercase();
                        if let Some(value) = lower.strip_prefix("content-length:") {
                            length = value.trim().parse().unwrap_or(0);
                        }
                        if lower.starts_with("authorization:") {
                            authorization =
                                header.split_once(':').map(|(_, v)| v.trim().to_owned());
                        }
                        headers.push_str(&header);
                    }
                    let _ = std::io::copy(&mut (&mut reader).take(length), &mut std::io::sink());
                    let method = request.split(' ').next().unwrap_or("").to_owned();
                    let answer = match authorization {
                        None => "HTTP/1.1 401 Unauthorized\r\nWww-Authenticate: Basic realm=\"echo\"\r\nContent-Length: 0\r\n\r\n".to_owned(),
                        Some(value) => {
                            record.lock().unwrap().push(value);
                            let (status, kind, body) = if method == "HEAD" || method == "GET" {
                                ("404 Not Found", "text/plain", String::new())
                            } else if uploads.fetch_add(1, Ordering::SeqCst) == 0 {
                                let page = format!(
                                    "<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>ECHO-PAGE-BODY your request was:</p><pre>{request}{headers}</pre></body></html>"
                                );
                                ("503 Service Unavailable", "text/html; charset=utf-8", page)
                            } else {
                                ("403 Forbidden", "text/plain", format!("denied: {request}{headers}"))
                            };
                            format!(
                                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\n\r\n{body}",
                                body.len()
                            )
                        }
                    };
                    if stream.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, seen)
}

/// #14 item 21: a server that echoes the request's headers in an HTML error page and in a
/// plain-text one puts neither the page nor the credential into what the binary prints, on
/// the retry lines or in the final error; a 403 says what to check.
#[test]
fn echoed_credentials_and_html_pages_are_never_printed() {
    const PASSWORD: &str = "echo-pass-s3cret";
    let (registry, seen) = echoing_registry();
    let name = format!("ruvltra/{}:q4", unique("echo"));
    let file = gguf("ggml-vocab-llama-spm.gguf");
    let args = [
        "push",
        "--gguf",
        &file,
        "--to",
        "oci",
        "--registry",
        &registry,
        "--insecure",
        "--name",
        &name,
        "--retries",
        "2",
        "--parallel",
        "1",
    ];
    let (ok, all, _) = run(
        &args,
        &[
            ("REGISTRY_USERNAME", "echo-user"),
            ("REGISTRY_PASSWORD", PASSWORD),
        ],
        None,
    );
    assert!(!ok, "{all}");
    let seen = seen.lock().unwrap().clone();
    let credential = seen.first().expect("the credentials were sent").clone();
    let encoded = credential.trim_start_matches("Basic ").to_owned();
    assert!(!encoded.is_empty(), "{credential}");
    for leak in [
        PASSWORD,
        encoded.as_str(),
        "ECHO-PAGE-BODY",
        "<pre>",
        "<html",
    ] {
        assert!(!all.contains(leak), "`{leak}` was printed:\n{all}");
    }
    assert!(
        all.contains("503 Service Unavailable (an HTML error page)"),
        "{all}"
    );
    assert!(all.contains("answered 403"), "{all}");
    assert!(all.contains("[redacted]"), "{all}");
    assert!(
        all.contains("hint: the credentials may not push to this repository"),
        "{all}"
    );
}
