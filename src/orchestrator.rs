//! The core every adapter talks to: checks the request against the read-only policy, answers it
//! through a direct command, the LLM or the offline answerer, keeps the conversation, and writes
//! exactly one audit entry, whatever happens.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use homelab_port::{ChatError, ChatHandler, Command, Inbound, Rejection, Reply, ToolCall};
use serde_json::{Value, json};

use crate::audit::{AuditEntry, AuditSink, Outcome};
use crate::conversation::{ConversationStore, Turn};
use crate::llm::offline::{HELP_TEXT, Intent, answer_intents};
use crate::llm::{AnswerRequest, LlmProvider, LlmUsage};
use crate::policy;
use crate::tools::ToolRegistry;

/// Longest message the core accepts from any adapter, in characters. Adapters may be stricter.
pub const MAX_MESSAGE_CHARS: usize = 16_000;
/// Longest conversation id accepted from a client.
const MAX_CONVERSATION_ID_CHARS: usize = 128;

/// What the orchestrator is made of.
pub struct Orchestrator {
    tools: Arc<ToolRegistry>,
    provider: Arc<dyn LlmProvider>,
    conversations: ConversationStore,
    audit: Arc<dyn AuditSink>,
}

impl std::fmt::Debug for Orchestrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Orchestrator")
            .field("provider", &self.provider.name())
            .field("tools", &self.tools)
            .field("audit", &self.audit.location())
            .finish()
    }
}

/// The answer before it is audited.
#[derive(Default)]
struct Answered {
    text: String,
    refused: bool,
    refusal_category: Option<String>,
    tool_calls: Vec<ToolCall>,
    llm: Option<LlmUsage>,
    model_answer: Option<String>,
}

impl Orchestrator {
    pub fn new(
        tools: Arc<ToolRegistry>,
        provider: Arc<dyn LlmProvider>,
        conversations: ConversationStore,
        audit: Arc<dyn AuditSink>,
    ) -> Self {
        Self {
            tools,
            provider,
            conversations,
            audit,
        }
    }

    pub fn tools(&self) -> &ToolRegistry {
        &self.tools
    }

    pub fn provider_name(&self) -> &str {
        self.provider.name()
    }

    pub fn audit(&self) -> &Arc<dyn AuditSink> {
        &self.audit
    }

    async fn answer(&self, inbound: &Inbound, history: &[Turn]) -> Result<Answered, ChatError> {
        if let Some(command) = &inbound.command {
            return Ok(self.run_command(command).await);
        }
        let question = inbound.text.trim();
        let previous_refusal = history.last().and_then(|turn| turn.refusal);
        if let Some(refusal) = policy::classify_follow_up(question, previous_refusal)
            .or_else(|| policy::classify(question))
        {
            return Ok(Answered {
                text: refusal.message(),
                refused: true,
                refusal_category: Some(refusal.category.as_str().to_owned()),
                ..Answered::default()
            });
        }
        let answer = self
            .provider
            .answer(AnswerRequest {
                question,
                history,
                tools: &self.tools,
            })
            .await
            .map_err(|e| ChatError::Unavailable(e.to_string()))?;
        Ok(Answered {
            text: answer.text,
            refused: answer.refusal_category.is_some(),
            refusal_category: answer.refusal_category,
            tool_calls: answer.tool_calls,
            llm: answer.llm,
            model_answer: answer.model_answer,
        })
    }

    /// Direct commands: the adapter already knows what is wanted, so no LLM is involved.
    async fn run_command(&self, command: &Command) -> Answered {
        let (tool, arguments, intent): (&str, Value, Intent) = match command {
            Command::Help => {
                return Answered {
                    text: HELP_TEXT.to_owned(),
                    ..Answered::default()
                };
            }
            Command::Status => ("system_overview", json!({}), Intent::Overview),
            Command::Disk => ("disk_usage", json!({}), Intent::Disk),
            Command::Alerts => ("active_alerts", json!({}), Intent::Alerts),
            Command::Containers { all } => {
                ("list_containers", json!({"all": all}), Intent::Containers)
            }
            Command::Container { name } => (
                "container_details",
                json!({"name": name}),
                Intent::Containers,
            ),
            Command::Logs { name, lines, since } => {
                let mut arguments = json!({"name": name});
                if let Some(lines) = lines {
                    arguments["lines"] = json!(lines);
                }
                if let Some(since) = since {
                    arguments["since"] = json!(since);
                }
                ("container_logs", arguments, Intent::Logs)
            }
            _ => {
                return Answered {
                    text: format!("This command is not supported.\n\n{HELP_TEXT}"),
                    ..Answered::default()
                };
            }
        };
        if !self.tools.contains(tool) {
            // Same explanation as the offline answerer gives for a missing tool.
            let answer = answer_intents(&command.as_question(), &[intent], &self.tools).await;
            return Answered {
                text: answer.text,
                tool_calls: answer.tool_calls,
                ..Answered::default()
            };
        }
        let outcome = self.tools.call(tool, arguments).await;
        let text = match &outcome.result {
            Ok(output) => output.text.trim().to_owned(),
            Err(error) => format!("I couldn't answer that: {error}."),
        };
        Answered {
            text,
            tool_calls: vec![outcome.record],
            ..Answered::default()
        }
    }

    fn write_audit(&self, entry: &AuditEntry) -> Result<(), ChatError> {
        record_metrics(entry);
        self.audit.record(entry).map_err(|e| {
            tracing::error!("{e}");
            ChatError::AuditFailed(e.to_string())
        })
    }
}

/// Prometheus figures for one request, from its audit entry so the two always agree.
fn record_metrics(entry: &AuditEntry) {
    let outcome = serde_json::to_value(entry.outcome)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    metrics::counter!(
        "homelab_requests_total",
        "platform" => entry.platform.clone(),
        "outcome" => outcome
    )
    .increment(1);
    metrics::histogram!("homelab_request_duration_seconds", "platform" => entry.platform.clone())
        .record(entry.latency_ms as f64 / 1000.0);
    for call in &entry.tool_calls {
        let result = if call.ok {
            "ok"
        } else if call.rejected {
            "rejected"
        } else {
            "error"
        };
        metrics::counter!("homelab_tool_calls_total", "tool" => call.name.clone(), "result" => result)
            .increment(1);
    }
    if let Some(category) = &entry.refusal_category {
        metrics::counter!("homelab_refusals_total", "category" => category.clone()).increment(1);
    }
    if let Some(llm) = &entry.llm {
        let provider = llm.provider.clone();
        metrics::counter!("homelab_llm_rounds_total", "provider" => provider.clone())
            .increment(u64::from(llm.rounds));
        metrics::counter!("homelab_llm_tokens_total", "provider" => provider.clone(), "kind" => "prompt")
            .increment(llm.prompt_tokens);
        metrics::counter!("homelab_llm_tokens_total", "provider" => provider.clone(), "kind" => "completion")
            .increment(llm.completion_tokens);
        if llm.degraded {
            metrics::counter!("homelab_llm_unavailable_total", "provider" => provider).increment(1);
        }
    }
}

fn conversation_id(given: Option<&str>) -> Result<String, ChatError> {
    match given.map(str::trim).filter(|id| !id.is_empty()) {
        None => Ok(uuid::Uuid::new_v4().to_string()),
        Some(id) if id.chars().count() > MAX_CONVERSATION_ID_CHARS => Err(ChatError::InvalidInput(
            format!("conversation_id is longer than {MAX_CONVERSATION_ID_CHARS} characters"),
        )),
        Some(id) if id.chars().any(char::is_control) => Err(ChatError::InvalidInput(
            "conversation_id contains control characters".to_owned(),
        )),
        Some(id) => Ok(id.to_owned()),
    }
}

fn millis_since(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[async_trait]
impl ChatHandler for Orchestrator {
    async fn handle(&self, inbound: Inbound) -> Result<Reply, ChatError> {
        let started = Instant::now();
        let mut entry = AuditEntry::new(&inbound.origin, &inbound.text, Outcome::Answered);
        let checked = conversation_id(inbound.conversation_id.as_deref()).and_then(|id| {
            let text = inbound.text.trim();
            if inbound.command.is_none() && text.is_empty() {
                Err(ChatError::InvalidInput("The message is empty.".to_owned()))
            } else if text.chars().count() > MAX_MESSAGE_CHARS {
                Err(ChatError::InvalidInput(format!(
                    "The message is longer than {MAX_MESSAGE_CHARS} characters."
                )))
            } else {
                Ok(id)
            }
        });
        let id = match checked {
            Ok(id) => id,
            Err(error) => {
                entry.outcome = Outcome::Invalid;
                entry.assistant_response = error.to_string();
                entry.latency_ms = millis_since(started);
                self.write_audit(&entry)?;
                return Err(error);
            }
        };
        entry.conversation_id = Some(id.clone());
        let history = self.conversations.history(&id);
        let answered = match self.answer(&inbound, &history).await {
            Ok(answered) => answered,
            Err(error) => {
                tracing::warn!(conversation_id = %id, "request failed: {}", error.detail());
                entry.outcome = Outcome::Error;
                entry.assistant_response = error.to_string();
                entry.latency_ms = millis_since(started);
                self.write_audit(&entry)?;
                return Err(error);
            }
        };
        self.conversations.record(
            &id,
            Turn {
                question: inbound.text.trim().to_owned(),
                answer: answered.text.clone(),
                refusal: answered
                    .refusal_category
                    .as_deref()
                    .and_then(policy::Category::parse),
            },
        );
        entry.outcome = if answered.refused {
            Outcome::Refused
        } else {
            Outcome::Answered
        };
        entry.assistant_response = answered.text.clone();
        entry.refused = answered.refused;
        entry.refusal_category = answered.refusal_category.clone();
        entry.tool_calls = answered.tool_calls.clone();
        entry.llm = answered.llm;
        entry.model_answer = answered.model_answer;
        entry.latency_ms = millis_since(started);
        self.write_audit(&entry)?;
        Ok(Reply {
            text: answered.text,
            conversation_id: id,
            refused: answered.refused,
            refusal_category: answered.refusal_category,
            tool_calls: answered.tool_calls,
        })
    }

    /// For autocomplete: a read of the container list, not a request, so it is not audited.
    async fn container_names(&self) -> Vec<String> {
        if !self.tools.contains("list_containers") {
            return Vec::new();
        }
        let outcome = self
            .tools
            .call("list_containers", json!({"all": true}))
            .await;
        let Ok(output) = outcome.result else {
            return Vec::new();
        };
        let mut names: Vec<String> = output.data["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["name"].as_str().map(str::to_owned))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    async fn reject(&self, inbound: Inbound, rejection: Rejection) -> Result<(), ChatError> {
        let outcome = match rejection {
            Rejection::Unauthorized => Outcome::Unauthorized,
            Rejection::RateLimited { .. } => Outcome::RateLimited,
            _ => Outcome::Invalid,
        };
        let mut entry = AuditEntry::new(&inbound.origin, &inbound.text, outcome);
        entry.conversation_id = inbound.conversation_id.clone();
        entry.assistant_response = rejection.user_message();
        self.write_audit(&entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditError;
    use crate::config::ConversationConfig;
    use crate::llm::offline::OfflineAnswerer;
    use crate::llm::{Answer, LlmError};
    use crate::tools::sampler::Sampler;
    use crate::tools::system;
    use crate::tools::system::tests::sample_snapshot;
    use homelab_port::{Origin, Platform};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::time::Duration;

    #[derive(Default)]
    struct MemoryAudit {
        entries: Mutex<Vec<AuditEntry>>,
        broken: AtomicBool,
    }

    impl AuditSink for MemoryAudit {
        fn record(&self, entry: &AuditEntry) -> Result<(), AuditError> {
            if self.broken.load(Ordering::SeqCst) {
                return Err(AuditError::Write {
                    path: "/broken".into(),
                    source: std::io::Error::other("disk full"),
                });
            }
            self.entries.lock().unwrap().push(entry.clone());
            Ok(())
        }
        fn location(&self) -> String {
            "memory".into()
        }
    }

    /// Counts calls, so tests can prove the provider never ran.
    #[derive(Default)]
    struct CountingProvider {
        calls: AtomicUsize,
        fail: bool,
    }

    #[async_trait]
    impl LlmProvider for CountingProvider {
        fn name(&self) -> &str {
            "counting"
        }
        async fn answer(&self, request: AnswerRequest<'_>) -> Result<Answer, LlmError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if self.fail {
                return Err(LlmError::Unreachable(
                    "connection refused to 10.0.0.1".into(),
                ));
            }
            Ok(Answer {
                text: format!("history={}", request.history.len()),
                ..Answer::default()
            })
        }
    }

    fn tools() -> Arc<ToolRegistry> {
        let mut registry = ToolRegistry::new(Duration::from_secs(5));
        for tool in system::tools(&Sampler::fixed(sample_snapshot())) {
            registry.register(tool);
        }
        Arc::new(registry)
    }

    fn orchestrator(provider: Arc<dyn LlmProvider>) -> (Orchestrator, Arc<MemoryAudit>) {
        let audit = Arc::new(MemoryAudit::default());
        let orchestrator = Orchestrator::new(
            tools(),
            provider,
            ConversationStore::new(&ConversationConfig::default()),
            audit.clone(),
        );
        (orchestrator, audit)
    }

    fn ask(text: &str) -> Inbound {
        Inbound::question(Origin::new(Platform::Cli, "alice"), text)
    }

    #[tokio::test]
    async fn answers_are_audited_once() {
        let (orchestrator, audit) = orchestrator(Arc::new(OfflineAnswerer));
        let reply = orchestrator
            .handle(ask("What is the CPU usage?"))
            .await
            .unwrap();
        assert!(!reply.refused);
        assert_eq!(reply.tool_calls_made(), vec!["cpu_usage"]);
        assert!(uuid::Uuid::parse_str(&reply.conversation_id).is_ok());
        let entries = audit.entries.lock().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].outcome, Outcome::Answered);
        assert_eq!(entries[0].tool_calls.len(), 1);
        assert_eq!(
            entries[0].conversation_id.as_deref(),
            Some(reply.conversation_id.as_str())
        );
    }

    #[tokio::test]
    async fn refusals_run_nothing() {
        let provider = Arc::new(CountingProvider::default());
        let (orchestrator, audit) = orchestrator(provider.clone());
        let reply = orchestrator.handle(ask("restart plex")).await.unwrap();
        assert!(reply.refused);
        assert_eq!(
            reply.refusal_category.as_deref(),
            Some("container_lifecycle")
        );
        assert!(reply.tool_calls.is_empty());
        assert!(reply.text.contains("read-only"));
        assert_eq!(provider.calls.load(Ordering::SeqCst), 0);
        let entries = audit.entries.lock().unwrap();
        assert_eq!(entries[0].outcome, Outcome::Refused);
        assert!(entries[0].refused);
    }

    #[tokio::test]
    async fn conversations_keep_their_history() {
        let (orchestrator, _) = orchestrator(Arc::new(CountingProvider::default()));
        let first = orchestrator.handle(ask("hello there")).await.unwrap();
        assert_eq!(first.text, "history=0");
        let second = orchestrator
            .handle(ask("and again").in_conversation(Some(first.conversation_id.clone())))
            .await
            .unwrap();
        assert_eq!(second.conversation_id, first.conversation_id);
        assert_eq!(second.text, "history=1");
    }

    #[tokio::test]
    async fn bad_input_is_refused_and_audited() {
        let (orchestrator, audit) = orchestrator(Arc::new(OfflineAnswerer));
        for inbound in [
            ask("   "),
            ask(&"x".repeat(MAX_MESSAGE_CHARS + 1)),
            ask("cpu").in_conversation(Some("c".repeat(200))),
            ask("cpu").in_conversation(Some("bad\u{7}id".into())),
        ] {
            let error = orchestrator.handle(inbound).await.unwrap_err();
            assert!(matches!(error, ChatError::InvalidInput(_)), "{error:?}");
        }
        let entries = audit.entries.lock().unwrap();
        assert_eq!(entries.len(), 4);
        assert!(entries.iter().all(|e| e.outcome == Outcome::Invalid));
    }

    #[tokio::test]
    async fn a_failing_provider_is_a_clear_error_without_internals() {
        let provider = Arc::new(CountingProvider {
            fail: true,
            ..CountingProvider::default()
        });
        let (orchestrator, audit) = orchestrator(provider);
        let error = orchestrator
            .handle(ask("how are things"))
            .await
            .unwrap_err();
        assert!(!error.to_string().contains("10.0.0.1"));
        assert_eq!(audit.entries.lock().unwrap()[0].outcome, Outcome::Error);
    }

    #[tokio::test]
    async fn an_unwritable_audit_log_fails_the_request() {
        let (orchestrator, audit) = orchestrator(Arc::new(OfflineAnswerer));
        audit.broken.store(true, Ordering::SeqCst);
        let error = orchestrator.handle(ask("cpu")).await.unwrap_err();
        assert!(matches!(error, ChatError::AuditFailed(_)));
    }

    #[tokio::test]
    async fn direct_commands_skip_the_provider() {
        let provider = Arc::new(CountingProvider::default());
        let (orchestrator, audit) = orchestrator(provider.clone());
        let origin = Origin::new(Platform::Discord, "42");
        let reply = orchestrator
            .handle(Inbound::command(origin.clone(), Command::Status))
            .await
            .unwrap();
        assert_eq!(reply.tool_calls_made(), vec!["system_overview"]);
        let reply = orchestrator
            .handle(Inbound::command(origin.clone(), Command::Disk))
            .await
            .unwrap();
        assert!(reply.text.contains("/mnt/tank"));
        let reply = orchestrator
            .handle(Inbound::command(origin, Command::Containers { all: true }))
            .await
            .unwrap();
        assert!(reply.text.contains("can't see Docker"));
        assert_eq!(provider.calls.load(Ordering::SeqCst), 0);
        assert_eq!(audit.entries.lock().unwrap()[0].user_message, "/status");
    }

    struct FakeContainers;

    #[async_trait]
    impl crate::tools::Tool for FakeContainers {
        fn name(&self) -> &'static str {
            "list_containers"
        }
        fn description(&self) -> &'static str {
            "fake"
        }
        fn parameters(&self) -> Value {
            json!({"type": "object", "properties": {}})
        }
        async fn run(
            &self,
            arguments: Value,
        ) -> Result<crate::tools::ToolOutput, crate::tools::ToolError> {
            assert_eq!(arguments, json!({"all": true}));
            Ok(crate::tools::ToolOutput {
                data: json!({"containers": [{"name": "sonarr"}, {"name": "plex"}, {"name": "plex"}]}),
                text: String::new(),
            })
        }
    }

    #[tokio::test]
    async fn container_names_come_from_the_container_list_unaudited() {
        let (orchestrator, audit) = orchestrator(Arc::new(OfflineAnswerer));
        assert!(orchestrator.container_names().await.is_empty());
        let mut registry = ToolRegistry::new(Duration::from_secs(5));
        registry.register(Arc::new(FakeContainers));
        let orchestrator = Orchestrator::new(
            Arc::new(registry),
            Arc::new(OfflineAnswerer),
            ConversationStore::new(&ConversationConfig::default()),
            audit.clone(),
        );
        assert_eq!(orchestrator.container_names().await, vec!["plex", "sonarr"]);
        assert!(audit.entries.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn rejections_are_audited() {
        let (orchestrator, audit) = orchestrator(Arc::new(OfflineAnswerer));
        orchestrator
            .reject(
                ask("cpu"),
                Rejection::RateLimited {
                    retry_after_secs: 3,
                },
            )
            .await
            .unwrap();
        orchestrator
            .reject(ask("cpu"), Rejection::Unauthorized)
            .await
            .unwrap();
        let entries = audit.entries.lock().unwrap();
        assert_eq!(entries[0].outcome, Outcome::RateLimited);
        assert_eq!(entries[1].outcome, Outcome::Unauthorized);
    }
}
