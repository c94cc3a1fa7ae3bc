//! Which names (settings, headers, flags, JSON keys) hold secrets, and which values look like one.

use super::{LONG_TOKEN, REDACTED};

/// Words that name a secret in `NAME=value`, `"name": value`, `--name value` and the like.
pub(super) const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "passphrase",
    "passcode",
    "secret",
    "secrets",
    "token",
    "apikey",
    "key",
    "auth",
    "authorization",
    "credential",
    "credentials",
    "creds",
    "claim",
    "cookie",
    "cookies",
    "session",
    "sessionid",
    "sid",
    "signature",
    "sig",
    "salt",
    "otp",
    "totp",
    "seed",
    "mnemonic",
    "privkey",
    "psk",
    "hmac",
    "dsn",
];

/// Endings that make a glued word a secret name: `DBPASS`, `WEBPASSWORD`, `TS_AUTHKEY`.
pub(super) const SECRET_ENDINGS: &[&str] = &[
    "password", "passwd", "pass", "pwd", "secret", "token", "apikey", "authkey", "key",
];

/// Glued words with a secret ending that are not secrets.
pub(super) const NOT_SECRET_WORDS: &[&str] = &[
    "bypass", "compass", "surpass", "monkey", "turkey", "hockey", "jockey", "whiskey", "donkey",
    "hotkey", "hotkeys", "keyboard",
];

/// A last name part that makes the setting describe a secret rather than hold one:
/// `API_KEY_FILE=/run/secrets/k`, `max_tokens=1024`, `token_url=https://…`.
pub(super) const NOT_SECRET_LAST: &[&str] = &[
    "file",
    "files",
    "path",
    "dir",
    "directory",
    "url",
    "uri",
    "endpoint",
    "host",
    "hostname",
    "port",
    "type",
    "kind",
    "name",
    "names",
    "id",
    "ids",
    "count",
    "counts",
    "length",
    "len",
    "size",
    "min",
    "max",
    "limit",
    "ttl",
    "timeout",
    "expiry",
    "expires",
    "expiration",
    "interval",
    "enabled",
    "disabled",
    "required",
    "set",
    "present",
    "configured",
    "header",
    "mode",
    "method",
    "policy",
    "algorithm",
    "alg",
    "format",
    "provider",
    "location",
    "field",
    "env",
    "var",
    "hint",
    "prompt",
    "label",
    "source",
    "version",
    "age",
    "duration",
    "lifetime",
    "rotation",
    "strength",
    "pattern",
    "rounds",
    "iterations",
    "status",
    "valid",
    "invalid",
    "error",
    "errors",
    "failed",
    "failure",
    "failures",
    "success",
    "changed",
    "usage",
    "used",
    "remaining",
    "tokens",
    "keys",
    "store",
    "manager",
    "prefix",
    "scope",
    "scopes",
    "issuer",
    "audience",
];

/// Values that hold no secret even under a secret's name.
pub(super) const PLACEHOLDER_VALUES: &[&str] = &[
    "",
    "true",
    "false",
    "null",
    "none",
    "nil",
    "yes",
    "no",
    "on",
    "off",
    "undefined",
    "***",
    "[redacted]",
    "<redacted>",
    "redacted",
    "<hidden>",
    "hidden",
    "masked",
    "unset",
    "empty",
];

/// Lower-case name parts: `DB_PASS` → `db`, `pass`; `apiKey` → `api`, `key`; `X-Plex-Token` →
/// `x`, `plex`, `token`.
pub(super) fn name_parts(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts
}

/// Whether a setting, header, flag or JSON key of this name holds a secret: `PLEX_CLAIM`,
/// `dbPass`, `X-Api-Key`, `auth.token`, `WEBPASSWORD`; not `API_KEY_FILE`, `max_tokens` or
/// `keyboard`.
pub fn is_secret_name(name: &str) -> bool {
    let parts = name_parts(name);
    let Some(last) = parts.last() else {
        return false;
    };
    if parts
        .iter()
        .any(|part| matches!(part.as_str(), "public" | "pub" | "publickey"))
    {
        return false;
    }
    let session_id = parts.len() >= 2
        && last == "id"
        && matches!(parts[parts.len() - 2].as_str(), "session" | "sess");
    if NOT_SECRET_LAST.contains(&last.as_str()) && !session_id {
        return false;
    }
    session_id
        || parts.iter().any(|part| {
            SECRET_WORDS.contains(&part.as_str())
                || (!NOT_SECRET_WORDS.contains(&part.as_str())
                    && SECRET_ENDINGS.iter().any(|ending| part.ends_with(ending)))
                || part.starts_with("passw")
        })
}

/// Whether a value after a secret's name is only a placeholder (`true`, `${DB_PASSWORD}`, `***`).
pub(super) fn is_placeholder(value: &str) -> bool {
    let raw = value.trim().to_ascii_lowercase();
    let lower = trim_punctuation(value).to_ascii_lowercase();
    let wrapped = |open: &str, close: &str| {
        raw.len() > open.len() + close.len()
            && raw.starts_with(open)
            && raw.ends_with(close)
            && raw[open.len()..raw.len() - close.len()]
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | ' ' | '-'))
    };
    PLACEHOLDER_VALUES.contains(&lower.as_str())
        || lower.chars().all(|c| c == '*' || c == 'x' || c == '•') && lower.len() >= 3
        // `${DB_PASSWORD}`, `${DB_PASSWORD:?required}`, `$DB_PASSWORD`, `%DB_PASSWORD%`,
        // `{FRIGATE_MQTT_PASSWORD}`, `{{ .Env.TOKEN }}`, `<your-token>`, `!secret mqtt_password`.
        || lower.starts_with("${")
        || (lower.starts_with('$') && lower[1..].chars().all(|c| c.is_alphanumeric() || c == '_'))
        || wrapped("%", "%")
        || wrapped("{", "}")
        || wrapped("{{", "}}")
        || wrapped("<", ">")
        || raw.starts_with('!')
        || SECRET_WORDS.contains(&lower.as_str())
        || lower.contains(&REDACTED.to_ascii_lowercase())
}

/// `None,` → `None`; `"x")` → `x`: what surrounds a value in code and prose.
pub(super) fn trim_punctuation(value: &str) -> &str {
    value.trim().trim_matches(|c: char| {
        matches!(
            c,
            '"' | '\'' | '`' | '.' | ',' | ';' | ')' | '(' | ']' | '[' | '}' | '!' | '?' | ':'
        )
    })
}

/// A file path is where a secret lives, not the secret: `/run/secrets/db`, `~/.ssh/id_ed25519`.
pub(super) fn is_path(value: &str) -> bool {
    let value = value.trim_matches(|c: char| matches!(c, '"' | '\''));
    (value.starts_with('/') || value.starts_with("./") || value.starts_with("~/"))
        && !value.contains(char::is_whitespace)
}

/// Whether a word standing after `password` or `token` (space form) looks like a secret rather
/// than prose: "password hunter2" is, "password expired" is not.
pub(super) fn looks_like_secret(word: &str) -> bool {
    // `key 871920D1991BC93C:` names something that more is said about; a secret ends a phrase.
    if word.ends_with(':') || is_path(word) || is_placeholder(word) {
        return false;
    }
    let word = trim_punctuation(word);
    // `!secret mqtt_password`: a snake_case name refers to a secret kept elsewhere.
    let identifier = word.contains('_') && word.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    if word.chars().count() < 6 || is_placeholder(word) || identifier {
        return false;
    }
    let digits = word.chars().any(|c| c.is_ascii_digit());
    let lower = word.chars().any(char::is_lowercase);
    // An upper-case letter after the first, with lower case around: `aB3x`, not `Ubuntu`.
    let inner_upper = word.chars().skip(1).any(char::is_uppercase) && lower;
    let symbol = word.chars().any(|c| !c.is_alphanumeric());
    digits || inner_upper || symbol || word.chars().count() >= 16
}

/// Whether a bare run of token characters is key material or a random secret: long base64, a
/// mixed-case-and-digits string, a 32-digit hex key. Container ids, image digests (long, but
/// lower-case hex) and ordinary words are left alone.
pub(super) fn is_random_token(token: &str) -> bool {
    let length = token.len();
    if length < LONG_TOKEN {
        return false;
    }
    let bytes = token.as_bytes();
    let upper = bytes.iter().filter(|b| b.is_ascii_uppercase()).count();
    let lower = bytes.iter().filter(|b| b.is_ascii_lowercase()).count();
    let digits = bytes.iter().filter(|b| b.is_ascii_digit()).count();
    let slashes = bytes.iter().filter(|&&b| b == b'/').count();
    // A path: `tmpAbC12/no-docker`, `lib/x86_64-linux-gnu`; base64 has `/` but no `-`, `_` or
    // whole lower-case words between its slashes.
    let path_like = slashes > 0
        && token.split('/').any(|segment| {
            segment.contains(['-', '_'])
                || (segment.len() >= 3 && segment.bytes().all(|b| b.is_ascii_lowercase()))
        });
    if token.starts_with('/') || slashes > 2 || path_like {
        return false;
    }
    // Public material: SSH public keys (`AAAAC3NzaC1…`), subresource-integrity hashes
    // (`sha512-…`), hex of any length (ids, digests, checksums; a bare hex key is caught by
    // its setting's name or when it stands alone on a line).
    let public = ["AAAAB3NzaC1", "AAAAC3NzaC1", "AAAAE2VjZHNh", "AAAAD3NzaC1"]
        .iter()
        .any(|prefix| token.starts_with(prefix))
        || ["sha256-", "sha384-", "sha512-", "sha1-"]
            .iter()
            .any(|prefix| token.starts_with(prefix));
    if public || bytes.iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    length >= 24 && upper > 0 && lower > 0 && digits > 0
        || length >= 40 && upper > 0 && lower > 0 && (digits > 0 || token.contains(['+', '/']))
}
