//! The adapter's own configuration as plain values, so this crate needs no config framework and the
//! binary converts its root `[matrix]` section into it in one place.

use std::fmt;
use std::path::PathBuf;

use homelab_kit::{RateLimit, Secret};

use crate::Error;

/// How the Matrix bot logs in, where it keeps its keys, and whom it answers.
#[derive(Clone)]
pub struct Config {
    /// Homeserver base URL, e.g. `https://matrix.example.org`.
    pub homeserver: String,
    /// The bot's MXID (`@assistant:example.org`) or its localpart.
    pub user: String,
    /// Used for the first login; later starts restore the stored session instead.
    pub password: Option<Secret>,
    /// An existing access token (and its device), instead of a password.
    pub access_token: Option<Secret>,
    /// Display name of the device a password login creates.
    pub device_name: String,
    /// Directory of `session.json` and the sqlite state and crypto stores.
    pub store_path: PathBuf,
    /// Encrypts the sqlite stores at rest; the same passphrase is needed on every start.
    pub store_passphrase: Option<Secret>,
    /// MXIDs that may ask; empty = not checked. AND-combined with `allowed_rooms`.
    pub allowed_users: Vec<String>,
    /// Room IDs (`!abc:example.org`) or aliases (`#ops:example.org`) where the bot answers;
    /// empty = not checked.
    pub allowed_rooms: Vec<String>,
    /// Prefix of direct commands, `!` for `!status`.
    pub command_prefix: String,
    /// Per-user request allowance.
    pub rate_limit: RateLimit,
    /// Room IDs or aliases that alert texts from the `notices` channel are posted to.
    pub notify_rooms: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            homeserver: String::new(),
            user: String::new(),
            password: None,
            access_token: None,
            device_name: "Homelab Assistant".to_owned(),
            store_path: PathBuf::from("matrix-store"),
            store_passphrase: None,
            allowed_users: Vec::new(),
            allowed_rooms: Vec::new(),
            command_prefix: "!".to_owned(),
            rate_limit: RateLimit::default(),
            notify_rooms: Vec::new(),
        }
    }
}

// Hand-written so that a `{:?}` of the config can never print a secret, even if `secrecy`'s own
// redaction changed.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("homeserver", &self.homeserver)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "[redacted]"),
            )
            .field("device_name", &self.device_name)
            .field("store_path", &self.store_path)
            .field(
                "store_passphrase",
                &self.store_passphrase.as_ref().map(|_| "[redacted]"),
            )
            .field("allowed_users", &self.allowed_users)
            .field("allowed_rooms", &self.allowed_rooms)
            .field("command_prefix", &self.command_prefix)
            .field("rate_limit", &self.rate_limit)
            .field("notify_rooms", &self.notify_rooms)
            .finish()
    }
}

impl Config {
    /// Rejects settings that would make the bot misbehave rather than fail at start; every
    /// problem is reported, not just the first. Whether a stored session can stand in for missing
    /// credentials is decided at login, when the store has been looked at.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let mut problems = Vec::new();
        if self.homeserver.trim().is_empty() {
            problems.push("homeserver is not set".to_owned());
        } else if !(self.homeserver.starts_with("https://")
            || self.homeserver.starts_with("http://"))
        {
            problems.push("homeserver must be an http:// or https:// URL".to_owned());
        }
        if self.user.trim().is_empty() {
            problems.push("user is not set".to_owned());
        }
        if self.allowed_users.is_empty() && self.allowed_rooms.is_empty() {
            problems.push(
                "neither allowed_users nor allowed_rooms is set; the bot would answer anyone, \
                 so it does not start"
                    .to_owned(),
            );
        }
        for user in &self.allowed_users {
            if matrix_sdk::ruma::UserId::parse(user.as_str()).is_err() {
                problems.push(format!(
                    "allowed_users: `{user}` is not a Matrix user ID like @name:server"
                ));
            }
        }
        for (key, rooms) in [
            ("allowed_rooms", &self.allowed_rooms),
            ("notify_rooms", &self.notify_rooms),
        ] {
            for room in rooms {
                if matrix_sdk::ruma::RoomOrAliasId::parse(room.as_str()).is_err() {
                    problems.push(format!(
                        "{key}: `{room}` is not a room ID (!id:server) or alias (#name:server)"
                    ));
                }
            }
        }
        if self.command_prefix.trim().is_empty() {
            problems.push("command_prefix must not be empty".to_owned());
        } else if self.command_prefix.chars().any(char::is_whitespace) {
            problems.push("command_prefix must not contain whitespace".to_owned());
        }
        problems.extend(
            self.rate_limit
                .problems("rate_limit")
                .iter()
                .map(ToString::to_string),
        );
        if self.store_path.as_os_str().is_empty() {
            problems.push("store_path is not set".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidConfig(problems.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn valid() -> Config {
        Config {
            homeserver: "http://127.0.0.1:8008".into(),
            user: "@bot:localhost".into(),
            password: Some(Secret::from("pw")),
            allowed_users: vec!["@me:localhost".into()],
            ..Config::default()
        }
    }

    #[test]
    fn a_complete_config_is_valid() {
        valid().validate().unwrap();
    }

    #[test]
    fn without_any_allow_list_the_bot_refuses_to_start() {
        let config = Config {
            allowed_users: Vec::new(),
            allowed_rooms: Vec::new(),
            ..valid()
        };
        let err = config.validate().unwrap_err().to_string();
        assert!(
            err.contains("neither allowed_users nor allowed_rooms"),
            "{err}"
        );
    }

    #[test]
    fn a_rooms_only_allow_list_is_enough() {
        let config = Config {
            allowed_users: Vec::new(),
            allowed_rooms: vec!["#ops:localhost".into(), "!abc:localhost".into()],
            ..valid()
        };
        config.validate().unwrap();
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let config = Config {
            homeserver: "matrix.example.org".into(),
            allowed_users: vec!["me".into()],
            allowed_rooms: vec!["ops".into()],
            command_prefix: String::new(),
            rate_limit: RateLimit {
                requests: 0,
                window: Duration::ZERO,
            },
            ..valid()
        };
        let err = config.validate().unwrap_err().to_string();
        for expected in [
            "http:// or https://",
            "allowed_users: `me`",
            "allowed_rooms: `ops`",
            "command_prefix",
            "rate_limit.requests",
            "rate_limit.window",
        ] {
            assert!(err.contains(expected), "{expected} missing from {err}");
        }
    }

    #[test]
    fn debug_never_shows_secrets() {
        let config = Config {
            access_token: Some(Secret::from("syt_secret_token")),
            store_passphrase: Some(Secret::from("hunter2")),
            password: Some(Secret::from("pa55word")),
            ..valid()
        };
        let shown = format!("{config:?}");
        for secret in ["syt_secret_token", "hunter2", "pa55word"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
