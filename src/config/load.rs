//! Reading the configuration: which file, the layering of defaults, file and environment (with the
//! old stack's names), and extraction that collects every bad key and value instead of stopping
//! at the first.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::value::{Dict, Value};

use super::secrets::{RawSecretEnv, SECRET_SETTINGS};
use super::{Config, ConfigErrors, ConfigProblem, DEFAULT_CONFIG_FILE, LEGACY_ENV, Loaded};

/// Which file to read: `--config`, else `HOMELAB_CONFIG`, else `config/homelab.toml` when present.
pub fn choose_file(explicit: Option<&Path>) -> Option<(PathBuf, bool)> {
    if let Some(path) = explicit {
        return Some((path.to_owned(), true));
    }
    if let Some(path) = std::env::var_os("HOMELAB_CONFIG").filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(path), true));
    }
    let default = PathBuf::from(DEFAULT_CONFIG_FILE);
    default.is_file().then_some((default, false))
}

/// Reads, layers and validates the configuration from the real file system and environment.
pub fn load(explicit: Option<&Path>) -> Result<Loaded, ConfigErrors> {
    let file = choose_file(explicit);
    if let Some((path, _)) = &file
        && !path.is_file()
    {
        return Err(ConfigErrors(vec![ConfigProblem {
            key: String::new(),
            message: format!(
                "config file {} does not exist or is not a file",
                path.display()
            ),
            source: None,
        }]));
    }
    let figment = layered(file.as_ref().map(|(path, _)| path.as_path()));
    let config = from_figment(&figment)?;
    Ok(Loaded {
        config,
        file: file.map(|(path, _)| path),
    })
}

/// The file (if any) under the environment: the old names, then `HOMELAB_*`, then secrets verbatim.
pub(super) fn layered(file: Option<&Path>) -> Figment {
    let mut figment = Figment::new();
    if let Some(path) = file {
        figment = figment.merge(Toml::file_exact(path));
    }
    figment
        .merge(legacy_env())
        .merge(homelab_env())
        .merge(RawSecretEnv)
}

/// The old stack's names, mapped onto our keys.
fn legacy_env() -> Env {
    // Secrets are read verbatim by `RawSecretEnv` instead.
    let names: Vec<&str> = LEGACY_ENV
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| {
            !SECRET_SETTINGS
                .iter()
                .any(|(_, legacy)| *legacy == Some(*name))
        })
        .collect();
    Env::raw().only(&names).map(|name| {
        LEGACY_ENV
            .iter()
            .find(|(legacy, _)| name == *legacy)
            .map(|(_, key)| (*key).into())
            .unwrap_or_else(|| name.into())
    })
}

/// `HOMELAB_SECTION__KEY`; `HOMELAB_CONFIG` names the file and is not a key.
fn homelab_env() -> Env {
    // HOMELAB_TEST_* names belong to the test suite (fixture addresses), not to the program.
    Env::prefixed("HOMELAB_")
        .ignore(&["CONFIG"])
        .filter(|key| {
            let key = key.as_str().to_ascii_lowercase();
            // Secrets are read verbatim by `RawSecretEnv` instead.
            let secret = SECRET_SETTINGS
                .iter()
                .any(|(setting, _)| setting.replace('.', "__") == key);
            !key.starts_with("test_") && !secret
        })
        .split("__")
}

/// Extracts and validates, collecting every unknown key, bad value and failed check.
pub fn from_figment(figment: &Figment) -> Result<Config, ConfigErrors> {
    let mut problems = Vec::new();
    let mut data: Dict = match figment.extract() {
        Ok(data) => data,
        Err(errors) => {
            // A provider itself failed (e.g. TOML syntax): nothing more can be checked.
            let problems = errors
                .into_iter()
                .map(|e| ConfigProblem {
                    key: e.path.join("."),
                    message: e.kind.to_string(),
                    source: e.metadata.as_ref().map(describe_source_of_provider),
                })
                .collect();
            return Err(ConfigErrors(problems));
        }
    };
    drop_empty_strings(&mut data);

    // serde stops at the first error; remove each offending key and try again to find the rest.
    let mut config = None;
    for _ in 0..256 {
        match Figment::from(Serialized::defaults(&data)).extract::<Config>() {
            Ok(parsed) => {
                config = Some(parsed);
                break;
            }
            Err(errors) => {
                let mut removed_any = false;
                for error in errors {
                    let mut path = error.path.clone();
                    let message = match &error.kind {
                        figment::error::Kind::UnknownField(field, expected) => {
                            if path.last() != Some(field) {
                                path.push(field.clone());
                            }
                            if expected.is_empty() {
                                "unknown key".to_owned()
                            } else {
                                format!("unknown key; expected one of: {}", expected.join(", "))
                            }
                        }
                        kind => kind.to_string(),
                    };
                    let key = path.join(".");
                    problems.push(ConfigProblem {
                        source: source_of(figment, &key),
                        key,
                        message,
                    });
                    removed_any |= remove_path(&mut data, &path);
                }
                if !removed_any {
                    break;
                }
            }
        }
    }
    let Some(mut config) = config else {
        return Err(ConfigErrors(problems));
    };
    config.share_rate_limit();
    config.resolve_secret_files(&mut problems);
    config.share_webhooks();
    config.validate(&mut problems);
    for problem in problems.iter_mut().filter(|p| p.source.is_none()) {
        problem.source = source_of(figment, &problem.key);
    }
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(ConfigErrors(problems))
    }
}

/// An empty environment variable (`API_KEY=` in a .env file) means "unset", not "empty".
fn drop_empty_strings(dict: &mut Dict) {
    dict.retain(|_, value| !matches!(value, Value::String(_, s) if s.trim().is_empty()));
    for value in dict.values_mut() {
        if let Value::Dict(_, inner) = value {
            drop_empty_strings(inner);
        }
    }
}

fn remove_path(dict: &mut Dict, path: &[String]) -> bool {
    match path {
        [] => false,
        [last] => dict.remove(last).is_some(),
        [first, rest @ ..] => match dict.get_mut(first) {
            Some(Value::Dict(_, inner)) => remove_path(inner, rest),
            Some(_) => dict.remove(first).is_some(),
            None => false,
        },
    }
}

fn source_of(figment: &Figment, key: &str) -> Option<String> {
    if key.is_empty() {
        return None;
    }
    let metadata = figment.find_metadata(key)?;
    if let Some(figment::Source::File(path)) = &metadata.source {
        return Some(format!("file {}", path.display()));
    }
    if !metadata.name.contains("environment") {
        return Some(metadata.name.to_string());
    }
    let legacy = LEGACY_ENV
        .iter()
        .find(|(_, legacy_key)| *legacy_key == key)
        .map(|(name, _)| *name)
        .filter(|name| std::env::var_os(name).is_some());
    Some(match legacy {
        Some(name) if !metadata.name.contains("HOMELAB_") => format!("env {name}"),
        _ => format!("env HOMELAB_{}", key.replace('.', "__").to_uppercase()),
    })
}

fn describe_source_of_provider(metadata: &figment::Metadata) -> String {
    match &metadata.source {
        Some(figment::Source::File(path)) => format!("file {}", path.display()),
        _ => metadata.name.to_string(),
    }
}
