//! Homelab Assistant's HTTP `/chat` fallback, drop-in compatible with the old Python gateway: its
//! clients keep sending `X-API-Key` and `{"message", "conversation_id"}` and keep reading
//! `{"message", "conversation_id", "tool_calls_made"}`.
//!
//! The crate depends only on `homelab-port` and `homelab-kit`: it turns requests into
//! [`homelab_port::Inbound`]s, hands them to a [`homelab_port::ChatHandler`], and sends every
//! request it turns away itself (unauthorized, rate-limited, malformed) to
//! [`homelab_port::ChatHandler::reject`], so every request that reaches `/chat` leaves exactly one
//! audit entry.
//!
//! Wiring: bind a [`tokio::net::TcpListener`] on [`Config::bind`], then
//! `run(config, handler, Some(renderer), listener, shutdown)`; it returns once `shutdown` has
//! completed and in-flight requests have finished (or [`Config::shutdown_grace`] ran out), after
//! which the caller flushes the audit log. [`app`] with [`AppState::new`] gives the bare router
//! for tests.
//!
//! The server is the default `sdk` feature. Without it only [`Config`] (the `[http]` section)
//! and [`Error`] are built, so the binary reads and checks the section either way: every other
//! module opens with `#![cfg(feature = "sdk")]`.
//!
//! Rate limiting: a request with a valid key spends its key's allowance; any other request (no
//! keys configured, a missing or wrong key) spends its client IP's. The client IP is the TCP peer;
//! forwarded-for headers are not trusted, so behind a reverse proxy all keyless clients share one
//! allowance.

mod config;
mod hooks;
mod routes;
mod server;
mod state;
mod web;

use std::sync::Arc;

pub use config::{ApiKey, Config, LEGACY_KEY_NAME, MIN_WEBHOOK_TOKEN_CHARS, WebhooksConfig};
pub use homelab_kit::RateLimit;
#[cfg(feature = "sdk")]
pub use hooks::MAX_HOOK_BODY_BYTES;
#[cfg(feature = "sdk")]
pub use routes::app;
#[cfg(feature = "sdk")]
pub use server::run;
#[cfg(feature = "sdk")]
pub use state::AppState;

/// Renders the process's metrics in the Prometheus text format; the binary owns the exporter.
pub type MetricsRenderer = Arc<dyn Fn() -> String + Send + Sync>;

/// Why the adapter could not start or keep serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Serving without a key beyond loopback would open the assistant to the network.
    #[error(
        "refusing to serve HTTP on {addr} without an API key: configure a key or bind to a loopback address"
    )]
    UnauthenticatedNonLoopback { addr: std::net::SocketAddr },
    /// A setting that cannot work.
    #[error("invalid HTTP configuration: {0}")]
    InvalidConfig(String),
    /// The listener's own address could not be read.
    #[error("could not read the HTTP listener's address")]
    LocalAddr(#[source] std::io::Error),
    /// The server stopped with an I/O error.
    #[error("the HTTP server failed")]
    Serve(#[source] std::io::Error),
}
