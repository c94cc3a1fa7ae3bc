//! Removes secrets from text that came from outside the assistant (container logs, health-check
//! output, labels, event attributes), because such text must never carry a password, token or key
//! into a chat, an audit entry or an LLM prompt. The tool registry runs every tool output through
//! here once, so the reply, the audit entry and the LLM request all see the same redacted data.
//!
//! The rules err towards redacting too much: a hidden harmless value costs little, a leaked
//! secret cannot be taken back. They run on every log line, so a line is first screened for
//! trigger words with one Aho-Corasick pass and only the rules those triggers name run on it.

mod keys;
mod names;
mod rules;

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use serde_json::Value;

pub use keys::{KeyBlockTracker, TrackedLine, is_key_material};
pub use names::is_secret_name;

use names::is_placeholder;
use rules::{RULES, Rewrite};

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Shortest run of token characters that is checked as a possible bare secret (bot tokens,
/// base64 key material, high-entropy strings).
const LONG_TOKEN: usize = 20;

/// Screens a line for the rules that could apply: one pass over all trigger words.
struct Screen {
    automaton: AhoCorasick,
    /// For each trigger pattern, the rules (bit per rule index) it enables.
    masks: Vec<u64>,
    /// Rules that run on a line with a long run of token characters.
    long_token_mask: u64,
}

static SCREEN: LazyLock<Screen> = LazyLock::new(|| {
    let rules = &*RULES;
    assert!(rules.len() <= 64, "the rule mask holds 64 rules");
    let mut words: Vec<&str> = Vec::new();
    let mut masks: Vec<u64> = Vec::new();
    let mut long_token_mask = 0u64;
    for (index, rule) in rules.iter().enumerate() {
        if rule.triggers.is_empty() {
            long_token_mask |= 1 << index;
        }
        for word in rule.triggers {
            match words.iter().position(|w| w == word) {
                Some(at) => masks[at] |= 1 << index,
                None => {
                    words.push(word);
                    masks.push(1 << index);
                }
            }
        }
    }
    let automaton = AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(&words)
        .expect("trigger words build an automaton");
    Screen {
        automaton,
        masks,
        long_token_mask,
    }
});

/// Which rules may apply to `line`, as a bit mask over [`RULES`].
fn applicable_rules(line: &str) -> u64 {
    let screen = &*SCREEN;
    let mut mask = 0u64;
    for found in screen.automaton.find_overlapping_iter(line) {
        mask |= screen.masks[found.pattern().as_usize()];
    }
    if has_long_token(line) {
        mask |= screen.long_token_mask;
    }
    mask
}

/// Whether `line` holds a run of at least [`LONG_TOKEN`] token characters.
fn has_long_token(line: &str) -> bool {
    let mut run = 0;
    for &byte in line.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'_' | b'-' | b'=') {
            run += 1;
            if run >= LONG_TOKEN {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// One line with every recognised secret replaced; borrowed when nothing matched. Private-key
/// blocks span lines: use [`redact_secrets`] or a [`KeyBlockTracker`] for those.
pub fn redact_line(line: &str) -> Cow<'_, str> {
    // A key printed alone on its line (Jenkins' initial admin password, an *arr API key).
    let alone = line.trim();
    if alone.len() == 32 && alone.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Cow::Owned(line.replace(alone, REDACTED));
    }
    let mask = applicable_rules(line);
    if mask == 0 {
        return Cow::Borrowed(line);
    }
    let mut current = Cow::Borrowed(line);
    for (index, rule) in RULES.iter().enumerate() {
        if mask & (1 << index) == 0 {
            continue;
        }
        let replaced = match &rule.rewrite {
            Rewrite::Template(template) => rule.pattern.replace_all(&current, *template),
            Rewrite::Decide(decide) => rule.pattern.replace_all(&current, *decide),
        };
        if let Cow::Owned(replaced) = replaced
            && replaced != *current
        {
            current = Cow::Owned(replaced);
        }
    }
    current
}

/// `text` with every recognised secret replaced by `[REDACTED]`, private keys hidden whole even
/// when `text` starts or ends inside one; borrowed when nothing matched.
pub fn redact_secrets(text: &str) -> Cow<'_, str> {
    if !text.contains('\n') && !text.contains("-----") {
        return redact_line(text);
    }
    let mut tracker = KeyBlockTracker::new();
    let mut lines: Vec<Cow<'_, str>> = Vec::new();
    let mut originals: Vec<&str> = Vec::new();
    let mut changed = false;
    for line in text.split('\n') {
        let tracked = tracker.line(line);
        if tracked.hide_earlier {
            for (shown, original) in lines.iter_mut().zip(&originals).rev() {
                if !is_key_material(original) {
                    break;
                }
                *shown = Cow::Borrowed(REDACTED);
            }
            changed = true;
        }
        if tracked.text != line {
            changed = true;
            lines.push(Cow::Owned(tracked.text));
        } else {
            lines.push(Cow::Borrowed(line));
        }
        originals.push(line);
    }
    if changed {
        Cow::Owned(lines.join("\n"))
    } else {
        Cow::Borrowed(text)
    }
}

/// Redacts every string in a JSON value in place; a string under a secret's name (`"password"`,
/// `"DB_PASS"`) is replaced whole, whatever it looks like.
pub fn redact_json(value: &mut Value) {
    match value {
        Value::String(text) => {
            if let Cow::Owned(redacted) = redact_secrets(text) {
                *text = redacted;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                match item {
                    Value::String(text) if is_secret_name(key) && !is_placeholder(text) => {
                        *text = REDACTED.to_owned();
                    }
                    Value::Number(_) if is_secret_name(key) => {
                        *item = Value::String(REDACTED.to_owned());
                    }
                    _ => redact_json(item),
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests;
