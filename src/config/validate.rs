//! Checking a parsed configuration as a whole: ranges, combinations (an OpenAI provider needs a
//! key) and addresses, every problem reported at once. Each chat adapter checks its own section
//! (a public bind needs a key, a bot needs an allow-list); its problems join the others here.

use homelab_kit::is_http_url;

use super::{AlertsConfig, Config, ConfigProblem, ProviderChoice, in_section, problem};

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
            (500..=1_000_000).contains(&self.llm.max_prompt_tokens),
            "llm.max_prompt_tokens",
            "must be between 500 and 1000000",
        );
        check(
            (1..=120).contains(&self.docker.timeout_secs),
            "docker.timeout_secs",
            "must be between 1 and 120",
        );
        for (key, url) in [
            ("llm.base_url", &self.llm.base_url),
            ("llm.groq_base_url", &self.llm.groq_base_url),
            ("llm.openai_base_url", &self.llm.openai_base_url),
        ] {
            if let Some(url) = url
                && !is_http_url(url)
            {
                problems.push(problem(key, "must start with http:// or https://"));
            }
        }
        problems.extend(in_section("http", self.http.validate()));
        problems.extend(in_section("webhooks", self.webhooks.validate()));
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
        // A bot that is not switched on is not checked: its section may be half filled in.
        if self.discord.enabled() {
            problems.extend(in_section("discord", self.discord.validate()));
        }
        if self.matrix.enabled() {
            problems.extend(in_section("matrix", self.matrix.validate()));
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
        if chrono::NaiveTime::parse_from_str(self.digest.at.trim(), "%H:%M").is_err() {
            problems.push(problem(
                "digest.at",
                format!("`{}` is not a time like 08:00", self.digest.at),
            ));
        }
        if let Err(message) = crate::digest::Zone::parse(&self.digest.timezone) {
            problems.push(problem("digest.timezone", message));
        }
    }
}

fn valid_docker_address(address: &str) -> bool {
    ["unix://", "tcp://", "http://", "https://"]
        .iter()
        .any(|scheme| address.starts_with(scheme) && address.len() > scheme.len())
}
