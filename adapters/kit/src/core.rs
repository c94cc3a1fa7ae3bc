//! The one way adapters call the core: each call runs in a task of its own (so an asker hanging
//! up, or a platform hiccup, cannot cancel the core halfway through its audit write), is waited
//! for at most [`HANDLER_TIMEOUT`], is counted so shutdown can drain it, and every way it can fail
//! ends as a [`ChatError`] whose `Display` is the one text that is safe to show.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use homelab_port::{
    ChatError, ChatHandler, Inbound, Rejection, Reply, WebhookCall, WebhookReceipt,
};

use crate::in_flight::InFlight;

/// How long one answer may take before the asker is told the assistant cannot answer right now:
/// generous, because a local LLM with several tool rounds is slow, but finite, so that no request
/// hangs forever. The core keeps running past it, so its audit entry is still written.
pub const HANDLER_TIMEOUT: Duration = Duration::from_secs(120);

/// The core as an adapter sees it.
#[derive(Clone)]
pub struct Core {
    handler: Arc<dyn ChatHandler>,
    timeout: Duration,
    in_flight: Arc<InFlight>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("timeout", &self.timeout)
            .field("in_flight", &self.in_flight.running())
            .finish_non_exhaustive()
    }
}

impl Core {
    pub fn new(handler: Arc<dyn ChatHandler>) -> Self {
        Self {
            handler,
            timeout: HANDLER_TIMEOUT,
            in_flight: Arc::default(),
        }
    }

    /// The same core with another answer timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Answers `inbound`. A core that panics or takes longer than the timeout becomes
    /// [`ChatError::Internal`] or [`ChatError::Unavailable`]; failures are logged with their
    /// detail here, so adapters only show the error's `Display`.
    pub async fn answer(&self, inbound: Inbound) -> Result<Reply, ChatError> {
        let platform = inbound.origin.platform;
        let handler = Arc::clone(&self.handler);
        let result = self
            .run(
                async move { handler.handle(inbound).await },
                ChatError::Unavailable,
            )
            .await;
        if let Err(error) = &result {
            match error {
                ChatError::InvalidInput(_) => {
                    tracing::debug!(%platform, %error, "the assistant refused the input");
                }
                _ => tracing::warn!(
                    %platform,
                    detail = error.detail(),
                    "the assistant could not answer"
                ),
            }
        }
        result
    }

    /// Records a request the adapter turned away. A core that cannot record it in time is an
    /// [`ChatError::AuditFailed`]; the adapter decides whether the asker hears of it.
    pub async fn reject(&self, inbound: Inbound, rejection: Rejection) -> Result<(), ChatError> {
        let platform = inbound.origin.platform;
        let outcome = rejection.outcome();
        let handler = Arc::clone(&self.handler);
        let result = self
            .run(
                async move { handler.reject(inbound, rejection).await },
                ChatError::AuditFailed,
            )
            .await;
        if let Err(error) = &result {
            tracing::error!(
                %platform,
                outcome = outcome.as_str(),
                detail = error.detail(),
                "could not audit a refused request"
            );
        }
        result
    }

    /// Hands a webhook call's alerts to the core, which audits it once and tells the chats.
    pub async fn webhook(&self, call: WebhookCall) -> Result<WebhookReceipt, ChatError> {
        let handler = Arc::clone(&self.handler);
        let result = self
            .run(
                async move { handler.webhook(call).await },
                ChatError::Unavailable,
            )
            .await;
        if let Err(error) = &result {
            tracing::warn!(detail = error.detail(), "a webhook call was not delivered");
        }
        result
    }

    /// Container names for autocomplete; empty when the core does not answer within `budget`.
    pub async fn container_names(&self, budget: Duration) -> Vec<String> {
        tokio::time::timeout(budget, self.handler.container_names())
            .await
            .unwrap_or_default()
    }

    /// Runs `work` (an answer with its reply, say) in a task of its own, counted until it ends,
    /// so that [`Core::drain`] waits for it too.
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let guard = self.in_flight.start();
        tokio::spawn(async move {
            work.await;
            drop(guard);
        });
    }

    /// At shutdown: waits at most `grace` for every core call and spawned task still running.
    pub async fn drain(&self, adapter: &str, grace: Duration) -> bool {
        self.in_flight.drain(adapter, grace).await
    }

    async fn run<T, F>(
        &self,
        work: F,
        late: impl FnOnce(String) -> ChatError,
    ) -> Result<T, ChatError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, ChatError>> + Send + 'static,
    {
        let guard = self.in_flight.start();
        let task = tokio::spawn(async move {
            let result = work.await;
            drop(guard);
            result
        });
        match tokio::time::timeout(self.timeout, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(panicked)) => Err(ChatError::Internal(format!(
                "the core panicked: {panicked}"
            ))),
            Err(_) => Err(late(format!(
                "the core gave no answer within {:?}",
                self.timeout
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use homelab_port::{Origin, Platform};

    enum Behaviour {
        Answer,
        Fail,
        Panic,
        Hang,
    }

    struct Scripted(Behaviour);

    #[async_trait::async_trait]
    impl ChatHandler for Scripted {
        async fn handle(&self, inbound: Inbound) -> Result<Reply, ChatError> {
            match self.0 {
                Behaviour::Answer => Ok(Reply {
                    text: format!("echo: {}", inbound.text),
                    conversation_id: "c".into(),
                    refused: false,
                    refusal_category: None,
                    tool_calls: Vec::new(),
                    llm_calls: 0,
                    attachments: Vec::new(),
                }),
                Behaviour::Fail => Err(ChatError::Unavailable("llm down at 10.0.0.9".into())),
                Behaviour::Panic => panic!("boom"),
                Behaviour::Hang => std::future::pending().await,
            }
        }

        async fn reject(&self, _: Inbound, _: Rejection) -> Result<(), ChatError> {
            match self.0 {
                Behaviour::Hang => std::future::pending().await,
                Behaviour::Panic => panic!("boom"),
                _ => Ok(()),
            }
        }
    }

    fn core(behaviour: Behaviour) -> Core {
        Core::new(Arc::new(Scripted(behaviour)))
    }

    fn question() -> Inbound {
        Inbound::question(Origin::new(Platform::Http, "ada"), "disk?")
    }

    #[tokio::test]
    async fn an_answer_passes_through() {
        let reply = core(Behaviour::Answer).answer(question()).await.unwrap();
        assert_eq!(reply.text, "echo: disk?");
    }

    #[tokio::test]
    async fn every_failure_is_a_chat_error_that_shows_no_detail() {
        let failed = core(Behaviour::Fail).answer(question()).await.unwrap_err();
        assert!(matches!(failed, ChatError::Unavailable(_)));
        assert!(!failed.to_string().contains("10.0.0.9"));

        let panicked = core(Behaviour::Panic).answer(question()).await.unwrap_err();
        assert!(matches!(panicked, ChatError::Internal(_)), "{panicked:?}");
        assert!(!panicked.to_string().contains("boom"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_core_that_hangs_is_unavailable_after_the_timeout_and_is_drained() {
        let core = core(Behaviour::Hang);
        let error = core.answer(question()).await.unwrap_err();
        assert!(matches!(error, ChatError::Unavailable(_)), "{error:?}");
        let error = core
            .reject(question(), Rejection::Unauthorized)
            .await
            .unwrap_err();
        assert!(matches!(error, ChatError::AuditFailed(_)), "{error:?}");
        // Both calls keep running in their tasks, so shutdown waits for them, within its grace.
        assert!(!core.drain("test", Duration::from_secs(1)).await);
    }

    #[tokio::test]
    async fn spawned_work_is_drained() {
        let core = core(Behaviour::Answer);
        let (done, finished) = tokio::sync::oneshot::channel();
        core.spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = done.send(());
        });
        assert!(core.drain("test", Duration::from_secs(5)).await);
        finished.await.unwrap();
    }
}
