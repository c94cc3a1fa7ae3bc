//! A secret value from the config (API keys, tokens, passwords), and the one reader of the
//! `*_file` settings that may hold one. Shared by the core's config and every adapter's own config
//! section, so that no secret setting can be accepted and then ignored.

use std::fmt;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;

use crate::ConfigProblem;

/// A secret string, held in `secrecy` so it never reaches a log, an audit entry or a reply by
/// accident. `Debug` and `Serialize` print `***`, so a rendered config is masked.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The secret itself, for the one place that must send it (an HTTP header, a login).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Compares in constant time, so response timing does not reveal how much of a key matched.
    pub fn matches(&self, candidate: &[u8]) -> bool {
        // Length is not secret enough to hide at the cost of complexity; contents are.
        self.expose().as_bytes().ct_eq(candidate).into()
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("***")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Values that look like numbers (`API_KEY=12345` in a TOML file) arrive as numbers.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Unsigned(u64),
            Signed(i64),
            Float(f64),
        }
        let text = match Raw::deserialize(deserializer)? {
            Raw::Text(text) => text,
            Raw::Unsigned(n) => n.to_string(),
            Raw::Signed(n) => n.to_string(),
            Raw::Float(n) => n.to_string(),
        };
        Ok(Secret::new(text.trim()))
    }
}

/// Reads the `<key>_file` setting `file` into the secret `value`. Setting both is ambiguous, and
/// an empty or unreadable file is an error rather than a silently missing secret.
pub fn resolve_secret_file(
    key: &str,
    value: &mut Option<Secret>,
    file: Option<&Path>,
) -> Result<(), ConfigProblem> {
    let Some(path) = file else { return Ok(()) };
    if value.is_some() {
        return Err(ConfigProblem::new(
            key,
            format!("set either {key} or {key}_file, not both"),
        ));
    }
    match std::fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Err(ConfigProblem::new(
            format!("{key}_file"),
            format!("{} is empty", path.display()),
        )),
        Ok(text) => {
            *value = Some(Secret::new(text.trim()));
            Ok(())
        }
        Err(err) => Err(ConfigProblem::new(
            format!("{key}_file"),
            format!("cannot read {}: {err}", path.display()),
        )),
    }
}

/// Reads every `(key, secret, <key>_file)` setting of one config section with
/// [`resolve_secret_file`], collecting every problem rather than stopping at the first. Each
/// section lists its secrets here, so the binary's config reads them all the same way.
pub fn resolve_secret_files<'a>(
    slots: impl IntoIterator<Item = (String, &'a mut Option<Secret>, Option<&'a Path>)>,
) -> Vec<ConfigProblem> {
    slots
        .into_iter()
        .filter_map(|(key, value, file)| resolve_secret_file(&key, value, file).err())
        .collect()
}

/// Reads the `*_file` companions of a config section's secrets with [`resolve_secret_files`]:
/// `read_secret_files!(section; password: password_file, token: token_file)`. Each secret is
/// named once, and its config key is its field's name, so the two cannot drift apart.
#[macro_export]
macro_rules! read_secret_files {
    ($section:expr; $($secret:ident: $file:ident),+ $(,)?) => {
        $crate::resolve_secret_files([$((
            stringify!($secret).to_owned(),
            &mut $section.$secret,
            $section.$file.as_deref(),
        )),+])
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let secret = Secret::new("sk-abc");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"***\"");
    }

    #[test]
    fn compares_exactly() {
        let secret = Secret::new("sk-abc");
        assert!(secret.matches(b"sk-abc"));
        assert!(!secret.matches(b"sk-abd"));
        assert!(!secret.matches(b"sk-ab"));
        assert!(!secret.matches(b"sk-abc "));
        assert!(!secret.matches(b""));
    }

    #[test]
    fn numbers_become_text() {
        let secret: Secret = serde_json::from_str("12345").unwrap();
        assert_eq!(secret.expose(), "12345");
    }

    #[test]
    fn a_file_fills_the_secret_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "  s3cret\n").unwrap();

        let mut value = None;
        resolve_secret_file("discord.token", &mut value, Some(&file)).unwrap();
        assert_eq!(value.as_ref().map(Secret::expose), Some("s3cret"));

        let both = resolve_secret_file("discord.token", &mut value, Some(&file)).unwrap_err();
        assert_eq!(both.key, "discord.token");
        assert!(both.message.contains("not both"), "{both}");

        std::fs::write(&file, " \n").unwrap();
        let empty = resolve_secret_file("discord.token", &mut None, Some(&file)).unwrap_err();
        assert_eq!(empty.key, "discord.token_file");
        assert!(empty.message.contains("is empty"), "{empty}");

        let missing = dir.path().join("missing");
        let unreadable =
            resolve_secret_file("discord.token", &mut None, Some(&missing)).unwrap_err();
        assert!(unreadable.message.contains("cannot read"), "{unreadable}");

        let mut untouched = None;
        resolve_secret_file("discord.token", &mut untouched, None).unwrap();
        assert!(untouched.is_none());
    }
}
