//! Builds the running assistant from a validated configuration: the audit log, the sampler, the
//! tool registry, the answer provider and the orchestrator that ties them together.

use std::sync::Arc;
use std::time::Duration;

use crate::audit::{AuditError, AuditSink, JsonlAudit};
use crate::config::{Config, LlmConfig, ProviderChoice};
use crate::conversation::ConversationStore;
use crate::llm::LlmProvider;
use crate::llm::offline::OfflineAnswerer;
use crate::orchestrator::Orchestrator;
use crate::tools::sampler::Sampler;
use crate::tools::{ToolRegistry, system};

/// Longest a single tool call may take before it is abandoned.
pub const TOOL_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the assistant could not be assembled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("LLM provider `{0}` is not available in this build")]
    ProviderUnavailable(&'static str),
}

/// The assembled assistant.
#[derive(Debug)]
pub struct App {
    pub orchestrator: Arc<Orchestrator>,
    pub sampler: Sampler,
}

impl App {
    /// Opens the audit log, starts the sampler and wires the orchestrator.
    pub fn build(config: &Config) -> Result<Self, BuildError> {
        let audit: Arc<dyn AuditSink> =
            Arc::new(JsonlAudit::open_default(config.audit.path.as_deref())?);
        Self::build_with_audit(config, audit)
    }

    /// As [`App::build`], with the audit sink supplied (benchmarks, tests).
    pub fn build_with_audit(
        config: &Config,
        audit: Arc<dyn AuditSink>,
    ) -> Result<Self, BuildError> {
        let sampler = Sampler::start(&config.system);
        let tools = Arc::new(registry(config, &sampler));
        let provider = provider_for(&config.llm)?;
        tracing::info!(
            audit = %audit.location(),
            provider = provider.name(),
            "assistant ready"
        );
        let orchestrator = Arc::new(Orchestrator::new(
            tools,
            provider,
            ConversationStore::new(&config.conversation),
            audit,
        ));
        Ok(Self {
            orchestrator,
            sampler,
        })
    }
}

/// Every enabled read-only tool.
pub fn registry(config: &Config, sampler: &Sampler) -> ToolRegistry {
    let _ = config;
    let mut registry = ToolRegistry::new(TOOL_TIMEOUT);
    for tool in system::tools(sampler) {
        registry.register(tool);
    }
    registry
}

/// Which provider `llm.provider` resolves to: `auto` picks Groq, then OpenAI, by which key is set.
pub fn resolve_provider(config: &LlmConfig) -> ProviderChoice {
    match config.provider {
        ProviderChoice::Auto if config.groq_api_key.is_some() => ProviderChoice::Groq,
        ProviderChoice::Auto if config.openai_api_key.is_some() => ProviderChoice::Openai,
        ProviderChoice::Auto => ProviderChoice::Offline,
        chosen => chosen,
    }
}

fn provider_for(config: &LlmConfig) -> Result<Arc<dyn LlmProvider>, BuildError> {
    match resolve_provider(config) {
        ProviderChoice::Offline | ProviderChoice::Auto => Ok(Arc::new(OfflineAnswerer)),
        ProviderChoice::Groq => Err(BuildError::ProviderUnavailable("groq")),
        ProviderChoice::Openai => Err(BuildError::ProviderUnavailable("openai")),
        ProviderChoice::OpenaiCompatible => {
            Err(BuildError::ProviderUnavailable("openai-compatible"))
        }
    }
}
