//! The Hub client against a local stand-in for the Hub (`support/fake_hub.rs`): listings,
//! ranged header reads, redirects to another origin, and the Hub's error answers.

#[path = "support/fake_hub.rs"]
mod fake_hub;
#[path = "support/large_vocab.rs"]
mod large_vocab;
mod support;

use std::time::Duration;

use fake_hub::{Access, FakeHub, Listener};
use large_vocab::Merges;
use ruvltra_export::digest::Digest;
use ruvltra_export::gguf::{GgmlType, GgufHeader, TensorInfo, Value};
use ruvltra_export::secret::Secret;
use ruvltra_export::source::{
    HubClient, HubEndpoint, HubError, HubLimits, HubSettings, RepoId, RepoPath, Revision,
    SourceError,
};

const TOKEN: &str = "hf_fakehubsecrettoken0123456789";
const FIVE_GB: u64 = 5_000_000_000;

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(support::corpus_dir().join("gguf").join(name)).unwrap()
}

fn client(hub: &FakeHub, token: Option<&str>) -> HubClient {
    let settings = HubSettings {
        endpoint: HubEndpoint::parse(&hub.endpoint).unwrap(),
        token: token.and_then(Secret::non_empty),
        token_source: token.map(|_| "test".to_owned()),
        ..HubSettings::default()
    };
    let limits = HubLimits {
        retry_delay: Duration::from_millis(1),
        connect_timeout: Duration::from_secs(5),
        timeout: Duration::from_secs(30),
        ..HubLimits::default()
    };
    HubClient::with_limits(settings, limits).unwrap()
}

fn repo(id: &str) -> RepoId {
    id.parse().unwrap()
}

fn path(p: &str) -> RepoPath {
    RepoPath::new(p).unwrap()
}

fn main_rev() -> Revision {
    Revision::main()
}

#[test]
fn model_info_lists_sizes_and_lfs_hashes() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/ruvltra", Access::Public);
    let spm = corpus("ggml-vocab-llama-spm.gguf");
    let expected = Digest::from_hex(&sha256_hex(&spm)).unwrap();
    hub.add_file("ruv/ruvltra", "ruvltra-small-0.5b-q4_k_m.gguf", spm.clone());
    hub.add_file("ruv/ruvltra", "README.md", b"# card".to_vec());
    let info = client(&hub, None)
        .model_info(&repo("ruv/ruvltra"), &main_rev())
        .unwrap();
    assert_eq!(info.commit.as_deref(), Some(fake_hub::COMMIT));
    assert!(!info.private && !info.gated);
    let gguf = info
        .files
        .iter()
        .find(|f| f.path == "ruvltra-small-0.5b-q4_k_m.gguf")
        .unwrap();
    assert_eq!(gguf.size, Some(spm.len() as u64));
    assert_eq!(gguf.sha256.as_ref(), Some(&expected));
    let readme = info.files.iter().find(|f| f.path == "README.md").unwrap();
    assert_eq!((readme.size, readme.sha256.as_ref()), (Some(6), None));
    let logged = hub.requests();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].path, "/api/models/ruv/ruvltra?blobs=true");
}

#[test]
fn tree_follows_link_pagination() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/ruvltra", Access::Public);
    for i in 0..5 {
        hub.add_file("ruv/ruvltra", &format!("m-{i}.gguf"), vec![i; 10]);
    }
    hub.tree_page_size(2);
    let files = client(&hub, None)
        .list_tree(&repo("ruv/ruvltra"), &main_rev())
        .unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        ["m-0.gguf", "m-1.gguf", "m-2.gguf", "m-3.gguf", "m-4.gguf"]
    );
    assert!(
        files
            .iter()
            .all(|f| f.sha256.is_some() && f.size == Some(10))
    );
    let pages: Vec<String> = hub.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        pages,
        [
            "/api/models/ruv/ruvltra/tree/main?recursive=true",
            "/api/models/ruv/ruvltra/tree/main?recursive=true&cursor=2",
            "/api/models/ruv/ruvltra/tree/main?recursive=true&cursor=4",
        ]
    );
}

#[test]
fn ten_megabyte_header_in_at_most_four_requests_and_ten_percent_more_bytes() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/ruvltra", Access::Public);
    let bytes = corpus("ggml-vocab-command-r.gguf");
    let local = GgufHeader::read(bytes.as_slice(), Some(bytes.len() as u64)).unwrap();
    hub.add_file("ruv/ruvltra", "command-r.gguf", bytes.clone());
    let remote = client(&hub, Some(TOKEN))
        .read_header(&repo("ruv/ruvltra"), &main_rev(), &path("command-r.gguf"))
        .unwrap();
    assert!(
        remote.header == local,
        "the remote header differs from the local one"
    );
    assert_eq!(remote.file_size, bytes.len() as u64);
    let cdn: Vec<_> = hub
        .requests()
        .into_iter()
        .filter(|r| r.listener == Listener::Cdn)
        .collect();
    assert_eq!(cdn.len() as u32, remote.round_trips);
    // One redirect from the Hub; later ranges go straight to where it pointed.
    assert_eq!(hub.requests().len() as u32, remote.round_trips + 1);
    let served: u64 = cdn.iter().map(|r| r.body_bytes).sum();
    assert_eq!(served, remote.bytes_fetched);
    assert_eq!(cdn[0].range.as_deref(), Some("bytes=0-1048575"));
    assert!(cdn.iter().all(|r| r.status == 206));
    let mut have = 0;
    for request in &cdn {
        let (start, end) = range_of(request.range.as_deref().unwrap());
        assert_eq!(start, have, "ranges are contiguous");
        have = end + 1;
    }
    assert_within_header_bound(&remote, local.data_offset());
}

/// The bound of issue #15 for headers of 1 MiB or more: at most 4 range requests and at most
/// 1.10 times the header's bytes.
fn assert_within_header_bound(remote: &ruvltra_export::source::hub::RemoteHeader, header: u64) {
    assert!(
        header >= 1 << 20,
        "the bound is for headers of 1 MiB or more"
    );
    assert!(
        remote.round_trips <= 4,
        "{} range requests for a {header}-byte header",
        remote.round_trips
    );
    assert!(
        remote.bytes_fetched * 10 <= header * 11,
        "{} bytes fetched for a {header}-byte header ({:.3}x)",
        remote.bytes_fetched,
        remote.bytes_fetched as f64 / header as f64
    );
}

/// A header with a 262,144-token vocabulary as llama.cpp writes one (`support/large_vocab.rs`)
/// with a chat template and 312 tensor infos of 2.5 MiB each; the data section is absent (the
/// file is served sparse). Returns the header and the whole file's size.
fn vocabulary_header(merges: Merges) -> (Vec<u8>, u64) {
    let mut w = large_vocab::vocabulary_writer(merges);
    w.set("tokenizer.ggml.bos_token_id", Value::U32(2));
    w.set(
        "tokenizer.chat_template",
        Value::String(
            "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}".repeat(20),
        ),
    );
    let mut tensors = Vec::new();
    let mut offset = 0;
    for name in large_vocab::block_tensor_names() {
        tensors.push(TensorInfo::new(
            name,
            vec![640, 1024],
            GgmlType::F32,
            offset,
        ));
        offset += 640 * 1024 * 4;
    }
    let mut header = Vec::new();
    let data_offset = w.write_header_to(&mut header, &tensors).unwrap();
    (header, data_offset + offset)
}

#[test]
fn vocabulary_of_262k_tokens_in_at_most_four_requests_and_ten_percent_more_bytes() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/big", Access::Public);
    for (name, merges) in [("spm.gguf", Merges::None), ("bpe.gguf", Merges::OneToken)] {
        let (header, size) = vocabulary_header(merges);
        let local = GgufHeader::read(header.as_slice(), Some(size)).unwrap();
        assert_eq!(local.tokens().map(|t| t.len()), Some(262_144));
        hub.add_sparse_file("ruv/big", name, header, size, &"ab".repeat(32));
        hub.clear_log();
        let remote = client(&hub, None)
            .read_header(&repo("ruv/big"), &main_rev(), &path(name))
            .unwrap();
        assert!(remote.header == local, "{name}: the remote header differs");
        let served: u64 = hub.requests().iter().map(|r| r.body_bytes).sum();
        assert_eq!(served, remote.bytes_fetched, "{name}");
        eprintln!(
            "{name}: {} bytes in {} requests for a {}-byte header",
            remote.bytes_fetched,
            remote.round_trips,
            local.data_offset()
        );
        assert_within_header_bound(&remote, local.data_offset());
    }
}

#[test]
fn large_header_in_a_huge_file_reads_at_most_one_step_more_than_needed() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/big", Access::Public);
    let header = corpus("ggml-vocab-command-r.gguf");
    let header_len = header.len() as u64;
    hub.add_sparse_file("ruv/big", "big.gguf", header, FIVE_GB, &"ef".repeat(32));
    let remote = client(&hub, None)
        .read_header(&repo("ruv/big"), &main_rev(), &path("big.gguf"))
        .unwrap();
    assert_eq!(remote.file_size, FIVE_GB);
    assert!(
        remote.round_trips <= 5,
        "{} round trips",
        remote.round_trips
    );
    assert!(
        remote.bytes_fetched < 2 * header_len,
        "{} bytes fetched for a {header_len}-byte header",
        remote.bytes_fetched
    );
    let served: u64 = hub.requests().iter().map(|r| r.body_bytes).sum();
    assert_eq!(served, remote.bytes_fetched);
}

/// `bytes=a-b` as `(a, b)`.
fn range_of(header: &str) -> (u64, u64) {
    let (start, end) = header
        .strip_prefix("bytes=")
        .and_then(|r| r.split_once('-'))
        .unwrap();
    (start.parse().unwrap(), end.parse().unwrap())
}

#[test]
fn token_goes_to_the_hub_but_not_to_the_cdn() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/private", Access::Private);
    hub.add_file("ruv/private", "a.gguf", corpus("ggml-vocab-llama-spm.gguf"));
    let client = client(&hub, Some(TOKEN));
    client
        .model_info(&repo("ruv/private"), &main_rev())
        .unwrap();
    client
        .read_header(&repo("ruv/private"), &main_rev(), &path("a.gguf"))
        .unwrap();
    let logged = hub.requests();
    let bearer = format!("Bearer {TOKEN}");
    let to_hub: Vec<_> = logged
        .iter()
        .filter(|r| r.listener == Listener::Hub)
        .collect();
    let to_cdn: Vec<_> = logged
        .iter()
        .filter(|r| r.listener == Listener::Cdn)
        .collect();
    assert_eq!(to_hub.len(), 2, "{logged:?}");
    assert!(
        to_hub
            .iter()
            .all(|r| r.authorization.as_deref() == Some(bearer.as_str()))
    );
    assert!(to_hub.iter().any(|r| r.status == 302));
    assert!(!to_cdn.is_empty());
    assert!(
        to_cdn.iter().all(|r| r.authorization.is_none()),
        "{to_cdn:?}"
    );
    assert!(!format!("{client:?}").contains(TOKEN));
}

#[test]
fn five_gigabyte_file_is_not_downloaded() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/big", Access::Public);
    let prefix = corpus("ggml-vocab-llama-spm.gguf");
    hub.add_sparse_file("ruv/big", "big.gguf", prefix, FIVE_GB, &"ab".repeat(32));
    let remote = client(&hub, None)
        .read_header(&repo("ruv/big"), &main_rev(), &path("big.gguf"))
        .unwrap();
    assert_eq!(remote.file_size, FIVE_GB);
    assert_eq!(remote.round_trips, 1);
    let served: u64 = hub.requests().iter().map(|r| r.body_bytes).sum();
    assert_eq!(served, 1 << 20);
}

#[test]
fn ignored_range_is_reported_without_reading_the_body() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/big", Access::Public);
    let prefix = corpus("ggml-vocab-llama-spm.gguf");
    hub.add_sparse_file("ruv/big", "big.gguf", prefix, FIVE_GB, &"cd".repeat(32));
    hub.ignore_range(true);
    let err = client(&hub, None)
        .read_header(&repo("ruv/big"), &main_rev(), &path("big.gguf"))
        .unwrap_err();
    assert!(
        matches!(err, HubError::RangeIgnored { status: 200, .. }),
        "{err:?}"
    );
    // Give the server a moment to notice the closed connection, then check how much of the
    // 5 GB it produced: socket buffers hold a few MiB at most.
    std::thread::sleep(Duration::from_millis(200));
    let streamed: u64 = hub
        .requests()
        .iter()
        .filter(|r| r.listener == Listener::Cdn)
        .map(|r| r.body_bytes)
        .sum();
    assert!(streamed < 32 << 20, "{streamed} bytes streamed");
}

#[test]
fn private_repository_without_token_is_not_found() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/private", Access::Private);
    let err = client(&hub, None)
        .model_info(&repo("ruv/private"), &main_rev())
        .unwrap_err();
    assert!(
        matches!(
            err,
            HubError::RepoNotFound {
                status: 401,
                token_sent: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("/api/models/ruv/private"), "{err}");
}

#[test]
fn missing_repository_with_token_is_404() {
    let hub = FakeHub::start(TOKEN);
    let err = client(&hub, Some(TOKEN))
        .model_info(&repo("ruv/nothing"), &main_rev())
        .unwrap_err();
    assert!(
        matches!(
            err,
            HubError::RepoNotFound {
                status: 404,
                token_sent: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!format!("{err:?} {err}").contains(TOKEN));
}

#[test]
fn rejected_token_is_unauthorized() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/ruvltra", Access::Public);
    let err = client(&hub, Some("hf_wrong"))
        .model_info(&repo("ruv/ruvltra"), &main_rev())
        .unwrap_err();
    assert!(
        matches!(
            err,
            HubError::Unauthorized {
                status: 401,
                token_sent: true,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn gated_repository_files_are_refused() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/gated", Access::Gated);
    hub.add_file("ruv/gated", "a.gguf", corpus("ggml-vocab-llama-spm.gguf"));
    let info = client(&hub, None)
        .model_info(&repo("ruv/gated"), &main_rev())
        .unwrap();
    assert!(info.gated);
    let with_token = client(&hub, Some(TOKEN))
        .read_header(&repo("ruv/gated"), &main_rev(), &path("a.gguf"))
        .unwrap_err();
    assert!(
        matches!(with_token, HubError::Gated { status: 403, .. }),
        "{with_token:?}"
    );
    let without = client(&hub, None)
        .read_header(&repo("ruv/gated"), &main_rev(), &path("a.gguf"))
        .unwrap_err();
    assert!(
        matches!(without, HubError::Gated { status: 401, .. }),
        "{without:?}"
    );
}

#[test]
fn unknown_revision_and_file() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/ruvltra", Access::Public);
    hub.add_file("ruv/ruvltra", "a.gguf", vec![0; 8]);
    let client = client(&hub, None);
    let rev = Revision::new("v9").unwrap();
    let err = client.model_info(&repo("ruv/ruvltra"), &rev).unwrap_err();
    assert!(
        matches!(err, HubError::RevisionNotFound { status: 404, .. }),
        "{err:?}"
    );
    let err = client
        .read_header(&repo("ruv/ruvltra"), &main_rev(), &path("b.gguf"))
        .unwrap_err();
    assert!(
        matches!(err, HubError::EntryNotFound { status: 404, .. }),
        "{err:?}"
    );
}

#[test]
fn encoded_revision_reaches_the_hub_as_one_segment() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/ruvltra", Access::Public);
    hub.add_revision("ruv/ruvltra", "refs/pr/1");
    hub.add_file("ruv/ruvltra", "a.gguf", corpus("ggml-vocab-llama-spm.gguf"));
    let rev = Revision::new("refs/pr/1").unwrap();
    let client = client(&hub, None);
    client.model_info(&repo("ruv/ruvltra"), &rev).unwrap();
    client
        .read_header(&repo("ruv/ruvltra"), &rev, &path("a.gguf"))
        .unwrap();
    let paths: Vec<String> = hub.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths[0],
        "/api/models/ruv/ruvltra/revision/refs%2Fpr%2F1?blobs=true"
    );
    assert_eq!(paths[1], "/ruv/ruvltra/resolve/refs%2Fpr%2F1/a.gguf");
}

#[test]
fn transient_failures_are_retried_a_bounded_number_of_times() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/ruvltra", Access::Public);
    hub.fail_next(2);
    let client = client(&hub, None);
    client
        .model_info(&repo("ruv/ruvltra"), &main_rev())
        .unwrap();
    assert_eq!(hub.requests().len(), 3);
    hub.clear_log();
    hub.fail_next(10);
    let err = client
        .model_info(&repo("ruv/ruvltra"), &main_rev())
        .unwrap_err();
    assert!(
        matches!(err, HubError::Status { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(hub.requests().len(), 3);
}

#[test]
fn redirect_loops_are_cut_off() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/ruvltra", Access::Public);
    hub.add_file("ruv/ruvltra", "a.gguf", vec![0; 64]);
    hub.cdn_redirect_loop(true);
    let err = client(&hub, None)
        .read_header(&repo("ruv/ruvltra"), &main_rev(), &path("a.gguf"))
        .unwrap_err();
    match &err {
        HubError::TooManyRedirects { url, limit } => {
            assert_eq!(*limit, 5);
            assert!(url.starts_with(&format!("{}/blobs/", hub.cdn)), "{url}");
        }
        other => panic!("{other:?}"),
    }
    // One answer from the Hub, then the CDN until the limit: 1 + 5 redirects followed.
    assert_eq!(hub.requests().len(), 6);
}

#[test]
fn network_failure_names_the_url() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let settings = HubSettings {
        endpoint: HubEndpoint::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        ..HubSettings::default()
    };
    let limits = HubLimits {
        retry_delay: Duration::from_millis(1),
        ..HubLimits::default()
    };
    let err = HubClient::with_limits(settings, limits)
        .unwrap()
        .model_info(&repo("ruv/ruvltra"), &main_rev())
        .unwrap_err();
    match &err {
        HubError::Network { url, attempts, .. } => {
            assert!(url.contains(&format!("127.0.0.1:{port}/api/models/ruv/ruvltra")));
            assert_eq!(*attempts, 3);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn source_lists_one_file_or_suggests_names() {
    let hub = FakeHub::start(TOKEN);
    hub.add_repo("ruv/ruvltra", Access::Public);
    for name in [
        "ruvltra-small-0.5b-q4_k_m.gguf",
        "ruvltra-small-0.5b-q8_0.gguf",
    ] {
        hub.add_file("ruv/ruvltra", name, vec![1; 4]);
    }
    let client = client(&hub, None);
    let source =
        ruvltra_export::source::Source::parse("hf://ruv/ruvltra/ruvltra-small-0.5b-q8_0.gguf")
            .unwrap();
    let files = source.files(Some(&client)).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].file_name(), "ruvltra-small-0.5b-q8_0.gguf");
    assert_eq!(files[0].size, Some(4));
    let source =
        ruvltra_export::source::Source::parse("hf://ruv/ruvltra/ruvltra-small-0.5b-q5_0.gguf")
            .unwrap();
    let err = source.files(Some(&client)).unwrap_err();
    assert!(matches!(err, SourceError::FileNotInRepo { .. }), "{err:?}");
    assert!(
        err.to_string().contains("ruvltra-small-0.5b-q8_0.gguf"),
        "{err}"
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}
