//! The Hugging Face Hub: settings, the token, the HTTP client, listings and ranged header
//! reads.

mod client;
mod download;
mod endpoint;
mod error;
mod listing;
mod range;
mod settings;

pub use client::{HubClient, HubLimits};
pub use download::Downloaded;
pub use endpoint::{DEFAULT_ENDPOINT, HubEndpoint};
pub use error::HubError;
pub use listing::{ModelInfo, RepoFile};
pub use range::RemoteHeader;
pub use settings::{HubSettings, TOKEN_VARS};
