//! The Hugging Face Hub: settings, the token, the HTTP client, listings and ranged header
//! reads.

mod client;
mod error;
mod listing;
mod range;
mod settings;

pub use client::{HubClient, HubLimits};
pub use error::HubError;
pub use listing::{ModelInfo, RepoFile};
pub use range::RemoteHeader;
pub use settings::{DEFAULT_ENDPOINT, Endpoint, HubSettings, TOKEN_VARS};
