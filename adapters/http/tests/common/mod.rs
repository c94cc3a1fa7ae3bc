//! A `ChatHandler` test double that records every `handle` and `reject` call, so tests can prove
//! that each request left exactly one audit entry, plus helpers shared by the test binaries.

#![allow(dead_code)] // each test binary uses a different part of it

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use homelab_http::{ApiKey, AppState, Config, MetricsRenderer};
use homelab_port::{ChatError, ChatHandler, Inbound, Rejection, Reply, ToolCall};
use tokio::sync::{Notify, Semaphore};

pub const KEY: &str = "k-0123456789abcdef";
pub const OTHER_KEY: &str = "k-fedcba9876543210";

/// What the double does when asked.
#[derive(Clone, Copy, Debug)]
pub enum Behaviour {
    /// Answers `echo: <text>` with one tool call.
    Echo,
    /// Fails with the error made by this function.
    Fail(fn() -> ChatError),
    /// Answers, but `reject` fails as if the audit log were down.
    AuditDown,
    /// Never answers.
    Hang,
    /// Waits for a permit from `gate` before answering.
    Gated,
}

#[derive(Debug)]
pub struct Recorder {
    pub behaviour: Behaviour,
    pub handled: Mutex<Vec<Inbound>>,
    pub rejected: Mutex<Vec<(Inbound, Rejection)>>,
    /// Released once per gated answer.
    pub gate: Semaphore,
    /// Notified when `handle` starts.
    pub started: Notify,
}

impl Recorder {
    pub fn new(behaviour: Behaviour) -> Arc<Self> {
        Arc::new(Self {
            behaviour,
            handled: Mutex::new(Vec::new()),
            rejected: Mutex::new(Vec::new()),
            gate: Semaphore::new(0),
            started: Notify::new(),
        })
    }

    pub fn handled(&self) -> Vec<Inbound> {
        self.handled.lock().unwrap().clone()
    }

    pub fn rejected(&self) -> Vec<(Inbound, Rejection)> {
        self.rejected.lock().unwrap().clone()
    }

    /// Audit entries the core would have written.
    pub fn audit_entries(&self) -> usize {
        self.handled.lock().unwrap().len() + self.rejected.lock().unwrap().len()
    }
}

#[async_trait]
impl ChatHandler for Recorder {
    async fn handle(&self, inbound: Inbound) -> Result<Reply, ChatError> {
        self.handled.lock().unwrap().push(inbound.clone());
        self.started.notify_one();
        match self.behaviour {
            Behaviour::Echo | Behaviour::AuditDown => {}
            Behaviour::Fail(make) => return Err(make()),
            Behaviour::Hang => std::future::pending::<()>().await,
            Behaviour::Gated => {
                let permit = self.gate.acquire().await.expect("gate open");
                permit.forget();
            }
        }
        Ok(Reply {
            text: format!("echo: {}", inbound.text),
            conversation_id: inbound
                .conversation_id
                .unwrap_or_else(|| "conv-new".to_owned()),
            refused: false,
            refusal_category: None,
            // Built from JSON so that fields the port crate adds later (with serde defaults) do
            // not break this double.
            tool_calls: vec![
                serde_json::from_value::<ToolCall>(serde_json::json!({
                    "name": "cpu_usage",
                    "arguments": {},
                    "ok": true,
                    "duration_ms": 3,
                }))
                .expect("a valid tool call"),
            ],
        })
    }

    async fn reject(&self, inbound: Inbound, rejection: Rejection) -> Result<(), ChatError> {
        if let Behaviour::AuditDown = self.behaviour {
            return Err(ChatError::AuditFailed(
                "disk full at /var/log/secret-path".into(),
            ));
        }
        self.rejected.lock().unwrap().push((inbound, rejection));
        Ok(())
    }
}

/// One named key and one legacy key, default limits.
pub fn config() -> Config {
    Config {
        api_keys: vec![
            ApiKey::new("default", KEY),
            ApiKey::new("grafana", OTHER_KEY),
        ],
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
