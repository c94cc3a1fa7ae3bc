//! The one configuration of the whole program: built-in defaults < TOML file < environment, with the
//! old stack's variable names, secrets from `*_FILE` paths, and validation that reports every
//! error at once so a user fixes their config in one go.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::value::{Dict, Value};
use serde::{Deserialize, Serialize};

use crate::secret::Secret;

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
    pub http: HttpConfig,
    pub rate_limit: RateLimitConfig,
    pub log: LogConfig,
    pub system: SystemConfig,
    pub conversation: ConversationConfig,
    pub docker: DockerConfig,
    pub discord: DiscordConfig,
    pub matrix: MatrixConfig,
    pub alerts: AlertsConfig,
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

/// The HTTP `/chat` fallback.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Start the HTTP adapter under `serve`.
    pub enabled: bool,
    /// Listen address; port 0 picks a free port.
    pub bind: String,
    /// The legacy single key (`API_KEY`); its audit user name is `default`.
    pub api_key: Option<Secret>,
    pub api_key_file: Option<PathBuf>,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Longest accepted message, in characters.
    pub max_message_chars: usize,
    /// Named keys (`[[http.api_keys]] name = "…", key_file = "…"`); the name is the audit user.
    pub api_keys: Vec<NamedApiKey>,
    /// Serve `/metrics` without a key on any address; otherwise only to loopback clients.
    pub metrics_public: bool,
    /// Web origins (`https://dash.example.org`) whose pages may call `/chat` from a browser.
    pub allowed_origins: Vec<String>,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_grace_secs: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            bind: "127.0.0.1:8000".to_owned(),
            api_key: None,
            api_key_file: None,
            max_body_bytes: 16 * 1024,
            max_message_chars: 4000,
            api_keys: Vec::new(),
            metrics_public: false,
            allowed_origins: Vec::new(),
            shutdown_grace_secs: 10,
        }
    }
}

impl HttpConfig {
    /// Every configured key with its name; the legacy `API_KEY` is named `default`.
    pub fn keys(&self) -> Vec<(String, Secret)> {
        let legacy = self
            .api_key
            .iter()
            .map(|key| ("default".to_owned(), key.clone()));
        let named = self
            .api_keys
            .iter()
            .filter_map(|k| k.key.clone().map(|key| (k.name.clone(), key)));
        legacy.chain(named).collect()
    }
}

/// One named HTTP API key.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NamedApiKey {
    pub name: String,
    pub key: Option<Secret>,
    pub key_file: Option<PathBuf>,
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

/// The Discord bot; on when a token is set.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscordConfig {
    /// Bot token (`DISCORD_TOKEN`).
    pub token: Option<Secret>,
    pub token_file: Option<PathBuf>,
    /// Discord API base (tests point it at a loopback fake); unset = discord.com.
    pub api_base: Option<String>,
    /// Allow-lists of IDs, combined with AND; at least one must be set.
    pub allowed_guilds: Vec<u64>,
    pub allowed_channels: Vec<u64>,
    pub allowed_users: Vec<u64>,
    pub allowed_roles: Vec<u64>,
    /// Answer messages that mention the bot (no privileged intent: Discord sends the content of
    /// messages that mention it).
    pub respond_to_mentions: bool,
    /// Channels the alert watcher posts to.
    pub notify_channels: Vec<u64>,
}

impl DiscordConfig {
    pub fn enabled(&self) -> bool {
        self.token.is_some()
    }
}

/// The Matrix bot; on when a homeserver is set.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatrixConfig {
    /// `MATRIX_HOMESERVER`, e.g. `https://matrix.example.org`.
    pub homeserver: Option<String>,
    /// `MATRIX_USER`: the bot's MXID (`@assistant:example.org`) or localpart.
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub password_file: Option<PathBuf>,
    pub access_token: Option<Secret>,
    pub access_token_file: Option<PathBuf>,
    /// Device display name of the bot's session.
    pub device_name: String,
    /// Session and crypto store; unset = `$XDG_STATE_HOME/homelab-assistant/matrix`.
    pub store_path: Option<PathBuf>,
    /// Passphrase of the encrypted store.
    pub store_passphrase: Option<Secret>,
    pub store_passphrase_file: Option<PathBuf>,
    /// Allow-lists, combined with AND; at least one must be set.
    pub allowed_users: Vec<String>,
    pub allowed_rooms: Vec<String>,
    /// Prefix of direct commands (`!status`).
    pub command_prefix: String,
    /// Rooms the alert watcher posts to.
    pub notify_rooms: Vec<String>,
}

impl Default for MatrixConfig {
    fn default() -> Self {
        Self {
            homeserver: None,
            user: None,
            password: None,
            password_file: None,
            access_token: None,
            access_token_file: None,
            device_name: "Homelab Assistant".to_owned(),
            store_path: None,
            store_passphrase: None,
            store_passphrase_file: None,
            allowed_users: Vec::new(),
            allowed_rooms: Vec::new(),
            command_prefix: "!".to_owned(),
            notify_rooms: Vec::new(),
        }
    }
}

impl MatrixConfig {
    pub fn enabled(&self) -> bool {
        self.homeserver.is_some()
    }

    /// `store_path`, else `$XDG_STATE_HOME/homelab-assistant/matrix`, else under
    /// `$HOME/.local/state`; `None` only when none of them is set.
    pub fn effective_store_path(&self) -> Option<PathBuf> {
        if let Some(path) = &self.store_path {
            return Some(path.clone());
        }
        std::env::var_os("XDG_STATE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
            .map(|state| state.join("homelab-assistant/matrix"))
    }

    /// Whether an earlier start saved a session that later starts restore without credentials.
    fn has_saved_session(&self) -> bool {
        self.effective_store_path()
            .is_some_and(|store| store.join(MATRIX_SESSION_FILE).is_file())
    }
}

/// The file in the Matrix store where the adapter keeps its session (device and access token).
const MATRIX_SESSION_FILE: &str = "session.json";

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

/// Requests per window, per key or client.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    pub requests: u32,
    pub window_secs: u64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            requests: 60,
            window_secs: 60,
        }
    }
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
    /// Conversations kept at once; the least recently used goes first.
    pub max_conversations: usize,
}

impl Default for ConversationConfig {
    fn default() -> Self {
        Self {
            max_turns: 10,
            idle_expiry_secs: 30 * 60,
            max_conversations: 10_000,
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
    pub quiet_hours: Option<String>,
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
        }
    }
}

impl AlertsConfig {
    /// Every problem with the `[alerts]` section.
    fn validate(&self, problems: &mut Vec<ConfigProblem>) {
        let key = |name: &str| format!("alerts.{name}");
        let mut range = |name: &str, ok: bool, message: &str| {
            if !ok {
                problems.push(problem(&key(name), message));
            }
        };
        range(
            "interval_secs",
            (10..=86_400).contains(&self.interval_secs),
            "must be between 10 and 86400",
        );
        range(
            "repeat_secs",
            self.repeat_secs <= 7 * 86_400,
            "must be at most 604800 (a week)",
        );
        range(
            "max_per_hour",
            (1..=1000).contains(&self.max_per_hour),
            "must be between 1 and 1000",
        );
        range(
            "restart_window_secs",
            (60..=86_400).contains(&self.restart_window_secs),
            "must be between 60 and 86400",
        );
        range(
            "restart_loop_count",
            (2..=1000).contains(&self.restart_loop_count),
            "must be between 2 and 1000",
        );
        range(
            "oom_window_secs",
            (60..=30 * 86_400).contains(&self.oom_window_secs),
            "must be between 60 and 2592000 (30 days)",
        );
        // Pairs of (warning, critical) that are bad when high: 0 < warning <= critical <= max.
        for (name, warning, critical, max) in [
            (
                "disk",
                self.disk_warning_percent,
                self.disk_critical_percent,
                100.0,
            ),
            (
                "swap",
                self.swap_warning_percent,
                self.swap_critical_percent,
                100.0,
            ),
            (
                "load",
                self.load_warning_per_core,
                self.load_critical_per_core,
                1000.0,
            ),
            (
                "temperature",
                self.temperature_warning_celsius,
                self.temperature_critical_celsius,
                200.0,
            ),
        ] {
            let suffix = match name {
                "load" => "per_core",
                "temperature" => "celsius",
                _ => "percent",
            };
            range(
                &format!("{name}_warning_{suffix}"),
                warning > 0.0 && warning <= critical,
                &format!("must be above 0 and at most {name}_critical_{suffix} ({critical})"),
            );
            range(
                &format!("{name}_critical_{suffix}"),
                critical > 0.0 && critical <= max,
                &format!("must be above 0 and at most {max}"),
            );
        }
        // Memory is judged on what is available, so there critical is the lower figure.
        let (warning, critical) = (
            self.memory_warning_available_percent,
            self.memory_critical_available_percent,
        );
        range(
            "memory_warning_available_percent",
            warning > 0.0 && warning < 100.0 && critical <= warning,
            &format!(
                "must be above 0, below 100 and at least memory_critical_available_percent \
                 ({critical})"
            ),
        );
        range(
            "memory_critical_available_percent",
            (0.0..100.0).contains(&critical),
            "must be between 0 and 100",
        );
        if let Some(quiet) = &self.quiet_hours
            && let Err(err) = crate::alerts::QuietHours::parse(quiet)
        {
            problems.push(problem(&key("quiet_hours"), err.to_string()));
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

/// Which file to read: `--config`, else `HOMELAB_CONFIG`, else `config/homelab.toml` when present.
pub fn choose_file(explicit: Option<&Path>) -> Option<(PathBuf, bool)> {
    if let Some(path) = explicit {
        return Some((path.to_owned(), true));
    }
    if let Some(path) = std::env::var_os("HOMELAB_CONFIG").filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(path), true));
    }
    let default = PathBuf::from(DEFAULT_CONFIG_FILE);
    default.is_file().then_some((default, false))
}

/// Reads, layers and validates the configuration from the real file system and environment.
pub fn load(explicit: Option<&Path>) -> Result<Loaded, ConfigErrors> {
    let file = choose_file(explicit);
    if let Some((path, _)) = &file
        && !path.is_file()
    {
        return Err(ConfigErrors(vec![ConfigProblem {
            key: String::new(),
            message: format!(
                "config file {} does not exist or is not a file",
                path.display()
            ),
            source: None,
        }]));
    }
    let figment = layered(file.as_ref().map(|(path, _)| path.as_path()));
    let config = from_figment(&figment)?;
    Ok(Loaded {
        config,
        file: file.map(|(path, _)| path),
    })
}

/// The file (if any) under the environment: the old names, then `HOMELAB_*`, then secrets verbatim.
fn layered(file: Option<&Path>) -> Figment {
    let mut figment = Figment::new();
    if let Some(path) = file {
        figment = figment.merge(Toml::file_exact(path));
    }
    figment
        .merge(legacy_env())
        .merge(homelab_env())
        .merge(RawSecretEnv)
}

/// The old stack's names, mapped onto our keys.
fn legacy_env() -> Env {
    // Secrets are read verbatim by `RawSecretEnv` instead.
    let names: Vec<&str> = LEGACY_ENV
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            !SECRET_SETTINGS
                .iter()
                .any(|(_, legacy)| *legacy == Some(*name))
        })
        .collect();
    Env::raw().only(&names).map(|name| {
        LEGACY_ENV
            .iter()
            .find(|(legacy, _)| name == *legacy)
            .map(|(_, key)| (*key).into())
            .unwrap_or_else(|| name.into())
    })
}

/// `HOMELAB_SECTION__KEY`; `HOMELAB_CONFIG` names the file and is not a key.
fn homelab_env() -> Env {
    // HOMELAB_TEST_* names belong to the test suite (fixture addresses), not to the program.
    Env::prefixed("HOMELAB_")
        .ignore(&["CONFIG"])
        .filter(|key| {
            let key = key.as_str().to_ascii_lowercase();
            // Secrets are read verbatim by `RawSecretEnv` instead.
            let secret = SECRET_SETTINGS
                .iter()
                .any(|(setting, _)| setting.replace('.', "__") == key);
            !key.starts_with("test_") && !secret
        })
        .split("__")
}

/// Extracts and validates, collecting every unknown key, bad value and failed check.
pub fn from_figment(figment: &Figment) -> Result<Config, ConfigErrors> {
    let mut problems = Vec::new();
    let mut data: Dict = match figment.extract() {
        Ok(data) => data,
        Err(errors) => {
            // A provider itself failed (e.g. TOML syntax): nothing more can be checked.
            let problems = errors
                .into_iter()
                .map(|e| ConfigProblem {
                    key: e.path.join("."),
                    message: e.kind.to_string(),
                    source: e.metadata.as_ref().map(describe_source_of_provider),
                })
                .collect();
            return Err(ConfigErrors(problems));
        }
    };
    drop_empty_strings(&mut data);

    // serde stops at the first error; remove each offending key and try again to find the rest.
    let mut config = None;
    for _ in 0..256 {
        match Figment::from(Serialized::defaults(&data)).extract::<Config>() {
            Ok(parsed) => {
                config = Some(parsed);
                break;
            }
            Err(errors) => {
                let mut removed_any = false;
                for error in errors {
                    let mut path = error.path.clone();
                    let message = match &error.kind {
                        figment::error::Kind::UnknownField(field, expected) => {
                            if path.last() != Some(field) {
                                path.push(field.clone());
                            }
                            if expected.is_empty() {
                                "unknown key".to_owned()
                            } else {
                                format!("unknown key; expected one of: {}", expected.join(", "))
                            }
                        }
                        kind => kind.to_string(),
                    };
                    let key = path.join(".");
                    problems.push(ConfigProblem {
                        source: source_of(figment, &key),
                        key,
                        message,
                    });
                    removed_any |= remove_path(&mut data, &path);
                }
                if !removed_any {
                    break;
                }
            }
        }
    }
    let Some(mut config) = config else {
        return Err(ConfigErrors(problems));
    };
    config.resolve_secret_files(&mut problems);
    config.validate(&mut problems);
    for problem in problems.iter_mut().filter(|p| p.source.is_none()) {
        problem.source = source_of(figment, &problem.key);
    }
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(ConfigErrors(problems))
    }
}

/// An empty environment variable (`API_KEY=` in a .env file) means "unset", not "empty".
fn drop_empty_strings(dict: &mut Dict) {
    dict.retain(|_, value| !matches!(value, Value::String(_, s) if s.trim().is_empty()));
    for value in dict.values_mut() {
        if let Value::Dict(_, inner) = value {
            drop_empty_strings(inner);
        }
    }
}

fn remove_path(dict: &mut Dict, path: &[String]) -> bool {
    match path {
        [] => false,
        [last] => dict.remove(last).is_some(),
        [first, rest @ ..] => match dict.get_mut(first) {
            Some(Value::Dict(_, inner)) => remove_path(inner, rest),
            Some(_) => dict.remove(first).is_some(),
            None => false,
        },
    }
}

fn source_of(figment: &Figment, key: &str) -> Option<String> {
    if key.is_empty() {
        return None;
    }
    let metadata = figment.find_metadata(key)?;
    if let Some(figment::Source::File(path)) = &metadata.source {
        return Some(format!("file {}", path.display()));
    }
    if !metadata.name.contains("environment") {
        return Some(metadata.name.to_string());
    }
    let legacy = LEGACY_ENV
        .iter()
        .find(|(_, legacy_key)| *legacy_key == key)
        .map(|(name, _)| *name)
        .filter(|name| std::env::var_os(name).is_some());
    Some(match legacy {
        Some(name) if !metadata.name.contains("HOMELAB_") => format!("env {name}"),
        _ => format!("env HOMELAB_{}", key.replace('.', "__").to_uppercase()),
    })
}

fn describe_source_of_provider(metadata: &figment::Metadata) -> String {
    match &metadata.source {
        Some(figment::Source::File(path)) => format!("file {}", path.display()),
        _ => metadata.name.to_string(),
    }
}

fn problem(key: &str, message: impl Into<String>) -> ConfigProblem {
    ConfigProblem {
        key: key.to_owned(),
        message: message.into(),
        source: None,
    }
}

/// Every secret setting, with the old stack's environment name where it has one. Each also has a
/// `<key>_file` companion, and named HTTP keys (`http.api_keys[].key` / `key_file`) follow the
/// same rules. This table is the one place secrets are listed: the environment reader and the
/// file reader both go by it.
pub const SECRET_SETTINGS: &[(&str, Option<&str>)] = &[
    ("http.api_key", Some("API_KEY")),
    ("llm.api_key", Some("LLM_API_KEY")),
    ("llm.groq_api_key", Some("GROQ_API_KEY")),
    ("llm.openai_api_key", Some("OPENAI_API_KEY")),
    ("discord.token", Some("DISCORD_TOKEN")),
    ("matrix.password", Some("MATRIX_PASSWORD")),
    ("matrix.access_token", Some("MATRIX_ACCESS_TOKEN")),
    ("matrix.store_passphrase", None),
];

/// `HOMELAB_HTTP__API_KEY` for `http.api_key`.
fn homelab_env_name(key: &str) -> String {
    format!("HOMELAB_{}", key.replace('.', "__").to_ascii_uppercase())
}

/// Secrets from the environment, taken verbatim: figment's own reader would turn
/// `API_KEY=000123` into the number 123 and `API_KEY=true` into a boolean.
struct RawSecretEnv;

impl figment::Provider for RawSecretEnv {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named("environment variable(s), secrets read verbatim")
    }

    fn data(&self) -> Result<figment::value::Map<figment::Profile, Dict>, figment::Error> {
        let mut figment = Figment::new();
        for (key, legacy) in SECRET_SETTINGS {
            // The HOMELAB_ name wins over the old one, as for every other setting.
            let names = legacy
                .iter()
                .map(|name| (*name).to_owned())
                .chain([homelab_env_name(key)]);
            for name in names {
                if let Some(value) = std::env::var_os(&name)
                    .map(|v| v.to_string_lossy().into_owned())
                    .filter(|v| !v.trim().is_empty())
                {
                    figment = figment.merge(Serialized::default(key, value));
                }
            }
        }
        figment.data()
    }
}

/// Reads `*_file` into its secret; a secret given both ways is ambiguous.
fn resolve_secret(
    key: &str,
    value: &mut Option<Secret>,
    file: Option<&Path>,
    problems: &mut Vec<ConfigProblem>,
) {
    let Some(path) = file else { return };
    if value.is_some() {
        problems.push(problem(
            key,
            format!("set either {key} or {key}_file, not both"),
        ));
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => problems.push(problem(
            &format!("{key}_file"),
            format!("{} is empty", path.display()),
        )),
        Ok(text) => *value = Some(Secret::new(text.trim().to_owned())),
        Err(err) => problems.push(problem(
            &format!("{key}_file"),
            format!("cannot read {}: {err}", path.display()),
        )),
    }
}

/// One secret setting and the file it may be read from.
struct SecretSlot<'a> {
    key: String,
    value: &'a mut Option<Secret>,
    file: Option<PathBuf>,
}

impl Config {
    /// Every secret of the configuration, in [`SECRET_SETTINGS`] order, then the named HTTP keys.
    fn secret_slots(&mut self) -> Vec<SecretSlot<'_>> {
        let Config {
            http,
            llm,
            discord,
            matrix,
            ..
        } = self;
        fn slot<'a>(
            key: &str,
            value: &'a mut Option<Secret>,
            file: &Option<PathBuf>,
        ) -> SecretSlot<'a> {
            SecretSlot {
                key: key.to_owned(),
                value,
                file: file.clone(),
            }
        }
        let mut slots = vec![
            slot("http.api_key", &mut http.api_key, &http.api_key_file),
            slot("llm.api_key", &mut llm.api_key, &llm.api_key_file),
            slot(
                "llm.groq_api_key",
                &mut llm.groq_api_key,
                &llm.groq_api_key_file,
            ),
            slot(
                "llm.openai_api_key",
                &mut llm.openai_api_key,
                &llm.openai_api_key_file,
            ),
            slot("discord.token", &mut discord.token, &discord.token_file),
            slot(
                "matrix.password",
                &mut matrix.password,
                &matrix.password_file,
            ),
            slot(
                "matrix.access_token",
                &mut matrix.access_token,
                &matrix.access_token_file,
            ),
            slot(
                "matrix.store_passphrase",
                &mut matrix.store_passphrase,
                &matrix.store_passphrase_file,
            ),
        ];
        debug_assert_eq!(slots.len(), SECRET_SETTINGS.len());
        for (index, named) in http.api_keys.iter_mut().enumerate() {
            slots.push(SecretSlot {
                key: format!("http.api_keys.{index}.key"),
                file: named.key_file.clone(),
                value: &mut named.key,
            });
        }
        slots
    }

    fn resolve_secret_files(&mut self, problems: &mut Vec<ConfigProblem>) {
        for slot in self.secret_slots() {
            resolve_secret(&slot.key, slot.value, slot.file.as_deref(), problems);
        }
    }

    fn validate(&self, problems: &mut Vec<ConfigProblem>) {
        let mut check = |ok: bool, key: &str, message: &str| {
            if !ok {
                problems.push(problem(key, message));
            }
        };
        check(
            self.rate_limit.requests > 0,
            "rate_limit.requests",
            "must be at least 1",
        );
        check(
            (1..=86_400).contains(&self.rate_limit.window_secs),
            "rate_limit.window_secs",
            "must be between 1 and 86400 seconds",
        );
        check(
            (1..=100).contains(&self.conversation.max_turns),
            "conversation.max_turns",
            "must be between 1 and 100",
        );
        check(
            self.conversation.idle_expiry_secs > 0,
            "conversation.idle_expiry_secs",
            "must be at least 1",
        );
        check(
            self.conversation.max_conversations > 0,
            "conversation.max_conversations",
            "must be at least 1",
        );
        check(
            (100..=60_000).contains(&self.system.sample_interval_ms),
            "system.sample_interval_ms",
            "must be between 100 and 60000",
        );
        check(
            (500..=600_000).contains(&self.system.slow_sample_interval_ms),
            "system.slow_sample_interval_ms",
            "must be between 500 and 600000",
        );
        check(
            (1..=600).contains(&self.llm.timeout_secs),
            "llm.timeout_secs",
            "must be between 1 and 600",
        );
        check(
            (1..=20).contains(&self.llm.max_rounds),
            "llm.max_rounds",
            "must be between 1 and 20",
        );
        check(
            (16..=32_768).contains(&self.llm.max_tokens),
            "llm.max_tokens",
            "must be between 16 and 32768",
        );
        check(
            self.http.max_body_bytes >= 256,
            "http.max_body_bytes",
            "must be at least 256",
        );
        check(
            (1..=300).contains(&self.http.shutdown_grace_secs),
            "http.shutdown_grace_secs",
            "must be between 1 and 300",
        );
        check(
            (1..=120).contains(&self.docker.timeout_secs),
            "docker.timeout_secs",
            "must be between 1 and 120",
        );
        check(
            self.http.max_message_chars >= 1,
            "http.max_message_chars",
            "must be at least 1",
        );
        for (key, url) in [
            ("llm.base_url", &self.llm.base_url),
            ("llm.groq_base_url", &self.llm.groq_base_url),
            ("llm.openai_base_url", &self.llm.openai_base_url),
        ] {
            if let Some(url) = url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                problems.push(problem(key, "must start with http:// or https://"));
            }
        }
        match self.http.bind.parse::<SocketAddr>() {
            Ok(addr) => {
                if !addr.ip().is_loopback() && self.http.keys().is_empty() && self.http.enabled {
                    problems.push(problem(
                        "http.bind",
                        format!(
                            "{addr} is reachable from other machines, so an API key is required \
                             (API_KEY or http.api_key_file); without one, bind 127.0.0.1"
                        ),
                    ));
                }
            }
            Err(_) => problems.push(problem(
                "http.bind",
                format!("`{}` is not an address like 127.0.0.1:8000", self.http.bind),
            )),
        }
        let mut names = std::collections::HashSet::new();
        for (i, named) in self.http.api_keys.iter().enumerate() {
            if named.key.is_none() && named.key_file.is_none() {
                // Left out, the server would run with one key fewer, or with none at all.
                problems.push(problem(
                    &format!("http.api_keys.{i}.key"),
                    "needs `key` or `key_file`",
                ));
            }
            if named.name.trim().is_empty() || named.name == "default" {
                problems.push(problem(
                    &format!("http.api_keys.{i}.name"),
                    "needs a name other than `default` (that is API_KEY's)",
                ));
            } else if !names.insert(named.name.as_str()) {
                problems.push(problem(
                    &format!("http.api_keys.{i}.name"),
                    format!("`{}` is used twice", named.name),
                ));
            }
        }
        for (i, origin) in self.http.allowed_origins.iter().enumerate() {
            let valid = origin.split_once("://").is_some_and(|(scheme, authority)| {
                matches!(scheme, "http" | "https")
                    && !authority.is_empty()
                    && !authority.trim_end_matches('/').contains('/')
            });
            if !valid {
                problems.push(problem(
                    &format!("http.allowed_origins.{i}"),
                    format!("`{origin}` is not an origin like https://dash.example.org"),
                ));
            }
        }
        let mut docker_names = std::collections::HashSet::new();
        for (i, host) in self.docker.hosts.iter().enumerate() {
            if host.name.trim().is_empty() || !docker_names.insert(host.name.as_str()) {
                problems.push(problem(
                    &format!("docker.hosts.{i}.name"),
                    "needs a unique, non-empty name",
                ));
            }
            if !valid_docker_address(&host.host) {
                problems.push(problem(
                    &format!("docker.hosts.{i}.host"),
                    "must be unix://PATH, tcp://HOST:PORT, http://… or https://…",
                ));
            }
        }
        if let Some(host) = &self.docker.host
            && !valid_docker_address(host)
        {
            problems.push(problem(
                "docker.host",
                "must be unix://PATH, tcp://HOST:PORT, http://… or https://…",
            ));
        }
        if self.discord.enabled() {
            let d = &self.discord;
            if d.allowed_guilds.is_empty()
                && d.allowed_channels.is_empty()
                && d.allowed_users.is_empty()
                && d.allowed_roles.is_empty()
            {
                problems.push(problem(
                    "discord.allowed_users",
                    "the Discord bot needs at least one allow-list (allowed_guilds, \
                     allowed_channels, allowed_users or allowed_roles); it refuses to start open",
                ));
            }
            for (key, ids) in [
                ("discord.allowed_guilds", &d.allowed_guilds),
                ("discord.allowed_channels", &d.allowed_channels),
                ("discord.allowed_users", &d.allowed_users),
                ("discord.allowed_roles", &d.allowed_roles),
                ("discord.notify_channels", &d.notify_channels),
            ] {
                // Snowflakes are never 0; caught here so check-config finds what serve would.
                if ids.contains(&0) {
                    problems.push(problem(key, "contains 0, which is not a Discord ID"));
                }
            }
        }
        if self.matrix.enabled() {
            let m = &self.matrix;
            if m.allowed_users.is_empty() && m.allowed_rooms.is_empty() {
                problems.push(problem(
                    "matrix.allowed_users",
                    "the Matrix bot needs allowed_users or allowed_rooms; it refuses to start open",
                ));
            }
            if m.user.is_none() {
                problems.push(problem(
                    "matrix.user",
                    "MATRIX_USER is required with MATRIX_HOMESERVER",
                ));
            }
            if m.password.is_none() && m.access_token.is_none() && !m.has_saved_session() {
                problems.push(problem(
                    "matrix.password",
                    "MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN is required for the first login \
                     (the store holds no saved session yet)",
                ));
            }
            if let Some(url) = &m.homeserver
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                problems.push(problem(
                    "matrix.homeserver",
                    "must start with http:// or https://",
                ));
            }
            if m.command_prefix.trim().is_empty() {
                problems.push(problem("matrix.command_prefix", "must not be empty"));
            }
        }
        if let Some(level) = &self.log.level
            && tracing_subscriber::EnvFilter::try_new(level).is_err()
        {
            problems.push(problem(
                "log.level",
                format!("`{level}` is not a level (error, warn, info, debug, trace) or a filter"),
            ));
        }
        match self.llm.provider {
            ProviderChoice::Groq
                if self.llm.api_key.is_none() && self.llm.groq_api_key.is_none() =>
            {
                problems.push(problem(
                    "llm.provider",
                    "groq needs GROQ_API_KEY (or LLM_API_KEY)",
                ));
            }
            ProviderChoice::Openai
                if self.llm.api_key.is_none() && self.llm.openai_api_key.is_none() =>
            {
                problems.push(problem(
                    "llm.provider",
                    "openai needs OPENAI_API_KEY (or LLM_API_KEY)",
                ));
            }
            ProviderChoice::OpenaiCompatible if self.llm.base_url.is_none() => {
                problems.push(problem(
                    "llm.base_url",
                    "openai-compatible needs LLM_BASE_URL, e.g. http://localhost:11434/v1",
                ));
            }
            _ => {}
        }
        self.alerts.validate(problems);
    }

    /// The effective configuration as TOML, secrets masked.
    pub fn to_masked_toml(&self) -> String {
        toml_from_serializable(self)
    }
}

/// Every dotted key the configuration accepts (`http.bind`, `audit.path`, …).
pub fn known_keys() -> Vec<String> {
    let Ok(dict) = Figment::from(Serialized::defaults(Config::default())).extract::<Dict>() else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    for (section, value) in &dict {
        match value {
            Value::Dict(_, inner) => keys.extend(inner.keys().map(|k| format!("{section}.{k}"))),
            _ => keys.push(section.clone()),
        }
    }
    keys
}

/// `http://user:pass@host/?token=t` → `http://user:***@host/?token=***`, for showing settings.
fn mask_url_credentials(text: &str) -> std::borrow::Cow<'_, str> {
    static USERINFO: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@]*):[^/\s@]+@").expect("valid")
    });
    static QUERY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)([?&](?:token|access_token|api_?key|apikey|key|password|pass|secret|auth)=)[^&#\s]+",
        )
        .expect("valid")
    });
    match USERINFO.replace_all(text, "${1}:***@") {
        std::borrow::Cow::Borrowed(text) => QUERY.replace_all(text, "${1}***"),
        std::borrow::Cow::Owned(masked) => {
            std::borrow::Cow::Owned(QUERY.replace_all(&masked, "${1}***").into_owned())
        }
    }
}

fn valid_docker_address(address: &str) -> bool {
    ["unix://", "tcp://", "http://", "https://"]
        .iter()
        .any(|scheme| address.starts_with(scheme) && address.len() > scheme.len())
}

fn toml_from_serializable(config: &Config) -> String {
    // figment's TOML support is read-only; render through its Value so we need no second parser.
    let value = match Figment::from(Serialized::defaults(config)).extract::<Dict>() {
        Ok(dict) => dict,
        Err(err) => return format!("# cannot render the configuration: {err}\n"),
    };
    let mut out = String::new();
    let mut sections: Vec<(&String, &Dict)> = Vec::new();
    for (key, value) in &value {
        match value {
            Value::Dict(_, inner) => sections.push((key, inner)),
            other => out.push_str(&render_toml_line(key, other)),
        }
    }
    for (name, dict) in sections {
        out.push_str(&format!("\n[{name}]\n"));
        for (key, value) in dict {
            out.push_str(&render_toml_line(key, value));
        }
    }
    out
}

fn render_toml_line(key: &str, value: &Value) -> String {
    match value {
        Value::Empty(..) => format!("# {key} is unset\n"),
        value => format!("{key} = {}\n", render_toml_value(value)),
    }
}

fn render_toml_value(value: &Value) -> String {
    match value {
        Value::String(_, s) => serde_json::to_string(&mask_url_credentials(s)).unwrap_or_default(),
        Value::Char(_, c) => serde_json::to_string(&c.to_string()).unwrap_or_default(),
        Value::Bool(_, b) => b.to_string(),
        Value::Num(_, n) => n
            .to_u128()
            .map(|v| v.to_string())
            .or_else(|| n.to_i128().map(|v| v.to_string()))
            .or_else(|| n.to_f64().map(|v| v.to_string()))
            .unwrap_or_default(),
        Value::Empty(..) => "\"\"".to_owned(),
        Value::Array(_, items) => {
            let inner: Vec<String> = items.iter().map(render_toml_value).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Dict(_, dict) => {
            let inner: Vec<String> = dict
                .iter()
                .map(|(k, v)| format!("{k} = {}", render_toml_value(v)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail closures return its (large) error type.
mod tests {
    use super::*;
    use figment::Jail;

    fn load_in(jail: &Jail) -> Result<Config, ConfigErrors> {
        let _ = jail;
        let file = choose_file(None).map(|(path, _)| path);
        from_figment(&layered(file.as_deref()))
    }

    #[test]
    fn defaults_are_valid_and_offline() {
        Jail::expect_with(|jail| {
            let config = load_in(jail).expect("defaults are valid");
            assert_eq!(config.llm.provider, ProviderChoice::Auto);
            assert_eq!(config.http.bind, "127.0.0.1:8000");
            assert_eq!(config.rate_limit.requests, 60);
            assert_eq!(config.rate_limit.window_secs, 60);
            assert!(config.audit.path.is_none());
            Ok(())
        });
    }

    #[test]
    fn matrix_needs_credentials_only_until_a_session_is_saved() {
        Jail::expect_with(|jail| {
            jail.set_env("MATRIX_HOMESERVER", "http://127.0.0.1:8008");
            jail.set_env("MATRIX_USER", "@assistant:localhost");
            jail.set_env("HOMELAB_MATRIX__ALLOWED_USERS", "[\"@alice:localhost\"]");
            let store = jail.directory().join("store");
            jail.set_env("HOMELAB_MATRIX__STORE_PATH", store.display());
            let errors = load_in(jail).expect_err("first login").to_string();
            assert!(errors.contains("matrix.password"), "{errors}");

            jail.create_dir("store")?;
            jail.create_file("store/session.json", "{}")?;
            let config = load_in(jail).expect("a saved session is enough");
            assert_eq!(config.matrix.effective_store_path(), Some(store));
            Ok(())
        });
    }

    #[test]
    fn a_zero_discord_id_is_named_by_check_config() {
        Jail::expect_with(|jail| {
            jail.set_env("DISCORD_TOKEN", "token");
            jail.set_env("HOMELAB_DISCORD__ALLOWED_USERS", "[42, 0]");
            jail.set_env("HOMELAB_DISCORD__NOTIFY_CHANNELS", "[0]");
            let errors = load_in(jail).expect_err("0 is no snowflake").to_string();
            assert!(errors.contains("discord.allowed_users"), "{errors}");
            assert!(errors.contains("discord.notify_channels"), "{errors}");
            assert!(errors.contains("not a Discord ID"), "{errors}");
            Ok(())
        });
    }

    #[test]
    fn env_beats_file_beats_defaults() {
        Jail::expect_with(|jail| {
            jail.create_dir("config")?;
            jail.create_file(
                DEFAULT_CONFIG_FILE,
                "[rate_limit]\nrequests = 10\nwindow_secs = 30\n[audit]\npath = \"/tmp/a.jsonl\"\n",
            )?;
            jail.set_env("HOMELAB_RATE_LIMIT__REQUESTS", "20");
            let config = load_in(jail).expect("valid");
            assert_eq!(config.rate_limit.requests, 20, "env overrides the file");
            assert_eq!(config.rate_limit.window_secs, 30, "file overrides defaults");
            assert_eq!(
                config.audit.path.as_deref(),
                Some(Path::new("/tmp/a.jsonl"))
            );
            assert_eq!(config.conversation.max_turns, 10, "defaults fill the rest");
            Ok(())
        });
    }

    #[test]
    fn legacy_names_map_onto_keys_and_homelab_names_win() {
        Jail::expect_with(|jail| {
            jail.set_env("RATE_LIMIT_REQUESTS", "5");
            jail.set_env("RATE_LIMIT_WINDOW", "7");
            jail.set_env("LOG_LEVEL", "debug");
            jail.set_env("API_KEY", "12345");
            jail.set_env("LLM_PROVIDER", "offline");
            jail.set_env("HOMELAB_RATE_LIMIT__WINDOW_SECS", "9");
            let config = load_in(jail).expect("valid");
            assert_eq!(config.rate_limit.requests, 5);
            assert_eq!(config.rate_limit.window_secs, 9);
            assert_eq!(config.log.level.as_deref(), Some("debug"));
            assert_eq!(config.http.api_key.as_ref().unwrap().expose(), "12345");
            assert_eq!(config.llm.provider, ProviderChoice::Offline);
            Ok(())
        });
    }

    #[test]
    fn empty_env_values_mean_unset() {
        Jail::expect_with(|jail| {
            jail.set_env("API_KEY", "");
            jail.set_env("LLM_PROVIDER", "");
            let config = load_in(jail).expect("valid");
            assert!(config.http.api_key.is_none());
            assert_eq!(config.llm.provider, ProviderChoice::Auto);
            Ok(())
        });
    }

    #[test]
    fn secrets_come_from_files() {
        Jail::expect_with(|jail| {
            jail.create_file("groq.key", "gsk-from-file\n")?;
            jail.set_env("GROQ_API_KEY_FILE", "groq.key");
            let config = load_in(jail).expect("valid");
            assert_eq!(
                config.llm.groq_api_key.as_ref().unwrap().expose(),
                "gsk-from-file"
            );
            Ok(())
        });
    }

    #[test]
    fn every_secret_setting_reads_its_file_and_shows_masked() {
        Jail::expect_with(|jail| {
            for (file, value) in [
                ("discord", "discord-token-from-file"),
                ("mx-password", "mx-password-from-file"),
                ("mx-token", "mx-token-from-file"),
                ("mx-store", "mx-store-from-file"),
                ("ops", "ops-key-from-file"),
            ] {
                jail.create_file(file, &format!("{value}\n"))?;
            }
            jail.set_env("DISCORD_TOKEN_FILE", "discord");
            jail.set_env("HOMELAB_DISCORD__ALLOWED_USERS", "[42]");
            jail.set_env("MATRIX_HOMESERVER", "https://matrix.example.org");
            jail.set_env("MATRIX_USER", "@bot:example.org");
            jail.set_env("MATRIX_PASSWORD_FILE", "mx-password");
            jail.set_env("MATRIX_ACCESS_TOKEN_FILE", "mx-token");
            jail.set_env("HOMELAB_MATRIX__STORE_PASSPHRASE_FILE", "mx-store");
            jail.set_env("HOMELAB_MATRIX__ALLOWED_USERS", "[\"@me:example.org\"]");
            jail.set_env(
                "HOMELAB_HTTP__API_KEYS",
                "[{name=\"ops\",key_file=\"ops\"}]",
            );
            let config = load_in(jail).expect("valid");
            let exposed = |s: &Option<Secret>| s.as_ref().map(|s| s.expose().to_owned());
            assert_eq!(
                exposed(&config.discord.token).as_deref(),
                Some("discord-token-from-file")
            );
            assert!(config.discord.enabled());
            assert_eq!(
                exposed(&config.matrix.password).as_deref(),
                Some("mx-password-from-file")
            );
            assert_eq!(
                exposed(&config.matrix.access_token).as_deref(),
                Some("mx-token-from-file")
            );
            assert_eq!(
                exposed(&config.matrix.store_passphrase).as_deref(),
                Some("mx-store-from-file")
            );
            let keys = config.http.keys();
            assert_eq!(keys.len(), 1);
            assert_eq!(keys[0].0, "ops");
            assert_eq!(keys[0].1.expose(), "ops-key-from-file");

            let shown = config.to_masked_toml();
            assert!(!shown.contains("from-file"), "{shown}");
            for line in [
                "token = \"***\"",
                "password = \"***\"",
                "access_token = \"***\"",
                "store_passphrase = \"***\"",
                "key = \"***\"",
            ] {
                assert!(shown.contains(line), "{line} missing from\n{shown}");
            }
            Ok(())
        });
    }

    #[test]
    fn a_named_key_without_key_or_readable_file_is_an_error() {
        Jail::expect_with(|jail| {
            jail.set_env("HOMELAB_HTTP__API_KEYS", "[{name=\"ops\"}]");
            let errors = load_in(jail).expect_err("no key at all").to_string();
            assert!(errors.contains("http.api_keys.0.key"), "{errors}");
            jail.set_env(
                "HOMELAB_HTTP__API_KEYS",
                "[{name=\"ops\",key_file=\"/nonexistent/ops\"}]",
            );
            let errors = load_in(jail).expect_err("unreadable").to_string();
            assert!(errors.contains("http.api_keys.0.key_file"), "{errors}");
            Ok(())
        });
    }

    #[test]
    fn secrets_from_the_environment_stay_verbatim() {
        Jail::expect_with(|jail| {
            jail.set_env("API_KEY", "000123");
            jail.set_env("GROQ_API_KEY", "true");
            jail.set_env("HOMELAB_LLM__OPENAI_API_KEY", "1e5");
            jail.set_env("DISCORD_TOKEN", "[abc]");
            jail.set_env("HOMELAB_DISCORD__ALLOWED_USERS", "[42]");
            let config = load_in(jail).expect("valid");
            assert_eq!(config.http.api_key.as_ref().unwrap().expose(), "000123");
            assert_eq!(config.llm.groq_api_key.as_ref().unwrap().expose(), "true");
            assert_eq!(config.llm.openai_api_key.as_ref().unwrap().expose(), "1e5");
            assert_eq!(config.discord.token.as_ref().unwrap().expose(), "[abc]");
            jail.set_env("HOMELAB_HTTP__API_KEY", "0042");
            let config = load_in(jail).expect("valid");
            assert_eq!(config.http.api_key.as_ref().unwrap().expose(), "0042");
            Ok(())
        });
    }

    #[test]
    fn credentials_in_urls_are_masked_when_shown() {
        Jail::expect_with(|jail| {
            jail.set_env(
                "LLM_BASE_URL",
                "http://user:hunter2@llm.lan:11434/v1?api_key=k3y",
            );
            jail.set_env("DOCKER_HOST", "tcp://admin:pw@proxy:2375");
            let config = load_in(jail).expect("valid");
            let shown = config.to_masked_toml();
            for secret in ["hunter2", "k3y", ":pw@"] {
                assert!(!shown.contains(secret), "{secret} in\n{shown}");
            }
            assert!(
                shown.contains("http://user:***@llm.lan:11434/v1?api_key=***"),
                "{shown}"
            );
            Ok(())
        });
    }

    #[test]
    fn every_error_is_reported_at_once() {
        Jail::expect_with(|jail| {
            jail.create_dir("config")?;
            jail.create_file(
                DEFAULT_CONFIG_FILE,
                "[audit]\npth = \"/tmp/x\"\n[rate_limit]\nrequests = \"many\"\n[bogus]\nx = 1\n\
                 [conversation]\nmax_turns = 0\n",
            )?;
            jail.set_env("HOMELAB_HTTP__BIND", "not-an-address");
            jail.set_env("OPENAI_API_KEY_FILE", "/nonexistent/key");
            let errors = load_in(jail).expect_err("invalid");
            let text = errors.to_string();
            for needle in [
                "audit.pth",
                "rate_limit.requests",
                "bogus",
                "conversation.max_turns",
                "http.bind",
                "llm.openai_api_key_file",
            ] {
                assert!(text.contains(needle), "{needle} missing from:\n{text}");
            }
            assert!(text.contains("file config/homelab.toml"), "{text}");
            assert!(text.contains("env HOMELAB_HTTP__BIND"), "{text}");
            assert!(text.contains("env OPENAI_API_KEY_FILE"), "{text}");
            Ok(())
        });
    }

    #[test]
    fn a_public_bind_needs_a_key() {
        Jail::expect_with(|jail| {
            jail.set_env("HOMELAB_HTTP__BIND", "0.0.0.0:8000");
            assert!(load_in(jail).is_err());
            jail.set_env("API_KEY", "k");
            assert!(load_in(jail).is_ok());
            Ok(())
        });
    }

    #[test]
    fn masked_toml_hides_secrets() {
        Jail::expect_with(|jail| {
            jail.set_env("GROQ_API_KEY", "gsk-very-secret");
            let config = load_in(jail).expect("valid");
            let shown = config.to_masked_toml();
            assert!(!shown.contains("gsk-very-secret"), "{shown}");
            assert!(shown.contains("groq_api_key = \"***\""), "{shown}");
            assert!(shown.contains("[rate_limit]"), "{shown}");
            Ok(())
        });
    }

    #[test]
    fn the_example_config_is_valid_and_complete() {
        let example = include_str!("../config/homelab.example.toml");
        Jail::expect_with(|jail| {
            jail.create_file("example.toml", example)?;
            let config = from_figment(&Figment::new().merge(Toml::file_exact("example.toml")))
                .expect("the example config is valid");
            let defaults = Config::default();
            assert_eq!(config.to_masked_toml(), defaults.to_masked_toml());
            Ok(())
        });
        // Every key of the configuration is documented, commented out or not.
        let shown = Config::default().to_masked_toml();
        for line in shown.lines() {
            let key = line
                .trim_start_matches("# ")
                .split([' ', '='])
                .next()
                .unwrap_or_default();
            if key.is_empty()
                || line.starts_with('[')
                || line.starts_with("# ") && !line.ends_with("unset")
            {
                continue;
            }
            assert!(
                example.contains(&format!("{key} =")),
                "config/homelab.example.toml does not document `{key}`"
            );
        }
    }
}
