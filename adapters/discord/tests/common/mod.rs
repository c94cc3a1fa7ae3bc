//! What the Discord adapter's tests add to `homelab-test-support`'s fake Discord and recorder: the
//! bot config the fake expects, and logging that explains a failed wire exchange.

#![allow(dead_code)] // each test binary uses a different part of it

use std::time::Duration;

use homelab_discord::{Config, RateLimit};
pub use homelab_test_support::discord as fake;
pub use homelab_test_support::recorder::{
    Behaviour, Recorder, SECRET_DETAIL, internal_failure, long_text,
};

/// A bot admitted in the fake's guild for [`fake::ALLOWED_USER`] only.
pub fn config(fake: &fake::FakeDiscord) -> Config {
    Config {
        api_base: Some(fake.base_url()),
        allowed_guilds: vec![fake::GUILD],
        allowed_users: vec![fake::ALLOWED_USER],
        rate_limit: RateLimit {
            requests: 30,
            window: Duration::from_secs(60),
        },
        ..Config::new(fake::TOKEN)
    }
}

/// Logs serenity's and the adapter's warnings into the test output, so a failing wire exchange
/// explains itself.
pub fn trace() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn,homelab_discord=debug".to_owned()),
        )
        .with_test_writer()
        .try_init();
}
