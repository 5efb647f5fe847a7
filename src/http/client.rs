//! Building HTTP clients, and the time limits and retry counts they work within.

use std::time::Duration;

use reqwest::blocking::{Client, ClientBuilder};

use super::retry::RetryPolicy;

/// How long requests may take and how often they are tried: the settings the command line's
/// `--timeout` and `--retries` change. By default: 30 s to connect, 120 s for a request
/// without a body to send, and [`RetryPolicy::default`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpSettings {
    /// Time allowed to connect.
    pub connect_timeout: Duration,
    /// Time allowed for one request that sends no body, from connecting to the answer's last
    /// byte; a request that sends a body gets this plus the time its bytes take at 256 KiB/s
    /// ([`HttpSettings::transfer_timeout`]).
    pub timeout: Duration,
    /// How often and how patiently to retry.
    pub retry: RetryPolicy,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(30),
            timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
        }
    }
}

impl HttpSettings {
    /// A whole-request time limit for sending or receiving `bytes`: [`HttpSettings::timeout`]
    /// plus the time the bytes take at 256 KiB/s, so a stalled server is given up on but a
    /// slow link is not.
    pub fn transfer_timeout(&self, bytes: u64) -> Duration {
        self.timeout
            .saturating_add(Duration::from_secs(bytes / (256 * 1024)))
    }
}

/// The one place that builds an HTTP client: rustls (the only TLS the crate is built with),
/// the crate's [`USER_AGENT`](crate::USER_AGENT), no cookie store, and redirects never
/// followed automatically (see [`super::redirect`]), so headers are under our control on
/// every hop. `read_timeout` bounds each wait for an answer and each read of its body when a
/// request sets no limit of its own; `None` leaves it to each request.
pub fn build_client(
    connect_timeout: Duration,
    read_timeout: Option<Duration>,
) -> Result<Client, reqwest::Error> {
    builder(connect_timeout, read_timeout).build()
}

/// A client for a server this program started on 127.0.0.1 (a `llama-server` it checks
/// templates with): as [`build_client`], but never through a proxy from the environment,
/// which could not reach the local port.
pub fn build_local_client(timeout: Duration) -> Result<Client, reqwest::Error> {
    builder(timeout, Some(timeout)).no_proxy().build()
}

fn builder(connect_timeout: Duration, read_timeout: Option<Duration>) -> ClientBuilder {
    Client::builder()
        .use_rustls_tls()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .timeout(read_timeout)
        .user_agent(crate::USER_AGENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_grow_with_size() {
        let settings = HttpSettings::default();
        assert_eq!(settings.transfer_timeout(0), Duration::from_secs(120));
        assert_eq!(
            settings.transfer_timeout(1 << 30),
            Duration::from_secs(120 + 4096)
        );
    }
}
