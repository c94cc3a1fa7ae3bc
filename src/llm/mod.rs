//! The seam between the orchestrator and whatever composes answers: a cloud or local LLM that
//! calls tools, or the built-in offline answerer. Both see the same tools and history.

pub mod budget;
pub mod compact;
pub mod offline;
pub mod openai;
pub mod tool_loop;
pub mod untrusted;

use async_trait::async_trait;
use homelab_port::ToolCall;

use crate::conversation::Turn;
use crate::tools::ToolRegistry;

/// What a provider is given for one question.
#[derive(Debug, Clone, Copy)]
pub struct AnswerRequest<'a> {
    pub question: &'a str,
    /// Earlier turns of the same conversation, oldest first.
    pub history: &'a [Turn],
    pub tools: &'a ToolRegistry,
}

/// A provider's answer and the tool calls made for it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    /// Set when the model declined a state-changing request, or claimed to have done one.
    pub refusal_category: Option<String>,
    /// How an LLM was used, for the audit log; `None` for the offline answerer.
    pub llm: Option<LlmUsage>,
    /// The model's own text when it claimed a change and the answer became a refusal.
    pub model_answer: Option<String>,
}

/// The audit log's account of LLM use for one request.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LlmUsage {
    pub provider: String,
    pub model: String,
    pub rounds: u32,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// The LLM failed and the offline answer was given instead.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub degraded: bool,
}

/// Why a provider could not answer. The text is for logs; the asker sees a generic message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LlmError {
    #[error("the LLM could not be reached: {0}")]
    Unreachable(String),
    #[error("the LLM answered with an error: {0}")]
    Upstream(String),
    #[error("the LLM answer could not be understood: {0}")]
    Malformed(String),
}

/// Composes answers.
#[async_trait]
pub trait LlmProvider: Send + Sync {
    /// Short name for logs and `check-config` ("offline", "groq").
    fn name(&self) -> &str;
    async fn answer(&self, request: AnswerRequest<'_>) -> Result<Answer, LlmError>;
}
