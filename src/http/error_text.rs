//! The one place where an error answer's body becomes error text: one short line whatever
//! the server sent (an HTML page is reduced to its title), and never a credential a server
//! echoes back (`Authorization: Basic ...`, cookies, tokens).

use std::io::Read;

use reqwest::blocking::Response;
use reqwest::header::CONTENT_TYPE;

/// Bytes of an error body read: enough for any title or JSON message.
pub const MAX_ERROR_BODY: u64 = 16 << 10;
/// Characters of error text kept.
pub const MAX_ERROR_CHARS: usize = 300;

/// Names after which (with `:` or `=`) a value is a credential.
const CREDENTIAL_NAMES: [&str; 8] = [
    "authorization",
    "cookie",
    "api-key",
    "api_key",
    "token",
    "password",
    "secret",
    "session_id",
];
/// Schemes after which the next word is a credential.
const CREDENTIAL_SCHEMES: [&str; 2] = ["bearer ", "basic "];
/// What a credential is replaced with.
const REDACTED: &str = "[redacted]";

/// The error text of an answer: its body (at most [`MAX_ERROR_BODY`] bytes) as
/// [`error_text()`] makes it, or the status's reason when the body is empty.
pub fn read_error_text(response: Response) -> String {
    let reason = response
        .status()
        .canonical_reason()
        .unwrap_or("")
        .to_string();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut body = Vec::new();
    // A broken body still leaves what arrived, which is all the text needs.
    let _ = response.take(MAX_ERROR_BODY).read_to_end(&mut body);
    let text = error_text(content_type.as_deref(), &body);
    if text.is_empty() { reason } else { text }
}

/// One short line from an error body: an HTML page becomes its `<title>` (or first heading,
/// or its text), credential-looking values are replaced with `[redacted]`, whitespace runs
/// become one space, and at most [`MAX_ERROR_CHARS`] characters are kept.
pub fn error_text(content_type: Option<&str>, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let html = content_type.is_some_and(|t| t.to_ascii_lowercase().contains("html"))
        || looks_like_html(&text);
    let text = if html {
        match html_summary(&text) {
            Some(summary) => format!("{summary} (an HTML error page)"),
            None => "an HTML error page".to_owned(),
        }
    } else {
        text.into_owned()
    };
    shorten(&one_line(&redact(&text)))
}

fn looks_like_html(text: &str) -> bool {
    let start: String = text.trim_start().chars().take(15).collect();
    let start = start.to_ascii_lowercase();
    start.starts_with("<!doctype html") || start.starts_with("<html")
}

/// The title, else the first `<h1>`, else the page's text without tags.
fn html_summary(page: &str) -> Option<String> {
    let lower = page.to_ascii_lowercase();
    let element = |tag: &str| {
        let open = lower.find(&format!("<{tag}"))?;
        let start = open + lower.get(open..)?.find('>')? + 1;
        let end = start + lower.get(start..)?.find(&format!("</{tag}"))?;
        Some(strip_tags(page.get(start..end)?))
    };
    element("title")
        .or_else(|| element("h1"))
        .or_else(|| Some(strip_tags(page)))
        .map(|text| one_line(&text))
        .filter(|text| !text.is_empty())
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_ERROR_CHARS {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(MAX_ERROR_CHARS).collect();
    short.push('…');
    short
}

/// Replaces the values of credential-looking names (`Authorization: ...`, `"token": "..."`,
/// `password=...`) and the word after `Bearer`/`Basic` with `[redacted]`.
pub fn redact(text: &str) -> String {
    // ASCII lowercasing keeps every byte offset, and every match starts at an ASCII byte, so
    // offsets found in `lower` are character boundaries of `text`.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < text.len() {
        let next = CREDENTIAL_NAMES
            .iter()
            .chain(CREDENTIAL_SCHEMES.iter())
            .filter_map(|word| tail(&lower, at).find(word).map(|pos| (at + pos, *word)))
            .min_by_key(|(pos, _)| *pos);
        let Some((pos, word)) = next else {
            out.push_str(tail(text, at));
            break;
        };
        let after = pos + word.len();
        out.push_str(text.get(at..after).unwrap_or_default());
        let value_start;
        let value_end;
        if CREDENTIAL_SCHEMES.contains(&word) {
            value_start = after;
            value_end = after
                + tail(text, after)
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "+/=._-~".contains(c)))
                    .unwrap_or(text.len() - after);
            if value_end - value_start < 8 {
                at = after;
                continue;
            }
        } else {
            // Separators: quotes, spaces, and at least one `:` or `=`.
            let separators = tail(text, after)
                .find(|c: char| !"\"' :=".contains(c))
                .unwrap_or(text.len() - after);
            let between = text.get(after..after + separators).unwrap_or_default();
            if !between.contains([':', '=']) {
                at = after;
                continue;
            }
            value_start = after + separators;
            value_end = value_start
                + tail(text, value_start)
                    .find(['"', '\'', ',', ';', '&', '}', '\n', '\r'])
                    .unwrap_or(text.len() - value_start);
            out.push_str(between);
            if value_end == value_start {
                at = value_end;
                continue;
            }
        }
        out.push_str(REDACTED);
        at = value_end;
    }
    out
}

/// `text` from byte `at` on, or nothing when `at` is past the end or not a character
/// boundary: offsets here come from ASCII matches, but a slice must never be able to panic.
fn tail(text: &str, at: usize) -> &str {
    text.get(at..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_text_around_credentials_and_tags_is_kept_whole() {
        assert_eq!(
            redact("modèle: Authorization: Bearer sk-ééé-1234567890\n千问 token=秘密値"),
            "modèle: Authorization: [redacted]\n千问 token=[redacted]"
        );
        assert_eq!(
            error_text(
                None,
                "<html><title>Erreur 502 — passerelle</title>é</html>".as_bytes()
            ),
            "Erreur 502 — passerelle (an HTML error page)"
        );
    }

    #[test]
    fn html_pages_become_their_title() {
        let page = "<!DOCTYPE html>\n<html><head><title>502 Bad\n Gateway</title></head><body>"
            .to_string()
            + &"<p>lots of markup</p>\n".repeat(500)
            + "</body></html>";
        assert_eq!(
            error_text(Some("text/html"), page.as_bytes()),
            "502 Bad Gateway (an HTML error page)"
        );
        assert_eq!(
            error_text(None, b"<html><body><h1>Oops</h1><p>x</p></body></html>"),
            "Oops (an HTML error page)"
        );
    }

    #[test]
    fn long_text_is_one_short_line() {
        let text = error_text(None, "é\n".repeat(1000).as_bytes());
        assert!(!text.contains('\n'));
        assert_eq!(text.chars().count(), MAX_ERROR_CHARS + 1);
    }

    #[test]
    fn credentials_are_never_copied() {
        let echoed = "GET /v2/ HTTP/1.1\r\nHost: r\r\nAuthorization: Basic dXNlcjpzM2NyZXQ=\r\nCookie: m_session_id=abc123secret\r\n";
        let text = error_text(Some("text/plain"), echoed.as_bytes());
        assert!(!text.contains("dXNlcjpzM2NyZXQ"), "{text}");
        assert!(!text.contains("abc123secret"), "{text}");
        assert!(text.contains("Authorization: [redacted]"), "{text}");
        let json = br#"{"headers":{"authorization":"Bearer hf_abcdefghijklmnop","x":"1"},"token":"t0ps3cr3t"}"#;
        let text = error_text(Some("application/json"), json);
        assert!(
            !text.contains("hf_abcdefghijklmnop") && !text.contains("t0ps3cr3t"),
            "{text}"
        );
        assert!(text.contains(r#""x":"1""#), "{text}");
        assert_eq!(
            error_text(None, b"401 Authorization Required: not authorized"),
            "401 Authorization Required: not authorized"
        );
        assert_eq!(
            error_text(None, b"see the basic usage"),
            "see the basic usage"
        );
        assert_eq!(
            error_text(None, b"bad Bearer abcdefghijkl token"),
            "bad Bearer [redacted] token"
        );
    }
}
