//! The configuration's unit tests: layering, legacy names, secrets, validation and rendering, in
//! figment's jail so each test has its own environment and files.
#![allow(clippy::result_large_err)] // figment's Jail closures return its (large) error type.

use super::load::layered;
use super::*;
use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Value};
use figment::{Figment, Jail};
use std::path::Path;
use std::time::Duration;

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
        assert_eq!(config.rate_limit.window, Duration::from_secs(60));
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
        assert_eq!(
            config.rate_limit.window,
            Duration::from_secs(30),
            "file overrides defaults"
        );
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
        assert_eq!(config.rate_limit.window, Duration::from_secs(9));
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
    let example = include_str!("../../config/homelab.example.toml");
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

/// The environment reader goes by [`SECRET_SETTINGS`], the file reader by each section's own
/// list: every secret in the table must be one the file reader fills.
#[test]
fn every_listed_secret_is_read_from_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    let mut figment = Figment::from(Serialized::defaults(&config));
    for (key, _) in SECRET_SETTINGS {
        let file = dir.path().join(key);
        std::fs::write(&file, format!("{key}-from-file")).unwrap();
        figment = figment.merge(Serialized::default(&format!("{key}_file"), &file));
    }
    config = figment.extract().unwrap();
    let mut problems = Vec::new();
    config.resolve_secret_files(&mut problems);
    assert_eq!(problems, Vec::new());
    let shown: Dict = Figment::from(Serialized::defaults(&config))
        .extract()
        .unwrap();
    for (key, _) in SECRET_SETTINGS {
        let (section, name) = key.split_once('.').unwrap();
        let Some(Value::Dict(_, settings)) = shown.get(section) else {
            panic!("no [{section}]");
        };
        assert!(
            matches!(settings.get(name), Some(Value::String(_, masked)) if masked == "***"),
            "{key} was not read from its file"
        );
    }
}
