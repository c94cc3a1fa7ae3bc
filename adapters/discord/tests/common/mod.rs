//! A `ChatHandler` test double that records every `handle` and `reject` call, so tests can prove
//! that each request left exactly one audit entry, plus the bot config the fake Discord expects.

#![allow(dead_code)] // each test binary uses a different part of it

pub mod fake;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use homelab_discord::{Config, RateLimit};
use homelab_port::{ChatError, ChatHandler, Inbound, Rejection, Reply};
use tokio::sync::Semaphore;

/// What the double answers.
#[derive(Clone, Copy, Debug)]
pub enum Behaviour {
    /// `echo: <text>`.
    Echo,
    /// An answer of about this many characters, in lines of 50.
    Long(usize),
    /// Fails with an internal error whose detail must never reach Discord.
    Fail,
    /// Echoes once `gate` gives a permit.
    Gated,
}

/// The detail of [`Behaviour::Fail`]'s error.
pub const SECRET_DETAIL: &str = "connection refused to /var/run/docker.sock with key sk-secret";

#[derive(Debug)]
pub struct Recorder {
    pub behaviour: Behaviour,
    pub handled: Mutex<Vec<Inbound>>,
    pub rejected: Mutex<Vec<(Inbound, Rejection)>>,
    pub names: Vec<String>,
    pub gate: Semaphore,
}

impl Recorder {
    pub fn new(behaviour: Behaviour) -> Arc<Self> {
        Arc::new(Self {
            behaviour,
            handled: Mutex::new(Vec::new()),
            rejected: Mutex::new(Vec::new()),
            names: ["plex", "pihole", "nextcloud", "jellyfin"]
                .map(String::from)
                .to_vec(),
            gate: Semaphore::new(0),
        })
    }

    pub fn handled(&self) -> Vec<Inbound> {
        self.handled.lock().unwrap().clone()
    }

    pub fn rejected(&self) -> Vec<(Inbound, Rejection)> {
        self.rejected.lock().unwrap().clone()
    }

    pub fn as_handler(self: &Arc<Self>) -> Arc<dyn ChatHandler> {
        Arc::clone(self) as Arc<dyn ChatHandler>
    }
}

/// The text [`Behaviour::Long`] answers with.
pub fn long_text(chars: usize) -> String {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < chars {
        text.push_str(&format!("{i:04} {}\n", "x".repeat(44)));
        i += 1;
    }
    text.trim_end().to_owned()
}

#[async_trait]
impl ChatHandler for Recorder {
    async fn handle(&self, inbound: Inbound) -> Result<Reply, ChatError> {
        self.handled.lock().unwrap().push(inbound.clone());
        let text = match self.behaviour {
            Behaviour::Echo => format!("echo: {}", inbound.text),
            Behaviour::Gated => {
                self.gate.acquire().await.expect("gate open").forget();
                format!("echo: {}", inbound.text)
            }
            Behaviour::Long(chars) => long_text(chars),
            Behaviour::Fail => return Err(ChatError::Internal(SECRET_DETAIL.into())),
        };
        Ok(Reply {
            text,
            conversation_id: inbound.conversation_id.unwrap_or_default(),
            refused: false,
            refusal_category: None,
            tool_calls: Vec::new(),
        })
    }

    async fn reject(&self, inbound: Inbound, rejection: Rejection) -> Result<(), ChatError> {
        self.rejected.lock().unwrap().push((inbound, rejection));
        Ok(())
    }

    async fn container_names(&self) -> Vec<String> {
        self.names.clone()
    }
}

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
