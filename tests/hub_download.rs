//! `HubClient::download` when the connection drops mid-body: the same call asks again from
//! where the cache file ends, and the result is verified against the Hub's sha256.
//!
//! The server here is a minimal HTTP/1.1 responder on 127.0.0.1 standing for the Hub's file
//! download (`GET /{repo}/resolve/{rev}/{path}` with `Range`, answered `206` with
//! `Content-Range`, as in `shared/reference/hub-apis.md`); its one fault is a body cut after
//! a set number of bytes, which the fake Hub of the other tests cannot do.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use ruvltra_export::push::Digest;
use ruvltra_export::source::{
    HubClient, HubError, HubLimits, HubSettings, RepoId, RepoPath, Revision,
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

#[test]
fn a_cut_connection_resumes_within_the_same_call() {
    let bytes = body();
    let (url, ranges) = serve(bytes.clone(), 100_000, true);
    let cache = tempfile::tempdir().unwrap();
    let (repo, revision, path) = place();
    let sha = Digest::of_bytes(&bytes);
    let reported = Mutex::new(Vec::new());
    let done = client(&url)
        .download(
            &repo,
            &revision,
            &path,
            &sha,
            bytes.len() as u64,
            cache.path(),
            &|have| reported.lock().unwrap().push(have),
        )
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
    let (repo, revision, path) = place();
    let wrong = Digest::of_bytes(b"something else");
    let err = client(&url)
        .download(
            &repo,
            &revision,
            &path,
            &wrong,
            bytes.len() as u64,
            cache.path(),
            &|_| {},
        )
        .unwrap_err();
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
    let (repo, revision, path) = place();
    let sha = Digest::of_bytes(&bytes);
    let partial = cache.path().join(format!("{}.partial", sha.as_str()));
    std::fs::write(&partial, &bytes[..50_000]).unwrap();
    let done = client(&url)
        .download(
            &repo,
            &revision,
            &path,
            &sha,
            bytes.len() as u64,
            cache.path(),
            &|_| {},
        )
        .unwrap();
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
