//! The origin check that keeps credentials on the server they were meant for: the Hub source
//! client and every backend follow redirects by hand and ask this before sending a token.

use url::Url;

/// Whether credentials meant for `from` may be sent to `to`: the same scheme, host and port
/// (an explicit port or the scheme's default). The crate's one origin check, used by every
/// backend and by the Hub source client.
pub fn same_origin(from: &Url, to: &Url) -> bool {
    from.origin() == to.origin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert!(same_origin(
            &url("https://r.io/v2/a"),
            &url("https://R.io:443/b")
        ));
        assert!(!same_origin(&url("https://r.io/a"), &url("http://r.io/a")));
        assert!(!same_origin(
            &url("https://r.io/a"),
            &url("https://r.io:8443/a")
        ));
        assert!(!same_origin(
            &url("https://r.io/a"),
            &url("https://cdn.r.io/a")
        ));
    }
}
