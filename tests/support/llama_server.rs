//! The real `llama-server` and `llama-tokenize` for the preset and real-engine tests: where the
//! binaries and the real Gemma model are, a tiny GGUF llama.cpp can load, starting the server in
//! router mode on 127.0.0.1 and stopping it, tokenizing with a vocabulary-only GGUF, and
//! reading the server's `--help`.
//!
//! Nothing here reaches beyond 127.0.0.1: the server gets an empty model cache of its own and
//! `HF_ENDPOINT`/`MODEL_ENDPOINT` pointing at a closed local port, so even a bug that made it
//! download would fail instead of fetching.
//!
//! Test files include it with `#[path = "support/llama_server.rs"] mod llama_server;` next to
//! `mod support;`, so test binaries that do not start llama-server do not compile it.
#![allow(dead_code)]

use std::fs::File;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::support::{python, root};

/// How long the router may take to answer `/health` (it only reads the preset file).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a model process may take to load the tiny model on a busy 2-core machine.
pub const LOAD_TIMEOUT: Duration = Duration::from_secs(180);

/// A file a setup script provides: `$var`, or where the script caches it under
/// `~/.cache/ruvltra-export/` (`cached`). Missing is a failure naming the script, never a skip.
fn provided(var: &str, cached: &str, what: &str, script: &str) -> PathBuf {
    let path = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .unwrap_or_default();
        cache.join("ruvltra-export").join(cached)
    });
    assert!(
        path.is_file(),
        "{what} is missing at {} (set {var}, or run `bash scripts/setup/{script}` with RUVLTRA_TOOLS set, which provides it; `scripts/test.sh` runs it)",
        path.display()
    );
    path
}

/// The `llama-server` built by `scripts/setup/50-llama-server.sh` (`$RUVLTRA_LLAMA_SERVER`).
pub fn binary() -> PathBuf {
    provided(
        "RUVLTRA_LLAMA_SERVER",
        "llama-server-11434/bin/llama-server",
        "llama-server",
        "50-llama-server.sh",
    )
}

/// The `llama-tokenize` of the same build (`$RUVLTRA_LLAMA_TOKENIZE`): llama.cpp's own
/// tokenizer on a vocabulary-only GGUF, which `llama-server` cannot load.
pub fn tokenizer_binary() -> PathBuf {
    provided(
        "RUVLTRA_LLAMA_TOKENIZE",
        "llama-server-11434/bin/llama-tokenize",
        "llama-tokenize",
        "50-llama-server.sh",
    )
}

/// The real Gemma 3 270M Q4_K_M GGUF (no chat template) assembled by
/// `scripts/setup/60-gemma.sh` (`$RUVLTRA_GEMMA_GGUF`).
pub fn gemma_model() -> PathBuf {
    provided(
        "RUVLTRA_GEMMA_GGUF",
        "gemma3-270m/gemma-3-270m-q4_k_m.gguf",
        "the Gemma 3 270M GGUF",
        "60-gemma.sh",
    )
}

/// The token ids llama.cpp's tokenizer gives `text` with the vocabulary of `vocab` (special
/// tokens parsed, no BOS added), through `llama-tokenize`, which loads the vocabulary only.
/// `work` holds the text file it reads.
pub fn tokenize_ids(vocab: &Path, text: &str, work: &Path) -> Vec<u32> {
    let input = work.join("llama-tokenize-input.txt");
    std::fs::write(&input, text).unwrap();
    let output = Command::new(tokenizer_binary())
        .arg("--model")
        .arg(vocab)
        .arg("--file")
        .arg(&input)
        .args(["--ids", "--no-bos", "--no-escape", "--log-disable"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "llama-tokenize on {} failed: {}\n{stdout}",
        vocab.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    // `--ids` prints one Python-style list: `[2, 106, 1645]`.
    let list = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('['))
        .unwrap_or_else(|| panic!("no id list from llama-tokenize: {stdout}"));
    serde_json::from_str(list.trim())
        .unwrap_or_else(|e| panic!("llama-tokenize printed {list:?}: {e}"))
}

/// A scratch folder under `target/` for one test, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = root().join("target/llamacpp-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A tiny llama-architecture GGUF without a chat template that llama.cpp can load, written by
/// `tests/support/llama_tiny_gguf.py` with the reference `gguf` writer and cached in `target/`.
pub fn tiny_model() -> PathBuf {
    // Once per test process: tests run in parallel threads and would race on the file.
    static MODEL: OnceLock<PathBuf> = OnceLock::new();
    MODEL.get_or_init(write_tiny_model).clone()
}

fn write_tiny_model() -> PathBuf {
    let script = root().join("tests/support/llama_tiny_gguf.py");
    let dir = root().join("target/llamacpp-tests/cache");
    std::fs::create_dir_all(&dir).unwrap();
    // Keyed by the script's content, so editing the script rebuilds the model.
    let source = std::fs::read(&script).unwrap();
    let key = source.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("tiny-{key:016x}.gguf"));
    if !path.is_file() {
        let partial = path.with_extension(format!("{}.partial", std::process::id()));
        let output = Command::new(python())
            .arg(&script)
            .arg(&partial)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "writing the tiny GGUF failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::rename(&partial, &path).unwrap();
    }
    path
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `llama-server` with the environment every test uses: its own empty model cache and a
/// closed local port as the Hub, so nothing can be downloaded.
fn command(work: &Path) -> Command {
    let cache = work.join("llama-cache");
    std::fs::create_dir_all(&cache).unwrap();
    let closed_hub = format!("http://127.0.0.1:{}", free_port());
    let mut command = Command::new(binary());
    command
        .current_dir(work)
        .env("LLAMA_CACHE", &cache)
        .env("HF_HOME", work.join("hf-home"))
        .env("HF_ENDPOINT", &closed_hub)
        .env("MODEL_ENDPOINT", &closed_hub)
        .env_remove("HF_TOKEN")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    command
}

/// A running router, stopped (with its model processes) when dropped.
pub struct Router {
    child: Child,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    log: PathBuf,
}

impl Router {
    /// Starts `llama-server --models-preset PRESET` in `work` and waits (bounded) until it
    /// answers `/health`; panics with the server's log when it exits or does not get ready.
    pub fn start(work: &Path, preset: &Path) -> Router {
        let port = free_port();
        let log = work.join("llama-server.log");
        let out = File::create(&log).unwrap();
        let child = command(work)
            .args(["--models-preset"])
            .arg(preset)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let mut router = Router {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        };
        let started = Instant::now();
        loop {
            if let Some(status) = router.child.try_wait().unwrap() {
                panic!(
                    "llama-server exited with {status} before it was ready:\n{}",
                    router.log()
                );
            }
            if let Ok(response) = client().get(format!("{}/health", router.url)).send()
                && response.status().is_success()
            {
                return router;
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "llama-server was not ready after {START_TIMEOUT:?}:\n{}",
                router.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Everything the server printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `GET /models` as JSON.
    pub fn models(&self) -> serde_json::Value {
        let response = client().get(format!("{}/models", self.url)).send().unwrap();
        assert!(response.status().is_success(), "GET /models: {response:?}");
        response.json().unwrap()
    }

    /// `POST path` with a JSON body; the status and the JSON answer.
    pub fn post(&self, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let response = reqwest::blocking::Client::builder()
            .no_proxy()
            .timeout(LOAD_TIMEOUT)
            .build()
            .unwrap()
            .post(format!("{}{path}", self.url))
            .json(body)
            .send()
            .unwrap_or_else(|e| panic!("POST {path}: {e}\n{}", self.log()));
        let status = response.status().as_u16();
        let text = response.text().unwrap();
        let json = serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("POST {path} answered {status} with non-JSON ({e}): {text}")
        });
        (status, json)
    }
}

impl Drop for Router {
    fn drop(&mut self) {
        // SIGTERM lets the router stop its model processes; SIGKILL only if it hangs.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Runs `llama-server ARGS` in `work` until it exits (bounded): its status and everything it
/// printed. For start-ups that must fail.
pub fn run_to_exit(work: &Path, args: &[&str]) -> (ExitStatus, String) {
    let log = work.join("llama-server-exit.log");
    let out = File::create(&log).unwrap();
    let mut child = command(work)
        .args(args)
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > START_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "llama-server {args:?} did not exit within {START_TIMEOUT:?}:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut text = String::new();
    File::open(&log).unwrap().read_to_string(&mut text).unwrap();
    (status, text)
}

/// One option as `llama-server --help` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpOption {
    /// Every spelling, with dashes, in printed order.
    pub names: Vec<String>,
    /// The value placeholder; empty for a flag.
    pub value: String,
    /// `(env: ...)` from the help text.
    pub env: Option<String>,
}

/// Parses `llama-server --help`: an option starts a line with `-` (help text is indented,
/// section rulers are `----- ... -----`), names are separated by `, `, the value placeholder
/// follows the last name, and `(env: NAME)` stands on a help line of its own.
pub fn parse_help(help: &str) -> Vec<HelpOption> {
    let mut options: Vec<HelpOption> = Vec::new();
    for line in help.lines() {
        if line.starts_with('-') && !line.starts_with("-----") {
            let spec = line
                .split("  ")
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>();
            // The first name is padded to 7 columns after its comma, so `-c,    --ctx-size N`
            // splits at the padding: join the pieces that still end in a comma.
            let mut head = String::new();
            for piece in spec {
                head.push_str(piece.trim());
                if !piece.trim_end().ends_with(',') {
                    break;
                }
                head.push(' ');
            }
            let mut names = Vec::new();
            let mut value = String::new();
            for (i, part) in head.split(", ").enumerate() {
                let mut words = part.splitn(2, ' ');
                let name = words.next().unwrap_or_default();
                names.push(name.to_owned());
                if let Some(rest) = words.next() {
                    value = rest.trim().to_owned();
                    assert!(
                        i + 1 == head.split(", ").count(),
                        "value placeholder before the last name in {line:?}"
                    );
                }
            }
            options.push(HelpOption {
                names,
                value,
                env: None,
            });
        } else if let Some(env) = line
            .trim()
            .strip_prefix("(env: ")
            .and_then(|s| s.strip_suffix(')'))
            && let Some(last) = options.last_mut()
        {
            last.env = Some(env.to_owned());
        }
    }
    options
}

/// `llama-server --help`.
pub fn help_text() -> String {
    let output = Command::new(binary())
        .arg("--help")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "llama-server --help failed: {output:?}"
    );
    String::from_utf8(output.stdout).unwrap()
}
