//! Checking a parsed configuration as a whole: ranges, combinations (a public bind needs a key, a
//! chat bot needs an allow-list) and addresses, every problem reported at once.

use std::net::SocketAddr;

use super::{AlertsConfig, Config, ConfigProblem, ProviderChoice, problem};

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
    }
}

impl Config {
    pub(super) fn validate(&self, problems: &mut Vec<ConfigProblem>) {
        for found in self.rate_limit.problems("rate_limit") {
            problems.push(problem(&found.key, found.message));
        }
        let mut check = |ok: bool, key: &str, message: &str| {
            if !ok {
                problems.push(problem(key, message));
            }
        };
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
}

fn valid_docker_address(address: &str) -> bool {
    ["unix://", "tcp://", "http://", "https://"]
        .iter()
        .any(|scheme| address.starts_with(scheme) && address.len() > scheme.len())
}
