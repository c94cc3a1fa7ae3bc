//! A secret value from the config (API keys, tokens): held in `secrecy` so it never reaches a log,
//! an audit entry or a reply by accident, and masked whenever the config is shown.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;

/// A secret string. `Debug` and `Serialize` print `***`.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(SecretString::from(value))
    }

    /// The secret itself, for the one place that must send it (an HTTP header).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Compares in constant time, so response timing does not reveal how much of a key matched.
    pub fn matches(&self, candidate: &str) -> bool {
        let expected = self.expose().as_bytes();
        let candidate = candidate.as_bytes();
        // Length is not secret enough to hide at the cost of complexity; contents are.
        expected.len() == candidate.len() && bool::from(expected.ct_eq(candidate))
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
        // Environment values that look like numbers (`API_KEY=12345`) arrive as numbers.
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
        Ok(Secret::new(text.trim().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let secret = Secret::new("sk-abc".into());
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"***\"");
    }

    #[test]
    fn compares_exactly() {
        let secret = Secret::new("sk-abc".into());
        assert!(secret.matches("sk-abc"));
        assert!(!secret.matches("sk-abd"));
        assert!(!secret.matches("sk-ab"));
        assert!(!secret.matches(""));
    }

    #[test]
    fn numbers_become_text() {
        let secret: Secret = serde_json::from_str("12345").unwrap();
        assert_eq!(secret.expose(), "12345");
    }
}
