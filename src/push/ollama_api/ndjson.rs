//! Ollama's streamed answers: one JSON object per line, any of which may be `{"error"}` —
//! even after a 200 and several good lines — so every line is checked.

use std::io::{BufRead, BufReader, Read};

use serde_json::Value;

use super::error::OllamaApiError;

/// Longest line accepted; status lines are short, so anything longer is not Ollama.
const MAX_LINE: usize = 1 << 20;
/// Most lines read from one answer (a pull of hundreds of layers stays far below).
const MAX_LINES: usize = 1_000_000;

/// What one streamed operation is, for messages.
#[derive(Debug, Clone, Copy)]
pub struct StreamContext<'a> {
    /// `create`, `push`, ...
    pub operation: &'static str,
    /// The model name.
    pub model: &'a str,
    /// The endpoint URL.
    pub url: &'a str,
}

/// Reads the whole NDJSON answer, calling `on_status` for each status line; fails on the
/// first `{"error"}` line, on a malformed line, and when no line said `success`.
pub fn read_stream(
    body: impl Read,
    context: StreamContext<'_>,
    mut on_status: impl FnMut(&Value),
) -> Result<(), OllamaApiError> {
    let mut reader = BufReader::new(body);
    let mut last_status = String::from("-");
    let mut succeeded = false;
    let mut buffer = Vec::new();
    for number in 1..=MAX_LINES {
        buffer.clear();
        let read = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buffer)
            .map_err(|e| bad_line(context, number, format!("reading failed: {e}")))?;
        if read == 0 {
            break;
        }
        if buffer.len() > MAX_LINE {
            return Err(bad_line(
                context,
                number,
                format!("longer than {MAX_LINE} bytes"),
            ));
        }
        let text = String::from_utf8_lossy(&buffer);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_str(text).map_err(|e| bad_line(context, number, e.to_string()))?;
        if !value.is_object() {
            return Err(bad_line(context, number, "not an object".into()));
        }
        if let Some(message) = value.get("error") {
            let message = message
                .as_str()
                .map_or_else(|| message.to_string(), str::to_string);
            return Err(OllamaApiError::ErrorLine {
                operation: context.operation,
                model: context.model.to_string(),
                url: context.url.to_string(),
                message,
                last_status,
            });
        }
        if let Some(status) = value.get("status").and_then(Value::as_str) {
            succeeded |= status == "success";
            last_status = status.to_string();
        }
        on_status(&value);
    }
    if succeeded {
        Ok(())
    } else {
        Err(OllamaApiError::NoSuccess {
            operation: context.operation,
            model: context.model.to_string(),
            url: context.url.to_string(),
            last_status,
        })
    }
}

fn bad_line(context: StreamContext<'_>, line: usize, reason: String) -> OllamaApiError {
    OllamaApiError::BadLine {
        operation: context.operation,
        url: context.url.to_string(),
        line,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONTEXT: StreamContext<'static> = StreamContext {
        operation: "create",
        model: "m",
        url: "http://x/api/create",
    };

    #[test]
    fn success_passes_and_reports_statuses() {
        let body = "{\"status\":\"parsing GGUF\"}\n\n{\"status\":\"success\"}\n";
        let mut seen = Vec::new();
        read_stream(body.as_bytes(), CONTEXT, |v| seen.push(v["status"].clone())).unwrap();
        assert_eq!(seen.len(), 2);
    }

    #[test]
    fn an_error_after_good_lines_fails() {
        let body = "{\"status\":\"parsing GGUF\"}\n{\"error\":\"unsupported architecture\"}\n";
        let err = read_stream(body.as_bytes(), CONTEXT, |_| {}).unwrap_err();
        assert_eq!(
            err.to_string(),
            "create `m` failed on http://x/api/create: unsupported architecture (after status `parsing GGUF`)"
        );
    }

    #[test]
    fn missing_success_and_garbage_fail() {
        let err = read_stream(
            "{\"status\":\"writing manifest\"}".as_bytes(),
            CONTEXT,
            |_| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("ended without `success`"), "{err}");
        let err = read_stream("<html>".as_bytes(), CONTEXT, |_| {}).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }
}
