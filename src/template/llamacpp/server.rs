//! A real `llama-server` started for one chat template, to ask it which prompt llama.cpp builds
//! (`POST /apply-template`) instead of predicting it.
//!
//! The server loads a tiny model this module writes (llama.cpp needs a model to start, and the
//! prompt does not depend on the weights), listens on 127.0.0.1 on a free port, runs with
//! `--offline` so it never downloads, and is killed when the handle is dropped. Every wait is
//! bounded: a server that neither answers nor exits is an error, not a hang.

use std::fs::File;
use std::io::{Read, Seek};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::gguf::{Array, GgmlType, GgufWriter, StringArray, Value};

/// How long a server may take to load the tiny model and answer `/health`: seconds on an idle
/// machine, much longer on two busy cores.
pub const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long one request may take (rendering a template is milliseconds).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why llama-server could not be asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The binary could not be run at all.
    #[error("cannot run llama-server `{path}`: {source}")]
    Spawn {
        /// The binary.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file the server needs could not be written or read.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The tiny model could not be written.
    #[error("writing the tiny model for llama-server failed: {0}")]
    Model(#[from] crate::gguf::WriteError),
    /// The server neither got ready nor exited in time.
    #[error("llama-server did not answer /health within {timeout:?}; its last output:\n{log}")]
    NotReady {
        /// The bound that ran out.
        timeout: Duration,
        /// The end of its output.
        log: String,
    },
    /// A request failed on the way (not an answer from the server).
    #[error("{what} failed: {source}")]
    Http {
        /// The request.
        what: String,
        /// Why.
        source: reqwest::Error,
    },
    /// The server answered something that is not the documented JSON.
    #[error("{what} answered {status} with an unexpected body: {body}")]
    Unexpected {
        /// The request.
        what: String,
        /// The HTTP status.
        status: u16,
        /// The body, shortened.
        body: String,
    },
}

/// How a start-up ended.
#[derive(Debug)]
pub enum Started {
    /// The server is up and answers requests.
    Ready(LlamaServer),
    /// The server exited before it was ready: llama-server refuses a template that raises on
    /// its own test conversation. Holds the end of its output, which says why.
    Refused(String),
}

/// A running `llama-server`, killed when dropped.
#[derive(Debug)]
pub struct LlamaServer {
    child: Child,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    log: PathBuf,
    client: reqwest::blocking::Client,
}

/// The special tokens the server reports in `GET /props`: what the template sees as
/// `bos_token` and `eos_token`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTokens {
    /// `bos_token`.
    pub bos: String,
    /// `eos_token`.
    pub eos: String,
}

impl LlamaServer {
    /// Starts `binary` on `model` with `--jinja --chat-template-file template`, on 127.0.0.1
    /// and a free port, writing its output to `work/llama-server.log`, and waits (at most
    /// `timeout`) until it answers `/health` or exits.
    pub fn start(
        binary: &Path,
        model: &Path,
        template: &Path,
        work: &Path,
        timeout: Duration,
    ) -> Result<Started, ServerError> {
        let log = work.join("llama-server.log");
        let io = |what: String| move |source| ServerError::Io { what, source };
        let out = File::create(&log).map_err(io(format!("cannot create `{}`", log.display())))?;
        let err = out
            .try_clone()
            .map_err(io(format!("cannot reopen `{}`", log.display())))?;
        let port = free_port().map_err(io("cannot find a free port on 127.0.0.1".into()))?;
        let child = Command::new(binary)
            .arg("-m")
            .arg(model)
            .args(["--jinja", "--chat-template-file"])
            .arg(template)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            // One slot, one thread, a small context: only templates are rendered.
            .args(["--offline", "-c", "512", "-np", "1", "-t", "1"])
            .current_dir(work)
            .env("LLAMA_CACHE", work.join("llama-cache"))
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|source| ServerError::Spawn {
                path: binary.to_owned(),
                source,
            })?;
        let client = crate::http::build_local_client(REQUEST_TIMEOUT).map_err(|source| {
            ServerError::Http {
                what: "building an HTTP client".into(),
                source,
            }
        })?;
        let mut server = LlamaServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
            client,
        };
        let started = Instant::now();
        loop {
            if let Ok(Some(_)) = server.child.try_wait() {
                return Ok(Started::Refused(server.log_tail()));
            }
            let health = server
                .client
                .get(format!("{}/health", server.url))
                .timeout(Duration::from_secs(5))
                .send();
            if health.is_ok_and(|r| r.status().is_success()) {
                return Ok(Started::Ready(server));
            }
            if started.elapsed() > timeout {
                return Err(ServerError::NotReady {
                    timeout,
                    log: server.log_tail(),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The end of everything the server printed (its last 20 lines).
    pub fn log_tail(&self) -> String {
        log_tail(&self.log)
    }

    /// `GET /props`: the BOS and EOS token texts the template is rendered with.
    pub fn tokens(&self) -> Result<ServerTokens, ServerError> {
        let what = "GET /props";
        let (status, json) = exchange(what, self.client.get(format!("{}/props", self.url)))?;
        let token = |key: &str| json.get(key).and_then(Json::as_str).map(str::to_owned);
        match (status, token("bos_token"), token("eos_token")) {
            (200, Some(bos), Some(eos)) => Ok(ServerTokens { bos, eos }),
            _ => Err(ServerError::Unexpected {
                what: what.into(),
                status,
                body: shorten(&json.to_string()),
            }),
        }
    }

    /// `POST /apply-template` with `body`: `Ok(prompt)`, or `Err(message)` when the server
    /// refuses the request (the template raised, or llama.cpp's chat layer rejected it).
    pub fn apply_template(&self, body: &Json) -> Result<Result<String, String>, ServerError> {
        let what = "POST /apply-template";
        let request = self
            .client
            .post(format!("{}/apply-template", self.url))
            .json(body);
        let (status, json) = exchange(what, request)?;
        if status == 200 {
            if let Some(prompt) = json.get("prompt").and_then(Json::as_str) {
                return Ok(Ok(prompt.to_owned()));
            }
        } else if let Some(message) = json
            .get("error")
            .and_then(|e| e.get("message"))
            .and_then(Json::as_str)
        {
            return Ok(Err(message.to_owned()));
        }
        Err(ServerError::Unexpected {
            what: what.into(),
            status,
            body: shorten(&json.to_string()),
        })
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        // Nothing to save: the server only rendered templates.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `request` (`what` names it in errors) and reads its JSON answer: the status and
/// the body.
fn exchange(
    what: &str,
    request: reqwest::blocking::RequestBuilder,
) -> Result<(u16, Json), ServerError> {
    let response = request.send().map_err(|source| ServerError::Http {
        what: what.into(),
        source,
    })?;
    let status = response.status().as_u16();
    // A prompt is at most a few hundred KiB; a larger answer is not from llama-server.
    let bytes =
        crate::http::read_capped(response, 16 << 20).map_err(|e| ServerError::Unexpected {
            what: what.into(),
            status,
            body: e.to_string(),
        })?;
    let text = String::from_utf8_lossy(&bytes);
    let json = serde_json::from_str(&text).map_err(|_| ServerError::Unexpected {
        what: what.into(),
        status,
        body: shorten(&text),
    })?;
    Ok((status, json))
}

fn shorten(text: &str) -> String {
    if text.chars().count() > 400 {
        format!("{}...", text.chars().take(400).collect::<String>())
    } else {
        text.to_owned()
    }
}

fn log_tail(path: &Path) -> String {
    // The last 64 KiB hold the last 20 lines of any log llama-server writes.
    let tail = || -> std::io::Result<Vec<u8>> {
        let mut file = File::open(path)?;
        let len = file.metadata()?.len();
        file.seek(std::io::SeekFrom::Start(len.saturating_sub(64 << 10)))?;
        let mut bytes = Vec::new();
        file.take(64 << 10).read_to_end(&mut bytes)?;
        Ok(bytes)
    };
    let text = String::from_utf8_lossy(&tail().unwrap_or_default()).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// A TCP port on 127.0.0.1 that nothing listens on right now (the server binds it next; a
/// race with another program is possible but harmless: the start then fails visibly).
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Width of the tiny model's hidden state and of its four attention heads together.
const N_EMBD: u64 = 64;
/// Feed-forward width.
const N_FF: u64 = 128;
/// Words the vocabulary holds besides the special and byte tokens.
const WORDS: [&str; 10] = [
    "hello",
    "world",
    "the",
    "a",
    "is",
    "model",
    "tiny",
    "user",
    "assistant",
    "system",
];

/// Writes the smallest model llama-server loads: a 2-layer llama-architecture GGUF with F32
/// weights of a fixed pattern, a SentencePiece vocabulary (`<unk>`, the BOS and EOS texts
/// given — `<s>` and `</s>` when empty — the 256 byte tokens llama.cpp looks up at load, a few
/// words) and no chat template. About 200 KB. The template then sees the caller's BOS/EOS.
pub fn write_tiny_model(path: &Path, bos: &str, eos: &str) -> Result<(), ServerError> {
    let mut tokens = StringArray::new();
    let mut types = vec![2, 3, 3]; // UNKNOWN, CONTROL, CONTROL
    let or = |text: &'static str, given: &str| {
        if given.is_empty() {
            text.to_owned()
        } else {
            given.to_owned()
        }
    };
    for token in ["<unk>".to_owned(), or("<s>", bos), or("</s>", eos)] {
        tokens.push(&token);
    }
    for byte in 0..=255u8 {
        tokens.push(&format!("<0x{byte:02X}>"));
        types.push(6); // BYTE
    }
    for word in WORDS {
        tokens.push(&format!("\u{2581}{word}"));
        types.push(1); // NORMAL
    }
    let n_vocab = tokens.len() as u64;
    let mut scores = vec![0.0f32; types.len()];
    for (i, score) in scores.iter_mut().rev().take(WORDS.len()).enumerate() {
        *score = -((WORDS.len() - i) as f32);
    }
    let mut w = GgufWriter::new();
    w.set("general.architecture", Value::String("llama".into()));
    w.set(
        "general.name",
        Value::String("ruvltra-export tiny template model".into()),
    );
    w.set("general.file_type", Value::U32(0));
    for (key, value) in [
        ("context_length", 512),
        ("embedding_length", N_EMBD as u32),
        ("block_count", 2),
        ("feed_forward_length", N_FF as u32),
        ("attention.head_count", 4),
        ("attention.head_count_kv", 4),
        ("rope.dimension_count", 16),
        ("vocab_size", n_vocab as u32),
    ] {
        w.set(format!("llama.{key}"), Value::U32(value));
    }
    w.set("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5));
    w.set("tokenizer.ggml.model", Value::String("llama".into()));
    w.set("tokenizer.ggml.tokens", Value::Array(Array::String(tokens)));
    w.set("tokenizer.ggml.scores", Value::Array(Array::F32(scores)));
    w.set("tokenizer.ggml.token_type", Value::Array(Array::I32(types)));
    for (key, id) in [("unknown", 0), ("bos", 1), ("eos", 2)] {
        w.set(format!("tokenizer.ggml.{key}_token_id"), Value::U32(id));
    }
    let mut seed = 11434u32;
    let mut weights = |rows: u64, cols: u64| -> Vec<u8> {
        (0..rows * cols)
            .flat_map(|_| {
                // A fixed small pseudo-random pattern (xorshift), so the file never changes.
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                ((f64::from(seed) / f64::from(u32::MAX) - 0.5) as f32 * 0.04).to_le_bytes()
            })
            .collect()
    };
    let ones = |n: u64| -> Vec<u8> { (0..n).flat_map(|_| 1.0f32.to_le_bytes()).collect() };
    // Shapes are ggml's (columns first).
    w.add_tensor(
        "token_embd.weight",
        vec![N_EMBD, n_vocab],
        GgmlType::F32,
        weights(n_vocab, N_EMBD),
    )?;
    w.add_tensor(
        "output_norm.weight",
        vec![N_EMBD],
        GgmlType::F32,
        ones(N_EMBD),
    )?;
    w.add_tensor(
        "output.weight",
        vec![N_EMBD, n_vocab],
        GgmlType::F32,
        weights(n_vocab, N_EMBD),
    )?;
    for i in 0..2 {
        let blk = |name: &str| format!("blk.{i}.{name}.weight");
        for norm in ["attn_norm", "ffn_norm"] {
            w.add_tensor(blk(norm), vec![N_EMBD], GgmlType::F32, ones(N_EMBD))?;
        }
        for attn in ["attn_q", "attn_k", "attn_v", "attn_output"] {
            let data = weights(N_EMBD, N_EMBD);
            w.add_tensor(blk(attn), vec![N_EMBD, N_EMBD], GgmlType::F32, data)?;
        }
        for (name, shape) in [
            ("ffn_gate", [N_EMBD, N_FF]),
            ("ffn_up", [N_EMBD, N_FF]),
            ("ffn_down", [N_FF, N_EMBD]),
        ] {
            let data = weights(shape[0], shape[1]);
            w.add_tensor(blk(name), shape.to_vec(), GgmlType::F32, data)?;
        }
    }
    let file = File::create(path).map_err(|source| ServerError::Io {
        what: format!("cannot create `{}`", path.display()),
        source,
    })?;
    w.write_to(std::io::BufWriter::new(file))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gguf::GgufHeader;

    #[test]
    fn the_tiny_model_carries_the_given_special_tokens_and_no_template() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        write_tiny_model(&path, "<|begin_of_text|>", "").unwrap();
        let header = GgufHeader::read_path(&path).unwrap();
        assert_eq!(header.architecture(), Some("llama"));
        assert_eq!(header.chat_template(), None);
        assert_eq!(header.block_count(), Some(2));
        let Some(Value::Array(Array::String(tokens))) = header.get("tokenizer.ggml.tokens") else {
            panic!("no token list");
        };
        let tokens: Vec<&str> = tokens.iter().collect();
        assert_eq!(tokens.len(), 3 + 256 + WORDS.len());
        assert_eq!(tokens[..3], ["<unk>", "<|begin_of_text|>", "</s>"]);
        assert_eq!(tokens[3 + 0x0A], "<0x0A>");
        // The tensor data the header promises is all there.
        let len = std::fs::metadata(&path).unwrap().len();
        assert_eq!(header.file_len(), Some(len));
        assert!(header.data_offset() < len);
    }
}
