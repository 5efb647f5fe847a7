//! Drives `tests/support/gorender/main.go` — Go's own `text/template` with Ollama's rendering
//! rules — and the Rust engine over the same batch, so tests can compare them byte for byte.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use ruvltra_export::template::chat::ChatRequest;
use ruvltra_export::template::gotmpl::{ExecOptions, FuncEnv, MissingKey, Template, Value};
use ruvltra_export::template::ollama::{Date, OllamaTemplate, RenderOptions};
use serde_json::{Value as Json, json};

use crate::support::{go, root};

/// The fixed date both engines render with.
pub const DATE: &str = "2026-02-28";

/// One rendering: the output, or the error message.
pub type Outcome = Result<String, String>;

/// A template executed over raw JSON data (not a chat request).
pub struct PlainCase {
    pub template: String,
    pub data: Json,
    pub missing_zero: bool,
}

/// Builds the Go program once per test process (cached under `target/gorender/` by source
/// hash, so later runs reuse it).
pub fn gorender_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let src_dir = root().join("tests/support/gorender");
        let mut src = std::fs::read(src_dir.join("main.go")).expect("read main.go");
        src.extend(std::fs::read(src_dir.join("go.mod")).expect("read go.mod"));
        let hash = {
            use std::hash::{DefaultHasher, Hash, Hasher};
            let mut h = DefaultHasher::new();
            src.hash(&mut h);
            format!("{:016x}", h.finish())
        };
        let base = root().join("target/gorender");
        let bin = base.join(format!("gorender-{hash}"));
        if bin.exists() {
            return bin;
        }
        std::fs::create_dir_all(&base).expect("create target/gorender");
        let tmp = base.join(format!("gorender-{hash}.{}.tmp", std::process::id()));
        let out = Command::new(go())
            .current_dir(&src_dir)
            .args(["build", "-o"])
            .arg(&tmp)
            .arg("main.go")
            .env("GOTOOLCHAIN", "local")
            .env("GOCACHE", base.join("gocache"))
            .env("GOPATH", base.join("gopath"))
            .env("GOFLAGS", "-mod=mod")
            .output()
            .expect("run go build");
        assert!(
            out.status.success(),
            "go build of tests/support/gorender failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::rename(&tmp, &bin).expect("move gorender into place");
        bin
    })
    .clone()
}

fn outcome(v: &Json) -> Outcome {
    if let Some(s) = v.get("ok").and_then(Json::as_str) {
        return Ok(s.to_owned());
    }
    Err(v
        .get("err")
        .and_then(Json::as_str)
        .unwrap_or("?")
        .to_owned())
}

/// Go's results: `[template][request]` and one per plain case.
pub fn run_go(
    templates: &[String],
    requests: &[ChatRequest],
    plain: &[PlainCase],
) -> (Vec<Vec<Outcome>>, Vec<Outcome>) {
    let v = run_batch(templates, requests, plain, 1);
    let ollama = v["ollama"]
        .as_array()
        .expect("ollama results")
        .iter()
        .map(|row| row.as_array().expect("row").iter().map(outcome).collect())
        .collect();
    let plain = v["plain"]
        .as_array()
        .expect("plain results")
        .iter()
        .map(outcome)
        .collect();
    (ollama, plain)
}

/// The tool-call tag Ollama reads from each template (the text it waits for before parsing a
/// call from the model's output), as real Go's template parser sees it; empty when there is
/// none.
pub fn tool_call_tags(templates: &[String]) -> Vec<String> {
    let v = run_batch(templates, &[], &[], 1);
    v["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|t| t.as_str().expect("tag").to_owned())
        .collect()
}

/// Go's results with render times: `[template][request]` as (outcome, fastest of `repeat`
/// renders in nanoseconds, parsing the template included as in Ollama).
pub fn run_go_timed(
    templates: &[String],
    requests: &[ChatRequest],
    repeat: usize,
) -> Vec<Vec<(Outcome, u64)>> {
    let v = run_batch(templates, requests, &[], repeat);
    let rows = v["ollama"].as_array().expect("ollama results");
    let nanos = v["nanos"].as_array().expect("render times");
    rows.iter()
        .zip(nanos)
        .map(|(row, times)| {
            let times = times.as_array().expect("times row");
            row.as_array()
                .expect("row")
                .iter()
                .zip(times)
                .map(|(r, t)| (outcome(r), t.as_u64().expect("nanoseconds")))
                .collect()
        })
        .collect()
}

fn run_batch(
    templates: &[String],
    requests: &[ChatRequest],
    plain: &[PlainCase],
    repeat: usize,
) -> Json {
    let batch = json!({
        "repeat": repeat,
        "date": DATE,
        "templates": templates,
        "requests": requests,
        "plain": plain.iter().map(|p| json!({"template": p.template, "data": p.data, "missing_zero": p.missing_zero})).collect::<Vec<_>>(),
    });
    let mut child = Command::new(gorender_binary())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start gorender");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(batch.to_string().as_bytes())
        .expect("write batch");
    let out = child.wait_with_output().expect("gorender output");
    assert!(
        out.status.success(),
        "gorender failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("gorender JSON")
}

/// The options both engines share.
pub fn render_options() -> RenderOptions {
    RenderOptions::with_date(Date::parse(DATE).expect("date"))
}

/// The Rust engine's result for one template and request.
pub fn run_rust(template: &str, req: &ChatRequest) -> Outcome {
    let t = OllamaTemplate::parse(template).map_err(|e| e.to_string())?;
    t.render(req, &render_options()).map_err(|e| e.to_string())
}

/// The Rust engine's result for one plain case.
pub fn run_rust_plain(case: &PlainCase) -> Outcome {
    let t = Template::parse_ollama(&case.template).map_err(|e| e.to_string())?;
    let date = Date::parse(DATE).expect("date");
    let opts = ExecOptions {
        missing_key: if case.missing_zero {
            MissingKey::Zero
        } else {
            MissingKey::Invalid
        },
        funcs: FuncEnv {
            ollama: true,
            today: date.to_string(),
            yesterday: date.yesterday().to_string(),
        },
        ..ExecOptions::default()
    };
    t.execute(&Value::from_json(&case.data), &opts)
        .map_err(|e| e.to_string())
}

/// Compares two outcomes: equal bytes, or both errors. Returns a description of a mismatch.
pub fn compare(what: &str, go: &Outcome, rust: &Outcome) -> Option<String> {
    match (go, rust) {
        (Ok(g), Ok(r)) if g == r => None,
        (Err(_), Err(_)) => None,
        (Ok(g), Ok(r)) => {
            let at = g
                .bytes()
                .zip(r.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(g.len().min(r.len()));
            Some(format!(
                "{what}: outputs differ at byte {at}\n  go:   {g:?}\n  rust: {r:?}"
            ))
        }
        (g, r) => Some(format!(
            "{what}: one side failed\n  go:   {g:?}\n  rust: {r:?}"
        )),
    }
}

/// A long chat like the one that made converted templates slow in a real Ollama: a system
/// prompt and 199 alternating user/assistant messages (200 in all, the last from the user),
/// about 100 KB, with prose, code,
/// blank lines and whitespace at both ends of some contents (so stripping has work to do).
pub fn long_chat() -> ChatRequest {
    let mut messages = vec![json!({"role": "system", "content": "You are a careful assistant.\n"})];
    for i in 0..199 {
        let role = if i % 2 == 0 { "user" } else { "assistant" };
        let mut content = String::new();
        if i % 3 == 0 {
            content.push_str("\n  ");
        }
        while content.len() < 480 {
            content.push_str(&format!(
                "Line {i}: the quick brown fox jumps over the lazy dog — ünïcödé ok.\n\
                 ```rust\nfn f{i}() -> u32 {{ {i} }}\n```\n\n"
            ));
        }
        // Most contents end in text; some in a blank line or mixed whitespace.
        content.truncate(content.trim_end().len());
        match i % 4 {
            1 => content.push_str(" \t\n\n"),
            3 => content.push('\n'),
            _ => {}
        }
        messages.push(json!({"role": role, "content": content}));
    }
    serde_json::from_value(json!({"model": "m", "messages": messages})).expect("a chat request")
}
