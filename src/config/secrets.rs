//! Secret settings: the one table that lists them for the environment reader, which takes them
//! verbatim, and their `*_file` companions, each read by the kit's one helper.

use figment::Figment;
use figment::providers::Serialized;
use figment::value::Dict;

use super::{Config, ConfigProblem, in_section};

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
    ("truenas.api_key", Some("TRUENAS_API_KEY")),
    ("prometheus.password", None),
    ("prometheus.bearer_token", None),
    ("webhooks.token", None),
];

/// `HOMELAB_HTTP__API_KEY` for `http.api_key`.
fn homelab_env_name(key: &str) -> String {
    format!("HOMELAB_{}", key.replace('.', "__").to_ascii_uppercase())
}

/// Secrets from the environment, taken verbatim: figment's own reader would turn
/// `API_KEY=000123` into the number 123 and `API_KEY=true` into a boolean.
pub(super) struct RawSecretEnv;

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

impl Config {
    /// Reads every `*_file` setting into its secret with the kit's one helper: the core's own
    /// (the LLM keys), then each adapter section's, which lists its secrets itself.
    pub(super) fn resolve_secret_files(&mut self, problems: &mut Vec<ConfigProblem>) {
        let Config {
            http,
            webhooks,
            llm,
            discord,
            matrix,
            truenas,
            prometheus,
            ..
        } = self;
        let llm_secrets = homelab_kit::read_secret_files!(llm;
            api_key: api_key_file,
            groq_api_key: groq_api_key_file,
            openai_api_key: openai_api_key_file,
        );
        let truenas_secrets = homelab_kit::read_secret_files!(truenas;
            api_key: api_key_file,
        );
        let prometheus_secrets = homelab_kit::read_secret_files!(prometheus;
            password: password_file,
            bearer_token: bearer_token_file,
        );
        for (section, found) in [
            ("http", http.read_secret_files()),
            ("webhooks", webhooks.read_secret_files()),
            ("llm", llm_secrets),
            ("discord", discord.read_secret_files()),
            ("matrix", matrix.read_secret_files()),
            ("truenas", truenas_secrets),
            ("prometheus", prometheus_secrets),
        ] {
            problems.extend(in_section(section, found));
        }
    }
}
