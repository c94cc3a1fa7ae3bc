//! The adapter's own configuration as plain values, so this crate needs no config framework and the
//! binary converts its root config into it in one place.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use homelab_kit::{RateLimit, Secret};

use crate::Error;

/// How the HTTP adapter listens, authenticates and limits requests.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the binary bound the listener; checked again here so an unauthenticated API never
    /// listens beyond loopback.
    pub bind: SocketAddr,
    /// Accepted keys; empty means no authentication, which is allowed only on a loopback bind.
    pub api_keys: Vec<ApiKey>,
    /// Larger bodies are answered with 413.
    pub max_body_bytes: usize,
    /// Longer messages (in characters, not bytes) are answered with 422. The core enforces it, as it
    /// judges every message; the adapter only carries the setting.
    pub max_message_chars: usize,
    /// Requests per window, per API key (or per client IP when there is no valid key).
    pub rate_limit: RateLimit,
    /// Serve `/metrics` without a key to non-loopback clients too.
    pub metrics_public: bool,
    /// Web origins (`https://dash.example.org`) whose pages may call `/chat` from a browser;
    /// pages of any other origin are refused.
    pub allowed_origins: Vec<String>,
    /// How long in-flight requests may take to finish after the shutdown signal.
    pub shutdown_grace: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8000),
            api_keys: Vec::new(),
            max_body_bytes: 16 * 1024,
            max_message_chars: 4000,
            rate_limit: RateLimit::default(),
            metrics_public: false,
            allowed_origins: Vec::new(),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// Rejects settings that would make the adapter misbehave rather than fail at start; every
    /// problem is reported, not just the first.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let mut problems = Vec::new();
        problems.extend(
            self.rate_limit
                .problems("rate_limit")
                .iter()
                .map(ToString::to_string),
        );
        if self.max_body_bytes == 0 {
            problems.push("max_body_bytes must be at least 1".to_owned());
        }
        if self.max_message_chars == 0 {
            problems.push("max_message_chars must be at least 1".to_owned());
        }
        for (index, key) in self.api_keys.iter().enumerate() {
            if key.name.trim().is_empty() {
                problems.push(format!("api_keys[{index}] has an empty name"));
            }
            // An empty key would match a request that sends an empty `X-API-Key` header.
            if key.key.expose().is_empty() {
                problems.push(format!("api key `{}` is empty", key.name));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidConfig(problems.join("; ")))
        }
    }
}

/// One accepted API key; its name is the audit `user_id` of the requests that present it.
#[derive(Clone, Debug)]
pub struct ApiKey {
    pub name: String,
    pub key: Secret,
}

impl ApiKey {
    pub fn new(name: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            key: Secret::new(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_old_gateway() {
        let config = Config::default();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8000");
        assert_eq!(config.max_body_bytes, 16 * 1024);
        assert_eq!(config.max_message_chars, 4000);
        assert_eq!(config.rate_limit.requests, 60);
        assert_eq!(config.rate_limit.window, Duration::from_secs(60));
        assert!(config.validate().is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let config = Config {
            api_keys: vec![ApiKey::new("", "k"), ApiKey::new("ops", "")],
            rate_limit: RateLimit {
                requests: 0,
                window: Duration::ZERO,
            },
            ..Config::default()
        };
        let message = config.validate().unwrap_err().to_string();
        for expected in [
            "rate_limit.requests",
            "rate_limit.window",
            "api_keys[0] has an empty name",
            "api key `ops` is empty",
        ] {
            assert!(
                message.contains(expected),
                "{expected} missing in {message}"
            );
        }
    }
}
