//! What every Homelab Assistant chat adapter needs besides its platform SDK, written once: the
//! call into the core (its own task, a timeout, a drain at shutdown, one safe text per failure),
//! the per-user rate limiter and its config, Markdown splitting for message size limits, UTF-8
//! truncation, and the secret type with its `*_file` reader shared with the core's config.
//!
//! `homelab-port` stays the bare contract; this crate is the toolbox built on it. Adapters depend
//! on both and on nothing of the core.

mod core;
mod in_flight;
mod rate_limit;
mod secret;
mod split;
mod task;
mod text;

pub use crate::core::{Core, HANDLER_TIMEOUT};
pub use in_flight::InFlight;
pub use rate_limit::{FORGET_IDLE_EVERY, KeyedLimiter, RateLimit, RateLimitError};
pub use secret::{Secret, resolve_secret_file};
pub use split::{EMPTY_ANSWER, Unit, split_markdown};
pub use task::{AbortOnDrop, every};
pub use text::{truncate_bytes, truncate_chars};

/// One problem with an adapter's settings: the key relative to the adapter's own section
/// (`rate_limit.requests`, `allowed_users`) and what is wrong with it. The core prefixes the key
/// with the section and adds where the value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    pub key: String,
    pub message: String,
}

impl ConfigProblem {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.key, self.message)
        }
    }
}

/// Joins problems into the one line an adapter's `InvalidConfig` error carries.
pub fn describe_problems(problems: &[ConfigProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
