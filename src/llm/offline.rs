//! The built-in offline answerer: the default when no LLM is configured. It answers through the
//! offline router (intents and slots, one plan to the read-only tools), with the real figures,
//! in well under a millisecond.

use async_trait::async_trait;

use super::{Answer, AnswerRequest, LlmError, LlmProvider};
use crate::router;

/// The offline provider.
#[derive(Debug, Default, Clone, Copy)]
pub struct OfflineAnswerer;

#[async_trait]
impl LlmProvider for OfflineAnswerer {
    fn name(&self) -> &str {
        "offline"
    }

    async fn answer(&self, request: AnswerRequest<'_>) -> Result<Answer, LlmError> {
        Ok(router::answer_question(request.question, request.history, request.tools).await)
    }
}
