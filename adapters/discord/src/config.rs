//! The `[discord]` section, owned here: the settings as the config file and the environment spell
//! them, their defaults, the token's `*_file` and their checks. The binary embeds this type in its
//! own config and hands it to [`crate::run`] as it is; it compiles without the `sdk` feature, so
//! the binary reads and checks the section even when the bot itself is not built in.

use std::path::PathBuf;

use homelab_kit::{ConfigProblem, RateLimit, Secret, is_http_url};
use serde::{Deserialize, Serialize};

/// Where serenity sends REST calls unless told otherwise; its routes are built on this prefix.
#[cfg(feature = "sdk")]
const DISCORD_BASE: &str = "https://discord.com";

/// How the Discord bot connects, whom it answers and how often. On when a token is set.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Bot token (`DISCORD_TOKEN`), without the `Bot ` prefix (it is accepted with it too).
    pub token: Option<Secret>,
    pub token_file: Option<PathBuf>,
    /// A Discord-compatible REST base such as `http://127.0.0.1:PORT` (a proxy, or a fake in
    /// tests); unset = discord.com. A trailing `/api` is accepted and ignored.
    pub api_base: Option<String>,
    /// Allow-lists of IDs, combined with AND: every list that is not empty must admit a request.
    /// With all four empty the bot refuses to start.
    pub allowed_guilds: Vec<u64>,
    pub allowed_channels: Vec<u64>,
    pub allowed_users: Vec<u64>,
    pub allowed_roles: Vec<u64>,
    /// Answer messages that mention the bot, in admitted places, as if they were `/ask` (no
    /// privileged intent: Discord sends the content of messages that mention it).
    pub respond_to_mentions: bool,
    /// Channels the texts from the `notices` receiver of [`crate::run`] (alert notices) are
    /// posted to.
    pub notify_channels: Vec<u64>,
    /// Requests per window, per Discord user. Not a key of this section: the binary copies its
    /// `[rate_limit]`, one allowance on every platform.
    #[serde(skip)]
    pub rate_limit: RateLimit,
}

impl Config {
    /// A config with only a token set; every list empty (so it would refuse to start) and the
    /// default rate limit.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: Some(Secret::new(token)),
            ..Self::default()
        }
    }

    /// Whether `serve` starts the bot.
    pub fn enabled(&self) -> bool {
        self.token.is_some()
    }

    /// The allow-lists by their keys, then the notify channels: every list of Discord IDs.
    fn id_lists(&self) -> [(&'static str, &[u64]); 5] {
        [
            ("allowed_guilds", &self.allowed_guilds),
            ("allowed_channels", &self.allowed_channels),
            ("allowed_users", &self.allowed_users),
            ("allowed_roles", &self.allowed_roles),
            ("notify_channels", &self.notify_channels),
        ]
    }

    /// No allow-list is set: the bot would answer anyone, so it does not start.
    pub fn is_open(&self) -> bool {
        self.id_lists()[..4].iter().all(|(_, ids)| ids.is_empty())
    }

    /// Reads `token_file`.
    pub fn read_secret_files(&mut self) -> Vec<ConfigProblem> {
        homelab_kit::read_secret_files!(self; token: token_file)
    }

    /// Every problem with the section (keys relative to it), reported together: fails closed
    /// without an allow-list. The shared `rate_limit` is the binary's to check.
    pub fn validate(&self) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        if self.is_open() {
            problems.push(ConfigProblem::new(
                "allowed_users",
                "the Discord bot needs at least one allow-list (allowed_guilds, \
                 allowed_channels, allowed_users or allowed_roles); it refuses to start open",
            ));
        }
        for (key, ids) in self.id_lists() {
            // Snowflakes are never 0, and serenity's id types panic on it.
            if ids.contains(&0) {
                problems.push(ConfigProblem::new(
                    key,
                    "contains 0, which is not a Discord ID",
                ));
            }
        }
        if self
            .token
            .as_ref()
            .is_none_or(|t| t.expose().trim().is_empty())
        {
            problems.push(ConfigProblem::new("token", "the bot token is empty"));
        }
        if let Some(base) = &self.api_base
            && !is_http_url(base)
        {
            problems.push(ConfigProblem::new(
                "api_base",
                format!("`{base}` must start with http:// or https://"),
            ));
        }
        problems
    }

    #[cfg(feature = "sdk")]
    pub(crate) fn allow_lists(&self) -> crate::access::AllowLists {
        crate::access::AllowLists {
            guilds: self.allowed_guilds.clone(),
            channels: self.allowed_channels.clone(),
            users: self.allowed_users.clone(),
            roles: self.allowed_roles.clone(),
        }
    }

    /// The prefix serenity should put in place of `https://discord.com`, if any. serenity builds
    /// `https://discord.com/api/v10/...` and swaps the host part only, so an `/api` suffix the
    /// operator copied from Discord's docs is dropped rather than doubled.
    #[cfg(feature = "sdk")]
    pub(crate) fn rest_proxy(&self) -> Option<String> {
        let base = self.api_base.as_deref()?.trim().trim_end_matches('/');
        let base = base.strip_suffix("/api").unwrap_or(base);
        (base != DISCORD_BASE).then(|| base.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_users() -> Config {
        Config {
            allowed_users: vec![42],
            ..Config::new("token")
        }
    }

    #[test]
    fn no_allow_list_refuses_to_start() {
        assert!(Config::new("token").is_open());
        let problems = Config::new("token").validate();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("refuses to start open"));
        assert_eq!(with_users().validate(), Vec::new());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let config = Config {
            allowed_roles: vec![0],
            api_base: Some("127.0.0.1:9".into()),
            ..Config::new(" ")
        };
        let problems: Vec<String> = config.validate().iter().map(ToString::to_string).collect();
        for expected in [
            "token: the bot token is empty",
            "api_base: `127.0.0.1:9` must start",
            "allowed_roles: contains 0",
        ] {
            assert!(
                problems.iter().any(|p| p.starts_with(expected)),
                "{expected} missing in {problems:?}"
            );
        }
    }

    #[test]
    fn the_token_is_read_from_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "from-file\n").unwrap();
        let mut config = Config {
            token_file: Some(file),
            ..Config::default()
        };
        assert!(!config.enabled());
        assert_eq!(config.read_secret_files(), Vec::new());
        assert!(config.enabled());
        assert_eq!(config.token.unwrap().expose(), "from-file");
    }

    #[cfg(feature = "sdk")]
    #[test]
    fn the_rest_proxy_is_the_bare_base() {
        let mut config = with_users();
        assert_eq!(config.rest_proxy(), None);
        config.api_base = Some("https://discord.com/api".into());
        assert_eq!(config.rest_proxy(), None);
        config.api_base = Some("http://127.0.0.1:3000/".into());
        assert_eq!(
            config.rest_proxy().as_deref(),
            Some("http://127.0.0.1:3000")
        );
        config.api_base = Some("http://127.0.0.1:3000/api/".into());
        assert_eq!(
            config.rest_proxy().as_deref(),
            Some("http://127.0.0.1:3000")
        );
    }
}
