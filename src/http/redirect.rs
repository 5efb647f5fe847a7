//! Redirects followed by hand: each hop is a new request the caller builds, told whether the
//! hop's URL is on the origin its credentials belong to, so `Authorization` and cookies never
//! reach another scheme, host or port.

use reqwest::StatusCode;
use reqwest::blocking::Response;
use reqwest::header::LOCATION;
use url::Url;

use crate::origin::same_origin;

/// The answer at the end of the redirects.
#[derive(Debug)]
pub struct Followed {
    /// The final answer (not a redirect).
    pub response: Response,
    /// The URL it came from.
    pub url: Url,
    /// Whether any redirect was followed.
    pub redirected: bool,
}

/// Why following redirects stopped.
#[derive(Debug, thiserror::Error)]
pub enum RedirectError<E> {
    /// Sending one hop failed.
    #[error(transparent)]
    Send(E),
    /// A redirect without a usable `Location` (missing, not a URL, not http or https).
    #[error("{status} from {url} without a usable `Location` header")]
    BadLocation {
        /// The URL that redirected.
        url: String,
        /// Its status.
        status: StatusCode,
    },
    /// More hops than allowed.
    #[error("more than {limit} redirects, the last to {url}")]
    TooMany {
        /// The URL the last redirect pointed to.
        url: String,
        /// The limit.
        limit: u32,
    },
}

/// Whether `status` sends the client elsewhere (`304 Not Modified` does not).
pub fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Sends to `url` and follows at most `max_redirects` redirects. `send(hop_url,
/// credentials)` makes one request (with whatever retries the caller wants) and must add
/// credentials (`Authorization`, cookies) only when `credentials` is true: the hop is on
/// `credential_origin`'s origin.
pub fn follow_redirects<E>(
    url: &Url,
    credential_origin: &Url,
    max_redirects: u32,
    mut send: impl FnMut(&Url, bool) -> Result<Response, E>,
) -> Result<Followed, RedirectError<E>> {
    let mut current = url.clone();
    for hop in 0..=max_redirects {
        let response = send(&current, same_origin(credential_origin, &current))
            .map_err(RedirectError::Send)?;
        let status = response.status();
        if !is_redirect(status) {
            return Ok(Followed {
                response,
                url: current,
                redirected: hop > 0,
            });
        }
        current = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|location| current.join(location).ok())
            .filter(|next| matches!(next.scheme(), "http" | "https"))
            .ok_or_else(|| RedirectError::BadLocation {
                url: current.to_string(),
                status,
            })?;
    }
    Err(RedirectError::TooMany {
        url: current.to_string(),
        limit: max_redirects,
    })
}
