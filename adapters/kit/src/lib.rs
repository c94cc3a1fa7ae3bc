//! What every Homelab Assistant chat adapter needs besides its platform SDK, written once: the
//! call into the core (its own task, a timeout, a drain at shutdown, one safe text per failure),
//! the inputs of a bot's run, the per-user rate limiter and its config, Markdown splitting for
//! message size limits, the one loop that posts notices and edits them when resolved, UTF-8
//! truncation and a stable text hash, the secret type with its `*_file` reader, and what every
//! adapter's config section shares with the binary's config (the problem type, whole-second
//! durations, the URL check).
//!
//! `homelab-port` stays the bare contract; this crate is the toolbox built on it. Adapters depend
//! on both and on nothing of the core.

mod core;
mod in_flight;
mod posted;
mod rate_limit;
mod secret;
mod settings;
mod split;
mod task;
mod text;
mod wiring;

pub use crate::core::{Core, HANDLER_TIMEOUT};
pub use in_flight::InFlight;
pub use posted::{NoticeBoard, post_notices};
pub use rate_limit::{FORGET_IDLE_EVERY, KeyedLimiter, RateLimit, RateLimitError};
pub use secret::{Secret, resolve_secret_file, resolve_secret_files};
pub use settings::{ConfigProblem, describe_problems, is_http_url, refuse_problems, whole_seconds};
pub use split::{EMPTY_ANSWER, Unit, split_markdown};
pub use task::{AbortOnDrop, every};
pub use text::{fnv1a, truncate_bytes, truncate_chars};
pub use wiring::{Shutdown, Wiring};
