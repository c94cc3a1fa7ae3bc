//! What every adapter's config section shares with the binary's config: one problem type (so the
//! binary can collect an adapter's problems with its own and report them all at once), durations
//! written in whole seconds, and the check that a setting is an HTTP URL.

use std::fmt;

use crate::RateLimit;

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

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

/// What an adapter's `run` refuses to start with: its section's `problems` and those of the shared
/// rate limit it was given, as the one line its `InvalidConfig` error carries.
pub fn refuse_problems(
    mut problems: Vec<ConfigProblem>,
    rate_limit: RateLimit,
) -> Result<(), String> {
    problems.extend(rate_limit.problems("rate_limit"));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(describe_problems(&problems))
    }
}

/// Whether `url` names an HTTP endpoint; every base URL setting is checked with this, so they all
/// accept and refuse the same spellings.
pub fn is_http_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// A [`std::time::Duration`] written as whole seconds (`window_secs = 60`), for
/// `#[serde(with = "homelab_kit::whole_seconds")]`.
pub mod whole_seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(duration.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_secs)
    }
}
