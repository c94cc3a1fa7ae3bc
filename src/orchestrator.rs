//! The core every adapter talks to: checks the request against the read-only policy, answers it
//! through a direct command, the LLM or the offline answerer, keeps the conversation, and writes
//! exactly one audit entry, whatever happens.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use async_trait::async_trait;
use homelab_port::{
    ChatError, ChatHandler, Command, Inbound, Origin, Outcome, Platform, Rejection, Reply,
    ToolCall, WebhookCall, WebhookReceipt,
};

use crate::alerts::inbox::AlertInbox;
use crate::audit::{AuditEntry, AuditSink};
use crate::conversation::{ConversationStore, Turn};
use crate::llm::{AnswerRequest, LlmProvider, LlmUsage};
use crate::policy;
use crate::router;
use crate::tools::ToolRegistry;

/// Longest message the core accepts from any adapter, in characters. Adapters may be stricter.
pub const MAX_MESSAGE_CHARS: usize = 16_000;
/// Longest conversation id accepted from a client.
const MAX_CONVERSATION_ID_CHARS: usize = 128;

/// Builds the classifier tables, patterns and vocabularies that the first question would build
/// otherwise (about 17 MB of heap), so the process is at its working size once it listens and
/// the first answer is not the slowest. Each of these is built once per process.
pub fn warm_up() {
    let started = Instant::now();
    for text in [
        "please restart plex",
        "restrat plex",
        "Redémarre plex, s'il te plaît",
        "how full is tank?",
        "show the last 5 lines of plex since 3am",
        "how much memroy is free?",
    ] {
        let _ = policy::classify(text);
        let _ = router::Route::for_question(text, &[]);
    }
    let _ = policy::classify_follow_up("yes, do it", Some(policy::Category::ContainerLifecycle));
    let _ = policy::claimed_action("Done! Plex has been restarted.");
    let _ = crate::tools::redact::redact_secrets(
        "password=\"a b\" token: abc -----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----",
    );
    let _ = crate::llm::untrusted::wrap_tool_result(
        "warm_up",
        String::from("</tool_output>"),
        &mut crate::llm::untrusted::ToolOutputBudget::default(),
    );
    tracing::debug!(elapsed = ?started.elapsed(), "classifier tables built");
}

/// What the orchestrator is made of.
pub struct Orchestrator {
    tools: Arc<ToolRegistry>,
    provider: Arc<dyn LlmProvider>,
    conversations: ConversationStore,
    audit: Arc<dyn AuditSink>,
    /// Platforms whose adapters are configured with a stricter message limit (`http`).
    message_limits: Vec<(Platform, usize)>,
    /// Where webhook alerts go; attached by `serve` once the chats that take notices are known.
    inbox: OnceLock<Arc<AlertInbox>>,
    /// The daily digest's time zone, for the times it shows.
    digest_zone: crate::digest::Zone,
    /// What the sampler recorded, for charts and trends; `None` in tests that have none.
    history: Option<Arc<crate::history::History>>,
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
    attachments: Vec<homelab_port::Attachment>,
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
            message_limits: Vec::new(),
            inbox: OnceLock::new(),
            digest_zone: crate::digest::Zone::default(),
            history: None,
        }
    }

    /// Accepts at most `max_chars` characters from `platform` (below [`MAX_MESSAGE_CHARS`]).
    pub fn with_message_limit(mut self, platform: Platform, max_chars: usize) -> Self {
        self.message_limits
            .retain(|(listed, _)| *listed != platform);
        self.message_limits
            .push((platform, max_chars.min(MAX_MESSAGE_CHARS)));
        self
    }

    fn message_limit(&self, platform: Platform) -> usize {
        self.message_limits
            .iter()
            .find(|(listed, _)| *listed == platform)
            .map_or(MAX_MESSAGE_CHARS, |(_, max)| *max)
    }

    /// Charts and the digest's trends read this history.
    pub fn with_history(mut self, history: Arc<crate::history::History>) -> Self {
        self.history = Some(history);
        self
    }

    /// Shows the digest's times in this zone.
    pub fn with_digest_zone(mut self, zone: crate::digest::Zone) -> Self {
        self.digest_zone = zone;
        self
    }

    /// The daily digest for the 24 hours before now, from the tools and the audit log.
    pub async fn digest(&self) -> crate::digest::Digest {
        let location = self.audit.location();
        let audit_log = std::path::Path::new(&location);
        let now = chrono::Utc::now();
        let sources = crate::digest::DigestSources {
            audit_log: audit_log.is_file().then_some(audit_log),
            disk_trends: self.history.as_deref().and_then(crate::graph::disk_trends),
        };
        crate::digest::compose(&self.tools, &sources, now, self.digest_zone.offset_at(now)).await
    }

    /// Takes webhook alerts from now on; a second inbox is ignored.
    pub fn attach_inbox(&self, inbox: Arc<AlertInbox>) {
        let _ = self.inbox.set(inbox);
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
        // "daily digest": a fixed report, the same as `/digest`, with no model call.
        if router::asks_for_digest(question) {
            return Ok(self.run_command(&Command::Digest).await);
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
            attachments: Vec::new(),
        })
    }

    /// Direct commands: the adapter already knows what is wanted, so no LLM is involved; they go
    /// through the same plan as questions.
    async fn run_command(&self, command: &Command) -> Answered {
        if let Command::Graph { metric, span } = command {
            let graph = crate::graph::graph(self.history.as_deref(), metric, span.as_deref());
            return Answered {
                text: graph.text,
                attachments: graph.image.into_iter().collect(),
                ..Answered::default()
            };
        }
        if *command == Command::Digest {
            let digest = self.digest().await;
            return Answered {
                text: digest.text,
                tool_calls: digest.tool_calls,
                ..Answered::default()
            };
        }
        let answer = router::answer_command(command, &self.tools).await;
        Answered {
            text: answer.text,
            tool_calls: answer.tool_calls,
            ..Answered::default()
        }
    }

    fn write_audit(&self, entry: &AuditEntry) -> Result<(), ChatError> {
        self.audit.record(entry).map_err(|e| {
            tracing::error!("{e}");
            ChatError::AuditFailed(e.to_string())
        })
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
        Some(id) if id.chars().any(is_invisible) => Err(ChatError::InvalidInput(
            "conversation_id contains invisible formatting characters".to_owned(),
        )),
        Some(id) => Ok(id.to_owned()),
    }
}

/// Characters that change how text displays without showing themselves: bidi overrides and
/// isolates, zero-width characters, soft hyphens, variation selectors, tags. An id made of them
/// can pass for another in a log viewer.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Whose memory a conversation id opens: ids are chosen by clients, so the same id from another
/// caller must never reach this caller's turns. A Discord channel or Matrix room is one shared
/// conversation; elsewhere the caller is the user (an HTTP API key's name, the local user).
fn memory_key(origin: &Origin, id: &str) -> String {
    let caller = match origin.platform {
        Platform::Discord | Platform::Matrix => origin
            .channel_id
            .as_deref()
            .unwrap_or(origin.user_id.as_str()),
        _ => origin.user_id.as_str(),
    };
    format!("{}\u{1f}{caller}\u{1f}{id}", origin.platform)
}

fn millis_since(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[async_trait]
impl ChatHandler for Orchestrator {
    async fn handle(&self, inbound: Inbound) -> Result<Reply, ChatError> {
        let started = Instant::now();
        let mut entry = AuditEntry::new(&inbound.origin, &inbound.text, Outcome::Answered);
        let max = self.message_limit(inbound.origin.platform);
        let checked = conversation_id(inbound.conversation_id.as_deref()).and_then(|id| {
            let text = inbound.text.trim();
            let chars = text.chars().count();
            if inbound.command.is_none() && text.is_empty() {
                Err(ChatError::InvalidInput("The message is empty.".to_owned()))
            } else if chars > max {
                Err(ChatError::InvalidInput(format!(
                    "The message is too long: {chars} characters, at most {max} are accepted."
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
        let memory = memory_key(&inbound.origin, &id);
        let history = self.conversations.history(&memory);
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
        entry.outcome = if answered.refused {
            Outcome::Refused
        } else {
            Outcome::Answered
        };
        entry.assistant_response = answered.text.clone();
        entry.refused = answered.refused;
        entry.refusal_category = answered.refusal_category.clone();
        entry.tool_calls = answered.tool_calls.clone();
        let llm_calls = answered.llm.as_ref().map_or(0, |llm| llm.rounds);
        entry.llm = answered.llm;
        entry.model_answer = answered.model_answer;
        entry.latency_ms = millis_since(started);
        self.write_audit(&entry)?;
        // Only an audited turn is remembered: a follow-up never builds on an unrecorded answer.
        self.conversations.record(
            &memory,
            Turn {
                question: inbound.text.trim().to_owned(),
                answer: answered.text.clone(),
                refusal: answered
                    .refusal_category
                    .as_deref()
                    .and_then(policy::Category::parse),
            },
        );
        Ok(Reply {
            text: answered.text,
            conversation_id: id,
            refused: answered.refused,
            refusal_category: answered.refusal_category,
            tool_calls: answered.tool_calls,
            llm_calls,
            attachments: answered.attachments,
        })
    }

    /// For autocomplete: a read of the container list, not a request, so it is not audited.
    async fn container_names(&self) -> Vec<String> {
        router::container_names(&self.tools).await
    }

    async fn reject(&self, inbound: Inbound, rejection: Rejection) -> Result<(), ChatError> {
        let mut entry = AuditEntry::new(&inbound.origin, &inbound.text, rejection.outcome());
        entry.conversation_id = inbound.conversation_id.clone();
        entry.assistant_response = rejection.user_message();
        self.write_audit(&entry)
    }

    async fn webhook(&self, call: WebhookCall) -> Result<WebhookReceipt, ChatError> {
        let started = Instant::now();
        let origin = Origin::new(Platform::Webhook, call.source.clone());
        let Some(inbox) = self.inbox.get().filter(|inbox| inbox.has_chats()) else {
            let mut entry = AuditEntry::new(
                &origin,
                &format!("POST /hooks/{}", call.source),
                Outcome::Unavailable,
            );
            entry.assistant_response = "no chat takes notices: nothing posted".to_owned();
            self.write_audit(&entry)?;
            return Err(ChatError::Unavailable(
                "webhook alerts have no chat to go to (no notify channels or rooms)".to_owned(),
            ));
        };
        let prepared = inbox.prepare(&call, &self.tools).await;
        let mut entry = AuditEntry::new(&origin, &prepared.summary, Outcome::Answered);
        entry.assistant_response = if prepared.notices.is_empty() {
            format!(
                "nothing posted: {} already told, {} held back by alerts.max_per_hour",
                prepared.receipt.duplicates, prepared.receipt.held
            )
        } else {
            prepared
                .notices
                .iter()
                .map(|n| n.text.as_str())
                .collect::<Vec<_>>()
                .join("\n\n")
        };
        entry.tool_calls = prepared.tool_calls.clone();
        entry.latency_ms = millis_since(started);
        // Audited first: a call whose entry cannot be written posts nothing.
        self.write_audit(&entry)?;
        let receipt = prepared.receipt;
        inbox.post(prepared);
        Ok(receipt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditError;
    use crate::config::ConversationConfig;
    use crate::llm::offline::OfflineAnswerer;
    use crate::llm::{Answer, LlmError};
    use crate::tools::names;
    use crate::tools::sampler::Sampler;
    use crate::tools::system;
    use crate::tools::system::tests::sample_snapshot;
    use homelab_port::{Origin, Platform};
    use serde_json::Value;
    use serde_json::json;
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
        assert_eq!(reply.tool_calls_made(), vec![names::CPU_USAGE]);
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
    async fn another_caller_with_the_same_id_starts_fresh() {
        let (orchestrator, _) = orchestrator(Arc::new(CountingProvider::default()));
        let first = orchestrator.handle(ask("hello there")).await.unwrap();
        let stranger = Inbound::question(Origin::new(Platform::Cli, "mallory"), "and again")
            .in_conversation(Some(first.conversation_id.clone()));
        let reply = orchestrator.handle(stranger).await.unwrap();
        assert_eq!(reply.conversation_id, first.conversation_id);
        assert_eq!(reply.text, "history=0", "the stranger saw alice's turn");
        let own = orchestrator
            .handle(ask("and again").in_conversation(Some(first.conversation_id.clone())))
            .await
            .unwrap();
        assert_eq!(own.text, "history=1");
    }

    #[tokio::test]
    async fn an_unaudited_turn_is_not_remembered() {
        let (orchestrator, audit) = orchestrator(Arc::new(CountingProvider::default()));
        let first = orchestrator.handle(ask("hello there")).await.unwrap();
        audit.broken.store(true, Ordering::SeqCst);
        let lost = ask("second").in_conversation(Some(first.conversation_id.clone()));
        assert!(orchestrator.handle(lost).await.is_err());
        audit.broken.store(false, Ordering::SeqCst);
        let third = orchestrator
            .handle(ask("third").in_conversation(Some(first.conversation_id.clone())))
            .await
            .unwrap();
        assert_eq!(third.text, "history=1");
    }

    #[tokio::test]
    async fn bad_input_is_refused_and_audited() {
        let (orchestrator, audit) = orchestrator(Arc::new(OfflineAnswerer));
        for inbound in [
            ask("   "),
            ask(&"x".repeat(MAX_MESSAGE_CHARS + 1)),
            ask("cpu").in_conversation(Some("c".repeat(200))),
            ask("cpu").in_conversation(Some("bad\u{7}id".into())),
            ask("cpu").in_conversation(Some("abc\u{202E}fed".into())),
            ask("cpu").in_conversation(Some("ab\u{200B}c".into())),
        ] {
            let error = orchestrator.handle(inbound).await.unwrap_err();
            assert!(matches!(error, ChatError::InvalidInput(_)), "{error:?}");
        }
        let entries = audit.entries.lock().unwrap();
        assert_eq!(entries.len(), 6);
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
        assert_eq!(reply.tool_calls_made(), vec![names::SYSTEM_OVERVIEW]);
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
        // No ZFS on this test's registry: the command says so instead of failing.
        let reply = orchestrator
            .handle(Inbound::command(
                Origin::new(Platform::Matrix, "@a:b"),
                Command::Pools,
            ))
            .await
            .unwrap();
        assert!(reply.text.contains("no ZFS kstats"), "{}", reply.text);
        assert_eq!(provider.calls.load(Ordering::SeqCst), 0);
        assert_eq!(audit.entries.lock().unwrap()[0].user_message, "/status");
    }

    struct FakeContainers;

    #[async_trait]
    impl crate::tools::Tool for FakeContainers {
        fn name(&self) -> &'static str {
            names::LIST_CONTAINERS
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
        orchestrator
            .reject(
                ask(""),
                Rejection::TooLarge {
                    reason: "at most 16384 bytes".into(),
                },
            )
            .await
            .unwrap();
        let entries = audit.entries.lock().unwrap();
        assert_eq!(entries[0].outcome, Outcome::RateLimited);
        assert_eq!(entries[1].outcome, Outcome::Unauthorized);
        assert_eq!(entries[2].outcome, Outcome::TooLarge);
        let line = serde_json::to_value(&entries[2]).unwrap();
        assert_eq!(line["outcome"], "too_large");
    }

    #[tokio::test]
    async fn a_platform_limit_counts_characters_and_keeps_what_was_asked() {
        let (orchestrator, audit) = orchestrator(Arc::new(OfflineAnswerer));
        let orchestrator = orchestrator.with_message_limit(Platform::Http, 4000);
        let from_http =
            |text: String| Inbound::question(Origin::new(Platform::Http, "default"), text);
        // 4,000 two-byte characters: 8,000 bytes, within the limit.
        orchestrator
            .handle(from_http("é".repeat(4000)))
            .await
            .unwrap();
        let over = "é".repeat(4001);
        let error = orchestrator
            .handle(from_http(over.clone()))
            .await
            .unwrap_err();
        assert!(error.to_string().contains("4001 characters"), "{error}");
        // Other platforms keep the core's own limit.
        orchestrator.handle(ask(&over)).await.unwrap();
        let entries = audit.entries.lock().unwrap();
        assert_eq!(entries[1].outcome, Outcome::Invalid);
        assert_eq!(entries[1].user_message, over);
    }
}
