//! The line rules: one pattern per way a secret is written, each with the trigger words that let
//! the screen in mod.rs skip it on lines that cannot hold it.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::names::*;
use super::{REDACTED, redact_line};

/// How a rule rewrites what its pattern matched.
pub(super) enum Rewrite {
    /// A replacement template (`${1}[REDACTED]`).
    Template(&'static str),
    /// Decides from the captures; returns the match unchanged when it is not a secret after all.
    Decide(fn(&Captures) -> String),
}

pub(super) struct Rule {
    pub(super) pattern: Regex,
    pub(super) rewrite: Rewrite,
    /// Lower-case literals, one of which must be on a line for the rule to run there. Empty: the
    /// rule runs on lines holding a long run of token characters.
    pub(super) triggers: &'static [&'static str],
}

pub(super) fn rule(triggers: &'static [&'static str], pattern: &str, rewrite: Rewrite) -> Rule {
    Rule {
        pattern: Regex::new(pattern).expect("redaction patterns are valid"),
        rewrite,
        triggers,
    }
}

pub(super) fn keep(caps: &Captures) -> String {
    caps[0].to_owned()
}

/// `name<sep>value` where the name holds a secret; quoted values keep their quotes.
pub(super) fn decide_assignment(caps: &Captures) -> String {
    let name = &caps["name"];
    let value = caps.name("value").map_or("", |m| m.as_str());
    let head = &caps[0][..caps[0].len() - value.len()];
    if !is_secret_name(name) {
        // The value may itself hold an assignment: `msg="login ok password=hunter2"`.
        return format!("{head}{}", redact_line(value));
    }
    let (open, inner, close) = split_quotes(value);
    let names_a_setting = matches!(name.to_ascii_lowercase().as_str(), "key" | "name")
        && inner
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, '_' | '.' | '-'));
    // `Username: Password: From:` is an empty form, not a password called `From:`.
    let next_label = open.is_empty() && value.trim_end_matches(['}', ')', ']', ',']).ends_with(':');
    if is_placeholder(inner)
        || is_auth_scheme(inner)
        || is_path(inner)
        || names_a_setting
        || next_label
    {
        return keep(caps);
    }
    format!("{head}{open}{REDACTED}{close}")
}

/// `password hunter2`, `token is abc123XYZ`: only when the word after looks like a secret.
pub(super) fn decide_spaced(caps: &Captures) -> String {
    let value = &caps["value"];
    let secret_name = caps
        .name("name")
        .is_none_or(|name| is_secret_name(name.as_str()));
    if !secret_name || !looks_like_secret(value) {
        return keep(caps);
    }
    let head = &caps[0][..caps[0].len() - value.len()];
    format!("{head}{REDACTED}")
}

/// `<secret word> <a few words>: value`: redacted unless the words say the value describes the
/// secret (`Password hashing algorithm: argon2id`, `Password policy: …`).
pub(super) fn decide_labelled(caps: &Captures) -> String {
    // `… get a new one at https://plex.tv/claim`: the colon belonged to a URL.
    if caps["value"].starts_with("//") {
        return keep(caps);
    }
    let label = caps.name("label").map_or("", |m| m.as_str());
    let last = label
        .split(|c: char| !c.is_alphanumeric())
        .rfind(|w| !w.is_empty())
        .map(str::to_lowercase);
    let describes = last.is_some_and(|word| {
        NOT_SECRET_LAST.contains(&word.as_str())
            || matches!(
                word.as_str(),
                "hashing" | "hash" | "strength" | "complexity" | "reset" | "manager" | "check"
            )
    });
    if describes {
        return keep(caps);
    }
    decide_spaced(caps)
}

/// A bare long token: redacted when it looks random.
pub(super) fn decide_token(caps: &Captures) -> String {
    if is_random_token(&caps[0]) {
        REDACTED.to_owned()
    } else {
        keep(caps)
    }
}

/// `-p<secret>` glued to the flag (mysql): kept when it is a port mapping like `-p8080:80`.
pub(super) fn decide_glued_p(caps: &Captures) -> String {
    let value = &caps["value"];
    let port_like = value
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | '/' | '-'))
        || value.ends_with("/tcp")
        || value.ends_with("/udp");
    if port_like || is_placeholder(value) || P_FLAG_WORDS.contains(&value) || is_path(value) {
        return keep(caps);
    }
    let head = &caps[0][..caps[0].len() - value.len()];
    format!("{head}{REDACTED}")
}

/// Words that follow `-p` as options of other programs (`find -print`, `-path`), not passwords.
pub(super) const P_FLAG_WORDS: &[&str] = &[
    "print",
    "print0",
    "printf",
    "prune",
    "path",
    "perm",
    "ports",
    "publish",
    "pull",
    "pid",
    "platform",
    "privileged",
    "project",
    "profile",
    "parents",
    "preserve",
    "port",
    "prefix",
    "progress",
    "plain",
    "pretty",
    "ping",
];

/// `-a <secret>` is redis-cli's password only on a redis line; elsewhere `-a` means "all".
pub(super) fn decide_redis_a(caps: &Captures) -> String {
    let value = &caps["value"];
    if value.starts_with('-') || is_placeholder(value) {
        return keep(caps);
    }
    let head = &caps[0][..caps[0].len() - value.len()];
    format!("{head}{REDACTED}")
}

pub(super) fn is_auth_scheme(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "bearer" | "basic" | "digest" | "token" | "bot" | "negotiate" | "apikey"
    )
}

/// `"abc"` → (`"`, `abc`, `"`); `\"abc\"` → (`\"`, `abc`, `\"`); `abc` → ("", `abc`, "").
pub(super) fn split_quotes(value: &str) -> (&str, &str, &str) {
    for quote in ["\\\"", "\"", "'", "`"] {
        if value.len() >= 2 * quote.len() && value.starts_with(quote) && value.ends_with(quote) {
            return (quote, &value[quote.len()..value.len() - quote.len()], quote);
        }
    }
    (
        value_open_quote(value),
        value.trim_start_matches(['"', '\'']),
        "",
    )
}

pub(super) fn value_open_quote(value: &str) -> &str {
    if value.starts_with('"') {
        "\""
    } else if value.starts_with('\'') {
        "'"
    } else {
        ""
    }
}

/// A value: escaped-JSON quoted, double-, single- or back-quoted (spaces allowed), or bare.
pub(super) const VALUE: &str = r#"(?P<value>\\"(?:[^\\]|\\[^"])*?\\"|"(?:[^"\\]|\\.)*"|'[^']*'|`[^`]*`|[^\s"'`&<>;{\[][^\s"'`&<>;]*)"#;

/// A setting name with a secret word in it (`MYSQL_ROOT_PASSWORD`, `apiKey`, `X-Plex-Token`);
/// [`is_secret_name`] then decides on its parts.
pub(super) const SECRET_NAME: &str = r"(?P<name>(?:[A-Za-z_][\w.\-]*?)?(?i:pass|pwd|secret|token|key|auth|cred|claim|cookie|session|sid|sig|salt|otp|seed|mnemonic|psk|hmac|dsn)[\w.\-]*)";

/// Ordered: whole headers and URLs first, so the generic `name=value` rule finds nothing half
/// done; bare token shapes last.
pub(super) static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    use Rewrite::{Decide, Template};
    let assignment = format!(r#"{SECRET_NAME}(?:\\?["'])?\s*(?:=>|:=|=|:)\s*{VALUE}"#);
    let spaced = format!(
        r#"\b{SECRET_NAME}(?i:\s+(?:for\s+\S+\s+)?(?:is|was|set\s+to|changed\s+to|reset\s+to|generated|of))?\s+["']?(?P<value>[^\s"']+)"#
    );
    vec![
        // Authorization headers keep their scheme so the reader still knows what was sent.
        rule(
            &["auth"],
            r"(?i)\b((?:proxy-)?authorization\\?[\x22']?\s*[:=]\s*\\?[\x22']?)((?:bearer|basic|digest|token|bot|negotiate|apikey)\s+)?[^\s,;\x22'\\]+",
            Template("${1}${2}[REDACTED]"),
        ),
        // `Bearer`/`Basic` credentials anywhere on a line.
        rule(
            &["bearer", "basic"],
            r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9\-._~+/]*[A-Z0-9+/=._~\-][A-Za-z0-9\-._~+/]*={0,2}",
            Decide(|caps| {
                let credential = caps[0][caps[1].len() + caps[2].len()..].to_owned();
                let parameter = credential.split_once('=').is_some_and(|(name, _)| {
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase())
                });
                let plain_word = credential.chars().all(|c| c.is_ascii_lowercase())
                    || parameter
                    || credential.len() < 6
                    || credential.eq_ignore_ascii_case("authentication")
                    || credential.eq_ignore_ascii_case(REDACTED);
                if plain_word || credential.starts_with('[') {
                    keep(caps)
                } else {
                    format!("{}{}{REDACTED}", &caps[1], &caps[2])
                }
            }),
        ),
        // Cookies: every value after the header.
        rule(
            &["cookie"],
            r"(?i)\b((?:set-)?cookie\\?[\x22']?\s*:\s*)[^\r\n]+",
            Template("${1}[REDACTED]"),
        ),
        // Webhook URLs: Slack, Discord, anything under /webhooks/ or /hooks/.
        rule(
            &["hooks", "webhook"],
            r"(?i)(/(?:api/)?(?:v\d+/)?(?:webhook\w*|hooks|incomingwebhook)/)[^\s\x22'<>`)]+",
            Template("${1}[REDACTED]"),
        ),
        rule(
            &["hooks.slack", "slack.com"],
            r"(?i)(hooks\.slack\.com/(?:services|workflows|triggers)/)[^\s\x22'<>`)]+",
            Template("${1}[REDACTED]"),
        ),
        // Telegram bot URLs: api.telegram.org/bot<token>/sendMessage.
        rule(
            &["/bot"],
            r"(?i)(/bot)\d{5,}:[A-Za-z0-9_\-]{20,}",
            Template("${1}[REDACTED]"),
        ),
        // Notification URLs (Apprise and friends) carry their credentials in the URL itself.
        rule(
            &["://"],
            r"(?i)\b((?:discord|tgram|slack|msteams|pover|pushover|pbul|gotifys?|ntfys?|matrixs?|mmosts?|rocket|signal|pushed|join|ifttt|apprises?|mailtos?|telegram|twilio|whatsapp)://)[^\s\x22'<>`]+",
            Template("${1}[REDACTED]"),
        ),
        // Credentials inside URLs: scheme://user:password@host, and scheme://token@host.
        rule(
            &["@"],
            r"(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@\x22'<>]*):[^/\s@\x22'<>]+@",
            Template("${1}:[REDACTED]@"),
        ),
        rule(
            &["@"],
            r"(?i)\b([a-z][a-z0-9+.\-]*://)([A-Za-z0-9_\-.~%]{16,})@",
            Template("${1}[REDACTED]@"),
        ),
        // user:password@host without a scheme ("connecting to admin:hunter2@db:5432").
        rule(
            &["@"],
            r"(?i)(^|[\s\x22'(=])([\w.\-]+):([^\s@/:\x22']{3,})@([\w\-]+(?:\.[\w\-]+)+|[\w\-]+:\d+|localhost)",
            Template("${1}${2}:[REDACTED]@${4}"),
        ),
        // Query parameters that carry credentials.
        rule(
            &[
                "token",
                "key",
                "pass",
                "pwd",
                "auth",
                "secret",
                "sig",
                "session",
                "sid",
                "code=",
                "credential",
            ],
            r"(?i)([?&;#](?:x-plex-token|access_token|refresh_token|id_token|auth_token|api_?key|apikey|token|auth|key|secret|client_secret|password|passwd|pass|pwd|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|code|session|sessionid|sid)=)[^&\s\x22'#<>`]+",
            Template("${1}[REDACTED]"),
        ),
        // Password hashes: crypt(3) and htpasswd (`$apr1$`, `$2y$`, `$6$`, `$$` escaped in
        // compose files), argon2, LDAP `{SSHA}`.
        rule(
            &["$"],
            r"\$\$?(?:apr1|2[abxy]?|1|5|6|7|y|gy|sha1|md5|argon2(?:id|i|d)|scrypt|pbkdf2[\w\-]*)\$[^\s\x22';`]+",
            Template("[REDACTED]"),
        ),
        rule(
            &["{ssha", "{sha", "{smd5", "{md5", "{crypt"],
            r"(?i)\{(?:s?sha(?:256|512)?|s?md5|crypt)\}[^\s\x22',;`]+",
            Template("[REDACTED]"),
        ),
        // Well-known token shapes, wherever they appear.
        rule(
            &[
                "akia", "asia", "agpa", "aida", "aroa", "anpa", "aipa", "anva",
            ],
            r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|AIPA|ANVA)[A-Z0-9]{16}\b",
            Template("[REDACTED]"),
        ),
        rule(
            &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
            r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
            Template("[REDACTED]"),
        ),
        rule(
            &["glpat-", "gldt-", "glrt-", "glptt-"],
            r"\bgl(?:pat|dt|rt|ptt)-[A-Za-z0-9_\-]{16,}",
            Template("[REDACTED]"),
        ),
        rule(
            &["xox", "xapp-"],
            r"\b(?:xox[abposre]|xapp)-[A-Za-z0-9\-]{8,}",
            Template("[REDACTED]"),
        ),
        rule(
            &["sk-", "sk_", "rk_", "pk_live", "rk-"],
            r"\b(?:sk|rk)[-_](?:live_|test_|proj-|ant-|svcacct-|or-v1-)?[A-Za-z0-9_\-]{16,}",
            Template("[REDACTED]"),
        ),
        rule(
            &[
                "gsk_", "hf_", "npm_", "syt_", "syd_", "glc_", "dop_v1_", "tskey-", "pypi-",
            ],
            r"\b(?:gsk_[A-Za-z0-9]{16,}|hf_[A-Za-z0-9]{16,}|npm_[A-Za-z0-9]{16,}|sy[td]_[A-Za-z0-9_\-]{10,}|glc_[A-Za-z0-9+/=_\-]{16,}|dop_v1_[a-f0-9]{32,}|tskey-[A-Za-z0-9\-]{10,}|pypi-[A-Za-z0-9_\-]{16,})",
            Template("[REDACTED]"),
        ),
        rule(
            &["aiza"],
            r"\bAIza[0-9A-Za-z_\-]{30,}",
            Template("[REDACTED]"),
        ),
        rule(
            &["sg."],
            r"\bSG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}",
            Template("[REDACTED]"),
        ),
        // Plex claim tokens (`claim-…`), valid for minutes but enough to take over a server.
        rule(
            &["claim-"],
            r"(?i)\bclaim-[A-Za-z0-9_\-]{6,}",
            Template("[REDACTED]"),
        ),
        // JWTs.
        rule(
            &["eyj"],
            r"\beyJ[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]{4,}\.?[A-Za-z0-9_\-]*",
            Template("[REDACTED]"),
        ),
        // Command-line flags: `--password hunter2`, `--api-key=…`, `--token "a b"`.
        rule(
            &[
                "pass",
                "pwd",
                "token",
                "secret",
                "key",
                "auth",
                "credential",
                "cookie",
            ],
            r#"(?i)((?:^|\s)--?[\w\-]*(?:passw(?:or)?d|pass|pwd|token|secret|api-?key|apikey|auth|credential|access-key|secret-key|cookie)[\w\-]*(?:\s+|=))("[^"]*"|'[^']*'|[^\s"'\-][^\s"']*)"#,
            Decide(|caps| {
                let value = &caps[2];
                let flag = caps[1].trim().trim_end_matches('=');
                let (_, inner, _) = split_quotes(value);
                if is_placeholder(inner) || !is_secret_name(flag) {
                    keep(caps)
                } else {
                    format!("{}{REDACTED}", &caps[1])
                }
            }),
        ),
        // curl-style `-u user:pass`, `--user user:pass`, `--proxy-user user:pass`.
        rule(
            &["-u", "--user", "--proxy-user"],
            r#"((?:^|\s)(?:-u\s*|--(?:proxy-)?user(?:\s+|=))["']?[^\s:"']+:)([^\s"']+)"#,
            Template("${1}[REDACTED]"),
        ),
        // mysql's `-pSECRET`, sshpass's `-p SECRET`.
        rule(
            &["-p"],
            r#"(?:^|[\s"'\[,(])-p(?P<value>'[^']*'|"[^"]*"|[^\s\-"',\]][^\s"',\]]*)"#,
            Decide(decide_glued_p),
        ),
        rule(
            &["sshpass"],
            r"(?i)(sshpass\s+-p\s*)\S+",
            Template("${1}[REDACTED]"),
        ),
        // redis-cli `-a SECRET` (only on lines that speak of redis).
        rule(
            &["redis"],
            r"(?i)redis.*?\s-a\s+(?P<value>\S+)",
            Decide(decide_redis_a),
        ),
        // .NET and HTML settings: `<add key="SmtpPassword" value="…" />`.
        rule(
            &["key=", "name="],
            r#"(?i)\b(?:key|name)\s*=\s*"(?P<name>[^"]{1,80})"\s+value\s*=\s*"(?P<value>[^"]*)""#,
            Decide(|caps| {
                if is_secret_name(&caps["name"]) && !is_placeholder(&caps["value"]) {
                    let value = &caps["value"];
                    let head = &caps[0][..caps[0].len() - value.len() - 1];
                    format!("{head}{REDACTED}\"")
                } else {
                    keep(caps)
                }
            }),
        ),
        // XML-ish `<password>…</password>`.
        rule(
            &["pass", "secret", "token", "key"],
            r"(?i)(<(?:[\w:\-]*(?:password|passwd|secret|token|apikey|api_key|privatekey))>)[^<]*(</)",
            Template("${1}[REDACTED]${2}"),
        ),
        // `password=…`, `"api_key": "…"`, `\"token\":\"…\"`, `DB_PASS: …`, `secret => …`.
        rule(
            &[
                "pass", "pwd", "secret", "token", "key", "auth", "cred", "claim", "cookie",
                "session", "sid", "sig", "salt", "otp", "seed", "mnemonic", "psk", "hmac", "dsn",
            ],
            &assignment,
            Decide(decide_assignment),
        ),
        // `password hunter2`, `the token is abc123XYZ`, `ENV SECRET_KEY abc123`.
        rule(
            &[
                "pass", "pwd", "secret", "token", "key", "auth", "cred", "claim", "cookie",
                "session",
            ],
            &spaced,
            Decide(decide_spaced),
        ),
        // `Generated password for user admin: Xy9…`, `Mot de passe généré pour « admin » : …`,
        // `recovery code (shown once): …`: a secret word, a few words, then a colon.
        rule(
            &[
                "pass",
                "pwd",
                "secret",
                "token",
                "key",
                "code",
                "mot de passe",
                "kennwort",
                "contrase",
                "senha",
                "wachtwoord",
                "пароль",
                "密码",
                "パスワード",
            ],
            r#"(?i)\b(?:password|passwd|passphrase|passwort|kennwort|mot de passe|contraseña|contrasena|senha|wachtwoord|пароль|密码|パスワード|pwd|token|secret|api[ _\-]?key|(?:recovery|backup|one[ -]time|setup|activation)[ _\-]codes?)(?P<label>[\w \t'’«»(),\-]{0,48}?)\s*[:=：]\s*["']?(?P<value>[^\s"']+)"#,
            Decide(decide_labelled),
        ),
        // Telegram bot tokens: `123456789:AA…`.
        rule(
            &[],
            r"\b\d{6,12}:[A-Za-z0-9_\-]{30,}",
            Template("[REDACTED]"),
        ),
        // Discord bot tokens: three dot-separated base64 parts.
        rule(
            &[],
            r"\b[A-Za-z0-9_\-]{23,28}\.[A-Za-z0-9_\-]{6,7}\.[A-Za-z0-9_\-]{27,40}\b",
            Template("[REDACTED]"),
        ),
        // Anything else that looks random enough to be a key: long base64, mixed-case with
        // digits, 32 hex digits.
        rule(&[], r"[A-Za-z0-9+/_\-]{20,}={0,2}", Decide(decide_token)),
    ]
});
