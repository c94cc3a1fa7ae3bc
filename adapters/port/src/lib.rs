//! The contract between Homelab Assistant's chat adapters and its core, kept in a crate of its own
//! so that adapters and core can both depend on it without depending on each other.
//!
//! An adapter turns a platform event into an [`Inbound`], hands it to a [`ChatHandler`] and renders
//! the [`Reply`] in the platform's own idiom. Requests an adapter turns away itself (not on the
//! allow-list, rate-limited) still go to [`ChatHandler::reject`] so that every request is audited.

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Where a request came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Platform {
    /// The terminal: `ask` and `chat`.
    Cli,
    /// The HTTP `/chat` fallback.
    Http,
    /// Discord slash commands and mentions.
    Discord,
    /// Matrix room chat.
    Matrix,
    /// The alert watcher posting on its own behalf.
    Notify,
    /// Alerts other systems send in: Alertmanager, TrueNAS (its Slack service), Uptime Kuma.
    Webhook,
}

impl Platform {
    /// The lowercase name used in audit entries and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Cli => "cli",
            Platform::Http => "http",
            Platform::Discord => "discord",
            Platform::Matrix => "matrix",
            Platform::Notify => "notify",
            Platform::Webhook => "webhook",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who asked, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub platform: Platform,
    /// A stable id of the asker on its platform (Discord snowflake, MXID, API key name, local user).
    pub user_id: String,
    /// The channel, room or thread the request came from, where the platform has one.
    pub channel_id: Option<String>,
    /// A human-friendly name, for replies only; never used to authorize.
    pub display_name: Option<String>,
}

impl Origin {
    pub fn new(platform: Platform, user_id: impl Into<String>) -> Self {
        Self {
            platform,
            user_id: user_id.into(),
            channel_id: None,
            display_name: None,
        }
    }

    pub fn with_channel(mut self, channel_id: impl Into<String>) -> Self {
        self.channel_id = Some(channel_id.into());
        self
    }

    pub fn with_display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = Some(display_name.into());
        self
    }
}

/// A request the adapter already understood, so the core can answer it without an LLM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Command {
    /// Overall health of the host.
    Status,
    /// Containers, running ones unless `all`.
    Containers { all: bool },
    /// One container's state and health.
    Container { name: String },
    /// A container's recent log lines.
    Logs {
        name: String,
        lines: Option<u32>,
        since: Option<String>,
    },
    /// Filesystem usage.
    Disk,
    /// Current alerts.
    Alerts,
    /// ZFS pools and storage health.
    Pools,
    /// The daily digest, now: the last 24 hours in one message.
    Digest,
    /// A chart of a metric (`cpu`, `memory`, `load`, `network`, `disk`, `containers`,
    /// `container plex`) over a span (`1h`, `6h` by default, at most `24h`).
    Graph {
        metric: String,
        span: Option<String>,
    },
    /// What the assistant can answer.
    Help,
}

impl Command {
    /// How the command reads as a question, for the audit log and conversation memory.
    pub fn as_question(&self) -> String {
        match self {
            Command::Status => "/status".to_owned(),
            Command::Containers { all: false } => "/containers".to_owned(),
            Command::Containers { all: true } => "/containers all".to_owned(),
            Command::Container { name } => format!("/container {name}"),
            Command::Logs { name, lines, since } => {
                let mut text = format!("/logs {name}");
                if let Some(lines) = lines {
                    text.push_str(&format!(" lines={lines}"));
                }
                if let Some(since) = since {
                    text.push_str(&format!(" since={since}"));
                }
                text
            }
            Command::Disk => "/disk".to_owned(),
            Command::Alerts => "/alerts".to_owned(),
            Command::Pools => "/pools".to_owned(),
            Command::Digest => "/digest".to_owned(),
            Command::Graph { metric, span } => match span {
                Some(span) => format!("/graph {metric} {span}"),
                None => format!("/graph {metric}"),
            },
            Command::Help => "/help".to_owned(),
        }
    }
}

/// One request handed to the core.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inbound {
    pub origin: Origin,
    /// The user's words; for a [`Command`] its textual form.
    pub text: String,
    /// Continue this conversation; a new id is made when absent.
    pub conversation_id: Option<String>,
    /// Set when the adapter parsed a direct command.
    pub command: Option<Command>,
}

impl Inbound {
    /// A free-form question.
    pub fn question(origin: Origin, text: impl Into<String>) -> Self {
        Self {
            origin,
            text: text.into(),
            conversation_id: None,
            command: None,
        }
    }

    /// A direct command, answered without an LLM.
    pub fn command(origin: Origin, command: Command) -> Self {
        Self {
            origin,
            text: command.as_question(),
            conversation_id: None,
            command: Some(command),
        }
    }

    pub fn in_conversation(mut self, conversation_id: Option<String>) -> Self {
        self.conversation_id = conversation_id;
        self
    }
}

/// One tool call made while answering, as reported to the asker and the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub name: String,
    pub arguments: serde_json::Value,
    pub ok: bool,
    pub duration_ms: u64,
    /// Why the call failed or was rejected; safe to show (no internals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The call was refused before running: unknown tool or invalid arguments.
    #[serde(default, skip_serializing_if = "is_false")]
    pub rejected: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The core's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// Markdown text for the asker.
    pub text: String,
    pub conversation_id: String,
    /// True when the request asked for a change and was declined.
    pub refused: bool,
    /// What kind of change was declined, e.g. `container_lifecycle`.
    pub refusal_category: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    /// Calls made to a language model for this answer: 0 for commands, refusals and offline
    /// answers.
    #[serde(default)]
    pub llm_calls: u32,
    /// Files that go with the text (a chart's PNG); adapters attach or upload them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A file that goes with a reply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// `cpu-6h.png`: a plain name, no path.
    pub filename: String,
    /// `image/png`.
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// Pixels, for clients that lay an image out before it loads (Matrix `m.image`).
    pub width: u32,
    pub height: u32,
}

impl Reply {
    /// Names of the tools that ran, in order.
    pub fn tool_calls_made(&self) -> Vec<&str> {
        self.tool_calls.iter().map(|c| c.name.as_str()).collect()
    }

    /// The machine-readable shape shared by `ask --json` and HTTP `/chat`.
    pub fn to_wire(&self) -> WireReply<'_> {
        WireReply {
            message: &self.text,
            conversation_id: &self.conversation_id,
            refused: self.refused,
            refusal_category: self.refusal_category.as_deref(),
            tool_calls_made: self.tool_calls_made(),
            tool_calls: self
                .tool_calls
                .iter()
                .map(|c| WireToolCall {
                    name: &c.name,
                    arguments: &c.arguments,
                    ok: c.ok,
                    rejected: c.rejected,
                    duration_ms: c.duration_ms,
                })
                .collect(),
            llm_calls: self.llm_calls,
        }
    }
}

/// The JSON reply of `ask --json` and HTTP `/chat`. Fields may be added, never renamed or removed:
/// clients of the old gateway read `message`, `conversation_id` and `tool_calls_made`.
#[derive(Debug, Serialize)]
pub struct WireReply<'a> {
    pub message: &'a str,
    pub conversation_id: &'a str,
    pub refused: bool,
    pub refusal_category: Option<&'a str>,
    pub tool_calls_made: Vec<&'a str>,
    pub tool_calls: Vec<WireToolCall<'a>>,
    pub llm_calls: u32,
}

/// One tool call inside a [`WireReply`].
#[derive(Debug, Serialize)]
pub struct WireToolCall<'a> {
    pub name: &'a str,
    pub arguments: &'a serde_json::Value,
    pub ok: bool,
    /// Refused before running (unknown tool, invalid arguments).
    pub rejected: bool,
    pub duration_ms: u64,
}

/// What became of a request: the `outcome` of its audit entry and the label of the adapters'
/// request metrics. Serialised in snake_case (`rate_limited`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The core answered.
    Answered,
    /// The request asked for a change and was declined.
    Refused,
    /// The core failed while answering.
    Error,
    /// The request itself was unacceptable (malformed, empty, a misused command).
    Invalid,
    /// The request body was larger than the adapter accepts.
    TooLarge,
    /// Over the rate limit.
    RateLimited,
    /// Not on an allow-list, a missing or wrong key, or refused for where it came from.
    Unauthorized,
    /// A dependency (the LLM, the audit log) was down or too slow: a metrics label, and the
    /// audit outcome of a webhook call that had no chat to post to.
    Unavailable,
    /// Turned away for where it came from (a foreign `Host`, another web origin); metrics only,
    /// audited as [`Outcome::Unauthorized`].
    Forbidden,
}

impl Outcome {
    /// The snake_case name, as in audit entries and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Refused => "refused",
            Outcome::Error => "error",
            Outcome::Invalid => "invalid",
            Outcome::TooLarge => "too_large",
            Outcome::RateLimited => "rate_limited",
            Outcome::Unauthorized => "unauthorized",
            Outcome::Unavailable => "unavailable",
            Outcome::Forbidden => "forbidden",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an adapter turned a request away before it reached the core.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// Not on an allow-list, or a missing/wrong API key.
    Unauthorized,
    /// Over the rate limit; may retry after this many seconds.
    RateLimited { retry_after_secs: u64 },
    /// The request itself was unacceptable (malformed, a misused command).
    Invalid { reason: String },
    /// The request body was larger than the adapter accepts.
    TooLarge { reason: String },
    /// Turned away for where it came from rather than who sent it: a foreign `Host` on a keyless
    /// server, or a web page of another origin. Audited as unauthorized, with the reason.
    Forbidden { reason: String },
}

impl Rejection {
    /// The audit `outcome` for this rejection.
    pub fn outcome(&self) -> Outcome {
        match self {
            Rejection::Unauthorized | Rejection::Forbidden { .. } => Outcome::Unauthorized,
            Rejection::RateLimited { .. } => Outcome::RateLimited,
            Rejection::Invalid { .. } => Outcome::Invalid,
            Rejection::TooLarge { .. } => Outcome::TooLarge,
        }
    }

    /// A short text for the asker.
    pub fn user_message(&self) -> String {
        match self {
            Rejection::Unauthorized => "You are not authorized to use this assistant.".to_owned(),
            Rejection::RateLimited { retry_after_secs } => {
                format!("Too many requests; try again in {retry_after_secs} s.")
            }
            Rejection::Invalid { reason }
            | Rejection::TooLarge { reason }
            | Rejection::Forbidden { reason } => reason.clone(),
        }
    }
}

/// Why the core could not answer. `Display` is safe to show to the asker; the details held by
/// some variants are for logs only.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChatError {
    /// The request was unacceptable; the text says why and is safe to show.
    #[error("{0}")]
    InvalidInput(String),
    /// A dependency the answer needs is down; the detail is for logs only.
    #[error("The assistant cannot answer right now; please try again later.")]
    Unavailable(String),
    /// The audit log could not be written, so the request was not answered (fail closed).
    #[error("The request could not be recorded in the audit log, so it was not answered.")]
    AuditFailed(String),
    /// Anything else; the detail is for logs only.
    #[error("Something went wrong while answering; the error was logged.")]
    Internal(String),
}

impl ChatError {
    /// The internal detail for logs; never show it to the asker.
    pub fn detail(&self) -> &str {
        match self {
            ChatError::InvalidInput(text) => text,
            ChatError::Unavailable(detail)
            | ChatError::AuditFailed(detail)
            | ChatError::Internal(detail) => detail,
        }
    }
}

/// A message the server posts on its own to the notify channels and rooms: an alert, a digest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Notice {
    /// Markdown.
    pub text: String,
    /// Notices with the same key are about one thing (an alert's fingerprint). The first posts a
    /// message; a later one with `replace` edits that message instead of posting another, when
    /// the chat still knows it (else it is posted).
    pub key: Option<String>,
    pub replace: bool,
}

impl Notice {
    /// A notice about `key` that edits the message its first notice posted.
    pub fn replacing(key: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            key: Some(key.into()),
            replace: true,
        }
    }

    /// The first notice about `key`.
    pub fn keyed(key: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            key: Some(key.into()),
            replace: false,
        }
    }
}

impl From<String> for Notice {
    fn from(text: String) -> Self {
        Self {
            text,
            ..Self::default()
        }
    }
}

impl From<&str> for Notice {
    fn from(text: &str) -> Self {
        text.to_owned().into()
    }
}

/// One alert another system sent to a webhook, read from its payload. Every text in it is
/// untrusted input: the core redacts it and never acts on it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundAlert {
    /// Stable across the alert's firing and resolved calls: Alertmanager's fingerprint, or one
    /// made from the alert's identifying text.
    pub fingerprint: String,
    pub resolved: bool,
    /// As sent (`critical`, `warning`, `info`…), lower case; empty when the payload has none.
    pub severity: String,
    pub title: String,
    pub message: String,
    /// Alertmanager's labels (`instance`, `container`, `pool`…); empty for other shapes.
    pub labels: std::collections::BTreeMap<String, String>,
}

/// One webhook call: who sent it (`alertmanager`, `slack`, `generic`) and its alerts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebhookCall {
    pub source: String,
    pub alerts: Vec<InboundAlert>,
}

/// What the core did with a webhook call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookReceipt {
    /// Notices handed to the chats (a resolved alert's edit counts).
    pub posted: usize,
    /// Alerts already told (the same fingerprint, still firing).
    pub duplicates: usize,
    /// Alerts held back by the notices' hourly flood bound.
    pub held: usize,
}

/// What every adapter talks to. Implemented by the core's orchestrator and by test doubles.
#[async_trait]
pub trait ChatHandler: Send + Sync {
    /// Answer one request. Every call leaves exactly one audit entry.
    async fn handle(&self, inbound: Inbound) -> Result<Reply, ChatError>;

    /// Record a request the adapter turned away itself; nothing is answered or run.
    async fn reject(&self, inbound: Inbound, rejection: Rejection) -> Result<(), ChatError>;

    /// Names of known containers, for autocomplete; empty when unknown.
    async fn container_names(&self) -> Vec<String> {
        Vec::new()
    }

    /// Takes alerts another system sent in and tells the notify chats. Every call leaves
    /// exactly one audit entry, the notices it caused included.
    async fn webhook(&self, call: WebhookCall) -> Result<WebhookReceipt, ChatError> {
        let _ = call;
        Err(ChatError::Unavailable(
            "this core takes no webhooks".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_reply_keeps_the_old_gateway_fields() {
        let reply = Reply {
            text: "CPU is at 12 %".into(),
            conversation_id: "c1".into(),
            refused: false,
            refusal_category: None,
            llm_calls: 0,
            attachments: Vec::new(),
            tool_calls: vec![ToolCall {
                name: "cpu_usage".into(),
                arguments: serde_json::json!({}),
                ok: true,
                duration_ms: 0,
                error: None,
                rejected: false,
            }],
        };
        let json = serde_json::to_value(reply.to_wire()).unwrap();
        assert_eq!(json["message"], "CPU is at 12 %");
        assert_eq!(json["conversation_id"], "c1");
        assert_eq!(json["refused"], false);
        assert_eq!(json["tool_calls_made"], serde_json::json!(["cpu_usage"]));
        assert_eq!(json["tool_calls"][0]["name"], "cpu_usage");
        assert_eq!(json["tool_calls"][0]["ok"], true);
        assert_eq!(json["tool_calls"][0]["arguments"], serde_json::json!({}));
    }

    #[test]
    fn commands_read_as_questions() {
        let logs = Command::Logs {
            name: "plex".into(),
            lines: Some(20),
            since: Some("1h".into()),
        };
        assert_eq!(logs.as_question(), "/logs plex lines=20 since=1h");
        let inbound = Inbound::command(Origin::new(Platform::Discord, "42"), logs.clone());
        assert_eq!(inbound.command, Some(logs));
        assert_eq!(inbound.text, "/logs plex lines=20 since=1h");
    }

    #[test]
    fn outcomes_keep_their_audit_names() {
        for (outcome, name) in [
            (Outcome::Answered, "answered"),
            (Outcome::Refused, "refused"),
            (Outcome::Error, "error"),
            (Outcome::Invalid, "invalid"),
            (Outcome::TooLarge, "too_large"),
            (Outcome::RateLimited, "rate_limited"),
            (Outcome::Unauthorized, "unauthorized"),
            (Outcome::Unavailable, "unavailable"),
            (Outcome::Forbidden, "forbidden"),
        ] {
            assert_eq!(outcome.as_str(), name);
            assert_eq!(serde_json::to_value(outcome).unwrap(), name);
        }
        let forbidden = Rejection::Forbidden {
            reason: "foreign host".into(),
        };
        assert_eq!(forbidden.outcome(), Outcome::Unauthorized);
        let too_large = Rejection::TooLarge {
            reason: "at most 16384 bytes".into(),
        };
        assert_eq!(too_large.outcome(), Outcome::TooLarge);
    }

    #[test]
    fn errors_never_show_their_detail() {
        let err = ChatError::Internal("stack trace with a key sk-123".into());
        assert!(!err.to_string().contains("sk-123"));
        assert_eq!(err.detail(), "stack trace with a key sk-123");
    }
}
