//! The `[matrix]` section, owned here: the settings as the config file and the environment spell
//! them, their defaults, their `*_file` secrets and their checks. The binary embeds this type in
//! its own config and hands it to [`crate::run`] as it is; it compiles without the `sdk` feature,
//! so the binary reads and checks the section even when the bot itself is not built in.

use std::path::PathBuf;

use homelab_kit::{ConfigProblem, RateLimit, Secret, is_http_url};
use serde::{Deserialize, Serialize};

/// The file under the store directory that holds the session (device and access token).
pub(crate) const SESSION_FILE: &str = "session.json";

/// How the Matrix bot logs in, where it keeps its keys, and whom it answers. On when a homeserver
/// is set.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `MATRIX_HOMESERVER`, e.g. `https://matrix.example.org`.
    pub homeserver: Option<String>,
    /// `MATRIX_USER`: the bot's MXID (`@assistant:example.org`) or its localpart.
    pub user: Option<String>,
    /// Used for the first login; later starts restore the stored session instead.
    pub password: Option<Secret>,
    pub password_file: Option<PathBuf>,
    /// An existing access token (and its device), instead of a password.
    pub access_token: Option<Secret>,
    pub access_token_file: Option<PathBuf>,
    /// Display name of the device a password login creates.
    pub device_name: String,
    /// Directory of `session.json` and the sqlite state and crypto stores; unset =
    /// `$XDG_STATE_HOME/homelab-assistant/matrix`.
    pub store_path: Option<PathBuf>,
    /// Encrypts the sqlite stores at rest; the same passphrase is needed on every start.
    pub store_passphrase: Option<Secret>,
    pub store_passphrase_file: Option<PathBuf>,
    /// MXIDs that may ask; empty = not checked. AND-combined with `allowed_rooms`; at least one
    /// of the two must be set.
    pub allowed_users: Vec<String>,
    /// Room IDs (`!abc:example.org`) or aliases (`#ops:example.org`) where the bot answers;
    /// empty = not checked.
    pub allowed_rooms: Vec<String>,
    /// Prefix of direct commands, `!` for `!status`.
    pub command_prefix: String,
    /// Room IDs or aliases that alert texts from the `notices` channel are posted to.
    pub notify_rooms: Vec<String>,
    /// Per-user request allowance. Not a key of this section: the binary copies its
    /// `[rate_limit]`, one allowance on every platform.
    #[serde(skip)]
    pub rate_limit: RateLimit,
}

impl Default for Config {
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
            rate_limit: RateLimit::default(),
        }
    }
}

impl Config {
    /// Whether `serve` starts the bot.
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
            .is_some_and(|store| store.join(SESSION_FILE).is_file())
    }

    /// Reads `password_file`, `access_token_file` and `store_passphrase_file`.
    pub fn read_secret_files(&mut self) -> Vec<ConfigProblem> {
        homelab_kit::read_secret_files!(self;
            password: password_file,
            access_token: access_token_file,
            store_passphrase: store_passphrase_file,
        )
    }

    /// Every problem with the section (keys relative to it), reported together: fails closed
    /// without an allow-list. Whether the IDs in the lists are well-formed Matrix IDs is checked
    /// by [`crate::run`], with matrix-sdk's parsers; the shared `rate_limit` is the binary's.
    pub fn validate(&self) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        if self.allowed_users.is_empty() && self.allowed_rooms.is_empty() {
            problems.push(ConfigProblem::new(
                "allowed_users",
                "the Matrix bot needs allowed_users or allowed_rooms; it refuses to start open",
            ));
        }
        if self
            .user
            .as_deref()
            .is_none_or(|user| user.trim().is_empty())
        {
            problems.push(ConfigProblem::new(
                "user",
                "MATRIX_USER is required with MATRIX_HOMESERVER",
            ));
        }
        if self.password.is_none() && self.access_token.is_none() && !self.has_saved_session() {
            problems.push(ConfigProblem::new(
                "password",
                "MATRIX_PASSWORD or MATRIX_ACCESS_TOKEN is required for the first login \
                 (the store holds no saved session yet)",
            ));
        }
        match &self.homeserver {
            None => problems.push(ConfigProblem::new("homeserver", "is not set")),
            Some(url) if !is_http_url(url) => problems.push(ConfigProblem::new(
                "homeserver",
                "must start with http:// or https://",
            )),
            Some(_) => {}
        }
        if self.command_prefix.trim().is_empty() {
            problems.push(ConfigProblem::new("command_prefix", "must not be empty"));
        } else if self.command_prefix.chars().any(char::is_whitespace) {
            problems.push(ConfigProblem::new(
                "command_prefix",
                "must not contain whitespace",
            ));
        }
        if self
            .effective_store_path()
            .is_none_or(|path| path.as_os_str().is_empty())
        {
            problems.push(ConfigProblem::new(
                "store_path",
                "must be set: there is no HOME or XDG_STATE_HOME to default from",
            ));
        }
        problems
    }

    /// The homeserver URL of a validated config.
    #[cfg(feature = "sdk")]
    pub(crate) fn homeserver_url(&self) -> &str {
        self.homeserver.as_deref().unwrap_or_default()
    }

    /// The bot's user of a validated config.
    #[cfg(feature = "sdk")]
    pub(crate) fn user_name(&self) -> &str {
        self.user.as_deref().unwrap_or_default()
    }

    /// The store directory of a validated config, fixed by [`crate::run`] at its start.
    #[cfg(feature = "sdk")]
    pub(crate) fn store(&self) -> &std::path::Path {
        self.store_path
            .as_deref()
            .unwrap_or(std::path::Path::new(""))
    }

    /// Problems with the IDs in the room and user lists, found with matrix-sdk's own parsers.
    #[cfg(feature = "sdk")]
    pub(crate) fn id_problems(&self) -> Vec<ConfigProblem> {
        use matrix_sdk::ruma::{RoomOrAliasId, UserId};
        let mut problems = Vec::new();
        for user in &self.allowed_users {
            if UserId::parse(user.as_str()).is_err() {
                problems.push(ConfigProblem::new(
                    "allowed_users",
                    format!("`{user}` is not a Matrix user ID like @name:server"),
                ));
            }
        }
        for (key, rooms) in [
            ("allowed_rooms", &self.allowed_rooms),
            ("notify_rooms", &self.notify_rooms),
        ] {
            for room in rooms {
                if RoomOrAliasId::parse(room.as_str()).is_err() {
                    problems.push(ConfigProblem::new(
                        key,
                        format!("`{room}` is not a room ID (!id:server) or alias (#name:server)"),
                    ));
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Config {
        Config {
            homeserver: Some("http://127.0.0.1:8008".into()),
            user: Some("@bot:localhost".into()),
            password: Some(Secret::from("pw")),
            store_path: Some("store".into()),
            allowed_users: vec!["@me:localhost".into()],
            ..Config::default()
        }
    }

    #[test]
    fn a_complete_config_is_valid() {
        assert_eq!(valid().validate(), Vec::new());
    }

    #[test]
    fn without_any_allow_list_the_bot_refuses_to_start() {
        let config = Config {
            allowed_users: Vec::new(),
            allowed_rooms: Vec::new(),
            ..valid()
        };
        let problems = config.validate();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("refuses to start open"));
    }

    #[test]
    fn a_rooms_only_allow_list_is_enough() {
        let config = Config {
            allowed_users: Vec::new(),
            allowed_rooms: vec!["#ops:localhost".into(), "!abc:localhost".into()],
            ..valid()
        };
        assert_eq!(config.validate(), Vec::new());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let config = Config {
            homeserver: Some("matrix.example.org".into()),
            user: None,
            command_prefix: "! ".into(),
            ..valid()
        };
        let problems: Vec<String> = config.validate().iter().map(ToString::to_string).collect();
        assert_eq!(
            problems,
            [
                "user: MATRIX_USER is required with MATRIX_HOMESERVER",
                "homeserver: must start with http:// or https://",
                "command_prefix: must not contain whitespace",
            ]
        );
    }

    #[test]
    fn secrets_are_read_from_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("password");
        std::fs::write(&file, "from-file\n").unwrap();
        let mut config = Config {
            password: None,
            password_file: Some(file),
            store_passphrase_file: Some(dir.path().join("missing")),
            ..valid()
        };
        let problems = config.read_secret_files();
        assert_eq!(config.password.unwrap().expose(), "from-file");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].key, "store_passphrase_file");
    }

    #[cfg(feature = "sdk")]
    #[test]
    fn ids_are_checked_with_the_sdk() {
        let config = Config {
            allowed_users: vec!["me".into(), "@me:localhost".into()],
            allowed_rooms: vec!["ops".into()],
            notify_rooms: vec!["#ops:localhost".into()],
            ..valid()
        };
        let problems: Vec<String> = config
            .id_problems()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems,
            [
                "allowed_users: `me` is not a Matrix user ID like @name:server",
                "allowed_rooms: `ops` is not a room ID (!id:server) or alias (#name:server)",
            ]
        );
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
