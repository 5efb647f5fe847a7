//! Where the Hub is and who we are: the endpoint and the token, resolved once from the
//! environment by the command line and passed into the library as values.

use std::ffi::OsString;
use std::path::PathBuf;

use super::{HubEndpoint, HubLimits};
use crate::secret::Secret;
use crate::source::SourceError;

/// Token variables in the order the Hub's own clients try them.
pub const TOKEN_VARS: [&str; 3] = ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_API_KEY"];

/// The endpoint and the credentials for talking to the Hub.
#[derive(Debug, Clone, Default)]
pub struct HubSettings {
    /// The Hub's base URL.
    pub endpoint: HubEndpoint,
    /// The access token, if any.
    pub token: Option<Secret>,
    /// Where the token came from (a variable name or the token file's path), so a rejected
    /// token can be traced.
    pub token_source: Option<String>,
    /// The time limits and retries of a client made with [`HubClient::new`](super::HubClient::new)
    /// (the command line's `--timeout` and `--retries`). By default, [`HubLimits::default`].
    pub limits: HubLimits,
}

impl HubSettings {
    /// Resolves the settings the way the Hub's own clients do, reading variables through
    /// `var` (the command line passes `std::env::var_os`; tests pass a map):
    ///
    /// - endpoint: `HF_ENDPOINT`, else [`super::DEFAULT_ENDPOINT`];
    /// - token: the first non-empty of [`TOKEN_VARS`], else the file `HF_TOKEN_PATH`, else
    ///   `$HF_HOME/token` (`HF_HOME` defaults to `$XDG_CACHE_HOME/huggingface`, then
    ///   `~/.cache/huggingface`). A missing token file means no token.
    pub fn resolve(var: &dyn Fn(&str) -> Option<OsString>) -> Result<Self, SourceError> {
        let endpoint = match var("HF_ENDPOINT").filter(|value| !value.is_empty()) {
            Some(value) => HubEndpoint::parse(&value.to_string_lossy())?,
            None => HubEndpoint::default(),
        };
        for name in TOKEN_VARS {
            if let Some(token) =
                var(name).and_then(|value| Secret::non_empty(&value.to_string_lossy()))
            {
                return Ok(HubSettings {
                    endpoint,
                    token: Some(token),
                    token_source: Some(name.to_owned()),
                    ..HubSettings::default()
                });
            }
        }
        let Some(path) = token_file(var) else {
            return Ok(HubSettings {
                endpoint,
                ..HubSettings::default()
            });
        };
        let token = match std::fs::read_to_string(&path) {
            Ok(text) => Secret::non_empty(&text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(SourceError::TokenFile { path, source }),
        };
        Ok(HubSettings {
            endpoint,
            token_source: token.as_ref().map(|_| path.display().to_string()),
            token,
            ..HubSettings::default()
        })
    }
}

/// `HF_TOKEN_PATH`, else `$HF_HOME/token`, with the Hub clients' defaults for `HF_HOME`.
fn token_file(var: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let set = |name: &str| {
        var(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
    };
    if let Some(path) = set("HF_TOKEN_PATH") {
        return Some(path);
    }
    let home = set("HF_HOME")
        .or_else(|| set("XDG_CACHE_HOME").map(|cache| cache.join("huggingface")))
        .or_else(|| set("HOME").map(|home| home.join(".cache/huggingface")))?;
    Some(home.join("token"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::source::hub::DEFAULT_ENDPOINT;

    fn resolve(vars: &[(&str, &str)]) -> HubSettings {
        let map: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
            .collect();
        HubSettings::resolve(&|name| map.get(name).cloned()).unwrap()
    }

    #[test]
    fn endpoint_default_and_trailing_slash() {
        assert_eq!(resolve(&[]).endpoint.as_str(), DEFAULT_ENDPOINT);
        let settings = resolve(&[("HF_ENDPOINT", "http://127.0.0.1:9/")]);
        assert_eq!(settings.endpoint.as_str(), "http://127.0.0.1:9");
        assert_eq!(
            settings.endpoint.url("api/models/a/b").unwrap().as_str(),
            "http://127.0.0.1:9/api/models/a/b"
        );
    }

    #[test]
    fn bad_endpoint_is_an_error() {
        let map = HashMap::from([("HF_ENDPOINT", OsString::from("ftp://x"))]);
        let err = HubSettings::resolve(&|name| map.get(name).cloned()).unwrap_err();
        assert!(err.to_string().contains("ftp://x"), "{err}");
    }

    #[test]
    fn token_variables_in_order() {
        let settings = resolve(&[
            ("HUGGINGFACE_API_KEY", "hf_c"),
            ("HUGGING_FACE_HUB_TOKEN", "hf_b"),
            ("HF_TOKEN", ""),
        ]);
        assert_eq!(settings.token.unwrap().expose(), "hf_b");
        assert_eq!(
            settings.token_source.as_deref(),
            Some("HUGGING_FACE_HUB_TOKEN")
        );
    }

    #[test]
    fn token_file_under_hf_home() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("token"), "hf_file\n").unwrap();
        let settings = resolve(&[("HF_HOME", home.path().to_str().unwrap())]);
        assert_eq!(settings.token.unwrap().expose(), "hf_file");
        let none = resolve(&[("HOME", home.path().to_str().unwrap())]);
        assert!(none.token.is_none());
    }
}
