//! The alert inbox: alerts that other systems send to the webhooks (Alertmanager, TrueNAS through
//! its Slack service, Uptime Kuma, anything that can post JSON) reach the notify chats with a
//! paragraph on what the read-only tools see now about what they name.
//!
//! - **Untrusted text**: an alert's title, message and labels come from outside. They are
//!   redacted like tool output, cut to a bounded length, and only ever shown: the paragraph is
//!   built from the offline router, which runs read-only tools and nothing else.
//! - **De-duplicated by fingerprint**: an alert that is already firing is not posted again; when
//!   it resolves, its firing message is edited (`Notice::replacing`) instead of a new one posted.
//! - **One audit entry per call**, written before anything is posted: a call whose entry cannot
//!   be written posts nothing.
//! - **One flood bound** with the alert watcher (the shared [`Notifier`]).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use homelab_port::{InboundAlert, Notice, ToolCall, WebhookCall, WebhookReceipt};
use tokio::time::Instant;

use super::notifier::Notifier;
use crate::tools::ToolRegistry;
use crate::tools::redact::redact_secrets;

/// How many firing alerts are remembered for de-duplication; the oldest is forgotten first.
const REMEMBERED_FIRING: usize = 1024;
/// Longest title and message shown, in characters; the rest is cut with an ellipsis.
const MAX_TITLE_CHARS: usize = 200;
const MAX_MESSAGE_CHARS: usize = 800;
/// Longest "now" paragraph, in characters.
const MAX_CONTEXT_CHARS: usize = 500;

/// An alert that was posted and has not resolved yet.
#[derive(Clone, Debug)]
struct Firing {
    key: String,
    severity: String,
    title: String,
    since: chrono::DateTime<chrono::Utc>,
}

/// What one call will post, decided before its audit entry is written.
#[derive(Debug, Default)]
pub struct Prepared {
    pub notices: Vec<Notice>,
    pub receipt: WebhookReceipt,
    /// The read-only tool calls made for the "now" paragraphs, for the audit entry.
    pub tool_calls: Vec<ToolCall>,
    /// The audit entry's `user_message`: the call's alerts, one line each.
    pub summary: String,
    firing: Vec<Firing>,
    resolved: Vec<String>,
}

/// The inbox: what is firing, and where notices go.
#[derive(Debug)]
pub struct AlertInbox {
    notifier: Arc<Notifier>,
    firing: Mutex<VecDeque<Firing>>,
}

impl AlertInbox {
    pub fn new(notifier: Arc<Notifier>) -> Self {
        Self {
            notifier,
            firing: Mutex::new(VecDeque::new()),
        }
    }

    /// Whether any chat takes notices: without one, a webhook call has nowhere to go.
    pub fn has_chats(&self) -> bool {
        self.notifier.chats() > 0
    }

    /// Reads a call's alerts and writes the notices they need: nothing is posted or remembered
    /// yet, so that the caller can write the audit entry first and then [`AlertInbox::post`].
    pub async fn prepare(&self, call: &WebhookCall, tools: &ToolRegistry) -> Prepared {
        let mut prepared = Prepared::default();
        let mut lines = Vec::new();
        let now = Instant::now();
        let mut planned = 0usize;
        for alert in &call.alerts {
            let alert = cleaned(alert);
            let key = format!("{}:{}", call.source, alert.fingerprint);
            let state = if alert.resolved { "resolved" } else { "firing" };
            lines.push(format!("[{state}] {}", alert.title));
            let known = self.firing_entry(&key);
            let already_planned =
                prepared.firing.iter().any(|f| f.key == key) || prepared.resolved.contains(&key);
            match (alert.resolved, known) {
                (false, Some(_)) => prepared.receipt.duplicates += 1,
                (false, None) if already_planned => prepared.receipt.duplicates += 1,
                // Nothing was told about it, so there is nothing to resolve.
                (true, None) => prepared.receipt.duplicates += 1,
                (true, Some(known)) => {
                    // Each post counts against the hour's bound, the watcher's posts included.
                    if !self.notifier.has_room_for(now, planned + 1) {
                        prepared.receipt.held += 1;
                        continue;
                    }
                    planned += 1;
                    let text = resolved_text(&call.source, &alert, &known);
                    prepared.notices.push(Notice::replacing(key.clone(), text));
                    prepared.resolved.push(key);
                    prepared.receipt.posted += 1;
                }
                (false, None) => {
                    if !self.notifier.has_room_for(now, planned + 1) {
                        prepared.receipt.held += 1;
                        continue;
                    }
                    planned += 1;
                    let (context, calls) = now_paragraph(&alert, tools).await;
                    prepared.tool_calls.extend(calls);
                    let text = firing_text(&call.source, &alert, context.as_deref());
                    prepared.notices.push(Notice::keyed(key.clone(), text));
                    prepared.firing.push(Firing {
                        key,
                        severity: alert.severity.clone(),
                        title: alert.title.clone(),
                        since: chrono::Utc::now(),
                    });
                    prepared.receipt.posted += 1;
                }
            }
        }
        prepared.summary = format!(
            "POST /hooks/{}: {} alert{}{}{}",
            call.source,
            call.alerts.len(),
            if call.alerts.len() == 1 { "" } else { "s" },
            if lines.is_empty() { "" } else { ": " },
            lines.join("; ")
        );
        prepared
    }

    /// Posts what [`AlertInbox::prepare`] decided, once its audit entry is written.
    pub fn post(&self, prepared: Prepared) {
        let now = Instant::now();
        {
            let mut firing = lock(&self.firing);
            firing.retain(|f| !prepared.resolved.contains(&f.key));
            for entry in prepared.firing {
                firing.retain(|f| f.key != entry.key);
                if firing.len() == REMEMBERED_FIRING {
                    firing.pop_front();
                }
                firing.push_back(entry);
            }
        }
        for notice in &prepared.notices {
            self.notifier.count(now);
            self.notifier.post(notice);
        }
    }

    fn firing_entry(&self, key: &str) -> Option<Firing> {
        lock(&self.firing).iter().find(|f| f.key == key).cloned()
    }
}

/// The alert with its texts redacted, single-spaced where they are one line, and bounded.
fn cleaned(alert: &InboundAlert) -> InboundAlert {
    let clean = |text: &str, max: usize| -> String {
        let redacted = redact_secrets(text);
        let visible: String = redacted
            .chars()
            .filter(|c| !c.is_control() || *c == '\n')
            .collect();
        homelab_kit::truncate_chars(visible.trim(), max).to_owned()
    };
    InboundAlert {
        fingerprint: alert.fingerprint.clone(),
        resolved: alert.resolved,
        severity: clean(&alert.severity.to_lowercase(), 20),
        title: clean(&alert.title.replace('\n', " "), MAX_TITLE_CHARS),
        message: clean(&alert.message, MAX_MESSAGE_CHARS),
        labels: alert
            .labels
            .iter()
            .map(|(k, v)| (clean(k, 64), clean(v, 200)))
            .collect(),
    }
}

/// The severity's mark and word: what Alertmanager, TrueNAS and Uptime Kuma call them.
fn severity_mark(severity: &str) -> (&'static str, &str) {
    match severity {
        "critical" | "crit" | "error" | "err" | "emergency" | "alert" | "high" | "page"
        | "down" => ("🔴", severity),
        "warning" | "warn" | "medium" | "degraded" => ("🟠", severity),
        "" => ("⚪", "alert"),
        other => ("🔵", other),
    }
}

fn firing_text(source: &str, alert: &InboundAlert, context: Option<&str>) -> String {
    let (mark, word) = severity_mark(&alert.severity);
    let mut text = format!("{mark} **{word}** · {source} — **{}**", alert.title);
    if !alert.message.is_empty() && alert.message != alert.title {
        text.push('\n');
        text.push_str(&alert.message);
    }
    if let Some(context) = context {
        text.push_str("\n**Now:** ");
        text.push_str(context);
    }
    text
}

fn resolved_text(source: &str, alert: &InboundAlert, firing: &Firing) -> String {
    let (_, was) = severity_mark(&firing.severity);
    let title = if firing.title.is_empty() {
        &alert.title
    } else {
        &firing.title
    };
    format!(
        "✅ **resolved** · {source} — **{title}** (was {was}, firing since {}; resolved {})",
        firing.since.format("%Y-%m-%d %H:%M UTC"),
        chrono::Utc::now().format("%H:%M UTC"),
    )
}

/// The question whose offline answer describes what the alert names now: a container, a pool
/// or a host from Alertmanager's labels, else the alert's title read by the router (it finds
/// container and pool names there), else the overview.
fn question_for(alert: &InboundAlert) -> String {
    let label = |names: &[&str]| {
        names
            .iter()
            .find_map(|name| alert.labels.get(*name).filter(|v| !v.is_empty()))
    };
    if let Some(container) = label(&["container", "container_name", "name"]) {
        return format!("status of {container}");
    }
    if let Some(pool) = label(&["pool", "zpool"]) {
        return format!("is pool {pool} healthy?");
    }
    if let Some(host) = label(&["instance", "host", "hostname", "node"]) {
        return format!("how is {host} doing?");
    }
    alert.title.clone()
}

/// One paragraph of what the tools see now, and the calls made for it.
async fn now_paragraph(
    alert: &InboundAlert,
    tools: &ToolRegistry,
) -> (Option<String>, Vec<ToolCall>) {
    let mut answer = crate::router::answer_question(&question_for(alert), &[], tools).await;
    if answer.tool_calls.is_empty() {
        answer = crate::router::answer_question("status", &[], tools).await;
    }
    let paragraph = answer
        .text
        .split("\n\n")
        .find(|p| !p.trim().is_empty())
        .map(|p| p.lines().map(str::trim).collect::<Vec<_>>().join(" "))
        .filter(|_| !answer.tool_calls.is_empty())
        .map(|p| homelab_kit::truncate_chars(&p, MAX_CONTEXT_CHARS).to_owned());
    (paragraph, answer.tool_calls)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
