//! Homelab Assistant's Discord bot: slash commands (`/ask`, `/status`, `/containers`, `/container`,
//! `/logs`, `/disk`, `/alerts`, `/help`) and optional mention chat, over serenity + poise.
//!
//! The crate depends only on `homelab-port` and `homelab-kit`: it turns interactions and mentions
//! into [`homelab_port::Inbound`]s, hands them to a [`homelab_port::ChatHandler`], and sends every
//! request it turns away itself (outside the allow-lists, over the rate limit) to
//! [`homelab_port::ChatHandler::reject`], so every request leaves exactly one audit entry.
//!
//! Discord's rules it keeps: every interaction is acknowledged at once with a deferred response and
//! the answer is edited in afterwards; answers longer than 2,000 characters continue in follow-ups
//! split at line boundaries (code blocks closed and reopened), or arrive as `answer.txt` when they
//! would need more than four messages; errors show the core's safe `Display` text only; answers
//! never ping anyone.
//!
//! Wiring: the binary's `[discord]` section is a [`Config`]; hand it to `run(config, wiring)` with
//! a [`homelab_kit::Wiring`] (the core, alert notices, the stop signal); it returns once the stop
//! signal has completed and the gateway has closed. The binary must install a rustls
//! `CryptoProvider` before calling it when more than one is compiled in (serenity's reqwest brings
//! `ring`).
//!
//! The bot is the default `sdk` feature. Without it only [`Config`] (the `[discord]` section) and
//! [`Error`] are built, so the binary reads and checks the section either way: every other module
//! opens with `#![cfg(feature = "sdk")]`.

mod access;
mod bot;
mod commands;
mod config;
mod mention;
mod split;
mod state;

#[cfg(feature = "sdk")]
pub use bot::run;

/// How long [`run`] may take to return after the shutdown signal: the gateway's close, then the
/// answers still in flight.
#[cfg(feature = "sdk")]
pub const SHUTDOWN_GRACE: std::time::Duration =
    bot::GATEWAY_GRACE.saturating_add(bot::IN_FLIGHT_GRACE);
pub use config::Config;
pub use homelab_kit::RateLimit;
#[cfg(feature = "sdk")]
pub use split::{ATTACHMENT_NAME, MAX_MESSAGES, MESSAGE_LIMIT};

/// A failure from serenity, boxed so that serenity's types stay out of this crate's API.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why the bot could not start or keep running.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// With no allow-list, anyone who can reach the bot could query the server.
    #[error(
        "refusing to start the Discord bot without an allow-list: set allowed_guilds, \
         allowed_channels, allowed_users or allowed_roles"
    )]
    NoAllowList,
    /// Settings that cannot work; every problem is listed.
    #[error("invalid Discord configuration: {0}")]
    InvalidConfig(String),
    /// Discord (or the configured `api_base`) could not be reached, or refused the token.
    #[error("could not connect to Discord")]
    Connect(#[source] BoxError),
    /// The slash commands could not be registered.
    #[error("could not register the Discord slash commands")]
    Register(#[source] BoxError),
    /// The gateway connection failed for good.
    #[error("the Discord gateway connection failed")]
    Gateway(#[source] BoxError),
}
