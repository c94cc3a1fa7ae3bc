//! Secret redaction for anything read from the server (container logs, tool output) before it is
//! shown to a user or sent to an LLM: tokens, passwords, API keys, bearer headers, private keys.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// Patterns with the part to keep in group 1 (the label) and the secret after it.
static LABELLED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)((?:[a-z0-9]+[_-])*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|auth|credentials?)(?:[_-][a-z0-9]+)*["']?\s*[:=]\s*["']?)[^\s"',;&]+"#,
    )
    .expect("valid regex")
});

/// Authorization headers and bare bearer tokens.
static BEARER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)((?:authorization\s*:\s*)?(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]{6,}")
        .expect("valid regex")
});

/// Well-known key formats: AWS, GitHub, Slack, OpenAI/Groq, JWTs, URL credentials.
static KNOWN_KEYS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{16,}|gsk_[A-Za-z0-9]{16,}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})\b",
    )
    .expect("valid regex")
});

/// `scheme://user:password@host`.
static URL_CREDENTIALS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@").expect("valid regex")
});

/// PEM private key blocks, whole.
static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)")
        .expect("valid regex")
});

/// Replaces every secret found in `text`; borrows when there is none.
pub fn redact_secrets(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    let mut apply = |re: &Regex, replacement: &str| {
        if re.is_match(&out) {
            out = Cow::Owned(re.replace_all(&out, replacement).into_owned());
        }
    };
    apply(&PRIVATE_KEY, REDACTED);
    apply(&URL_CREDENTIALS, "${1}[REDACTED]@");
    apply(&BEARER, "${1}[REDACTED]");
    apply(&LABELLED, "${1}[REDACTED]");
    apply(&KNOWN_KEYS, REDACTED);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_replaced() {
        for (input, secret) in [
            ("login ok password=hunter2 user=bob", "hunter2"),
            (r#"{"api_key": "abc123xyz"}"#, "abc123xyz"),
            ("Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
            ("key AKIAABCDEFGHIJKLMNOP in env", "AKIAABCDEFGHIJKLMNOP"),
            (
                "token: ghp_abcdefghijklmnopqrstuvwx",
                "ghp_abcdefghijklmnopqrstuvwx",
            ),
            (
                "using sk-proj-abcdefghijklmnop1234",
                "sk-proj-abcdefghijklmnop1234",
            ),
            ("db postgres://app:s3cr3t@db:5432/x", "s3cr3t"),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----",
                "b3BlbnNzaC1rZXk",
            ),
            ("SECRET_KEY = 'django-insecure-xyz'", "django-insecure-xyz"),
        ] {
            let redacted = redact_secrets(input);
            assert!(!redacted.contains(secret), "{input} -> {redacted}");
            assert!(redacted.contains(REDACTED), "{input} -> {redacted}");
        }
    }

    #[test]
    fn ordinary_text_is_untouched_and_borrowed() {
        let text = "GET /api/health 200 12ms; plex started; tokens processed: many";
        assert!(matches!(redact_secrets(text), Cow::Borrowed(_)));
        assert!(matches!(redact_secrets("ünïcödé ✓ 🚀"), Cow::Borrowed(_)));
    }
}
