//! Registry authentication: credentials as values, `WWW-Authenticate` challenges (Basic or a
//! Bearer token service), and the `auths` of a Docker `config.json`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::secret::Secret;

/// A user name and password (or personal access token) for a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password or token; never printed.
    pub password: Secret,
}

impl Credentials {
    /// The `Basic` authorization value.
    pub fn basic_header(&self) -> Secret {
        Secret::new(format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", self.username, self.password.expose()))
        ))
    }
}

/// What a registry's `WWW-Authenticate` header asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// Send the credentials with `Basic`.
    Basic,
    /// Fetch a token from `realm` (with `service` and `scope`) and send it with `Bearer`.
    Bearer {
        /// The token service's URL.
        realm: String,
        /// The `service` parameter, if given.
        service: Option<String>,
        /// The `scope` parameter, if given.
        scope: Option<String>,
    },
}

/// Parses a `WWW-Authenticate` value such as
/// `Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull"`.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, params) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut realm = None;
    let mut service = None;
    let mut scope = None;
    for (key, value) in auth_params(params) {
        match key.to_ascii_lowercase().as_str() {
            "realm" => realm = Some(value),
            "service" => service = Some(value),
            "scope" => scope = Some(value),
            _ => {}
        }
    }
    Some(Challenge::Bearer {
        realm: realm?,
        service,
        scope,
    })
}

/// `key="value"` pairs separated by commas; commas inside quotes (scopes list actions with
/// commas) stay in the value.
fn auth_params(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key.trim().trim_start_matches(',').trim().to_string();
        let after = after.trim_start();
        let (value, remainder) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (quoted[..end].to_string(), &quoted[end + 1..]),
                None => (quoted.to_string(), ""),
            }
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        pairs.push((key, value));
        rest = remainder.trim_start().trim_start_matches(',').trim_start();
    }
    pairs
}

/// The credentials for `registry` (`host[:port]`) in the text of a Docker `config.json`:
/// `auths.<registry>.auth` (base64 `user:password`) or `username`/`password`. Keys may carry
/// a scheme (`https://host`); a missing entry or bad JSON gives `None`.
pub fn credentials_from_docker_config(config_json: &str, registry: &str) -> Option<Credentials> {
    let config: serde_json::Value = serde_json::from_str(config_json).ok()?;
    let auths = config.get("auths")?.as_object()?;
    let entry = auths.iter().find_map(|(key, value)| {
        let host = key
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        host.eq_ignore_ascii_case(registry).then_some(value)
    })?;
    if let Some(auth) = entry
        .get("auth")
        .and_then(|v| v.as_str())
        .filter(|a| !a.is_empty())
    {
        let decoded = String::from_utf8(STANDARD.decode(auth.trim()).ok()?).ok()?;
        let (username, password) = decoded.split_once(':')?;
        return Some(Credentials {
            username: username.to_string(),
            password: Secret::new(password),
        });
    }
    let username = entry.get("username")?.as_str()?;
    let password = entry.get("password")?.as_str()?;
    Some(Credentials {
        username: username.to_string(),
        password: Secret::new(password),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenge_with_commas_in_scope() {
        let challenge = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:ruv/ruvltra:pull,push""#,
        );
        assert_eq!(
            challenge,
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("registry.example".into()),
                scope: Some("repository:ruv/ruvltra:pull,push".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="x""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge(r#"Bearer service="x""#), None);
    }

    #[test]
    fn docker_config_auths() {
        let config = r#"{"auths":{"https://127.0.0.1:5000":{"auth":"dXNlcjpwYTpzcw=="},"other:1":{"username":"u","password":"p"}}}"#;
        let creds = credentials_from_docker_config(config, "127.0.0.1:5000").unwrap();
        assert_eq!(creds.username, "user");
        assert_eq!(creds.password.expose(), "pa:ss");
        assert_eq!(
            credentials_from_docker_config(config, "other:1")
                .unwrap()
                .password
                .expose(),
            "p"
        );
        assert_eq!(credentials_from_docker_config(config, "nowhere"), None);
        assert_eq!(credentials_from_docker_config("not json", "other:1"), None);
        assert!(!format!("{creds:?}").contains("pa:ss"));
    }
}
