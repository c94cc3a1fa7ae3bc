//! A `ChatHandler` that stands in for the core in the adapters' tests: it records every `handle`
//! and `reject` call, so a test can prove that each request left exactly one audit entry, and
//! answers, fails, waits or hangs as the test asks.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use homelab_port::{ChatError, ChatHandler, Inbound, Rejection, Reply, ToolCall};
use tokio::sync::{Notify, Semaphore};

/// A failure's detail that must never reach a chat: the adapters show the error's safe text only.
pub const SECRET_DETAIL: &str = "connection refused to /var/run/docker.sock with key sk-secret";

/// What the double does when asked.
#[derive(Clone, Copy, Debug)]
pub enum Behaviour {
    /// Answers `echo: <text>` with one `cpu_usage` tool call.
    Echo,
    /// Answers by the question, in Markdown, so a rendering shows: `answer to <text>: **ok**`;
    /// [`long_answer`] to a question with "long answer" in it; fails with [`SECRET_DETAIL`] on
    /// one with "break" in it.
    ByText,
    /// Answers [`long_text`] of about this many characters.
    Long(usize),
    /// Fails with the error made by this function.
    Fail(fn() -> ChatError),
    /// Answers, but `reject` fails as if the audit log were down.
    AuditDown,
    /// Never answers.
    Hang,
    /// Echoes (with the tool call) once `gate` gives a permit.
    Gated,
}

/// The error [`Behaviour::Fail`] makes for a core that broke with a detail to hide.
pub fn internal_failure() -> ChatError {
    ChatError::Internal(SECRET_DETAIL.to_owned())
}

#[derive(Debug)]
pub struct Recorder {
    pub behaviour: Behaviour,
    pub handled: Mutex<Vec<Inbound>>,
    pub rejected: Mutex<Vec<(Inbound, Rejection)>>,
    /// The container names the core offers for autocomplete.
    pub names: Vec<String>,
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
            names: ["plex", "pihole", "nextcloud", "jellyfin"]
                .map(String::from)
                .to_vec(),
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

    pub fn as_handler(self: &Arc<Self>) -> Arc<dyn ChatHandler> {
        Arc::clone(self) as Arc<dyn ChatHandler>
    }
}

/// The text [`Behaviour::Long`] answers with: numbered lines of 50 characters.
pub fn long_text(chars: usize) -> String {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < chars {
        text.push_str(&format!("{i:04} {}\n", "x".repeat(44)));
        i += 1;
    }
    text.trim_end().to_owned()
}

/// About 33 KB of Markdown paragraphs, far more than one Matrix message should carry.
pub fn long_answer() -> String {
    (0..60)
        .map(|i| format!("Paragraph {i}: {}", "word ".repeat(100).trim_end()))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[async_trait]
impl ChatHandler for Recorder {
    async fn handle(&self, inbound: Inbound) -> Result<Reply, ChatError> {
        self.handled.lock().unwrap().push(inbound.clone());
        self.started.notify_one();
        let text = match self.behaviour {
            Behaviour::Echo | Behaviour::AuditDown => format!("echo: {}", inbound.text),
            Behaviour::ByText if inbound.text.contains("break") => {
                return Err(internal_failure());
            }
            Behaviour::ByText if inbound.text.contains("long answer") => long_answer(),
            Behaviour::ByText => format!("answer to {}: **ok**", inbound.text),
            Behaviour::Long(chars) => long_text(chars),
            Behaviour::Fail(make) => return Err(make()),
            Behaviour::Hang => std::future::pending().await,
            Behaviour::Gated => {
                self.gate.acquire().await.expect("gate open").forget();
                format!("echo: {}", inbound.text)
            }
        };
        let echoed = matches!(
            self.behaviour,
            Behaviour::Echo | Behaviour::AuditDown | Behaviour::Gated
        );
        let tool_calls = if echoed {
            // Built from JSON so that fields the port crate adds later (with serde defaults) do
            // not break this double.
            vec![
                serde_json::from_value::<ToolCall>(serde_json::json!({
                    "name": "cpu_usage",
                    "arguments": {},
                    "ok": true,
                    "duration_ms": 3,
                }))
                .expect("a valid tool call"),
            ]
        } else {
            Vec::new()
        };
        Ok(Reply {
            text,
            conversation_id: inbound
                .conversation_id
                .unwrap_or_else(|| "conv-new".to_owned()),
            refused: false,
            refusal_category: None,
            tool_calls,
            llm_calls: 0,
            attachments: Vec::new(),
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

    async fn container_names(&self) -> Vec<String> {
        self.names.clone()
    }
}
