//! A stand-in for a running Ollama v0.33 server's HTTP API (`OLLAMA_HOST`), for tests:
//! Ollama itself cannot run here.
//!
//! It follows the contract in `shared/reference/ollama.md` (v0.33) strictly:
//! - `HEAD /api/blobs/sha256:<hex>`: 200 present, 404 absent, 400 `invalid digest format`.
//! - `POST /api/blobs/sha256:<hex>`: 201 created, 200 when the blob already existed, 400
//!   `digest mismatch` when the body's sha256 is not the URL's (lowercase hex only).
//! - `POST /api/create`: the files form (v0.5.5+) with `files`, `template`, `system`,
//!   `parameters`, `license` (string or list), `messages`, and v0.33's `renderer`, `parser`,
//!   `requires` and `info` (`info.capabilities` joins the model's capabilities); the
//!   `modelfile` form (`FROM @sha256:<hex>`, with `RENDERER`/`PARSER` from v0.12 and
//!   `REQUIRES` from v0.14) for older servers. A server whose version is below 0.5.5 answers the
//!   files form with 400 `path or Modelfile are required`. Answers are NDJSON statuses
//!   (`parsing GGUF`, `using existing layer`/`creating new layer`, `writing manifest`,
//!   `success`); an armed error arrives as a `{"error"}` line after the first line, with 200.
//!   Parameters are stored as sent, without type checks, as Ollama does.
//! - `POST /api/show`: license (list joined by newlines), modelfile (with `RENDERER`,
//!   `PARSER` and `REQUIRES` lines when set), template, system, parameters as text (`name`
//!   padded to 30, Go `%#v` values, one line per array item), details, model_info,
//!   capabilities (`completion`; `tools` when the template reads `.Tools`; `thinking` when it
//!   writes `.Thinking`; plus `info.capabilities`), messages; 404 `model 'x' not found`.
//! - `GET /api/tags`, `POST /api/copy`, `DELETE /api/delete` (200 or 404), `POST /api/push` (NDJSON statuses), `GET /api/version`.
//! - Names compare case-insensitively; a missing tag is `latest`.
//!
//! Not in the reference, chosen here: a create that names a blob the server does not have is a
//! 400 `{"error"}` before any streaming; a push of a missing model is an error line; a
//! `requires` above the server's version is a 400 `this model requires Ollama <v> or later`.
//!
//! The server counts body bytes received per blob and uploads stored per blob, so tests can
//! prove nothing was sent twice; [`Faults`] injects 5xx, 429, cuts and delays.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::fault_injection::{Faults, RunningServer, UploadCounts, fault_layer, sha256_hex};

/// A model as the fake server stores it.
#[derive(Debug, Clone, Default)]
pub struct StoredModel {
    /// The name as first given (`ns/model:tag`).
    pub name: String,
    /// File name -> `sha256:<hex>` (files form), or `model.gguf` -> digest for `FROM @...`.
    pub files: BTreeMap<String, String>,
    /// TEMPLATE.
    pub template: Option<String>,
    /// SYSTEM.
    pub system: Option<String>,
    /// Parameters exactly as sent.
    pub parameters: serde_json::Map<String, Value>,
    /// LICENSE entries.
    pub license: Vec<String>,
    /// MESSAGE entries.
    pub messages: Vec<Value>,
    /// RENDERER.
    pub renderer: Option<String>,
    /// PARSER.
    pub parser: Option<String>,
    /// REQUIRES.
    pub requires: Option<String>,
    /// `info.capabilities` as sent.
    pub info_capabilities: Vec<String>,
    /// Whether it was created through the older `modelfile` form.
    pub via_modelfile: bool,
}

/// What the fake server holds and has seen.
#[derive(Debug, Default)]
pub struct OllamaState {
    /// The version `/api/version` reports.
    pub version: String,
    /// Blobs by lowercase hex: their sizes (bodies are hashed as they stream in and not
    /// kept, so multi-gigabyte pushes stay cheap).
    pub blobs: HashMap<String, u64>,
    /// Bytes received and uploads stored per blob.
    pub counts: UploadCounts,
    /// Models by lowercased full name.
    pub models: BTreeMap<String, StoredModel>,
    /// Create requests seen (the JSON bodies).
    pub create_requests: Vec<Value>,
    /// Models pushed through `/api/push`.
    pub pushed: Vec<String>,
    /// One-shot error lines: endpoint (`create`, `push`) -> message sent after a 200.
    pub error_after_200: HashMap<String, String>,
}

/// A running fake Ollama server.
pub struct FakeOllama {
    server: RunningServer,
    /// Shared state, for inspection and set-up by tests.
    pub state: Arc<Mutex<OllamaState>>,
    /// Armed faults.
    pub faults: Faults,
}

impl FakeOllama {
    /// Starts a server that reports `version` on `/api/version`.
    pub fn start(version: &str) -> Self {
        let state = Arc::new(Mutex::new(OllamaState {
            version: version.to_string(),
            ..OllamaState::default()
        }));
        let faults = Faults::default();
        let router = Router::new()
            .route("/api/version", get(version_handler))
            .route("/api/blobs/{digest}", post(post_blob).head(head_blob))
            .route("/api/create", post(create))
            .route("/api/show", post(show))
            .route("/api/tags", get(tags))
            .route("/api/copy", post(copy))
            .route("/api/push", post(push))
            .route("/api/delete", axum::routing::delete(delete))
            .layer(DefaultBodyLimit::max(256 << 20))
            .with_state(state.clone())
            .layer(axum::middleware::from_fn_with_state(
                faults.clone(),
                fault_layer,
            ));
        Self {
            server: RunningServer::start(router),
            state,
            faults,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Arms a one-shot `{"error": message}` line after a 200 on `create` or `push`.
    pub fn fail_after_200(&self, endpoint: &str, message: &str) {
        self.state
            .lock()
            .unwrap()
            .error_after_200
            .insert(endpoint.to_string(), message.to_string());
    }

    /// The stored model, by name (case-insensitive, `:latest` added when no tag).
    pub fn model(&self, name: &str) -> Option<StoredModel> {
        self.state.lock().unwrap().models.get(&key(name)).cloned()
    }

    /// Total body bytes received for blob `hex`.
    pub fn bytes_received(&self, hex: &str) -> u64 {
        self.state.lock().unwrap().counts.bytes(hex)
    }

    /// How many uploads of blob `hex` were stored.
    pub fn uploads_stored(&self, hex: &str) -> u32 {
        self.state.lock().unwrap().counts.stores(hex)
    }

    /// Total blob body bytes received over all blobs.
    pub fn total_blob_bytes(&self) -> u64 {
        self.state.lock().unwrap().counts.total_bytes()
    }
}

type Shared = State<Arc<Mutex<OllamaState>>>;

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

fn ndjson(lines: &[Value]) -> Response {
    let mut body = String::new();
    for line in lines {
        body.push_str(&line.to_string());
        body.push('\n');
    }
    (
        StatusCode::OK,
        [("content-type", "application/x-ndjson")],
        body,
    )
        .into_response()
}

/// The name as Ollama displays it (default host `registry.ollama.ai` and namespace `library`
/// left out), lowercased, with `:latest` added when the last segment has no tag.
fn key(name: &str) -> String {
    let lower = name.to_lowercase();
    let lower = lower.strip_prefix("registry.ollama.ai/").unwrap_or(&lower);
    let lower = lower.strip_prefix("library/").unwrap_or(lower).to_string();
    let last = lower.rsplit('/').next().unwrap_or("");
    if last.contains(':') {
        lower
    } else {
        format!("{lower}:latest")
    }
}

/// The hex of `sha256:<64 hex>` (or `sha256-`), as Ollama's `GetBlobsPath` accepts it.
fn parse_digest(raw: &str) -> Option<String> {
    let hex = raw
        .strip_prefix("sha256:")
        .or_else(|| raw.strip_prefix("sha256-"))?;
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| hex.to_string())
}

/// `x.y.z` as numbers; `None` when a part is not a number.
fn version_triple(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.trim_start_matches('v').split('.');
    let mut next = || parts.next().map_or(Some(0), |p| p.parse::<u64>().ok());
    Some((next()?, next()?, next()?))
}

fn version_lt(version: &str, other: (u64, u64, u64)) -> bool {
    let mut parts = version
        .trim_start_matches('v')
        .split(['.', '-'])
        .map(|p| p.parse::<u64>().unwrap_or(0));
    let v = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    v < other
}

async fn version_handler(State(state): Shared) -> Response {
    let version = state.lock().unwrap().version.clone();
    axum::Json(json!({ "version": version })).into_response()
}

async fn head_blob(State(state): Shared, Path(digest): Path<String>) -> Response {
    let Some(hex) = parse_digest(&digest) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if state.lock().unwrap().blobs.contains_key(&hex) {
        StatusCode::OK.into_response()
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

async fn post_blob(State(state): Shared, Path(digest): Path<String>, body: Body) -> Response {
    let Some(hex) = parse_digest(&digest) else {
        return error(StatusCode::BAD_REQUEST, "invalid digest format");
    };
    let mut body = body;
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    loop {
        match poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    hasher.update(data);
                    size += data.len() as u64;
                    state
                        .lock()
                        .unwrap()
                        .counts
                        .received(&hex, data.len() as u64);
                }
            }
            Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "the body broke off"),
            None => break,
        }
    }
    let mut state = state.lock().unwrap();
    if state.blobs.contains_key(&hex) {
        return StatusCode::OK.into_response();
    }
    // The comparison is on lowercase hex, as Ollama compares its formatted digest.
    if hex::encode(hasher.finalize()) != hex {
        return error(StatusCode::BAD_REQUEST, "digest mismatch");
    }
    state.counts.stored(&hex);
    state.blobs.insert(hex, size);
    StatusCode::CREATED.into_response()
}

fn string_field(body: &Value, name: &str) -> Option<String> {
    body.get(name).and_then(Value::as_str).map(str::to_string)
}

async fn create(State(state): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let mut state = state.lock().unwrap();
    state.create_requests.push(body.clone());
    let Some(name) = string_field(&body, "model").or_else(|| string_field(&body, "name")) else {
        return error(StatusCode::BAD_REQUEST, "model is required");
    };
    let old_server = version_lt(&state.version, (0, 5, 5));
    let model = if let Some(modelfile) = string_field(&body, "modelfile") {
        match parse_modelfile(&modelfile, &state.version) {
            Ok(mut model) => {
                model.name = name.clone();
                model
            }
            Err(message) => return error(StatusCode::BAD_REQUEST, &message),
        }
    } else if old_server {
        return error(StatusCode::BAD_REQUEST, "path or Modelfile are required");
    } else {
        let Some(files) = body.get("files").and_then(Value::as_object) else {
            return error(
                StatusCode::BAD_REQUEST,
                "neither 'from' or 'files' was specified",
            );
        };
        let mut model = StoredModel {
            name: name.clone(),
            ..StoredModel::default()
        };
        for (path, digest) in files {
            if path.contains("..") || path.starts_with('/') {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("invalid file path {path}"),
                );
            }
            let digest = digest.as_str().unwrap_or_default().to_string();
            model.files.insert(path.clone(), digest);
        }
        model.template = string_field(&body, "template");
        model.system = string_field(&body, "system");
        if let Some(params) = body.get("parameters").and_then(Value::as_object) {
            model.parameters = params.clone();
        }
        model.license = match body.get("license") {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        if let Some(messages) = body.get("messages").and_then(Value::as_array) {
            model.messages = messages.clone();
        }
        model.renderer = string_field(&body, "renderer");
        model.parser = string_field(&body, "parser");
        model.requires = string_field(&body, "requires");
        if let Some(capabilities) = body
            .get("info")
            .and_then(|info| info.get("capabilities"))
            .and_then(Value::as_array)
        {
            model.info_capabilities = capabilities
                .iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect();
        }
        model
    };
    if let Some(requires) = &model.requires {
        let Some(wanted) = version_triple(requires) else {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("invalid version {requires:?} in requires"),
            );
        };
        if version_lt(&state.version, wanted) {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("this model requires Ollama {requires} or later"),
            );
        }
    }
    for digest in model.files.values() {
        let known = parse_digest(digest).is_some_and(|hex| state.blobs.contains_key(&hex));
        if !known {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("blob {digest} not found: upload it with POST /api/blobs first"),
            );
        }
    }
    let mut lines = vec![json!({"status": "parsing GGUF"})];
    if let Some(message) = state.error_after_200.remove("create") {
        lines.push(json!({ "error": message }));
        return ndjson(&lines);
    }
    let previous = state.models.get(&key(&name)).cloned();
    for digest in model.files.values() {
        let reused = previous
            .as_ref()
            .is_some_and(|p| p.files.values().any(|d| d == digest));
        let verb = if reused {
            "using existing"
        } else {
            "creating new"
        };
        lines.push(json!({ "status": format!("{verb} layer {digest}") }));
    }
    lines.push(json!({"status": "writing manifest"}));
    lines.push(json!({"status": "success"}));
    state.models.insert(key(&name), model);
    ndjson(&lines)
}

/// Reads the value of one instruction starting at `rest` (the text after the command word),
/// following the Modelfile grammar: `"""..."""` and `"..."` may span lines, no escapes.
fn read_value<'a>(rest: &str, lines: &mut impl Iterator<Item = &'a str>) -> Result<String, String> {
    let mut buffer = rest.to_string();
    loop {
        let trimmed = buffer.trim();
        let closed = if trimmed.starts_with("\"\"\"") {
            trimmed.len() >= 6 && trimmed.ends_with("\"\"\"")
        } else if trimmed.starts_with('"') {
            trimmed.len() >= 2 && trimmed.ends_with('"')
        } else {
            true
        };
        if closed {
            let value = if let Some(inner) = trimmed.strip_prefix("\"\"\"") {
                inner.strip_suffix("\"\"\"").unwrap_or(inner).to_string()
            } else if let Some(inner) = trimmed.strip_prefix('"') {
                inner.strip_suffix('"').unwrap_or(inner).to_string()
            } else {
                trimmed.to_string()
            };
            return Ok(value);
        }
        match lines.next() {
            Some(line) => {
                buffer.push('\n');
                buffer.push_str(line);
            }
            None => return Err("unexpected EOF".to_string()),
        }
    }
}

/// Types a Modelfile parameter value by its name, as Ollama does when it reads a Modelfile.
fn typed_parameter(name: &str, value: &str) -> Result<Value, String> {
    const INTS: &[&str] = &[
        "num_keep",
        "seed",
        "num_predict",
        "top_k",
        "repeat_last_n",
        "num_ctx",
        "num_batch",
        "num_gpu",
        "main_gpu",
        "num_thread",
    ];
    const FLOATS: &[&str] = &[
        "top_p",
        "min_p",
        "typical_p",
        "temperature",
        "repeat_penalty",
        "presence_penalty",
        "frequency_penalty",
    ];
    if INTS.contains(&name) {
        value
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("invalid int value [{value}]"))
    } else if FLOATS.contains(&name) {
        value
            .parse::<f64>()
            .map(Value::from)
            .map_err(|_| format!("invalid float value [{value}]"))
    } else if name == "use_mmap" {
        value
            .parse::<bool>()
            .map(Value::from)
            .map_err(|_| format!("invalid bool value [{value}]"))
    } else if name == "stop" {
        Ok(Value::from(value))
    } else {
        Err(format!("unknown parameter '{name}'"))
    }
}

fn parse_modelfile(text: &str, version: &str) -> Result<StoredModel, String> {
    let mut model = StoredModel {
        via_modelfile: true,
        ..StoredModel::default()
    };
    let mut lines = text.lines();
    let mut has_from = false;
    while let Some(line) = lines.next() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (command, rest) = line.split_once([' ', '\t']).unwrap_or((line, ""));
        let value = read_value(rest, &mut lines)?;
        match command.to_lowercase().as_str() {
            "from" => {
                let digest = value.strip_prefix('@').unwrap_or(&value).to_string();
                let index = model.files.len();
                model.files.insert(format!("model-{index}.gguf"), digest);
                has_from = true;
            }
            "template" => model.template = Some(value),
            "renderer" if !version_lt(version, (0, 12, 0)) => model.renderer = Some(value),
            "parser" if !version_lt(version, (0, 12, 0)) => model.parser = Some(value),
            "requires" if !version_lt(version, (0, 14, 0)) => model.requires = Some(value),
            "system" => model.system = Some(value),
            "license" => model.license.push(value),
            "parameter" => {
                let (name, raw) = value.split_once([' ', '\t']).unwrap_or((&value, ""));
                let raw = raw.trim();
                let raw = raw
                    .strip_prefix('"')
                    .and_then(|r| r.strip_suffix('"'))
                    .unwrap_or(raw);
                let typed = typed_parameter(name, raw)?;
                if name == "stop" {
                    let entry = model
                        .parameters
                        .entry(name.to_string())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(items) = entry {
                        items.push(typed);
                    }
                } else {
                    model.parameters.insert(name.to_string(), typed);
                }
            }
            "message" => {
                let (role, content) = value.split_once([' ', '\t']).unwrap_or((&value, ""));
                if !["system", "user", "assistant"].contains(&role) {
                    return Err(
                        "message role must be one of \"system\", \"user\", or \"assistant\"".into(),
                    );
                }
                let content = content.trim();
                let content = content
                    .strip_prefix("\"\"\"")
                    .and_then(|c| c.strip_suffix("\"\"\""))
                    .unwrap_or(content);
                model
                    .messages
                    .push(json!({"role": role, "content": content}));
            }
            other => {
                return Err(format!(
                    "command must be one of \"from\", \"license\", \"template\", \"system\", \"adapter\", \"parameter\", or \"message\" (got {other})"
                ));
            }
        }
    }
    if !has_from {
        return Err("no FROM line".to_string());
    }
    Ok(model)
}

/// Go's `%#v` for a JSON scalar, as `/api/show` prints parameters.
fn go_value(value: &Value) -> String {
    match value {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Number(n) => n
            .as_f64()
            .map(|f| format!("{f}"))
            .unwrap_or_else(|| n.to_string()),
        other => other.to_string(),
    }
}

fn parameters_text(parameters: &serde_json::Map<String, Value>) -> String {
    let mut lines = Vec::new();
    let mut keys: Vec<_> = parameters.keys().collect();
    keys.sort();
    for name in keys {
        match &parameters[name] {
            Value::Array(items) => {
                for item in items {
                    lines.push(format!("{name:<30} {}", go_value(item)));
                }
            }
            value => lines.push(format!("{name:<30} {}", go_value(value))),
        }
    }
    lines.join("\n")
}

async fn show(State(state): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let name = string_field(&body, "model")
        .or_else(|| string_field(&body, "name"))
        .unwrap_or_default();
    let state = state.lock().unwrap();
    let Some(model) = state.models.get(&key(&name)) else {
        return error(StatusCode::NOT_FOUND, &format!("model '{name}' not found"));
    };
    let mut modelfile = String::new();
    for digest in model.files.values() {
        modelfile.push_str(&format!("FROM @{digest}\n"));
    }
    if let Some(t) = &model.template {
        modelfile.push_str(&format!("TEMPLATE \"\"\"{t}\"\"\"\n"));
    }
    for (keyword, value) in [
        ("RENDERER", &model.renderer),
        ("PARSER", &model.parser),
        ("REQUIRES", &model.requires),
    ] {
        if let Some(value) = value {
            modelfile.push_str(&format!("{keyword} {value}\n"));
        }
    }
    let template = model.template.as_deref().unwrap_or_default();
    let mut capabilities = vec!["completion".to_string()];
    if template.contains(".Tools") {
        capabilities.push("tools".into());
    }
    if template.contains(".Thinking") {
        capabilities.push("thinking".into());
    }
    for extra in &model.info_capabilities {
        if !capabilities.contains(extra) {
            capabilities.push(extra.clone());
        }
    }
    axum::Json(json!({
        "license": model.license.join("\n"),
        "modelfile": modelfile,
        "template": model.template.clone().unwrap_or_default(),
        "system": model.system.clone().unwrap_or_default(),
        "parameters": parameters_text(&model.parameters),
        "messages": model.messages,
        "details": {"format": "gguf", "family": "qwen2", "families": ["qwen2"],
                    "parameter_size": "494.03M", "quantization_level": "Q4_K_M"},
        "model_info": {},
        "capabilities": capabilities,
    }))
    .into_response()
}

async fn tags(State(state): Shared) -> Response {
    let state = state.lock().unwrap();
    let models: Vec<Value> = state
        .models
        .values()
        .map(|m| {
            let size: u64 = m
                .files
                .values()
                .filter_map(|d| parse_digest(d))
                .filter_map(|hex| state.blobs.get(&hex).copied())
                .sum();
            let name = key(&m.name);
            json!({"name": name, "model": name, "modified_at": "2026-11-27T09:00:00Z",
                   "size": size, "digest": sha256_hex(name.as_bytes()),
                   "details": {"format": "gguf"}})
        })
        .collect();
    axum::Json(json!({ "models": models })).into_response()
}

async fn copy(State(state): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let source = string_field(&body, "source").unwrap_or_default();
    let destination = string_field(&body, "destination").unwrap_or_default();
    let mut state = state.lock().unwrap();
    let Some(model) = state.models.get(&key(&source)).cloned() else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("model '{source}' not found"),
        );
    };
    let copied = StoredModel {
        name: destination.clone(),
        ..model
    };
    state.models.insert(key(&destination), copied);
    StatusCode::OK.into_response()
}

async fn push(State(state): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let name = string_field(&body, "model")
        .or_else(|| string_field(&body, "name"))
        .unwrap_or_default();
    let mut state = state.lock().unwrap();
    let mut lines = vec![json!({"status": "retrieving manifest"})];
    if let Some(message) = state.error_after_200.remove("push") {
        lines.push(json!({ "error": message }));
        return ndjson(&lines);
    }
    let Some(model) = state.models.get(&key(&name)).cloned() else {
        lines.push(json!({ "error": format!("model '{name}' not found") }));
        return ndjson(&lines);
    };
    for digest in model.files.values() {
        let short: String = digest
            .trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect();
        lines.push(json!({"status": format!("pushing {short}"), "digest": digest, "total": 1, "completed": 1}));
    }
    lines.push(json!({"status": "pushing manifest"}));
    lines.push(json!({"status": "success"}));
    state.pushed.push(key(&name));
    ndjson(&lines)
}

async fn delete(State(state): Shared, axum::Json(body): axum::Json<Value>) -> Response {
    let name = string_field(&body, "model")
        .or_else(|| string_field(&body, "name"))
        .unwrap_or_default();
    match state.lock().unwrap().models.remove(&key(&name)) {
        Some(_) => StatusCode::OK.into_response(),
        None => error(StatusCode::NOT_FOUND, &format!("model '{name}' not found")),
    }
}
