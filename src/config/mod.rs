//! The one configuration of the whole program: built-in defaults < TOML file < environment, with the
//! old stack's variable names, secrets from `*_FILE` paths, and validation that reports every
//! error at once so a user fixes their config in one go. This file holds the settings themselves;
//! the chat adapters' sections (`[http]`, `[discord]`, `[matrix]`) are the adapters' own `Config`
//! types, embedded as they are. Reading them (`load`), their secrets (`secrets`), their checks
//! (`validate`) and showing them (`render`) each have a file of their own.

mod load;
mod quiet;
mod render;
mod secrets;
mod validate;

use std::fmt;
use std::path::PathBuf;

use homelab_kit::{RateLimit, Secret};
use serde::{Deserialize, Serialize};

pub use load::{choose_file, from_figment, load};
pub use quiet::{QuietHours, QuietHoursError};
pub use render::known_keys;
pub use secrets::SECRET_SETTINGS;

/// Where the default config file is looked for when neither `--config` nor `HOMELAB_CONFIG` is set.
pub const DEFAULT_CONFIG_FILE: &str = "config/homelab.toml";

/// The old stack's environment names and the keys they set. Each secret also has a `*_FILE` form.
pub const LEGACY_ENV: &[(&str, &str)] = &[
    ("API_KEY", "http.api_key"),
    ("API_KEY_FILE", "http.api_key_file"),
    ("LLM_PROVIDER", "llm.provider"),
    ("LLM_MODEL", "llm.model"),
    ("LLM_BASE_URL", "llm.base_url"),
    ("LLM_API_KEY", "llm.api_key"),
    ("LLM_API_KEY_FILE", "llm.api_key_file"),
    ("GROQ_API_KEY", "llm.groq_api_key"),
    ("GROQ_API_KEY_FILE", "llm.groq_api_key_file"),
    ("GROQ_BASE_URL", "llm.groq_base_url"),
    ("OPENAI_API_KEY", "llm.openai_api_key"),
    ("OPENAI_API_KEY_FILE", "llm.openai_api_key_file"),
    ("OPENAI_BASE_URL", "llm.openai_base_url"),
    ("RATE_LIMIT_REQUESTS", "rate_limit.requests"),
    ("RATE_LIMIT_WINDOW", "rate_limit.window_secs"),
    ("LOG_LEVEL", "log.level"),
    ("DOCKER_HOST", "docker.host"),
    ("NUT_ADDRESS", "nut.address"),
    ("PROMETHEUS_URL", "prometheus.url"),
    ("TRUENAS_URL", "truenas.url"),
    ("TRUENAS_USERNAME", "truenas.username"),
    ("TRUENAS_API_KEY", "truenas.api_key"),
    ("TRUENAS_API_KEY_FILE", "truenas.api_key_file"),
    ("DISCORD_TOKEN", "discord.token"),
    ("DISCORD_TOKEN_FILE", "discord.token_file"),
    ("MATRIX_HOMESERVER", "matrix.homeserver"),
    ("MATRIX_USER", "matrix.user"),
    ("MATRIX_PASSWORD", "matrix.password"),
    ("MATRIX_PASSWORD_FILE", "matrix.password_file"),
    ("MATRIX_ACCESS_TOKEN", "matrix.access_token"),
    ("MATRIX_ACCESS_TOKEN_FILE", "matrix.access_token_file"),
];

/// Everything the program can be told.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub audit: AuditConfig,
    pub llm: LlmConfig,
    /// The HTTP `/chat` fallback; the adapter owns the section.
    pub http: homelab_http::Config,
    /// Inbound alert webhooks on the HTTP adapter, off unless a token is set.
    pub webhooks: homelab_http::WebhooksConfig,
    /// One allowance per caller on every platform, as the old gateway had.
    pub rate_limit: RateLimit,
    pub log: LogConfig,
    pub system: SystemConfig,
    pub conversation: ConversationConfig,
    pub docker: DockerConfig,
    /// The Discord bot, on when a token is set; the adapter owns the section.
    pub discord: homelab_discord::Config,
    /// The Matrix bot, on when a homeserver is set; the adapter owns the section.
    pub matrix: homelab_matrix::Config,
    pub alerts: AlertsConfig,
    /// The daily digest to the notify chats.
    pub digest: DigestConfig,
    /// ZFS pools read from kstat files; offered when the directory exists.
    pub zfs: crate::tools::zfs::ZfsConfig,
    /// A UPS through Network UPS Tools; offered when an address is set.
    pub nut: crate::tools::ups::NutConfig,
    /// The TrueNAS SCALE API; offered when a URL is set.
    pub truenas: crate::tools::truenas::TrueNasConfig,
    /// The fleet's Prometheus; offered when a URL is set.
    pub prometheus: crate::tools::prometheus::PrometheusConfig,
}

impl Config {
    /// Hands `[rate_limit]` to every adapter section: one allowance per caller on every platform.
    /// The adapters carry a copy because they run on their own section alone.
    pub fn share_rate_limit(&mut self) {
        self.http.rate_limit = self.rate_limit;
        self.discord.rate_limit = self.rate_limit;
        self.matrix.rate_limit = self.rate_limit;
    }

    /// Hands `[webhooks]` (its token read) to the HTTP adapter, which serves the hooks.
    pub fn share_webhooks(&mut self) {
        self.http.webhooks = self.webhooks.clone();
    }
}

/// The daily digest: sent to `discord.notify_channels` and `matrix.notify_rooms` at `at` in
/// `timezone` when `enabled`; `/digest` asks for it at any time either way.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DigestConfig {
    pub enabled: bool,
    /// `HH:MM`.
    pub at: String,
    /// An IANA zone ("Europe/Paris"); empty for the server's local time.
    pub timezone: String,
}

impl Default for DigestConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            at: "08:00".to_owned(),
            timezone: String::new(),
        }
    }
}

impl DigestConfig {
    /// When it is sent, once [`DigestConfig::problems`] found nothing.
    pub fn schedule(&self) -> Result<(chrono::NaiveTime, crate::digest::Zone), String> {
        let time = chrono::NaiveTime::parse_from_str(self.at.trim(), "%H:%M")
            .map_err(|_| format!("`{}` is not a time like 08:00", self.at))?;
        Ok((time, crate::digest::Zone::parse(&self.timezone)?))
    }
}

/// The audit log.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// JSONL file; unset = `/var/log/homelab-assistant/audit.jsonl` when writable, else
    /// `$XDG_STATE_HOME/homelab-assistant/audit.jsonl`.
    pub path: Option<PathBuf>,
}

/// Which LLM answers, if any.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    pub provider: ProviderChoice,
    /// Model name; unset = the provider's default.
    pub model: Option<String>,
    /// Base URL for the chosen provider; unset = the provider's default.
    pub base_url: Option<String>,
    /// Key for the chosen provider (any of them), overriding the per-provider keys.
    pub api_key: Option<Secret>,
    pub api_key_file: Option<PathBuf>,
    pub groq_api_key: Option<Secret>,
    pub groq_api_key_file: Option<PathBuf>,
    pub groq_base_url: Option<String>,
    pub openai_api_key: Option<Secret>,
    pub openai_api_key_file: Option<PathBuf>,
    pub openai_base_url: Option<String>,
    /// Whole-request timeout for one LLM call.
    pub timeout_secs: u64,
    /// Tool-calling rounds before answering from what was gathered.
    pub max_rounds: u32,
    /// Completion tokens per LLM call.
    pub max_tokens: u32,
    /// Estimated prompt tokens per LLM call: earlier turns, then tool results, are trimmed to fit.
    pub max_prompt_tokens: u32,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            provider: ProviderChoice::Auto,
            model: None,
            base_url: None,
            api_key: None,
            api_key_file: None,
            groq_api_key: None,
            groq_api_key_file: None,
            groq_base_url: None,
            openai_api_key: None,
            openai_api_key_file: None,
            openai_base_url: None,
            timeout_secs: 30,
            max_rounds: 5,
            max_tokens: 1024,
            max_prompt_tokens: 4000,
        }
    }
}

/// `LLM_PROVIDER`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderChoice {
    /// Groq when `GROQ_API_KEY` is set, else OpenAI when `OPENAI_API_KEY` is set, else offline.
    #[default]
    Auto,
    Groq,
    Openai,
    OpenaiCompatible,
    Offline,
}

/// Docker Engine access: one host from `DOCKER_HOST`/`docker.host`, or several named hosts.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DockerConfig {
    /// Offer the Docker tools at all.
    pub enabled: bool,
    /// `unix:///var/run/docker.sock`, `tcp://proxy:2375`, `https://host:2376`; unset = the local
    /// socket. Ignored when `hosts` is set.
    pub host: Option<String>,
    /// Several engines, each with a name that tools accept as `host`.
    pub hosts: Vec<DockerHostConfig>,
    /// Per-request timeout against the engine.
    pub timeout_secs: u64,
}

impl Default for DockerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            host: None,
            hosts: Vec::new(),
            timeout_secs: 5,
        }
    }
}

/// One named Docker engine.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DockerHostConfig {
    pub name: String,
    /// Address, as for `docker.host`.
    pub host: String,
    /// TLS files for `https://` engines.
    pub tls_ca: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

/// Diagnostics on stderr.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A level (`info`) or a filter (`homelab_assistant=debug,warn`); unset = `info` for `serve`,
    /// `warn` for one-shot commands. `RUST_LOG` wins when set.
    pub level: Option<String>,
}

/// The system tools and their sampler.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SystemConfig {
    /// How often CPU, memory, network and temperatures are sampled.
    pub sample_interval_ms: u64,
    /// How often the process table and filesystems are re-read (costlier).
    pub slow_sample_interval_ms: u64,
    /// Extra paths reported by `disk_usage` even when they are not a mount point of their own, such
    /// as a pool bind-mounted read-only into the container (`/mnt/tank`).
    pub extra_disk_paths: Vec<PathBuf>,
}

impl Default for SystemConfig {
    fn default() -> Self {
        Self {
            sample_interval_ms: 2000,
            slow_sample_interval_ms: 5000,
            extra_disk_paths: Vec::new(),
        }
    }
}

/// Per-conversation memory.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConversationConfig {
    /// Turns (a question and its answer) kept per conversation.
    pub max_turns: usize,
    /// A conversation untouched this long is forgotten.
    pub idle_expiry_secs: u64,
    /// Conversations kept at once; the least recently used goes first. Every request that names
    /// no conversation starts one, so a busy HTTP client churns through them: 1,000 is far more
    /// than a homelab's people hold (one-turn conversations take about 1 KB each).
    pub max_conversations: usize,
}

impl Default for ConversationConfig {
    fn default() -> Self {
        Self {
            max_turns: 10,
            idle_expiry_secs: 30 * 60,
            max_conversations: 1_000,
        }
    }
}

/// Alert rules (the `active_alerts` tool, `/alerts`, "any problems?") and the optional watcher
/// that posts alert changes to the chats. Every threshold is configurable; a percentage is judged
/// on the figure shown, to one decimal.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// Post alert starts, escalations and recoveries to `discord.notify_channels` and
    /// `matrix.notify_rooms`.
    pub notify: bool,
    /// How often the watcher evaluates the rules, seconds.
    pub interval_secs: u64,
    /// The same message about the same alert is never sent again within this many seconds.
    pub repeat_secs: u64,
    /// `HH:MM-HH:MM` in the server's local time (`TZ`, else /etc/localtime, else UTC): nothing is
    /// posted inside it, and one summary follows at its end. Unset = never quiet.
    pub quiet_hours: Option<QuietHours>,
    /// Most messages in any hour; then one "held back" line.
    pub max_per_hour: u32,
    /// Filesystem use, percent.
    pub disk_warning_percent: f64,
    pub disk_critical_percent: f64,
    /// Memory available, percent: an alert when *below*.
    pub memory_warning_available_percent: f64,
    pub memory_critical_available_percent: f64,
    /// Swap use, percent (only where swap exists).
    pub swap_warning_percent: f64,
    pub swap_critical_percent: f64,
    /// Load per logical core; both the 1- and the 5-minute load must reach it.
    pub load_warning_per_core: f64,
    pub load_critical_per_core: f64,
    /// Sensor temperature, °C; a sensor's own lower critical point also counts as critical.
    pub temperature_warning_celsius: f64,
    pub temperature_critical_celsius: f64,
    /// A container restarted by its policy within this window is reported, seconds.
    pub restart_window_secs: u64,
    /// This many restarts within the window, or the `restarting` state, is a restart loop.
    pub restart_loop_count: u32,
    /// An OOM kill is reported for this long after it, seconds.
    pub oom_window_secs: u64,
    /// Mount points that never raise a disk alert.
    pub ignore_disks: Vec<String>,
    /// Container names that never raise a container alert.
    pub ignore_containers: Vec<String>,
    /// A pool whose last scrub ended longer ago than this is overdue (TrueNAS).
    pub scrub_max_age_days: u64,
    /// A dataset whose newest snapshot is older than this is stale (TrueNAS).
    pub snapshot_max_age_hours: u64,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            notify: false,
            interval_secs: 60,
            repeat_secs: 3600,
            quiet_hours: None,
            max_per_hour: 10,
            disk_warning_percent: 85.0,
            disk_critical_percent: 95.0,
            memory_warning_available_percent: 10.0,
            memory_critical_available_percent: 5.0,
            swap_warning_percent: 80.0,
            swap_critical_percent: 95.0,
            load_warning_per_core: 2.0,
            load_critical_per_core: 4.0,
            temperature_warning_celsius: 80.0,
            temperature_critical_celsius: 90.0,
            restart_window_secs: 600,
            restart_loop_count: 3,
            oom_window_secs: 86_400,
            ignore_disks: Vec::new(),
            ignore_containers: Vec::new(),
            scrub_max_age_days: 35,
            snapshot_max_age_hours: 48,
        }
    }
}

/// One problem in the configuration, with where the value came from when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Dotted key, e.g. `rate_limit.requests`; empty for whole-file problems.
    pub key: String,
    pub message: String,
    /// "file config/homelab.toml", "env RATE_LIMIT_REQUESTS", …
    pub source: Option<String>,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}", self.message)?;
        } else {
            write!(f, "{}: {}", self.key, self.message)?;
        }
        if let Some(source) = &self.source {
            write!(f, " (from {source})")?;
        }
        Ok(())
    }
}

/// Every problem found, reported together.
#[derive(Clone, Debug, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigProblem>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        write!(
            f,
            "{count} configuration error{}:",
            if count == 1 { "" } else { "s" }
        )?;
        for problem in &self.0 {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

/// A validated configuration and where it came from.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub config: Config,
    /// The TOML file that was read, if any.
    pub file: Option<PathBuf>,
}

fn problem(key: &str, message: impl Into<String>) -> ConfigProblem {
    ConfigProblem {
        key: key.to_owned(),
        message: message.into(),
        source: None,
    }
}

/// The problems an adapter (or the kit) found in its own section, keyed under `section`; where
/// the value came from is added once all problems are in.
fn in_section(
    section: &str,
    found: Vec<homelab_kit::ConfigProblem>,
) -> impl Iterator<Item = ConfigProblem> + '_ {
    found
        .into_iter()
        .map(move |found| problem(&format!("{section}.{}", found.key), found.message))
}

#[cfg(test)]
mod tests;
