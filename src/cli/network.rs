//! The global `--timeout` and `--retries` flags (also `RUVLTRA_TIMEOUT`, `RUVLTRA_RETRIES`),
//! read once when the command line is parsed and applied to every HTTP client a command
//! builds: the Hub settings' limits and the push options.

use std::sync::OnceLock;
use std::time::Duration;

use clap::Args;

use crate::pipeline::PushOptions;
use crate::source::HubLimits;

/// How patient the command is with servers.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct NetworkArgs {
    /// Give up on a request after SECS seconds without an answer (default 120; uploads get
    /// more time for their bytes, downloads fail over after at most 30 s without a byte).
    #[arg(long, global = true, env = "RUVLTRA_TIMEOUT", value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: Option<u64>,
    /// Retries after a failed request (default 4 for pushes, 2 for Hub reads); 0 never
    /// retries.
    #[arg(long, global = true, env = "RUVLTRA_RETRIES", value_name = "N")]
    pub retries: Option<u32>,
}

static NETWORK: OnceLock<NetworkArgs> = OnceLock::new();

/// Remembers the parsed flags for this process (the first call wins).
pub(super) fn set(args: NetworkArgs) {
    let _ = NETWORK.set(args);
}

fn args() -> NetworkArgs {
    NETWORK.get().copied().unwrap_or_default()
}

/// The Hub source's limits with the flags applied.
pub fn hub_limits() -> HubLimits {
    let args = args();
    let mut limits = HubLimits::default();
    if let Some(secs) = args.timeout {
        let timeout = Duration::from_secs(secs);
        limits.timeout = timeout;
        limits.idle_timeout = limits.idle_timeout.min(timeout);
        limits.connect_timeout = limits.connect_timeout.min(timeout);
    }
    if let Some(retries) = args.retries {
        limits.retries = retries;
    }
    limits
}

/// The push options of the flags (the rest at their defaults).
pub fn push_options() -> PushOptions {
    let args = args();
    let mut options = PushOptions::default();
    if let Some(secs) = args.timeout {
        options.timeout = Duration::from_secs(secs);
    }
    if let Some(retries) = args.retries {
        options.retry.max_attempts = retries.saturating_add(1);
    }
    options
}
