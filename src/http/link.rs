//! `Link` pagination (RFC 8288): the one parser of `Link: <...>; rel="next"`.

use reqwest::header::{HeaderMap, LINK};
use url::Url;

/// The `rel="next"` target of the `Link` headers in `headers`, resolved against `base` (the
/// URL the page came from), if there is one.
pub fn next_link(headers: &HeaderMap, base: &Url) -> Option<Url> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(next_target)
        .and_then(|target| base.join(&target).ok())
}

/// The target of the `rel="next"` entry of one `Link` value.
fn next_target(header: &str) -> Option<String> {
    header.split(',').find_map(|link| {
        let (target, params) = link.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        params
            .split(';')
            .filter_map(|param| param.trim().split_once('='))
            .any(|(key, value)| {
                key.trim().eq_ignore_ascii_case("rel")
                    && value
                        .trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .any(|rel| rel.eq_ignore_ascii_case("next"))
            })
            .then(|| target.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn next(value: &'static str) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(LINK, HeaderValue::from_static(value));
        let base = Url::parse("https://h/api/x").unwrap();
        next_link(&headers, &base).map(String::from)
    }

    #[test]
    fn link_header_forms() {
        assert_eq!(
            next(r#"<https://h/api/x?cursor=abc>; rel="next""#).as_deref(),
            Some("https://h/api/x?cursor=abc")
        );
        assert_eq!(
            next(r#"<https://h/p>; rel="prev", <https://h/n>; rel=next"#).as_deref(),
            Some("https://h/n")
        );
        assert_eq!(
            next(r#"</api/x?p=2>; rel="last next""#).as_deref(),
            Some("https://h/api/x?p=2")
        );
        assert_eq!(next(r#"<https://h/p>; rel="prev""#), None);
        let base = Url::parse("https://h/api/x").unwrap();
        assert_eq!(next_link(&HeaderMap::new(), &base), None);
    }
}
