//! Secret settings: the one table that lists them, the environment reader that takes them verbatim,
//! and their `*_file` companions, each read by the kit's one helper.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::Serialized;
use figment::value::Dict;
use homelab_kit::Secret;

use super::{Config, ConfigProblem, problem};

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

/// Reads `*_file` into its secret with the one helper every secret setting goes through.
fn resolve_secret(
    key: &str,
    value: &mut Option<Secret>,
    file: Option<&Path>,
    problems: &mut Vec<ConfigProblem>,
) {
    if let Err(found) = homelab_kit::resolve_secret_file(key, value, file) {
        problems.push(problem(&found.key, found.message));
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

    pub(super) fn resolve_secret_files(&mut self, problems: &mut Vec<ConfigProblem>) {
        for slot in self.secret_slots() {
            resolve_secret(&slot.key, slot.value, slot.file.as_deref(), problems);
        }
    }
}
