//! Homelab Assistant's Matrix bot: answers questions and `!commands` in allowed rooms and in DMs
//! with allowed users, including end-to-end encrypted rooms, over matrix-sdk.
//!
//! The crate depends only on `homelab-port` and `homelab-kit`: it turns room messages into
//! [`homelab_port::Inbound`]s, hands them to a [`homelab_port::ChatHandler`], and sends every
//! request it turns away itself (not on the allow-lists, over the rate limit, a misused command) to
//! [`homelab_port::ChatHandler::reject`], so every request that addresses the bot leaves exactly
//! one audit entry.
//!
//! Wiring: the binary's `[matrix]` section is a [`Config`]; hand it to `run(config, wiring)` with a
//! [`homelab_kit::Wiring`] (the core, alert notices, the stop signal); it returns once the stop
//! signal has completed and in-flight answers have finished (or [`SHUTDOWN_GRACE`] ran out).
//! matrix-sdk uses rustls with aws-lc-rs: a binary that also links rustls with ring must install a
//! process-wide `CryptoProvider` before calling [`run`].
//!
//! Persistence: `store_path` holds `session.json` (user, device and access token, mode 0600)
//! and matrix-sdk's sqlite state and crypto stores, encrypted with `store_passphrase` when one is
//! set. A restart restores that session and device (and its keys) instead of logging in again.
//!
//! The bot is the default `sdk` feature. Without it only [`Config`] (the `[matrix]` section) and
//! [`Error`] are built, so the binary reads and checks the section either way: every other module
//! opens with `#![cfg(feature = "sdk")]`.

mod access;
mod bot;
mod config;
mod parse;
mod session;

#[cfg(feature = "sdk")]
pub use bot::run;
pub use config::Config;
pub use homelab_kit::RateLimit;

/// How long in-flight answers may take to be sent after the shutdown signal.
#[cfg(feature = "sdk")]
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Why the bot could not start or keep running. Messages name what to fix and never contain a
/// secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration cannot work; every problem is listed.
    #[error("invalid matrix config: {0}")]
    InvalidConfig(String),
    /// The store directory or `session.json` could not be read or written.
    #[error("matrix store {path}: {message}")]
    Store { path: String, message: String },
    /// Logging in or restoring the session failed.
    #[error("matrix login failed: {0}")]
    Login(String),
    /// The homeserver refused the stored session (logged out, token revoked). Its device keys are
    /// gone from the server, so the store cannot be reused.
    #[error(
        "the stored matrix session in {path} is no longer valid; move that directory away to \
         log in as a new device"
    )]
    SessionRevoked { path: String },
    /// Talking to the homeserver failed for good. The source is matrix-sdk's error, boxed so
    /// that this crate's API does not pin a matrix-sdk version on its callers.
    #[error("matrix {context}: {source}")]
    Matrix {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

#[cfg(feature = "sdk")]
impl Error {
    fn matrix(context: &'static str, source: impl Into<matrix_sdk::Error>) -> Self {
        Error::Matrix {
            context,
            source: Box::new(source.into()),
        }
    }
}
