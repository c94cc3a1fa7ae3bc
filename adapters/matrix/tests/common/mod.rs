//! What the Matrix adapter's tests add to the Synapse helpers of `homelab-test-support`: the
//! bot's config for a test account, and a bot started and stopped on demand.

#![allow(dead_code)] // each test uses a different part of it

use std::sync::Arc;
use std::time::Duration;

use homelab_kit::{Secret, Wiring};
use homelab_matrix::{Config, Error, RateLimit};
pub use homelab_test_support::recorder::{Behaviour, Recorder, long_answer};
pub use homelab_test_support::synapse::*;
use matrix_sdk::ruma::UserId;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// The adapter's config for a test bot account.
pub trait BotConfig {
    /// A password login that admits `allowed_users` everywhere.
    fn config(&self, allowed_users: &[&UserId]) -> Config;
}

impl BotConfig for BotAccount {
    fn config(&self, allowed_users: &[&UserId]) -> Config {
        Config {
            homeserver: Some(self.homeserver.clone()),
            user: Some(self.account.localpart.clone()),
            password: Some(Secret::from(self.account.password.clone())),
            device_name: "homelab test bot".into(),
            store_path: Some(self.store_path()),
            // The store's key derivation takes seconds in a debug build; the restart test sets one.
            store_passphrase: None,
            allowed_users: allowed_users.iter().map(|u| u.to_string()).collect(),
            rate_limit: RateLimit {
                requests: 100,
                window: Duration::from_secs(60),
            },
            ..Config::default()
        }
    }
}

/// A running bot; `stop` shuts it down and returns what `run` returned.
pub struct RunningBot {
    pub handler: Arc<Recorder>,
    pub notices: mpsc::Sender<homelab_port::Notice>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), Error>>>,
}

impl RunningBot {
    pub fn start(config: Config) -> Self {
        // RUST_LOG=homelab_matrix=debug shows what the bot did when a test fails.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .try_init();
        let handler = Recorder::new(Behaviour::ByText);
        let (notices, notices_rx) = mpsc::channel(8);
        let (shutdown, shutdown_rx) = oneshot::channel::<()>();
        let wiring = Wiring::new(handler.clone(), Some(notices_rx), async move {
            let _ = shutdown_rx.await;
        });
        let task = tokio::spawn(homelab_matrix::run(config, wiring));
        Self {
            handler,
            notices,
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) -> Result<(), Error> {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let task = self.task.take().expect("running");
        tokio::time::timeout(PATIENCE, task)
            .await
            .expect("the bot stops in time")
            .expect("the bot task did not panic")
    }

    /// Fails the test at once if the bot has already stopped with an error.
    pub fn assert_running(&self) {
        if let Some(task) = &self.task {
            assert!(!task.is_finished(), "the bot stopped early");
        }
    }
}

impl Drop for RunningBot {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
