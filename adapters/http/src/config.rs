//! The `[http]` section, owned here: the settings as the config file and the environment spell
//! them, their defaults, their `*_file` secrets and their checks. The binary embeds this type in
//! its own config and hands it to [`crate::run`] as it is; it compiles without the `sdk` feature,
//! so the binary reads and checks the section even when the server itself is not built in.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use homelab_kit::{ConfigProblem, RateLimit, Secret, resolve_secret_files};
use serde::{Deserialize, Serialize};

/// The audit user name of the legacy single key (`API_KEY`); no named key may take it.
pub const LEGACY_KEY_NAME: &str = "default";

/// The longest shutdown grace accepted.
const MAX_SHUTDOWN_GRACE: Duration = Duration::from_secs(300);

/// How the HTTP adapter listens, authenticates and limits requests.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Start the HTTP adapter under `serve`.
    pub enabled: bool,
    /// Listen address; port 0 picks a free port. [`crate::run`] checks it again, with the
    /// listener's own address, so an unauthenticated API never listens beyond loopback.
    pub bind: String,
    /// The legacy single key (`API_KEY`); its audit user name is [`LEGACY_KEY_NAME`].
    pub api_key: Option<Secret>,
    pub api_key_file: Option<PathBuf>,
    /// Larger bodies are answered with 413.
    pub max_body_bytes: usize,
    /// Longer messages (in characters, not bytes) are answered with 422. The core enforces it, as
    /// it judges every message; the adapter only carries the setting.
    pub max_message_chars: usize,
    /// Named keys (`[[http.api_keys]] name = "…", key_file = "…"`); the name is the audit user.
    /// With no key at all there is no authentication, which is allowed only on loopback.
    pub api_keys: Vec<ApiKey>,
    /// Serve `/metrics` without a key on any address; otherwise only to loopback clients.
    pub metrics_public: bool,
    /// Serve the web chat page at `/` (the page itself needs no key; its questions do).
    pub web_ui: bool,
    /// Web origins (`https://dash.example.org`) whose pages may call `/chat` from a browser;
    /// pages of any other origin are refused.
    pub allowed_origins: Vec<String>,
    /// How long in-flight requests may take to finish after the shutdown signal.
    #[serde(rename = "shutdown_grace_secs", with = "homelab_kit::whole_seconds")]
    pub shutdown_grace: Duration,
    /// Requests per window, per API key (or per client IP when there is no valid key). Not a key
    /// of this section: the binary copies its `[rate_limit]`, one allowance on every platform.
    #[serde(skip)]
    pub rate_limit: RateLimit,
    /// The inbound alert webhooks. Not a key of this section: the binary copies its
    /// `[webhooks]` section here, as it does `[rate_limit]`.
    #[serde(skip)]
    pub webhooks: WebhooksConfig,
}

/// The shortest webhook token accepted: it is the hooks' only credential.
pub const MIN_WEBHOOK_TOKEN_CHARS: usize = 16;

/// Inbound alert webhooks (`POST /hooks/alertmanager|slack|generic`), off unless a token is set.
/// The token is the hooks' own credential (in the path, `/hooks/slack/<token>`, or as
/// `Authorization: Bearer <token>`), so a TrueNAS or Alertmanager URL works without an API key.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    pub token: Option<Secret>,
    pub token_file: Option<PathBuf>,
}

impl WebhooksConfig {
    /// Reads `token_file`.
    pub fn read_secret_files(&mut self) -> Vec<ConfigProblem> {
        homelab_kit::read_secret_files!(self; token: token_file)
    }

    /// Every problem with the section (keys relative to it).
    pub fn validate(&self) -> Vec<ConfigProblem> {
        match &self.token {
            Some(token) if token.expose().chars().count() < MIN_WEBHOOK_TOKEN_CHARS => {
                vec![ConfigProblem::new(
                    "token",
                    format!(
                        "must be at least {MIN_WEBHOOK_TOKEN_CHARS} characters: it is the hooks' \
                         only credential (try `openssl rand -hex 24`)"
                    ),
                )]
            }
            Some(token)
                if !token
                    .expose()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.~".contains(c)) =>
            {
                vec![ConfigProblem::new(
                    "token",
                    "may hold only letters, digits and - _ . ~, so that it fits in a URL path",
                )]
            }
            _ => Vec::new(),
        }
    }
}

impl Default for Config {
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
            web_ui: true,
            allowed_origins: Vec::new(),
            shutdown_grace: Duration::from_secs(10),
            rate_limit: RateLimit::default(),
            webhooks: WebhooksConfig::default(),
        }
    }
}

/// One named API key; its name is the audit `user_id` of the requests that present it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiKey {
    pub name: String,
    pub key: Option<Secret>,
    pub key_file: Option<PathBuf>,
}

impl ApiKey {
    pub fn new(name: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            key: Some(Secret::new(key)),
            key_file: None,
        }
    }
}

impl Config {
    /// Every configured key with its name, the legacy `API_KEY` first as [`LEGACY_KEY_NAME`].
    pub fn keys(&self) -> Vec<(String, Secret)> {
        let legacy = self
            .api_key
            .iter()
            .map(|key| (LEGACY_KEY_NAME.to_owned(), key.clone()));
        let named = self
            .api_keys
            .iter()
            .filter_map(|k| k.key.clone().map(|key| (k.name.clone(), key)));
        legacy.chain(named).collect()
    }

    /// `bind` as an address; `None` when it is not one (which [`Config::validate`] reports).
    pub fn bind_addr(&self) -> Option<SocketAddr> {
        self.bind.parse().ok()
    }

    /// Reads `api_key_file` and each named key's `key_file`.
    pub fn read_secret_files(&mut self) -> Vec<ConfigProblem> {
        let mut problems = homelab_kit::read_secret_files!(self; api_key: api_key_file);
        let named = self.api_keys.iter_mut().enumerate().map(|(index, named)| {
            (
                format!("api_keys.{index}.key"),
                &mut named.key,
                named.key_file.as_deref(),
            )
        });
        problems.extend(resolve_secret_files(named));
        problems
    }

    /// Every problem with the section (keys relative to it), reported together. The shared
    /// `rate_limit` is the binary's to check; [`crate::run`] refuses a rate no limiter can keep.
    pub fn validate(&self) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, key: &str, message: &str| {
            if !ok {
                problems.push(ConfigProblem::new(key, message));
            }
        };
        check(
            self.max_body_bytes >= 256,
            "max_body_bytes",
            "must be at least 256",
        );
        // Whole seconds in the config; tests may ask for less than one.
        check(
            !self.shutdown_grace.is_zero() && self.shutdown_grace <= MAX_SHUTDOWN_GRACE,
            "shutdown_grace_secs",
            "must be between 1 and 300",
        );
        check(
            self.max_message_chars >= 1,
            "max_message_chars",
            "must be at least 1",
        );
        match self.bind_addr() {
            Some(addr) => {
                if !addr.ip().is_loopback() && self.keys().is_empty() && self.enabled {
                    problems.push(ConfigProblem::new(
                        "bind",
                        format!(
                            "{addr} is reachable from other machines, so an API key is required \
                             (API_KEY or http.api_key_file); without one, bind 127.0.0.1"
                        ),
                    ));
                }
            }
            None => problems.push(ConfigProblem::new(
                "bind",
                format!("`{}` is not an address like 127.0.0.1:8000", self.bind),
            )),
        }
        self.check_keys(&mut problems);
        for (i, origin) in self.allowed_origins.iter().enumerate() {
            let valid = origin.split_once("://").is_some_and(|(scheme, authority)| {
                matches!(scheme, "http" | "https")
                    && !authority.is_empty()
                    && !authority.trim_end_matches('/').contains('/')
            });
            if !valid {
                problems.push(ConfigProblem::new(
                    format!("allowed_origins.{i}"),
                    format!("`{origin}` is not an origin like https://dash.example.org"),
                ));
            }
        }
        problems
    }

    fn check_keys(&self, problems: &mut Vec<ConfigProblem>) {
        let mut names = HashSet::new();
        for (i, named) in self.api_keys.iter().enumerate() {
            if named.key.is_none() && named.key_file.is_none() {
                // Left out, the server would run with one key fewer, or with none at all.
                problems.push(ConfigProblem::new(
                    format!("api_keys.{i}.key"),
                    "needs `key` or `key_file`",
                ));
            }
            if named.name.trim().is_empty() || named.name == LEGACY_KEY_NAME {
                problems.push(ConfigProblem::new(
                    format!("api_keys.{i}.name"),
                    "needs a name other than `default` (that is API_KEY's)",
                ));
            } else if !names.insert(named.name.as_str()) {
                problems.push(ConfigProblem::new(
                    format!("api_keys.{i}.name"),
                    format!("`{}` is used twice", named.name),
                ));
            }
        }
        // An empty key would match a request that sends an empty `X-API-Key` header. The config
        // file cannot produce one (empty values mean unset); a program building a Config can.
        for (name, key) in self.keys() {
            if key.expose().is_empty() {
                problems.push(ConfigProblem::new(
                    "api_keys",
                    format!("the key named `{name}` is empty"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_old_gateway() {
        let config = Config::default();
        assert_eq!(config.bind_addr(), Some("127.0.0.1:8000".parse().unwrap()));
        assert_eq!(config.max_body_bytes, 16 * 1024);
        assert_eq!(config.max_message_chars, 4000);
        assert_eq!(config.rate_limit.requests, 60);
        assert_eq!(config.rate_limit.window, Duration::from_secs(60));
        assert_eq!(config.validate(), Vec::new());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let config = Config {
            api_keys: vec![ApiKey::new("", "k"), ApiKey::new("ops", "")],
            bind: "0.0.0.0".into(),
            max_body_bytes: 10,
            ..Config::default()
        };
        let problems: Vec<String> = config.validate().iter().map(ToString::to_string).collect();
        for expected in [
            "max_body_bytes: must be at least 256",
            "bind: `0.0.0.0` is not an address like 127.0.0.1:8000",
            "api_keys.0.name: needs a name other than `default`",
            "api_keys: the key named `ops` is empty",
        ] {
            assert!(
                problems.iter().any(|p| p.starts_with(expected)),
                "{expected} missing in {problems:?}"
            );
        }
    }

    #[test]
    fn the_legacy_key_comes_first_and_files_fill_keys() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ops.key");
        std::fs::write(&file, "from-file\n").unwrap();
        let mut config = Config {
            api_key: Some(Secret::from("legacy")),
            api_keys: vec![ApiKey {
                name: "ops".into(),
                key: None,
                key_file: Some(file),
            }],
            ..Config::default()
        };
        assert_eq!(config.read_secret_files(), Vec::new());
        let keys: Vec<(String, String)> = config
            .keys()
            .into_iter()
            .map(|(name, key)| (name, key.expose().to_owned()))
            .collect();
        assert_eq!(
            keys,
            [
                ("default".to_owned(), "legacy".to_owned()),
                ("ops".to_owned(), "from-file".to_owned())
            ]
        );
    }

    #[test]
    fn the_grace_is_written_in_whole_seconds() {
        let config: Config = serde_json::from_str(r#"{"shutdown_grace_secs": 3}"#).unwrap();
        assert_eq!(config.shutdown_grace, Duration::from_secs(3));
        let shown = serde_json::to_value(&config).unwrap();
        assert_eq!(shown["shutdown_grace_secs"], 3);
        assert!(shown.get("rate_limit").is_none(), "{shown}");
    }
}
