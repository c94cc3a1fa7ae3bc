//! What the HTTP adapter's test binaries share besides `homelab-test-support`'s recorder: the
//! keys, the config and the router state built on it.

#![allow(dead_code)] // each test binary uses a different part of it

use std::sync::Arc;
use std::time::Duration;

use homelab_http::{ApiKey, AppState, Config, MetricsRenderer};
use homelab_kit::Secret;
use homelab_port::ChatHandler;
pub use homelab_test_support::recorder::{Behaviour, Recorder};

pub const KEY: &str = "k-0123456789abcdef";
pub const OTHER_KEY: &str = "k-fedcba9876543210";

/// One legacy key (named `default`) and one named key, default limits.
pub fn config() -> Config {
    Config {
        api_key: Some(Secret::new(KEY)),
        api_keys: vec![ApiKey::new("grafana", OTHER_KEY)],
        ..Config::default()
    }
}

pub fn state(
    config: &Config,
    handler: &Arc<Recorder>,
    metrics: Option<MetricsRenderer>,
) -> AppState {
    AppState::new(config, Arc::clone(handler) as Arc<dyn ChatHandler>, metrics).unwrap()
}

pub const SHORT: Duration = Duration::from_secs(5);
