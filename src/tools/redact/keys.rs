//! Private keys, which span lines: a tracker that hides a whole block even when a log tail
//! starts or ends inside it.

use std::sync::LazyLock;

use regex::Regex;

use super::{REDACTED, redact_line};

pub(super) static KEY_BEGIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----\s*BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?\s*-----").expect("valid")
});
pub(super) static KEY_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----\s*END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?\s*-----").expect("valid")
});
/// A whole key on one line (JSON-escaped `\n`s, or a key pasted into a label).
pub(super) static KEY_INLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(-----\s*BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?\s*-----).*?(-----\s*END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?\s*-----|$)",
    )
    .expect("valid")
});

/// What became of one line fed to a [`KeyBlockTracker`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackedLine {
    /// The line as it may be shown.
    pub text: String,
    /// This line ends a private key whose start was never seen: the lines of the same stream
    /// just before it that are [key material](is_key_material) must be hidden too.
    pub hide_earlier: bool,
}

/// Follows private-key blocks across the lines of one stream, so that key bodies (plain base64,
/// which no single-line rule can tell from data) are hidden; every other line goes through
/// [`redact_line`].
#[derive(Clone, Debug, Default)]
pub struct KeyBlockTracker {
    inside: bool,
}

impl KeyBlockTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Redacts one line, in order.
    pub fn line(&mut self, line: &str) -> TrackedLine {
        if self.inside {
            if let Some(end) = KEY_END.find(line) {
                self.inside = false;
                let rest = redact_line(&line[end.end()..]);
                return TrackedLine {
                    text: format!("{REDACTED} {}{rest}", end.as_str()),
                    hide_earlier: false,
                };
            }
            return TrackedLine {
                text: REDACTED.to_owned(),
                hide_earlier: false,
            };
        }
        if let Some(begin) = KEY_BEGIN.find(line) {
            let closed = KEY_END.find_at(line, begin.end()).is_some();
            if !closed {
                self.inside = true;
                let before = redact_line(&line[..begin.start()]);
                return TrackedLine {
                    text: format!("{before}{} {REDACTED}", begin.as_str()),
                    hide_earlier: false,
                };
            }
            let inline = KEY_INLINE.replace_all(line, format!("${{1}} {REDACTED} ${{2}}"));
            return TrackedLine {
                text: redact_line(&inline).into_owned(),
                hide_earlier: false,
            };
        }
        if let Some(end) = KEY_END.find(line) {
            let rest = redact_line(&line[end.end()..]);
            return TrackedLine {
                text: format!("{REDACTED} {}{rest}", end.as_str()),
                hide_earlier: true,
            };
        }
        TrackedLine {
            text: redact_line(line).into_owned(),
            hide_earlier: false,
        }
    }

    /// Whether the stream ended inside a key (what follows is hidden).
    pub fn inside_key(&self) -> bool {
        self.inside
    }
}

/// Whether a line can be part of a PEM key body: base64 only, a PEM header (`Proc-Type:`,
/// `DEK-Info:`) or blank. Walking back from a key's end over such lines finds the part of a key
/// whose start was cut off, and stops at the first line of ordinary output.
pub fn is_key_material(line: &str) -> bool {
    let line = line.trim();
    line.is_empty()
        || line.starts_with("Proc-Type:")
        || line.starts_with("DEK-Info:")
        || line
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
}
