//! Builds the running assistant from a validated configuration: the audit log, the sampler, the
//! tool registry, the answer provider and the orchestrator that ties them together.

use std::sync::Arc;
use std::time::Duration;

use homelab_port::Platform;

use crate::alerts::{ActiveAlerts, AlertEvaluator};
use crate::audit::{AuditError, AuditSink, Auditor, JsonlAudit};
use crate::config::{Config, LlmConfig, ProviderChoice};
use crate::conversation::ConversationStore;
use crate::llm::LlmProvider;
use crate::llm::offline::OfflineAnswerer;
use crate::llm::openai::{ClientSettings, OpenAiClient};
use crate::llm::tool_loop::ToolCallingAnswerer;
use crate::orchestrator::Orchestrator;
use crate::tools::docker::DockerHosts;
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
    #[error("cannot set up the LLM client: {0}")]
    Llm(crate::llm::LlmError),
}

/// The assembled assistant.
#[derive(Debug)]
pub struct App {
    pub orchestrator: Arc<Orchestrator>,
    pub sampler: Sampler,
    /// The sampler's 24-hour history, for charts and the digest's trends.
    pub history: Arc<crate::history::History>,
    /// The alert rules' one evaluator: the `active_alerts` tool and the watcher both read it.
    pub alerts: Arc<AlertEvaluator>,
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
        install_crypto_provider();
        crate::orchestrator::warm_up();
        let history = Arc::new(crate::history::History::new());
        let sampler = Sampler::start_with_history(&config.system, Arc::clone(&history));
        let (registry, alerts) = registry_with_alerts(config, &sampler);
        let tools = Arc::new(registry);
        let audit: Arc<dyn AuditSink> = Arc::new(Auditor::new(audit));
        let provider = provider_for(&config.llm)?;
        tracing::info!(
            audit = %audit.location(),
            provider = provider.name(),
            "assistant ready"
        );
        let orchestrator = Arc::new(
            Orchestrator::new(
                tools,
                provider,
                ConversationStore::new(&config.conversation),
                audit,
            )
            .with_message_limit(Platform::Http, config.http.max_message_chars)
            .with_history(Arc::clone(&history))
            .with_digest_zone(
                config
                    .digest
                    .schedule()
                    .map(|(_, zone)| zone)
                    .unwrap_or_default(),
            ),
        );
        Ok(Self {
            orchestrator,
            sampler,
            history,
            alerts,
        })
    }
}

/// Every enabled read-only tool.
pub fn registry(config: &Config, sampler: &Sampler) -> ToolRegistry {
    registry_with_alerts(config, sampler).0
}

/// Every enabled read-only tool, and the alert evaluator its `active_alerts` tool reads.
pub fn registry_with_alerts(
    config: &Config,
    sampler: &Sampler,
) -> (ToolRegistry, Arc<AlertEvaluator>) {
    let mut registry = ToolRegistry::new(TOOL_TIMEOUT);
    for tool in system::tools(sampler) {
        registry.register(tool);
    }
    // Connecting is lazy: an engine that is down now is still offered, and its tools say so.
    // The alert rules read through the same clients.
    let docker = config
        .docker
        .enabled
        .then(|| Arc::new(DockerHosts::from_config(&config.docker)));
    if let Some(hosts) = &docker {
        for tool in crate::tools::docker::tools_for(hosts.clone()) {
            registry.register(tool);
        }
    }
    // One evaluator, so the tool and the alert watcher agree on since when each alert has been
    // active.
    let zfs = crate::tools::zfs::ZfsKstats::open(&config.zfs);
    if let Some(kstats) = &zfs {
        registry.register(Arc::new(crate::tools::zfs::ZfsPools(kstats.clone())));
    }
    let ups = crate::tools::ups::UpsStatus::new(&config.nut).map(Arc::new);
    if let Some(ups) = &ups {
        registry.register(ups.clone());
    }
    let thresholds = crate::tools::truenas::Thresholds {
        scrub_max_age_days: config.alerts.scrub_max_age_days,
        snapshot_max_age_hours: config.alerts.snapshot_max_age_hours,
    };
    let truenas = match crate::tools::truenas::TrueNas::from_config(&config.truenas, thresholds) {
        None => None,
        Some(Err(error)) => {
            tracing::warn!("TrueNAS tools are off: {error}");
            None
        }
        Some(Ok(truenas)) => Some(truenas),
    };
    if let Some(truenas) = &truenas {
        // Says at start, in the log, when the key could write and the tools are therefore off.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let truenas = truenas.clone();
            runtime.spawn(async move {
                if let Err(error) = truenas.check_read_only().await {
                    tracing::warn!("TrueNAS: {error}");
                }
            });
        }
        use crate::tools::truenas::{
            Apps, Datasets, DiskHealth, Snapshots, TrueNasAlerts, TrueNasPools,
        };
        registry.register(Arc::new(TrueNasPools(truenas.clone())));
        registry.register(Arc::new(Datasets(truenas.clone())));
        registry.register(Arc::new(Snapshots(truenas.clone())));
        registry.register(Arc::new(TrueNasAlerts(truenas.clone())));
        registry.register(Arc::new(Apps(truenas.clone())));
        registry.register(Arc::new(DiskHealth(truenas.clone())));
    }
    let fleet = match crate::tools::prometheus::PrometheusClient::new(&config.prometheus) {
        Ok(client) => client.map(Arc::new),
        Err(error) => {
            tracing::warn!("the fleet tools are off: {error}");
            None
        }
    };
    if let Some(client) = &fleet {
        use crate::tools::prometheus::{HostMetrics, Hosts, PrometheusAlerts, Promql};
        let names = config.prometheus.host_names.clone();
        registry.register(Arc::new(Hosts {
            client: client.clone(),
            names: names.clone(),
        }));
        registry.register(Arc::new(HostMetrics {
            client: client.clone(),
            names,
            known: tokio::sync::Mutex::new(None),
        }));
        registry.register(Arc::new(PrometheusAlerts(client.clone())));
        registry.register(Arc::new(Promql(client.clone())));
    }
    let alerts = Arc::new(
        AlertEvaluator::new(config, sampler, docker.as_deref())
            .with_storage(zfs, ups, truenas)
            .with_fleet(fleet, config.prometheus.host_names.clone()),
    );
    registry.register(Arc::new(ActiveAlerts(alerts.clone())));
    (registry, alerts)
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

/// Groq's OpenAI-compatible endpoint and default model.
pub const GROQ_BASE_URL: &str = "https://api.groq.com/openai/v1";
pub const GROQ_MODEL: &str = "llama-3.3-70b-versatile";
/// OpenAI's endpoint and default model.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
pub const OPENAI_MODEL: &str = "gpt-4o-mini";
/// The model asked of a local server when `LLM_MODEL` is unset (Ollama's common default).
pub const LOCAL_MODEL: &str = "llama3.1";

/// Where the chosen provider is reached: (name, base URL, model, key). `None` for offline.
pub fn provider_settings(config: &LlmConfig) -> Option<(&'static str, ClientSettings)> {
    let (name, base_url, model, key) = match resolve_provider(config) {
        ProviderChoice::Offline | ProviderChoice::Auto => return None,
        ProviderChoice::Groq => (
            "groq",
            config.groq_base_url.as_deref().unwrap_or(GROQ_BASE_URL),
            GROQ_MODEL,
            config.groq_api_key.as_ref(),
        ),
        ProviderChoice::Openai => (
            "openai",
            config.openai_base_url.as_deref().unwrap_or(OPENAI_BASE_URL),
            OPENAI_MODEL,
            config.openai_api_key.as_ref(),
        ),
        ProviderChoice::OpenaiCompatible => (
            "openai-compatible",
            config.base_url.as_deref().unwrap_or_default(),
            LOCAL_MODEL,
            None,
        ),
    };
    Some((
        name,
        ClientSettings {
            base_url: config
                .base_url
                .clone()
                .unwrap_or_else(|| base_url.to_owned()),
            model: config.model.clone().unwrap_or_else(|| model.to_owned()),
            api_key: config.api_key.clone().or_else(|| key.cloned()),
            max_tokens: config.max_tokens,
        },
    ))
}

fn provider_for(config: &LlmConfig) -> Result<Arc<dyn LlmProvider>, BuildError> {
    let Some((name, settings)) = provider_settings(config) else {
        return Ok(Arc::new(OfflineAnswerer));
    };
    let client = OpenAiClient::new(settings).map_err(BuildError::Llm)?;
    Ok(Arc::new(
        ToolCallingAnswerer::new(
            client,
            name,
            config.max_rounds,
            Duration::from_secs(config.timeout_secs),
        )
        .with_max_prompt_tokens(config.max_prompt_tokens as usize),
    ))
}

/// rustls needs one process-wide crypto provider; several crates bring their own, so choose.
pub fn install_crypto_provider() {
    // An error only means one is installed already, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
