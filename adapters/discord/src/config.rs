//! The adapter's own configuration as plain values, so this crate needs no config framework and the
//! binary converts its root `[discord]` section into it in one place.

use homelab_kit::{RateLimit, Secret};

use crate::Error;
use crate::access::AllowLists;

/// Where serenity sends REST calls unless told otherwise; its routes are built on this prefix.
const DISCORD_BASE: &str = "https://discord.com";

/// How the Discord bot connects, whom it answers and how often.
#[derive(Clone, Debug)]
pub struct Config {
    /// The bot token, without the `Bot ` prefix (it is accepted with it too).
    pub token: Secret,
    /// A Discord-compatible REST base such as `http://127.0.0.1:PORT` (a proxy, or a fake in
    /// tests); `None` talks to discord.com. A trailing `/api` is accepted and ignored.
    pub api_base: Option<String>,
    /// Allow-lists of IDs, combined with AND: every list that is not empty must admit a request.
    /// With all four empty the bot refuses to start.
    pub allowed_guilds: Vec<u64>,
    pub allowed_channels: Vec<u64>,
    pub allowed_users: Vec<u64>,
    pub allowed_roles: Vec<u64>,
    /// Answer messages that mention the bot, in admitted places, as if they were `/ask`.
    pub respond_to_mentions: bool,
    /// Requests per window, per Discord user.
    pub rate_limit: RateLimit,
    /// Channels the texts from the `notices` receiver of [`crate::run`] are posted to.
    pub notify_channels: Vec<u64>,
}

impl Config {
    /// A config with only a token set; every list empty (so it would refuse to start) and the
    /// default rate limit.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: Secret::new(token),
            api_base: None,
            allowed_guilds: Vec::new(),
            allowed_channels: Vec::new(),
            allowed_users: Vec::new(),
            allowed_roles: Vec::new(),
            respond_to_mentions: false,
            rate_limit: RateLimit::default(),
            notify_channels: Vec::new(),
        }
    }

    pub(crate) fn allow_lists(&self) -> AllowLists {
        AllowLists {
            guilds: self.allowed_guilds.clone(),
            channels: self.allowed_channels.clone(),
            users: self.allowed_users.clone(),
            roles: self.allowed_roles.clone(),
        }
    }

    /// Fails closed without an allow-list, then reports every other problem at once.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.allow_lists().is_empty() {
            return Err(Error::NoAllowList);
        }
        let mut problems = Vec::new();
        if self.token.expose().trim().is_empty() {
            problems.push("the bot token is empty".to_owned());
        }
        problems.extend(
            self.rate_limit
                .problems("rate_limit")
                .iter()
                .map(ToString::to_string),
        );
        if let Some(base) = &self.api_base
            && !(base.starts_with("http://") || base.starts_with("https://"))
        {
            problems.push(format!(
                "api_base `{base}` must start with http:// or https://"
            ));
        }
        for (name, ids) in [
            ("allowed_guilds", &self.allowed_guilds),
            ("allowed_channels", &self.allowed_channels),
            ("allowed_users", &self.allowed_users),
            ("allowed_roles", &self.allowed_roles),
            ("notify_channels", &self.notify_channels),
        ] {
            // Snowflakes are never 0, and serenity's id types panic on it.
            if ids.contains(&0) {
                problems.push(format!("{name} contains 0, which is not a Discord ID"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidConfig(problems.join("; ")))
        }
    }

    /// The prefix serenity should put in place of `https://discord.com`, if any. serenity builds
    /// `https://discord.com/api/v10/...` and swaps the host part only, so an `/api` suffix the
    /// operator copied from Discord's docs is dropped rather than doubled.
    pub(crate) fn rest_proxy(&self) -> Option<String> {
        let base = self.api_base.as_deref()?.trim().trim_end_matches('/');
        let base = base.strip_suffix("/api").unwrap_or(base);
        (base != DISCORD_BASE).then(|| base.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn with_users() -> Config {
        Config {
            allowed_users: vec![42],
            ..Config::new("token")
        }
    }

    #[test]
    fn no_allow_list_refuses_to_start() {
        assert!(matches!(
            Config::new("token").validate(),
            Err(Error::NoAllowList)
        ));
        assert!(with_users().validate().is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let config = Config {
            allowed_roles: vec![0],
            api_base: Some("127.0.0.1:9".into()),
            rate_limit: RateLimit {
                requests: 0,
                window: Duration::ZERO,
            },
            ..Config::new(" ")
        };
        let Err(Error::InvalidConfig(message)) = config.validate() else {
            panic!("expected InvalidConfig");
        };
        for expected in [
            "token is empty",
            "rate_limit.requests",
            "rate_limit.window",
            "api_base",
            "allowed_roles contains 0",
        ] {
            assert!(
                message.contains(expected),
                "{expected} missing in {message}"
            );
        }
    }

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
