//! `HubClient::download` when the connection drops or stalls mid-body: the same call asks
//! again from where the cache file ends, and the result is verified against the Hub's sha256.
//! A slow but steady body is never cut; metadata answers keep a whole-request timeout.
//!
//! The first tests use a minimal HTTP/1.1 responder on 127.0.0.1 standing for the Hub's file
//! download (`GET /{repo}/resolve/{rev}/{path}` with `Range`, answered `206` with
//! `Content-Range`, as in `shared/reference/hub-apis.md`); its one fault is a body cut after
//! a set number of bytes, which the fake Hub cannot do. The timeout tests use the fake Hub
//! (`support/fake_hub.rs`, redirecting LFS files to its CDN) with paced bodies.

#[path = "support/fake_hub.rs"]
mod fake_hub;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fake_hub::{Access, FakeHub, Listener, Pace};
use ruvltra_export::digest::Digest;
use ruvltra_export::source::hub::Downloaded;
use ruvltra_export::source::{
    HubClient, HubEndpoint, HubError, HubLimits, HubSettings, RepoId, RepoPath, Revision,
};

/// Serves `body` with Range support (or, without `honour_range`, always `200` and the whole
/// body); the first answer stops after `cut` bytes. Returns the base URL and the `Range`
/// headers seen.
fn serve(body: Vec<u8>, cut: usize, honour_range: bool) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let ranges = Arc::new(Mutex::new(Vec::new()));
    let seen = ranges.clone();
    std::thread::spawn(move || {
        let mut first = true;
        for stream in listener.incoming().take(20) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut range = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
                    range = Some(value.trim().to_owned());
                }
            }
            let range = range.unwrap_or_else(|| "0-".into());
            seen.lock().unwrap().push(range.clone());
            if !honour_range {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                stream.write_all(head.as_bytes()).unwrap();
                let _ = stream.write_all(&body);
                continue;
            }
            let (start, end) = range.split_once('-').unwrap();
            let start: usize = start.parse().unwrap();
            let end: usize = end.parse().unwrap_or(body.len() - 1);
            let slice = &body[start..=end];
            let head = format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {start}-{end}/{}\r\nConnection: close\r\n\r\n",
                slice.len(),
                body.len()
            );
            stream.write_all(head.as_bytes()).unwrap();
            let send = if first { &slice[..cut] } else { slice };
            first = false;
            let _ = stream.write_all(send);
            let _ = stream.flush();
        }
    });
    (url, ranges)
}

fn client(url: &str) -> HubClient {
    let url = url.to_owned();
    let settings =
        HubSettings::resolve(&move |name| (name == "HF_ENDPOINT").then(|| url.clone().into()))
            .unwrap();
    HubClient::with_limits(
        settings,
        HubLimits {
            retry_delay: std::time::Duration::from_millis(10),
            ..HubLimits::default()
        },
    )
    .unwrap()
}

fn body() -> Vec<u8> {
    (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect()
}

fn place() -> (RepoId, Revision, RepoPath) {
    (
        RepoId::new("ruv", "ruvltra").unwrap(),
        Revision::new("main").unwrap(),
        RepoPath::new("model.gguf").unwrap(),
    )
}

/// Downloads `model.gguf` of the test repository, expected to hash to `sha` and be `size`
/// bytes, into `cache`, reporting bytes to `on_bytes`.
fn fetch(
    client: &HubClient,
    sha: &Digest,
    size: usize,
    cache: &std::path::Path,
    on_bytes: &(dyn Fn(u64) + Sync),
) -> Result<Downloaded, HubError> {
    let (repo, revision, path) = place();
    client.download(&repo, &revision, &path, sha, size as u64, cache, on_bytes)
}

#[test]
fn a_cut_connection_resumes_within_the_same_call() {
    let bytes = body();
    let (url, ranges) = serve(bytes.clone(), 100_000, true);
    let cache = tempfile::tempdir().unwrap();
    let sha = Digest::of_bytes(&bytes);
    let reported = Mutex::new(Vec::new());
    let done = fetch(&client(&url), &sha, bytes.len(), cache.path(), &|have| {
        reported.lock().unwrap().push(have)
    })
    .unwrap();
    assert_eq!(std::fs::read(&done.path).unwrap(), bytes);
    assert_eq!(done.bytes_fetched, bytes.len() as u64);
    let ranges = ranges.lock().unwrap().clone();
    assert_eq!(ranges[0], format!("0-{}", bytes.len() - 1));
    assert_eq!(ranges[1], format!("100000-{}", bytes.len() - 1));
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    let reported = reported.into_inner().unwrap();
    assert_eq!(reported.first(), Some(&0));
    assert_eq!(reported.last(), Some(&(bytes.len() as u64)));
    assert!(reported.contains(&100_000), "the cut point is reported");
    assert!(reported.windows(2).all(|w| w[0] <= w[1]), "{reported:?}");
}

#[test]
fn bytes_that_do_not_hash_to_the_hubs_sha256_are_not_kept() {
    let bytes = body();
    let (url, _) = serve(bytes.clone(), bytes.len(), true);
    let cache = tempfile::tempdir().unwrap();
    let wrong = Digest::of_bytes(b"something else");
    let err = fetch(&client(&url), &wrong, bytes.len(), cache.path(), &|_| {}).unwrap_err();
    assert!(matches!(err, HubError::DigestMismatch { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains(wrong.as_str()), "{message}");
    assert!(
        message.contains(Digest::of_bytes(&bytes).as_str()),
        "{message}"
    );
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0);
}

#[test]
fn a_server_that_ignores_the_range_restarts_the_file() {
    let bytes = body();
    let (url, ranges) = serve(bytes.clone(), bytes.len(), false);
    let cache = tempfile::tempdir().unwrap();
    let sha = Digest::of_bytes(&bytes);
    let partial = cache.path().join(format!("{}.partial", sha.as_str()));
    std::fs::write(&partial, &bytes[..50_000]).unwrap();
    let done = fetch(&client(&url), &sha, bytes.len(), cache.path(), &|_| {}).unwrap();
    assert_eq!(
        ranges.lock().unwrap()[0],
        format!("50000-{}", bytes.len() - 1)
    );
    assert_eq!(done.resumed_from, 50_000);
    assert_eq!(
        done.bytes_fetched,
        bytes.len() as u64,
        "the whole file came again"
    );
    assert_eq!(std::fs::read(&done.path).unwrap(), bytes);
    assert!(!partial.exists());
}

/// A stand-in Hub whose LFS file is `bytes`, and a client on it with short waits.
fn fake_hub_with(bytes: &[u8], limits: HubLimits) -> (FakeHub, HubClient) {
    let hub = FakeHub::start("hf_fakehubtoken");
    hub.add_repo("ruv/ruvltra", Access::Public);
    hub.add_file("ruv/ruvltra", "model.gguf", bytes.to_vec());
    let settings = HubSettings {
        endpoint: HubEndpoint::parse(&hub.endpoint).unwrap(),
        ..HubSettings::default()
    };
    let client = HubClient::with_limits(
        settings,
        HubLimits {
            retry_delay: Duration::from_millis(10),
            ..limits
        },
    )
    .unwrap();
    (hub, client)
}

fn cdn_ranges(hub: &FakeHub) -> Vec<Option<String>> {
    hub.requests()
        .into_iter()
        .filter(|r| r.listener == Listener::Cdn)
        .map(|r| r.range)
        .collect()
}

#[test]
fn a_body_that_stalls_longer_than_the_idle_timeout_resumes_where_it_stopped() {
    let bytes = body();
    let size = bytes.len();
    let (hub, client) = fake_hub_with(
        &bytes,
        HubLimits {
            idle_timeout: Duration::from_millis(300),
            ..HubLimits::default()
        },
    );
    hub.pace_next(
        Listener::Cdn,
        1,
        Pace::StallAfter {
            after: 100_000,
            stall: Duration::from_secs(5),
        },
    );
    let cache = tempfile::tempdir().unwrap();
    let sha = Digest::of_bytes(&bytes);
    let done = fetch(&client, &sha, size, cache.path(), &|_| {}).unwrap();
    assert_eq!(done.sha256, sha);
    assert_eq!(Digest::of_bytes(&std::fs::read(&done.path).unwrap()), sha);
    assert_eq!(done.bytes_fetched, size as u64, "nothing fetched twice");
    assert_eq!(
        cdn_ranges(&hub),
        [
            Some(format!("bytes=0-{}", size - 1)),
            Some(format!("bytes=100000-{}", size - 1)),
        ]
    );
}

#[test]
fn a_slow_but_steady_body_is_not_cut_by_the_request_timeout() {
    let bytes = body();
    let size = bytes.len();
    let (hub, client) = fake_hub_with(
        &bytes,
        HubLimits {
            timeout: Duration::from_millis(200),
            idle_timeout: Duration::from_secs(2),
            ..HubLimits::default()
        },
    );
    // 19 chunks 40 ms apart: about 0.7 s, more than three whole-request timeouts.
    hub.pace_next(
        Listener::Cdn,
        1,
        Pace::Drip {
            chunk: 16 << 10,
            every: Duration::from_millis(40),
        },
    );
    let cache = tempfile::tempdir().unwrap();
    let sha = Digest::of_bytes(&bytes);
    let done = fetch(&client, &sha, size, cache.path(), &|_| {}).unwrap();
    assert_eq!(Digest::of_bytes(&std::fs::read(&done.path).unwrap()), sha);
    assert_eq!(done.bytes_fetched, size as u64);
    assert_eq!(
        cdn_ranges(&hub),
        [Some(format!("bytes=0-{}", size - 1))],
        "one request, never restarted"
    );
}

#[test]
fn metadata_keeps_a_whole_request_timeout() {
    let bytes = body();
    let (hub, client) = fake_hub_with(
        &bytes,
        HubLimits {
            timeout: Duration::from_millis(200),
            idle_timeout: Duration::from_secs(2),
            ..HubLimits::default()
        },
    );
    // Every model-info answer trickles in for far longer than the request timeout.
    hub.pace_next(
        Listener::Hub,
        u32::MAX,
        Pace::Drip {
            chunk: 16,
            every: Duration::from_millis(50),
        },
    );
    let (repo, revision, _) = place();
    let err = client.model_info(&repo, &revision).unwrap_err();
    let chain = error_chain(&err);
    assert!(chain.contains("timed out"), "{chain}");
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[test]
fn a_body_that_never_comes_gives_up_after_the_retry_budget() {
    let bytes = body();
    let (hub, client) = fake_hub_with(
        &bytes,
        HubLimits {
            idle_timeout: Duration::from_millis(200),
            retries: 1,
            ..HubLimits::default()
        },
    );
    hub.pace_next(
        Listener::Cdn,
        u32::MAX,
        Pace::StallAfter {
            after: 0,
            stall: Duration::from_secs(5),
        },
    );
    let cache = tempfile::tempdir().unwrap();
    let sha = Digest::of_bytes(&bytes);
    let err = fetch(&client, &sha, bytes.len(), cache.path(), &|_| {}).unwrap_err();
    match &err {
        HubError::DownloadStalled {
            offset,
            attempts,
            reason,
            ..
        } => {
            assert_eq!((*offset, *attempts), (0, 2));
            assert!(reason.contains("no bytes arrived for 200ms"), "{reason}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(cdn_ranges(&hub).len(), 2, "one try and one retry");
}
